/* Once-cells: a value set exactly once at boot, read-only afterwards. */
#ifndef LIB_ONCE_H
#define LIB_ONCE_H

#include <stdbool.h>
#include <stdint.h>

#include "panic.h"

/*
 * A once-cell guards data that one initialiser fills and everyone else only
 * reads. It turns the two ways to misuse such data into panics naming the
 * cell: a second initialisation, and a read before the first has finished.
 * The state is atomic: the initialiser's writes (released by once_end) are
 * visible to any CPU whose once_check/once_get saw the cell initialised.
 *
 *     static ONCE_CELL(struct cpu_info) boot_cpu = ONCE_CELL_INIT("boot_cpu");
 *     once_set(&boot_cpu, info);                  // exactly once
 *     const struct cpu_info *c = once_get(&boot_cpu);  // any time after
 *
 * Data filled in place uses the plain cell:
 *     once_begin(&cell); ...fill... ; once_end(&cell);  and once_check(&cell) before reading.
 */

enum { ONCE_UNSET, ONCE_RUNNING, ONCE_DONE };

struct once {
	const char *name;   /* for panic messages */
	uint32_t state;     /* ONCE_*; changed only with __atomic builtins */
};

#define ONCE_INIT(cell_name) { (cell_name), ONCE_UNSET }

/* Starts the initialisation. Panics if it was started before (done or running). */
static inline void once_begin(struct once *o)
{
	uint32_t expected = ONCE_UNSET;

	if (!__atomic_compare_exchange_n(&o->state, &expected, ONCE_RUNNING, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		panic("once_begin: %s initialised a second time", o->name);
}

/* Publishes the data. Panics unless once_begin(o) came first. */
static inline void once_end(struct once *o)
{
	uint32_t expected = ONCE_RUNNING;

	if (!__atomic_compare_exchange_n(&o->state, &expected, ONCE_DONE, false,
					 __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		panic("once_end: %s was not being initialised", o->name);
}

/* True once the data is published (for code that may run before it is). */
static inline bool once_done(const struct once *o)
{
	return __atomic_load_n(&o->state, __ATOMIC_ACQUIRE) == ONCE_DONE;
}

/* Call before reading: panics if the data is not published yet. */
static inline void once_check(const struct once *o)
{
	if (!once_done(o))
		panic("once_check: %s read before it was initialised", o->name);
}

/* A value of `type` behind a once-cell; read it only through once_get. */
#define ONCE_CELL(type) struct { struct once once; type value; }
#define ONCE_CELL_INIT(cell_name) { .once = ONCE_INIT(cell_name) }

/* Sets the cell's value; panics on a second call like once_begin. */
#define once_set(cell, v)                          \
	do {                                       \
		once_begin(&(cell)->once);         \
		(cell)->value = (v);               \
		once_end(&(cell)->once);           \
	} while (0)

/* A const pointer to the cell's value; panics before once_set. */
#define once_get(cell) \
	(once_check(&(cell)->once), (const __typeof__((cell)->value) *)&(cell)->value)

#endif
