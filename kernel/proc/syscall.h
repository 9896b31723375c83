/* System calls: the Linux x86_64 numbering, registration and dispatch. */
#ifndef PROC_SYSCALL_H
#define PROC_SYSCALL_H

#include <stdint.h>

struct trap_frame;

/*
 * A handler gets the six argument registers (rdi, rsi, rdx, r10, r8, r9)
 * and the caller's saved registers, and returns the value for rax: a
 * result, or a negative errno. Arguments are untrusted: every pointer
 * goes through copy_from_user/copy_to_user (proc/uaccess.h), every number
 * is range-checked before anything changes.
 */
typedef long (*syscall_fn)(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
			   uint64_t a5, struct trap_frame *tf);

struct syscall_def {
	uint32_t nr;      /* Linux x86_64 number */
	const char *name;
	syscall_fn fn;
};

/*
 * Defines system call `name` with Linux number nr. The body sees a0..a5
 * and tf. The definitions land in the .syscalls section; syscall_init()
 * builds the dispatch table from them (a number defined twice panics).
 */
#define SYSCALL(nr_, name_)                                                                   \
	static long sys_##name_(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, \
				uint64_t a5, struct trap_frame *tf);                             \
	static const struct syscall_def syscall_def_##name_                                   \
		__attribute__((section(".syscalls"), used, aligned(8))) = { nr_, #name_,         \
									    sys_##name_ };       \
	static long sys_##name_(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, \
				uint64_t a5, struct trap_frame *tf)

#define SYSCALL_MAX 512

/* process.fail_nth while a system call runs with fault injection armed:
 * the low bits count the user frame allocations still allowed to succeed. */
#define FAIL_NTH_ARMED 0x80000000u

/* Linux's names by number (generated from the UAPI headers), for logs. */
extern const char *const syscall_names[SYSCALL_MAX];

/* Programs the SYSCALL MSRs and builds the table. */
void syscall_init(void);

/* Called by syscall_entry (syscall.asm). Returns nonzero when the return
 * to user mode must use iretq (the frame was rewritten, e.g. by execve). */
int syscall_dispatch(struct trap_frame *tf);

/* Number of system calls the table has. */
unsigned syscall_count(void);

#endif
