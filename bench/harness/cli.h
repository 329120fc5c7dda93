/* SPDX-License-Identifier: MIT */
/*
 * cli.h - what the three harness programs say alike: --version, and the one
 * error line plus hint (exit status 2) for a bad command line.
 */
#ifndef MIDATLAS_HARNESS_CLI_H
#define MIDATLAS_HARNESS_CLI_H

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* "PROG (midatlas VERSION), plugin ABI version N" on stdout. */
void cli_version(const char *prog);

/* The directory of the running program joined with `rel` (e.g.
 * "../lib/midatlas/plugins"), in buf: installed files are found from where
 * the program is, so that a moved install prefix still works. */
const char *cli_beside_program(const char *rel, char *buf, size_t size);

/* The CPU this runs on, as the README names it next to a figure: "MODEL
 * NAME" family F model M (x86 /proc/cpuinfo), "MODEL NAME" alone, or
 * "unknown CPU"; in buf.  Machines of one kind change CPU between
 * sessions, so every table and every cycle report says which it was. */
const char *cli_cpu_model(char *buf, size_t size);

/* "PROG: MESSAGE" and "Try 'PROG --help'." on stderr; returns 2. */
int cli_usage_error(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The options every harness program shares, for the `default:` of its
 * getopt_long switch (optstring ":h"): 'h' prints usage on stdout and 'V'
 * the version line (both return 1: stop, exit 0); a missing value (':')
 * and an unknown option return 2 with the error line. */
int cli_other_option(const char *prog, int o, char *const *argv, void (*usage)(FILE *));

/* After the options: 0, or 2 with the error line when operands are left. */
int cli_no_operands(const char *prog, int argc, char *const *argv);

#ifdef __cplusplus
}
#endif

#endif /* MIDATLAS_HARNESS_CLI_H */
