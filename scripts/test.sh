#!/usr/bin/env bash
# Install everything the checks need, then run them all: ruff, mypy, pytest.
# This is exactly what CI runs (.ci/run calls this script).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/setup.sh
export OTCCTL_FORBID_PRODUCTION=1   # tests must never reach the production estate

echo "== ruff"
ruff check src tests bench scripts
echo "== mypy"
mypy
echo "== pytest"
pytest -q -p no:cacheprovider "$@"
