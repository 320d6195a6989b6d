#!/usr/bin/env bash
# The tests: install the project with its test tools, lint, then run pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh test
"$PY" -m ruff check .
"$PY" -m ruff format --check .
"$PY" -m pytest "$@"
