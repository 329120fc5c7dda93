#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tools/9p-bench.sh - the 9P transport benchmark (not a test).
#
# Starts diod on a free 127.0.0.1 port with a temporary export (stopped on
# exit, whatever happens), then:
#   1. runs midatlas-9p-load at 1, 2 and 4 client threads with midatlas and
#      the mutex baseline tag table in the same run (--atlas both, alternating
#      rounds, each atlas first in turn), printing a ROUND line per round (the
#      spread is the noise floor), one SUMMARY line per atlas and a RATIO line;
#   2. runs the client under valgrind --tool=callgrind, 1 thread, once per
#      atlas, counting only the client's threads, and prints instructions per
#      request and, for midatlas, the share spent in midatlas_* functions and
#      in all of the library's src/ (callgrind_annotate self costs).
#
# Usage: tools/9p-bench.sh [BUILD_DIR]   (default build/; needs midatlas-9p-load
#        built there).  Env: SECONDS_PER_RUN (2), ROUNDS (2), INFLIGHT (8),
#        OP (getattr|read, default getattr), CALLGRIND_SECONDS (2).
# On a shared 2-core machine absolute numbers are noise; read the ratios.
# Exit: 0 done, 1 a load run failed (its connection died), 2 usage error or
# something missing (the tool, diod).
set -euo pipefail

usage() {
    cat <<'USAGE'
usage: tools/9p-bench.sh [BUILD_DIR]
  Runs midatlas-9p-load against a private diod at 1, 2 and 4 threads with
  midatlas and the mutex tag table (--atlas both), then callgrind per atlas.
  BUILD_DIR: where midatlas-9p-load was built (default: build/)
  Env: SECONDS_PER_RUN (2), ROUNDS (2), INFLIGHT (8), OP (getattr|read),
       CALLGRIND_SECONDS (2).  diod: tools/install-deps.sh transport
USAGE
}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=
for arg in "$@"; do
    case $arg in
    -h | --help) usage; exit 0 ;;
    -*) echo "9p-bench: unknown option $arg" >&2
        echo "Try 'tools/9p-bench.sh --help'." >&2
        exit 2 ;;
    *) if [ -n "$build" ]; then
           echo "9p-bench: one BUILD_DIR only (got $build and $arg)" >&2
           echo "Try 'tools/9p-bench.sh --help'." >&2
           exit 2
       fi
       build=$arg ;;
    esac
done
build=${build:-$root/build}
load=$build/tools/midatlas-9p-load
secs=${SECONDS_PER_RUN:-2}
rounds=${ROUNDS:-2}
inflight=${INFLIGHT:-8}
op=${OP:-getattr}
cg_secs=${CALLGRIND_SECONDS:-2}

[ -x "$load" ] || {
    echo "9p-bench: $load not built" >&2
    echo "Try 'cmake --build $build --target midatlas-9p-load', or 'tools/9p-bench.sh --help'." >&2
    exit 2
}
diod=$(command -v diod || echo /usr/sbin/diod)
[ -x "$diod" ] || { echo "9p-bench: diod not installed (tools/install-deps.sh transport)" >&2; exit 2; }

tmp=$(mktemp -d /tmp/midatlas-9p-bench-XXXXXX)
diod_pid=
cleanup() {
    if [ -n "$diod_pid" ]; then
        kill "$diod_pid" 2>/dev/null || true
        wait "$diod_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

mkdir "$tmp/export"
head -c 1048576 /dev/urandom >"$tmp/export/data"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
diod_args=(-f -n -c /dev/null -l "127.0.0.1:$port" -e "$tmp/export" -L "$tmp/diod.log")
[ "$(id -u)" = 0 ] || diod_args+=(-u "$(id -u)")
"$diod" "${diod_args[@]}" &
diod_pid=$!
for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done

common=(--server "127.0.0.1:$port" --aname "$tmp/export" --op "$op" --inflight "$inflight")
[ "$op" = read ] && common+=(--file data)

echo "== load: op=$op inflight=$inflight seconds=$secs x $rounds rounds per atlas, $(nproc) CPUs"
for t in 1 2 4; do
    "$load" "${common[@]}" --threads "$t" --seconds "$secs" --rounds "$rounds" --atlas both
done

echo "== callgrind: 1 thread, $cg_secs s per atlas; only the client threads are counted"
echo "   (--toggle-collect: worker_main + p9_receiver_main; user-space instructions only)"
if ! command -v valgrind >/dev/null; then
    echo "9p-bench: valgrind not installed; skipping the instruction counts" >&2
    exit 0
fi
for atlas in midatlas mutex; do
    out=$tmp/callgrind.$atlas
    summary=$(valgrind --tool=callgrind --callgrind-out-file="$out" \
        --toggle-collect=worker_main --toggle-collect=p9_receiver_main \
        "$load" "${common[@]}" --threads 1 --seconds "$cg_secs" --atlas "$atlas" \
        2>"$tmp/valgrind.$atlas.log" | grep SUMMARY)
    echo "$summary"
    requests=$(sed -n 's/.* requests=\([0-9]*\).*/\1/p' <<<"$summary")
    callgrind_annotate --threshold=100 "$out" 2>/dev/null >"$tmp/annotate.$atlas"
    # Self cost per function.  Two sums: the public midatlas_* entry points,
    # and everything compiled from the library's src/ (its static helpers,
    # e.g. the free-list code, are not named midatlas_*), against the total.
    awk -v root="$root/" -v atlas="$atlas" -v requests="$requests" '
        /PROGRAM TOTALS/ { v = $1; gsub(",", "", v); total = v; next }
        /=>/ { next }                   # call-tree lines are inclusive: skip
        /^ *[0-9,]+ +\([ 0-9.]+%\) / {
            v = $1; gsub(",", "", v)
            if (!match($0, /[^ ]+:[A-Za-z_0-9]+( |$)/)) next
            loc = substr($0, RSTART, RLENGTH); sub(/ $/, "", loc); sub("^" root, "", loc)
            split(loc, part, ":")
            if (part[1] ~ /^src\//) { lib += v; fn[part[2]] += v }
            if (part[2] ~ /^midatlas_/) pub += v
            if (part[1] ~ /^bench\/impls\//) impl += v
        }
        END {
            if (atlas == "midatlas")
                for (f in fn) printf "  %-28s %12d Ir\n", f, fn[f]
            printf "CALLGRIND atlas=%s requests=%d total_Ir=%d Ir_per_request=%.0f", atlas, \
                requests, total, requests ? total / requests : 0
            if (atlas == "midatlas")
                printf " midatlas_fn_Ir=%d (%.2f%%) midatlas_src_Ir=%d (%.2f%%)", pub, \
                    total ? 100 * pub / total : 0, lib, total ? 100 * lib / total : 0
            else
                printf " impl_src_Ir=%d (%.2f%%, pthread_mutex calls not included)", impl, \
                    total ? 100 * impl / total : 0
            printf "\n"
        }' "$tmp/annotate.$atlas"
done
