#!/bin/sh
# SPDX-License-Identifier: MIT
# check_symbols.sh SHARED_LIB STATIC_LIB HEADER...
# The public names are the declarations marked MIDATLAS_API in the public
# headers.  Fails when
#   - the shared library's dynamic symbol table defines any other name, or
#     lacks one of them;
#   - a public header declares a function without MIDATLAS_API;
#   - the static library has a global symbol that is neither public nor
#     midatlas__-prefixed, or a midatlas__ one that is not hidden (an
#     application's shared object that embeds libmidatlas.a would re-export
#     it), or a public one that is hidden.
# Every offending name is printed, one a line.
set -eu
so=$1 ar=$2
shift 2

public=$(sed -n 's/^MIDATLAS_API[^(]*[^A-Za-z0-9_]\([A-Za-z_][A-Za-z0-9_]*\) *(.*/\1/p' "$@" | sort -u)
if [ -z "$public" ]; then
    echo "check_symbols: no MIDATLAS_API declaration found in $*" >&2
    exit 1
fi
is_public() { printf '%s\n' "$public" | grep -qx "$1"; }

status=0
bad() { echo "check_symbols: $*" >&2; status=1; }

# A function declared in a public header without the mark would be hidden
# in the .so (and only the .so): every such declaration is an error too.
unmarked=$(grep -hE '^[A-Za-z_][A-Za-z0-9_ ]*[ *](midatlas_|midatlax_|Rx)[A-Za-z0-9_]* *\(' "$@" |
           grep -vE '^(MIDATLAS_API|typedef|#)' || true)
if [ -n "$unmarked" ]; then
    printf '%s\n' "$unmarked" | while read -r decl; do
        echo "check_symbols: declared without MIDATLAS_API: $decl" >&2
    done
    status=1
fi

exported=$(nm -D --defined-only "$so" | awk 'NF == 3 { print $3 }' | sed 's/@.*//' | sort -u)
for name in $exported; do
    is_public "$name" || bad "$so exports $name, which no public header declares"
done
for name in $public; do
    printf '%s\n' "$exported" | grep -qx "$name" || bad "$so does not export public $name"
done

# readelf -sW: Num Value Size Type Bind Vis Ndx Name; defined GLOBAL/WEAK only.
readelf -sW "$ar" | awk '($5 == "GLOBAL" || $5 == "WEAK") && $7 != "UND" { print $6, $8 }' |
    sort -u >"${TMPDIR:-/tmp}/check_symbols.$$"
while read -r vis name; do
    case "$name" in
        midatlas__*) [ "$vis" = HIDDEN ] || bad "$ar: internal $name is $vis, not HIDDEN" ;;
        # i386 PIC: gcc puts a hidden copy of these helpers in every object
        # (COMDAT), and the linker keeps one; no embedder can collide with them.
        __x86.get_pc_thunk.*) [ "$vis" = HIDDEN ] || bad "$ar: $name is $vis, not HIDDEN" ;;
        *) if ! is_public "$name"; then
               bad "$ar defines global $name, which is neither public nor midatlas__-prefixed"
           elif [ "$vis" != DEFAULT ]; then
               bad "$ar: public $name is $vis"
           fi ;;
    esac
done <"${TMPDIR:-/tmp}/check_symbols.$$"
rm -f "${TMPDIR:-/tmp}/check_symbols.$$"

[ "$status" = 0 ] && echo "check_symbols: $(printf '%s\n' "$public" | wc -l) public names, nothing else exported"
exit $status
