#!/bin/sh
# SPDX-License-Identifier: MIT
# parent.sh SOURCE WORK GENERATOR CC
# Build tests/install/parent, which embeds midatlas with add_subdirectory and
# then with FetchContent, and run its two programs each time.
set -eu
src=$1 work=$2 generator=$3 cc=$4

rm -rf "$work"
for route in subdir fetch; do
    cmake -S "$src/tests/install/parent" -B "$work/$route" -G "$generator" \
          -DCMAKE_C_COMPILER="$cc" -DROUTE=$route -DMIDATLAS_SOURCE="$src"
    cmake --build "$work/$route"
    "$work/$route/parent_shared"
    "$work/$route/parent_static"
done
