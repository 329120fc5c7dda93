// SPDX-License-Identifier: MIT
/*
 * t9p_hostile.c - midatlas-9p-load against a hostile server (issue 13).
 *
 * Each case starts the policy fake server (p9_fake_policy.c) with one fault
 * mode, runs the real tool against it as a child process, and checks the
 * tool's exit status and its SUMMARY counts against what the server says it
 * sent: every dropped or rejected frame counted under its reason, every
 * connection that died reported by a non-zero exit, every fid clunked.
 *
 * Nothing here passes or fails on elapsed time.  Calls the server answers
 * run with long deadlines; calls it never answers run with short ones, and
 * then the outcome (which limit reset the connection) does not depend on how
 * fast the machine is.  The only clock is the hang guard: a tool that has not
 * exited after HANG_GUARD_S is killed and the case fails as a hang.
 *
 *   t9p_hostile PATH_TO_midatlas-9p-load [CASE]
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "p9_check.h"
#include "p9_fake_server.h"

#define HANG_GUARD_S 60
#define NO_FIELD UINT64_MAX

static const char *tool;

struct outcome {
    int exit_code; /* -1: killed by a signal */
    char out[1 << 16];
    size_t len;
};

/* ------------------------------ the child --------------------------------- */

static void exec_tool(int out_fd, uint16_t port, const char *const *extra)
{
    char server[32];
    const char *argv[48] = {tool, "--server", server, "--aname", "/fake", "--atlas", "midatlas",
                            "--rounds", "1"};
    size_t n = 9;
    snprintf(server, sizeof server, "127.0.0.1:%u", port);
    for (; *extra && n + 1 < sizeof argv / sizeof *argv; extra++)
        argv[n++] = *extra;
    argv[n] = NULL;
    dup2(out_fd, 1);
    dup2(out_fd, 2);
    execv(tool, (char *const *)argv);
    _exit(127);
}

/* Collect the child's output until it closes; kill it at the hang guard. */
static void collect(pid_t pid, int fd, struct outcome *o)
{
    time_t give_up = time(NULL) + HANG_GUARD_S;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    for (;;) {
        if (time(NULL) > give_up) {
            kill(pid, SIGKILL);
            o->out[o->len] = '\0';
            CHECK(0, "hang: the tool ran past the %d s guard; output:\n%s", HANG_GUARD_S, o->out);
        }
        if (poll(&p, 1, 1000) <= 0)
            continue;
        ssize_t k = read(fd, o->out + o->len, sizeof o->out - 1 - o->len);
        if (k <= 0)
            break;
        o->len += (size_t)k;
    }
    o->out[o->len] = '\0';
}

static void run_tool(struct fake_server *s, const char *const *extra, struct outcome *o)
{
    int pfd[2];
    CHECK(pipe(pfd) == 0, "pipe");
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0, "fork");
    if (pid == 0) {
        close(pfd[0]);
        exec_tool(pfd[1], s->port, extra);
    }
    close(pfd[1]);
    memset(o, 0, sizeof *o);
    collect(pid, pfd[0], o);
    close(pfd[0]);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid, "waitpid");
    o->exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    fake_join(s);
    CHECK(!s->failed, "fake server: %s", s->why);
}

/* A name=value field of the SUMMARY line, NO_FIELD when absent. */
static uint64_t field(const struct outcome *o, const char *name)
{
    const char *line = strstr(o->out, "SUMMARY ");
    char key[64];
    snprintf(key, sizeof key, " %s=", name);
    const char *f = line ? strstr(line, key) : NULL;
    const char *eol = line ? strchr(line, '\n') : NULL;
    if (!f || (eol && f > eol))
        return NO_FIELD;
    return strtoull(f + strlen(key), NULL, 10);
}

#define EXPECT(o, cond, ...)                                                    \
    do {                                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, "tool output:\n%s\n", (o)->out);                    \
            CHECK(cond, __VA_ARGS__);                                           \
        }                                                                       \
    } while (0)

#define FIELD_IS(o, name, want)                                                 \
    EXPECT(o, field(o, name) == (uint64_t)(want), "%s=%" PRIu64 ", expected %" PRIu64, name, \
           field(o, name), (uint64_t)(want))

/* Run the tool against a server with policy p. */
static void against(const struct fake_policy *p, const char *const *extra, struct outcome *o,
                    struct fake_server *s)
{
    fake_start_policy(s, p);
    run_tool(s, extra, o);
}

/* Every frame-drop reason is in the SUMMARY and bad_input is their sum. */
static void check_drop_sum(const struct outcome *o)
{
    static const char *const reasons[] = {"notag", "unknown_tag", "stale_tag", "tombstone",
                                          "lost_race", "bad_reply", "bad_size", "truncated"};
    uint64_t sum = 0;
    for (size_t i = 0; i < sizeof reasons / sizeof *reasons; i++) {
        uint64_t v = field(o, reasons[i]);
        EXPECT(o, v != NO_FIELD, "SUMMARY has no %s=", reasons[i]);
        sum += v;
    }
    FIELD_IS(o, "bad_input", sum);
}

/* Which limit reset the connection: exactly the one named, once. */
static void check_reset(const struct outcome *o, const char *which)
{
    static const char *const kinds[] = {"peer_reset", "reset_flush_timeout",
                                        "reset_no_flush_tag", "send_stalled", "bad_size",
                                        "truncated"};
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
        FIELD_IS(o, kinds[i], which && strcmp(kinds[i], which) == 0 ? 1 : 0);
    FIELD_IS(o, "died", which ? 1 : 0);
    EXPECT(o, o->exit_code == (which ? 1 : 0), "exit %d, expected %d", o->exit_code,
           which ? 1 : 0);
}

/* ------------------------------- the cases -------------------------------- */

#define SETUP 2 /* attach, walk: answered plainly before the faults begin */
#define QUICK "--seconds", "0.3", "--setup-timeout-ms", "30000", "--flush-timeout-ms", "30000"
#define ENDLESS "--seconds", "3600" /* only a dead connection ends these runs */

/* A well-behaved server: nothing dropped, exit 0, attach fid and walk fid
 * both clunked (finding 5). */
static void case_clean(void)
{
    struct fake_server s;
    struct outcome o;
    const char *const args[] = {QUICK, "--inflight", "4", NULL};
    against(&(struct fake_policy){0}, args, &o, &s);
    EXPECT(&o, s.tally.fids_open == 0, "%u fids left unclunked", s.tally.fids_open);
    check_reset(&o, NULL);
    check_drop_sum(&o);
    FIELD_IS(&o, "bad_input", 0);
    FIELD_IS(&o, "errors", 0);
    EXPECT(&o, field(&o, "requests") > 0, "no request succeeded");
}

/* Rlerror to every call after setup: no call succeeds, the report has
 * nothing to sort (finding 1: qsort(NULL, 0) under UBSan). */
static void case_lerror_after_setup(void)
{
    struct fake_server s;
    struct outcome o;
    const char *const args[] = {QUICK, NULL};
    against(&(struct fake_policy){.setup = SETUP, .lerror = true}, args, &o, &s);
    check_reset(&o, NULL);
    FIELD_IS(&o, "requests", 0);
    EXPECT(&o, field(&o, "errors") > 0 && field(&o, "errors") != NO_FIELD, "no error counted");
}

/* Rlerror to the attach itself: a clean failure, exit 1. */
static void case_lerror_everywhere(void)
{
    struct fake_server s;
    struct outcome o;
    const char *const args[] = {QUICK, NULL};
    against(&(struct fake_policy){.lerror = true}, args, &o, &s);
    EXPECT(&o, o.exit_code == 1 && strstr(o.out, "attach"), "exit %d", o.exit_code);
}

/* NOTAG, unknown tags, wrong types and duplicates slipped in around every
 * reply: each counted under its own reason, exactly as many as were sent
 * (finding 5: NOTAG was left out of bad_input). */
static void case_junk_frames(void)
{
    struct fake_server s;
    struct outcome o;
    const char *const args[] = {QUICK, "--inflight", "1", NULL};
    struct fake_policy p = {.setup = SETUP, .notag = true, .unknown = true,
                            .wrong_type = true, .dup = true};
    against(&p, args, &o, &s);
    FIELD_IS(&o, "bad_input", s.tally.notag + s.tally.unknown + s.tally.wrong_type + s.tally.dups);
    check_reset(&o, NULL);
    check_drop_sum(&o);
    FIELD_IS(&o, "notag", s.tally.notag);
    FIELD_IS(&o, "bad_reply", s.tally.wrong_type);
    FIELD_IS(&o, "unknown_tag", s.tally.unknown + s.tally.dups - field(&o, "stale_tag"));
    FIELD_IS(&o, "tombstone", 0);
    EXPECT(&o, field(&o, "requests") > 0, "no request succeeded");
}

/* Replies one byte per segment, and out of order: all delivered, no drop. */
static void case_slow_and_reordered(void)
{
    struct fake_server s;
    struct outcome o;
    const char *const args[] = {QUICK, "--inflight", "4", NULL};
    against(&(struct fake_policy){.setup = SETUP, .byte_at_a_time = true, .reorder = true},
            args, &o, &s);
    check_reset(&o, NULL);
    FIELD_IS(&o, "bad_input", 0);
    FIELD_IS(&o, "errors", 0);
    EXPECT(&o, field(&o, "requests") > 0, "no request succeeded");
}

/* The server holds every call until it is flushed, then answers the call
 * and the flush, in one order or the other.  Every late reply is dropped:
 * before Rflush on the tombstone, after it as a tag no call holds. */
static void case_late_replies(bool reply_first)
{
    struct fake_server s;
    struct outcome o;
    const char *const args[] = {QUICK, "--inflight", "2", "--timeout-us", "2000", NULL};
    struct fake_policy p = {.setup = SETUP, .hold = true, .late_first = reply_first,
                            .late_after = !reply_first};
    against(&p, args, &o, &s);
    check_reset(&o, NULL);
    check_drop_sum(&o);
    FIELD_IS(&o, "requests", 0);
    FIELD_IS(&o, "flushes", s.tally.flushes_seen);
    FIELD_IS(&o, "rflush", s.tally.rflush);
    FIELD_IS(&o, "timeouts", s.tally.flushes_seen);
    EXPECT(&o, s.tally.late > 0, "no late reply was sent");
    if (reply_first)
        FIELD_IS(&o, "tombstone", s.tally.late);
    else
        FIELD_IS(&o, "unknown_tag", s.tally.late - field(&o, "stale_tag"));
}

/* The server stops in the middle of a reply during the load (finding 2):
 * the call times out, its Tflush is never answered, and the Rflush deadline
 * resets the connection; the workers stop and the tool exits 1. */
static void case_stall_mid_message(void)
{
    struct fake_server s;
    struct outcome o;
    const char *const args[] = {ENDLESS, "--inflight", "4", "--timeout-us", "20000",
                                "--flush-timeout-ms", "100", NULL};
    against(&(struct fake_policy){.setup = SETUP, .end = FAKE_END_STALL, .end_after = 5}, args,
            &o, &s);
    check_reset(&o, "reset_flush_timeout");
    EXPECT(&o, field(&o, "requests") == 5, "requests=%" PRIu64, field(&o, "requests"));
}

/* The server stops in the middle of the Rattach (finding 2): the attach has
 * a deadline of its own, and the tool gives up with exit 1. */
static void case_stall_in_attach(void)
{
    struct fake_server s;
    struct outcome o;
    const char *const args[] = {ENDLESS, "--setup-timeout-ms", "50", "--flush-timeout-ms", "50",
                                NULL};
    against(&(struct fake_policy){.end = FAKE_END_STALL, .end_after = 0}, args, &o, &s);
    EXPECT(&o, o.exit_code == 1 && strstr(o.out, "attach"), "exit %d", o.exit_code);
}

/* Tflush never answered (finding 3): never more than tags/4 tombstones at
 * once (the next timed-out call waits for room instead of taking more of
 * the table), and when the oldest Tflush is past its deadline the
 * connection is reset, whoever notices first. */
static void case_tombstone_bound(void)
{
    struct fake_server s;
    struct outcome o;
    const char *const args[] = {ENDLESS, "--tags", "8", "--inflight", "4", "--timeout-us", "1000",
                                "--flush-timeout-ms", "300", NULL};
    against(&(struct fake_policy){.setup = SETUP, .hold = true, .no_rflush = true}, args, &o, &s);
    check_reset(&o, "reset_flush_timeout");
    /* Two tombstones are reached unless the worker stalls for the whole
     * flush deadline between two timeouts; the bound holds either way. */
    uint64_t flushes = field(&o, "flushes");
    EXPECT(&o, field(&o, "tombstone_peak") <= 2 && flushes >= 1 && flushes <= 2,
           "tombstone_peak=%" PRIu64 " flushes=%" PRIu64, field(&o, "tombstone_peak"), flushes);
    FIELD_IS(&o, "flushes", s.tally.flushes_seen);
    FIELD_IS(&o, "no_tag", 0);
}

/* Every tag held by calls the server sits on (finding 3): a timed-out call
 * finds no tag for its Tflush, waits the flush deadline for one, then
 * resets the connection; it never assumes the reply will come. */
static void case_no_flush_tag(void)
{
    struct fake_server s;
    struct outcome o;
    const char *const args[] = {ENDLESS, "--tags", "4", "--inflight", "4", "--timeout-us", "1000",
                                "--flush-timeout-ms", "200", "--max-tombstones", "4", NULL};
    against(&(struct fake_policy){.setup = SETUP, .hold = true}, args, &o, &s);
    check_reset(&o, "reset_no_flush_tag");
    FIELD_IS(&o, "flushes", 0);
}

/* The server resets the connection mid-run (findings 4 and 5): counted as a
 * peer reset, the workers stop at once (the run is endless otherwise), exit 1. */
static void case_peer_reset(void)
{
    struct fake_server s;
    struct outcome o;
    const char *const args[] = {ENDLESS, "--inflight", "4", NULL};
    against(&(struct fake_policy){.setup = SETUP, .end = FAKE_END_RESET, .end_after = 20}, args,
            &o, &s);
    check_reset(&o, "peer_reset");
}

/* Stream damage: the connection is torn down, the reason counted, exit 1. */
static void case_damage(enum fake_end end, const char *reason)
{
    struct fake_server s;
    struct outcome o;
    const char *const args[] = {ENDLESS, "--inflight", "4", NULL};
    against(&(struct fake_policy){.setup = SETUP, .end = end, .end_after = 20}, args, &o, &s);
    check_reset(&o, reason);
    check_drop_sum(&o);
}

/* ------------------------------------------------------------------------- */

struct named_case {
    const char *name;
    void (*fn)(void);
};

static void late_first(void) { case_late_replies(true); }
static void late_after(void) { case_late_replies(false); }
static void bad_size(void) { case_damage(FAKE_END_BAD_SIZE, "bad_size"); }
static void garbage(void) { case_damage(FAKE_END_GARBAGE, "bad_size"); }
static void truncated(void) { case_damage(FAKE_END_TRUNCATE, "truncated"); }

static const struct named_case cases[] = {
    {"clean", case_clean},
    {"lerror_after_setup", case_lerror_after_setup},
    {"lerror_everywhere", case_lerror_everywhere},
    {"junk_frames", case_junk_frames},
    {"slow_and_reordered", case_slow_and_reordered},
    {"late_reply_then_rflush", late_first},
    {"rflush_then_late_reply", late_after},
    {"stall_mid_message", case_stall_mid_message},
    {"stall_in_attach", case_stall_in_attach},
    {"tombstone_bound", case_tombstone_bound},
    {"no_flush_tag", case_no_flush_tag},
    {"peer_reset", case_peer_reset},
    {"bad_size", bad_size},
    {"garbage", garbage},
    {"truncated", truncated},
};

int main(int argc, char **argv)
{
    CHECK(argc >= 2, "usage: t9p_hostile PATH_TO_midatlas-9p-load [CASE]");
    tool = argv[1];
    signal(SIGPIPE, SIG_IGN);
    unsigned ran = 0;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        if (argc > 2 && strcmp(argv[2], cases[i].name) != 0)
            continue;
        printf("t9p_hostile: %s\n", cases[i].name);
        fflush(stdout);
        cases[i].fn();
        ran++;
    }
    CHECK(ran > 0, "no case named %s", argc > 2 ? argv[2] : "");
    printf("t9p_hostile: ok (%u cases)\n", ran);
    return 0;
}
