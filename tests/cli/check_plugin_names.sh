#!/bin/sh
# SPDX-License-Identifier: MIT
# check_plugin_names.sh CYCLE PLUGIN BUILTIN_PLUGIN
# How the harness programs name plugins (bench/harness/impl_list.h): two
# files whose tables give one name are listed as NAME@FILE, both of them,
# whichever comes first; one file listed twice (by any path) is listed once;
# a plugin of a compiled-in table's name is NAME@FILE beside the compiled-in
# NAME, whichever comes first.  No name has a '/' (benchmark names and the
# reports split on it): two files of one name in two directories are told
# apart by their paths with '/' written '_'.
# CYCLE is midatlas-cycle (it prints the names in its table), PLUGIN a
# plugin whose table is not compiled in (idr.so), BUILTIN_PLUGIN one whose
# table name is a compiled-in table's (midatlas.so).
set -eu
cycle=$1 plugin=$2 builtin_plugin=$3
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
    "$name@one.so $name@$(echo "$dir/sub/one.so" | tr / _)" "one file name in two directories"
# A plugin of a compiled-in name, before or after the compiled-in table: both
# run, each under its own name (the plugin first once hid the compiled-in
# table, whose --impl then found "midatlas" listed already).
cp "$builtin_plugin" "$dir/m.so"
want "$(names --impl midatlas --impl "$dir/m.so")" "midatlas midatlas@m.so" "compiled-in, plugin"
want "$(names --impl "$dir/m.so" --impl midatlas)" "midatlas@m.so midatlas" "plugin, compiled-in"
exit $fail
