#!/usr/bin/env bash
# otcctl side by side with the paramiko floor, Fabric, pyinfra and Ansible on a loopback fleet.
#   bash bench/run.sh            # 5 runs of each case after a warm-up (several minutes)
#   bash bench/run.sh --quick    # one run each, smaller cases (well under a minute once the peers are installed)
# The peers go into bench/.venv-peers (git-ignored), never into otcctl's own environment.
# OTCBENCH_NETWORK (or OTCLAB_NETWORK) picks the lab's 127.0.N network, OTCBENCH_FLEET the 50 extra addresses.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${OTCCTL_VENV:-$ROOT/.venv}"
PEERS="${OTCBENCH_PEERS_VENV:-$ROOT/bench/.venv-peers}"

if [ ! -x "$VENV/bin/otcctl" ]; then
  # shellcheck source=/dev/null
  source "$ROOT/scripts/setup.sh"
fi
if [ ! -x "$PEERS/bin/ansible-playbook" ] || [ ! -x "$PEERS/bin/pyinfra" ] || [ ! -x "$PEERS/bin/fab" ]; then
  echo "bench: installing ansible-core, pyinfra and fabric into $PEERS" >&2
  { "${PYTHON:-python3}" -m venv "$PEERS" &&
    "$PEERS/bin/python" -m pip install -q --disable-pip-version-check ansible-core pyinfra fabric 2>&1 |
      { grep -v '^WARNING: Location' >&2 || true; }; } || echo "bench: could not install the peers; their columns stay empty" >&2
fi
# As a wheel install would have it: compiled modules. (An editable install under PYTHONDONTWRITEBYTECODE=1
# would otherwise compile otcctl's sources on every start, a cost no installed otcctl pays.)
"$VENV/bin/python" -m compileall -q "$ROOT/src" >/dev/null || true
export OTCBENCH_NETWORK="${OTCBENCH_NETWORK:-${OTCLAB_NETWORK:-127.0.40}}"
export OTCBENCH_PEERS_VENV="$PEERS"
exec "$VENV/bin/python" "$ROOT/bench/side_by_side.py" "$@"
