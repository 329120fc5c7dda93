/* SPDX-License-Identifier: MIT */
/*
 * cli.h - what the three harness programs say alike: --version, and the one
 * error line plus hint (exit status 2) for a bad command line.
 */
#ifndef MIDATLAS_HARNESS_CLI_H
#define MIDATLAS_HARNESS_CLI_H

#ifdef __cplusplus
extern "C" {
#endif

/* "PROG (midatlas VERSION), plugin ABI version N" on stdout. */
void cli_version(const char *prog);

/* "PROG: MESSAGE" and "Try 'PROG --help'." on stderr; returns 2. */
int cli_usage_error(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif

#endif /* MIDATLAS_HARNESS_CLI_H */
