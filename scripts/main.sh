#!/usr/bin/env bash
# The main job: run the example ML pipeline end to end with `weir run`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh main
export WEIR_HOME="${WEIR_HOME:-$(mktemp -d)/weir}"
go run ./cmd/weir run train_model --dags examples/dags "$@"
