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
# In parallel, one lab per worker (docs/testing.md): lab tests mostly wait (sshd, reboots, settle
# times), so one worker more than the CPUs pays. Tests go out to whichever worker is free, the slow
# ones first, a test class whole (tests/conftest.py). Arguments come after these: `-n 0` runs serially.
workers="${OTCCTL_TEST_WORKERS:-$(( $(nproc) + 1 ))}"
pytest -q -p no:cacheprovider -n "$workers" --dist load "$@"
