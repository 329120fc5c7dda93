#!/bin/sh
# SPDX-License-Identifier: MIT
# libonly.sh SOURCE WORK CC MAKE_PROGRAM GENERATOR
# The README's recipe on a machine that has nothing but a C compiler, a make
# program, binutils and CMake.  Every optional dependency (pkg-config,
# cmocka, CK, liburcu, Google Benchmark, Doxygen, spin, g++...) is hidden:
# PATH holds only links to those tools, and CMAKE_IGNORE_PREFIX_PATH takes
# /usr, / and /usr/local out of every find_*() search.  Checks that
# configure, build and install of the library succeed, that each skipped
# part says so naming its Debian package, and that asking for a part whose
# dependency is missing is a configure error naming the package.
set -eu
src=$1 work=$2 cc=$3 make=$4 generator=$5

rm -rf "$work"
mkdir -p "$work/bin"
cmake=$(command -v cmake)
for tool in "$cc" "$make" ar ranlib ld as nm objcopy objdump strip readelf; do
    path=$(command -v "$tool") || continue
    ln -s "$path" "$work/bin/$(basename "$tool")"
done
cc=$work/bin/$(basename "$cc")
make=$work/bin/$(basename "$make")
hide="-DCMAKE_IGNORE_PREFIX_PATH=/usr;/;/usr/local -DCMAKE_C_COMPILER=$cc -DCMAKE_MAKE_PROGRAM=$make"
cmake() { PATH=$work/bin "$cmake" "$@"; }

fail() { echo "libonly: $*" >&2; exit 1; }

# shellcheck disable=SC2086 # $hide is a list of arguments
cmake -S "$src" -B "$work/build" -G "$generator" $hide >"$work/configure.log" 2>&1 ||
    { cat "$work/configure.log"; fail "configure failed with the optional dependencies hidden"; }
for pkg in libcmocka-dev doxygen; do
    grep -q "apt-get install.*$pkg" "$work/configure.log" ||
        { cat "$work/configure.log"; fail "no skip line naming $pkg"; }
done
cmake --build "$work/build" >"$work/build.log" 2>&1 ||
    { cat "$work/build.log"; fail "build failed"; }
cmake --install "$work/build" --prefix "$work/prefix" >"$work/install.log" 2>&1 ||
    { cat "$work/install.log"; fail "install failed"; }
[ -f "$work/prefix/include/midatlas.h" ] || fail "midatlas.h not installed"
ls "$work"/prefix/lib*/libmidatlas.so.0 >/dev/null 2>&1 || fail "libmidatlas.so.0 not installed"

# Asked for explicitly, a missing dependency is an error that names it.
check_required() { # OPTION PACKAGE
    # shellcheck disable=SC2086
    if cmake -S "$src" -B "$work/req-$1" -G "$generator" $hide "-D$1=ON" \
             >"$work/req-$1.log" 2>&1; then
        fail "-D$1=ON configured although its dependency is hidden"
    fi
    grep -q "$2" "$work/req-$1.log" || { cat "$work/req-$1.log"; fail "-D$1=ON error does not name $2"; }
}
check_required MIDATLAS_BUILD_TESTS libcmocka-dev
check_required MIDATLAS_BUILD_BENCH libbenchmark-dev
check_required MIDATLAS_BUILD_DOCS doxygen
echo "libonly: ok"
