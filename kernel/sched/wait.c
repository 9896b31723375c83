/* Wait queues: sleep until a condition holds, without losing wake-ups. */
#include <stddef.h>

#include "arch/x86_64/time.h"
#include "lib/errno.h"
#include "sched/sched.h"
#include "sched/thread.h"
#include "sched/timer.h"
#include "sched/wait.h"

#define NO_DEADLINE UINT64_MAX

/* One sleeping thread, on its own stack while it waits. */
struct waiter {
	struct thread *thread;
	struct list_node node; /* wq->waiters */
};

void wait_queue_init(struct wait_queue *wq, const char *name)
{
	wq->lock = (struct spinlock)SPINLOCK_INIT(name);
	list_init(&wq->waiters);
}

static int wait_common(struct wait_queue *wq, bool (*cond)(void *), void *arg,
		       uint64_t deadline_ns)
{
	struct thread *self = thread_current();
	struct waiter w = { .thread = self };
	uint64_t flags = irq_save();
	int ret = 0;

	list_init(&w.node);
	for (;;) {
		spin_lock_raw(&wq->lock);
		if (cond(arg)) {
			spin_unlock_raw(&wq->lock);
			break;
		}
		if (deadline_ns != NO_DEADLINE && time_since_boot_ns() >= deadline_ns) {
			spin_unlock_raw(&wq->lock);
			ret = -ETIMEDOUT;
			break;
		}
		/* Queued and marked blocked before the lock drops: a wake_up from
		 * now on finds us. Interrupts stay off until we are switched out. */
		list_push_back(&wq->waiters, &w.node);
		self->state = THREAD_BLOCKED;
		if (deadline_ns != NO_DEADLINE)
			timer_add_sleeper(self, deadline_ns);
		spin_unlock_raw(&wq->lock);
		sched_block();
		spin_lock_raw(&wq->lock);
		list_remove(&w.node); /* still queued if the timer woke us */
		spin_unlock_raw(&wq->lock);
		if (deadline_ns != NO_DEADLINE)
			timer_remove_sleeper(self);
	}
	irq_restore(flags);
	return ret;
}

void wait_until(struct wait_queue *wq, bool (*cond)(void *arg), void *arg)
{
	wait_common(wq, cond, arg, NO_DEADLINE);
}

int wait_until_deadline(struct wait_queue *wq, bool (*cond)(void *arg), void *arg,
			uint64_t deadline_ns)
{
	return wait_common(wq, cond, arg, deadline_ns);
}

static void wake(struct wait_queue *wq, bool all)
{
	uint64_t flags = irq_save();
	struct list_node *n;

	spin_lock_raw(&wq->lock);
	while ((n = list_first(&wq->waiters)) != NULL) {
		list_remove(n);
		sched_wake(list_entry(n, struct waiter, node)->thread);
		if (!all)
			break;
	}
	spin_unlock_raw(&wq->lock);
	irq_restore(flags);
}

void wake_up_one(struct wait_queue *wq)
{
	wake(wq, false);
}

void wake_up_all(struct wait_queue *wq)
{
	wake(wq, true);
}
