#!/bin/sh
# SPDX-License-Identifier: MIT
# test-installed.sh BUILD_DIR WORK_DIR - what a user does (ctest plugin.example):
# install midatlas to a prefix, build this example plugin against the
# INSTALLED header (CMake, then pkg-config), and run it through the four
# installed programs, one command each.
set -eu
build=$1
work=$2
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work"
mkdir -p "$work"
prefix=$work/prefix

echo "== cmake --install to $prefix"
cmake --install "$build" --prefix "$prefix" >"$work/install.log"
test -f "$prefix/include/midatlas/harness.h"

echo "== build against the installed header: CMake"
cmake -S "$here" -B "$work/cmake" -DCMAKE_PREFIX_PATH="$prefix" >"$work/cmake.log"
cmake --build "$work/cmake" >>"$work/cmake.log"
plugin=$work/cmake/bitmap_mutex.so

echo "== build against the installed header: pkg-config (Makefile)"
cp "$here/bitmap_mutex.c" "$here/Makefile" "$work/"
libdir=$(dirname "$(find "$prefix" -name midatlas.pc | head -n 1)")
PKG_CONFIG_PATH=$libdir make -s -C "$work" bitmap_mutex.so
test -f "$work/bitmap_mutex.so"

bin=$prefix/bin
echo "== midatlas-conform"
"$bin/midatlas-conform" --impl "$plugin"
echo "== midatlas-stress"
"$bin/midatlas-stress" --impl "$plugin" --workload all --capacity 64 --seconds 0.3 --quiet
echo "== an installed peer by name"
"$bin/midatlas-conform" --impl idr
echo "== midatlas-cycle"
"$bin/midatlas-cycle" --impl midatlas --impl "$plugin" --capacity 64 --runs 3 --cycles 2000 \
    >"$work/cycle.txt"
cat "$work/cycle.txt"
grep -q '^bitmap-mutex ' "$work/cycle.txt"
if [ -x "$bin/midatlas-bench" ]; then
    echo "== midatlas-bench"
    "$bin/midatlas-bench" --impl "$plugin" --report "$work/report" --benchmark_min_time=0.01 \
        '--benchmark_filter=^churn/(mutex|bitmap-mutex)/cap:64/.*threads:(1|2)$'
    test -s "$work/report/bench-latest.json"
    if command -v gnuplot >/dev/null 2>&1; then test -s "$work/report/bench-latest.png"; fi
else
    echo "== midatlas-bench not installed (no Google Benchmark): skipped"
fi
echo "PASS: the example plugin built against $prefix and ran through the installed programs"
