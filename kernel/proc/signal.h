/* Signals: numbers, dispositions, pending sets, delivery to handlers and default actions. */
#ifndef PROC_SIGNAL_H
#define PROC_SIGNAL_H

#include <stdbool.h>
#include <stdint.h>

struct process;
struct trap_frame;

#define SIGHUP    1
#define SIGINT    2
#define SIGQUIT   3
#define SIGILL    4
#define SIGTRAP   5
#define SIGABRT   6
#define SIGBUS    7
#define SIGFPE    8
#define SIGKILL   9
#define SIGUSR1   10
#define SIGSEGV   11
#define SIGUSR2   12
#define SIGPIPE   13
#define SIGALRM   14
#define SIGTERM   15
#define SIGSTKFLT 16
#define SIGCHLD   17
#define SIGCONT   18
#define SIGSTOP   19
#define SIGTSTP   20
#define SIGTTIN   21
#define SIGTTOU   22
#define SIGURG    23
#define SIGXCPU   24
#define SIGXFSZ   25
#define SIGVTALRM 26
#define SIGPROF   27
#define SIGWINCH  28
#define SIGIO     29
#define SIGPWR    30
#define SIGSYS    31
#define SIGRTMIN  32
#define NSIG      65 /* signals are 1..64 */

/* The bit of sig in a 64-bit signal set (sigset_t on x86_64). */
#define SIG_BIT(sig) (1ull << ((sig) - 1))

/* struct sigaction as the rt_sigaction system call passes it. */
struct k_sigaction {
	uint64_t handler;  /* SIG_DFL 0, SIG_IGN 1, or a user function */
	uint64_t flags;    /* SA_* */
	uint64_t restorer; /* with SA_RESTORER: where the handler returns (calls rt_sigreturn) */
	uint64_t mask;     /* blocked while the handler runs */
};

#define SIG_DFL 0
#define SIG_IGN 1

#define SA_NOCLDSTOP 0x00000001u
#define SA_NOCLDWAIT 0x00000002u
#define SA_SIGINFO   0x00000004u
#define SA_RESTORER  0x04000000u
#define SA_ONSTACK   0x08000000u
#define SA_RESTART   0x10000000u
#define SA_NODEFER   0x40000000u
#define SA_RESETHAND 0x80000000u

/* si_code values (Linux's). */
#define SI_USER       0
#define SI_KERNEL     0x80
#define SI_TKILL      (-6)
#define CLD_EXITED    1
#define CLD_KILLED    2
#define CLD_DUMPED    3
#define CLD_STOPPED   5
#define CLD_CONTINUED 6
#define SEGV_MAPERR   1
#define SEGV_ACCERR   2
#define ILL_ILLOPN    2
#define FPE_INTDIV    1
#define FPE_FLTINV    7
#define BUS_ADRALN    1
#define TRAP_BRKPT    1

/* What a pending signal carries: the parts of siginfo this kernel fills. */
struct signal_info {
	int32_t code;    /* SI_USER, SI_KERNEL, CLD_*, SEGV_*... */
	int32_t pid;     /* sender, or the child for SIGCHLD */
	uint32_t uid;    /* its real uid */
	int32_t status;  /* SIGCHLD: exit code or signal number */
	uint64_t addr;   /* faults: the address */
};

/*
 * The system-call restart protocol between syscall_dispatch and
 * signal_deliver: a system-call frame has tf->vector ==
 * SIGNAL_SYSCALL_VECTOR (syscall.asm) and, while the call runs and on its
 * way out, tf->error holds the original rax (the number). When the call
 * returned -EINTR because a signal came, signal_deliver restarts it (rip
 * back over the 2-byte `syscall`, rax = the number) if the handler has
 * SA_RESTART, or if no handler ran (a stop and continue). A handler that
 * rewrote the whole frame (rt_sigreturn) sets tf->error to
 * SIGNAL_NO_RESTART: nothing is restarted and syscall_dispatch returns
 * through iretq (tf->error != the number).
 */
#define SIGNAL_SYSCALL_VECTOR 0x100
#define SIGNAL_NO_RESTART     UINT64_MAX

const char *signal_name(int sig);

/* fork: the child inherits dispositions, mask and alternate stack;
 * nothing is pending in it. */
void signal_fork(struct process *child, struct process *parent);

/* execve: caught signals go back to their default, the alternate stack
 * is dropped; ignored signals, the mask, pending signals and alarms stay. */
void signal_exec(struct process *p);

/*
 * kill(): sends sig to p from the calling process (si_code SI_USER, its
 * pid and uid; SI_KERNEL from a kernel thread). A SIGCHLD sent by a
 * process that is exiting (proc_exit) carries CLD_EXITED/CLD_KILLED and
 * its wait status instead. Never sleeps; callable under proc_lock.
 */
void signal_send(struct process *p, int sig);

/* The same with an explicit siginfo. */
void signal_send_info(struct process *p, int sig, const struct signal_info *info);

/*
 * Is something pending that must interrupt a sleep: a kill, or a pending
 * signal that is not blocked? The rule for every interruptible sleep:
 * its wait condition includes signal_pending(proc_current()), and it
 * returns -EINTR when that is why it woke. signal_send wakes the target
 * thread (sched_wake), so the condition is re-checked.
 */
bool signal_pending(struct process *p);

/* A synchronous fault of the current process in user mode (tf is the user
 * frame): a handler that is installed and not blocked runs at once
 * (siginfo: si_addr = addr, si_code from tf); otherwise the process dies
 * of sig. */
void signal_fault(struct trap_frame *tf, int sig, uint64_t addr);

/*
 * Before every return to user mode (tf is the frame about to be restored):
 * kills, then every pending unblocked signal: ignored, default action
 * (terminate, stop until SIGCONT, continue) or a handler, for which it
 * builds the Linux rt_sigframe on the user (or alternate) stack and points
 * tf at the handler. Also restarts an interrupted system call (see the
 * protocol above). Returns true if tf was changed to run a handler.
 */
bool signal_deliver(struct trap_frame *tf);

/*
 * For wait4/waitid (proc_wait, under proc_lock): if child c stopped
 * (reported with WUNTRACED, 2) or continued (WCONTINUED, 8) since its
 * parent last asked, sets *status to the wait status (sig << 8 | 0x7f for
 * a stop, 0xffff for a continue), consumes the report unless WNOWAIT
 * (0x01000000), and returns true. The parent's child_exit queue is woken
 * at every stop and continue.
 */
bool signal_child_report(struct process *c, int options, int *status);

/*
 * An interruptible sleep until the monotonic deadline: 0 once it passed,
 * -EINTR if a signal came first (for nanosleep and friends, which today
 * sleep with timer_sleep_until and so are not woken by a signal).
 */
long signal_sleep_until(uint64_t deadline_ns);

/* ---- for the system calls (sys_signal.c) ---------------------------------------- */

/* stack_t (sigaltstack, uc_stack). */
struct signal_stack {
	uint64_t sp;
	int32_t flags; /* SS_* */
	int32_t pad;
	uint64_t size;
};

#define SS_ONSTACK    1
#define SS_DISABLE    2
#define SS_AUTODISARM (1u << 31)
#define MINSIGSTKSZ   2048

/* Sets p's disposition of sig (1..64, not SIGKILL/SIGSTOP); setting a
 * signal to be ignored discards it if pending. */
void signal_set_action(struct process *p, int sig, const struct k_sigaction *act);
struct k_sigaction signal_get_action(struct process *p, int sig);

/* Sets p's blocked mask (SIGKILL and SIGSTOP are never blocked). */
void signal_set_mask(struct process *p, uint64_t mask);

/* rt_sigsuspend: blocks `mask` until the next delivery, which puts the
 * current mask back (after the handler, through its frame). */
void signal_suspend_mask(struct process *p, uint64_t mask);

/* Pending signals that are blocked (rt_sigpending). */
uint64_t signal_blocked_pending(struct process *p);

/* Takes the next pending signal of `set` (blocked or not) off p: its
 * number and *info, or 0 if none is pending. */
int signal_dequeue(struct process *p, uint64_t set, struct signal_info *info);

/* Sleeps until a signal of `set` is pending (blocked or not), an unblocked
 * one is (signal_pending), or the monotonic deadline (UINT64_MAX: none)
 * passed. 0, or -ETIMEDOUT. */
int signal_wait(struct process *p, uint64_t set, uint64_t deadline_ns);

/* sigaltstack for p, whose user stack pointer is user_sp: fills *old_ss
 * (if not NULL), then sets *new_ss (if not NULL). 0, -EPERM (running on
 * it), -EINVAL (flags), -ENOMEM (smaller than MINSIGSTKSZ). */
int signal_altstack(struct process *p, uint64_t user_sp, const struct signal_stack *new_ss,
		    struct signal_stack *old_ss);

/* Writes the 128-byte siginfo_t of sig to user memory: 0 or -EFAULT. */
int signal_copy_siginfo(void *user_dst, int sig, const struct signal_info *info);

/* rt_sigreturn: restores registers, FPU state, mask and alternate stack
 * from the rt_sigframe at tf->rsp - 8, and returns the restored rax. A
 * bad frame (or a non-canonical rip/rsp) raises SIGSEGV. */
long signal_sigreturn(struct trap_frame *tf);

#endif
