/* Wait queues: sleep until a condition holds, without losing wake-ups. */
#ifndef SCHED_WAIT_H
#define SCHED_WAIT_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/list.h"
#include "sched/spinlock.h"

struct wait_queue {
	struct spinlock lock;     /* protects waiters */
	struct list_node waiters; /* struct waiter, in arrival order */
};

#define WAIT_QUEUE_INIT(wq, n) { SPINLOCK_INIT(n), LIST_INIT((wq).waiters) }

void wait_queue_init(struct wait_queue *wq, const char *name);

/*
 * Sleeps until cond(arg) is true. cond is evaluated with wq->lock held and
 * interrupts off, and the thread is queued before the lock is dropped, so
 * a wake_up issued after the condition became true is never missed.
 * cond must be quick and must not sleep.
 */
void wait_until(struct wait_queue *wq, bool (*cond)(void *arg), void *arg);

/* The same with a deadline (time_since_boot_ns() clock): 0 once cond is
 * true, -ETIMEDOUT if the deadline passed first. */
int wait_until_deadline(struct wait_queue *wq, bool (*cond)(void *arg), void *arg,
			uint64_t deadline_ns);

/* Makes the first / every waiter runnable; they re-check their condition. */
void wake_up_one(struct wait_queue *wq);
void wake_up_all(struct wait_queue *wq);

#endif
