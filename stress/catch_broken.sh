#!/bin/sh
# catch_broken.sh - assert that the stress harness catches a broken variant.
#
#   catch_broken.sh LIMIT_SECONDS HARNESS [HARNESS ARGS...]
#
# Runs HARNESS (a midatlas-stress built against a deliberately broken
# library) for LIMIT_SECONDS at most.  Passes only when the harness exits 1
# AND printed a VIOLATION line (a checked invariant failed, not a crash or a
# usage error) within the limit; prints the time to catch.  Any other outcome
# - the harness ran clean to the end, crashed, or hung - fails the test.
set -u
limit=$1
shift
out=$(mktemp)
trap 'rm -f "$out"' EXIT

start=$(date +%s.%N)
# The harness stops itself at the first violation; the outer timeout only
# guards against a hang (it joins or gives up within 10 s of a stop).
timeout $((${limit%.*} + 30)) "$@" --seconds "$limit" >"$out" 2>&1
rc=$?
end=$(date +%s.%N)

first=$(grep -m1 '^VIOLATION after' "$out")
if [ "$rc" -eq 1 ] && [ -n "$first" ]; then
    at=$(printf '%s\n' "$first" | sed -n 's/^VIOLATION after \([0-9.]*\) s.*/\1/p')
    ran=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f", e - s }')
    echo "CAUGHT in ${at} s (process ran ${ran} s): $first"
    grep -m1 '^VIOLATION replay' "$out"
    # Within the limit: the harness was told to run LIMIT_SECONDS, so a catch
    # is always inside it; check anyway, the line is what we report.
    awk -v a="$at" -v l="$limit" 'BEGIN { exit !(a + 0 <= l + 0) }' || {
        echo "FAIL: caught only after ${at} s (limit ${limit} s)"; exit 1; }
    exit 0
fi
echo "FAIL: the harness did not catch the broken variant within ${limit} s (exit status $rc)"
tail -n 20 "$out"
exit 1
