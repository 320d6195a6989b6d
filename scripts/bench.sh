#!/usr/bin/env bash
# The main job: install what the suite needs, run asv in every environment of asv.conf.json,
# and publish the site to .asv/html. Extra arguments go to `asv run` (default: main's tip).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh bench

# numba, llvmlite and numpy from wheels only: a combination without wheels fails in seconds
# instead of compiling for an hour.
export PIP_ONLY_BINARY="numba,llvmlite,numpy"

[ -f "$HOME/.asv-machine.json" ] || "$PY" -m asv machine --yes
[ $# -gt 0 ] || set -- main^!
"$PY" -m asv run --show-stderr "$@"
"$PY" -m asv publish
echo "Site written to .asv/html: view it with  .venv/bin/asv preview"
