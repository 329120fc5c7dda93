# SPDX-License-Identifier: MIT
# AArch64 Linux from an x86-64 Debian host: clang --target, the cross C
# library of libc6-dev-arm64-cross, the programs run under qemu-user.  What
# it needs (Debian):
#   apt-get install clang binutils-aarch64-linux-gnu libgcc-12-dev-arm64-cross \
#                   libc6-dev-arm64-cross qemu-user
#   dpkg --add-architecture arm64 && apt-get update && apt-get install libcmocka-dev:arm64
# (clang, not gcc-aarch64-linux-gnu: Debian's cross gcc conflicts with
# gcc-multilib, which the i386 tree needs.)  tools/test.sh's aarch64 tree
# uses this file (tools/install-deps.sh --aarch64).  Why: a weakly ordered
# ISA's atomics (LDAXR/STLXR or LSE), no rseq claim path (x86-64 only), no
# x86 prefetch or pause; qemu runs the code, though on this host's memory
# order, so the orders themselves are checked by TSan and the model, not here.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER clang)
set(CMAKE_C_COMPILER_TARGET aarch64-linux-gnu)
set(CMAKE_CXX_COMPILER NOTFOUND) # no libstdc++ for arm64 is installed
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L /usr/aarch64-linux-gnu)
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig)
