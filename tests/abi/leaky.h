/* SPDX-License-Identifier: MIT */
/* leaky.h - the one public name of the leaky library (leaky.c). */
#define MIDATLAS_API __attribute__((visibility("default")))
MIDATLAS_API int leaky_public(void);
