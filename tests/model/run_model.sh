#!/bin/sh
# SPDX-License-Identifier: MIT
# run_model.sh SPIN CC MODEL NAME EXPECT [-DNAME=VALUE ...]
#
# One exhaustive spin run of MODEL with the given defines, in ./NAME/:
# spin -a, cc pan.c (-DSAFETY: assertions and invalid end states, no
# liveness; -DCOLLAPSE: lossless state compression; -DMEMLIM=1024 MB;
# $MODEL_CFLAGS, default -O2: small models and mutants, which stop at their
# first error, compile much faster with -O0), ./pan.  Prints pan's figures
# and a line
#   MODEL SUMMARY name=NAME expect=EXPECT errors=E states=S seconds=T
# EXPECT "verified": passes only if the search completed with no error.
# EXPECT "violation": passes only if pan found an error (an assertion
# violated, or an invalid end state: a process blocked for good); the
# counterexample is replayed (spin -t) and its printf trace shown.
set -eu
spin=$1 cc=$2 model=$3 name=$4 expect=$5
shift 5

rm -rf "$name"
mkdir -p "$name"
cd "$name"
cp "$model" model.pml
"$spin" -a "$@" model.pml >spin.out 2>&1 || { cat spin.out; exit 1; }
"$cc" ${MODEL_CFLAGS:--O2} -w -DSAFETY -DCOLLAPSE -DMEMLIM=1024 -o pan pan.c
start=$(date +%s)
./pan -m1000000 >pan.out 2>&1 || true
secs=$(( $(date +%s) - start ))

grep -E 'State-vector|states, stored|transitions|total actual memory|elapsed time|assertion violated|pan:.*invalid end state' pan.out || true
errors=$(sed -n 's/.*errors: \([0-9]*\).*/\1/p' pan.out | head -n 1)
states=$(sed -n 's/^ *\([0-9][0-9.e+]*\) states, stored.*/\1/p' pan.out | head -n 1)
echo "MODEL SUMMARY name=$name expect=$expect errors=${errors:-?} states=${states:-?} seconds=$secs defines=$*"

case "$expect" in
verified)
    # pan stops at the first error, so only an error-free run can be
    # incomplete for want of memory or depth; that proves nothing.
    if grep -qE 'reached -DMEMLIM|max search depth too small|Search not completed' pan.out; then
        echo "model: search incomplete (memory or depth bound) - not a verification"
        exit 1
    fi
    [ "$errors" = 0 ] && exit 0
    echo "model: $name must verify but pan found an error; counterexample:"
    "$spin" -t "$@" model.pml 2>&1 | grep -E '^ *P[0-9]|assertion' | tail -n 40
    exit 1 ;;
violation)
    if [ -n "$errors" ] && [ "$errors" -gt 0 ] && [ -f model.pml.trail ]; then
        echo "model: the mutant fails, as it must; counterexample (spin -t):"
        "$spin" -t "$@" model.pml 2>&1 | grep -E '^ *P[0-9]|assertion|^ *[0-9]+:\s+proc ' | tail -n 40
        exit 0
    fi
    echo "model: the mutant $name verified: the model no longer catches this bug"
    exit 1 ;;
*)
    echo "run_model.sh: EXPECT must be verified or violation"; exit 2 ;;
esac
