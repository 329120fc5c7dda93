/* SPDX-License-Identifier: MIT */
/*
 * plugin_entry.c - the entry point of the project's own plugins: every
 * compiled-in table of bench/impls (and midatlas's library variants) becomes
 * a plugin by compiling this file with -DMID_PLUGIN_TABLE=<its table>.
 */
#include "impl.h"

extern const struct mid_impl MID_PLUGIN_TABLE;

MIDATLAS_HARNESS_PLUGIN(MID_PLUGIN_TABLE)
