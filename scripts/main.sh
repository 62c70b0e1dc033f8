#!/usr/bin/env bash
# The main job: `weir demo`, the closed MLOps loop end to end in one process (train with
# quality checks, a mapped search and champion-if-better registration → deploy → live
# traffic → drift → dataset-triggered retraining → canary → promotion), in a fresh
# temporary home it prints at the end (--home DIR to choose one). Needs Go only.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh main
go run ./cmd/weir demo "$@"
