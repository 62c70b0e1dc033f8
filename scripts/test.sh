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
