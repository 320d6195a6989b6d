#!/usr/bin/env bash
# CI: commit the contents of directory $2 as the new tree of branch $1 (on top of the commit
# fetch-results.sh fetched, if any) and push it to origin. Leaves the work tree and the index
# of the checkout alone. GH_TOKEN (contents: write) is sent for the push only.
set -euo pipefail
branch="$1"
dir="$(cd "$2" && pwd)"
message="$3"
gitdir="$(git rev-parse --absolute-git-dir)"
GIT_INDEX_FILE="$(mktemp -d)/index"
export GIT_INDEX_FILE
git --git-dir="$gitdir" --work-tree="$dir" -C "$dir" add --all .
tree="$(git --git-dir="$gitdir" write-tree)"
parent="$(git rev-parse --verify --quiet "refs/remotes/origin/$branch" || true)"
if [ -n "$parent" ] && [ "$(git rev-parse "$parent^{tree}")" = "$tree" ]; then
    echo "results unchanged: nothing to push to $branch"
    exit 0
fi
export GIT_AUTHOR_NAME="github-actions[bot]" GIT_COMMITTER_NAME="github-actions[bot]"
export GIT_AUTHOR_EMAIL="41898282+github-actions[bot]@users.noreply.github.com"
export GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"
if [ -n "$parent" ]; then
    commit="$(git commit-tree "$tree" -p "$parent" -m "$message")"
else
    commit="$(git commit-tree "$tree" -m "$message")"
fi
if [ -n "${GH_TOKEN:-}" ]; then
    basic="$(printf 'x-access-token:%s' "$GH_TOKEN" | base64 | tr -d '\n')"
    export GIT_CONFIG_COUNT=1
    export GIT_CONFIG_KEY_0="http.https://github.com/.extraheader"
    export GIT_CONFIG_VALUE_0="AUTHORIZATION: basic $basic"
fi
# Not forced: if another run moved the branch since the fetch, this fails rather than drop it.
git push origin "$commit:refs/heads/$branch"
echo "pushed $(git rev-parse --short "$commit") to $branch"
