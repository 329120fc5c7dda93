#!/bin/sh
# SPDX-License-Identifier: MIT
# check_deps.sh INSTALL_DEPS
# Every set of tools/install-deps.sh names packages, and the sets that the
# README's two commands install name what the build looks for.  (An earlier
# edit dropped the package lists: every set was then empty, the script said
# "all present" on a bare machine and installed nothing.)  Reads the lists
# with --list; installs nothing.
set -u
deps=$1
status=0
bad() { echo "check_deps: $*" >&2; status=1; }

for set in lib base model transport valgrind bench plot docs i386 aarch64 test all; do
    pkgs=$("$deps" --list "$set") || bad "--list $set exits $?"
    [ -n "$pkgs" ] || bad "set $set names no package"
done

# needs SET PACKAGE...: each PACKAGE is in SET.
needs() {
    set_=$1
    shift
    pkgs=$("$deps" --list "$set_")
    for p in "$@"; do
        printf '%s\n' "$pkgs" | grep -qx -- "$p" || bad "set $set_ lacks $p"
    done
}
# What CMake looks for (pkg_check_modules: cmocka, liburcu, ck; find_package:
# benchmark) and what the test trees compile with (clang, its runtimes).
needs base cmake pkg-config gcc g++ libcmocka-dev liburcu-dev libck-dev \
    libbenchmark-dev clang libclang-rt-14-dev
needs test spin diod valgrind doxygen libcmocka-dev gcc-multilib libcmocka-dev:i386 \
    qemu-user libcmocka-dev:arm64
# What the foreign trees' toolchain files name (cmake/toolchains).
needs i386 gcc-multilib libcmocka-dev:i386
needs aarch64 clang binutils-aarch64-linux-gnu qemu-user libcmocka-dev:arm64
needs plot gnuplot-nox
needs lib gcc cmake

[ $status = 0 ] && echo "check_deps: every set names its packages"
exit $status
