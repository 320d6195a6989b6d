#!/usr/bin/env bash
# The main job: build the release ledger and the interpreters, run asv over numba releases in
# every environment of asv.conf.json, and publish the site to .asv/html.
# Arguments go to `allocbench history`: --all for every release, --releases 0.48.0 0.61.2 ...,
# --candidates for the release candidates newer than the newest release.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh bench

# numba, llvmlite and numpy from wheels only: a combination without wheels fails in seconds
# instead of compiling for an hour.
export PIP_ONLY_BINARY="${PIP_ONLY_BINARY:-numba,llvmlite,numpy}"

"$PY" -m allocbench.cli history "$@"
echo "View it with  .venv/bin/asv preview  (http://127.0.0.1:8080/answer.html is the front page)"
