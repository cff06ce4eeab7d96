#!/usr/bin/env bash
# Runs the Python that the model code and the tests use, setting it up on first use.
#   scripts/python.sh ARGS...   runs that interpreter with ARGS
#   scripts/python.sh --which   prints the interpreter's path
# It needs torch and numpy (model-code/) and moto with its server (the AWS emulator the tests
# run). Order: $MNIST_PYTHON; the project's .venv; the system python3; otherwise a new .venv
# from scripts/python-requirements.txt (CPU build of PyTorch), made once, under a lock so that
# parallel test workers do not build it twice.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"
requirements="$root/scripts/python-requirements.txt"
# Looks the packages up without importing them: importing torch costs seconds on every call.
probe='import importlib.util as u, sys; sys.exit(0 if all(u.find_spec(m) for m in ("torch", "numpy", "moto", "flask", "flask_cors")) else 1)'

works() { [ -n "$1" ] && [ -x "$1" ] && "$1" -c "$probe" >/dev/null 2>&1; }

found() {
  local candidate
  for candidate in "$venv/bin/python" "$(command -v python3 || true)" /usr/bin/python3; do
    if works "$candidate"; then echo "$candidate"; return 0; fi
  done
  return 1
}

how_to_fix() {
  cat >&2 <<MSG
No Python 3 with torch, numpy and moto[server] found, and none could be set up here.
Fix one of:
  - python3 -m venv --system-site-packages .venv && .venv/bin/pip install -r scripts/python-requirements.txt
  - or set MNIST_PYTHON to an interpreter that can 'import torch, numpy, moto.server'.
MSG
}

create_venv() {
  local base
  base="$(command -v python3 || true)"
  if [ -z "$base" ] || ! "$base" -m venv --help >/dev/null 2>&1; then
    echo "python3 with the venv module is missing (Debian/Ubuntu: sudo apt-get install python3-venv)." >&2
    return 1
  fi
  cat >&2 <<MSG
First run: setting up $venv (once; later runs reuse it).
  Installing: PyTorch (CPU build, ~200 MB download, ~1 GB on disk), NumPy, moto[server].
  Takes 1-3 minutes on a typical connection. Delete .venv to start over.
MSG
  # --system-site-packages: reuse what the system Python already has (e.g. moto) instead of
  # downloading it again; pip still installs whatever is missing or too old. An existing
  # .venv is kept and completed (an interrupted setup resumes where it stopped).
  [ -x "$venv/bin/python" ] || "$base" -m venv --system-site-packages "$venv" >&2
  # pip's own lines say what is downloaded and how big; the hundred "already satisfied" lines
  # and per-try retry warnings only bury them.
  "$venv/bin/python" -m pip install --retries 2 -r "$requirements" 2>&1 \
    | grep -v -e '^Requirement already satisfied' -e '^WARNING: Retrying' -e 'is ignored: it is neither' >&2
  if [ "${PIPESTATUS[0]}" -ne 0 ]; then
    echo "pip could not install scripts/python-requirements.txt (see above)." >&2
    return 1
  fi
  echo "Python environment ready: $venv" >&2
}

resolve() {
  if [ -n "${MNIST_PYTHON:-}" ]; then
    if works "$MNIST_PYTHON"; then echo "$MNIST_PYTHON"; return 0; fi
    echo "MNIST_PYTHON=$MNIST_PYTHON cannot 'import torch, numpy, moto.server': point it at a Python that can, or unset it." >&2
    return 1
  fi
  if found; then return 0; fi
  mkdir -p "$root/.venv.lock.d"
  (
    flock -w 1800 9 || { echo "Timed out after 30 minutes waiting for another setup of .venv." >&2; exit 1; }
    if found; then exit 0; fi
    create_venv && found
  ) 9>"$root/.venv.lock.d/lock" || { how_to_fix; return 1; }
}

python="$(resolve)"
if [ "${1:-}" = "--which" ]; then echo "$python"; exit 0; fi
exec "$python" "$@"
