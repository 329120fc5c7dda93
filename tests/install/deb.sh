#!/bin/sh
# SPDX-License-Identifier: MIT
# deb.sh BUILD_DIR WORK CC GENERATOR VERSION DOCS(ON|OFF) EXAMPLE_PLUGIN_DIR
# `cpack -G DEB` of the build tree, then:
#   - each package's file list: libmidatlas0 holds the shared library (and
#     its copyright file) only; libmidatlas-dev the headers (the plugin
#     ABI's harness.h among them), static library, .so link, pkg-config and
#     CMake files, man pages (when Doxygen built them, gzipped);
#     midatlas-tools the harness programs, their plugins and report script;
#     each package has its /usr/share/doc/PACKAGE/copyright (Debian policy);
#   - the control files: Depends (libc6 for the runtime, the exact runtime
#     for -dev, the libraries its programs link for -tools), a shlibs file
#     for the runtime, a description that does not repeat its summary, and
#     stripped binaries;
#   - all three unpacked with dpkg into a scratch root (--root, --unpack: a
#     scratch root has no shell to run ldconfig in), then a consumer built
#     against that root with pkg-config and with find_package(midatlas),
#     the man page of midatlas_associate opened with `man -l`, and the
#     example plugin built against the unpacked headers and run through the
#     unpacked midatlas-conform.
set -eu
build=$1 work=$2 cc=$3 generator=$4 version=$5 docs=$6 example=$7
here=$(cd "$(dirname "$0")" && pwd)

fail() { echo "deb: $*" >&2; exit 1; }

rm -rf "$work"
mkdir -p "$work"
(cd "$build" && cpack -G DEB -B "$work/out") >"$work/cpack.log" 2>&1 ||
    { cat "$work/cpack.log"; fail "cpack failed"; }
run=$(ls "$work"/out/libmidatlas0_"$version"-*.deb) || fail "no libmidatlas0 package"
dev=$(ls "$work"/out/libmidatlas-dev_"$version"-*.deb) || fail "no libmidatlas-dev package"
tools=$(ls "$work"/out/midatlas-tools_"$version"-*.deb) || fail "no midatlas-tools package"

files() { dpkg-deb -c "$1" | awk '$6 !~ /\/$/ { print $6 }' | sed 's|^\./||' | sort; }
files "$run" >"$work/run.list"
files "$dev" >"$work/dev.list"
files "$tools" >"$work/tools.list"

# The runtime package: exactly the library and its copyright file.
printf '%s\n' usr/lib/libmidatlas.so.0 "usr/lib/libmidatlas.so.$version" \
    usr/share/doc/libmidatlas0/copyright | sort >"$work/run.want"
diff -u "$work/run.want" "$work/run.list" || fail "libmidatlas0 holds other files"

# The development package: these, and nothing that belongs to the runtime
# or the tools.
for f in usr/include/midatlas.h usr/include/midatlas/midatlax.h usr/include/midatlas/export.h \
         usr/include/midatlas/version.h usr/include/midatlas/harness.h usr/lib/libmidatlas.a \
         usr/lib/libmidatlas.so usr/lib/pkgconfig/midatlas.pc \
         usr/lib/cmake/midatlas/midatlas-config.cmake \
         usr/lib/cmake/midatlas/midatlas-config-version.cmake \
         usr/lib/cmake/midatlas/midatlas-targets.cmake usr/share/doc/libmidatlas-dev/copyright; do
    grep -qx "$f" "$work/dev.list" || fail "libmidatlas-dev lacks $f"
done
if grep -E 'libmidatlas\.so\.|/bin/|plugins' "$work/dev.list"; then
    fail "libmidatlas-dev holds runtime or tools files (above)"
fi
if [ "$docs" = ON ]; then
    grep -qx usr/share/man/man3/midatlas_associate.3.gz "$work/dev.list" ||
        fail "libmidatlas-dev lacks the man pages (gzipped)"
    if grep -E '^usr/share/man/.*\.3$' "$work/dev.list" | head -3 | grep .; then
        fail "man pages not gzipped (above)"
    fi
    if grep -E '^usr/share/man/man3/version\.h\.3' "$work/dev.list"; then
        fail "a man page of a name midatlas does not own (above)"
    fi
fi

# The tools package: the four programs, the plugins, and nothing of the
# library's own packages.
for f in usr/bin/midatlas-conform usr/bin/midatlas-stress usr/bin/midatlas-cycle \
         usr/lib/midatlas/plugins/idr.so usr/lib/midatlas/plugins/midatlas.so \
         usr/share/doc/midatlas-tools/copyright; do
    grep -qx "$f" "$work/tools.list" || fail "midatlas-tools lacks $f"
done
if grep -E '^usr/include/|libmidatlas\.' "$work/tools.list"; then
    fail "midatlas-tools holds library files (above)"
fi

dpkg-deb -f "$run" Depends | grep -q '^libc6' || fail "libmidatlas0 does not depend on libc6"
dpkg-deb -f "$dev" Depends | grep -qx "libmidatlas0 (= $version-[0-9]*)" ||
    fail "libmidatlas-dev does not depend on its exact libmidatlas0"
dpkg-deb -f "$tools" Depends | grep -q 'libc6' || fail "midatlas-tools has no shlibs Depends"
dpkg-deb -e "$run" "$work/run.control"
grep -q '^libmidatlas 0 libmidatlas0' "$work/run.control/shlibs" ||
    fail "libmidatlas0 has no shlibs file for its users' dpkg-shlibdeps"
for deb in "$run" "$dev" "$tools"; do
    # The long description (the lines after the first) must not repeat
    # the summary (the first line), in any case: CPack's own summary line
    # once stood above each package's, which began with the same words.
    dpkg-deb -f "$deb" Description >"$work/desc"
    summary=$(head -n 1 "$work/desc")
    if tail -n +2 "$work/desc" | grep -qiF "$summary"; then
        fail "$(basename "$deb"): the description repeats its summary"
    fi
done

# A scratch root with an empty dpkg database.
root=$work/root
mkdir -p "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/info"
: >"$root/var/lib/dpkg/status"
dpkg --root="$root" --force-not-root --force-depends --log=/dev/null --unpack "$run" "$dev" \
    "$tools" >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg --unpack failed"; }
file -L "$root/usr/lib/libmidatlas.so.$version" | grep -q ', stripped' ||
    fail "libmidatlas.so.$version is not stripped"

sh "$here/pkgconfig_consumer.sh" "$cc" "$root/usr" lib "$here/consumer/consumer.c" \
    "$work/pkgconfig" "$version"
sh "$here/cmake_consumer.sh" "$root/usr" "$here/consumer" "$work/find_package" "$generator" "$cc"

if [ "$docs" = ON ] && command -v man >/dev/null 2>&1; then
    (cd "$root/usr/share/man" && man -l man3/midatlas_associate.3.gz) 2>/dev/null |
        grep -q 'midatlas_associate' || fail "man -l man3/midatlas_associate.3.gz shows nothing"
    # A name's page that links to its header's page (".so"), gzipped both.
    (cd "$root/usr/share/man" && man -l man3/RxMapMidToContext.3.gz) >"$work/man.out" 2>&1 || true
    if grep -q 'failed .so request' "$work/man.out" || ! grep -q RxMapMidToContext "$work/man.out"
    then
        cat "$work/man.out"
        fail "man -l man3/RxMapMidToContext.3.gz does not find its header's page"
    fi
fi

# A plugin author's path: the example plugin against the unpacked headers,
# through the unpacked conformance program.
$cc -std=c11 -O2 -shared -fPIC -I"$root/usr/include" -o "$work/bitmap_mutex.so" \
    "$example/bitmap_mutex.c" -lpthread || fail "the example plugin does not build"
"$root/usr/bin/midatlas-conform" --impl "$work/bitmap_mutex.so" >"$work/conform.log" 2>&1 ||
    { cat "$work/conform.log"; fail "the unpacked midatlas-conform refused the example"; }
"$root/usr/bin/midatlas-conform" --impl idr >>"$work/conform.log" 2>&1 ||
    { cat "$work/conform.log"; fail "the unpacked midatlas-conform found no plugin idr"; }
echo "deb: $(basename "$run"), $(basename "$dev") and $(basename "$tools") ok"
