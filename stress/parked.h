/* SPDX-License-Identifier: MIT */
/*
 * parked.h - what parked.c drives: a table, and whether it should keep going
 * while one thread is parked inside an operation (lock-free) or stall.
 */
#ifndef MIDATLAS_STRESS_PARKED_H
#define MIDATLAS_STRESS_PARKED_H

#include <stdbool.h>
#include <stdint.h>

#include "hooks.h"

struct parked_target {
    const char *name;
    bool lock_free;
    void *(*create)(void);
    void (*destroy)(void *table);
    int (*associate)(void *table, void *ctx, uint16_t *mid);
    void *(*map)(void *table, uint16_t mid);
    int (*dissociate)(void *table, uint16_t mid, void **ctx);
};

/* parked.c: parks the victim thread when it reaches the chosen point. */
void parked_hook(enum midatlas_hook_point point, uint32_t index);

/* parked_mutex.c: the mutex baseline with the hook inside its lock. */
void *parked_mutex_create(void);
void parked_mutex_destroy(void *table);
int parked_mutex_associate(void *table, void *ctx, uint16_t *mid);
void *parked_mutex_map(void *table, uint16_t mid);
int parked_mutex_dissociate(void *table, uint16_t mid, void **ctx);

#endif /* MIDATLAS_STRESS_PARKED_H */
