// SPDX-License-Identifier: MIT
// plugin_entry_cxx.cc - a plugin whose entry point is compiled as C++ (test
// plugin.cxx-entry): MIDATLAS_HARNESS_PLUGIN must define the entry point
// with C linkage there too, or dlsym finds no midatlas_harness_impl (the
// macro once expanded outside the header's extern "C", and a C++ plugin
// exported only the mangled _Z21midatlas_harness_implv).  The C++ twin of
// plugin_entry.c (midatlas_plugin's ENTRY): the table, MID_PLUGIN_TABLE, is
// compiled as C beside this file.
#include "midatlas/harness.h"

extern "C" const struct mid_impl MID_PLUGIN_TABLE;

MIDATLAS_HARNESS_PLUGIN(MID_PLUGIN_TABLE)
