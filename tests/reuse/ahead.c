/* SPDX-License-Identifier: MIT */
/*
 * ahead.c - the lines a claim prefetches (src/prefetch.h) are the ones the
 * sweep claims in next, and never another chunk's.
 *
 * When the sweep leaves a cache line it asks for the line it will enter
 * PREFETCH_LINES_AHEAD line changes later (src/sweep.h, sweep_ahead), so
 * that the line arrives exclusive before the claim.  A wrong line costs
 * no correctness, only speed, which no test may time; so this test walks
 * the sweep order itself: for every whole chunk of atlases of several
 * capacities and stripe counts, at every line change it checks that the
 * line named lies in the chunk (the next chunk is likely another thread's:
 * taking its lines would slow that thread's claims) and that the sweep
 * enters it that many line changes on.  A prefetch in the wrong direction
 * (behind the sweep) or without the mask (past the chunk's end) fails.
 * And a chunk just taken prefetches the lines of its first claims
 * (sweep_line_entered): they must be the first lines its sweep enters,
 * whole chunks and the partial last one alike, in packed atlases and in
 * spread ones (MIDATLAS_F_SPREAD: two slots a line, a pair of the order).
 *
 * And the switch: MIDATLAS_PREFETCH=0 in the environment turns the
 * prefetch off for atlases created then; otherwise it is on where the CPU
 * has the instruction (CPUID on x86-64).  Exit 1 on the first failure.
 */
#define _POSIX_C_SOURCE 200112L /* setenv, unsetenv */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#endif

#include "midatlas.h"
#include "sweep.h"

static int failures;

static void fail(uint32_t capacity, const char *stripes, const char *what, uint32_t i,
                 uint32_t got, uint32_t want)
{
    fprintf(stderr, "ahead: capacity %u, MIDATLAS_STRIPES=%s: %s %u: %u, want %u\n",
            capacity, stripes ? stripes : "(unset)", what, i, got, want);
    failures++;
}

/* The cache line of a slot's word: 8 slots to a line, or 2 in a spread
 * atlas (src/atlas.h, slot_word). */
static uint32_t line_of(const struct midatlas *a, uint32_t slot)
{
    return (uint32_t)(((uintptr_t)slot_word(a, slot) - (uintptr_t)slot_word(a, 0)) /
                      MIDATLAS_CACHE_LINE);
}

/* Walk the sweep of the chunk [base, end) from its first cursor; check
 * the lines a new chunk prefetches (sweep_line_entered: the first ones the
 * sweep enters, in order) and, in a whole chunk, every prefetch its claims
 * would issue (sweep_ahead).  Returns the checks made. */
static uint32_t check_chunk(const struct midatlas *a, uint32_t base, uint32_t end,
                            const char *stripes)
{
    bool whole = end <= a->perm_end;
    bool down = whole && sweep_descends(a, end);
    /* The lines the sweep enters, in order (one entry per line change). */
    uint32_t seq[1024], n = 0;
    uint32_t from[1024]; /* the slot it left the previous line from */
    uint32_t i = down ? end - 1 : base;
    uint64_t first = cursor_make(i, end, 0);
    seq[n] = line_of(a, i);
    from[n++] = UINT32_MAX;
    for (uint32_t next = sweep_next(a, i, end); next != end;
         i = next, next = sweep_next(a, i, end)) {
        if (line_of(a, next) != line_of(a, i)) {
            if (n == 1024)
                abort(); /* chunks have at most 64 slots */
            seq[n] = line_of(a, next);
            from[n++] = i;
        }
    }
    uint32_t checks = 0;
    /* A new chunk's first lines: seq[k] while the first pass lasts (every
     * line once), then none. */
    uint32_t lines = line_of(a, end - 1) - line_of(a, base) + 1;
    for (uint32_t k = 0; k <= lines; k++, checks++) {
        uint32_t at = sweep_line_entered(a, first, k);
        if (k == lines ? at != UINT32_MAX : at == UINT32_MAX || line_of(a, at) != seq[k])
            fail(a->capacity, stripes, "a new chunk's line number", k,
                 at == UINT32_MAX ? 0 : line_of(a, at), k == lines ? 0 : seq[k]);
    }
    if (!whole)
        return checks;
    /* Leaving line seq[k - 1] from slot from[k], the sweep prefetches;
     * the line it enters PREFETCH_LINES_AHEAD changes later is seq[k - 1
     * + PREFETCH_LINES_AHEAD] (checked where the chunk's sweep gets there
     * before it ends; everywhere: inside the chunk). */
    for (uint32_t k = 1; k < n; k++, checks++) {
        uint32_t target = sweep_ahead(a, from[k], down);
        if (target < base || target >= end)
            fail(a->capacity, stripes, "prefetch outside the chunk from slot", from[k], target,
                 base);
        uint32_t at = k - 1 + PREFETCH_LINES_AHEAD;
        if (at < n && line_of(a, target) != seq[at])
            fail(a->capacity, stripes, "prefetched line is not the one entered ahead, from slot",
                 from[k], line_of(a, target), seq[at]);
    }
    return checks;
}

static void check_capacity(uint32_t capacity, unsigned flags, const char *stripes)
{
    if (stripes)
        setenv("MIDATLAS_STRIPES", stripes, 1);
    else
        unsetenv("MIDATLAS_STRIPES");
    struct midatlas *a = NULL;
    if (midatlas_create(&a, capacity, flags) != MIDATLAS_OK) {
        fprintf(stderr, "ahead: create %u (flags %#x) failed\n", capacity, flags);
        exit(1);
    }
    uint32_t checks = 0;
    /* Every chunk: the whole ones (the pair order), then a partial last
     * one (index order). */
    for (uint32_t base = 0; base < capacity; base += a->chunk_slots) {
        uint32_t end = capacity - base < a->chunk_slots ? capacity : base + a->chunk_slots;
        checks += check_chunk(a, base, end, stripes);
    }
    printf("ahead: capacity %5u, flags %#4x, %2u stripes, chunks of %2u, %2u slots a line: "
           "%u prefetches checked\n",
           capacity, flags, a->stripe_mask + 1, a->chunk_slots, slots_per_line(a), checks);
    midatlas_destroy(a, NULL, NULL);
}

/* The CPU's answer, asked here independently of cpus.c. */
static bool cpu_can_prefetch(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
    unsigned eax, ebx, ecx, edx;
    return __get_cpuid(0x80000001u, &eax, &ebx, &ecx, &edx) && (ecx & bit_PRFCHW) != 0;
#elif defined(__GNUC__)
    return true;
#else
    return false;
#endif
}

static void check_switch(void)
{
    struct midatlas *a = NULL;
    setenv("MIDATLAS_PREFETCH", "0", 1);
    if (midatlas_create(&a, 64, 0) != MIDATLAS_OK)
        exit(1);
    if (a->prefetch != 0)
        fail(64, NULL, "MIDATLAS_PREFETCH=0 left the prefetch on, atlas", 0, a->prefetch, 0);
    midatlas_destroy(a, NULL, NULL);
    unsetenv("MIDATLAS_PREFETCH");
    if (midatlas_create(&a, 64, 0) != MIDATLAS_OK)
        exit(1);
    if ((a->prefetch != 0) != cpu_can_prefetch())
        fail(64, NULL, "prefetch is not what the CPU can do, atlas", 0, a->prefetch,
             cpu_can_prefetch());
    midatlas_destroy(a, NULL, NULL);
}

int main(void)
{
    static const uint32_t caps[] = {16, 64, 100, 256, 1000, 4096, 32768, 65536};
    static const char *stripes[] = {NULL, "1", "2", "16"};
    /* The default (spread up to 64 slots), and each layout everywhere. */
    static const unsigned layouts[] = {0, MIDATLAS_F_SPREAD, MIDATLAS_F_PACKED};
    for (size_t l = 0; l < sizeof layouts / sizeof layouts[0]; l++)
        for (size_t s = 0; s < sizeof stripes / sizeof stripes[0]; s++)
            for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++)
                check_capacity(caps[c], layouts[l], stripes[s]);
    check_switch();
    if (failures) {
        fprintf(stderr, "ahead: %d failures\n", failures);
        return 1;
    }
    printf("ahead: ok\n");
    return 0;
}
