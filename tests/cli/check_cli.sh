#!/bin/sh
# SPDX-License-Identifier: MIT
# check_cli.sh SCRIPT...
# Each script behaves like a tool: --help and --version answer on stdout with
# status 0; a bad option or argument gets exactly one line on stderr naming
# it, with a hint, status 2, and no shell error.  (Nothing is installed or
# built: every call here stops at argument parsing.)
set -u
status=0
bad() { echo "check_cli: $*" >&2; status=1; }

for tool in "$@"; do
    name=$(basename "$tool")
    for opt in --help --version; do
        out=$("$tool" "$opt" 2>/dev/null) || bad "$name $opt exits $?"
        [ -n "$out" ] || bad "$name $opt prints nothing"
    done
    for args in "--no-such-option" "no-such-argument" "-j"; do
        # -j is test.sh's option that needs a value; install-deps has none.
        # shellcheck disable=SC2086 # args is a word list
        err=$("$tool" $args 2>&1 >/dev/null)
        rc=$?
        lines=$(printf '%s\n' "$err" | wc -l)
        [ "$rc" = 2 ] || bad "$name $args exits $rc, not 2"
        [ "$lines" = 1 ] || bad "$name $args prints $lines lines on stderr, not one: $err"
        case "$err" in
            *--help*) ;;
            *) bad "$name $args gives no hint: $err" ;;
        esac
        case "$err" in
            *"line "[0-9]*|*"unbound variable"*|*"parameter null"*) bad "$name $args: shell error: $err" ;;
        esac
    done
done
[ $status = 0 ] && echo "check_cli: $# tools ok"
exit $status
