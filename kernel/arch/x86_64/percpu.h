/* Per-CPU state, reached through the GS base: one instance per CPU. */
#ifndef ARCH_X86_64_PERCPU_H
#define ARCH_X86_64_PERCPU_H

#include <stdint.h>

/* Segment selectors (GDT indexes * 8). The user selectors follow the
 * order SYSRET needs: STAR user base 0x18 -> SS 0x20, CS 0x28. */
#define SEL_KERNEL_CODE 0x08
#define SEL_KERNEL_DATA 0x10
#define SEL_USER_CODE32 0x18
#define SEL_USER_DATA   0x20
#define SEL_USER_CODE   0x28
#define SEL_TSS         0x30
#define GDT_ENTRIES     8 /* the TSS descriptor takes two */

/* Interrupt stack table slots (1-based, as the IDT encodes them). */
#define IST_DOUBLE_FAULT  1
#define IST_NMI           2
#define IST_MACHINE_CHECK 3

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct tss) == 104, "tss layout");

struct cpu {
	struct cpu *self;     /* gs:0, so this_cpu() is one load */
	uint64_t syscall_rsp; /* gs:8: kernel stack top of the running thread */
	uint64_t user_rsp;    /* gs:16: user rsp, saved by syscall_entry */
	uint32_t id;
	uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(16)));
	struct tss tss __attribute__((aligned(16)));
};

/* syscall.asm and isr.asm use these offsets. */
_Static_assert(__builtin_offsetof(struct cpu, syscall_rsp) == 8, "cpu layout");
_Static_assert(__builtin_offsetof(struct cpu, user_rsp) == 16, "cpu layout");

/* The calling CPU's state. Valid after percpu_init(). */
static inline struct cpu *this_cpu(void)
{
	struct cpu *c;

	__asm__ volatile("movq %%gs:0, %0" : "=r"(c));
	return c;
}

/* Sets up CPU 0: GS base, GDT with user segments and the TSS, task register. */
void percpu_init(void);

/* Points IST slot `ist` of this CPU at a stack top (see IST_*). */
void percpu_set_ist(unsigned ist, uint64_t stack_top);

#endif
