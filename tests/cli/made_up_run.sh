# SPDX-License-Identifier: MIT
# made_up_run.sh - sourced by the checks of the benchmark reports, which
# feed them runs written by hand: Debian's python3, a scratch directory
# removed on exit, a failure counter, and bench, one repetition of one
# benchmark as midatlas-bench's JSON writes it.  Before sourcing, set
# `check` to the check's name (bad's messages start with it).
py=/usr/bin/python3
[ -x "$py" ] || py=python3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
status=0
bad() { echo "$check: $*" >&2; status=1; }

# bench NAME ITEMS_PER_SECOND: one repetition of one benchmark.
bench() {
    printf '    {"name": "%s", "run_name": "%s", "run_type": "iteration", "items_per_second": %s},\n' \
        "$1" "$1" "$2"
}
