/* SPDX-License-Identifier: MIT */
/*
 * midatlas/export.h - MIDATLAS_API, the mark on every public declaration.
 *
 * libmidatlas is compiled with hidden visibility by default, so only the
 * declarations that carry MIDATLAS_API are exported from the shared library;
 * internal functions stay local to it (and carry a midatlas__ prefix so that
 * a static link cannot collide with a user's names either).  Included by
 * <midatlas.h>; users never need it directly.
 */
#ifndef MIDATLAS_EXPORT_H
#define MIDATLAS_EXPORT_H

#if defined(__GNUC__) && !defined(_WIN32) && !defined(__CYGWIN__)
#define MIDATLAS_API __attribute__((visibility("default")))
#else
/* No visibility attribute (other compilers, Windows, where DLL builds are not
 * supported yet): everything the linker sees is exported. */
#define MIDATLAS_API
#endif

#endif /* MIDATLAS_EXPORT_H */
