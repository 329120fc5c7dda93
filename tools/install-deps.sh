#!/usr/bin/env bash
# install-deps.sh [SET...] - install the Debian packages midatlas needs, by
# name, and only those that are missing.  `apt-get update` runs only when
# something is missing, so on a prepared machine this is a few dpkg-query
# calls and nothing else.  Debian 12 (bookworm); runs as root, or through
# sudo when it is there.
#
# Sets (default: base):
#   base       compilers, CMake, Ninja, pkg-config and the libraries the
#              library, tests and benchmarks build against
#   model      spin (the Promela model of the slot protocol)
#   transport  diod (the 9P server the transport tests talk to)
#   valgrind   valgrind
#   bench      libbenchmark-tools (Google Benchmark's compare.py)
#   plot       gnuplot-nox, python3-matplotlib (benchmark figures)
#   test       base model transport valgrind: what tools/test.sh runs
#   all        every set
# Options: -n / --dry-run prints what would be installed; -h / --help.
set -euo pipefail

usage() {
    sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
}

# gcc/g++ because a bare Debian image has no compiler at all; llvm for
# llvm-symbolizer, which clang's sanitizers need to print readable stacks.
set_base=(cmake pkg-config ninja-build gcc g++ libcmocka-dev liburcu-dev libck-dev
          libbenchmark-dev clang libclang-rt-14-dev llvm)
set_model=(spin)
set_transport=(diod)
set_valgrind=(valgrind)
set_bench=(libbenchmark-tools)
set_plot=(gnuplot-nox python3-matplotlib)

dry_run=0
wanted=()
add_set() {
    case "$1" in
        base) wanted+=("${set_base[@]}") ;;
        model) wanted+=("${set_model[@]}") ;;
        transport) wanted+=("${set_transport[@]}") ;;
        valgrind) wanted+=("${set_valgrind[@]}") ;;
        bench) wanted+=("${set_bench[@]}") ;;
        plot) wanted+=("${set_plot[@]}") ;;
        test) for s in base model transport valgrind; do add_set "$s"; done ;;
        all) for s in base model transport valgrind bench plot; do add_set "$s"; done ;;
        *) echo "install-deps: unknown set '$1'" >&2; usage >&2; exit 2 ;;
    esac
}

sets=()
for arg in "$@"; do
    case "$arg" in
        -h|--help) usage; exit 0 ;;
        -n|--dry-run) dry_run=1 ;;
        *) sets+=("$arg") ;;
    esac
done
[ ${#sets[@]} -eq 0 ] && sets=(base)
for s in "${sets[@]}"; do add_set "$s"; done

# A package counts as present only when dpkg says "installed" (not merely
# known, half-configured or removed with config files left).
is_installed() {
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

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
