#!/usr/bin/env bash
# The venv `rtast serve` runs in: PyTriton's Python stub links the system's libpython3.11, so the venv
# must be made from Debian's own /usr/bin/python3.11 (a venv of another 3.11 build fails inside the
# stub). The serving tests use it (tests/engines/test_serve.py) and skip, saying so, where it is absent.
# Safe to run again. RTAST_SERVE_VENV moves it (default: .serve-venv in the checkout).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${RTAST_SERVE_VENV:-.serve-venv}
if [ "$(id -u)" = 0 ]; then SUDO=(); else SUDO=(sudo); fi
missing=()
for p in python3.11-venv libpython3.11; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[ -x "$VENV/bin/python" ] || /usr/bin/python3.11 -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip install -q --disable-pip-version-check)
# The CPU build of torch first, so that no dependency pulls a multi-GB CUDA build.
"${PIP[@]}" "torch==2.13.0"
"${PIP[@]}" -e ".[serve-host]"
echo "rtast serve set up in $VENV: $("$VENV/bin/python" -m rtast --version), $("$VENV/bin/python" -m pip show nvidia-pytriton | grep ^Version)"
