#!/usr/bin/env bash
# Runs Python with PyTorch and NumPy for model-code/, setting it up on first use.
#   scripts/python.sh ARGS...   runs that interpreter with ARGS
#   scripts/python.sh --which   prints the interpreter's path
# Order: $MNIST_PYTHON; the project's .venv; the system python3 (Debian's python3-torch);
# a new .venv from model-code/requirements.txt where pip reaches an index; Debian packages
# where apt-get runs as root; otherwise a message saying how to get there.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
probe='import torch, numpy'

works() { [ -x "$1" ] && "$1" -c "$probe" >/dev/null 2>&1; }

resolve() {
  if [ -n "${MNIST_PYTHON:-}" ]; then
    if works "$MNIST_PYTHON"; then echo "$MNIST_PYTHON"; return; fi
    echo "MNIST_PYTHON=$MNIST_PYTHON cannot import torch and numpy: point it at a Python that can, or unset it." >&2
    return 1
  fi
  for candidate in "$venv/bin/python" /usr/bin/python3 "$(command -v python3 || true)"; do
    if [ -n "$candidate" ] && works "$candidate"; then echo "$candidate"; return; fi
  done
  local base
  base="$(command -v python3 || true)"
  if [ -n "$base" ] && "$base" -m venv --help >/dev/null 2>&1 \
     && "$base" -m pip index versions pip --timeout 5 --retries 0 >/dev/null 2>&1; then
    echo "Setting up $venv from model-code/requirements.txt (first run only)..." >&2
    "$base" -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet -r "$root/model-code/requirements.txt" >&2
    if works "$venv/bin/python"; then echo "$venv/bin/python"; return; fi
  fi
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    echo "No Python package index reachable: installing Debian's python3-torch and python3-numpy..." >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch python3-numpy >&2
    if works /usr/bin/python3; then echo /usr/bin/python3; return; fi
  fi
  cat >&2 <<MSG
No Python 3 with PyTorch and NumPy found, and none could be set up here.
Fix one of:
  - with internet:  python3 -m venv .venv && .venv/bin/pip install -r model-code/requirements.txt
  - on Debian/Ubuntu: sudo apt-get install python3-torch python3-numpy
  - or set MNIST_PYTHON to an interpreter that can 'import torch, numpy'.
MSG
  return 1
}

python="$(resolve)"
if [ "${1:-}" = "--which" ]; then echo "$python"; exit 0; fi
exec "$python" "$@"
