# Sourced by the other scripts: make ./.venv (Python 3.11 if on PATH) and install the project
# with the extra named in $1 ("bench" or "test"). Sets PY to the venv's python.
set -euo pipefail
extra="$1"
if [ ! -x .venv/bin/python ]; then
    base=python3
    command -v python3.11 >/dev/null 2>&1 && python3.11 -c "" 2>/dev/null && base=python3.11
    "$base" -m venv .venv
fi
PY="$PWD/.venv/bin/python"
"$PY" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$PY" -m pip install --quiet --disable-pip-version-check -e ".[$extra]"
