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

/* The value of "KEY<tabs>: VALUE" in line, without its newline, if line
 * has that key; else NULL. */
static char *cpuinfo_value(char *line, const char *key)
{
    size_t n = strlen(key);
    if (strncmp(line, key, n) != 0 || (line[n] != ' ' && line[n] != '\t' && line[n] != ':'))
        return NULL;
    char *v = strchr(line + n, ':');
    if (!v)
        return NULL;
    v += 1 + (v[1] == ' ');
    v[strcspn(v, "\n")] = '\0';
    return v;
}

const char *cli_cpu_model(char *buf, size_t size)
{
    char name[128] = "", family[16] = "", model[16] = "", line[512];
    FILE *f = fopen("/proc/cpuinfo", "r");
    /* The first processor's block: it ends at the first empty line. */
    while (f && fgets(line, sizeof line, f) && line[0] != '\n') {
        char *v;
        if ((v = cpuinfo_value(line, "model name")))
            snprintf(name, sizeof name, "%s", v);
        else if ((v = cpuinfo_value(line, "cpu family")))
            snprintf(family, sizeof family, "%s", v);
        else if ((v = cpuinfo_value(line, "model")))
            snprintf(model, sizeof model, "%s", v);
    }
    if (f)
        fclose(f);
    if (!name[0])
        snprintf(buf, size, "unknown CPU");
    else if (family[0] && model[0])
        snprintf(buf, size, "\"%s\" family %s model %s", name, family, model);
    else
        snprintf(buf, size, "\"%s\"", name);
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
