/* SPDX-License-Identifier: MIT */
/*
 * impl_idr_cyclic.c - idr-cyclic: impl_idr.c with Linux's idr_alloc_cyclic
 * policy (the next free id after the last one handed out; impl_idr.c says
 * what changes).  The same code, built again with IDR_CYCLIC set, so that
 * idr's own build carries none of it.
 */
#define IDR_CYCLIC 1
#include "impl_idr.c"
