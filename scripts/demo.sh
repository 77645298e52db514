#!/usr/bin/env bash
# Install otcctl, bring the rehearsal lab up on loopback, run the real market-open runbook
# end to end against it, show what each step found and where the journal is, and take the
# lab down again. Touches loopback addresses only (127.0.0.11-16); never the production estate.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/setup.sh
export OTCCTL_FORBID_PRODUCTION=1            # this machine must never reach 192.168.x
export NO_COLOR="${NO_COLOR:-}"

LAB_DIR="${OTCCTL_DEMO_LAB:-$(mktemp -d /tmp/otcctl-demo-lab.XXXXXX)}"
export OTCCTL_STATE_DIR="${OTCCTL_STATE_DIR:-$LAB_DIR/state}"
cleanup() { otcctl lab down --dir "$LAB_DIR" >/dev/null 2>&1 || true; }
trap cleanup EXIT

# The market opens on trading days only: rehearse the most recent one (today, if it trades).
RUN_DATE="$(python -c 'from otcctl.demo_support import latest_trading_day; print(latest_trading_day())')"
echo "== the lab (loopback copy of M1-M6) for trading day $RUN_DATE"
otcctl lab up --dir "$LAB_DIR" --date "$RUN_DATE"
echo
echo "== dry run of market-open against the lab (nothing is sent)"
otcctl dry-run market-open -i "$LAB_DIR/inventory.yaml" --date "$RUN_DATE" | head -40
echo "   ..."
echo
echo "== the real run (confirmations pre-approved with --assume-yes, recorded as such)"
set +e
otcctl run market-open -i "$LAB_DIR/inventory.yaml" --date "$RUN_DATE" --assume-yes --operator "demo"
rc=$?
set -e
echo
echo "== the journal of that run, as the compliance department reads it"
RUN_ID="$(otcctl runs --json | python -c 'import json,sys; print(json.load(sys.stdin)[0]["run_id"])')"
otcctl log "$RUN_ID"
echo
echo "journal file: $OTCCTL_STATE_DIR/runs/$RUN_ID.jsonl"
echo "printable checklist: otcctl checklist market-open --format pdf -o market-open.pdf"
exit $rc
