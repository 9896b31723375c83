/* CPU exceptions: GDT and IDT setup, and the report printed for a fault. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/irq.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/trap.h"
#include "panic.h"

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

static struct idt_gate idt[256];
extern const uint64_t isr_stubs[256];

static const char *const vector_names[32] = {
	"divide error", "debug", "NMI", "breakpoint", "overflow", "bound range",
	"invalid opcode", "device not available", "double fault", "coprocessor overrun",
	"invalid TSS", "segment not present", "stack fault", "general protection",
	"page fault", "reserved 15", "x87 floating point", "alignment check", "machine check",
	"SIMD floating point", "virtualization", "control protection", "reserved 22",
	"reserved 23", "reserved 24", "reserved 25", "reserved 26", "reserved 27",
	"hypervisor injection", "VMM communication", "security", "reserved 31",
};

static const char *(*guard_owner)(uint64_t addr);
static bool (*page_fault_hook)(struct trap_frame *tf, uint64_t addr);

static bool (*user_exception_hook)(struct trap_frame *tf);
static bool (*user_return_hook)(struct trap_frame *tf);

void trap_set_page_fault_hook(bool (*hook)(struct trap_frame *tf, uint64_t addr))
{
	page_fault_hook = hook;
}

void trap_set_user_exception_hook(bool (*hook)(struct trap_frame *tf))
{
	user_exception_hook = hook;
}

void trap_set_user_return_hook(bool (*hook)(struct trap_frame *tf))
{
	user_return_hook = hook;
}

void trap_user_return(struct trap_frame *tf)
{
	if (user_return_hook && (tf->cs & 3) == 3)
		user_return_hook(tf);
}

void trap_set_guard_lookup(const char *(*lookup)(uint64_t addr))
{
	guard_owner = lookup;
}

void trap_init(void)
{
	struct table_ptr p = { sizeof(idt) - 1, (uint64_t)idt };

	percpu_init();
	for (int v = 0; v < 256; v++) {
		uint64_t a = isr_stubs[v];

		idt[v] = (struct idt_gate){
			.offset_lo = (uint16_t)a,
			.selector = SEL_KERNEL_CODE,
			/* present, interrupt gate; int3 and into may be used from ring 3 */
			.type_attr = (v == 3 || v == 4) ? 0xee : 0x8e,
			.offset_mid = (uint16_t)(a >> 16),
			.offset_hi = (uint32_t)(a >> 32),
		};
	}
	__asm__ volatile("lidt %0" : : "m"(p));
}

void trap_use_ist_stacks(void)
{
	idt[8].ist = IST_DOUBLE_FAULT;
	idt[2].ist = IST_NMI;
	idt[18].ist = IST_MACHINE_CHECK;
}

void trap_handler(struct trap_frame *tf)
{
	const char *name;

	if (tf->vector >= 32) {
		irq_dispatch(tf);
		trap_user_return(tf);
		return;
	}
	if (tf->vector == 14 && page_fault_hook && page_fault_hook(tf, read_cr2())) {
		trap_user_return(tf);
		return; /* resolved (demand paging, a user copy's fixup, a signal) */
	}
	if (tf->vector != 14 && user_exception_hook && user_exception_hook(tf)) {
		trap_user_return(tf);
		return;
	}
	name = vector_names[tf->vector];

	if (tf->vector == 8) {
		/* A push into a stack's guard page faults again while delivering
		 * the page fault: that double fault is a stack overflow. */
		uint64_t cr2 = read_cr2();
		const char *owner = guard_owner ? guard_owner(cr2) : NULL;

		if (owner)
			panic_frame(tf, "kernel stack overflow in %s (guard page %#lx hit)", owner,
				    cr2 & ~0xffful);
	}
	if (tf->vector == 14) {
		uint64_t e = tf->error;

		panic_frame(tf, "page fault at %#lx: %s %s in %s mode%s", read_cr2(),
			    e & 1 ? "protection violation on" : "not-present page on",
			    e & 16 ? "instruction fetch" : (e & 2 ? "write" : "read"),
			    e & 4 ? "user" : "kernel", e & 8 ? " (reserved bit set)" : "");
	}
	panic_frame(tf, "%s (vector %lu, error code %#lx)", name, tf->vector, tf->error);
}
