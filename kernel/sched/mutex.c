/* Sleeping mutexes: for long critical sections; they may not be taken in interrupts. */
#include <stddef.h>

#include "panic.h"
#include "sched/mutex.h"
#include "sched/thread.h"

void mutex_init(struct mutex *m, const char *name)
{
	m->owner = NULL;
	m->name = name;
	wait_queue_init(&m->waiters, name);
}

static bool is_free(void *arg)
{
	return ((struct mutex *)arg)->owner == NULL;
}

bool mutex_trylock(struct mutex *m)
{
	bool taken = false;

	spin_lock(&m->waiters.lock);
	if (!m->owner) {
		m->owner = thread_current();
		taken = true;
	}
	spin_unlock(&m->waiters.lock);
	return taken;
}

void mutex_lock(struct mutex *m)
{
	if (m->owner == thread_current())
		panic("mutex_lock: %s already holds %s", thread_current()->name, m->name);
	/* Woken waiters race for the mutex; a loser waits again. */
	while (!mutex_trylock(m))
		wait_until(&m->waiters, is_free, m);
}

void mutex_unlock(struct mutex *m)
{
	spin_lock(&m->waiters.lock);
	if (m->owner != thread_current()) {
		spin_unlock(&m->waiters.lock);
		panic("mutex_unlock: %s does not hold %s", thread_current()->name, m->name);
	}
	m->owner = NULL;
	spin_unlock(&m->waiters.lock);
	wake_up_one(&m->waiters);
}

bool mutex_held(struct mutex *m)
{
	return m->owner == thread_current();
}
