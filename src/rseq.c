/* SPDX-License-Identifier: MIT */
/*
 * rseq.c - is the rseq claim path on for this process, and the membarrier
 * that revokes a CPU's ownership of a chunk (the protocol: rseq.h).
 */
#define _GNU_SOURCE /* syscall */

#include "rseq.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#if MIDATLAS_HAVE_RSEQ
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

static pthread_once_t rseq_once = PTHREAD_ONCE_INIT;
static bool rseq_ready;

/* Once per process: not switched off (MIDATLAS_RSEQ=0), glibc registered
 * rseq for its threads (its __rseq_size is 20 for the original ABI:
 * cpu_id_start, cpu_id, rseq_cs and flags, all this file uses), and the
 * kernel lets this process use membarrier's EXPEDITED_RSEQ (Linux 5.10; a
 * seccomp filter may forbid it). */
static void rseq_probe(void)
{
    const char *env = getenv("MIDATLAS_RSEQ");
    if (env && strcmp(env, "0") == 0)
        return;
    if (&__rseq_size == NULL || &__rseq_offset == NULL || __rseq_size < 20 || rseq_cpu() < 0)
        return;
    if (syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ, 0, 0) != 0)
        return;
    rseq_ready = true;
}

bool midatlas__rseq_on(void)
{
    pthread_once(&rseq_once, rseq_probe);
    return rseq_ready;
}

void midatlas__rseq_fence_cpu(uint32_t cpu)
{
    /* Cannot fail once registered (rseq_probe) for a valid CPU; if it did,
     * fall back to every CPU, which is never weaker. */
    if (syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, MEMBARRIER_CMD_FLAG_CPU,
                (int)cpu) != 0)
        midatlas__rseq_fence_all();
}

void midatlas__rseq_fence_all(void)
{
    if (syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, 0, 0) == 0)
        return;
    /* Registered in rseq_probe, and a fork inherits it (seen on Linux
     * 6.18); should a kernel forget it, register again.  Going on without
     * the fence would let two claims take one slot: abort instead. */
    if (syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ, 0, 0) != 0 ||
        syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, 0, 0) != 0)
        abort();
}

#else /* !MIDATLAS_HAVE_RSEQ */

bool midatlas__rseq_on(void)
{
    return false;
}

void midatlas__rseq_fence_cpu(uint32_t cpu)
{
    (void)cpu;
}

void midatlas__rseq_fence_all(void)
{
}

#endif
