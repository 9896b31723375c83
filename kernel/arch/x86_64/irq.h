/* Interrupt vectors 32-255: registration, dispatch, end of interrupt. */
#ifndef ARCH_X86_64_IRQ_H
#define ARCH_X86_64_IRQ_H

#include <stdbool.h>
#include <stdint.h>

struct trap_frame;

/* Vector plan. ISA IRQ n arrives on IRQ_ISA_BASE + n (through the IOAPIC,
 * or the legacy PIC, which is remapped there and then masked). */
#define IRQ_ISA_BASE       0x20
#define IRQ_VECTOR_TIMER   0x30 /* local APIC timer */
#define IRQ_VECTOR_DYNAMIC 0x40 /* first vector irq_alloc_vector() hands out */
#define IRQ_VECTOR_ERROR   0xfe /* local APIC error */
#define IRQ_VECTOR_SPURIOUS 0xff

/* A handler runs with interrupts disabled; irq.c sends the EOI after it. */
typedef void (*irq_handler)(struct trap_frame *tf, void *arg);

/* Installs the handler for vector (32..255). A vector has one handler;
 * registering a second is a kernel bug (panic). */
void irq_register(uint8_t vector, irq_handler fn, void *arg, const char *name);

/* A free vector in [IRQ_VECTOR_DYNAMIC, IRQ_VECTOR_ERROR). */
uint8_t irq_alloc_vector(void);

/* Called by trap_handler for vectors >= 32: the handler, the EOI, and a
 * reschedule if the handler asked for one. */
void irq_dispatch(struct trap_frame *tf);

/* How the interrupt controller is told an interrupt is done (the local
 * APIC once it is up). */
void irq_set_eoi(void (*eoi)(void));

/* Interrupts seen per vector since boot (for tests and /proc later). */
uint64_t irq_count(uint8_t vector);

static inline void irq_enable(void)
{
	__asm__ volatile("sti" : : : "memory");
}

static inline void irq_disable(void)
{
	__asm__ volatile("cli" : : : "memory");
}

static inline bool irq_enabled(void)
{
	uint64_t flags;

	__asm__ volatile("pushfq; popq %0" : "=r"(flags));
	return flags & (1u << 9);
}

#endif
