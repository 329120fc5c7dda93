#!/bin/sh
# SPDX-License-Identifier: MIT
# cmake_consumer.sh PREFIX SOURCE_DIR WORKDIR GENERATOR CC
# Configure and build the consumer project in SOURCE_DIR with
# find_package(midatlas) against the staged PREFIX, then run both programs.
set -eu
prefix=$1 source=$2 work=$3 generator=$4 cc=$5

rm -rf "$work"
cmake -S "$source" -B "$work" -G "$generator" -DCMAKE_C_COMPILER="$cc" \
      -DCMAKE_PREFIX_PATH="$prefix" -DEXPECTED_PREFIX="$prefix"
cmake --build "$work"
"$work/consumer_shared"
"$work/consumer_static"
