#!/usr/bin/env bash
# Creates (or refreshes) the project's virtual environment in .venv from Python 3.12 and installs
# depnet into it, editable, with its test tools. Safe to run again: it only installs what changed.
# brian2cuda 1.0b1 pins brian2 2.10.1, which needs Python >= 3.12; the machine's plain python3 is
# older, so look for 3.12 explicitly (on PATH, or among pyenv's versions).
set -euo pipefail
cd "$(dirname "$0")"

find_python() {
  if [ -n "${DEPNET_PYTHON:-}" ]; then echo "$DEPNET_PYTHON"; return; fi
  if python3.12 -c 'import sys' >/dev/null 2>&1; then command -v python3.12; return; fi
  for p in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.12*/bin/python3.12 /usr/bin/python3.12 /usr/local/bin/python3.12; do
    if [ -x "$p" ]; then echo "$p"; return; fi
  done
  echo "bootstrap: no Python 3.12 found (set DEPNET_PYTHON to its path)" >&2
  exit 2
}

if [ ! -x .venv/bin/python ]; then
  "$(find_python)" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
fi
stamp=.venv/.depnet-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "bootstrap: installing depnet and its dependencies into .venv" >&2
  .venv/bin/python -m pip install -q -e '.[test]'
  touch "$stamp"
fi
