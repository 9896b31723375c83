/* Interrupt vectors 32-255: registration, dispatch, end of interrupt. */
#include <stddef.h>

#include "arch/x86_64/irq.h"
#include "arch/x86_64/trap.h"
#include "log.h"
#include "panic.h"
#include "sched/sched.h"
#include "sched/spinlock.h"

struct irq_slot {
	irq_handler fn;
	void *arg;
	const char *name;
	uint64_t count;
};

/* irq_lock protects registration (the table is read without it: a slot is
 * written once, before its source is unmasked). */
static struct spinlock irq_lock = SPINLOCK_INIT("irq");
static struct irq_slot slots[256];
static uint8_t next_dynamic = IRQ_VECTOR_DYNAMIC;
static void (*send_eoi)(void);

void irq_register(uint8_t vector, irq_handler fn, void *arg, const char *name)
{
	if (vector < 32)
		panic("irq_register: vector %u is an exception (%s)", vector, name);
	spin_lock(&irq_lock);
	if (slots[vector].fn) {
		spin_unlock(&irq_lock);
		panic("irq_register: vector %#x already belongs to %s, not %s", vector,
		      slots[vector].name, name);
	}
	slots[vector] = (struct irq_slot){ fn, arg, name, 0 };
	spin_unlock(&irq_lock);
}

uint8_t irq_alloc_vector(void)
{
	uint8_t v;

	spin_lock(&irq_lock);
	while (next_dynamic < IRQ_VECTOR_ERROR && slots[next_dynamic].fn)
		next_dynamic++;
	v = next_dynamic;
	if (v < IRQ_VECTOR_ERROR)
		next_dynamic++;
	spin_unlock(&irq_lock);
	if (v >= IRQ_VECTOR_ERROR)
		panic("irq_alloc_vector: no free interrupt vector left");
	return v;
}

void irq_set_eoi(void (*eoi)(void))
{
	send_eoi = eoi;
}

uint64_t irq_count(uint8_t vector)
{
	return __atomic_load_n(&slots[vector].count, __ATOMIC_RELAXED);
}

void irq_dispatch(struct trap_frame *tf)
{
	struct irq_slot *s = &slots[tf->vector];

	__atomic_add_fetch(&s->count, 1, __ATOMIC_RELAXED);
	if (tf->vector == IRQ_VECTOR_SPURIOUS)
		return; /* no EOI for a spurious interrupt */
	if (s->fn)
		s->fn(tf, s->arg);
	else
		log_warn("irq", "unexpected interrupt on vector %#lx", (unsigned long)tf->vector);
	if (send_eoi)
		send_eoi();
	sched_preempt_point(); /* switch threads if the handler asked for it */
}
