/* SPDX-License-Identifier: MIT */
/*
 * impl_list.h - the implementations one run of a harness program drives:
 * compiled-in tables and plugins loaded with --impl NAME|PATH.so, checked
 * against the ABI of include/midatlas/harness.h before anything calls them.
 */
#ifndef MIDATLAS_HARNESS_IMPL_LIST_H
#define MIDATLAS_HARNESS_IMPL_LIST_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>

#include "midatlas/harness.h"

#ifdef __cplusplus
extern "C" {
#endif

#define IMPL_LIST_MAX 32
/* The longest table name a plugin may give (impl_abi_problem). */
#define IMPL_NAME_MAX 64

struct impl_list {
    const char *prog; /* program name for error lines */
    const struct mid_impl *const *builtins; /* NULL-terminated */
    size_t n;
    const struct mid_impl *impls[IMPL_LIST_MAX];
    const char *args[IMPL_LIST_MAX]; /* the --impl that named each (replay lines) */
    /* A plugin's table name as the plugin gives it, and its path (the
     * list may rename it, impl_list_add); NULL for a compiled-in table. */
    const char *table_names[IMPL_LIST_MAX];
    const char *paths[IMPL_LIST_MAX];
    /* A plugin's dlopen handle: one per file however its path is spelt
     * (the loader knows a file by device and inode), so a file named
     * twice is listed once; NULL for a compiled-in table. */
    void *handles[IMPL_LIST_MAX];
};

/* The largest capacity impl's create accepts (max_capacity, 0: 65536). */
static inline uint32_t impl_max_capacity(const struct mid_impl *impl)
{
    return impl->max_capacity ? impl->max_capacity : 65536u;
}

/* Why `impl` breaks the ABI rules (a static message), or NULL when it keeps
 * them: version, required calls, feature bits and their calls. */
const char *impl_abi_problem(const struct mid_impl *impl);

/* Adds the implementation `arg` names: a compiled-in name, "all" (every
 * compiled-in one), a path to a plugin (contains a '/' or ends in ".so"), or
 * NAME looked up as NAME.so and libmidatlas-NAME.so in the directories of
 * $MIDATLAS_PLUGIN_PATH (colon-separated) and then the installed plugin
 * directory.  A plugin whose table name is a compiled-in table's is listed
 * as "NAME@FILE", whichever --impl comes first (FILE: the file's name; its
 * path, with '_' for '/', when another plugin of that name has the same
 * file name).  When two plugins give one name, both
 * are listed by file, whichever came first, so that their names do not
 * depend on the order of the --impl options (two builds of one allocator,
 * tools/bench-ab.sh).  One file listed twice (by any path, or through a
 * link) is listed once.  On failure prints one line "PROG: ARG: why" and
 * returns false. */
bool impl_list_add(struct impl_list *l, const char *arg);

/* True when at least one --impl was given; else prints the usage error
 * line "PROG: no --impl given" and its hint (the caller exits 2). */
bool impl_list_given(const struct impl_list *l);

/* Prints the --help lines that list the compiled-in implementations. */
void impl_list_help(const struct impl_list *l, FILE *f);

/* Comma-separated feature names of `features` ("lookup,drain"), in buf. */
const char *impl_feature_names(uint32_t features, char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* MIDATLAS_HARNESS_IMPL_LIST_H */
