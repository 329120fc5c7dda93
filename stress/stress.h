/* SPDX-License-Identifier: MIT */
/*
 * stress.h - shared state of the midatlas stress harness (midatlas-stress).
 *
 * The harness runs one workload with N threads against one implementation and
 * checks invariants on every operation.  What it checks, and how:
 *
 *   owner[mid]     one atomic word per 16-bit MID value: associate CASes it
 *                  0 -> owner token and must succeed (no MID held twice); the
 *                  one thread allowed to end the association swaps it back to
 *                  0 just before ending it.
 *   contexts       encode magic | thread | sequence (ctx_make), so a wrong
 *                  delivery names the request it belonged to, and a value that
 *                  was never a context (a free-list link leaking out of map)
 *                  fails ctx_valid.
 *   request        one record per outstanding context in a per-thread ring:
 *   records        whoever obtains a context as "ended" (dissociate, discard,
 *                  reassociate's old value, drain's visitor) calls
 *                  stress_complete, whose fetch_add must find 0: every request
 *                  completes exactly once, under any race.  Each record
 *                  also keeps the MID its context was installed under, so a
 *                  map or lookup of MID m that returns a context installed
 *                  under another MID (a generation ignored) is caught.
 *   the table      EFULL while the workload cannot fill the table (saturated:
 *                  while it is full, to a thread that has just freed a MID
 *                  while the prober holds none), a thread that stops
 *                  moving, stats that disagree with the threads' counts,
 *                  and at the end validate, stats and one thread taking
 *                  every MID (stress_final.c).
 *
 * Pressure: --preempt stalls random threads at random instructions with a
 * signal; --migrate pins random threads to random CPUs (an implementation
 * that keeps per-CPU state, like midatlas's rseq paths, must follow); --chaos stalls them at the plugin's own race windows (hooked
 * midatlas plugins: the library's hook points).
 *
 * Replay: threads draw from xorshift streams seeded by --seed and their
 * index, so a seed replays the same decisions; thread interleavings differ
 * from run to run, so a replay reproduces the pressure, not the schedule.
 */
#ifndef MIDATLAS_STRESS_H
#define MIDATLAS_STRESS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "midatlas.h"
#include "midatlas/harness.h"

/* As many as a context's thread field holds (stress.h, "contexts"): 255, or
 * 15 on 32-bit targets. */
#define STRESS_MAX_THREADS ((UINTPTR_MAX > UINT32_MAX ? 256u : 16u) - 1)
#define STRESS_MID_VALUES 65536u
#define STRESS_LINE 64

/* ---- implementations ------------------------------------------------------ */

/* The harness drives any struct mid_impl (include/midatlas/harness.h): the
 * compiled-in midatlas and mutex tables, or a plugin.  Checks that need an
 * optional call run when the table offers it (stress_has). */
static inline bool stress_has(const struct mid_impl *impl, uint32_t features)
{
    return (impl->features & features) == features;
}

/* ---- contexts --------------------------------------------------------------- */

/* Where pointers have 64 bits: bits 46..43 magic, 42..35 thread, 34..3
 * sequence (32 bits), 2..0 zero (aligned like a pointer, below 2^47 like a
 * user-space address, never NULL).  On 32-bit targets the fields fit in 32
 * bits with fewer threads and a 21-bit sequence: 31..28 magic, 27..24
 * thread, 23..3 sequence.  A context carries its thread's count of requests
 * modulo 2^CTX_SEQ_BITS, never 0 (stress_new_ctx skips those), so a
 * thread's contexts are distinct among its outstanding requests, which are
 * fewer (threads_init checks).  On 32-bit a check that meets a context
 * after its thread has made 2^21 more requests (a checker descheduled for a
 * fifth of a second) may take it for the newer request of the same
 * sequence: with 17 bits, stress.reassoc saw that once in two i386 runs
 * ("map of a shared MID gave request 0/83931, which holds MID 0x6820"),
 * and with 11 bits in every run within 0.4 s. */
#define CTX_SEQ_BITS (UINTPTR_MAX > UINT32_MAX ? 32u : 21u)
#define CTX_TID_BITS (UINTPTR_MAX > UINT32_MAX ? 8u : 4u)
#define CTX_SEQ_MASK ((uint32_t)(((uint64_t)1 << CTX_SEQ_BITS) - 1))
#define CTX_TID_SHIFT (CTX_SEQ_BITS + 3)
#define CTX_MAGIC_SHIFT (CTX_TID_SHIFT + CTX_TID_BITS)
_Static_assert(CTX_MAGIC_SHIFT + 4 <= 8 * sizeof(uintptr_t), "a context fits a pointer");

enum ctx_magic {
    CTX_WORKER = 0xB, /* a worker's request                         */
    CTX_ATTACK = 0x6, /* attacker's values: never stored anywhere    */
    CTX_FINAL = 0x9,  /* the end-of-run quiescence check's contexts   */
};

static inline void *ctx_make(unsigned magic, unsigned tid, uint32_t seq)
{
    return (void *)(uintptr_t)(((uint64_t)magic << CTX_MAGIC_SHIFT) |
                               ((uint64_t)tid << CTX_TID_SHIFT) |
                               ((uint64_t)(seq & CTX_SEQ_MASK) << 3));
}
static inline unsigned ctx_magic(const void *c)
{
    return (unsigned)((uintptr_t)c >> CTX_MAGIC_SHIFT) & 0xFu;
}
static inline unsigned ctx_tid(const void *c)
{
    return (unsigned)((uintptr_t)c >> CTX_TID_SHIFT) & ((1u << CTX_TID_BITS) - 1);
}
static inline uint32_t ctx_seq(const void *c) { return (uint32_t)((uintptr_t)c >> 3) & CTX_SEQ_MASK; }
static inline bool ctx_shape_ok(const void *c)
{
    return ((uintptr_t)c & 7u) == 0 && ((uint64_t)(uintptr_t)c >> 47) == 0;
}

/* Could a context's sequence seq have been issued by the time its thread's
 * count of requests (not reduced) was hi?  Before the count first passes
 * 2^CTX_SEQ_BITS only seq <= hi could; after, any could (only on 32-bit
 * targets, whose 21-bit sequences wrap: the check of contexts "from the
 * future" is then off). */
static inline bool ctx_seq_issued(uint32_t seq, uint32_t hi)
{
    return hi > CTX_SEQ_MASK || seq <= hi;
}

/* ---- per-thread state ------------------------------------------------------- */

/* One request: its sequence (0: never issued), how often it was completed
 * (must end at exactly 1) and the MID it got (REQ_MID_UNKNOWN until then). */
struct stress_req {
    _Atomic uint32_t seq;
    _Atomic uint32_t done;
    _Atomic uint32_t mid;
};
#define REQ_MID_UNKNOWN 0xFFFFFFFFu

/* Single-producer single-consumer ring of posted (mid, ctx) pairs: a sender's
 * requests on their way to the receiver. */
struct stress_ring {
    _Atomic uint16_t *mids; /* atomic: the canceller peeks at entries */
    _Atomic(void *) *ctxs;
    uint32_t mask;
    _Alignas(STRESS_LINE) _Atomic uint32_t head; /* written by the sender   */
    _Alignas(STRESS_LINE) _Atomic uint32_t tail; /* written by the receiver */
};

struct stress_run;

struct stress_thread {
    struct stress_run *run;
    unsigned tid;
    pthread_t handle;
    uint64_t rng;
    uint32_t next_seq;                 /* owner only: the count, not reduced */
    _Atomic uint32_t published_seq;    /* the count at the newest request */
    struct stress_req *reqs;           /* ring of request records */
    uint32_t req_mask;
    uint16_t *held_mid;                /* window: MIDs this thread holds */
    void **held_ctx;
    uint32_t nheld;
    struct stress_ring ring;           /* pipeline/cancel/teardown senders */
    _Atomic int finished;              /* set when the workload returned */
    _Atomic uint64_t associations;     /* successful associates, written by this thread */
    _Alignas(STRESS_LINE) _Atomic uint64_t ops; /* written by this thread only */
    _Atomic uint32_t live;             /* MIDs held now (progress line) */
    char pad_[STRESS_LINE];
};

/* ---- one run -------------------------------------------------------------------- */

struct stress_cfg {
    const char *skip; /* comma-separated implementations left out of 'all' */
    const char *workload;
    unsigned threads;
    double seconds;
    uint64_t ops;     /* stop after this many operations (0: --seconds only) */
    uint32_t capacity;
    uint64_t seed;
    uint32_t window;  /* 0: derived from capacity and threads */
    int cpus[STRESS_MAX_THREADS];
    unsigned ncpus;
    bool quiet;       /* no progress lines */
    uint32_t preempt; /* signals per second that stall a random worker */
    uint32_t migrate; /* moves per second of a random worker to another CPU */
    uint32_t chaos;   /* MID_IMPL_HAS_CHAOS: stall 1 in `chaos` hook passes */
    bool no_stats_check; /* skip the running stats cross-check (MID_IMPL_HAS_STATS) */
};

struct stress_workload;

struct stress_run {
    const struct stress_cfg *cfg;
    const struct mid_impl *impl;
    const char *impl_arg;          /* the --impl that named it (replay line) */
    const struct stress_workload *wl;
    void *table;
    unsigned nthreads;
    uint32_t window;               /* per-thread outstanding MIDs (window) */
    uint32_t max_live;             /* most MIDs the workload can hold at once */
    bool efull_is_violation;       /* max_live < capacity: EFULL is a lie */
    _Atomic int stop;
    _Atomic uint64_t violations;
    _Atomic uint32_t owner[STRESS_MID_VALUES];
    /* reassoc: the shared MIDs, SHARED_EMPTY / SHARED_BUSY or a MID */
    uint32_t nshared;
    _Atomic uint32_t shared[64];
    /* saturated: the prober's counter, odd while it is inside associate or
     * holds its extra MID (workload_saturated.c), and what the run saw */
    _Alignas(STRESS_LINE) _Atomic uint64_t prober_ops;
    _Atomic uint64_t prober_full;    /* EFULLs the prober got               */
    _Atomic uint64_t quota_full;     /* quota EFULLs while the prober was busy */
    struct stress_thread *threads;
    double t0;                     /* CLOCK_MONOTONIC seconds at the start */
};

#define SHARED_EMPTY 0x10000u
#define SHARED_BUSY 0x20000u
#define OWNER_SHARED 0xFFFFu /* reassoc: the shared MIDs belong to everyone */
#define OWNER_FINAL 0xFFFEu  /* the end-of-run check's MIDs (stress_final.c) */

/* ---- workloads ------------------------------------------------------------------- */

struct stress_workload {
    const char *name;
    const char *help;
    void (*fn)(struct stress_thread *th);
    uint32_t needs;       /* MID_IMPL_HAS_* the workload calls */
    unsigned min_threads;
    void (*finish)(struct stress_run *run); /* after join, before the checks */
};

void workload_churn(struct stress_thread *th);
void workload_window(struct stress_thread *th);
void workload_pipeline(struct stress_thread *th);
void workload_reassoc(struct stress_thread *th);
void workload_cancel(struct stress_thread *th);
void workload_teardown(struct stress_thread *th);
void workload_attack(struct stress_thread *th);
void workload_saturated(struct stress_thread *th);
void reassoc_finish(struct stress_run *run);
void saturated_finish(struct stress_run *run);
unsigned attack_attackers(const struct stress_run *run);
/* saturated: thread tid's share of the capacity (0: the prober). */
uint32_t saturated_share(const struct stress_run *run, unsigned tid);

extern const struct stress_workload stress_workloads[];
const struct stress_workload *stress_workload_find(const char *name);

/* Operations all threads completed so far (stress_main.c). */
uint64_t stress_total_ops(struct stress_run *run);

/* ---- checks (stress_check.c) ------------------------------------------------------- */

/* Report a broken invariant: prints it with the seed that replays the run,
 * counts it and asks every thread to stop.  The run then exits non-zero. */
void stress_violation(struct stress_run *run, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static inline bool stress_stopped(const struct stress_run *run)
{
    return atomic_load_explicit(&run->stop, memory_order_relaxed) != 0;
}

/* One API call done by th (progress counters, read by the monitor). */
static inline void stress_tick(struct stress_thread *th, uint64_t n)
{
    atomic_store_explicit(&th->ops, atomic_load_explicit(&th->ops, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

/* th's associate succeeded (checked against the table's stats). */
/* The MIDs a thread holds (window, saturated): add one, and take entry i
 * out (the last moves into its place); `live` is the progress line's
 * figure. */
static inline void stress_hold_add(struct stress_thread *th, uint16_t mid, void *ctx)
{
    th->held_mid[th->nheld] = mid;
    th->held_ctx[th->nheld] = ctx;
    th->nheld++;
    atomic_store_explicit(&th->live, th->nheld, memory_order_relaxed);
}

static inline void stress_hold_remove(struct stress_thread *th, uint32_t i)
{
    th->nheld--;
    th->held_mid[i] = th->held_mid[th->nheld];
    th->held_ctx[i] = th->held_ctx[th->nheld];
    atomic_store_explicit(&th->live, th->nheld, memory_order_relaxed);
}

static inline void stress_count_association(struct stress_thread *th)
{
    atomic_store_explicit(&th->associations,
                          atomic_load_explicit(&th->associations, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

uint64_t stress_rand(struct stress_thread *th);

/* A fresh context for a new request of th, its record reset. */
void *stress_new_ctx(struct stress_thread *th);
/* A context that was never installed: close its record. */
void stress_unused_ctx(struct stress_thread *th, void *ctx);
/* `how` obtained ctx as ended, from `mid` (-1: unknown): must be the first. */
void stress_complete(struct stress_run *run, void *ctx, long mid, const char *how);
/* v, returned by map/lookup of mid, is NULL or a context installed under
 * mid itself (not under another MID, as a map ignoring generations gives). */
bool stress_mapped_ok(struct stress_run *run, uint16_t mid, const void *v, const char *how);
/* ctx could be a context some worker installed (map/lookup/drain results). */
bool stress_ctx_valid(struct stress_run *run, const void *ctx);

void stress_own_take(struct stress_run *run, uint16_t mid, uint32_t token, const char *who);
void stress_own_drop(struct stress_run *run, uint16_t mid, uint32_t token, const char *who);

/* associate through the interface and check it: ownership, map == ctx (or
 * NULL when `may_vanish`: another thread may already have ended it).
 * Returns the status; EFULL is a violation when the workload cannot fill the
 * table. */
int stress_associate(struct stress_thread *th, void *ctx, uint16_t *mid, uint32_t token,
                     bool may_vanish);
/* th ended (mid, ctx): calls with the old MID and context must not act. */
void stress_check_stale(struct stress_thread *th, uint16_t mid, void *ctx);
/* map result v for an owned mid must be ctx. */
void stress_check_map(struct stress_thread *th, uint16_t mid, void *ctx, bool may_vanish);

/* End of run, no thread running: accounting, records, nothing stranded. */
void stress_final_checks(struct stress_run *run);

/* Rings */
bool ring_push(struct stress_ring *r, uint16_t mid, void *ctx);
bool ring_pop(struct stress_ring *r, uint16_t *mid, void **ctx);
/* The MID the receiver takes next from r (1), else the last one it took (2);
 * 0 before the first post.  A racy peek: only a hint. */
int ring_peek_mid(struct stress_ring *r, uint16_t *mid);
/* The first sender thread of a pipeline-shaped workload. */
unsigned pipeline_first_sender(const struct stress_run *run);

#endif /* MIDATLAS_STRESS_H */
