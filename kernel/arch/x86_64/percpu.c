/* Per-CPU state, reached through the GS base: one instance per CPU. */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"

#define MSR_GS_BASE        0xc0000101u
#define MSR_KERNEL_GS_BASE 0xc0000102u

static struct cpu cpu0;

struct table_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

/* Flat 64-bit code/data descriptors; accessed bit preset. */
#define DESC_KERNEL_CODE 0x00af9b000000ffffull
#define DESC_KERNEL_DATA 0x00cf93000000ffffull
#define DESC_USER_CODE32 0x00cffb000000ffffull
#define DESC_USER_DATA   0x00cff3000000ffffull
#define DESC_USER_CODE   0x00affb000000ffffull

static void tss_descriptor(uint64_t *slot, const struct tss *tss)
{
	uint64_t base = (uint64_t)tss, limit = sizeof(*tss) - 1;

	slot[0] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) |
		  (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	slot[1] = base >> 32;
}

static void load_gdt(struct cpu *c)
{
	struct table_ptr p = { sizeof(c->gdt) - 1, (uint64_t)c->gdt };

	/* Reload CS with a far return, then the data segments. GS is loaded
	 * before the GS base MSR is written: loading a selector clears it. */
	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "mov %2, %%ds\n\t"
			 "mov %2, %%es\n\t"
			 "mov %2, %%ss\n\t"
			 "mov %2, %%fs\n\t"
			 "mov %2, %%gs\n\t"
			 "ltr %w3"
			 :
			 : "m"(p), "i"(SEL_KERNEL_CODE), "r"(SEL_KERNEL_DATA), "r"(SEL_TSS)
			 : "rax", "memory");
}

void percpu_init(void)
{
	struct cpu *c = &cpu0;

	c->self = c;
	c->id = 0;
	c->gdt[0] = 0;
	c->gdt[1] = DESC_KERNEL_CODE;
	c->gdt[2] = DESC_KERNEL_DATA;
	c->gdt[3] = DESC_USER_CODE32;
	c->gdt[4] = DESC_USER_DATA;
	c->gdt[5] = DESC_USER_CODE;
	tss_descriptor(&c->gdt[6], &c->tss);
	c->tss.iomap_base = sizeof(c->tss); /* no I/O permission bitmap */
	load_gdt(c);
	wrmsr(MSR_GS_BASE, (uint64_t)c);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
}

void percpu_set_ist(unsigned ist, uint64_t stack_top)
{
	this_cpu()->tss.ist[ist - 1] = stack_top;
}
