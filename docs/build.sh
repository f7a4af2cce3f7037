#!/usr/bin/env bash
# Build the documentation site into docs/_build/html, warnings as errors, internal references
# checked (-n: nitpicky). Installs the docs extra into .venv first (quick when installed).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || ./bootstrap.sh
.venv/bin/python -m pip install -q -e '.[docs]'
exec .venv/bin/sphinx-build -W --keep-going -n -b html docs docs/_build/html "$@"
