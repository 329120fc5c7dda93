#!/bin/sh
# SPDX-License-Identifier: MIT
# check_report.sh BENCH_REPORT
# tools/bench-report.py on a made-up run: a cell's value is the median of its
# repetitions (one slow repetition of three must not move it), every cell
# where midatlas is behind the best other gets a BEHIND line, and the
# SUMMARY line gives the per-cell minimum, its cell and the count behind.
set -u
report=$1
py=/usr/bin/python3
[ -x "$py" ] || py=python3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
status=0
bad() { echo "check_report: $*" >&2; status=1; }

# bench NAME ITEMS_PER_SECOND: one repetition of one benchmark.
bench() {
    printf '    {"name": "%s", "run_name": "%s", "run_type": "iteration", "items_per_second": %s},\n' \
        "$1" "$1" "$2"
}
{
    printf '{"context": {"implementations": "midatlas,mutex,idr"},\n "benchmarks": [\n'
    # churn 64, 1 thread: midatlas 30, 30 and a slow 3 (median 30, mean 21);
    # idr 25 three times (midatlas ahead by the median, behind by the mean).
    for v in 30e6 3e6 30e6; do bench churn/midatlas/cap:64/real_time/threads:1 "$v"; done
    for v in 25e6 25e6 25e6; do bench churn/idr/cap:64/real_time/threads:1 "$v"; done
    for v in 10e6 10e6 10e6; do bench churn/mutex/cap:64/real_time/threads:1 "$v"; done
    # lookup 64, 2 threads: midatlas 8 against idr 10: behind, ratio 0.8.
    for v in 8e6 8e6 9e6; do bench lookup/midatlas/cap:64/real_time/threads:2 "$v"; done
    for v in 10e6 11e6 10e6; do bench lookup/idr/cap:64/real_time/threads:2 "$v"; done
    for v in 2e6 2e6 2e6; do bench lookup/mutex/cap:64/real_time/threads:2 "$v"; done
    printf '    {"name": "churn/midatlas/cap:64/real_time/threads:1_mean", "run_type": "aggregate", "items_per_second": 1}\n'
    printf ' ]}\n'
} >"$dir/run.json"

out=$("$py" "$report" "$dir/run.json") || bad "exits $? on a good run"
printf '%s\n' "$out" | grep -q 'median of 3 repetitions' || bad "the header does not say median of 3"
# The churn cell: 30M (3.00x the mutex), not the mean's 21M (2.10x).
printf '%s\n' "$out" | grep -E '^1 ' | grep -q '30M (3.00x)' ||
    bad "churn 64 at 1 thread is not the median 30M (3.00x): $(printf '%s\n' "$out" | grep -E '^1 ')"
behind=$(printf '%s\n' "$out" | grep '^BEHIND')
[ "$behind" = "BEHIND lookup/cap:64/threads:2/vs:idr 0.8" ] ||
    bad "BEHIND lines: '$behind', want only lookup's at 0.8"
summary=$(printf '%s\n' "$out" | grep '^SUMMARY')
for want in midatlas_vs_best_other_min=0.8 worst_cell=lookup/cap:64/threads:2/vs:idr behind=1 \
            errors=0 midatlas_vs_mutex_geomean=3.46; do
    case " $summary " in
        *" $want "*) ;;
        *) bad "SUMMARY lacks $want: $summary" ;;
    esac
done
exit "$status"
