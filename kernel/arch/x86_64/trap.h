/* CPU exceptions: the saved register frame and the table that routes them. */
#ifndef ARCH_X86_64_TRAP_H
#define ARCH_X86_64_TRAP_H

#include <stdbool.h>
#include <stdint.h>

/* Pushed by isr.asm (general registers) and the CPU (from vector on). */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

/* Sets up this CPU's GDT and TSS (percpu_init) and an IDT routing all 256
 * vectors here: exceptions (0-31) are reported, the rest go to irq.c.
 * Works before any memory management. */
void trap_init(void);

/* Moves double fault, NMI and machine check onto their IST stacks; call
 * once percpu_set_ist() gave every slot a guarded stack. */
void trap_use_ist_stacks(void);

/* Lets the memory manager handle page faults first: the hook returns true
 * if the fault is dealt with (the faulting instruction is retried, or the
 * frame was changed to go elsewhere); otherwise the kernel panics. */
void trap_set_page_fault_hook(bool (*hook)(struct trap_frame *tf, uint64_t addr));

/* Exceptions other than page faults from user mode: the hook turns them
 * into signals (returns true) instead of a kernel panic. */
void trap_set_user_exception_hook(bool (*hook)(struct trap_frame *tf));

/* Runs before every return to user mode (signal delivery, kills). */
void trap_set_user_return_hook(bool (*hook)(struct trap_frame *tf));
void trap_user_return(struct trap_frame *tf);

/* Lets the double-fault handler name the stack whose guard page contains
 * an address (NULL if none), to report stack overflows. */
void trap_set_guard_lookup(const char *(*lookup)(uint64_t addr));

/* Called from isr.asm with interrupts off. */
void trap_handler(struct trap_frame *tf);

#endif
