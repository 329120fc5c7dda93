/* SPDX-License-Identifier: MIT */
/*
 * fuzz_replay.c - run the fuzz target's decoder without libFuzzer.
 *
 *   midatlas_fuzz_replay [--random N] [--seed S] PATH...
 *
 * Each PATH is an input file or a directory of them (the seed corpus, or a
 * crash file libFuzzer saved).  --random N also feeds N pseudo-random inputs
 * from a fixed xorshift seed, so a gcc build without libFuzzer still explores
 * beyond the corpus.  Any disagreement with the model aborts (non-zero exit).
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned long files_run;

static void run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "fuzz_replay: %s: %s\n", path, strerror(errno));
        exit(2);
    }
    static uint8_t buf[1 << 20];
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    LLVMFuzzerTestOneInput(buf, n);
    files_run++;
}

static void run_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "fuzz_replay: %s: %s\n", path, strerror(errno));
        exit(2);
    }
    if (!S_ISDIR(st.st_mode)) {
        run_file(path);
        return;
    }
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "fuzz_replay: %s: %s\n", path, strerror(errno));
        exit(2);
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char full[4096];
        snprintf(full, sizeof(full), "%s/%s", path, e->d_name);
        run_path(full);
    }
    closedir(d);
}

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Random inputs of 4..1027 bytes; most of them pick small capacities, where
 * the atlas fills up and generations wrap. */
static void run_random(unsigned long count, uint64_t seed)
{
    uint8_t buf[1028];
    uint64_t s = seed ? seed : 1;
    for (unsigned long k = 0; k < count; k++) {
        size_t n = 4 + xorshift(&s) % 1024;
        for (size_t i = 0; i < n; i++)
            buf[i] = (uint8_t)xorshift(&s);
        LLVMFuzzerTestOneInput(buf, n);
    }
}

int main(int argc, char **argv)
{
    unsigned long random_inputs = 0;
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    int paths = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--random") == 0 && i + 1 < argc) {
            random_inputs = strtoul(argv[++i], NULL, 0);
        } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            seed = strtoull(argv[++i], NULL, 0);
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "usage: %s [--random N] [--seed S] PATH...\n", argv[0]);
            return 2;
        } else {
            run_path(argv[i]);
            paths++;
        }
    }
    if (paths == 0 && random_inputs == 0) {
        fprintf(stderr, "usage: %s [--random N] [--seed S] PATH...\n", argv[0]);
        return 2;
    }
    run_random(random_inputs, seed);
    printf("fuzz_replay: %lu corpus files and %lu random inputs (seed %#llx) agree with the model\n",
           files_run, random_inputs, (unsigned long long)seed);
    return 0;
}
