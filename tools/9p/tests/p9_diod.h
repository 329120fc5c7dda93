/* SPDX-License-Identifier: MIT */
/*
 * p9_diod.h - run a real diod for one test: a free loopback port, a fresh
 * temporary export directory, stopped when the test ends however it ends.
 */
#ifndef P9_DIOD_H
#define P9_DIOD_H

#include <stdint.h>
#include <sys/types.h>

struct p9_diod {
    pid_t pid;
    uint16_t port;
    char base[64];    /* /tmp/midatlas-9p-XXXXXX: log and export below it */
    char export[96];  /* the exported directory, also the attach aname     */
    char log[96];
};

/* Start diod.  When diod is not installed, print a FAIL line that says how
 * to install it and exit(1): a missing server is a failed test, not a skip.
 * Any other failure to start also exits(1) after printing diod's log. */
void p9_diod_start(struct p9_diod *d);

/* Stop diod (SIGTERM, then SIGKILL), remove the temporary tree.  Also run
 * at exit, and diod is started with PR_SET_PDEATHSIG so that it dies with
 * the test even when the test is killed. */
void p9_diod_stop(struct p9_diod *d);

#endif /* P9_DIOD_H */
