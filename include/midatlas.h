/* SPDX-License-Identifier: MIT */
/**
 * @file midatlas.h
 * @brief Lock-free 16-bit request ids (MIDs) mapped to request contexts.
 *
 * @verbatim
 * midatlas.h - lock-free 16-bit request ids (MIDs) mapped to request contexts.
 *
 * An atlas hands out MIDs, maps a MID back to the context it was associated
 * with, and tells a late reply (stale MID) from a current one.  One atlas per
 * connection is the usual shape; thousands may coexist.
 *
 * ============================ Concurrency contract ===========================
 *
 * Who may call what, when
 *   - midatlas_create and midatlas_destroy are NOT thread-safe with respect to
 *     the atlas they create or destroy: the caller publishes the atlas pointer
 *     to other threads after create returns (with any release/acquire pair,
 *     e.g. a mutex or thread creation), and calls destroy only after every
 *     other call on the atlas has returned and none will follow.
 *   - Shutdown with threads that may still call: midatlas_close (waiters wake
 *     with MIDATLAS_ECLOSED, no new MID is handed out, replies in flight can
 *     still be completed), then join or otherwise stop those threads, then
 *     midatlas_destroy.  A waiter that returned OK before that owns its
 *     association like any other caller; destroy's visitor sees it.
 *   - Every other function may be called from any number of threads at once on
 *     the same atlas, in any combination, including racing calls on the same
 *     MID.  When several calls race to end the same association (dissociate,
 *     dissociate_if, discard, drain) exactly one wins; the others get
 *     MIDATLAS_EFREE or MIDATLAS_ESTALE (or EDISCARDED/EMISMATCH as the table
 *     below says) and change nothing.
 *
 * Progress
 *   - midatlas_map, midatlas_lookup, midatlas_stats and midatlas_strerror are
 *     wait-free: a bounded number of steps whatever other threads do.
 *     map and lookup write no shared memory.
 *   - midatlas_associate_wait blocks by design; while any thread waits in
 *     it, the calls that free or take MIDs hand them over under the atlas's
 *     wait-queue lock (see its comment).  Without waiters:
 *   - Every other call except create/destroy is lock-free: a thread that
 *     stalls, is preempted or dies inside a call cannot keep the others from
 *     completing theirs; a call retries only because another call made
 *     progress.  reassociate retries only when another reassociate of the same
 *     MID got in between.  midatlas_close and midatlas_drain take the
 *     wait-queue lock only when waiters are queued.
 *
 * No slot "in hand"
 *   - associate takes a FREE slot and publishes its context in one CAS, and
 *     dissociate, dissociate_if, release and drain free a slot in the one
 *     CAS that ends its association.  So every slot is at every instant
 *     visibly FREE, LIVE or DISCARDED, and a call stalled anywhere keeps
 *     no MID out of circulation, except in FULL mode (below) between a
 *     free and its recording.  (In 0.1 a free list held slots between two
 *     steps at any time, and EFULL had an exception for them.)
 *   - MIDATLAS_EFULL means: at one instant during the associate call,
 *     every usable slot was live or discarded, or had just been freed by a
 *     dissociate, dissociate_if, release or drain call that had not yet
 *     returned, or had been taken by another associate that had not yet
 *     returned.  So once every call that freed a slot has returned, an
 *     atlas with fewer than `usable` live plus discarded MIDs never answers
 *     EFULL, whatever other calls are doing.
 *   - Cost: the first EFULL of a full atlas reads every slot word twice
 *     (that is the proof); from then on the atlas is in "FULL mode" until
 *     more than 6 MIDs are freed at once: every free records its slot
 *     (about two more CASes), an associate takes a recorded slot, and EFULL
 *     costs a few loads, whatever the capacity.  The exception above is
 *     FULL mode's: a freeing call stopped between its free and its
 *     recording; outside FULL mode EFULL is exact.
 *
 * Cancellation, signals, fork
 *   - midatlas_associate_wait is a POSIX cancellation point (deferred
 *     cancellation: a thread cancelled while it waits leaves the queue and
 *     the lock, and a MID granted to it in that instant is freed again); no
 *     other call is a cancellation point, and none is async-cancel-safe.
 *   - midatlas_map, midatlas_lookup, midatlas_capacity and
 *     midatlas_strerror are async-signal-safe (one lock-free atomic load, no
 *     lock, no allocation); no other call is.
 *   - fork(): the child may keep using an atlas only if no other thread was
 *     inside a call on it at the fork (a call cut off there may hold a slot
 *     or the wait-queue lock for good); map and lookup are always safe.
 *
 * Memory ordering, as seen by callers
 *   - Everything a thread wrote before associating ctx (or reassociating to
 *     ctx) is visible to any thread that obtains ctx from map, lookup,
 *     dissociate, dissociate_if, reassociate (old), discard or drain.  The
 *     atlas itself never dereferences a context.
 *
 * Context lifetime: what the caller must guarantee
 *   - map and lookup return a context that was current at some instant during
 *     the call.  Another thread may dissociate (or discard, or drain) the MID
 *     the moment after, and that thread then owns the context.  A caller that
 *     dereferences what map returned must therefore make sure the context
 *     outlives the read: free contexts only after a grace period (liburcu:
 *     map under rcu_read_lock, free with call_rcu/synchronize_rcu), or hold a
 *     reference count taken before the context was associated and dropped by
 *     whoever wins the dissociation.  The usual transport shape - a single
 *     receiver thread that is also the only thread that dissociates - needs
 *     neither.
 *   - Exactly one call obtains a given association's context as "ended"
 *     (dissociate, dissociate_if, discard, reassociate's old value, drain's
 *     visitor, destroy's visitor): that caller owns it.
 *
 * Platform assumption: contexts are stored packed into one 64-bit word with
 *   the slot's generation; a context must fit in the low 48 bits (every user
 *   space pointer on x86-64 and AArch64 Linux with 48-bit virtual addresses,
 *   and every pointer on 32-bit targets).  A context with any of bits 48..63
 *   set is rejected with MIDATLAS_EINVAL, never truncated.
 *   MIDATLAS_CONTEXT_FITS(p) tests it.
 *
 * ================================ MID layout =================================
 *
 *   index_bits = ceil(log2(capacity))    (0 when capacity == 1)
 *   mid        = generation << index_bits | slot index
 *
 *   The generation has 16 - index_bits bits, except at capacity 1 where it has
 *   15 (so MIDs 0x8000..0xFFFF are never handed out at capacity 1; calls
 *   given one answer from the slot's state: EFREE or ESTALE).  It
 *   advances every time a slot is handed out, so a reply carrying an old MID is
 *   recognised as stale (MIDATLAS_ESTALE, map returns NULL) until that slot
 *   has been handed out 2^generation_bits more times.
 *   The first MID handed out for slot i is i itself (generation 0) unless
 *   that value is reserved by a flag.
 *
 * ================================ Stale window ===============================
 *
 *   Free MIDs are handed out in rotation: associate sweeps the slots in one
 *   atlas-wide order, round and round, and takes the FREE ones it meets, so
 *   a slot freed now is handed out again only when the sweep comes round to
 *   it, after every other slot free on the way had its turn.  A slot is
 *   handed out about once per `usable - in flight` handouts, and a MID value
 *   comes back only after 2^generation_bits of its slot's handouts.  A reply
 *   that arrives fewer handouts late than that is always recognised as
 *   stale; it is never delivered to another request.
 *
 *   Guaranteed for one thread with W requests in flight (G = generation
 *   bits), while fewer than half the usable slots are in use and the
 *   thread is not in a scarce spell (below: a thread that met the atlas
 *   more than half in use is in one for its next 64 to 4096 associates):
 *     same MID value again after >= (2^G - 1) * (usable - W) handouts
 *
 *     capacity  G    W = 1     W = 32    (measured, tests/reuse: W=1, W=32)
 *           64  10   64449     32736     65536, 65536
 *          256   8   65025     57120     65536, 65536
 *         4096   4   61425     60945     65536, 65536
 *        32768   1   32767     32736     65536, 65536
 *
 *   With the rseq claim path (midatlas_create; the default on x86-64
 *   Linux), a thread that the scheduler moves between CPUs sweeps one chunk
 *   per CPU, and a lap may end before one of them is swept out: a slot may
 *   then come back up to one chunk (64 slots) early, so read usable - W
 *   above as usable - W - 64 (tests/reuse/lap.c, --rseq --migrate).
 *
 *   Several threads sweep different parts of the order at once; a slot is
 *   still met once per lap by the sweep as a whole.  A thread stopped in
 *   the middle of its part (descheduled) while the others go on cannot
 *   hand out a slot early when it comes back: its part ends once the
 *   others are a quarter of the order past it (or two chunks of the sweep
 *   per stripe, or at the latest when the order comes round to its part
 *   again), and the slots it left wait for the next lap.  So two handouts
 *   of one slot are at least three quarters of a lap of the order apart
 *   in an atlas of 8 chunks per stripe or more (512 slots per stripe, at
 *   chunks of 64); in a smaller one a thread that comes back never hands
 *   out what the next lap has handed out already (tests/reuse/stale.c).
 *   One exception: the thread whose take is to end a part may itself be
 *   stopped between its take and that end, and the part then goes on
 *   until the order comes round to it.  Within a part no slot comes
 *   twice: a thread stopped after its claim cannot set its part's
 *   position back (before 2026-12-04 it could, and slots came back at
 *   once).  The test
 *   (tests/reuse, counted in handouts, never in time) requires at least
 *   16384 handouts for 2 threads and 4096 for 4, on a loaded 2-core
 *   machine too.  Minima measured at capacity 32768 (one generation bit:
 *   two handouts of a slot) with 4 threads on 2 CPUs: 47181 to 55222
 *   under TSan (6 runs), 51499 to 59064 under TSan beside a CPU hog (12
 *   runs) and 43059 to 65468 in a release build (3 runs);
 *   before 2026-12-04, 27272 to 32705 under TSan (40 runs beside a CPU
 *   hog) and 1722 once in CI's TSan tree, and about 32600 in release: a
 *   slot came twice in one lap in nearly every run.
 *
 *   An atlas more than half in use: when an associate had to pass over half
 *   the usable slots in use before it found a free one, rotation cannot buy
 *   much distance any more, and for a while (a scarce spell) that thread's
 *   associates first try the slot the same thread freed last (as a LIFO
 *   free list would).  The stale window then shrinks towards (free slots)
 *   * 2^G handouts, and below that for a thread that frees and takes at
 *   once: a MID value may come back after 2^G of its handouts.  A spell
 *   lasts 64 associates of that thread; at its end the thread looks at one
 *   chunk, and while that is more than half in use the next spell is twice
 *   as long, up to 4096.  The spell runs out even if the atlas empties
 *   meanwhile: nothing cheaper than a look at every slot tells how full
 *   the atlas is, so the bound above holds for the thread's handouts from
 *   the end of its spell.  Keep an atlas sized so that it is less than
 *   half full if late replies matter.  A
 *   full atlas (FULL mode, "No slot in hand") hands out the freed slots
 *   themselves, the freeing thread's own first: a slot may come back on
 *   the next handout.
 *
 *   Above 32768 slots there are no generation bits: a late reply carries the
 *   very value of its slot's next handout and cannot be told from it.  The
 *   rotation still keeps a freed slot out of use until the sweep comes
 *   round, except in an atlas more than half in use (above): do not rely on
 *   staleness there.
 * @endverbatim
 */
#ifndef MIDATLAS_H
#define MIDATLAS_H

#include <stddef.h>
#include <stdint.h>

#include "midatlas/export.h"
#include "midatlas/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------- statuses -------------------------------- */

/** The result of every int-returning call: MIDATLAS_OK (0) or one of the
 * negative errors below. */
enum midatlas_status {
    MIDATLAS_OK = 0,
    MIDATLAS_EINVAL = -1,     /**< bad argument: NULL atlas/out-pointer/context,
                                 capacity 0 or > 65536, unknown flag, context
                                 that does not fit in 48 bits               */
    MIDATLAS_EFULL = -2,      /**< every usable slot is live or discarded
                                 (at one instant, short of frees still in
                                 progress: "No slot in hand" above)       */
    MIDATLAS_ERANGE = -3,     /**< index >= capacity, or a reserved MID value  */
    MIDATLAS_EFREE = -4,      /**< the MID's slot is free                      */
    MIDATLAS_ESTALE = -5,     /**< slot live/discarded under another generation*/
    MIDATLAS_EDISCARDED = -6, /**< the MID is a tombstone                      */
    MIDATLAS_EMISMATCH = -7,  /**< conditional op found another context        */
    MIDATLAS_EBUSY = -8,      /**< release of a live MID                       */
    MIDATLAS_ENOMEM = -9,     /**< allocation failed                           */
    MIDATLAS_ETIMEDOUT = -10, /**< a waiting call ran out of time              */
    MIDATLAS_ECLOSED = -11,   /**< the atlas is closed (midatlas_close), or
                                 was drained while the call waited          */
};

/* Precedence when several statuses hold:
 * EINVAL, ERANGE, EFREE, ESTALE, EDISCARDED, EMISMATCH. */

/* -------------------------------- limits --------------------------------- */

/** The largest capacity: every 16-bit value a MID. */
#define MIDATLAS_MAX_CAPACITY 65536u

/** Largest context value the atlas can store (see "Platform assumption"). */
#define MIDATLAS_CONTEXT_MAX ((uint64_t)0xFFFFFFFFFFFFull)
/** True when pointer p can be stored as a context (see MIDATLAS_CONTEXT_MAX). */
#define MIDATLAS_CONTEXT_FITS(p) ((uint64_t)(uintptr_t)(p) <= MIDATLAS_CONTEXT_MAX)

/* --------------------------------- flags --------------------------------- */

/** Never hand out 0x0000 (SMB1 clients skip it). */
#define MIDATLAS_F_NO_ZERO 0x1u
/** Never hand out 0xFFFF (9P NOTAG, SMB1 oplock-break MID). */
#define MIDATLAS_F_NO_FFFF 0x2u
/** Both, as an SMB1 client wants. */
#define MIDATLAS_F_SMB1 (MIDATLAS_F_NO_ZERO | MIDATLAS_F_NO_FFFF)
/** What a 9P client wants: NOTAG is never a tag. */
#define MIDATLAS_F_9P MIDATLAS_F_NO_FFFF
/** Claim by CAS only: this atlas never uses the rseq claim path
 * (midatlas_create), whatever the environment says.  The same MIDs and
 * statuses either way; for an atlas that several threads keep nearly full
 * (an NVMe-style queue of exactly its depth), where that path's claims
 * outside owned chunks cost two more locked instructions than the CAS. */
#define MIDATLAS_F_NO_RSEQ 0x4u
/** Two slot words to a cache line instead of eight, whatever the capacity
 * (32 bytes a slot instead of 8): a line holds the two slots that the
 * sweep hands out one after the other, so threads on different CPUs
 * rarely hold MIDs of one line and take it from each other at every
 * call.  For an atlas that several threads keep full (each reusing the
 * slot it freed, "Stale window"), where which MIDs share a line is fixed
 * when the atlas fills up.  The default at capacity
 * MIDATLAS_SPREAD_MAX_CAPACITY and below (midatlas_create). */
#define MIDATLAS_F_SPREAD 0x8u
/** Eight slot words to a cache line, whatever the capacity: the memory of
 * 0.1 for a small atlas (midatlas_create).  With MIDATLAS_F_SPREAD:
 * MIDATLAS_EINVAL. */
#define MIDATLAS_F_PACKED 0x10u
/** Every flag this version knows; other bits give MIDATLAS_EINVAL. */
#define MIDATLAS_F_ALL                                                                             \
    (MIDATLAS_F_NO_ZERO | MIDATLAS_F_NO_FFFF | MIDATLAS_F_NO_RSEQ | MIDATLAS_F_SPREAD |          \
     MIDATLAS_F_PACKED)
/** True when flags is a combination midatlas_create accepts: known bits,
 * and not both MIDATLAS_F_SPREAD and MIDATLAS_F_PACKED. */
#define MIDATLAS_FLAGS_VALID(flags)                                                                \
    (((flags) & ~MIDATLAS_F_ALL) == 0 &&                                                           \
     ((flags) & (MIDATLAS_F_SPREAD | MIDATLAS_F_PACKED)) != (MIDATLAS_F_SPREAD | MIDATLAS_F_PACKED))
/** Atlases of at most this many slots are spread (two slot words a cache
 * line) unless created with MIDATLAS_F_PACKED (midatlas_create). */
#define MIDATLAS_SPREAD_MAX_CAPACITY 64u

/* A reserved value is never handed out, and every call given it answers
 * MIDATLAS_ERANGE (map: NULL).  At capacities above 32768 a slot has a single
 * MID, so reserving 0x0000 or 0xFFFF takes slot 0 or slot 65535 out of use and
 * one fewer MID can be live at once (stats.usable says how many can). */

/* --------------------------------- types --------------------------------- */

/** An atlas: opaque, made by midatlas_create(). */
struct midatlas;

/** The visitor of midatlas_destroy(), midatlas_drain() and
 * midatlas_foreach(): a context, its MID and the caller's arg. */
typedef void midatlas_visit_fn(void *ctx, uint16_t mid, void *arg);

/** What midatlas_stats() and midatlas_stats_ex() report.  Allocated by the
 * caller; fields are only ever appended, after `bytes` (README, "ABI
 * policy"), and reach callers through midatlas_stats_ex(). */
struct midatlas_stats {
    uint32_t capacity;   /**< as created                                      */
    uint32_t live;       /**< associated MIDs                                  */
    uint32_t discarded;  /**< tombstones                                       */
    /** The most slots in use at once: live or discarded.  Sampled off the
     * fast path: when associate proves EFULL, now and then when an
     * associate finds the atlas more than half in use ("Stale window"), and
     * on every midatlas_stats and midatlas_drain call; each sample is the
     * count at one instant (a double collect of the slot words; a sample
     * whose slots kept changing is dropped).  So it is never above the true
     * peak, exact at quiescence (a stats call then samples the current
     * count), and may miss a peak below half the atlas that no stats or
     * drain call saw.                                                      */
    uint32_t high_water;
    uint64_t associations;  /**< successful associates, ever                   */
    uint64_t full_failures; /**< associates that returned MIDATLAS_EFULL       */
    /* Additions (the contract allows adding fields): */
    uint32_t usable;        /**< capacity less slots taken out by flags        */
    uint32_t free;          /**< usable - live - discarded                     */
    uint32_t stripes;       /**< number of stripes (sweep cursors)            */
    uint32_t reserved_;     /**< padding, always 0                           */
    uint64_t cas_failures;  /**< failed compare-and-swaps on slot words: a
                               measure of contention                         */
    size_t bytes;           /**< memory held by the atlas                      */
    /* Appended after 0.1: midatlas_stats_ex() fills them, midatlas_stats()
     * does not (it writes the 0.1 layout only). */
    /** Chunks whose FREE slots the CPU that owns one claims by a plain store
     * (the rseq claim path, midatlas_create): every chunk of an atlas with
     * owned chunks, and of a small atlas owned whole until it is shared; 0:
     * this atlas claims by CAS only (shared, MIDATLAS_F_NO_RSEQ,
     * MIDATLAS_RSEQ=0, or no rseq here). */
    uint32_t rseq_chunks;
    /** Of those, the ones a CPU owned when they were read (one byte each,
     * read one after another: a sample, not an instant; a small atlas's
     * chunks are owned all together or not at all). */
    uint32_t owned_chunks;
    /** Bytes each slot word takes: 8, or 32 in a spread atlas (two a cache
     * line: MIDATLAS_F_SPREAD, midatlas_create). */
    uint32_t slot_bytes;
    uint32_t reserved2_; /**< padding, always 0 */
};

/** The same struct under a name C++ can use without `struct`: there the
 *  function midatlas_stats() hides the struct's tag, so
 *  `midatlas_stats_t st{};` is how C++ declares one. */
typedef struct midatlas_stats midatlas_stats_t;

/* -------------------------------- functions ------------------------------ */

/** Create an atlas of `capacity` (1..65536) MIDs.  flags: 0 or MIDATLAS_F_*.
 * OK, EINVAL (NULL atlas, capacity 0 or > 65536, unknown flag, both
 * MIDATLAS_F_SPREAD and MIDATLAS_F_PACKED), ENOMEM.
 * Memory: 8 bytes per slot (32 in a spread atlas, below) plus one 64-byte
 * line per stripe plus a 384-byte header and 512 unused bytes (the slots'
 * distance from the stripes, which keeps the hardware prefetchers off
 * them), plus 4 bytes per chunk of the sweep (64 slots; smaller chunks
 * below capacity 128 x stripes), spread over 16 lines per 256 chunks (a
 * line per chunk below 16 chunks): the tickets that end a stopped thread's
 * part of the sweep ("Stale window"), whatever the number of threads that
 * use it.  Stripes (each holds
 * the sweep cursor of the threads running on its CPUs): enough that no two
 * CPUs this process may run on share one (a CPU's stripe is its number
 * modulo the count: the highest CPU number plus one, rounded up to a power
 * of two), at most 16 and at most capacity / 4; $MIDATLAS_STRIPES overrides
 * that count.  So at most 8 bytes per slot (32 spread) + 2.9 KiB up to capacity
 * 16384, and + 1.9 KiB + capacity / 16 bytes above; an atlas that uses the
 * rseq claim path (below) has 1 KiB of owner bytes and one more line per
 * stripe: 2 KiB more.
 *
 * Spread atlases: an atlas of at most MIDATLAS_SPREAD_MAX_CAPACITY (64)
 * slots, or one created with MIDATLAS_F_SPREAD, puts two slot words in a
 * 64-byte line instead of eight: 2 KiB of slots at capacity 64 instead of
 * 512 bytes.  The two are a pair of the sweep's order, handed out one
 * after the other, so they mostly go to one thread.  A small atlas is
 * often full, and in a full atlas each thread reuses the slot it freed,
 * so which threads share a line is fixed from the moment it filled up;
 * with threads on two CPUs both writing one line at every call, lookups
 * at 4 and 8 threads at capacity 64 took a quarter to two thirds of the
 * time spread that they took packed, and swung less from run to run
 * (bench/RESULTS.md, "Two slots a line in small atlases").
 * MIDATLAS_F_PACKED keeps 8 slots to a line (the memory of 0.1).  The MIDs,
 * statuses, sweep order and stale window are the same either way.
 *
 * Claims ask for a slot's cache line exclusive before they need it
 * (PREFETCHW on x86-64 where CPUID has it; a write prefetch elsewhere): a
 * hint that changes no result.  MIDATLAS_PREFETCH=0 in the environment
 * (read at each create) turns it off for the atlases created then.
 *
 * The rseq claim path: on x86-64 Linux with glibc 2.35 or later, an atlas
 * of at least 4 chunks per stripe (capacity 512 and up on 2 CPUs) lets the
 * CPU that sweeps a chunk claim its slots with a plain store inside a
 * restartable sequence, so that a MID cycle costs one locked instruction
 * (the ending) instead of two; other CPUs stay out of a chunk one owns,
 * and take it back with membarrier(2) when they must (EFULL's proof, FULL
 * mode).  On by default; MIDATLAS_RSEQ=0 in the environment (read once
 * per process, at the first create) turns it off for the process, and
 * MIDATLAS_F_NO_RSEQ for one atlas.  Its cost: a claim in a chunk no CPU
 * owns (an atlas more than half in use, where a thread reuses the slot it
 * freed last, "Stale window") announces itself with two more locked
 * instructions; at capacity 4096 kept 99% full by 2 threads a cycle took
 * about twice as long as by CAS, while at 1 thread it was faster
 * (bench/RESULTS.md, "The rseq claim path by default").  A smaller atlas is
 * owned whole: the CPU of its first claim claims by the same store, a thread
 * that migrates takes the ownership along, and so does another thread once the
 * owner made 4096 claims since the ownership last changed hands (a connection
 * passed to another thread); otherwise the first claim from another thread on
 * another CPU (or from a thread without rseq) shares the atlas for good: it
 * claims by CAS from then on, after one membarrier (bench/RESULTS.md, "Small
 * atlases owned whole", "Handing a small atlas over").  The first create with
 * it on registers the process for membarrier's PRIVATE_EXPEDITED_RSEQ command,
 * as liburcu registers for PRIVATE_EXPEDITED, and keeps the object that holds
 * the library (the program, libmidatlas.so, or a plugin that embeds
 * libmidatlas.a) mapped until the process exits: dlclose() no longer unmaps
 * it, because a thread's rseq area may still point into it (where that cannot
 * be done, the path stays off).  Off under the sanitizers; where rseq or
 * membarrier is missing (older glibc, glibc.pthread.rseq=0, a seccomp filter,
 * valgrind), and on a thread without rseq, claims are CAS as with it off.
 * Lock-free as without it: an associate that must have a slot of a chunk
 * whose owner, acquirer or revoker was preempted takes the slot after a
 * membarrier of its own, and never waits for that thread. */
MIDATLAS_API int midatlas_create(struct midatlas **atlas, uint32_t capacity, unsigned flags);

/** Call fn(ctx, mid, arg) once for every live context (fn may be NULL), then
 * free the atlas.  Tombstones are dropped silently.  Only after every other
 * call on the atlas has returned, and none may follow: to stop threads that
 * may be waiting in midatlas_associate_wait, call midatlas_close first and
 * join them.  A call found still queued there is that breach, seen: destroy
 * then prints which and aborts rather than free the atlas under it.  NULL
 * atlas: no-op. */
MIDATLAS_API void midatlas_destroy(struct midatlas *atlas, midatlas_visit_fn *fn, void *arg);

/** Hand out a free MID bound to ctx, stored in *mid.
 * OK, EINVAL (NULL atlas/mid/ctx, ctx does not fit), EFULL (at one instant
 * during the call every usable slot was live or discarded, short of frees
 * still in progress: see "No slot in hand"; no free MID is ever hidden in a
 * cache), ECLOSED (midatlas_close was called).  Usually one load and one
 * CAS; an atlas close to full costs a sweep over the slots in use, the
 * first EFULL of a full atlas two reads of every slot word, and every
 * later one a few loads ("FULL mode"). */
MIDATLAS_API int midatlas_associate(struct midatlas *atlas, void *ctx, uint16_t *mid);

/** The context of a live MID of the current generation, else NULL (also for a
 * NULL atlas).  One acquire load and a compare; wait-free. */
MIDATLAS_API void *midatlas_map(struct midatlas *atlas, uint16_t mid);

/** Full answer for mid: OK and *ctx, or EINVAL, ERANGE, EFREE, ESTALE,
 * EDISCARDED.  Wait-free, writes nothing
 * shared, async-signal-safe. */
MIDATLAS_API int midatlas_lookup(struct midatlas *atlas, uint16_t mid, void **ctx);

/** End the association: the MID becomes free, its context goes to *ctx (ctx
 * may be NULL).  OK, EINVAL, ERANGE, EFREE, ESTALE, EDISCARDED. */
MIDATLAS_API int midatlas_dissociate(struct midatlas *atlas, uint16_t mid, void **ctx);

/** Dissociate only if the current context is `expected`.
 * OK, EINVAL (NULL atlas or expected), ERANGE, EFREE, ESTALE, EDISCARDED,
 * EMISMATCH. */
MIDATLAS_API int midatlas_dissociate_if(struct midatlas *atlas, uint16_t mid, void *expected);

/** Bind live MID to `desired`, previous context to *old (may be NULL).  The MID
 * keeps its value.  OK, EINVAL (NULL atlas/desired, desired does not fit),
 * ERANGE, EFREE, ESTALE, EDISCARDED. */
MIDATLAS_API int midatlas_reassociate(struct midatlas *atlas, uint16_t mid, void *desired,
                                      void **old);

/** One compare-and-swap: bind to `desired` only if the context is `expected`.
 * OK, EINVAL, ERANGE, EFREE, ESTALE, EDISCARDED, EMISMATCH. */
MIDATLAS_API int midatlas_reassociate_if(struct midatlas *atlas, uint16_t mid, void *expected,
                                         void *desired);

/** Turn a live MID into a tombstone: the context goes to *ctx (may be NULL), the
 * MID stays out of circulation until midatlas_release.
 * OK, EINVAL, ERANGE, EFREE, ESTALE, EDISCARDED. */
MIDATLAS_API int midatlas_discard(struct midatlas *atlas, uint16_t mid, void **ctx);

/** Turn a tombstone of the current generation back into a free MID.
 * OK, EINVAL, ERANGE, EFREE, ESTALE, EBUSY (the MID is live). */
MIDATLAS_API int midatlas_release(struct midatlas *atlas, uint16_t mid);

/** Dissociate every live MID, calling fn(ctx, mid, arg) for each (fn may be
 * NULL), and release every tombstone.  Returns the number of contexts that
 * went to fn.  May race every other call: a context reaches fn only if this
 * drain won its MID, and once for each association.  MIDs associated while
 * drain runs may or may not be drained, fn's own among them: a context fn
 * associates again may come to fn again in the same call.  Lock-free; 0
 * for a NULL atlas. */
MIDATLAS_API size_t midatlas_drain(struct midatlas *atlas, midatlas_visit_fn *fn, void *arg);

/** Fill *stats.  live, discarded, associations and full_failures are exact when
 * no other call runs, momentary approximations otherwise; see high_water
 * above.  Reads every slot word twice: O(capacity), tens of microseconds
 * at 65536 slots, for monitoring rather than per request; NULL atlas or
 * stats: no-op.  Writes the 0.1 layout of
 * struct midatlas_stats (up to and including `bytes`) and never more, in
 * every later version, so a caller built against an older header is never
 * written past; fields added later are read with midatlas_stats_ex(). */
MIDATLAS_API void midatlas_stats(struct midatlas *atlas, struct midatlas_stats *stats);

/** A fixed message for every status, and for unknown values. */
MIDATLAS_API const char *midatlas_strerror(int status);

/* ------------------------------- additions ------------------------------- */

/** Associate, waiting for a free MID when none is left.
 *   timeout_ns == 0: try once; < 0: wait without limit; > 0: wait at most that
 *   long (CLOCK_MONOTONIC).
 * OK, EINVAL (as associate), ETIMEDOUT (no MID in time), ECLOSED (the atlas
 * is closed, or was closed or drained while this call waited).
 * Waiters sleep (no spinning) and are served first in, first out: a MID freed
 * while anyone waits goes to the oldest waiter, and associate (waiting or not)
 * does not take a MID past a waiter queued before it - plain associate answers
 * EFULL while older waiters remain unserved.  A waiter that times out while a
 * MID is being handed to it either gets that MID (OK) or leaves it for the next
 * waiter; no MID is ever lost.
 * Progress: with nobody waiting, associate and dissociate add one load of a
 * read-mostly word and stay lock-free; once waiters exist, dissociate, release,
 * drain and associate take the atlas's wait-queue lock briefly to hand MIDs
 * over.  A cancellation point: see "Cancellation, signals, fork". */
MIDATLAS_API int midatlas_associate_wait(struct midatlas *atlas, void *ctx, uint16_t *mid,
                                         int64_t timeout_ns);

/** Close the atlas for new associations.  Close takes effect at one
 * instant inside the call; from then on every associate and associate_wait
 * answers ECLOSED, and every waiter queued at that instant wakes with
 * ECLOSED: none is granted a MID after it, even by a free that races the
 * close.  A waiter granted a MID before that instant owns it as usual.
 * Every other call keeps working, so replies still in flight can be
 * completed, discarded, released and drained.  Idempotent; lock-free when
 * nobody waits (with waiters queued it takes the wait-queue lock, as their
 * handoff does).
 * OK, EINVAL (NULL atlas). */
MIDATLAS_API int midatlas_close(struct midatlas *atlas);

/** Capacity as created (0 for NULL). */
MIDATLAS_API uint32_t midatlas_capacity(const struct midatlas *atlas);

/** Check every internal invariant of a quiescent atlas (no call running):
 * each usable slot is free, live or discarded, each excluded slot (a
 * reserved single MID) is marked so, the counters agree with the slots, no
 * reserved MID is live.  OK, or EINVAL with a reason in
 * *why (may be NULL).  Meant for tests and debug builds; O(capacity). */
MIDATLAS_API int midatlas_validate(struct midatlas *atlas, const char **why);

/** Visit the live MIDs without changing anything (a transport's timeout
 * scan, a debug dump): fn(ctx, mid, arg) for each (fn may be NULL: just
 * count).  Returns the number of MIDs visited; 0 for a NULL atlas.
 * Every (mid, ctx) visited was live, with that context, at some instant
 * during the call; a MID live for the whole call is visited exactly once;
 * MIDs associated or ended during the call may or may not be visited.
 * One acquire load per slot, no retry, no write to shared memory: wait-free,
 * O(capacity).  fn may call any function on the atlas except destroy,
 * including ending the MID it is shown. */
MIDATLAS_API size_t midatlas_foreach(struct midatlas *atlas, midatlas_visit_fn *fn, void *arg);

/** Fill the first `size` bytes of *stats, for a caller whose struct
 * midatlas_stats may be older (smaller) or newer (larger) than this
 * library's: pass sizeof your struct.  Fields this library does not know
 * read as 0; nothing past `size` bytes is written.  Returns the bytes filled
 * with known fields (min(size, the library's sizeof)); 0 and no write for a
 * NULL atlas or stats.  midatlas_stats() itself writes the 0.1 layout
 * forever; fields added later are filled only by this call. */
MIDATLAS_API size_t midatlas_stats_ex(struct midatlas *atlas, struct midatlas_stats *stats,
                                      size_t size);

/** The version of the library actually loaded, "MAJOR.MINOR.PATCH"; compare
 * with MIDATLAS_VERSION, the headers the program was compiled with. */
MIDATLAS_API const char *midatlas_version(void);

#ifdef __cplusplus
}
#endif

#endif /* MIDATLAS_H */
