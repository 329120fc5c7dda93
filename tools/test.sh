#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tools/test.sh - midatlas's test command (the README's, and CI's via .ci/run).
#
# Installs the Debian packages it needs (tools/install-deps.sh), then builds
# five trees from scratch under build/ with -Werror and runs ctest in each:
#
#   build/test-release  normal build (gcc)            every label
#   build/test-asan     ASan+UBSan (clang)            labels quick, sanitize, fuzz
#   build/test-tsan     ThreadSanitizer (gcc)         labels quick, sanitize
#   build/test-i386     32-bit x86 (gcc -m32)         labels quick, transport
#   build/test-aarch64  AArch64 (clang, qemu-user)    label cross
#
# The fuzz label runs in the ASan tree because libFuzzer targets need clang
# and are meant to run under ASan+UBSan.  The i386 and aarch64 trees build
# with a toolchain file (cmake/toolchains/): the library where pointers
# have 32 bits, and on another ISA, without the rseq claim path.  aarch64
# runs under emulation, where threads that spin take minutes, so only the
# label `cross`: the single-threaded contract, wire, model and fuzz-replay
# tests (some 15 s).
# Prints a summary line per tree and exits non-zero if any configure,
# build or test failed.
#
# Usage: tools/test.sh [--quick] [--no-deps] [-j N] [TREE...]
#   --quick     only the `quick` label in every tree (aarch64: `cross`)
#               (MIDATLAS_TEST_QUICK=1)
#   --no-deps   do not run tools/install-deps.sh   (MIDATLAS_TEST_NO_DEPS=1)
#   -j N        build and ctest parallelism, default 2 (MIDATLAS_TEST_JOBS)
#   -h, --help  this text;  --version  the midatlas version it tests
#   TREE        any of release asan tsan i386 aarch64; default all five
#               (MIDATLAS_TEST_TREES="release tsan")
# Environment: CC_RELEASE, CC_ASAN, CC_TSAN pick each tree's C compiler
# (C++ follows: gcc->g++, clang->clang++).  ASAN_OPTIONS, UBSAN_OPTIONS and
# TSAN_OPTIONS given by the caller win over the defaults below.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

usage() {
    sed -n '3,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
}

# One line on stderr, a hint, exit 2: what a bad command line gets.
usage_error() {
    echo "test.sh: $1 (try 'tools/test.sh --help')" >&2
    exit 2
}

version() {
    sed -n 's/^#define MIDATLAS_VERSION "\(.*\)"$/\1/p' include/midatlas/version.h
}

quick=${MIDATLAS_TEST_QUICK:-0}
no_deps=${MIDATLAS_TEST_NO_DEPS:-0}
jobs=${MIDATLAS_TEST_JOBS:-2}
read -r -a trees <<<"${MIDATLAS_TEST_TREES:-}"
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1 ;;
        --no-deps) no_deps=1 ;;
        -j) [ $# -ge 2 ] || usage_error "-j needs a number"
            shift; jobs=$1 ;;
        -j*) jobs=${1#-j} ;;
        -h|--help) usage; exit 0 ;;
        --version) echo "tools/test.sh (midatlas $(version))"; exit 0 ;;
        release|asan|tsan|i386|aarch64) trees+=("$1") ;;
        -*) usage_error "unknown option '$1'" ;;
        *) usage_error "unknown tree '$1' (trees: release asan tsan i386 aarch64)" ;;
    esac
    shift
done
case "$jobs" in
    ''|*[!0-9]*|0) usage_error "-j needs a positive number, not '$jobs'" ;;
esac
[ ${#trees[@]} -eq 0 ] && trees=(release asan tsan i386 aarch64)

start=$SECONDS

if [ "$no_deps" != 1 ]; then
    tools/install-deps.sh test
fi

if command -v ninja >/dev/null 2>&1; then
    generator=Ninja
else
    generator="Unix Makefiles"
fi

# Sanitizer reports must fail the test that produced them, with a stack.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1:check_initialization_order=1:strict_init_order=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}

cxx_for() {
    case "$1" in
        *clang*) echo "${1/clang/clang++}" ;;
        *gcc*) echo "${1/gcc/g++}" ;;
        *) echo c++ ;;
    esac
}

# tree NAME -> compiler (or toolchain file), sanitizer and ctest label
# regex for that tree.
tree_cc() {
    case "$1" in
        release) echo "${CC_RELEASE:-${CC:-gcc}}" ;;
        asan) echo "${CC_ASAN:-clang}" ;;
        tsan) echo "${CC_TSAN:-gcc}" ;;
    esac
}
tree_toolchain() {
    case "$1" in
        i386) echo cmake/toolchains/i386-linux-gnu.cmake ;;
        aarch64) echo cmake/toolchains/aarch64-linux-gnu.cmake ;;
    esac
}
tree_sanitize() {
    case "$1" in
        release) echo "" ;;
        asan) echo address ;;
        tsan) echo thread ;;
    esac
}
tree_labels() {
    if [ "$1" = aarch64 ]; then
        echo '^cross$'
        return
    fi
    if [ "$quick" = 1 ]; then
        echo '^quick$'
        return
    fi
    case "$1" in
        release) echo "" ;;
        asan) echo '^(quick|sanitize|fuzz)$' ;;
        tsan) echo '^(quick|sanitize)$' ;;
        i386) echo '^(quick|transport)$' ;;
    esac
}

summary=()
failed=0

# run_tree NAME: configure, build and test one tree; one summary line.
run_tree() {
    local name=$1 dir=build/test-$1 cc cxx san labels toolchain t0 t_build t_test
    toolchain=$(tree_toolchain "$name")
    cc=$(tree_cc "$name")
    cxx=$(cxx_for "$cc")
    san=$(tree_sanitize "$name")
    labels=$(tree_labels "$name")

    echo
    echo "=== $name: ${toolchain:-$cc}${san:+, MIDATLAS_SANITIZE=$san}${labels:+, labels $labels} ==="
    rm -rf "$dir"
    mkdir -p "$dir"
    t0=$SECONDS
    local cmake_args=(-S . -B "$dir" -G "$generator"
                      -DMIDATLAS_WERROR=ON -DMIDATLAS_SANITIZE="$san")
    if [ -n "$toolchain" ]; then
        cmake_args+=(-DCMAKE_TOOLCHAIN_FILE="$toolchain")
    else
        cmake_args+=(-DCMAKE_C_COMPILER="$cc" -DCMAKE_CXX_COMPILER="$cxx")
    fi
    # Google Benchmark (an uninstrumented C++ library) stays out of the
    # sanitizer trees; bench/ still provides the implementation table.
    [ -n "$san" ] && cmake_args+=(-DMIDATLAS_BUILD_BENCH=OFF)
    if ! cmake "${cmake_args[@]}" >"$dir/configure.log" 2>&1; then
        tail -n 40 "$dir/configure.log"
        summary+=("$(printf '%-8s FAIL  configure (see %s/configure.log)' "$name" "$dir")")
        failed=1
        return
    fi
    if ! cmake --build "$dir" -j "$jobs" >"$dir/build.log" 2>&1; then
        grep -E -m 40 'error|warning|FAILED' "$dir/build.log" || tail -n 40 "$dir/build.log"
        summary+=("$(printf '%-8s FAIL  build (see %s/build.log)' "$name" "$dir")")
        failed=1
        return
    fi
    t_build=$((SECONDS - t0))
    echo "built in ${t_build}s"

    t0=$SECONDS
    local ctest_args=(--test-dir "$dir" --output-on-failure -j "$jobs" --timeout 300)
    [ -n "$labels" ] && ctest_args+=(-L "$labels")
    local rc=0
    ctest "${ctest_args[@]}" 2>&1 | tee "$dir/ctest.log" || rc=$?
    t_test=$((SECONDS - t0))
    local result
    result=$(grep -E 'tests passed|No tests were found' "$dir/ctest.log" | tail -n 1 || true)
    if [ "$rc" -ne 0 ] || [ -z "$result" ] || [[ "$result" == *"No tests"* ]]; then
        summary+=("$(printf '%-8s FAIL  %s (build %ss, tests %ss)' "$name" "${result:-ctest rc $rc}" "$t_build" "$t_test")")
        # Name the failures: ctest lists them as "  N - name (Failed)".
        while read -r line; do
            summary+=("           $line")
        done < <(sed -n '/The following tests FAILED:/,$p' "$dir/ctest.log" | grep -E '^\s+[0-9]+ - ' || true)
        failed=1
    else
        summary+=("$(printf '%-8s ok    %s (build %ss, tests %ss)' "$name" "$result" "$t_build" "$t_test")")
    fi
}

for t in "${trees[@]}"; do
    run_tree "$t"
done

echo
mode=full
[ "$quick" = 1 ] && mode="quick label only"
echo "=== summary: $mode, $((SECONDS - start))s in all ==="
printf '%s\n' "${summary[@]}"
exit "$failed"
