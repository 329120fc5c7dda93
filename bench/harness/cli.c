/* SPDX-License-Identifier: MIT */
/*
 * cli.c - the version line and the usage-error line of the harness programs.
 */
#include <stdarg.h>
#include <stdio.h>

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
