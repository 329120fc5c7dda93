/* SPDX-License-Identifier: MIT */
/*
 * test_strerror.c - every status in the header's enum has its own message.
 *
 * Issue 9 item 6: MIDATLAS_ECLOSED was added to the enum but not to
 * midatlas_strerror, which answered "unknown midatlas status" for it, and
 * tests/test_create.c listed -11 among the unknown values.  A hand-written
 * list of statuses is what let that happen, so this test reads the list from
 * the header itself (its path is argv[1]): every enumerator of
 * `enum midatlas_status` must have a message that is not the unknown one and
 * differs from every other status's, and a value no enumerator has must get
 * the unknown message.  Adding a status without a message fails here.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "midatlas.h"

#define MAX_STATUSES 64

struct status {
    char name[64];
    int value;
};

/* Parse "MIDATLAS_NAME = -N," lines between "enum midatlas_status {" and
 * "};".  Returns the number found, or -1 when the enum is missing. */
static int read_enum(const char *path, struct status *out)
{
    FILE *f = fopen(path, "r");
    char line[512];
    int n = 0, inside = 0;
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f) && n < MAX_STATUSES) {
        if (!inside) {
            inside = strstr(line, "enum midatlas_status {") != NULL;
            continue;
        }
        if (strstr(line, "};"))
            break;
        char name[64];
        int value;
        if (sscanf(line, " %63[A-Z_] = %d", name, &value) == 2 &&
            strncmp(name, "MIDATLAS_", 9) == 0) {
            snprintf(out[n].name, sizeof out[n].name, "%s", name);
            out[n].value = value;
            n++;
        }
    }
    fclose(f);
    return inside ? n : -1;
}

static int known(const struct status *s, int n, int value)
{
    for (int i = 0; i < n; i++)
        if (s[i].value == value)
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    struct status s[MAX_STATUSES];
    int failures = 0;
    if (argc != 2) {
        fprintf(stderr, "usage: %s PATH/TO/midatlas.h\n", argv[0]);
        return 2;
    }
    int n = read_enum(argv[1], s);
    if (n < 12) { /* OK and the eleven statuses of the contract, at least */
        fprintf(stderr, "FAIL: found %d statuses in %s's enum midatlas_status\n", n, argv[1]);
        return 1;
    }
    const char *unknown = midatlas_strerror(12345);
    for (int i = 0; i < n; i++) {
        const char *m = midatlas_strerror(s[i].value);
        if (!m || !*m || strcmp(m, unknown) == 0) {
            printf("FAIL: %s (%d) has no message of its own: \"%s\"\n", s[i].name, s[i].value,
                   m ? m : "(null)");
            failures++;
            continue;
        }
        for (int j = 0; j < i; j++)
            if (strcmp(m, midatlas_strerror(s[j].value)) == 0) {
                printf("FAIL: %s and %s share the message \"%s\"\n", s[i].name, s[j].name, m);
                failures++;
            }
        printf("ok   %-20s %4d  %s\n", s[i].name, s[i].value, m);
    }
    for (int v = -100; v <= 100; v++)
        if (!known(s, n, v) && strcmp(midatlas_strerror(v), unknown) != 0) {
            printf("FAIL: %d is no status but has the message \"%s\"\n", v, midatlas_strerror(v));
            failures++;
        }
    printf("%d statuses checked, %d failures\n", n, failures);
    return failures ? 1 : 0;
}
