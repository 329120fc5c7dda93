#!/bin/sh
# SPDX-License-Identifier: MIT
# stress-loop.sh - repeat the stress tier (or one harness command) until the
# first failure, for long unattended runs.
#
#   tools/stress-loop.sh [-b BUILD_DIR] [-t SECONDS] [-n RUNS] [-- COMMAND ARGS...]
#
#   -b BUILD_DIR  a configured and built tree (default: build); the default
#                 command is `ctest --test-dir BUILD_DIR -L stress`
#   -t SECONDS    stop starting new runs after SECONDS (default: no limit)
#   -n RUNS       stop after RUNS runs (default: no limit)
#   -h, --help    this text;  --version  the midatlas version
#   -- COMMAND    repeat COMMAND instead, e.g.
#                 -- build/stress/midatlas-stress --impl all --impl build/plugins/idr.so \
#                    --workload all --seconds 5
#
# Every run's output goes to a log; the SUMMARY lines in it (one per harness
# run, from midatlas-stress) are summed.  Stops at the first failing run and
# keeps its log.  Prints: runs, harness runs, total operations, violations,
# elapsed time.  Exit status: 0 when every run passed, 1 at a failure, 2 usage.
set -u

# One line on stderr, a hint, exit 2: what a bad command line gets.
usage_error() {
    echo "stress-loop.sh: $1 (try 'tools/stress-loop.sh --help')" >&2
    exit 2
}

# number OPTION VALUE: VALUE is a whole number of seconds or runs.
number() {
    case "$2" in
    ''|*[!0-9]*) usage_error "$1 needs a whole number, not '$2'" ;;
    esac
}

build=build
limit_s=0
limit_runs=0
while [ $# -gt 0 ]; do
    case "$1" in
    -b) [ $# -ge 2 ] || usage_error "-b needs a build tree"; build=$2; shift 2 ;;
    -t) [ $# -ge 2 ] || usage_error "-t needs a number"; number -t "$2"; limit_s=$2; shift 2 ;;
    -n) [ $# -ge 2 ] || usage_error "-n needs a number"; number -n "$2"; limit_runs=$2; shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,/^set -u/{/^set -u/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
    --version)
        echo "tools/stress-loop.sh (midatlas $(sed -n 's/^#define MIDATLAS_VERSION "\(.*\)"$/\1/p' \
            "$(dirname "$0")/../include/midatlas/version.h"))"
        exit 0 ;;
    -*) usage_error "unknown option '$1'" ;;
    *) usage_error "unexpected argument '$1' (a command goes after --)" ;;
    esac
done
if [ $# -eq 0 ]; then
    [ -d "$build" ] || { echo "stress-loop.sh: no build tree at $build (use -b)" >&2; exit 2; }
    # ctest -V shows the harness's SUMMARY lines, which are what we sum;
    # --no-tests=error: a tree without stress tests is a failure, not a pass.
    set -- ctest --test-dir "$build" -L stress -V --no-tests=error
fi

log=$(mktemp "${TMPDIR:-/tmp}/stress-loop.XXXXXX")
start=$(date +%s)
runs=0
summaries=0
ops=0
violations=0
status=0

report() {
    now=$(date +%s)
    printf 'STRESS-LOOP runs=%d harness_runs=%d ops=%s violations=%s elapsed_s=%d status=%s\n' \
        "$runs" "$summaries" "$ops" "$violations" $((now - start)) "$1"
}

# Ctrl-C is how an unlimited run ends: report what ran, leave no log.
trap 'rm -f "$log"; report INTERRUPTED; exit 130' INT TERM

while :; do
    if [ "$limit_runs" -gt 0 ] && [ "$runs" -ge "$limit_runs" ]; then break; fi
    if [ "$limit_s" -gt 0 ] && [ $(($(date +%s) - start)) -ge "$limit_s" ]; then break; fi
    "$@" >"$log" 2>&1
    rc=$?
    runs=$((runs + 1))
    # Sum ops= and violations= of every SUMMARY line (awk: 64-bit floats are
    # exact up to 2^53 operations, far beyond any run).
    set_vals=$(awk '/SUMMARY impl=/ {
                       for (i = 1; i <= NF; i++) {
                           if ($i ~ /^ops=/) { sub(/^ops=/, "", $i); o += $i }
                           if ($i ~ /^violations=/) { sub(/^violations=/, "", $i); v += $i }
                       }
                       n++
                   }
                   END { printf "%d %.0f %d", n, o, v }' "$log")
    n=${set_vals%% *}
    rest=${set_vals#* }
    o=${rest%% *}
    v=${rest#* }
    summaries=$((summaries + n))
    ops=$(awk -v a="$ops" -v b="$o" 'BEGIN { printf "%.0f", a + b }')
    violations=$((violations + v))
    echo "run $runs: exit $rc, $n harness runs, $o operations" >&2
    if [ "$rc" -ne 0 ]; then
        keep="${log}.failed"
        mv "$log" "$keep"
        echo "run $runs FAILED (exit $rc); its output: $keep" >&2
        grep -m5 'VIOLATION' "$keep" >&2
        status=1
        report FAILED
        exit 1
    fi
done
rm -f "$log"
report PASSED
exit $status
