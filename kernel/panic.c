/* Fatal kernel errors: only for broken invariants, never for bad input. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/power.h"
#include "arch/x86_64/trap.h"
#include "ksym.h"
#include "log.h"
#include "panic.h"
#include "shared/boot_info.h"

#define BACKTRACE_MAX 32

static int panicking;

static bool kernel_address(uint64_t a)
{
	return a >= BOOT_DIRECT_MAP_VA;
}

/* A return address is looked up one byte back: inside the call itself. */
static void print_frame(uint64_t rip, bool is_return_address)
{
	uint64_t offset;
	const char *name = ksym_lookup(rip - is_return_address, &offset);

	if (name)
		kprintf("  0x%016lx %s+%#lx\n", (unsigned long)rip, name,
			(unsigned long)(offset + is_return_address));
	else
		kprintf("  0x%016lx\n", (unsigned long)rip);
}

/* Follows saved frame pointers (the kernel keeps them: -fno-omit-frame-pointer). */
static void backtrace(uint64_t rbp, uint64_t rip)
{
	kprintf("backtrace:\n");
	print_frame(rip, false);
	for (int depth = 0; depth < BACKTRACE_MAX && rbp && kernel_address(rbp) && !(rbp & 7);
	     depth++) {
		const uint64_t *frame = (const uint64_t *)rbp;

		if (!frame[1])
			break;
		print_frame(frame[1], true);
		if (frame[0] <= rbp) /* frames grow upwards; anything else is garbage */
			break;
		rbp = frame[0];
	}
}

static void dump_registers(const struct trap_frame *tf)
{
	kprintf("rip 0x%016lx cs %#lx rflags %#lx\n", tf->rip, tf->cs, tf->rflags);
	kprintf("rsp 0x%016lx ss %#lx cr2 0x%016lx cr3 0x%016lx\n", tf->rsp, tf->ss, read_cr2(),
		read_cr3());
	kprintf("rax 0x%016lx rbx 0x%016lx rcx 0x%016lx rdx 0x%016lx\n", tf->rax, tf->rbx, tf->rcx,
		tf->rdx);
	kprintf("rsi 0x%016lx rdi 0x%016lx rbp 0x%016lx r8  0x%016lx\n", tf->rsi, tf->rdi, tf->rbp,
		tf->r8);
	kprintf("r9  0x%016lx r10 0x%016lx r11 0x%016lx r12 0x%016lx\n", tf->r9, tf->r10, tf->r11,
		tf->r12);
	kprintf("r13 0x%016lx r14 0x%016lx r15 0x%016lx\n", tf->r13, tf->r14, tf->r15);
}

static __attribute__((noreturn)) void vpanic(struct trap_frame *tf, const char *fmt, va_list ap)
{
	__asm__ volatile("cli");
	if (panicking++) {
		kprintf("panic: nested panic\n");
		power_off(false);
	}
	kprintf("panic: ");
	kvprintf(fmt, ap);
	kprintf("\n");
	if (tf) {
		dump_registers(tf);
		backtrace(tf->rbp, tf->rip);
	} else {
		backtrace((uint64_t)__builtin_frame_address(0), (uint64_t)__builtin_return_address(0));
	}
	power_off(false);
}

void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vpanic(NULL, fmt, ap);
}

void panic_frame(struct trap_frame *tf, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vpanic(tf, fmt, ap);
}
