#!/bin/sh
# SPDX-License-Identifier: MIT
# check_seq.sh MIDATLAS_BENCH
# Every run midatlas-bench reports carries seq, its number among the runs
# of the process: the only record of the order the repetitions ran in once
# Google Benchmark interleaves them (a slow repetition can then be read
# against what ran just before it).  Two workloads, three repetitions each,
# interleaved: every repetition has a seq, no two share one, and each
# workload's repetitions, listed in the order they ran, count up.
set -u
bench=$1
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$bench" --benchmark_min_time=0.001 --benchmark_repetitions=3 \
    --benchmark_enable_random_interleaving=true \
    '--benchmark_filter=^(churn|window)/midatlas/cap:64/real_time/threads:1$' >"$out" 2>&1 || {
    echo "check_seq: midatlas-bench exits $?:" >&2
    cat "$out" >&2
    exit 1
}
# The repetitions' rows (not the _mean, _median, _stddev, _cv ones):
# workload and seq, one pair a line.
rows=$(grep -E '^(churn|window)/midatlas/cap:64/real_time/threads:1 ' "$out" |
    sed -E 's|^([a-z]+)/.* seq=([0-9]+)( .*)?$|\1 \2|')
status=0
bad() { echo "check_seq: $*" >&2; status=1; }
[ "$(printf '%s\n' "$rows" | grep -c .)" = 6 ] || bad "want 6 repetitions, got: $rows"
printf '%s\n' "$rows" | grep -Ev '^(churn|window) [0-9]+$' >/dev/null &&
    bad "a repetition without seq: $(grep -E '^(churn|window)/' "$out")"
[ "$(printf '%s\n' "$rows" | awk '{print $2}' | sort -u | grep -c .)" = 6 ] ||
    bad "two repetitions share a seq: $rows"
for w in churn window; do
    printf '%s\n' "$rows" | awk -v w="$w" '$1 == w { if ($2 <= last) exit 1; last = $2 }' ||
        bad "$w's repetitions do not count up: $rows"
done
exit "$status"
