#!/bin/sh
# SPDX-License-Identifier: MIT
# pkgconfig_consumer.sh CC PREFIX LIBDIR SOURCE WORKDIR VERSION
# Build SOURCE with nothing but `pkg-config --cflags --libs midatlas` against
# the staged PREFIX, then run it.
set -eu
cc=$1 prefix=$2 libdir=$3 source=$4 work=$5 version=$6

export PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig"
found=$(pkg-config --modversion midatlas)
if [ "$found" != "$version" ]; then
    echo "pkgconfig_consumer: pkg-config found midatlas $found, expected $version" >&2
    exit 1
fi

rm -rf "$work"
mkdir -p "$work"
# shellcheck disable=SC2046 # pkg-config's output is meant to be split
"$cc" "$source" $(pkg-config --cflags --libs midatlas) -o "$work/consumer"
LD_LIBRARY_PATH="$prefix/$libdir" "$work/consumer"
