/* SPDX-License-Identifier: MIT */
/*
 * lap.c - the sweep meets every slot exactly once a lap, whatever the
 * capacity.
 *
 * The sweep order is a permutation twice over (src/sweep.h, "Order"): a
 * whole chunk is swept one slot per cache line in turn, the last, partial
 * chunk in index order, and from 8 chunks up the rotor hands chunks out in
 * a stride coprime to their number.  One thread that associates and at
 * once dissociates must therefore see `capacity` different slots in any
 * `capacity` handouts in a row; a mapping that sent two positions to one
 * slot would hand that slot out twice in a lap and another never (the
 * exact EFULL path would still find it, so nothing else would notice).
 * Capacities: with and without a partial last chunk, below and above the
 * 8 chunks where the chunk stride starts.  Exit 1 on the first repeat.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "midatlas.h"

static int lap(uint32_t capacity, uint32_t laps)
{
    struct midatlas *a = NULL;
    uint32_t bits = 0;
    while ((1u << bits) < capacity)
        bits++;
    unsigned char *seen = malloc(capacity);
    if (!seen || midatlas_create(&a, capacity, 0) != MIDATLAS_OK)
        return 1;
    for (uint32_t l = 0; l < laps; l++) {
        memset(seen, 0, capacity);
        for (uint32_t n = 0; n < capacity; n++) {
            uint16_t mid;
            if (midatlas_associate(a, (void *)(uintptr_t)(8u + 8u * n), &mid) != MIDATLAS_OK ||
                midatlas_dissociate(a, mid, NULL) != MIDATLAS_OK) {
                fprintf(stderr, "lap: capacity %u: call failed\n", capacity);
                return 1;
            }
            uint32_t i = mid & ((1u << bits) - 1u);
            if (seen[i]) {
                fprintf(stderr, "FAIL: capacity %u, lap %u: slot %u handed out twice "
                                "within %u handouts\n", capacity, l, i, n + 1);
                return 1;
            }
            seen[i] = 1;
        }
    }
    printf("capacity %u: %u laps, every slot once a lap\n", capacity, laps);
    free(seen);
    midatlas_destroy(a, NULL, NULL);
    return 0;
}

int main(void)
{
    static const uint32_t caps[] = {1, 7, 64, 100, 1000, 4096, 4097, 32768, 65535, 65536};
    int rc = 0;
    for (size_t k = 0; k < sizeof caps / sizeof caps[0] && rc == 0; k++)
        rc = lap(caps[k], 3);
    return rc;
}
