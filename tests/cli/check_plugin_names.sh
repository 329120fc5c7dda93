#!/bin/sh
# SPDX-License-Identifier: MIT
# check_plugin_names.sh CYCLE PLUGIN
# How the harness programs name plugins (bench/harness/impl_list.h): two
# files whose tables give one name are listed as NAME@FILE, both of them,
# whichever comes first; one file listed twice (by any path) is listed once;
# a plugin of a compiled-in table's name is NAME@FILE beside the compiled-in
# NAME.
# CYCLE is midatlas-cycle (it prints the names in its table), PLUGIN a
# plugin whose table is not compiled in (idr.so).
set -eu
cycle=$1 plugin=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cp "$plugin" "$dir/one.so"
cp "$plugin" "$dir/two.so"
name=$(basename "$plugin" .so)
fail=0

# names ARGS...: the implementation column of one short run, space-separated.
names() {
    "$cycle" "$@" --capacity 64 --runs 1 --cycles 100 |
        awk 'p { printf "%s%s", sep, $1; sep = " " } /^implementation/ { p = 1 }'
}

want() {
    if [ "$1" != "$2" ]; then
        echo "check_plugin_names: $3: got '$1', want '$2'" >&2
        fail=1
    fi
}

want "$(names --impl "$dir/one.so" --impl "$dir/two.so")" "$name@one.so $name@two.so" "one, two"
want "$(names --impl "$dir/two.so" --impl "$dir/one.so")" "$name@two.so $name@one.so" "two, one"
cp "$plugin" "$dir/three.so"
want "$(names --impl "$dir/one.so" --impl "$dir/two.so" --impl "$dir/three.so")" \
    "$name@one.so $name@two.so $name@three.so" "three of one name"
want "$(names --impl "$dir/one.so" --impl "$dir/one.so")" "$name" "one file twice"
# One file under two spellings of its path, or through a link: still one
# file (it was once listed twice, as NAME@one.so and NAME@./one.so).
want "$(cd "$dir" && names --impl "$dir/one.so" --impl ./one.so)" "$name" "one file, two paths"
ln -s one.so "$dir/link.so"
want "$(names --impl "$dir/one.so" --impl "$dir/link.so")" "$name" "one file and a link to it"
want "$(names --impl midatlas --impl "$dir/one.so")" "midatlas $name" "distinct names"
mkdir "$dir/sub"
cp "$plugin" "$dir/sub/one.so"
want "$(names --impl "$dir/one.so" --impl "$dir/sub/one.so")" \
    "$name@one.so $name@$dir/sub/one.so" "one file name in two directories"
exit $fail
