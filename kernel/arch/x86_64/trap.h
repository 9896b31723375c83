/* CPU exceptions: the saved register frame and the table that routes them. */
#ifndef ARCH_X86_64_TRAP_H
#define ARCH_X86_64_TRAP_H

#include <stdint.h>

/* Pushed by isr.asm (general registers) and the CPU (from vector on). */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

/* Loads the kernel's GDT and an IDT routing all 32 exceptions here. */
void trap_init(void);

/* Called from isr.asm with interrupts off. */
void trap_handler(struct trap_frame *tf);

#endif
