#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench-ab.sh - compare two builds of the library (or of any allocator's
# plugin, --so) side by side in the same benchmark processes: each build's
# plugin and a peer, every cell in random interleaving, over several
# processes.
#
# Why: two builds measured in two processes differ by where the linker and
# the loader put their code and by the minutes the VM ran slow between
# them, often by more than the change measured (the same binary ran lookup
# at 33 and 42 ns in two processes; bench/RESULTS.md, "Measuring a change to
# the sweep").  In one process a slow phase falls on both builds and on the
# peer alike; over several processes, with the load order alternating, where
# each copy landed averages out.
#
#   tools/bench-ab.sh REV_A [REV_B]   build the midatlas plugin of git
#                                     revision REV_A and of REV_B (default:
#                                     the working tree, uncommitted changes
#                                     included), then compare them
#   tools/bench-ab.sh --so A.so B.so  compare two plugins already built:
#                                     two of midatlas (a build tree's
#                                     BUILD/plugins/midatlas.so), or two
#                                     builds of your own allocator (their
#                                     tables give one name; README, "Test
#                                     and benchmark your own allocator")
# Options:
#   --workloads RE   workloads (default 'lookup|churn|window')
#   --caps RE        capacities (default '64|4096')
#   --threads RE     thread counts (default 1)
#   --peer NAME      the peer measured beside them (default idr; 'none')
#   --repetitions N  repetitions of every cell in each process (default 5)
#   --layouts L      build each revision in L code layouts (default 4): a
#                    pad of 0, 528, 1056... bytes linked ahead of the
#                    library moves all of its code, as another change to
#                    the tree would (--so: one layout, the plugins' own).
#                    Every build aligns its functions to 64 bytes, as the
#                    main job's does (tools/bench.sh)
#   --processes N    processes (default 2 x L, at least 4): process p runs
#                    layout (p - 1) mod L, A loaded first in the first L
#                    processes, B in the next L: two copies of one plugin
#                    file ran 3 to 10% apart in one process, the faster one
#                    changing from process to process
#   --min-time S     seconds per repetition (default 0.1)
#   --out DIR        results (default out/ab): LN/A.so and LN/B.so (layout
#                    N), ab-P.json (one a process), ab.txt
#   --build-dir DIR  the tree whose midatlas-bench runs them and whose peer
#                    plugin is measured (default build/bench-release)
#   --no-build       run that tree's programs as they are (no cmake)
#   --no-deps        do not run tools/install-deps.sh
#   -h, --help       this text;  --version  the midatlas version
# Prints one line per cell: the medians of all processes' repetitions in ns
# per item (A, B, the peer), B's speed-up over A (A's time / B's time, above
# 1: B is faster), in how many processes B's median beat A's, whether every
# repetition of the faster one beat every repetition of the other (apart)
# or not (overlap), and each build against the peer.  Wall time: processes x
# cells x 3 x repetitions x min-time (lookup and churn at both capacities:
# about 100 s), plus 2 x L builds of the plugin alone (seconds each).
set -euo pipefail
# The rest of the script is one brace group, which bash reads to its end
# before it runs any of it: a run of several minutes is then not broken by
# an edit of this file, or a checkout of another revision, while it goes
# (bash reads a script as it runs it otherwise).
{

root=$(cd "$(dirname "$0")/.." && pwd)
py=/usr/bin/python3
[ -x "$py" ] || py=python3

usage() {
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
}

usage_error() {
    echo "bench-ab.sh: $1 (try 'tools/bench-ab.sh --help')" >&2
    exit 2
}

version() {
    sed -n 's/^#define MIDATLAS_VERSION "\(.*\)"$/\1/p' "$root/include/midatlas/version.h"
}

# need OPTION ARGC: the option takes a value.
need() {
    [ "$2" -ge 2 ] || usage_error "$1 needs a value"
}

workloads='lookup|churn|window'
caps='64|4096'
threads='1'
peer=idr
repetitions=5
processes=
layouts=4
min_time=0.1
out=$root/out/ab
runner=$root/build/bench-release
build_runner=1
deps=1
sos=()
revs=()
while [ $# -gt 0 ]; do
    case "$1" in
        --workloads) need "$1" $#; workloads=$2; shift ;;
        --caps) need "$1" $#; caps=$2; shift ;;
        --threads) need "$1" $#; threads=$2; shift ;;
        --peer) need "$1" $#; peer=$2; shift ;;
        --repetitions) need "$1" $#; repetitions=$2; shift ;;
        --processes) need "$1" $#; processes=$2; shift ;;
        --layouts) need "$1" $#; layouts=$2; shift ;;
        --min-time) need "$1" $#; min_time=$2; shift ;;
        --out) need "$1" $#; out=$2; shift ;;
        --build-dir) need "$1" $#; runner=$2; shift ;;
        --no-build) build_runner=0 ;;
        --no-deps) deps=0 ;;
        --so) [ $# -ge 3 ] || usage_error "--so needs two plugins"
              sos=("$2" "$3"); shift 2 ;;
        -h|--help) usage; exit 0 ;;
        --version) echo "tools/bench-ab.sh (midatlas $(version))"; exit 0 ;;
        -*) usage_error "unknown option '$1'" ;;
        *) git -C "$root" rev-parse --verify --quiet "$1^{commit}" >/dev/null ||
               usage_error "'$1' is not a git revision of this checkout"
           revs+=("$1") ;;
    esac
    shift
done
case "$repetitions" in ''|*[!0-9]*|0) usage_error "--repetitions needs a positive number" ;; esac
case "$processes" in ''|*[!0-9]*|0) [ -z "$processes" ] || usage_error "--processes needs a positive number" ;; esac
case "$layouts" in ''|*[!0-9]*|0) usage_error "--layouts needs a positive number" ;; esac
if [ ${#sos[@]} -ne 0 ] && [ ${#revs[@]} -ne 0 ]; then
    usage_error "revisions and --so exclude each other"
fi
if [ ${#sos[@]} -eq 0 ] && { [ ${#revs[@]} -lt 1 ] || [ ${#revs[@]} -gt 2 ]; }; then
    usage_error "name one or two git revisions, or --so A.so B.so"
fi
[ "$deps" = 1 ] && "$root/tools/install-deps.sh" base

mkdir -p "$out"
out=$(cd "$out" && pwd)
# The pad objects: in a folder of their own, absolute (the builds link them
# from their own trees) and without blanks, since the linker flags that
# name them are split on blanks (an --out with a space failed to link:
# "cannot find /tmp/rt/ab").
pad_dir=$(mktemp -d /tmp/midatlas-ab-pad.XXXXXX)
trap 'rm -rf "$pad_dir"' EXIT
jobs=$(nproc 2>/dev/null || echo 2)
generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)

# configure_release SRC BUILD [CMAKE ARGS]: a Release tree with the
# benchmark, no tests, and every C function on a cache line of its own, as
# in the main job's tree (tools/bench.sh, bench/RESULTS.md "Function placement
# in the main job"): the peer runs from such a tree, and A and B stand for
# builds laid out that way.  CMAKE_C_FLAGS, so that any revision builds so.
configure_release() {
    local src=$1 build=$2
    shift 2
    [ -f "$build/CMakeCache.txt" ] && return 0
    mkdir -p "$build"
    cmake -S "$src" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_C_FLAGS=-falign-functions=64 \
        -DMIDATLAS_BUILD_BENCH=ON -DMIDATLAS_BUILD_TESTS=OFF "$@" >"$build/configure.log" 2>&1 || {
        cat "$build/configure.log" >&2
        return 1
    }
}

# pad_object BYTES: an object whose code is BYTES long, linked ahead of
# the library so that every function of it moves by that much (layout L's
# pad: L x 528 bytes; the functions after it start on 64-byte lines
# (configure_release), so each layout moves them by whole lines, 576, 1088...
# bytes: another offset in a page, other cache sets).
pad_object() {
    local o=$pad_dir/pad-$1.o
    [ -f "$o" ] || printf 'void midatlas_ab_pad(void) { __asm__(".skip %d"); }\n' "$1" |
        cc -x c -c -o "$o" - || return 1
    echo "$o"
}

# plugin_of REV LABEL: build REV's midatlas plugin (REV '.': the working
# tree) in each layout L and copy it to $out/L$L/LABEL.so.
plugin_of() {
    local rev=$1 label=$2 src layout build pad pad_flags
    if [ "$rev" = . ]; then
        src=$root
    else
        local commit
        commit=$(git -C "$root" rev-parse --verify --quiet "$rev^{commit}")
        src=$out/src-$label
        rm -rf "$src"
        mkdir -p "$src"
        git -C "$root" archive --format=tar "$commit" | tar -x -C "$src"
    fi
    for layout in $(seq 0 $((layouts - 1))); do
        echo "bench-ab.sh: building $label from $rev, layout $layout" >&2
        build=$out/build-$label-L$layout
        rm -rf "$build"
        # The pad goes in the module linker flags: CMake puts them before
        # the plugin's objects and libraries on the link line.  Layout 0
        # has none (an empty .skip only draws an assembler warning).
        pad_flags=()
        if [ "$layout" != 0 ]; then
            pad=$(pad_object $((layout * 528)))
            pad_flags=(-DCMAKE_MODULE_LINKER_FLAGS="$pad")
        fi
        configure_release "$src" "$build" "${pad_flags[@]}"
        cmake --build "$build" --target midatlas-plugin-midatlas -j "$jobs" >"$build/build.log" 2>&1 || {
            tail -n 30 "$build/build.log" >&2
            return 1
        }
        mkdir -p "$out/L$layout"
        cp "$build/plugins/midatlas.so" "$out/L$layout/$label.so"
    done
}

rm -rf "$out"/L[0-9]*
if [ ${#sos[@]} -eq 2 ]; then
    for k in 0 1; do
        [ -f "${sos[$k]}" ] || { echo "bench-ab.sh: no plugin '${sos[$k]}'" >&2; exit 1; }
    done
    # Built already: one layout, theirs.  Copies under the labels: the
    # benchmark names a plugin by its file.
    layouts=1
    mkdir -p "$out/L0"
    cp "${sos[0]}" "$out/L0/A.so"
    cp "${sos[1]}" "$out/L0/B.so"
else
    plugin_of "${revs[0]}" A
    plugin_of "${revs[1]:-.}" B
fi

# The runner: this tree's midatlas-bench and the peer's plugin.
if [ "$build_runner" = 1 ]; then
    configure_release "$root" "$runner"
    targets=(midatlas-bench)
    [ "$peer" = none ] || targets+=("midatlas-plugin-$peer")
    cmake --build "$runner" --target "${targets[@]}" -j "$jobs" >"$out/runner-build.log" 2>&1 || {
        tail -n 30 "$out/runner-build.log" >&2
        exit 1
    }
fi
[ -x "$runner/bench/midatlas-bench" ] || {
    echo "bench-ab.sh: no $runner/bench/midatlas-bench" >&2
    exit 1
}
# The harness lists two plugins whose tables give one name (or midatlas's,
# which is compiled in) as NAME@A.so and NAME@B.so, whichever loads first.
names='[^/]+@A\.so|[^/]+@B\.so'
peer_impl=()
peer_name=$peer
if [ "$peer" != none ]; then
    peer_impl=(--impl "$runner/plugins/$peer.so")
    # A peer whose table gives the builds' name (idr beside two builds of
    # idr) is listed by its file too, as $peer@$peer.so: ask the harness.
    listed=$("$runner/bench/midatlas-bench" --impl "$out/L0/A.so" --impl "$out/L0/B.so" \
                 "${peer_impl[@]}" --benchmark_list_tests=true)
    peer_name=$(printf '%s\n' "$listed" |
                awk -F/ -v a="$peer" -v b="$peer@$peer.so" '($2 == a || $2 == b) && !n++ { print $2 }')
    [ -n "$peer_name" ] || {
        echo "bench-ab.sh: midatlas-bench does not list the peer $peer" >&2
        exit 1
    }
    names="$names|${peer_name//./\\.}"
fi

# Process p runs layout (p - 1) mod L, A loaded first in the first L
# processes, B in the next L, and so on.
[ -n "$processes" ] || processes=$((layouts < 2 ? 4 : 2 * layouts))
rm -f "$out"/ab-*.json "$out"/ab-*.log
runs=()
for p in $(seq 1 "$processes"); do
    dir=$out/L$(((p - 1) % layouts))
    if [ $(((p - 1) / layouts % 2)) = 0 ]; then
        impls=(--impl "$dir/A.so" --impl "$dir/B.so")
    else
        impls=(--impl "$dir/B.so" --impl "$dir/A.so")
    fi
    "$runner/bench/midatlas-bench" "${impls[@]}" "${peer_impl[@]}" \
        --benchmark_filter="^($workloads)/($names)/cap:($caps)/real_time/threads:($threads)\$" \
        --benchmark_min_time="$min_time" --benchmark_repetitions="$repetitions" \
        --benchmark_enable_random_interleaving=true \
        --benchmark_out="$out/ab-$p.json" --benchmark_out_format=json >"$out/ab-$p.log" 2>&1 || {
        tail -n 20 "$out/ab-$p.log" >&2
        exit 1
    }
    runs+=("$out/ab-$p.json")
done
"$py" "$root/tools/bench-ab-report.py" --peer "$peer_name" "${runs[@]}" | tee "$out/ab.txt"
exit
}
