#!/usr/bin/env bash
# The test suite: formatting, vet, and every test with the race detector.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" >&2; echo "$unformatted" >&2; exit 1
fi
go vet ./...
go test -race -timeout 20m ./...

# Known vulnerabilities of the modules and the Go standard library the code calls, from
# vuln.go.dev's database. Offline (or when the database cannot be reached) the check is
# skipped, saying so: it must not fail the suite for the network.
if ! command -v curl >/dev/null; then
  echo "govulncheck SKIPPED: curl is missing, so whether vuln.go.dev is reachable cannot be checked." >&2
elif curl -fsS --max-time 10 -o /dev/null https://vuln.go.dev/index/db.json 2>/dev/null; then
  go run golang.org/x/vuln/cmd/govulncheck@v1.9.0 ./...
else
  echo "govulncheck SKIPPED: vuln.go.dev (the Go vulnerability database) is not reachable from this machine; run \`go run golang.org/x/vuln/cmd/govulncheck@v1.9.0 ./...\` where it is." >&2
fi
