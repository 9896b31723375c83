/* Spinlocks that disable interrupts while held. */
#ifndef SCHED_SPINLOCK_H
#define SCHED_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>

/*
 * A lock says what it protects at its declaration. Lock order, once there
 * is more than one lock: written in kernel/sched/README-locks (to come).
 * One CPU today, but every shared structure is locked as if there were many.
 */
struct spinlock {
	volatile uint32_t locked;
	const char *name;
	uint64_t saved_flags; /* rflags of the holder before it disabled interrupts */
};

#define SPINLOCK_INIT(n) { .locked = 0, .name = (n), .saved_flags = 0 }

#ifdef HOST_TEST
static inline uint64_t irq_save(void) { return 0; }
static inline void irq_restore(uint64_t flags) { (void)flags; }
#else
static inline uint64_t irq_save(void)
{
	uint64_t flags;

	__asm__ volatile("pushfq; popq %0; cli" : "=r"(flags) : : "memory");
	return flags;
}

static inline void irq_restore(uint64_t flags)
{
	if (flags & (1u << 9)) /* IF */
		__asm__ volatile("sti" : : : "memory");
}
#endif

static inline void spin_lock(struct spinlock *l)
{
	uint64_t flags = irq_save();

	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			__builtin_ia32_pause();
	l->saved_flags = flags;
}

/* spin_lock if the lock is free; false (interrupts as they were) if not.
 * For code that must not wait, such as the kernel log in a fault. */
static inline bool spin_trylock(struct spinlock *l)
{
	uint64_t flags = irq_save();

	if (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE)) {
		irq_restore(flags);
		return false;
	}
	l->saved_flags = flags;
	return true;
}

static inline void spin_unlock(struct spinlock *l)
{
	uint64_t flags = l->saved_flags;

	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
	irq_restore(flags);
}

/* Without touching the interrupt flag: for callers that already turned
 * interrupts off and hold the lock across a context switch (sched.c). */
static inline void spin_lock_raw(struct spinlock *l)
{
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			__builtin_ia32_pause();
}

static inline void spin_unlock_raw(struct spinlock *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

static inline bool spin_held(const struct spinlock *l)
{
	return __atomic_load_n(&l->locked, __ATOMIC_RELAXED) != 0;
}

#endif
