#!/bin/sh
# SPDX-License-Identifier: MIT
# run_fuzz.sh FUZZER CORPUS SECONDS - one bounded libFuzzer run (ctest label fuzz).
#
# Fuzzes a temporary copy of CORPUS (so the committed seeds never change) for
# SECONDS, then prints libFuzzer's final statistics and one summary line with
# the number of executions.  A crash input is kept in the current directory as
# fuzz-crash-*; the exit status is libFuzzer's (non-zero on any finding).
set -eu
fuzzer=$1
corpus=$2
seconds=${3:-60}

work=$(mktemp -d "${TMPDIR:-/tmp}/midatlas-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
cp "$corpus"/* "$work"/
seeds=$(ls "$work" | wc -l)

rc=0
"$fuzzer" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 \
    -rss_limit_mb=2048 -max_len=4096 -artifact_prefix="$PWD/fuzz-" \
    "$work" >"$work/.log" 2>&1 || rc=$?

grep '^stat::' "$work/.log" || true
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/.log")
units=$(ls "$work" | wc -l)
if [ "$rc" -ne 0 ] || [ -z "$execs" ]; then
    tail -n 60 "$work/.log"
    ls "$PWD"/fuzz-crash-* "$PWD"/fuzz-leak-* "$PWD"/fuzz-timeout-* 2>/dev/null || true
    echo "FUZZ FAILED rc=$rc (replay the fuzz-crash-* file above with $fuzzer FILE)"
    exit 1
fi
echo "FUZZ SUMMARY executions=$execs seconds=$seconds seeds=$seeds corpus_after=$units"
