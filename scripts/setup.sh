#!/usr/bin/env bash
# Shared set-up for scripts/test.sh and scripts/demo.sh: system packages the lab and the
# printouts need, then a virtualenv with otcctl installed. Safe to run again: it installs
# only what is missing. Needs no terminal and no input (CI runs it as root).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${OTCCTL_VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"

need_debs=()
command -v sshd >/dev/null 2>&1 || [ -x /usr/sbin/sshd ] || need_debs+=(openssh-server)
command -v ssh-keygen >/dev/null 2>&1 || need_debs+=(openssh-client)
command -v pdftotext >/dev/null 2>&1 || need_debs+=(poppler-utils)
[ -f /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf ] || need_debs+=(fonts-droid-fallback)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need_debs+=(fonts-dejavu-core)

if [ ${#need_debs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Debian packages: ${need_debs[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${need_debs[@]}" >/dev/null
  else
    echo "setup: please install these Debian packages first: ${need_debs[*]}" >&2
    echo "       (sudo apt-get install ${need_debs[*]})" >&2
    exit 1
  fi
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "setup: creating virtualenv $VENV"
  "$PYTHON" -m venv "$VENV"
fi
echo "setup: installing otcctl and its test tools into $VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -e "$ROOT[test]" 2>&1 | grep -v '^WARNING: Location' || true
"$VENV/bin/python" -c "import otcctl" >/dev/null
export PATH="$VENV/bin:$PATH"
