#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench.sh - build a Release tree from scratch and run midatlas-bench, the
# contention benchmark: midatlas against the mutex baseline (compiled in) and
# every peer plugin the tree builds (build/.../plugins/*.so: idr, idr-cyclic,
# sbitmap, and with CK and liburcu ck-spin, ck-stack, urcu-lfs), plus any
# --impl.
#
#   tools/bench.sh                  main run (churn, window, pipeline, lookup;
#                                   every implementation; threads 1 2 4 8;
#                                   capacities 64 and 4096; min_time 0.05 s;
#                                   3 repetitions, the table takes their
#                                   median): 256 benchmarks (8
#                                   implementations), about 5 min on a
#                                   2-core VM, the build included
#   tools/bench.sh --long           every workload, capacities 64 and 4096,
#                                   min_time 0.5 s, one repetition each
#                                   (704 benchmarks with the
#                                   lookup diagnostics: about 20
#                                   minutes)
#   tools/bench.sh --compare A.json B.json
#                                   Google Benchmark's compare.py on two runs
#                                   (time per iteration; a run marked cut=1 hit
#                                   its budget and its time is not comparable:
#                                   use the items/s of the tables for those)
# Options:
#   --impl NAME|PATH.so  also measure this plugin (repeatable; e.g. your own
#                     allocator, include/midatlas/harness.h)
#   --no-peers        only midatlas, the mutex and the --impl plugins
#   --filter REGEX    benchmarks to run (Google Benchmark --benchmark_filter)
#   --min-time S      seconds per benchmark (a plain number: 0.05)
#   --threads LIST    thread counts, comma-separated (default 1,2,4,8; on a
#                     machine with 16 cores 1,2,4,8,16 shows the scaling)
#   --repetitions N   repeat each benchmark N times (default 3; the table
#                     takes their median)
#                     The runs (and repetitions) go in random order: on a VM
#                     whose speed changes for minutes at a time, running one
#                     implementation's cells back to back biased whole
#                     columns; in random order a change is noise in every
#                     column instead.
#   --run-budget S    cap on the wall time of one run (default: 4 x min_time,
#                     at least 0.5 s); a collapsing peer (a spin lock with
#                     more threads than cores) is measured over that time
#                     and marked cut=1 in the JSON
#   --processes N     run the benchmark in N processes, one after the other,
#                     and pool their repetitions (default 1): where the
#                     loader and the allocator put each implementation's
#                     code and data changes from process to process and
#                     moved lookup at one thread by up to 15%
#                     (bench/RESULTS.md, "Function placement in the main job");
#                     N processes average that as the repetitions average a
#                     slow minute.  N times the wall time;
#                     out/bench-<stamp>-p<K>.json are the processes',
#                     out/bench-<stamp>.json the pooled run
#   --build-dir DIR   build tree (default build/bench-release)
#   --out DIR         results (default out/)
#   --no-clean        reuse the build tree instead of rebuilding it
#   --no-deps         do not run tools/install-deps.sh
#   -h, --help        this text;  --version  the midatlas version
# Environment: MIDATLAS_RSEQ=0 measures midatlas (and its plugin) without
# the rseq claim path, claiming by CAS (README, "Design");
# MIDATLAS_PREFETCH=0 without the claims' prefetch (bench/RESULTS.md,
# "Prefetching the claims"); the mutex and the peers are the same either way.
#
# Writes out/bench-<UTC timestamp>.json (+ .txt console log) and copies them to
# out/bench-latest.json; prints a table (workload x threads x implementation:
# items/s and the ratio to the mutex of the same workload/capacity/threads);
# plots out/bench-latest.png (throughput against threads, one line per
# implementation, one panel per workload and capacity) with gnuplot.
# Throughput is only comparable within one run on one machine: read ratios.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build/bench-release
out=$root/out
# Debian's interpreter: the python3 first on PATH may be another one that
# cannot see Debian's packages (compare.py needs python3-scipy).
py=/usr/bin/python3

usage() {
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
}

# One line on stderr, a hint, exit 2: what a bad command line gets.
usage_error() {
    echo "bench.sh: $1 (try 'tools/bench.sh --help')" >&2
    exit 2
}

# need OPTION ARGC [N]: the option takes N values (default 1).
need() {
    [ "$2" -gt "${3:-1}" ] || usage_error "$1 needs ${3:-1} value(s)"
}

filter='^(churn|window|pipeline|lookup)/[^/]+/cap:(64|4096)/'
min_time=0.05
repetitions=3
processes=1
threads_flag=()
run_budget=
clean=1
deps=1
compare=()
impls=()
peers=1
while [ $# -gt 0 ]; do
    case "$1" in
        --impl) need "$1" $#; impls+=(--impl "$2"); shift ;;
        --no-peers) peers=0 ;;
        --long) filter='.'; min_time=0.5; repetitions=1 ;;
        --filter) need "$1" $#; filter=$2; shift ;;
        --min-time) need "$1" $#; min_time=$2; shift ;;
        --threads) need "$1" $#; threads_flag=(--threads="$2"); shift ;;
        --repetitions) need "$1" $#; repetitions=$2; shift ;;
        --processes) need "$1" $#; processes=$2; shift ;;
        --run-budget) need "$1" $#; run_budget=$2; shift ;;
        --build-dir) need "$1" $#; build=$2; shift ;;
        --out) need "$1" $#; out=$2; shift ;;
        --no-clean) clean=0 ;;
        --no-deps) deps=0 ;;
        --compare) need "$1" $# 2; compare=("$2" "$3"); shift 2 ;;
        -h|--help) usage; exit 0 ;;
        --version)
            echo "tools/bench.sh (midatlas $(sed -n 's/^#define MIDATLAS_VERSION "\(.*\)"$/\1/p' \
                "$root/include/midatlas/version.h"))"
            exit 0 ;;
        -*) usage_error "unknown option '$1'" ;;
        *) usage_error "unexpected argument '$1'" ;;
    esac
    shift
done

install_deps() {
    [ "$deps" = 1 ] || return 0
    "$root/tools/install-deps.sh" "$@"
}

case "$processes" in
    ''|*[!0-9]*|0) usage_error "--processes needs a positive number" ;;
esac

# ------------------------------------------------------------------ compare
if [ ${#compare[@]} -eq 2 ]; then
    install_deps base bench
    if ! "$py" -c 'import scipy' 2>/dev/null; then
        # compare.py's U test needs scipy; not in install-deps.sh's sets.
        if [ "$deps" = 1 ]; then
            sudo_=(); [ "$(id -u)" = 0 ] || sudo_=(sudo)
            "${sudo_[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
                --no-install-recommends python3-scipy
        else
            echo "bench.sh: $py cannot import scipy (Debian: python3-scipy)" >&2
            exit 1
        fi
    fi
    compare_py=$(dpkg -L libbenchmark-tools 2>/dev/null | grep '/benchmark/compare\.py$' | head -n1 || true)
    compare_py=${compare_py:-/usr/share/benchmark/compare.py}
    color=(); [ -t 1 ] || color=(--no-color)
    exec "$py" "$compare_py" "${color[@]}" benchmarks "${compare[0]}" "${compare[1]}"
fi

# -------------------------------------------------------------------- build
install_deps base plot
if [ "$clean" = 1 ]; then
    rm -rf "$build"
fi
generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
if [ ! -f "$build/CMakeCache.txt" ]; then
    mkdir -p "$build"
    # Every C function on a cache line of its own, in midatlas and in every
    # peer alike: where the linker put the functions of a MID cycle moved
    # lookup at one thread by about 10% (the compiled-in midatlas 39 to 40
    # ns against its plugin's 35 in the same processes; bench/RESULTS.md,
    # "Function placement in the main job").
    cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_C_FLAGS=-falign-functions=64 \
        -DMIDATLAS_BUILD_BENCH=ON -DMIDATLAS_BUILD_TESTS=OFF >"$build/configure.log" 2>&1 || {
        cat "$build/configure.log" >&2
        exit 1
    }
fi
jobs=$(nproc 2>/dev/null || echo 2)
# The program and the peers' plugins (midatlas-plugins: every installable one).
cmake --build "$build" --target midatlas-bench midatlas-plugins -j "$jobs"
if [ "$peers" = 1 ]; then
    for so in "$build"/plugins/*.so; do
        name=$(basename "$so" .so)
        # midatlas and mutex are compiled into midatlas-bench already.
        [ "$name" = midatlas ] || [ "$name" = mutex ] || impls+=(--impl "$so")
    done
fi

# ---------------------------------------------------------------------- run
mkdir -p "$out"
if [ -z "$run_budget" ]; then
    run_budget=$(awk -v t="$min_time" 'BEGIN { b = 4 * t; if (b < 0.5) b = 0.5; print b }')
fi
stamp=$(date -u +%Y%m%dT%H%M%SZ)
json=$out/bench-$stamp.json
log=$out/bench-$stamp.txt
echo "bench.sh: filter '$filter', min_time $min_time s, run budget $run_budget s," \
     "repetitions $repetitions, processes $processes -> $json"
started=$(date +%s)
: >"$log"
runs=()
for k in $(seq "$processes"); do
    run=$json
    [ "$processes" = 1 ] || run=$out/bench-$stamp-p$k.json
    "$build/bench/midatlas-bench" "${impls[@]}" ${threads_flag[@]+"${threads_flag[@]}"} \
        --benchmark_filter="$filter" \
        --benchmark_min_time="$min_time" \
        --benchmark_repetitions="$repetitions" \
        --benchmark_enable_random_interleaving=true \
        --run_budget="$run_budget" \
        --benchmark_out="$run" --benchmark_out_format=json 2>&1 | tee -a "$log"
    runs+=("$run")
done
echo "bench.sh: benchmark ran $(( $(date +%s) - started )) s"

# -------------------------------------------------------------- table, plot
# The same rendering as midatlas-bench --report (bench-report.py --png);
# several processes' runs are pooled into $json first.
pooled=()
[ "$processes" = 1 ] || pooled=(--pooled-json "$json")
"$py" "$root/tools/bench-report.py" "${runs[@]}" "${pooled[@]}" --png "$out/bench-latest.png" \
    | tee "$out/bench-latest-table.txt" || status=$?
[ ! -f "$json" ] || cp "$json" "$out/bench-latest.json"
cp "$log" "$out/bench-latest.txt"
echo "bench.sh: results $json (also $out/bench-latest.json)"
exit "${status:-0}"
