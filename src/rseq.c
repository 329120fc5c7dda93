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
#include <dlfcn.h>
#include <link.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

static pthread_once_t rseq_once = PTHREAD_ONCE_INIT;
static bool rseq_ready;

/* Weak: a program linked statically has no dynamic loader to ask, and
 * must not pull dlopen in (glibc warns); there this code is the main
 * program's, which is never unloaded (pin_this_object). */
#pragma weak dlopen
#pragma weak dladdr

/* An address inside the object (main program, shared library, plugin)
 * that holds this code and the CS descriptors. */
static const char pin_anchor;

struct find_object {
    uintptr_t addr; /* the address looked for          */
    int index;      /* the object being visited          */
    int found;      /* the one holding addr, -1: none    */
};

static int find_object_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct find_object *f = arg;
    (void)size;
    for (int k = 0; k < info->dlpi_phnum; k++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[k];
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == PT_LOAD && f->addr >= lo && f->addr - lo < ph->p_memsz) {
            f->found = f->index;
            return 1;
        }
    }
    f->index++;
    return 0;
}

/*
 * Keep the object that holds this code mapped until the process exits.
 * Why: a CS leaves the thread's rseq_cs pointing at its descriptor (rseq.h,
 * "After a CS"), which the kernel reads at the thread's next preemption;
 * a dlclose that unmapped the descriptor would make that read fail and the
 * kernel kill the thread.  The main program is never unloaded (it is the
 * first object dl_iterate_phdr visits); a shared object is pinned with
 * dlopen(RTLD_NOLOAD | RTLD_NODELETE), whose handle is never closed.
 * False when neither holds: the rseq path then stays off.
 */
static bool pin_this_object(void)
{
    struct find_object f = {.addr = (uintptr_t)&pin_anchor, .index = 0, .found = -1};
    dl_iterate_phdr(find_object_cb, &f);
    if (f.found == 0)
        return true;
    Dl_info info;
    if (f.found < 0 || !dladdr || !dlopen || !dladdr(&pin_anchor, &info) || !info.dli_fname)
        return false;
    return dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE) != NULL;
}

/* Once per process: not switched off (MIDATLAS_RSEQ=0), glibc registered
 * rseq for its threads (its __rseq_size is 20 for the original ABI:
 * cpu_id_start, cpu_id, rseq_cs and flags, all this file uses), the
 * kernel lets this process use membarrier's EXPEDITED_RSEQ (Linux 5.10; a
 * seccomp filter may forbid it), and the object holding this code stays
 * mapped (pin_this_object). */
static void rseq_probe(void)
{
    const char *env = getenv("MIDATLAS_RSEQ");
    if (env && strcmp(env, "0") == 0)
        return;
    if (&__rseq_size == NULL || &__rseq_offset == NULL || __rseq_size < 20 || rseq_cpu() < 0)
        return;
    if (syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ, 0, 0) != 0)
        return;
    if (!pin_this_object())
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
