/* SPDX-License-Identifier: MIT */
/*
 * cli.c - the version line, the usage-error line and the shared options of
 * the harness programs.
 */
#define _POSIX_C_SOURCE 200809L /* readlink */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "midatlas/harness.h"

#ifndef MIDATLAS_HARNESS_VERSION
#define MIDATLAS_HARNESS_VERSION "unknown"
#endif

void cli_version(const char *prog)
{
    printf("%s (midatlas %s), plugin ABI version %u\n", prog, MIDATLAS_HARNESS_VERSION,
           MIDATLAS_HARNESS_ABI_VERSION);
}

const char *cli_beside_program(const char *rel, char *buf, size_t size)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *slash = n > 0 ? (exe[n] = '\0', strrchr(exe, '/')) : NULL;
    if (slash)
        *slash = '\0';
    snprintf(buf, size, "%s/%s", slash ? exe : ".", rel);
    return buf;
}

int cli_usage_error(const char *prog, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* One fprintf per line, so the error is one line even when interleaved. */
    fprintf(stderr, "%s: %s\n", prog, msg);
    fprintf(stderr, "Try '%s --help'.\n", prog);
    return 2;
}

int cli_other_option(const char *prog, int o, char *const *argv, void (*usage)(FILE *))
{
    switch (o) {
    case 'h':
        usage(stdout);
        return 1;
    case 'V':
        cli_version(prog);
        return 1;
    case ':':
        return cli_usage_error(prog, "%s needs a value", argv[optind - 1]);
    default:
        return cli_usage_error(prog, "unknown option '%s'", argv[optind - 1]);
    }
}

int cli_no_operands(const char *prog, int argc, char *const *argv)
{
    if (optind != argc)
        return cli_usage_error(prog, "unexpected argument '%s'", argv[optind]);
    return 0;
}
