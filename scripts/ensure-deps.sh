#!/usr/bin/env bash
# Installs what weir's examples and tests need on a fresh Debian machine: Go must already be
# on PATH; python3 (for the example pipelines' scripts) comes from Debian's packages.
set -euo pipefail
need=()
command -v python3 >/dev/null 2>&1 || need+=(python3)
command -v bash >/dev/null 2>&1 || need+=(bash)
if [ "${1:-}" != main ]; then # the tests need more than the main job
  command -v flock >/dev/null 2>&1 || need+=(util-linux) # the server load test's locks
  command -v node >/dev/null 2>&1 || need+=(nodejs)      # the npm mlflow client test
  command -v npm >/dev/null 2>&1 || need+=(npm)
  command -v chromium >/dev/null 2>&1 || need+=(chromium) # the web UI's browser tests (ui/)
  # scikit-learn's answers for the ML steps' end-to-end test (Debian's package, /usr/bin/python3)
  /usr/bin/python3 -c 'import sklearn' >/dev/null 2>&1 || need+=(python3-sklearn)
  # MLflow's default pickle format, for the Python worker pool's models (serve/pyworker)
  /usr/bin/python3 -c 'import cloudpickle' >/dev/null 2>&1 || need+=(python3-cloudpickle)
  # (serve/flavor's XGBoost fixtures are committed; regenerating them needs python3-xgboost)
fi
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq "${need[@]}"
fi
command -v go >/dev/null 2>&1 || { echo "Go is required: https://go.dev/doc/install (go 1.26 or newer)" >&2; exit 1; }
