#!/bin/sh
# SPDX-License-Identifier: MIT
# check_copies.sh BIN REGEX MIN
# The benchmark programs run each implementation through a copy of their
# loops of its own (bench_midatlas.cc: Drive<W, Site> and
# ReceiverLoop<Site>; cycle.c: worker_N; bench/wait: churner_main_N,
# worker_main_a/b): with one copy shared by all, a cell depended on which
# implementations had run before it (bench/RESULTS.md, "One driver loop per
# implementation").  Which copy ran which implementation shows at run time
# only in midatlas-bench (--report_copies, bench.copies.registered); that
# the copies are distinct code shows only in the program, so this looks
# there: it fails when BIN defines fewer than MIN
# distinct code addresses for the functions whose demangled names match
# the extended regular expression REGEX in full (copies that a compiler or
# a linker folded into one share its address).
set -eu
bin=$1 re=$2 min=$3
if ! command -v nm >/dev/null 2>&1; then
    echo "check_copies: no nm" >&2
    exit 77
fi
# ENVIRON, not awk -v: -v would take the backslashes of REGEX as escapes.
n=$(nm -C --defined-only "$bin" |
    COPIES_RE="^($re)\$" awk '$2 ~ /^[tTW]$/ {
        addr = $1
        sub(/^[0-9a-fA-F]+ [A-Za-z] /, "")
        if ($0 ~ ENVIRON["COPIES_RE"]) print addr
    }' | sort -u | wc -l)
if [ "$n" -lt "$min" ]; then
    echo "check_copies: $bin: $n distinct copies of /$re/, want at least $min" >&2
    exit 1
fi
echo "check_copies: $bin: $n distinct copies of /$re/"
