#!/bin/sh
# SPDX-License-Identifier: MIT
# check_ab_report.sh BENCH_AB_REPORT
# tools/bench-ab-report.py on a made-up run of two builds and a peer: a
# cell's figure is the median of its repetitions in ns per item (one slow
# repetition must not move it), B's speed-up over A is A's ns / B's ns,
# "apart" only when every repetition of the faster build beat every one of
# the other, each build is set against the peer, the repetitions of several
# processes are pooled while "B won" counts the processes whose median B
# beat, and the ABSUMMARY line counts the cells.  A run without both builds
# is an error.
set -u
report=$1
check=check_ab_report
# shellcheck source=made_up_run.sh
. "$(dirname "$0")/made_up_run.sh"
{
    printf '{"context": {"host_name": "h", "num_cpus": 2,\n'
    printf '  "cpu_model": "\\"Some CPU\\" family 6 model 207"},\n "benchmarks": [\n'
    # lookup 64: A 40 ns (25M/s) with one slow repetition (10M/s = 100 ns),
    # B 32 ns (31.25M/s) every time: B 1.25x faster, apart; idr 36 ns.
    for v in 25e6 10e6 25e6; do bench lookup/midatlas@A.so/cap:64/real_time/threads:1 "$v"; done
    for v in 31.25e6 31.25e6 31.25e6; do bench lookup/midatlas@B.so/cap:64/real_time/threads:1 "$v"; done
    for v in 27.777778e6 27.777778e6 27.777778e6; do bench lookup/idr/cap:64/real_time/threads:1 "$v"; done
    # churn 4096, 2 threads: A 20 ns, B 25 ns by the medians, yet one
    # repetition of B (12.5 ns) beat all of A's: overlap, B/A 0.8.
    for v in 50e6 50e6 50e6; do bench churn/midatlas@A.so/cap:4096/real_time/threads:2 "$v"; done
    for v in 40e6 80e6 40e6; do bench churn/midatlas@B.so/cap:4096/real_time/threads:2 "$v"; done
    # A cell with only the peer: not a line of the table.
    bench window/idr/cap:64/real_time/threads:1 1e7
    printf '    {"name": "lookup/midatlas@A.so/cap:64/real_time/threads:1_median", "run_type": "aggregate", "items_per_second": 1}\n'
    printf ' ]}\n'
} >"$dir/run.json"

# A second process: lookup A 40 ns, B 44 ns (B lost this one); the pooled
# medians stay 40 and 32 (A: 40 40 40 40 100, B: 32 32 32 44 44).
{
    printf '{"context": {"host_name": "h2"}, "benchmarks": [\n'
    for v in 25e6 25e6; do bench lookup/midatlas@A.so/cap:64/real_time/threads:1 "$v"; done
    bench lookup/midatlas@B.so/cap:64/real_time/threads:1 22.727273e6
    printf '    {"name": "lookup/midatlas@B.so/cap:64/real_time/threads:1", "run_type": "iteration", "items_per_second": 22.727273e6}\n ]}\n'
} >"$dir/run2.json"

out=$("$py" "$report" --peer idr "$dir/run.json" "$dir/run2.json") || bad "exits $? on a good run"
printf '%s\n' "$out" | grep -q '^bench-ab: h, "Some CPU" family 6 model 207, 2 CPUs; 2 processes, medians of 5 repetitions' ||
    bad "the header does not name the CPU and the repetitions: $(printf '%s\n' "$out" | head -1)"
line=$(printf '%s\n' "$out" | grep '^lookup/cap:64/t:1 ')
set -- $line
[ "${2:-}" = 40.00 ] || bad "lookup A is not the median 40.00 ns: $line"
[ "${3:-}" = 32.00 ] || bad "lookup B is not 32.00 ns: $line"
[ "${4:-}" = 36.00 ] || bad "lookup idr is not 36.00 ns: $line"
[ "${5:-}" = 1.250x ] || bad "lookup B/A is not 1.250x: $line"
[ "${6:-}" = 1/2 ] || bad "lookup: B did not win 1 process of 2: $line"
[ "${7:-}" = overlap ] || bad "lookup is not overlap (B's 44 lost to A's 40): $line"
[ "${8:-}" = 0.900 ] || bad "lookup A against idr is not 0.900: $line"
[ "${9:-}" = 1.125 ] || bad "lookup B against idr is not 1.125: $line"
line=$(printf '%s\n' "$out" | grep '^churn/cap:4096/t:2 ')
set -- $line
[ "${4:-}" = - ] || bad "churn has no idr figure, yet shows '${4:-}': $line"
[ "${5:-}" = 0.800x ] || bad "churn B/A is not 0.800x: $line"
[ "${6:-}" = 0/1 ] || bad "churn: B did not lose its one process: $line"
[ "${7:-}" = overlap ] || bad "churn is not overlap: $line"
printf '%s\n' "$out" | grep -q '^window' && bad "a cell without the builds has a line"
printf '%s\n' "$out" | grep -q '^ABSUMMARY cells=2 processes=2 b_faster=1 b_faster_apart=0 a_faster_apart=0 geomean_b_over_a=1.000$' ||
    bad "wrong ABSUMMARY: $(printf '%s\n' "$out" | tail -1)"

# Two builds of another allocator: found by their @A.so / @B.so names.
one_rep() { printf '{"name": "%s", "run_type": "iteration", "items_per_second": %s}' "$1" "$2"; }
printf '{"benchmarks": [%s, %s]}\n' "$(one_rep churn/mine@A.so/cap:64/real_time/threads:1 1e7)" \
    "$(one_rep churn/mine@B.so/cap:64/real_time/threads:1 2e7)" >"$dir/own.json"
out=$("$py" "$report" --peer none "$dir/own.json") || bad "two builds of 'mine' exit nonzero"
printf '%s\n' "$out" | grep -q '^churn/cap:64/t:1 *100.00 *50.00 *2.000x ' ||
    bad "two builds of 'mine': $(printf '%s\n' "$out" | grep '^churn')"

# error_case WHAT WANT FILE: the report of FILE exits nonzero with WANT on stderr.
error_case() {
    what=$1 want=$2 file=$3
    if err=$("$py" "$report" --peer idr "$file" 2>&1 >/dev/null); then
        bad "$what exits 0"
    else
        printf '%s\n' "$err" | grep -q "$want" || bad "$what: no reason given: $err"
    fi
}
# Only the peer; A and B in different cells; two allocators on one side.
printf '{"benchmarks": [%s]}\n' "$(one_rep lookup/idr/cap:64/real_time/threads:1 1e7)" >"$dir/none.json"
error_case "a run without the builds" 'want one implementation named' "$dir/none.json"
printf '{"benchmarks": [%s, %s]}\n' "$(one_rep churn/mine@A.so/cap:64/real_time/threads:1 1e7)" \
    "$(one_rep lookup/mine@B.so/cap:64/real_time/threads:1 1e7)" >"$dir/apart.json"
error_case "builds in different cells" 'no cell has both' "$dir/apart.json"
printf '{"benchmarks": [%s, %s, %s]}\n' "$(one_rep churn/mine@A.so/cap:64/real_time/threads:1 1e7)" \
    "$(one_rep churn/yours@A.so/cap:64/real_time/threads:1 1e7)" \
    "$(one_rep churn/mine@B.so/cap:64/real_time/threads:1 1e7)" >"$dir/two.json"
error_case "two allocators as A" 'want one implementation named' "$dir/two.json"
[ $status = 0 ] && echo "check_ab_report: ok"
exit $status
