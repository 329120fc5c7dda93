/* SPDX-License-Identifier: MIT */
/*
 * peer_order.c - peer-order: idr and idr-cyclic hand out the ids their
 * policies name.
 *
 *   peer-order PATH/idr.so PATH/idr-cyclic.so
 *
 * idr's lowest free id and idr-cyclic's next free id after the last handout
 * are the difference between the two peers that bench/RESULTS.md
 * compares ("What the one-thread lookup gap is not").  midatlas-conform's
 * rules hold for any order, so a peer that fell back to another one would
 * pass them, and the two columns would silently measure one policy.  One
 * script of calls at capacity 8; the ids each associate returns are
 * compared with the ids the policy gives, worked out by hand below.
 * Exit status: 0 pass, 1 a wrong id or status (one line each), 2 usage or a
 * refused plugin.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "impl_list.h"

#define PROG "peer-order"
#define CAPACITY 8u

static const struct mid_impl *const no_builtins[] = {NULL};
static struct impl_list impls = {.prog = PROG, .builtins = no_builtins};

/* The script: ASSOC hands out the next id; k >= 0 ends handout k. */
#define ASSOC (-1)
static const int calls[] = {
    ASSOC, ASSOC, ASSOC,                      /* handouts 0-2 */
    0,     ASSOC,                             /* end 0; handout 3 */
    1,     2,                                 /* end 1 and 2 */
    ASSOC, ASSOC, ASSOC, ASSOC, ASSOC, ASSOC, /* handouts 4-9 */
    3,     ASSOC, ASSOC,                      /* end 3; handouts 10, 11 */
    10,    ASSOC,                             /* end 10; handout 12 */
    ASSOC,                                    /* full: EFULL */
};
#define HANDOUTS 13

/* idr: the lowest free id, so an id just freed comes back at once.
 * idr-cyclic: the lowest free id above the last one handed out, else the
 * lowest free id: 0 to 7 in turn, then round from 0 (handouts 8 and 9 take
 * ids 0 and 1, freed at ends 0 and 1; 10 and 11 take 2 and 3); handout 12
 * finds ids 4 to 7 above id 3 all live and goes back to 2, which end 10
 * freed. */
static const uint16_t idr_ids[HANDOUTS] = {0, 1, 2, 0, 1, 2, 3, 4, 5, 6, 0, 7, 0};
static const uint16_t cyclic_ids[HANDOUTS] = {0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 2};

static char ctx_store[HANDOUTS + 1]; /* distinct non-NULL contexts */

/* Runs the script on im; returns the number of wrong answers. */
static int run(const struct mid_impl *im, const uint16_t want[HANDOUTS])
{
    void *t = im->create(CAPACITY);
    if (t == NULL) {
        fprintf(stderr, "%s: %s: create(%u) failed\n", PROG, im->name, CAPACITY);
        return 1;
    }
    int wrong = 0;
    unsigned n = 0;
    uint16_t mids[HANDOUTS];
    for (size_t c = 0; c < sizeof calls / sizeof calls[0]; c++) {
        if (calls[c] != ASSOC) {
            int st = im->dissociate(t, mids[calls[c]], NULL);
            if (st != MIDATLAS_OK) {
                fprintf(stderr, "%s: %s: dissociate of id %u: %d\n", PROG, im->name,
                        mids[calls[c]], st);
                wrong++;
            }
            continue;
        }
        uint16_t got = UINT16_MAX;
        int st = im->associate(t, &ctx_store[n], &got);
        if (n == HANDOUTS) {
            if (st != MIDATLAS_EFULL) {
                fprintf(stderr, "%s: %s: associate in a full table: %d, not EFULL\n", PROG,
                        im->name, st);
                wrong++;
            }
            break;
        }
        if (st != MIDATLAS_OK || got != want[n]) {
            fprintf(stderr, "%s: %s: handout %u: status %d, id %u; its policy gives id %u\n",
                    PROG, im->name, n, st, got, want[n]);
            wrong++;
        }
        mids[n++] = got;
    }
    im->destroy(t);
    return wrong;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s PATH/idr.so PATH/idr-cyclic.so\n", PROG);
        return 2;
    }
    for (int i = 1; i < argc; i++)
        if (!impl_list_add(&impls, argv[i]))
            return 2;
    int wrong = 0;
    for (size_t i = 0; i < impls.n; i++) {
        const struct mid_impl *im = impls.impls[i];
        const uint16_t *want = strcmp(im->name, "idr") == 0          ? idr_ids
                               : strcmp(im->name, "idr-cyclic") == 0 ? cyclic_ids
                                                                     : NULL;
        if (want == NULL) {
            fprintf(stderr, "%s: %s: neither idr nor idr-cyclic\n", PROG, im->name);
            return 2;
        }
        int w = run(im, want);
        printf("%s: %s: %s\n", PROG, im->name, w ? "WRONG" : "the ids its policy gives");
        wrong += w;
    }
    return wrong ? 1 : 0;
}
