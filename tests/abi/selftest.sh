#!/bin/sh
# SPDX-License-Identifier: MIT
# selftest.sh CHECK_SYMBOLS LEAKY_SO LEAKY_A LEAKY_H
# check_symbols.sh must fail on the leaky library and name each leak.
set -u
out=$(sh "$1" "$2" "$3" "$4" 2>&1) && { echo "selftest: check_symbols passed a leaky library" >&2; exit 1; }
printf '%s\n' "$out"
status=0
for want in "exports wait_init" "exports midatlas__leaked" \
            "defines global wait_init" "internal midatlas__leaked is DEFAULT"; do
    printf '%s\n' "$out" | grep -q "$want" || { echo "selftest: no complaint '$want'" >&2; status=1; }
done
[ $status = 0 ] && echo "selftest: every leak reported"
exit $status
