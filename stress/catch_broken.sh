#!/bin/sh
# SPDX-License-Identifier: MIT
# catch_broken.sh - assert that the stress harness catches a broken variant
# within a budget of operations, whatever the load on the machine.
#
#   catch_broken.sh [--control] [--parallel] OPS HARNESS [HARNESS ARGS...]
#
# Runs HARNESS ARGS --ops OPS: the threads stop after OPS operations (or at
# the first violation).  Passes only when the harness exits 1 AND printed a
# VIOLATION line (a checked invariant failed, not a crash or a usage error);
# prints the operations and the time it took.  Any other outcome - the
# harness ran the whole budget clean, crashed, or hung - fails the test.
#
# Why operations and not seconds: a busy machine runs fewer operations per
# second, so a time limit turns load into failures (stress.catches.broken2-chaos
# caught its bug at 10.009 s of a 10 s limit on a loaded 2-core machine).
# The same number of operations, with the same stalls injected, finds the bug
# however slowly they run.  The wall-clock guard below only catches a hang.
#
# --control: the same run against a correct build must NOT catch anything:
# passes when the harness ran the whole budget clean (exit 0), i.e. when the
# catch test would fail without the bug.
#
# --parallel: the bug is a race that wants threads running at once; exit 77
# (skipped) where this process may run on fewer than two CPUs (taskset, a
# cpuset), since one CPU interleaves threads only at preemptions.  Pinned
# to one CPU, the catches of broken1, broken1-reassoc, broken4 and
# broken4-solo ran their whole budgets clean (2026-12-05); broken2 (with
# its injected stops) and broken3 were caught there all the same.  A
# control never skips.
set -u
control=0
parallel=0
while :; do
    case "${1:-}" in
    --control) control=1 ;;
    --parallel) parallel=1 ;;
    *) break ;;
    esac
    shift
done
ops=$1
shift
if [ "$control" -eq 0 ] && [ "$parallel" -eq 1 ] && [ "$(nproc)" -lt 2 ]; then
    echo "skipped: fewer than two CPUs to run the racing threads at once"
    exit 77
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT

# Hang guard only: far beyond what the budget takes on a machine 4x slower
# than a loaded CI runner.
guard=${CATCH_GUARD_S:-800}
start=$(date +%s.%N)
timeout "$guard" "$@" --ops "$ops" --seconds "$guard" >"$out" 2>&1
rc=$?
end=$(date +%s.%N)
ran=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f", e - s }')

first=$(grep -m1 '^VIOLATION after' "$out")
summary=$(grep -m1 '^SUMMARY' "$out")
if [ "$control" -eq 1 ]; then
    if [ "$rc" -eq 0 ] && [ -z "$first" ]; then
        echo "NOT CAUGHT, as it must be without the bug: ${ops} ops clean in ${ran} s"
        echo "$summary"
        exit 0
    fi
    echo "FAIL: the correct build did not run its ${ops} ops clean (exit status $rc)"
    tail -n 20 "$out"
    exit 1
fi
if [ "$rc" -eq 1 ] && [ -n "$first" ]; then
    at=$(printf '%s\n' "$first" | sed -n 's/^VIOLATION after \([0-9.]*\) s, \([0-9]*\) ops.*/\2 ops, \1 s/p')
    echo "CAUGHT after ${at} (budget ${ops} ops; process ran ${ran} s): $first"
    grep -m1 '^VIOLATION replay' "$out"
    exit 0
fi
echo "FAIL: the harness did not catch the broken variant within ${ops} ops (exit status $rc, ran ${ran} s)"
tail -n 20 "$out"
exit 1
