/* Kernel stacks: in the kernel area, each with an unmapped guard page below. */
#ifndef MM_KSTACK_H
#define MM_KSTACK_H

#include <stdint.h>

#include "lib/list.h"

#define KSTACK_PAGES     4  /* 16 KiB: the default for threads */
#define KSTACK_MAX_PAGES 15 /* a slot is 64 KiB: guard page + up to 15 */

struct kstack {
	uint64_t guard_va;  /* the unmapped page right below bottom */
	uint64_t bottom_va; /* lowest usable byte */
	uint64_t top_va;    /* initial stack pointer (exclusive end) */
	const char *name;   /* for overflow reports; must outlive the stack */
	struct list_node node; /* on live_stacks or free_slots (kstack_lock) */
};

/* Registers the loader's boot stack and the guard lookup for double faults. */
void kstack_init(void);

/* Unmaps the loader's boot stack once kmain runs elsewhere (its frames
 * are reclaimed with the other boot memory). */
void kstack_retire_boot_stack(void);

/* A fresh stack of `pages` zeroed pages (1..KSTACK_MAX_PAGES). Infallible. */
struct kstack *kstack_alloc(const char *name, unsigned pages);

/* Unmaps the stack, flushes the TLB, frees its frames; the slot is reused. */
void kstack_free(struct kstack *s);

/* Name of the stack whose guard page contains addr, or NULL. */
const char *kstack_guard_owner(uint64_t addr);

/* Runs fn(arg) on another stack; returns when fn returns. */
void call_on_stack(void (*fn)(void *), void *arg, uint64_t stack_top);

#endif
