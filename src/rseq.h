/* SPDX-License-Identifier: MIT */
/*
 * rseq.h - claims without a locked instruction: a CPU that owns a chunk
 * claims its FREE slots with a plain store inside a Linux restartable
 * sequence (rseq).  On by default where it can run (x86-64, glibc 2.35 or
 * later, membarrier's EXPEDITED_RSEQ, not under the sanitizers);
 * MIDATLAS_RSEQ=0 in the environment turns it off.
 *
 * Why: a MID cycle costs two locked instructions, the claim CAS and the
 * ending CAS (sweep.h).  The ending CAS is the contract: exactly-once
 * endings.  The claim CAS is there only because any thread may claim any
 * FREE slot.  If only the threads running on one CPU may claim in a chunk,
 * a claim is a load, a compare and a store inside a critical section (CS)
 * that the kernel restarts when the thread is preempted, migrated or sent
 * a signal before the store: threads of one CPU never interleave inside
 * one, and no other CPU writes a FREE word of the chunk.
 *
 * The protocol, checked by tests/model/midatlas_rseq.pml (4 configurations,
 * 14 mutants caught, three of them flaws of a first design or of this C that
 * the model or its review found).  One owner byte per chunk: NONE, CPU + 1, PENDING or REVOKING;
 * cas_active, one counter per stripe (a CAS claimer counts itself on its
 * home stripe; an acquirer reads them all).  Where they live (atlas.h,
 * own.h): each counter on a line of its own, not on its stripe's cursor
 * line, and the owner bytes spread over 16 lines, so that the chunks CPUs
 * sweep at once have their bytes on different lines.  Both halves measured
 * at capacity 4096, 2 threads (best of 25 interleaved, churn): 1.15x for
 * the counters' lines, 1.17x for the spread owner bytes, 1.33x together.
 *   rseq claim  on CPU c, one CS: the owner != c + 1 -> abort; the slot
 *               word != the FREE word loaded -> leave; store it LIVE (the
 *               commit, the CS's last instruction).
 *   acquire     a sweeper meets an unowned chunk in the cursor of its
 *               CPU's own stripe (own.c, sweeps_home; elsewhere it
 *               claims by CAS): one CS on its CPU c
 *               (rseq_acquire_owner): CAS the owner NONE -> PENDING
 *               (nobody claims under PENDING); read cas_active; as the
 *               commit, CAS PENDING -> NONE when it was != 0 (back off,
 *               claim by CAS this time), else PENDING -> c + 1.  A CS
 *               aborted after its first CAS leaves PENDING: the acquirer
 *               steals it back.
 *   steal       whoever meets PENDING and must have the chunk's slot (the
 *               exact path, FULL mode), or an aborted acquirer: CAS the
 *               owner PENDING -> REVOKING, membarrier on every CPU (the
 *               acquirer's CS aborts before its commit, wherever it runs),
 *               store NONE.  Nobody waits for an acquirer, which may be
 *               preempted for good.
 *   release     the sweep leaves its chunk: one CS on c whose commit is a
 *               CAS of the owner c + 1 -> NONE (a plain store there could
 *               overwrite a revoker's REVOKING).  A thread that migrated
 *               cannot release: the chunk stays owned until revoked
 *               (at the latest when the rotor hands it out again).
 *   CAS claim   everyone else (the scarce path, FULL mode's cells, the
 *               exact path, a thread without rseq): increment cas_active,
 *               claim by CAS only if the owner is NONE, decrement.  The
 *               increment and the acquirer's CAS are a Dekker pair.
 *   revoke      a claimer that must have a slot of a chunk CPU d owns (the
 *               exact path, FULL mode): CAS the owner d + 1 -> REVOKING,
 *               membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ) on CPU d
 *               (it aborts a CS in progress there and is a full fence),
 *               store NONE.
 *   fenced claim  a claimer that must have a slot of a chunk another
 *               revoker holds REVOKING: announce (as a CAS claimer), see
 *               REVOKING, membarrier on every CPU (any CS of the old owner
 *               that passed its owner check before that REVOKING is over),
 *               then claim by CAS if the owner is NONE, REVOKING or
 *               PENDING; retreat.  So nobody waits for a revoker either.
 *   cursor      the common take's CS also compares the stripe's cursor
 *               and stores it on: one step only for its CPU's threads.  A
 *               sweep from another CPU (a thread that moved in mid-chunk)
 *               looks at the owner byte before it moves the cursor, never
 *               moves it back, and claims only while the cursor holds its
 *               move (sweep.h, "Cursor"; own.h, struct own_at;
 *               tests/model/midatlas_cursor.pml with CPUS 1).
 * Orders: every access of the protocol that orders anything is a locked
 * instruction, a CS on one CPU or membarrier, so x86's TSO gives the
 * sequential consistency the model assumes; the C11 orders named at each
 * site say the same for a reader.
 */
#ifndef MIDATLAS_RSEQ_H
#define MIDATLAS_RSEQ_H

#include <stdbool.h>
#include <stdint.h>

#include "atomics.h"
#include "hooks.h"

#if defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define MIDATLAS_RSEQ_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define MIDATLAS_RSEQ_SANITIZED 1
#endif

/* The CS is assembly the sanitizers cannot see (TSan would take the
 * claims for races), and the deliberately broken variants 1 to 3 must keep
 * their broken CAS paths reachable: both build without it.  Variant 4 is
 * this path broken, and variant 5 (visits never end) breaks both paths
 * (hooks.h). */
#if defined(__x86_64__) && defined(__GLIBC__) && defined(__has_include) &&                   \
    !defined(MIDATLAS_RSEQ_SANITIZED) &&                                                     \
    (MIDATLAS_BROKEN == 0 || MIDATLAS_BROKEN == 4 || MIDATLAS_BROKEN == 5)
#if __has_include(<sys/rseq.h>)
#define MIDATLAS_HAVE_RSEQ 1
#endif
#endif
#ifndef MIDATLAS_HAVE_RSEQ
#define MIDATLAS_HAVE_RSEQ 0
#endif

/* Owner bytes (struct midatlas.owners). */
#define OWNER_NONE 0u
#define OWNER_MAX_CPU 252u /* CPUs above it claim by CAS */
#define OWNER_PENDING 254u
#define OWNER_REVOKING 255u

/* Is the rseq path on for this process?  MIDATLAS_RSEQ is not 0, glibc
 * registered rseq, and membarrier's EXPEDITED_RSEQ could be registered
 * (rseq.c). */
bool midatlas__rseq_on(void);

/* membarrier(EXPEDITED_RSEQ) on one CPU / on every CPU this process runs
 * on: a CS in progress there aborts (rseq.c). */
void midatlas__rseq_fence_cpu(uint32_t cpu);
void midatlas__rseq_fence_all(void);

#if MIDATLAS_HAVE_RSEQ
#include <sys/rseq.h>

/* Weak: the library still loads on a glibc older than 2.35 (no rseq
 * symbols there); rseq.c then finds them absent and keeps rseq off. */
#pragma weak __rseq_offset
#pragma weak __rseq_size

static inline struct rseq *rseq_area(void)
{
    return (struct rseq *)((char *)__builtin_thread_pointer() + __rseq_offset);
}

/* The CPU this thread runs on, as the kernel's rseq area says; negative
 * when rseq is not registered for this thread.  The area is the kernel's
 * ABI struct, not an _Atomic object: hence a builtin, not atomics.h. */
static inline int32_t rseq_cpu(void)
{
    return (int32_t)__atomic_load_n(&rseq_area()->cpu_id, __ATOMIC_RELAXED);
}

/* The descriptor of one CS (struct rseq_cs: version, flags, start_ip,
 * post_commit_offset, abort_ip), and the abort handler: the kernel checks
 * that the 4 bytes before abort_ip are glibc's RSEQ_SIG (0x53053053 on
 * x86, inside a ud1 so that it disassembles). */
#define RSEQ_CS_ENTER                                                                          \
    ".pushsection __rseq_cs, \"aw\"\n\t"                                                       \
    ".balign 32\n\t"                                                                           \
    "3:\n\t"                                                                                   \
    ".long 0, 0\n\t"                                                                           \
    ".quad 1f, (2f - 1f), 4f\n\t"                                                              \
    ".popsection\n\t"                                                                          \
    "leaq 3b(%%rip), %%rax\n\t"                                                                \
    "movq %%rax, %[rseq_cs]\n\t"                                                               \
    "1:\n\t"
#define RSEQ_CS_ABORT(label)                                                                   \
    "2:\n\t"                                                                                   \
    ".pushsection __rseq_failure, \"ax\"\n\t"                                                  \
    ".byte 0x0f, 0xb9, 0x3d\n\t"                                                               \
    ".long 0x53053053\n\t"                                                                     \
    "4:\n\t"                                                                                   \
    "jmp %l[" label "]\n\t"                                                                    \
    ".popsection\n\t"

enum rseq_result { RSEQ_DONE, RSEQ_CHANGED, RSEQ_ABORTED };

/* After a CS, the thread's rseq_cs still points at its descriptor, as
 * librseq leaves it: the kernel clears it at the thread's next preemption
 * outside the CS, and the next CS overwrites it.  The descriptor stays
 * mapped because rseq.c pins the object that holds it (a dlclose does not
 * unmap it; tests/rseq_unload.c).  Clearing it after every CS was one more
 * store per claim: in one binary, switched at run time and pinned to one
 * CPU, churn at 4096 and one thread ran 15.6 to 15.8 ns with it and 14.1
 * to 14.3 without where the linker had put the code one way, the same
 * either way in the other, and lookup 1 ns faster without it in both
 * (bench/RESULTS.md, "Floors for the 1-thread cells", `rseq_cs` left set). */

/* The checks the claim CSes make before their stores, and the operands
 * they share (rseq_claim_store, _at, _held): still on CPU cpu,
 * *owner still mine (not in MIDATLAS_BROKEN=4), *slot still expect. */
#if MIDATLAS_BROKEN != 4
#define RSEQ_CLAIM_OWNER_CHECK                                                                 \
    "cmpb %[mine], %[owner]\n\t"                                                               \
    "jnz %l[aborted]\n\t"
#else
#define RSEQ_CLAIM_OWNER_CHECK ""
#endif
#define RSEQ_CLAIM_CHECKS                                                                      \
    "cmpl %[cpu], %[cpu_id]\n\t"                                                               \
    "jnz %l[aborted]\n\t" RSEQ_CLAIM_OWNER_CHECK                                               \
    "cmpq %[expect], %[slot]\n\t"                                                              \
    "jnz %l[changed]\n\t"
#define RSEQ_CLAIM_INPUTS                                                                      \
    [cpu_id] "m"(rs->cpu_id), [rseq_cs] "m"(rs->rseq_cs), [cpu] "r"(cpu),                    \
        [owner] "m"(*(uint8_t *)owner), [mine] "q"(mine), [slot] "m"(*(uint64_t *)slot),     \
        [expect] "r"(expect), [desired] "r"(desired)

/*
 * On CPU cpu, while *owner is mine and *slot is expect: store desired into
 * *slot.  RSEQ_DONE: stored; RSEQ_CHANGED: *slot was not expect;
 * RSEQ_ABORTED: another CPU, another owner, or the kernel restarted the CS
 * (preempted, migrated, a signal, a membarrier).
 */
static inline enum rseq_result rseq_claim_store(uint32_t cpu, _Atomic uint8_t *owner,
                                                uint8_t mine, atomic_u64 *slot,
                                                uint64_t expect, uint64_t desired)
{
    struct rseq *rs = rseq_area();
    __asm__ goto(RSEQ_CS_ENTER RSEQ_CLAIM_CHECKS
                 "movq %[desired], %[slot]\n\t" /* the commit */
                 RSEQ_CS_ABORT("aborted")
                 :
                 : RSEQ_CLAIM_INPUTS
                 : "memory", "cc", "rax"
                 : aborted, changed);
    return RSEQ_DONE;
aborted:
    return RSEQ_ABORTED;
changed:
    return RSEQ_CHANGED;
}

/*
 * rseq_claim_store, for a claim through a stripe's cursor (sweep.h,
 * sweep_take_fast): the same CS also moves *cursor from c to on, after
 * checking that it is still c and before the commit, so that a thread
 * stopped after its claim can never store an old cursor over a newer one
 * (sweep.h, "Cursor"; tests/lifecycle/test_cursor_back.c).  RSEQ_CHANGED
 * also when *cursor was not c.  An abort after the cursor's store and
 * before the commit leaves slot FREE behind the cursor: it waits for the
 * next lap, nothing comes early.
 */
static inline enum rseq_result rseq_claim_store_at(uint32_t cpu, _Atomic uint8_t *owner,
                                                   uint8_t mine, atomic_u64 *slot,
                                                   uint64_t expect, uint64_t desired,
                                                   atomic_u64 *cursor, uint64_t c, uint64_t on)
{
    struct rseq *rs = rseq_area();
    __asm__ goto(RSEQ_CS_ENTER RSEQ_CLAIM_CHECKS
                 "cmpq %[c], %[cursor]\n\t"
                 "jnz %l[changed]\n\t"
                 "movq %[on], %[cursor]\n\t"
                 "movq %[desired], %[slot]\n\t" /* the commit */
                 RSEQ_CS_ABORT("aborted")
                 :
                 : RSEQ_CLAIM_INPUTS, [cursor] "m"(*(uint64_t *)cursor), [c] "r"(c), [on] "r"(on)
                 : "memory", "cc", "rax"
                 : aborted, changed);
    return RSEQ_DONE;
aborted:
    return RSEQ_ABORTED;
changed:
    return RSEQ_CHANGED;
}

/*
 * rseq_claim_store, for a sweep's claim after it moved the stripe's cursor
 * to `held` by CAS (sweep.h, sweep_chunk): the same CS also checks that
 * *cursor is still `held`, else RSEQ_CHANGED.  Another CPU's CS may have
 * compared the cursor before that move and stored its own value after it,
 * back behind the slot; claimed anyway, the slot would come again in the
 * same visit once ended (own.h, struct own_at; test_cursor_put_back.c).
 */
static inline enum rseq_result rseq_claim_store_held(uint32_t cpu, _Atomic uint8_t *owner,
                                                     uint8_t mine, atomic_u64 *slot,
                                                     uint64_t expect, uint64_t desired,
                                                     atomic_u64 *cursor, uint64_t held)
{
    struct rseq *rs = rseq_area();
    __asm__ goto(RSEQ_CS_ENTER RSEQ_CLAIM_CHECKS
                 "cmpq %[held], %[cursor]\n\t"
                 "jnz %l[changed]\n\t"
                 "movq %[desired], %[slot]\n\t" /* the commit */
                 RSEQ_CS_ABORT("aborted")
                 :
                 : RSEQ_CLAIM_INPUTS, [cursor] "m"(*(uint64_t *)cursor), [held] "r"(held)
                 : "memory", "cc", "rax"
                 : aborted, changed);
    return RSEQ_DONE;
aborted:
    return RSEQ_ABORTED;
changed:
    return RSEQ_CHANGED;
}

/* On CPU cpu: CAS *owner mine -> OWNER_NONE as the commit of a CS, so that
 * no other thread of the CPU is inside a claim's CS meanwhile.  True when
 * released. */
static inline bool rseq_release_owner(uint32_t cpu, _Atomic uint8_t *owner, uint8_t mine)
{
    struct rseq *rs = rseq_area();
    uint8_t none = OWNER_NONE;
    __asm__ goto(RSEQ_CS_ENTER
                 "cmpl %[cpu], %[cpu_id]\n\t"
                 "jnz %l[aborted]\n\t"
                 "movb %[mine], %%al\n\t"
                 "lock cmpxchgb %[none], %[owner]\n\t" /* the commit */
                 RSEQ_CS_ABORT("aborted")
                 "jnz %l[aborted]\n\t" /* the owner was not mine */
                 :
                 : [cpu_id] "m"(rs->cpu_id), [rseq_cs] "m"(rs->rseq_cs), [cpu] "r"(cpu),
                   [owner] "m"(*(uint8_t *)owner), [mine] "q"(mine), [none] "q"(none)
                 : "memory", "cc", "rax"
                 : aborted);
    return true;
aborted:
    return false;
}

/* Bytes from one stripe's CAS-claimer count to the next (own.c checks it
 * against struct announce). */
#define RSEQ_COUNT_STRIDE 64

enum rseq_acquire {
    RSEQ_ACQ_MINE,       /* the owner is now mine                          */
    RSEQ_ACQ_BACKED_OFF, /* a CAS claimer was counted: the owner is NONE again */
    RSEQ_ACQ_TAKEN,      /* the owner was not NONE: nothing stored         */
    RSEQ_ACQ_STOLEN,     /* a thief took our PENDING: nothing more stored  */
    RSEQ_ACQ_ABORTED     /* the kernel restarted the CS: a PENDING of ours
                            may be left (the caller steals it)            */
};

/*
 * On CPU cpu, one CS: CAS *owner NONE -> PENDING; read the n CAS-claimer
 * counts at counts, RSEQ_COUNT_STRIDE bytes apart; then, as the commit, CAS
 * *owner PENDING -> mine when every count was 0, else PENDING -> NONE.
 * The whole acquisition is one CS so that a thief of the PENDING (own.c,
 * revoke) can end it with a membarrier: after that fence no CS of
 * the acquirer is between its first CAS and its commit, so its commit can
 * never confirm a later acquirer's PENDING (tests/model/midatlas_rseq.pml,
 * mutants 11 and 12).  The commit is a CAS, not a store, so that it never
 * overwrites the thief's REVOKING (mutant 10).  The first CAS is a full
 * fence before the loads: with a CAS claimer's locked increment, the
 * Dekker pair of rseq.h's protocol.
 */
static inline enum rseq_acquire rseq_acquire_owner(uint32_t cpu, _Atomic uint8_t *owner,
                                                   uint32_t mine, const atomic_u64 *counts,
                                                   uint32_t n)
{
    struct rseq *rs = rseq_area();
    __asm__ goto(RSEQ_CS_ENTER
                 "cmpl %[cpu], %[cpu_id]\n\t"
                 "jnz %l[aborted]\n\t"
                 "movl %[pending], %%ecx\n\t"
                 "xorl %%eax, %%eax\n\t" /* NONE */
                 "lock cmpxchgb %%cl, %[owner]\n\t"
                 "jnz %l[taken]\n\t"
                 "movq %[counts], %%rdx\n\t"
                 "movl %[n], %%ecx\n\t"
                 "xorl %%r8d, %%r8d\n\t"
                 "6:\n\t"
                 "orq (%%rdx), %%r8\n\t"
                 "addq %[line], %%rdx\n\t"
                 "decl %%ecx\n\t"
                 "jnz 6b\n\t"
                 "movl %[mine], %%r9d\n\t"
                 "xorl %%ecx, %%ecx\n\t" /* NONE */
                 "testq %%r8, %%r8\n\t"
                 "cmovnzl %%ecx, %%r9d\n\t"
                 "movl %[pending], %%eax\n\t"
                 "lock cmpxchgb %%r9b, %[owner]\n\t" /* the commit */
                 RSEQ_CS_ABORT("aborted")
                 "jnz %l[stolen]\n\t"
                 "testq %%r8, %%r8\n\t"
                 "jnz %l[backed_off]\n\t"
                 :
                 : [cpu_id] "m"(rs->cpu_id), [rseq_cs] "m"(rs->rseq_cs), [cpu] "r"(cpu),
                   [owner] "m"(*(uint8_t *)owner), [mine] "r"(mine),
                   [pending] "i"(OWNER_PENDING), [counts] "r"(counts), [n] "r"(n),
                   [line] "i"(RSEQ_COUNT_STRIDE)
                 : "memory", "cc", "rax", "rcx", "rdx", "r8", "r9"
                 : aborted, taken, stolen, backed_off);
    return RSEQ_ACQ_MINE;
aborted:
    return RSEQ_ACQ_ABORTED;
taken:
    return RSEQ_ACQ_TAKEN;
stolen:
    return RSEQ_ACQ_STOLEN;
backed_off:
    return RSEQ_ACQ_BACKED_OFF;
}
#endif /* MIDATLAS_HAVE_RSEQ */

#endif /* MIDATLAS_RSEQ_H */
