/* SPDX-License-Identifier: MIT */
/*
 * p9_rcu.h - the receiver's read-side section and the canceller's grace
 * period (see p9_conn.c, "Context lifetime").
 *
 * Normally liburcu's memb flavour.  ThreadSanitizer cannot see liburcu's
 * barriers (they are inline assembly and membarrier system calls), so under
 * -DMIDATLAS_SANITIZE=thread it would report every access the grace period
 * orders as a race.  TSan builds therefore run the same protocol on a
 * process-wide pthread rwlock: the read side brackets exactly the section
 * rcu_read_lock brackets, and "synchronize" takes and drops the write lock,
 * which waits for every reader inside a section, as synchronize_rcu does.
 * Slower, and only in TSan builds; the ordering argument is the same.
 */
#ifndef P9_RCU_H
#define P9_RCU_H

#if defined(MIDATLAS_SANITIZE_THREAD)

#include <pthread.h>

extern pthread_rwlock_t p9_rcu_tsan_lock;

static inline void p9_rcu_register(void) {}
static inline void p9_rcu_unregister(void) {}
static inline void p9_rcu_read_lock(void) { pthread_rwlock_rdlock(&p9_rcu_tsan_lock); }
static inline void p9_rcu_read_unlock(void) { pthread_rwlock_unlock(&p9_rcu_tsan_lock); }
static inline void p9_rcu_synchronize(void)
{
    pthread_rwlock_wrlock(&p9_rcu_tsan_lock);
    pthread_rwlock_unlock(&p9_rcu_tsan_lock);
}

#else

#include <urcu/urcu-memb.h>

static inline void p9_rcu_register(void) { urcu_memb_register_thread(); }
static inline void p9_rcu_unregister(void) { urcu_memb_unregister_thread(); }
static inline void p9_rcu_read_lock(void) { urcu_memb_read_lock(); }
static inline void p9_rcu_read_unlock(void) { urcu_memb_read_unlock(); }
/* Called only from threads outside any read-side section (never the
 * receiver), as liburcu requires. */
static inline void p9_rcu_synchronize(void) { urcu_memb_synchronize_rcu(); }

#endif

#endif /* P9_RCU_H */
