#!/bin/sh
# SPDX-License-Identifier: MIT
# fastpath_ab.sh - did a change cost the fast path anything?  Builds src/ of
# two revisions into two shared libraries with identical flags and runs the
# churn workload on both from ONE binary (churn_ab), alternating runs.
#
#   bench/wait/fastpath_ab.sh [-a REV] [-b REV] [-o DIR] [churn_ab options...]
#     -a REV   revision A (default 02f68d2^: the library just before
#              midatlas_associate_wait landed)
#     -b REV   revision B (default: the working tree's src/ and include/)
#     -o DIR   scratch directory (default /tmp/midatlas-fastpath)
#     churn_ab options: --seconds S --runs R --capacity C --threads "1 2"
#
# Run from anywhere inside the repository.  Flags: -O2 -g -DNDEBUG -fPIC, as
# a RelWithDebInfo build.  The machine is shared and noisy: read the min..max
# columns before believing a difference of a few percent.
set -eu
rev_a=02f68d2^
rev_b=
out=/tmp/midatlas-fastpath
while [ $# -gt 0 ]; do
    case $1 in
    -a) rev_a=$2; shift 2 ;;
    -b) rev_b=$2; shift 2 ;;
    -o) out=$2; shift 2 ;;
    *) break ;;
    esac
done
repo=$(git rev-parse --show-toplevel)
cc=${CC:-cc}
flags="-std=c11 -O2 -g -DNDEBUG -fPIC -pthread"

rm -rf "$out"
mkdir -p "$out/a" "$out/b"
git -C "$repo" archive "$rev_a" src include | tar -x -C "$out/a"
if [ -n "$rev_b" ]; then
    git -C "$repo" archive "$rev_b" src include | tar -x -C "$out/b"
    b_name="$rev_b ($(git -C "$repo" rev-parse --short "$rev_b"))"
else
    cp -R "$repo/src" "$repo/include" "$out/b/"
    b_name="working tree ($(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet -- src include || echo ', modified'))"
fi
for x in a b; do
    # shellcheck disable=SC2086
    $cc $flags -shared -I"$out/$x/include" "$out/$x"/src/*.c -o "$out/$x/libmidatlas.so"
done
# shellcheck disable=SC2086
$cc $flags -I"$repo/include" "$repo/bench/wait/churn_ab.c" -o "$out/churn_ab" -ldl
echo "A = $rev_a ($(git -C "$repo" rev-parse --short "$rev_a")), B = $b_name"
"$out/churn_ab" "$@" "$out/a/libmidatlas.so" "$out/b/libmidatlas.so"
