#!/usr/bin/env bash
# Debian's (or Ubuntu's) packages of the allocators the history preloads in place of glibc's
# malloc (allocbench.catalog.ALLOCATORS names them). Needs root; without apt it does nothing,
# and those environments' figures are n/a with the reason.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v apt-get >/dev/null 2>&1 || { echo "no apt-get: allocators not installed"; exit 0; }
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
packages=$(PYTHONPATH=src python3 -c \
    'from allocbench.catalog import ALLOCATORS; print(" ".join(a.package for a in ALLOCATORS.values()))')
missing=()
for package in $packages; do
    dpkg -s "$package" >/dev/null 2>&1 || dpkg -s "${package}t64" >/dev/null 2>&1 || missing+=("$package")
done
[ "${#missing[@]}" = 0 ] && exit 0
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
for package in "${missing[@]}"; do
    # Ubuntu 24.04 renamed some libraries' packages for its 64-bit time_t transition.
    $sudo apt-get install -y -qq "$package" >/dev/null 2>&1 ||
        $sudo apt-get install -y -qq "${package}t64" >/dev/null
done
