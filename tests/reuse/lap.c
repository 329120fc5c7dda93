/* SPDX-License-Identifier: MIT */
/*
 * lap.c - the sweep meets every slot exactly once a lap, whatever the
 * capacity.
 *
 * The sweep order is a permutation twice over (src/sweep.h, "Order"): a
 * whole chunk is swept two slots per cache line in turn, the last, partial
 * chunk in index order, and from 8 chunks up the rotor hands chunks out in
 * a stride coprime to their number.  One thread that associates and at
 * once dissociates must therefore see `capacity` different slots in any
 * `capacity` handouts in a row: no slot may come back fewer than
 * `capacity` handouts after it was last handed out.  A mapping that sent
 * two positions to one slot would hand that slot out twice in a lap and
 * another never (the exact EFULL path would still find it, so nothing else
 * would notice).  Capacities: with and without a partial last chunk,
 * below and above the 8 chunks where the chunk stride starts.  Exit 1 on
 * the first slot back too soon.
 *
 * --migrate: the same while the thread moves between two CPUs before every
 * handout (sched_setaffinity), so that its home stripe changes all the
 * time.  A thread must not leave a chunk half swept when it changes
 * stripes: the rest would wait in the old stripe's cursor while the rotor
 * hands the chunk out again, and its slots would come twice in a lap (the
 * first version of the downward sweep left slot 0, the last of chunk 0,
 * behind that way: "capacity 64, lap 0: slot 31 handed out twice").  Exit
 * 77 (skipped) where fewer than two CPUs are allowed.
 *
 * --rseq (with --migrate): the same on the rseq claim path (it sets
 * MIDATLAS_RSEQ=1; exit 77 where this build or machine has no such path).
 * There a chunk belongs to the CPU that sweeps it, so a thread moving
 * between two CPUs sweeps two chunks at once, one per CPU, and the rotor's
 * lap can end while one of them is not yet swept out: a slot may come back
 * up to one chunk (64 slots at most) early.  Taking a new chunk at every
 * move instead (before the fix in take_slow) brought slot 63 back within
 * 16 handouts at capacity 1000.
 *
 * --interrupt (with --migrate --rseq): the same, for many laps of a small
 * atlas, while a timer signal arrives every 20 microseconds or so, so
 * that the kernel aborts restartable sequences at random points: the
 * claims' and also a chunk's acquisition, which then leaves the chunk
 * unowned in its stripe's cursor.  A thread that came to that cursor from
 * the other CPU acquired the chunk there for its own CPU; the stripe's
 * CPU then met a chunk another CPU owned in its own cursor and moved on,
 * leaving the rest unswept while the rotor went on: "capacity 512, lap 5:
 * slot 447 handed out twice within 387 handouts" in 9 runs of 10 (before
 * the fix in own.c, sweeps_home; a loaded CI machine's preemptions did
 * the same once in reuse.lap.migrating.rseq: "capacity 32768, lap 1:
 * slot 6847 handed out twice within 32643 handouts").
 *
 * --strand (with --rseq): the thread sweeps its first chunk on one CPU,
 * then moves to the other for good.  It cannot release the chunk from
 * there (only the owning CPU can), so the chunk stays owned; the laps
 * after must still be exact.  Passing such a chunk by each time the rotor
 * handed it out (before take_slow took it back) brought slot 192 back
 * after 4032 handouts at capacity 4096.
 */
#define _GNU_SOURCE /* sched_setaffinity, CPU_* */

#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "midatlas.h"
#include "rseq.h" /* midatlas__rseq_on */

/* --migrate: the CPUs the process may use, and two of them to move between. */
static bool migrate;
static cpu_set_t allowed;
static int cpu_pair[2];

static void move_to(int cpu)
{
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    if (sched_setaffinity(0, sizeof one, &one) != 0) {
        perror("lap: sched_setaffinity");
        exit(1);
    }
}

/* --interrupt: a signal that does nothing but interrupt the thread; where
 * it lands inside a restartable sequence, the kernel aborts the sequence.
 * Every 20 us: an acquisition's sequence is some 50 ns, so about one in
 * 400 is aborted, a few in a run (and each abort must then meet a move).
 * In a VM every tick costs a timer exit and an interrupt: here (AMD EPYC,
 * 2 vCPUs) a move alone took 25 to 33 us, a handout with its move about
 * 45 us, with 20 us ticks 120 us, with 10 us ones 8 times as long as
 * without, and with 5 us ones the test made a few handouts a second.  So
 * a tick that finds more than STALL_TICKS ticks since the last handout
 * stops the timer, and the next handout starts it again at twice the
 * period: a slower machine trades some of the test's power for finishing.
 * Only the rate follows the machine; what the test checks does not. */
#define TICK_START_US 20
#define TICK_MAX_US 1000000
#define STALL_TICKS 256
static timer_t timer;
static long tick_us;
static volatile sig_atomic_t ticks, ticks_at_handout, stalled;

static void on_tick(int sig)
{
    (void)sig;
    if (++ticks - ticks_at_handout > STALL_TICKS && !stalled) {
        static const struct itimerspec off; /* zero: disarm */
        stalled = 1;
        timer_settime(timer, 0, &off, NULL); /* async-signal-safe */
    }
}

static void set_ticks(long us)
{
    tick_us = us;
    struct itimerspec every = {{us / 1000000, us % 1000000 * 1000},
                               {us / 1000000, us % 1000000 * 1000}};
    if (timer_settime(timer, 0, &every, NULL) != 0) {
        perror("lap: timer_settime");
        exit(1);
    }
}

static void start_ticks(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_tick;
    sa.sa_flags = SA_RESTART; /* sched_setaffinity and the rest just go on */
    if (sigaction(SIGALRM, &sa, NULL) != 0 || timer_create(CLOCK_MONOTONIC, NULL, &timer) != 0) {
        perror("lap: timer");
        exit(1);
    }
    set_ticks(TICK_START_US);
}

/* After each handout (--interrupt): a stalled timer starts again, slower. */
static void pace_ticks(void)
{
    ticks_at_handout = ticks;
    if (stalled) {
        stalled = 0;
        set_ticks(tick_us < TICK_MAX_US / 2 ? 2 * tick_us : TICK_MAX_US);
    }
}

/* A slot may come back this many handouts before a whole lap (--rseq). */
static uint32_t slack;
/* --strand: the thread leaves its CPU right after its first chunk. */
static bool strand;
/* --interrupt: the timer runs. */
static bool interrupt;

static int lap(uint32_t capacity, uint32_t laps)
{
    struct midatlas *a = NULL;
    uint32_t bits = 0;
    while ((1u << bits) < capacity)
        bits++;
    /* Every allowed CPU again while the atlas is created: its stripe count
     * follows them (at least two stripes to move between). */
    if ((migrate || strand) && sched_setaffinity(0, sizeof allowed, &allowed) != 0)
        return 1;
    if (strand)
        move_to(cpu_pair[0]);
    uint32_t first_chunk = 0, in_first = 0;
    /* last[i]: the handout (counted from 1) that last gave out slot i. */
    uint32_t *last = calloc(capacity, sizeof *last);
    uint32_t need = capacity > slack ? capacity - slack : 1;
    if (!last || midatlas_create(&a, capacity, 0) != MIDATLAS_OK)
        return 1;
    for (uint32_t n = 1; n <= laps * capacity; n++) {
        uint16_t mid;
        if (migrate)
            move_to(cpu_pair[n & 1]);
        if (midatlas_associate(a, (void *)(uintptr_t)(8u * n), &mid) != MIDATLAS_OK ||
            midatlas_dissociate(a, mid, NULL) != MIDATLAS_OK) {
            fprintf(stderr, "lap: capacity %u: call failed\n", capacity);
            return 1;
        }
        uint32_t i = mid & ((1u << bits) - 1u);
        if (last[i] != 0 && n - last[i] < need) {
            fprintf(stderr, "FAIL: capacity %u, lap %u: slot %u handed out twice "
                            "within %u handouts\n", capacity, (n - 1) / capacity, i,
                    n - last[i]);
            return 1;
        }
        last[i] = n;
        if (interrupt)
            pace_ticks();
        /* --strand: the first chunk is swept out: move now.  Chunks are
         * 64 slots from capacity 2048 up, whatever the stripe count
         * (src/create.c, chunk_shift): --strand runs only there. */
        if (strand && n == 1)
            first_chunk = i >> 6;
        if (strand && i >> 6 == first_chunk && ++in_first == 64)
            move_to(cpu_pair[1]);
    }
    printf("capacity %u: %u laps, no slot back within %u handouts", capacity, laps, need);
    if (interrupt)
        printf(" (a signal every %ld us, %ld in all)", tick_us, (long)ticks);
    printf("\n");
    free(last);
    midatlas_destroy(a, NULL, NULL);
    return 0;
}

int main(int argc, char **argv)
{
    static const uint32_t caps[] = {1, 7, 64, 100, 1000, 4096, 4097, 32768, 65535, 65536};
    for (int k = 1; k < argc; k++) {
        if (strcmp(argv[k], "--migrate") == 0) {
            migrate = true;
        } else if (strcmp(argv[k], "--rseq") == 0) {
            setenv("MIDATLAS_RSEQ", "1", 1);
            if (!midatlas__rseq_on()) {
                printf("lap --rseq: no rseq claim path here, skipped\n");
                return 77;
            }
            slack = 64; /* the largest chunk (src/create.c, chunk_shift) */
        } else if (strcmp(argv[k], "--strand") == 0) {
            strand = true;
        } else if (strcmp(argv[k], "--interrupt") == 0) {
            interrupt = true;
        } else {
            fprintf(stderr, "usage: lap [--migrate] [--rseq] [--strand] [--interrupt]\n");
            return 2;
        }
    }
    if (strand && (migrate || slack == 0)) {
        fprintf(stderr, "lap: --strand goes with --rseq alone\n");
        return 2;
    }
    if (interrupt && (!migrate || slack == 0)) {
        fprintf(stderr, "lap: --interrupt goes with --migrate --rseq\n");
        return 2;
    }
    if (strand)
        slack = 0;
    if (migrate || strand) {
        if (sched_getaffinity(0, sizeof allowed, &allowed) != 0 || CPU_COUNT(&allowed) < 2) {
            printf("lap: fewer than two CPUs allowed, skipped\n");
            return 77;
        }
        int found = 0;
        for (int c = 0; c < CPU_SETSIZE && found < 2; c++)
            if (CPU_ISSET(c, &allowed))
                cpu_pair[found++] = c;
    }
    if (interrupt) {
        /* An aborted acquisition is rare (a few a run) and shows in the
         * next lap, so many laps of the smallest atlas whose chunks CPUs
         * own (4 chunks of 64 per stripe, a stripe per allowed CPU,
         * src/create.c): 512 slots on 2 CPUs.  Against the library before
         * the fix: this, 9 runs of 10; with ticks fixed at 20 us, 160 laps
         * of 512 failed 10 of 10 and 80 laps of 1000 8 of 10, while two
         * laps of every capacity (the first version, paced) failed 4. */
        uint32_t cap = 512;
        while (cap < 65536 && cap / 256 < (uint32_t)CPU_COUNT(&allowed))
            cap *= 2;
        uint32_t laps = 81920 / cap;
        start_ticks();
        return lap(cap, laps > 2 ? laps : 2);
    }
    /* A move costs a syscall and a migration (ASan: ~0.1 ms): --migrate
     * runs two laps and stops at 32768 (where 7a1f2fc failed, in lap 1). */
    int rc = 0;
    for (size_t k = 0; k < sizeof caps / sizeof caps[0] && rc == 0; k++)
        if ((!migrate || caps[k] <= 32768) && (!strand || (caps[k] >= 2048 && caps[k] <= 32768)))
            rc = lap(caps[k], migrate || strand ? 2 : 3);
    return rc;
}
