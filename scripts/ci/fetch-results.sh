#!/usr/bin/env bash
# CI: put the asv results of earlier runs, kept on branch $1 of origin, into directory $2.
# No branch yet (the first run) leaves $2 empty. GH_TOKEN, if set, is sent as the credential
# for this command only (never written to .git/config). Portable to macOS's tools.
set -euo pipefail
branch="$1"
dir="$2"
mkdir -p "$dir"
if [ -n "${GH_TOKEN:-}" ]; then
    basic="$(printf 'x-access-token:%s' "$GH_TOKEN" | base64 | tr -d '\n')"
    export GIT_CONFIG_COUNT=1
    export GIT_CONFIG_KEY_0="http.https://github.com/.extraheader"
    export GIT_CONFIG_VALUE_0="AUTHORIZATION: basic $basic"
fi
code=0
git ls-remote --exit-code --heads origin "refs/heads/$branch" >/dev/null || code=$?
if [ "$code" = 2 ]; then
    echo "no branch $branch on origin yet: starting without earlier results"
    exit 0
elif [ "$code" != 0 ]; then
    echo "git ls-remote origin failed (exit status $code)" >&2
    exit "$code"
fi
git fetch --quiet --no-tags --depth=1 origin "+refs/heads/$branch:refs/remotes/origin/$branch"
git archive "refs/remotes/origin/$branch" | tar -x -C "$dir"
echo "earlier results from $branch ($(git rev-parse --short "refs/remotes/origin/$branch")):" \
    "$(find "$dir" -name '*.json' | wc -l | tr -d ' ') files in $dir"
