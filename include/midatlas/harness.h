/* SPDX-License-Identifier: MIT */
/*
 * midatlas/harness.h - the plugin ABI of midatlas's test and benchmark
 * programs: bring your own MID allocator.
 *
 * midatlas-conform, midatlas-stress and midatlas-bench drive any allocator of
 * 16-bit request ids (MIDs) through one table of functions, struct mid_impl.
 * Build your allocator as a shared object that defines the entry point below,
 * then:
 *
 *     midatlas-conform --impl ./myalloc.so            every rule, in seconds
 *     midatlas-stress  --impl ./myalloc.so            races, checked per call
 *     midatlas-bench   --impl ./myalloc.so            vs midatlas and a mutex
 *
 * The plugin needs this header and <midatlas.h> (for the status codes) and
 * nothing else: it does not link libmidatlas.
 *
 * ================================ Entry point ================================
 *
 *   A plugin defines exactly one exported function,
 *
 *       const struct mid_impl *midatlas_harness_impl(void);
 *
 *   (write MIDATLAS_HARNESS_PLUGIN(my_table); at file scope) returning a table
 *   that lives as long as the shared object.  The harness dlopen()s the file,
 *   calls the entry point once, and refuses the plugin with one line on
 *   stderr and exit status 2 when:
 *     - the entry point is missing;
 *     - abi_version is not MIDATLAS_HARNESS_ABI_VERSION of the harness
 *       (abi_version is the first member in every version, so any harness can
 *       read it);
 *     - a required call (create, destroy, associate, map, dissociate) is NULL,
 *       or a feature bit is set whose calls are NULL;
 *     - name is not 1 to 64 characters of A-Z a-z 0-9 . _ + - (reports split
 *       benchmark names on '/' and lists on ',');
 *     - features has a bit this harness does not know;
 *     - max_capacity is neither 0 nor 64..65536.
 *   A program asked to run something the plugin's features do not cover
 *   (e.g. the "teardown" stress workload on a plugin without drain) says so in
 *   one line and skips it, or exits 2 when that is all it was asked to run.
 *
 * ================================== Tables ===================================
 *
 *   A table is whatever the plugin's create returns: the harness never looks
 *   inside.  One table holds `capacity` MIDs (1..max_capacity, 65536 at
 *   most); a MID is any 16-bit value the plugin chooses (its own layout:
 *   index, generation, ...; MID_IMPL_MIDATLAS_LAYOUT says it is midatlas's).
 *   A MID that is handed out again while an old copy of it may still arrive
 *   should carry a new generation, so the old copy is refused; a table
 *   without generations (Linux idr) still passes, since contexts are unique.
 *   Contexts are opaque non-NULL pointers below 2^48 that the table stores and
 *   returns, never dereferences.
 *
 * ================================== Threads ==================================
 *
 *   Every call but create and destroy may run on any number of threads at
 *   once, on the same table and the same MID.  create runs before any other
 *   call on the table and destroy after all of them have returned.
 *   thread_init/thread_fini (optional) run on each thread before its first
 *   and after its last call (e.g. liburcu registration).
 *
 * ================================= Statuses ==================================
 *
 *   Calls return MIDATLAS_OK (0) or a negative status of <midatlas.h>:
 *     MIDATLAS_EFULL      associate: every slot is live (or discarded);
 *     MIDATLAS_ERANGE     the MID names no slot of this table;
 *     MIDATLAS_EFREE      the MID's slot is free;
 *     MIDATLAS_ESTALE     the slot is in use under another MID value;
 *     MIDATLAS_EDISCARDED the MID is a tombstone (MID_IMPL_HAS_DISCARD);
 *     MIDATLAS_EMISMATCH  a conditional call found another context;
 *     MIDATLAS_EBUSY      release of a live MID.
 *   A plugin without MID_IMPL_HAS_LOOKUP may answer any negative status for a
 *   MID that is not live (the harness checks only "negative, nothing
 *   changed"); with it, every call answers exactly the status above that
 *   holds, in the precedence ERANGE, EFREE, ESTALE, EDISCARDED, EMISMATCH.
 *
 * ========================== What each call must do ===========================
 *
 *   create(capacity)   a new empty table of `capacity` MIDs, or NULL.  The
 *                      harness asks only for 1..max_capacity (0: 65536);
 *                      CHECKED: create succeeds for each of those it tries.
 *   destroy(t)         frees it (contexts still in it are the caller's).
 *   associate(t, c, &mid)
 *                      binds c to a MID no live association holds and stores
 *                      it in *mid; MIDATLAS_EFULL only when every MID is
 *                      taken.  CHECKED: no MID is ever handed out twice; with
 *                      fewer than capacity MIDs held, no EFULL (a free MID
 *                      cached in some thread's hand must still be found).
 *   map(t, mid)        the context of a live MID, NULL for every other 16-bit
 *                      value (free, stale, out of range).  CHECKED against
 *                      every wire value, and concurrently: map never returns
 *                      a context installed under another MID.
 *   dissociate(t, mid, &c)
 *                      ends a live association, stores its context in *c (c
 *                      may be NULL) and frees the MID.  When threads race to
 *                      end the same association exactly one gets MIDATLAS_OK;
 *                      the others a negative status, and *c untouched.
 *                      CHECKED: every context ends exactly once.
 *   MID_IMPL_HAS_REASSOCIATE_IF
 *     reassociate_if(t, mid, e, d)  one compare-and-swap: if mid is live with
 *                      context e, bind it to d; else EMISMATCH (or the
 *                      not-live status).  CHECKED: of racing swaps from e
 *                      exactly one wins; a stale MID never swaps.
 *   MID_IMPL_HAS_LOOKUP
 *     lookup(t, mid, &c)  OK and the context of a live MID, else ERANGE,
 *                      EFREE, ESTALE or EDISCARDED; nothing written on error.
 *   MID_IMPL_HAS_DISSOCIATE_IF
 *     dissociate_if(t, mid, e)  dissociate only if the context is e, else
 *                      EMISMATCH; the ended context is e.
 *   MID_IMPL_HAS_REASSOCIATE
 *     reassociate(t, mid, d, &old)  bind a live MID to d, the previous
 *                      context in *old (old may be NULL).
 *   MID_IMPL_HAS_DISCARD
 *     discard(t, mid, &c)  end the association (context in *c, exactly once
 *                      like dissociate) but keep the MID out of circulation as
 *                      a tombstone: map answers NULL, associate never hands
 *                      it out, until release(t, mid) frees it (EBUSY for a
 *                      live MID).
 *   MID_IMPL_HAS_DRAIN
 *     drain(t, fn, arg)  ends every live association, calling fn once per
 *                      context, and releases every tombstone; returns how many
 *                      contexts went to fn.  May race every other call: a
 *                      context reaches fn only if no other call ended it.
 *   MID_IMPL_HAS_STATS
 *     stats(t, &s)     counts (struct mid_impl_stats); exact when no call runs.
 *     validate(t, &why) MIDATLAS_OK when the table's own invariants hold
 *                      (called with no other call running), else a negative
 *                      status and a static message in *why.
 *   MID_IMPL_HAS_CHAOS
 *     chaos(every)     pressure hook for midatlas-stress --chaos: from now on
 *                      stall ~50 us at 1 in `every` passes of the plugin's own
 *                      race windows (0: stop).  Set before threads start.
 *   cas_failures(t)    optional (NULL: not counted): failed compare-and-swaps
 *                      so far, for midatlas-bench's retry column.
 *
 * ============================ Stability of the ABI ===========================
 *
 *   MIDATLAS_HARNESS_ABI_VERSION changes whenever a member is added, removed or
 *   changes meaning; a plugin is rebuilt against the new header.  New feature
 *   bits come with a new version too, so a harness never meets a bit it does
 *   not know from a plugin of its own version.
 */
#ifndef MIDATLAS_HARNESS_H
#define MIDATLAS_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include <midatlas.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MIDATLAS_HARNESS_ABI_VERSION 1u

/* The name of the entry point, for dlsym. */
#define MIDATLAS_HARNESS_ENTRY "midatlas_harness_impl"

/* Optional calls a plugin offers (struct mid_impl.features). */
enum mid_impl_feature {
    MID_IMPL_HAS_REASSOCIATE_IF = 1u << 0, /* reassociate_if                    */
    MID_IMPL_HAS_LOOKUP = 1u << 1,         /* lookup, and exact statuses        */
    MID_IMPL_HAS_DISSOCIATE_IF = 1u << 2,  /* dissociate_if                     */
    MID_IMPL_HAS_REASSOCIATE = 1u << 3,    /* reassociate                       */
    MID_IMPL_HAS_DISCARD = 1u << 4,        /* discard and release               */
    MID_IMPL_HAS_DRAIN = 1u << 5,          /* drain                             */
    MID_IMPL_HAS_STATS = 1u << 6,          /* stats and validate                */
    MID_IMPL_HAS_CHAOS = 1u << 7,          /* chaos                             */
};
#define MID_IMPL_FEATURES_KNOWN 0xFFu

/* struct mid_impl.traits: facts about the implementation, not calls. */
/* Built on inline-assembly atomics (Concurrency Kit, liburcu) that
 * ThreadSanitizer cannot see: TSan builds of the harness skip it. */
#define MID_IMPL_TSAN_BLIND 0x1u
/* MIDs follow midatlas's layout (midatlas.h, "MID layout": slot index in the
 * low ceil(log2(capacity)) bits): the harness then also checks that lookup
 * answers ERANGE exactly for indexes at or above the capacity. */
#define MID_IMPL_MIDATLAS_LAYOUT 0x2u

struct mid_impl_stats {
    uint32_t capacity;     /* as created                               */
    uint32_t usable;       /* MIDs that can be live at once             */
    uint32_t live;         /* associated now                            */
    uint32_t discarded;    /* tombstones now                            */
    uint32_t free;         /* usable - live - discarded                 */
    uint32_t reserved_;
    uint64_t associations; /* successful associates since create        */
};

struct mid_impl {
    uint32_t abi_version; /* MIDATLAS_HARNESS_ABI_VERSION; first in every version */
    uint32_t features;    /* MID_IMPL_HAS_* the table offers                      */
    uint32_t traits;      /* MID_IMPL_TSAN_BLIND ...                              */
    uint32_t max_capacity; /* largest capacity create accepts, 64..65536; 0: 65536 */
    const char *name;        /* short, for --impl and reports: "idr"              */
    const char *description; /* one line for --help and reports                   */

    /* Required. */
    void *(*create)(uint32_t capacity);
    void (*destroy)(void *table);
    int (*associate)(void *table, void *ctx, uint16_t *mid);
    void *(*map)(void *table, uint16_t mid);
    int (*dissociate)(void *table, uint16_t mid, void **ctx);

    /* Optional: NULL when absent. */
    void (*thread_init)(void);
    void (*thread_fini)(void);
    uint64_t (*cas_failures)(void *table);

    /* Present exactly when their feature bit is set. */
    int (*reassociate_if)(void *table, uint16_t mid, void *expected, void *desired);
    int (*lookup)(void *table, uint16_t mid, void **ctx);
    int (*dissociate_if)(void *table, uint16_t mid, void *expected);
    int (*reassociate)(void *table, uint16_t mid, void *desired, void **old);
    int (*discard)(void *table, uint16_t mid, void **ctx);
    int (*release)(void *table, uint16_t mid);
    size_t (*drain)(void *table, midatlas_visit_fn *fn, void *arg);
    void (*stats)(void *table, struct mid_impl_stats *out);
    int (*validate)(void *table, const char **why);
    void (*chaos)(uint32_t every);
};

typedef const struct mid_impl *midatlas_harness_entry_fn(void);

/* C linkage for the entry point where a plugin is C++: the macro expands at
 * the plugin's file scope, outside this header's extern "C". */
#ifdef __cplusplus
#define MIDATLAS_HARNESS_EXTERN_C extern "C"
#else
#define MIDATLAS_HARNESS_EXTERN_C
#endif

/* Defines the entry point, exported, returning &table. */
#define MIDATLAS_HARNESS_PLUGIN(table)                                                     \
    MIDATLAS_HARNESS_EXTERN_C __attribute__((visibility("default"))) const struct mid_impl * \
    midatlas_harness_impl(void);                                                           \
    MIDATLAS_HARNESS_EXTERN_C __attribute__((visibility("default"))) const struct mid_impl * \
    midatlas_harness_impl(void)                                                            \
    {                                                                                      \
        return &(table);                                                                   \
    }

#ifdef __cplusplus
}
#endif

#endif /* MIDATLAS_HARNESS_H */
