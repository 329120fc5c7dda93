/* SPDX-License-Identifier: MIT */
/**
 * @file midatlas/version.h
 * @brief The version of the midatlas headers a program is compiled against.
 *
 * @verbatim
 * midatlas/version.h - the version of the headers a program was compiled
 * against.  The top-level CMakeLists.txt reads its project() VERSION from the
 * three numbers below, so this file is the one place a release changes them.
 * midatlas_version() returns the version of the library actually loaded.
 * Included by <midatlas.h>.
 * @endverbatim
 */
#ifndef MIDATLAS_VERSION_H
#define MIDATLAS_VERSION_H

/** @brief Major version: bumped on an incompatible API or ABI change
 *  (while it is 0, a minor release may break the ABI and bumps the SONAME). */
#define MIDATLAS_VERSION_MAJOR 0
/** @brief Minor version: bumped when functions, flags or stats fields are added. */
#define MIDATLAS_VERSION_MINOR 1
/** @brief Patch version: bumped for fixes that change no interface. */
#define MIDATLAS_VERSION_PATCH 0
/** @brief The version as a string, "MAJOR.MINOR.PATCH". */
#define MIDATLAS_VERSION "0.1.0"
/** @brief The version as one comparable number, MAJOR * 10000 + MINOR * 100 + PATCH,
 *  for `#if MIDATLAS_VERSION_NUMBER >= 100` style checks. */
#define MIDATLAS_VERSION_NUMBER                                                \
    (MIDATLAS_VERSION_MAJOR * 10000 + MIDATLAS_VERSION_MINOR * 100 + MIDATLAS_VERSION_PATCH)

#endif /* MIDATLAS_VERSION_H */
