/* SPDX-License-Identifier: MIT */
/*
 * impl_list.c - resolving --impl arguments: compiled-in tables, plugins
 * dlopen()ed by path or found by name, and the ABI check every plugin passes
 * before the harness calls it.
 */
#define _POSIX_C_SOURCE 200809L /* strtok_r */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "impl_list.h"

/* The installed plugin directory, relative to the installed programs. */
#ifndef MIDATLAS_PLUGIN_DIR_FROM_BIN
#define MIDATLAS_PLUGIN_DIR_FROM_BIN "../lib/midatlas/plugins"
#endif

/* Where this program's installed plugins are. */
static const char *plugin_dir(void)
{
    static char dir[4096];
    return dir[0] ? dir : cli_beside_program(MIDATLAS_PLUGIN_DIR_FROM_BIN, dir, sizeof dir);
}

static const struct {
    uint32_t bit;
    const char *name;
} feature_names[] = {
    {MID_IMPL_HAS_REASSOCIATE_IF, "reassociate_if"}, {MID_IMPL_HAS_LOOKUP, "lookup"},
    {MID_IMPL_HAS_DISSOCIATE_IF, "dissociate_if"},   {MID_IMPL_HAS_REASSOCIATE, "reassociate"},
    {MID_IMPL_HAS_DISCARD, "discard"},               {MID_IMPL_HAS_DRAIN, "drain"},
    {MID_IMPL_HAS_STATS, "stats"},                   {MID_IMPL_HAS_CHAOS, "chaos"},
};

const char *impl_feature_names(uint32_t features, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof feature_names / sizeof feature_names[0]; i++)
        if ((features & feature_names[i].bit) && used < size)
            used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? "," : "",
                                     feature_names[i].name);
    return buf;
}

/* A feature bit promises its calls: one check per bit, each line naming what
 * is missing. */
static const char *feature_call_missing(const struct mid_impl *m)
{
    const uint32_t f = m->features;
    if ((f & MID_IMPL_HAS_REASSOCIATE_IF) && !m->reassociate_if)
        return "features has reassociate_if but the call is NULL";
    if ((f & MID_IMPL_HAS_LOOKUP) && !m->lookup)
        return "features has lookup but the call is NULL";
    if ((f & MID_IMPL_HAS_DISSOCIATE_IF) && !m->dissociate_if)
        return "features has dissociate_if but the call is NULL";
    if ((f & MID_IMPL_HAS_REASSOCIATE) && !m->reassociate)
        return "features has reassociate but the call is NULL";
    if ((f & MID_IMPL_HAS_DISCARD) && (!m->discard || !m->release))
        return "features has discard but discard or release is NULL";
    if ((f & MID_IMPL_HAS_DRAIN) && !m->drain)
        return "features has drain but the call is NULL";
    if ((f & MID_IMPL_HAS_STATS) && (!m->stats || !m->validate))
        return "features has stats but stats or validate is NULL";
    if ((f & MID_IMPL_HAS_CHAOS) && !m->chaos)
        return "features has chaos but the call is NULL";
    return NULL;
}

/* A name a report can carry: 1 to IMPL_NAME_MAX characters of
 * [A-Za-z0-9._+-].  Benchmark names are split on '/', the implementation
 * lists of the reports on ',', and '@' is the harness's own (NAME@FILE). */
static bool name_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '+' || c == '-';
}

static bool name_ok(const char *name)
{
    size_t n = strnlen(name, IMPL_NAME_MAX + 1);
    if (n == 0 || n > IMPL_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!name_char_ok(name[i]))
            return false;
    return true;
}

const char *impl_abi_problem(const struct mid_impl *m)
{
    static char msg[160];
    if (m == NULL)
        return "the entry point returned NULL";
    if (m->abi_version != MIDATLAS_HARNESS_ABI_VERSION) {
        snprintf(msg, sizeof msg,
                 "built for harness ABI version %u, this program speaks version %u "
                 "(rebuild it against this midatlas/harness.h)",
                 m->abi_version, MIDATLAS_HARNESS_ABI_VERSION);
        return msg;
    }
    if (m->name == NULL || m->name[0] == '\0')
        return "its table has no name";
    if (!name_ok(m->name)) {
        snprintf(msg, sizeof msg, "its name \"%.*s\" is not 1 to %d of A-Z a-z 0-9 . _ + -",
                 IMPL_NAME_MAX + 1, m->name, IMPL_NAME_MAX);
        return msg;
    }
    if (!m->create || !m->destroy || !m->associate || !m->map || !m->dissociate)
        return "a required call (create, destroy, associate, map, dissociate) is NULL";
    if (m->max_capacity != 0 && (m->max_capacity < 64 || m->max_capacity > 65536u))
        return "max_capacity is not 0 or 64..65536";
    if (m->features & ~MID_IMPL_FEATURES_KNOWN) {
        snprintf(msg, sizeof msg, "unknown feature bits 0x%x for ABI version %u",
                 m->features & ~MID_IMPL_FEATURES_KNOWN, MIDATLAS_HARNESS_ABI_VERSION);
        return msg;
    }
    return feature_call_missing(m);
}

static const struct mid_impl *find(const struct impl_list *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->impls[i]->name, name) == 0)
            return l->impls[i];
    return NULL;
}

/* Append m; path: the plugin's file (copied) and table_name the name its
 * table gives (m's own name unless the list renamed it), both NULL for a
 * compiled-in table. */
static bool push(struct impl_list *l, const char *arg, const struct mid_impl *m,
                 const char *path, const char *table_name, void *handle)
{
    if (l->n == IMPL_LIST_MAX) {
        fprintf(stderr, "%s: %s: more than %d implementations\n", l->prog, arg, IMPL_LIST_MAX);
        return false;
    }
    char *copy = NULL;
    if (path && !(copy = strdup(path))) {
        fprintf(stderr, "%s: %s: out of memory\n", l->prog, arg);
        return false;
    }
    l->args[l->n] = strcmp(arg, "all") == 0 ? m->name : arg;
    l->table_names[l->n] = table_name;
    l->paths[l->n] = copy;
    l->handles[l->n] = handle;
    l->impls[l->n++] = m;
    return true;
}

static bool is_path(const char *arg)
{
    size_t n = strlen(arg);
    return strchr(arg, '/') != NULL || (n > 3 && strcmp(arg + n - 3, ".so") == 0);
}

/* The first of DIR/NAME.so, DIR/libmidatlas-NAME.so over the search path
 * that exists, in a malloc'ed string; NULL when none does. */
static char *search(const char *name)
{
    const char *env = getenv("MIDATLAS_PLUGIN_PATH");
    size_t len = (env ? strlen(env) : 0) + strlen(plugin_dir()) + 2;
    char *dirs = malloc(len), *save = NULL, *found = NULL;
    if (!dirs)
        return NULL;
    snprintf(dirs, len, "%s%s%s", env ? env : "", env ? ":" : "", plugin_dir());
    for (char *d = strtok_r(dirs, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
        static const char *const shapes[] = {"%s/%s.so", "%s/libmidatlas-%s.so"};
        for (size_t s = 0; s < 2 && !found; s++) {
            size_t n = strlen(d) + strlen(name) + 32;
            char *p = malloc(n);
            if (!p)
                break;
            snprintf(p, n, shapes[s], d, name);
            FILE *f = fopen(p, "rb");
            if (f) {
                fclose(f);
                found = p;
            } else {
                free(p);
            }
        }
    }
    free(dirs);
    return found;
}

/* Is name a listed table's name, or the name a listed plugin gives its
 * table? */
static bool name_taken(const struct impl_list *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->impls[i]->name, name) == 0 ||
            (l->table_names[i] && strcmp(l->table_names[i], name) == 0))
            return true;
    return false;
}

/* "NAME@" and s into name (room n), every character of s that a name may
 * not hold written '_' (a '/' of a path among them). */
static void name_at(char *name, size_t n, const char *table_name, const char *s)
{
    size_t at = (size_t)snprintf(name, n, "%s@%s", table_name, s);
    for (size_t i = strlen(table_name) + 1; i < at && i < n; i++)
        if (!name_char_ok(name[i]))
            name[i] = '_';
}

/* A copy of table m, calls unchanged, named "NAME@FILE" after the file at
 * path, or "NAME@PATH" when that name is listed already (two files of
 * one name in two directories), with '_' for every '/' of the path.  NULL
 * after an error line. */
static const struct mid_impl *named_by_file(const struct impl_list *l, const char *arg,
                                            const struct mid_impl *m, const char *path)
{
    const char *base = strrchr(path, '/');
    size_t n = strlen(m->name) + strlen(path) + 2;
    struct mid_impl *copy = malloc(sizeof *copy);
    char *name = malloc(n);
    if (!copy || !name) {
        free(copy);
        free(name);
        fprintf(stderr, "%s: %s: out of memory\n", l->prog, arg);
        return NULL;
    }
    name_at(name, n, m->name, base ? base + 1 : path);
    if (find(l, name))
        name_at(name, n, m->name, path);
    *copy = *m;
    copy->name = name;
    return copy;
}

/* Is name a compiled-in table's, listed or not? */
static bool builtin_name(const struct impl_list *l, const char *name)
{
    for (size_t i = 0; l->builtins[i]; i++)
        if (strcmp(l->builtins[i]->name, name) == 0)
            return true;
    return false;
}

/* dlopen path, check its table, add it (renamed when the name is taken). */
static bool load(struct impl_list *l, const char *arg, const char *path)
{
    /* RTLD_LOCAL: two plugins may both define midatlas_* symbols (a broken
     * variant next to the real library); each binds to its own. */
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "%s: %s: cannot load: %s\n", l->prog, arg, dlerror());
        return false;
    }
    midatlas_harness_entry_fn *entry;
    /* POSIX's way from void * to a function pointer. */
    *(void **)&entry = dlsym(h, MIDATLAS_HARNESS_ENTRY);
    if (!entry) {
        fprintf(stderr, "%s: %s: no %s(): not a midatlas harness plugin\n", l->prog, arg,
                MIDATLAS_HARNESS_ENTRY);
        return false;
    }
    const struct mid_impl *m = entry();
    const char *why = impl_abi_problem(m);
    if (why) {
        fprintf(stderr, "%s: %s: refused: %s\n", l->prog, arg, why);
        return false;
    }
    for (size_t i = 0; i < l->n; i++)
        if (l->handles[i] == h)
            return true; /* this file is listed already: as builtins are */
    const char *table_name = m->name;
    /* A compiled-in table's name is the compiled-in table's, whether or not
     * it is listed yet (its --impl may come later). */
    if (name_taken(l, table_name) || builtin_name(l, table_name)) {
        /* Every plugin of this name is listed by its file from now on, the
         * one listed before included (a compiled-in table keeps its name). */
        for (size_t i = 0; i < l->n; i++)
            if (l->table_names[i] && strcmp(l->table_names[i], table_name) == 0 &&
                strcmp(l->impls[i]->name, table_name) == 0 &&
                !(l->impls[i] = named_by_file(l, l->args[i], l->impls[i], l->paths[i])))
                return false;
        if (!(m = named_by_file(l, arg, m, path)))
            return false;
    }
    /* The handle stays open for the process's life. */
    return push(l, arg, m, path, table_name, h);
}

bool impl_list_add(struct impl_list *l, const char *arg)
{
    if (strcmp(arg, "all") == 0) {
        for (size_t i = 0; l->builtins[i]; i++)
            if (!find(l, l->builtins[i]->name) && !push(l, arg, l->builtins[i], NULL, NULL, NULL))
                return false;
        return true;
    }
    for (size_t i = 0; l->builtins[i]; i++)
        if (strcmp(l->builtins[i]->name, arg) == 0)
            return find(l, arg) ? true : push(l, arg, l->builtins[i], NULL, NULL, NULL);
    if (is_path(arg))
        return load(l, arg, arg);
    char *path = search(arg);
    if (!path) {
        fprintf(stderr,
                "%s: %s: no such implementation (compiled-in: see --help; plugins: a path to a "
                ".so, or NAME.so in $MIDATLAS_PLUGIN_PATH or %s)\n",
                l->prog, arg, plugin_dir());
        return false;
    }
    bool ok = load(l, arg, path);
    free(path);
    return ok;
}

void impl_list_help(const struct impl_list *l, FILE *f)
{
    char feats[160];
    for (size_t i = 0; l->builtins[i]; i++)
        fprintf(f, "  %-12s %s\n  %-12s (features: %s)\n", l->builtins[i]->name,
                l->builtins[i]->description, "",
                impl_feature_names(l->builtins[i]->features, feats, sizeof feats));
    fprintf(f, "  PATH.so      a plugin (include/midatlas/harness.h); NAME finds NAME.so in\n"
               "               $MIDATLAS_PLUGIN_PATH, then %s\n",
            plugin_dir());
}

bool impl_list_given(const struct impl_list *l)
{
    if (l->n > 0)
        return true;
    cli_usage_error(l->prog, "no --impl given");
    return false;
}
