#!/bin/sh
# SPDX-License-Identifier: MIT
# check_report.sh BENCH_REPORT
# tools/bench-report.py on a made-up run: a cell's value is the median of its
# repetitions (one slow repetition of three must not move it), every cell
# where midatlas is behind the best other gets a BEHIND line with both
# sides' repetitions and whether they lie apart, and the SUMMARY line gives
# the per-cell minimum, its cell, the count behind and how many of those
# lie apart.
set -u
report=$1
check=check_report
# shellcheck source=made_up_run.sh
. "$(dirname "$0")/made_up_run.sh"
{
    printf '{"context": {"implementations": "midatlas,mutex,idr", "host_name": "h", "num_cpus": 2,\n'
    printf '  "cpu_model": "\\"Some CPU\\" family 6 model 207"},\n "benchmarks": [\n'
    # churn 64, 1 thread: midatlas 30, 30 and a slow 3 (median 30, mean 21);
    # idr 25 three times (midatlas ahead by the median, behind by the mean).
    for v in 30e6 3e6 30e6; do bench churn/midatlas/cap:64/real_time/threads:1 "$v"; done
    for v in 25e6 25e6 25e6; do bench churn/idr/cap:64/real_time/threads:1 "$v"; done
    for v in 10e6 10e6 10e6; do bench churn/mutex/cap:64/real_time/threads:1 "$v"; done
    # lookup 64, 2 threads: midatlas 8 against idr 10: behind, ratio 0.8.
    for v in 8e6 8e6 9e6; do bench lookup/midatlas/cap:64/real_time/threads:2 "$v"; done
    for v in 10e6 11e6 10e6; do bench lookup/idr/cap:64/real_time/threads:2 "$v"; done
    for v in 2e6 2e6 2e6; do bench lookup/mutex/cap:64/real_time/threads:2 "$v"; done
    # window 64, 2 threads: midatlas 9, 11, 9.5 against idr 10 three times:
    # behind by the medians (0.95), yet one repetition was ahead: overlap.
    for v in 9e6 11e6 9.5e6; do bench window/midatlas/cap:64/real_time/threads:2 "$v"; done
    for v in 10e6 10e6 10e6; do bench window/idr/cap:64/real_time/threads:2 "$v"; done
    for v in 2e6 2e6 2e6; do bench window/mutex/cap:64/real_time/threads:2 "$v"; done
    # pipeline 64, 1 thread: one repetition a side, midatlas 4 against idr 5.
    bench pipeline/midatlas/cap:64/real_time/threads:1 4e6
    bench pipeline/idr/cap:64/real_time/threads:1 5e6
    bench pipeline/mutex/cap:64/real_time/threads:1 1e6
    printf '    {"name": "churn/midatlas/cap:64/real_time/threads:1_mean", "run_type": "aggregate", "items_per_second": 1}\n'
    printf ' ]}\n'
} >"$dir/run.json"

out=$("$py" "$report" "$dir/run.json") || bad "exits $? on a good run"
printf '%s\n' "$out" | grep -q 'median of 3 repetitions' || bad "the header does not say median of 3"
# The CPU is named next to the figures.
printf '%s\n' "$out" | grep -q '^midatlas contention benchmark: h, "Some CPU" family 6 model 207, 2 CPUs' ||
    bad "the header does not name the CPU: $(printf '%s\n' "$out" | head -1)"
# The churn cell: 30M (3.00x the mutex), not the mean's 21M (2.10x).
printf '%s\n' "$out" | grep -E '^1 ' | grep -q '30M (3.00x)' ||
    bad "churn 64 at 1 thread is not the median 30M (3.00x): $(printf '%s\n' "$out" | grep -E '^1 ')"
# Each BEHIND line gives both sides' repetitions (slowest..fastest) and
# whether they lie apart (every repetition of midatlas behind), overlap, or
# are single (one repetition a side).
want_behind='BEHIND window/cap:64/threads:2/vs:idr 0.95 midatlas=9M..11M idr=10M..10M overlap
BEHIND pipeline/cap:64/threads:1/vs:idr 0.8 midatlas=4M..4M idr=5M..5M single
BEHIND lookup/cap:64/threads:2/vs:idr 0.8 midatlas=8M..9M idr=10M..11M apart'
behind=$(printf '%s\n' "$out" | grep '^BEHIND')
[ "$behind" = "$want_behind" ] ||
    bad "BEHIND lines: '$behind', want '$want_behind'"
summary=$(printf '%s\n' "$out" | grep '^SUMMARY')
for want in midatlas_vs_best_other_min=0.8 worst_cell=pipeline/cap:64/threads:1/vs:idr behind=3 \
            behind_apart=1 errors=0 midatlas_vs_mutex_geomean=3.89; do
    case " $summary " in
        *" $want "*) ;;
        *) bad "SUMMARY lacks $want: $summary" ;;
    esac
done

# Several processes of one run (tools/bench.sh --processes): the same
# repetitions split over two files give the same cells and SUMMARY, the
# header says from how many processes, and --pooled-json writes them back
# as one run that reports the same again.
"$py" - "$dir/run.json" "$dir/p1.json" "$dir/p2.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
rows = doc["benchmarks"]
for k, path in enumerate(sys.argv[2:]):
    json.dump({"context": doc["context"], "benchmarks": rows[k::2]}, open(path, "w"))
PY
pooled=$("$py" "$report" "$dir/p1.json" "$dir/p2.json" --pooled-json "$dir/pooled.json") ||
    bad "exits $? on two files of one run"
printf '%s\n' "$pooled" | grep -q 'median of 3 repetitions from 2 processes' ||
    bad "the pooled header does not say 2 processes: $(printf '%s\n' "$pooled" | sed -n 2p)"
[ "$(printf '%s\n' "$pooled" | sed 1,2d)" = "$(printf '%s\n' "$out" | sed 1,2d)" ] ||
    bad "two files of one run report other cells than the one file"
again=$("$py" "$report" "$dir/pooled.json") || bad "exits $? on the pooled JSON"
[ "$again" = "$pooled" ] || bad "the pooled JSON reports otherwise than its two files"

# The cross-CPU trip that midatlas-bench measures as a process starts
# (bench/harness/trip.h) is named under the CPU: one process's, or each
# process's in a pooled run (and again from the pooled JSON); a run
# without it has no such line.
"$py" - "$dir/run.json" "$dir/t1.json" "$dir/t2.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
for path, ns in zip(sys.argv[2:], ("52", "231")):
    ctx = dict(doc["context"], cross_cpu_trip_ns=ns, cross_cpu_trip_cpus="0,1")
    json.dump({"context": ctx, "benchmarks": doc["benchmarks"]}, open(path, "w"))
PY
printf '%s\n' "$out" | grep -q 'cross-CPU' && bad "a run without a trip names one"
want='cross-CPU trip at the start (one way, CPUs 0 and 1): 52 ns'
got=$("$py" "$report" "$dir/t1.json" | sed -n 2p)
[ "$got" = "$want" ] || bad "one process's trip: '$got', want '$want'"
want='cross-CPU trip at the start of each process (one way, CPUs 0 and 1): 52, 231 ns'
got=$("$py" "$report" "$dir/t1.json" "$dir/t2.json" --pooled-json "$dir/tp.json" | sed -n 2p)
[ "$got" = "$want" ] || bad "two processes' trips: '$got', want '$want'"
got=$("$py" "$report" "$dir/tp.json" | sed -n 2p)
[ "$got" = "$want" ] || bad "the pooled JSON's trips: '$got', want '$want'"
exit "$status"
