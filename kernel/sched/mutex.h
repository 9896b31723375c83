/* Sleeping mutexes: for long critical sections; they may not be taken in interrupts. */
#ifndef SCHED_MUTEX_H
#define SCHED_MUTEX_H

#include <stdbool.h>

#include "sched/wait.h"

struct thread;

struct mutex {
	struct thread *owner;     /* NULL when free (waiters.lock) */
	struct wait_queue waiters;
	const char *name;
};

void mutex_init(struct mutex *m, const char *name);
void mutex_lock(struct mutex *m);
bool mutex_trylock(struct mutex *m);
/* Only the owner unlocks (else panic). */
void mutex_unlock(struct mutex *m);
/* For assertions: does the calling thread hold m? */
bool mutex_held(struct mutex *m);

#endif
