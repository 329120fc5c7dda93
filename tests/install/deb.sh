#!/bin/sh
# SPDX-License-Identifier: MIT
# deb.sh BUILD_DIR WORK CC GENERATOR VERSION DOCS(ON|OFF)
# `cpack -G DEB` of the build tree, then:
#   - each package's file list: libmidatlas0 holds the shared library (and
#     its license) only; libmidatlas-dev the headers, static library, .so
#     link, pkg-config and CMake files, man pages (when Doxygen built them);
#   - their Depends: libc6 for the runtime, the exact runtime for -dev;
#   - both unpacked with dpkg into a scratch root (--root, --unpack: a
#     scratch root has no shell to run ldconfig in), then a consumer built
#     against that root with pkg-config and with find_package(midatlas),
#     and the man page of midatlas_associate opened with `man -l`.
set -eu
build=$1 work=$2 cc=$3 generator=$4 version=$5 docs=$6
here=$(cd "$(dirname "$0")" && pwd)

fail() { echo "deb: $*" >&2; exit 1; }

rm -rf "$work"
mkdir -p "$work"
(cd "$build" && cpack -G DEB -B "$work/out") >"$work/cpack.log" 2>&1 ||
    { cat "$work/cpack.log"; fail "cpack failed"; }
run=$(ls "$work"/out/libmidatlas0_"$version"-*.deb) || fail "no libmidatlas0 package"
dev=$(ls "$work"/out/libmidatlas-dev_"$version"-*.deb) || fail "no libmidatlas-dev package"

files() { dpkg-deb -c "$1" | awk '$6 !~ /\/$/ { print $6 }' | sed 's|^\./||' | sort; }
files "$run" >"$work/run.list"
files "$dev" >"$work/dev.list"

# The runtime package: exactly the library and the license.
printf '%s\n' usr/lib/libmidatlas.so.0 "usr/lib/libmidatlas.so.$version" \
    usr/share/doc/midatlas/LICENSE | sort >"$work/run.want"
diff -u "$work/run.want" "$work/run.list" || fail "libmidatlas0 holds other files"

# The development package: these, and nothing that belongs to the runtime.
for f in usr/include/midatlas.h usr/include/midatlas/midatlax.h usr/include/midatlas/export.h \
         usr/include/midatlas/version.h usr/lib/libmidatlas.a usr/lib/libmidatlas.so \
         usr/lib/pkgconfig/midatlas.pc usr/lib/cmake/midatlas/midatlas-config.cmake \
         usr/lib/cmake/midatlas/midatlas-config-version.cmake \
         usr/lib/cmake/midatlas/midatlas-targets.cmake; do
    grep -qx "$f" "$work/dev.list" || fail "libmidatlas-dev lacks $f"
done
if grep -E 'libmidatlas\.so\.|/bin/|plugins|harness' "$work/dev.list"; then
    fail "libmidatlas-dev holds runtime or harness files (above)"
fi
if [ "$docs" = ON ]; then
    grep -qx usr/share/man/man3/midatlas_associate.3 "$work/dev.list" ||
        fail "libmidatlas-dev lacks the man pages"
fi

dpkg-deb -f "$run" Depends | grep -q '^libc6' || fail "libmidatlas0 does not depend on libc6"
dpkg-deb -f "$dev" Depends | grep -qx "libmidatlas0 (= $version-[0-9]*)" ||
    fail "libmidatlas-dev does not depend on its exact libmidatlas0"

# A scratch root with an empty dpkg database.
root=$work/root
mkdir -p "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/info"
: >"$root/var/lib/dpkg/status"
dpkg --root="$root" --force-not-root --force-depends --log=/dev/null --unpack "$run" "$dev" \
    >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg --unpack failed"; }

sh "$here/pkgconfig_consumer.sh" "$cc" "$root/usr" lib "$here/consumer/consumer.c" \
    "$work/pkgconfig" "$version"
sh "$here/cmake_consumer.sh" "$root/usr" "$here/consumer" "$work/find_package" "$generator" "$cc"

if [ "$docs" = ON ] && command -v man >/dev/null 2>&1; then
    (cd "$root/usr/share/man" && man -l man3/midatlas_associate.3) 2>/dev/null |
        grep -q 'midatlas_associate' || fail "man -l man3/midatlas_associate.3 shows nothing"
fi
echo "deb: $(basename "$run") and $(basename "$dev") ok"
