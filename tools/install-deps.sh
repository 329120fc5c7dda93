#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# install-deps.sh [SET...] - install the Debian packages midatlas needs, by
# name, and only those that are missing.  `apt-get update` runs only when
# something is missing, so on a prepared machine this is a few dpkg-query
# calls and nothing else.  Debian 12 (bookworm); runs as root, or through
# sudo when it is there.
#
# Sets (default: base):
#   lib        what the library alone needs: a C compiler and CMake
#   base       compilers, CMake, Ninja, pkg-config and the libraries the
#              library, tests and benchmarks build against
#   model      spin (the Promela model of the slot protocol)
#   transport  diod (the 9P server the transport tests talk to)
#   valgrind   valgrind
#   bench      libbenchmark-tools (Google Benchmark's compare.py)
#   plot       gnuplot-nox, python3-matplotlib (benchmark figures)
#   docs       doxygen (API reference, man pages), man-db (man -l),
#              dpkg-dev (dpkg-shlibdeps for cpack -G DEB), file (cpack's
#              shlibs file)
#   i386       gcc-multilib, cmocka and liburcu for i386 (tools/test.sh's i386
#              tree, the 9P client's included; adds the i386 architecture)
#   aarch64    clang's cross tools for arm64, qemu-user and cmocka for arm64
#              (tools/test.sh's aarch64 tree; adds the arm64 architecture)
#   test       base model transport valgrind docs i386 aarch64: what
#              tools/test.sh needs
#   all        every set
# Options: -n / --dry-run prints what would be installed; --list prints
# every package of the sets, installed or not, one per line; -h / --help;
# --version.
set -euo pipefail

usage() {
    sed -n '3,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
}

# One line on stderr, a hint, exit 2: what a bad command line gets.
usage_error() {
    echo "install-deps: $1 (try 'tools/install-deps.sh --help')" >&2
    exit 2
}

# The packages of each set.  gcc/g++ because a bare Debian image has no
# compiler at all; llvm for llvm-symbolizer, which clang's sanitizers need to
# print readable stacks; libclang-rt-14-dev for clang's sanitizer runtimes;
# python3 for the report scripts (bench-report.py, bench-ab-report.py) and
# the tests that run them, which no other package pulls in on a minimal
# image; file for cpack's shlibs and the package test's check of stripping.
set_lib=(gcc make cmake)
set_base=(cmake pkg-config ninja-build gcc g++ libcmocka-dev liburcu-dev libck-dev
          libbenchmark-dev clang libclang-rt-14-dev llvm python3)
set_model=(spin)
set_transport=(diod)
set_valgrind=(valgrind)
set_bench=(libbenchmark-tools)
set_plot=(gnuplot-nox python3-matplotlib)
set_docs=(doxygen man-db dpkg-dev file)
# Another architecture's libraries come from dpkg's multiarch (name:arch).
# Not Debian's gcc-aarch64-linux-gnu: it conflicts with gcc-multilib, so the
# aarch64 tree compiles with clang --target and links with the cross
# binutils (cmake/toolchains/aarch64-linux-gnu.cmake).
set_i386=(gcc-multilib libcmocka-dev:i386 liburcu-dev:i386)
set_aarch64=(clang binutils-aarch64-linux-gnu libgcc-12-dev-arm64-cross libc6-dev-arm64-cross
             qemu-user libcmocka-dev:arm64)

dry_run=0
list=0
wanted=()
add_set() {
    case "$1" in
        lib) wanted+=("${set_lib[@]}") ;;
        base) wanted+=("${set_base[@]}") ;;
        model) wanted+=("${set_model[@]}") ;;
        transport) wanted+=("${set_transport[@]}") ;;
        valgrind) wanted+=("${set_valgrind[@]}") ;;
        bench) wanted+=("${set_bench[@]}") ;;
        plot) wanted+=("${set_plot[@]}") ;;
        docs) wanted+=("${set_docs[@]}") ;;
        i386) wanted+=("${set_i386[@]}") ;;
        aarch64) wanted+=("${set_aarch64[@]}") ;;
        test) for s in base model transport valgrind docs i386 aarch64; do add_set "$s"; done ;;
        all) for s in base model transport valgrind bench plot docs i386 aarch64; do add_set "$s"; done ;;
        *) usage_error "unknown set '$1' (sets: lib base model transport valgrind bench plot docs i386 aarch64 test all)" ;;
    esac
}

sets=()
for arg in "$@"; do
    case "$arg" in
        -h|--help) usage; exit 0 ;;
        --version)
            here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
            echo "install-deps.sh (midatlas $(sed -n 's/^#define MIDATLAS_VERSION "\(.*\)"$/\1/p' \
                "$here/include/midatlas/version.h"))"
            exit 0 ;;
        -n|--dry-run) dry_run=1 ;;
        --list) list=1 ;;
        -*) usage_error "unknown option '$arg'" ;;
        *) sets+=("$arg") ;;
    esac
done
[ ${#sets[@]} -eq 0 ] && sets=(base)
for s in "${sets[@]}"; do add_set "$s"; done

# A package counts as present only when dpkg says "installed" (not merely
# known, half-configured or removed with config files left).  A bare name
# means the native architecture's package (once another architecture's is
# installed too, dpkg-query answers the bare name with one status each), or
# the package of architecture all, which has no other.
is_installed() {
    local name=$1 st
    case "$name" in
        *:*) st=$(dpkg-query -W -f='${db:Status-Status}' "$name" 2>/dev/null) || true ;;
        *) st=$(dpkg-query -W -f='${db:Status-Status}' "$name:$(dpkg --print-architecture)" \
                    2>/dev/null) ||
               st=$(dpkg-query -W -f='${db:Status-Status}' "$name" 2>/dev/null) || true ;;
    esac
    [ "$st" = installed ]
}

if [ "$list" = 1 ]; then
    printf '%s\n' "${wanted[@]}" | awk '!seen[$0]++'
    exit 0
fi

missing=()
for pkg in "${wanted[@]}"; do
    is_installed "$pkg" && continue
    case " ${missing[*]-} " in *" $pkg "*) ;; *) missing+=("$pkg") ;; esac
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: all present (${sets[*]})"
    exit 0
fi
echo "install-deps: missing: ${missing[*]}"
[ "$dry_run" = 1 ] && exit 0

if [ "$(id -u)" = 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "install-deps: not root and no sudo; install as root: apt-get install ${missing[*]}" >&2
    exit 1
fi

# A package of another architecture (name:arch) needs that architecture in
# dpkg before apt-get update fetches its package lists.
for pkg in "${missing[@]}"; do
    case "$pkg" in
        *:*) arch=${pkg##*:}
             if ! dpkg --print-foreign-architectures | grep -qx "$arch" &&
                [ "$(dpkg --print-architecture)" != "$arch" ]; then
                 echo "install-deps: dpkg --add-architecture $arch"
                 "${as_root[@]}" dpkg --add-architecture "$arch"
             fi ;;
    esac
done

export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}"

still=()
for pkg in "${missing[@]}"; do is_installed "$pkg" || still+=("$pkg"); done
if [ ${#still[@]} -ne 0 ]; then
    echo "install-deps: still missing after apt-get: ${still[*]}" >&2
    exit 1
fi
echo "install-deps: installed ${missing[*]}"
