/* System calls: the Linux x86_64 numbering, registration and dispatch. */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/irq.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/trap.h"
#include "lib/errno.h"
#include "arch/x86_64/time.h"
#include "boot.h"
#include "log.h"
#include "mm/pmm.h"
#include "panic.h"
#include "proc/process.h"
#include "proc/syscall.h"
#include "sched/sched.h"

#define RFLAGS_TF 0x100
#define RFLAGS_IF 0x200
#define RFLAGS_DF 0x400
#define RFLAGS_NT 0x4000
#define RFLAGS_AC 0x40000

extern const struct syscall_def __syscalls_start[], __syscalls_end[];
void syscall_entry(void);

static const struct syscall_def *table[SYSCALL_MAX];
static unsigned defined;
static uint64_t reported_unknown[SYSCALL_MAX / 64]; /* logged once each */

void syscall_init(void)
{
	for (const struct syscall_def *d = __syscalls_start; d < __syscalls_end; d++) {
		if (d->nr >= SYSCALL_MAX || table[d->nr])
			panic("syscall_init: number %u (%s) is out of range or defined twice", d->nr,
			      d->name);
		table[d->nr] = d;
		defined++;
	}
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	/* SYSCALL loads CS 0x08 / SS 0x10; SYSRET loads CS 0x28|3 / SS 0x20|3. */
	wrmsr(MSR_STAR, ((uint64_t)SEL_USER_CODE32 << 48) | ((uint64_t)SEL_KERNEL_CODE << 32));
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	wrmsr(MSR_FMASK, RFLAGS_TF | RFLAGS_IF | RFLAGS_DF | RFLAGS_NT | RFLAGS_AC);
	log_info("syscall", "%u Linux x86_64 system calls", defined);
}

unsigned syscall_count(void)
{
	return defined;
}

/* Once: how long boot took, and what the kernel holds then (make bench). */
static void report_first_init_syscall(void)
{
	static bool reported;
	struct pmm_stats st;
	uint64_t frames;

	if (reported)
		return;
	reported = true;
	pmm_get_stats(&st);
	frames = st.allocated + st.metadata + boot_info()->kernel_pages;
	log_info("boot", "init's first system call %lu ns after kernel entry; kernel uses %lu KiB (%lu frames) after boot",
		 (unsigned long)time_since_boot_ns(), (unsigned long)frames * 4, (unsigned long)frames);
}

int syscall_dispatch(struct trap_frame *tf)
{
	uint64_t nr = tf->rax, rip_before = tf->rip;
	const struct syscall_def *d = nr < SYSCALL_MAX ? table[nr] : NULL;
	struct process *p = proc_current();
	bool inject = p->fail_nth > 0;

	thread_set_in_kernel(true); /* system time from here */
	irq_enable(); /* syscall_entry left them off for the line above */
	if (p->pid == 1)
		report_first_init_syscall();
	if (inject) /* fault injection for this one call of this process (/dev/failframes) */
		p->fail_nth = FAIL_NTH_ARMED | (p->fail_nth - 1);
	tf->error = nr; /* for a restart after a signal (signal.h: the restart protocol) */
	if (!d) {
		if (nr < SYSCALL_MAX && !(reported_unknown[nr / 64] & (1ull << (nr % 64)))) {
			reported_unknown[nr / 64] |= 1ull << (nr % 64);
			log_warn("syscall", "pid %u (%s): system call %lu (%s) is not implemented (-ENOSYS)",
				 proc_current()->pid, proc_current()->name, (unsigned long)nr,
				 syscall_names[nr] ? syscall_names[nr] : "unknown");
		}
		tf->rax = (uint64_t)-ENOSYS;
	} else {
		tf->rax = (uint64_t)d->fn(tf->rdi, tf->rsi, tf->rdx, tf->r10, tf->r8, tf->r9, tf);
	}
	if (inject)
		p->fail_nth = 0;
	trap_user_return(tf); /* kills, signals */
	irq_disable(); /* syscall_entry returns with them off */
	thread_set_in_kernel(false);
	/* SYSRET needs a canonical user rip, and restores rcx/r11 from it;
	 * rt_sigreturn (tf->error = SIGNAL_NO_RESTART) restores them all. */
	return tf->rip != rip_before || tf->rip >= 0x00007ffffffff000ull || tf->error != nr;
}
