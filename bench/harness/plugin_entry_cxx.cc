// SPDX-License-Identifier: MIT
// plugin_entry_cxx.cc - a plugin whose entry point is compiled as C++ (test
// plugin.cxx-entry): MIDATLAS_HARNESS_PLUGIN must define the entry point
// with C linkage there too, or dlsym finds no midatlas_harness_impl (the
// macro once expanded outside the header's extern "C", and a C++ plugin
// exported only the mangled _Z21midatlas_harness_implv).  The table is the
// mutex baseline's, compiled as C beside this file.
#include "midatlas/harness.h"

extern "C" const struct mid_impl mid_impl_mutex;

MIDATLAS_HARNESS_PLUGIN(mid_impl_mutex)
