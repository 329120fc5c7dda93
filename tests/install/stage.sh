#!/bin/sh
# SPDX-License-Identifier: MIT
# stage.sh BUILD_DIR CONFIG PREFIX LIBDIR INCLUDEDIR
# Install the build tree into a fresh PREFIX and check that every file a user
# needs landed there.
set -eu
build=$1 config=$2 prefix=$3 libdir=$4 includedir=$5

rm -rf "$prefix"
cmake --install "$build" --config "$config" --prefix "$prefix"

status=0
for f in "$includedir/midatlas.h" "$includedir/midatlas/midatlax.h" \
         "$includedir/midatlas/export.h" "$includedir/midatlas/version.h" \
         "$libdir/libmidatlas.so" "$libdir/libmidatlas.a" \
         "$libdir/pkgconfig/midatlas.pc" \
         "$libdir/cmake/midatlas/midatlas-config.cmake" \
         "$libdir/cmake/midatlas/midatlas-config-version.cmake" \
         "$libdir/cmake/midatlas/midatlas-targets.cmake"; do
    if [ ! -f "$prefix/$f" ]; then
        echo "stage: $prefix/$f was not installed" >&2
        status=1
    fi
done
exit $status
