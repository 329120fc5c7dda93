/* SPDX-License-Identifier: MIT */
/*
 * p9_diod.c - start and stop diod for a test (see p9_diod.h).
 *
 * diod -f (foreground) -n (no authentication) -c /dev/null (ignore the
 * system's /etc/diod.conf) -l 127.0.0.1:PORT -e EXPORT -L LOGFILE.  Running
 * as root, diod serves each attach as the user named in it; as another user
 * it needs --runas-uid, added then.  Only the loopback address is used.
 */
#include "p9_diod.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct p9_diod *running; /* for the atexit hook */

static const char *find_diod(void)
{
    static const char *const where[] = {"/usr/sbin/diod", "/usr/bin/diod",
                                        "/usr/local/sbin/diod", "/usr/local/bin/diod"};
    const char *env = getenv("DIOD");
    if (env) /* an explicit choice: no fallback behind its back */
        return access(env, X_OK) == 0 ? env : NULL;
    for (size_t i = 0; i < sizeof where / sizeof *where; i++)
        if (access(where[i], X_OK) == 0)
            return where[i];
    return NULL;
}

/* A port the kernel just said was free on 127.0.0.1 (diod may still lose a
 * race for it to another process; start retries with a new one). */
static uint16_t free_port(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t len = sizeof sa;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        perror("free_port");
        exit(1);
    }
    close(fd);
    return ntohs(sa.sin_port);
}

static bool port_accepts(uint16_t port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    bool ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    if (fd >= 0)
        close(fd);
    return ok;
}

static void print_log(const struct p9_diod *d)
{
    FILE *f = fopen(d->log, "r");
    char line[512];
    fprintf(stderr, "--- %s ---\n", d->log);
    while (f && fgets(line, sizeof line, f))
        fputs(line, stderr);
    if (f)
        fclose(f);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void stop_at_exit(void)
{
    if (running)
        p9_diod_stop(running);
}

static pid_t spawn(const char *diod, const struct p9_diod *d)
{
    char listen[32], uid[16];
    snprintf(listen, sizeof listen, "127.0.0.1:%u", d->port);
    snprintf(uid, sizeof uid, "%u", (unsigned)getuid());
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    /* Child: die with the test, whatever kills it. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        _exit(127);
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
    }
    if (geteuid() == 0)
        execl(diod, diod, "-f", "-n", "-c", "/dev/null", "-l", listen, "-e", d->export, "-L",
              d->log, (char *)NULL);
    else
        execl(diod, diod, "-f", "-n", "-c", "/dev/null", "-u", uid, "-l", listen, "-e",
              d->export, "-L", d->log, (char *)NULL);
    _exit(127);
}

void p9_diod_start(struct p9_diod *d)
{
    const char *diod = find_diod();
    if (!diod) {
        fprintf(stderr, "FAIL: diod is not installed (Debian package 'diod'); the transport "
                        "tests need it: run tools/install-deps.sh transport, or "
                        "apt-get install diod, or set DIOD=/path/to/diod\n");
        exit(1);
    }
    memset(d, 0, sizeof *d);
    strcpy(d->base, "/tmp/midatlas-9p-XXXXXX");
    if (!mkdtemp(d->base)) {
        perror("mkdtemp");
        exit(1);
    }
    snprintf(d->export, sizeof d->export, "%s/export", d->base);
    snprintf(d->log, sizeof d->log, "%s/diod.log", d->base);
    if (mkdir(d->export, 0755) != 0) {
        perror("mkdir export");
        exit(1);
    }
    running = d;
    static bool hooked;
    if (!hooked) {
        atexit(stop_at_exit);
        hooked = true;
    }
    for (int attempt = 0; attempt < 5; attempt++) {
        d->port = free_port();
        d->pid = spawn(diod, d);
        if (d->pid < 0) {
            perror("fork");
            exit(1);
        }
        /* Up to 10 s for diod to listen; give up on this port if it died. */
        for (int i = 0; i < 1000; i++) {
            int status;
            if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
                d->pid = 0;
                break;
            }
            if (port_accepts(d->port))
                return;
            nanosleep(&(struct timespec){0, 10000000}, NULL);
        }
        if (d->pid > 0) {
            kill(d->pid, SIGKILL);
            waitpid(d->pid, NULL, 0);
            d->pid = 0;
        }
    }
    fprintf(stderr, "FAIL: %s did not start listening on 127.0.0.1\n", diod);
    print_log(d);
    exit(1);
}

void p9_diod_stop(struct p9_diod *d)
{
    if (d->pid > 0) {
        kill(d->pid, SIGTERM);
        for (int i = 0; i < 200; i++) { /* 2 s, then no more asking */
            if (waitpid(d->pid, NULL, WNOHANG) == d->pid) {
                d->pid = 0;
                break;
            }
            nanosleep(&(struct timespec){0, 10000000}, NULL);
        }
        if (d->pid > 0) {
            kill(d->pid, SIGKILL);
            waitpid(d->pid, NULL, 0);
            d->pid = 0;
        }
    }
    if (d->base[0]) {
        nftw(d->base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        d->base[0] = '\0';
    }
    if (running == d)
        running = NULL;
}
