/* CPU exceptions: GDT and IDT setup, and the report printed for a fault. */
#include <stdbool.h>
#include <stdint.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/trap.h"
#include "panic.h"

#define KERNEL_CS 0x08
#define KERNEL_DS 0x10

struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t zero;
};
_Static_assert(sizeof(struct idt_gate) == 16, "idt_gate layout");

struct table_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

/* Read-only (rodata): the accessed bits are preset, so loading a selector
 * never makes the CPU write to the table. */
static const uint64_t gdt[] = {
	0,
	0x00af9b000000ffffull, /* 0x08 kernel code: 64-bit, present, ring 0 */
	0x00cf93000000ffffull, /* 0x10 kernel data */
};

static struct idt_gate idt[256];
extern const uint64_t isr_stubs[32];

static const char *const vector_names[32] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow", "bound range",
	"invalid opcode", "device not available", "double fault", "coprocessor overrun",
	"invalid TSS", "segment not present", "stack fault", "general protection",
	"page fault", "reserved 15", "x87 floating point", "alignment check", "machine check",
	"SIMD floating point", "virtualization", "control protection", "reserved 22",
	"reserved 23", "reserved 24", "reserved 25", "reserved 26", "reserved 27",
	"hypervisor injection", "VMM communication", "security", "reserved 31",
};

static void load_gdt(void)
{
	struct table_ptr p = { sizeof(gdt) - 1, (uint64_t)gdt };

	/* Reload CS with a far return, then the data segments. */
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
			 "mov %2, %%gs"
			 :
			 : "m"(p), "i"(KERNEL_CS), "r"(KERNEL_DS)
			 : "rax", "memory");
}

void trap_init(void)
{
	struct table_ptr p = { sizeof(idt) - 1, (uint64_t)idt };

	load_gdt();
	for (int v = 0; v < 32; v++) {
		uint64_t a = isr_stubs[v];

		idt[v] = (struct idt_gate){
			.offset_lo = (uint16_t)a,
			.selector = KERNEL_CS,
			.type_attr = 0x8e, /* present, ring 0, interrupt gate */
			.offset_mid = (uint16_t)(a >> 16),
			.offset_hi = (uint32_t)(a >> 32),
		};
	}
	__asm__ volatile("lidt %0" : : "m"(p));
}

void trap_handler(struct trap_frame *tf)
{
	const char *name = tf->vector < 32 ? vector_names[tf->vector] : "interrupt";

	if (tf->vector == 14) {
		uint64_t e = tf->error;

		panic_frame(tf, "page fault at %#lx: %s %s in %s mode%s", read_cr2(),
			    e & 1 ? "protection violation on" : "not-present page on",
			    e & 16 ? "instruction fetch" : (e & 2 ? "write" : "read"),
			    e & 4 ? "user" : "kernel", e & 8 ? " (reserved bit set)" : "");
	}
	panic_frame(tf, "%s (vector %lu, error code %#lx)", name, tf->vector, tf->error);
}
