/* Signals: pending sets, default actions, stops, and the Linux x86_64 signal frame. */
#include <stddef.h>

#include "arch/x86_64/fpu.h"
#include "arch/x86_64/irq.h"
#include "arch/x86_64/time.h"
#include "arch/x86_64/trap.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "log.h"
#include "mm/aspace.h"
#include "mm/kmalloc.h"
#include "proc/process.h"
#include "proc/signal.h"
#include "proc/uaccess.h"
#include "sched/sched.h"
#include "sched/thread.h"
#include "sched/wait.h"

#define USER_CS 0x2b
#define USER_SS 0x23

#define UNBLOCKABLE (SIG_BIT(SIGKILL) | SIG_BIT(SIGSTOP))
#define STOP_SET    (SIG_BIT(SIGSTOP) | SIG_BIT(SIGTSTP) | SIG_BIT(SIGTTIN) | SIG_BIT(SIGTTOU))
#define IGNORE_SET  (SIG_BIT(SIGCHLD) | SIG_BIT(SIGCONT) | SIG_BIT(SIGURG) | SIG_BIT(SIGWINCH))
/* Signals a fault raises: delivered before any other pending one. */
#define SYNC_SET    (SIG_BIT(SIGSEGV) | SIG_BIT(SIGBUS) | SIG_BIT(SIGILL) | SIG_BIT(SIGFPE) | \
		     SIG_BIT(SIGTRAP) | SIG_BIT(SIGSYS))

/* rflags bits a signal handler's context may change (Linux's FIX_EFLAGS):
 * AC OF DF TF SF ZF AF PF CF RF. IF, IOPL, VM... stay the kernel's. */
#define RFLAGS_USER_BITS 0x50dd5ull
#define RFLAGS_TF        0x100ull
#define RFLAGS_DF        0x400ull
#define RFLAGS_RF        0x10000ull

/*
 * signal_lock protects, in every process: sig_pending, sig_info, sigmask
 * and actions (their writes; the owner reads its own without it),
 * sig_saved_mask/sig_restore_mask, the stop state (sig_stopped,
 * sig_continued, sig_stop_signal, sig_child_report). Lock order:
 * proc_lock, then signal_lock, then wait-queue and run-queue locks.
 * signal_pending() reads lock-free (two 64-bit loads).
 */
static struct spinlock signal_lock = SPINLOCK_INIT("signal");

/* Stopped processes and rt_sigsuspend/pause/rt_sigtimedwait sleep here;
 * signal_send wakes the target thread directly (sched_wake). */
static struct wait_queue signal_wq = WAIT_QUEUE_INIT(signal_wq, "signal");

const char *signal_name(int sig)
{
	static const char *const names[] = {
		[SIGHUP] = "SIGHUP", [SIGINT] = "SIGINT", [SIGQUIT] = "SIGQUIT",
		[SIGILL] = "SIGILL", [SIGTRAP] = "SIGTRAP", [SIGABRT] = "SIGABRT",
		[SIGBUS] = "SIGBUS", [SIGFPE] = "SIGFPE", [SIGKILL] = "SIGKILL",
		[SIGUSR1] = "SIGUSR1", [SIGSEGV] = "SIGSEGV", [SIGUSR2] = "SIGUSR2",
		[SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM", [SIGTERM] = "SIGTERM",
		[SIGSTKFLT] = "SIGSTKFLT", [SIGCHLD] = "SIGCHLD", [SIGCONT] = "SIGCONT",
		[SIGSTOP] = "SIGSTOP", [SIGTSTP] = "SIGTSTP", [SIGTTIN] = "SIGTTIN",
		[SIGTTOU] = "SIGTTOU", [SIGURG] = "SIGURG", [SIGXCPU] = "SIGXCPU",
		[SIGXFSZ] = "SIGXFSZ", [SIGVTALRM] = "SIGVTALRM", [SIGPROF] = "SIGPROF",
		[SIGWINCH] = "SIGWINCH", [SIGIO] = "SIGIO", [SIGPWR] = "SIGPWR", [SIGSYS] = "SIGSYS",
	};

	return sig > 0 && sig < (int)(sizeof(names) / sizeof(names[0])) && names[sig] ? names[sig]
										   : "signal";
}

static struct k_sigaction *actions_of(struct process *p)
{
	if (!p->actions)
		p->actions = kzalloc(NSIG * sizeof(struct k_sigaction));
	return p->actions;
}

/* p's disposition of sig; signal_lock held (or p is the caller). */
static struct k_sigaction action_of(struct process *p, int sig)
{
	return p->actions ? p->actions[sig] : (struct k_sigaction){ 0 };
}

static bool is_user_handler(uint64_t handler)
{
	return handler != SIG_DFL && handler != SIG_IGN;
}

/* Would sig be thrown away on arrival? Blocked signals stay pending even
 * when ignored (sigwait depends on it). signal_lock held. */
static bool discarded_on_arrival(struct process *p, int sig)
{
	uint64_t handler = action_of(p, sig).handler;

	if (p->sigmask & SIG_BIT(sig))
		return false;
	return handler == SIG_IGN || (handler == SIG_DFL && (IGNORE_SET & SIG_BIT(sig)));
}

void signal_fork(struct process *child, struct process *parent)
{
	if (parent->actions)
		memcpy(actions_of(child), parent->actions, NSIG * sizeof(struct k_sigaction));
	child->sigmask = parent->sigmask;
	child->sig_altstack_sp = parent->sig_altstack_sp;
	child->sig_altstack_size = parent->sig_altstack_size;
	child->sig_altstack_flags = parent->sig_altstack_flags;
}

void signal_exec(struct process *p)
{
	spin_lock(&signal_lock);
	/* Handlers do not survive exec; ignored signals stay ignored. */
	for (int sig = 1; p->actions && sig < NSIG; sig++)
		if (p->actions[sig].handler != SIG_IGN)
			p->actions[sig] = (struct k_sigaction){ 0 };
	spin_unlock(&signal_lock);
	p->sig_altstack_sp = p->sig_altstack_size = 0;
	p->sig_altstack_flags = 0;
}

/* ---- sending ----------------------------------------------------------------- */

static void wake(struct process *p)
{
	if (p->thread)
		sched_wake(p->thread); /* an interruptible sleep re-checks signal_pending */
}

void signal_send_info(struct process *p, int sig, const struct signal_info *info)
{
	if (sig <= 0 || sig >= NSIG)
		return;
	spin_lock(&signal_lock);
	/* init gets only the signals it asked for (Linux: SIGNAL_UNKILLABLE). */
	if (p->pid == 1 && action_of(p, sig).handler == SIG_DFL) {
		spin_unlock(&signal_lock);
		return;
	}
	if (sig == SIGKILL) {
		spin_unlock(&signal_lock);
		proc_kill(p, SIGKILL);
		wake(p);
		return;
	}
	if (sig == SIGCONT) {
		p->sig_pending &= ~STOP_SET;
		if (p->sig_stopped) {
			p->sig_stopped = false;
			p->sig_continued = true; /* it tells its parent once it runs */
			p->sig_child_report = CLD_CONTINUED;
		}
	} else if (STOP_SET & SIG_BIT(sig)) {
		p->sig_pending &= ~SIG_BIT(SIGCONT);
	}
	if (!discarded_on_arrival(p, sig)) {
		if (!(p->sig_pending & SIG_BIT(sig)))
			p->sig_info[sig] = *info; /* one instance per signal: the first wins */
		__atomic_or_fetch(&p->sig_pending, SIG_BIT(sig), __ATOMIC_RELEASE);
	}
	spin_unlock(&signal_lock);
	wake(p);
}

void signal_send(struct process *p, int sig)
{
	struct process *self = proc_current();
	struct signal_info info = { .code = SI_KERNEL };

	if (self) {
		info = (struct signal_info){ .code = SI_USER, .pid = (int32_t)self->pid,
					     .uid = self->cred.uid };
		if (sig == SIGCHLD && self->state == PROC_ZOMBIE) { /* proc_exit's notice */
			int st = self->exit_status;

			info.code = (st & 0x7f) ? CLD_KILLED : CLD_EXITED;
			info.status = (st & 0x7f) ? (st & 0x7f) : (st >> 8) & 0xff;
		}
	}
	signal_send_info(p, sig, &info);
}

bool signal_pending(struct process *p)
{
	if (!p)
		return false;
	return __atomic_load_n(&p->killed, __ATOMIC_ACQUIRE) ||
	       (__atomic_load_n(&p->sig_pending, __ATOMIC_ACQUIRE) &
		~__atomic_load_n(&p->sigmask, __ATOMIC_RELAXED));
}

/* Takes the next signal of `allowed` off p's pending set: a fault's
 * first, then the lowest number. 0 if none. signal_lock held. */
static int dequeue_locked(struct process *p, uint64_t allowed, struct signal_info *info)
{
	uint64_t ready = p->sig_pending & allowed;
	int sig;

	if (!ready)
		return 0;
	if (ready & SYNC_SET)
		ready &= SYNC_SET;
	sig = __builtin_ctzll(ready) + 1;
	__atomic_and_fetch(&p->sig_pending, ~SIG_BIT(sig), __ATOMIC_RELEASE);
	*info = p->sig_info[sig];
	return sig;
}

int signal_dequeue(struct process *p, uint64_t set, struct signal_info *info)
{
	int sig;

	spin_lock(&signal_lock);
	sig = dequeue_locked(p, set, info);
	spin_unlock(&signal_lock);
	return sig;
}

/* ---- dispositions and masks (sys_signal.c) --------------------------------------- */

void signal_set_action(struct process *p, int sig, const struct k_sigaction *act)
{
	struct k_sigaction *actions = actions_of(p); /* may allocate: before the lock */

	spin_lock(&signal_lock);
	actions[sig] = *act;
	actions[sig].mask &= ~UNBLOCKABLE;
	/* POSIX: setting a pending signal to be ignored discards it. */
	if (act->handler == SIG_IGN || (act->handler == SIG_DFL && (IGNORE_SET & SIG_BIT(sig))))
		__atomic_and_fetch(&p->sig_pending, ~SIG_BIT(sig), __ATOMIC_RELEASE);
	spin_unlock(&signal_lock);
}

struct k_sigaction signal_get_action(struct process *p, int sig)
{
	struct k_sigaction act;

	spin_lock(&signal_lock);
	act = action_of(p, sig);
	spin_unlock(&signal_lock);
	return act;
}

void signal_set_mask(struct process *p, uint64_t mask)
{
	spin_lock(&signal_lock);
	__atomic_store_n(&p->sigmask, mask & ~UNBLOCKABLE, __ATOMIC_RELEASE);
	spin_unlock(&signal_lock);
}

void signal_suspend_mask(struct process *p, uint64_t mask)
{
	spin_lock(&signal_lock);
	p->sig_saved_mask = p->sigmask;
	p->sig_restore_mask = true;
	__atomic_store_n(&p->sigmask, mask & ~UNBLOCKABLE, __ATOMIC_RELEASE);
	spin_unlock(&signal_lock);
}

uint64_t signal_blocked_pending(struct process *p)
{
	uint64_t set;

	spin_lock(&signal_lock);
	set = p->sig_pending & p->sigmask;
	spin_unlock(&signal_lock);
	return set;
}

struct signal_wait {
	struct process *p;
	uint64_t set;
};

static bool signal_wait_over(void *arg)
{
	struct signal_wait *w = arg;

	return (__atomic_load_n(&w->p->sig_pending, __ATOMIC_ACQUIRE) & w->set) ||
	       signal_pending(w->p);
}

int signal_wait(struct process *p, uint64_t set, uint64_t deadline_ns)
{
	struct signal_wait w = { p, set };

	if (deadline_ns == UINT64_MAX) {
		wait_until(&signal_wq, signal_wait_over, &w);
		return 0;
	}
	return wait_until_deadline(&signal_wq, signal_wait_over, &w, deadline_ns);
}

long signal_sleep_until(uint64_t deadline_ns)
{
	struct process *p = proc_current();

	while (time_since_boot_ns() < deadline_ns) {
		if (signal_pending(p))
			return -EINTR;
		signal_wait(p, 0, deadline_ns);
	}
	return 0;
}

/* ---- the alternate stack ---------------------------------------------------------- */

static bool on_altstack(struct process *p, uint64_t sp)
{
	return p->sig_altstack_size && sp > p->sig_altstack_sp &&
	       sp - p->sig_altstack_sp <= p->sig_altstack_size;
}

static void altstack_get(struct process *p, uint64_t user_sp, struct signal_stack *ss)
{
	ss->sp = p->sig_altstack_sp;
	ss->size = p->sig_altstack_size;
	ss->pad = 0;
	ss->flags = !p->sig_altstack_size    ? SS_DISABLE
		    : on_altstack(p, user_sp) ? SS_ONSTACK
					      : (int32_t)p->sig_altstack_flags;
}

int signal_altstack(struct process *p, uint64_t user_sp, const struct signal_stack *new_ss,
		    struct signal_stack *old_ss)
{
	uint32_t mode;

	if (old_ss)
		altstack_get(p, user_sp, old_ss);
	if (!new_ss)
		return 0;
	if (on_altstack(p, user_sp))
		return -EPERM;
	mode = (uint32_t)new_ss->flags & ~SS_AUTODISARM;
	if (mode != 0 && mode != SS_ONSTACK && mode != SS_DISABLE)
		return -EINVAL;
	if (mode == SS_DISABLE) {
		p->sig_altstack_sp = p->sig_altstack_size = 0;
		p->sig_altstack_flags = 0;
		return 0;
	}
	if (new_ss->size < MINSIGSTKSZ)
		return -ENOMEM;
	p->sig_altstack_sp = new_ss->sp;
	p->sig_altstack_size = new_ss->size;
	p->sig_altstack_flags = (uint32_t)new_ss->flags & SS_AUTODISARM;
	return 0;
}

/* ---- the signal frame ---------------------------------------------------------------- */

/* Linux's struct sigcontext (uapi/asm/sigcontext.h), the x86_64 layout. */
struct sigcontext_64 {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip;
	uint64_t eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate; /* user address of the 512-byte FXSAVE image, or 0 */
	uint64_t reserved1[8];
};

/* Linux's struct ucontext (uapi/asm/ucontext.h): uc_sigmask is the
 * kernel's 8-byte sigset, not libc's 128-byte one. */
struct ucontext_64 {
	uint64_t flags;
	uint64_t link;
	struct signal_stack stack;
	struct sigcontext_64 mcontext;
	uint64_t sigmask;
};

/* siginfo_t: 128 bytes; the union starts at 16. */
struct siginfo_64 {
	int32_t signo, errno_, code, pad;
	union {
		struct {
			int32_t pid;
			uint32_t uid;
			int32_t status;
			int32_t pad;
			int64_t utime, stime;
		} kill; /* kill, SIGCHLD (status, times) */
		uint64_t addr; /* faults */
		uint8_t bytes[112];
	};
};

/* What the handler finds at rsp (arch/x86/include/asm/sigframe.h). The
 * FXSAVE image lies below it, 64-byte aligned. */
struct rt_sigframe {
	uint64_t pretcode; /* sa_restorer: the handler's return address */
	struct ucontext_64 uc;
	struct siginfo_64 info;
};

_Static_assert(sizeof(struct sigcontext_64) == 256, "sigcontext layout");
_Static_assert(offsetof(struct sigcontext_64, cs) == 144, "sigcontext layout");
_Static_assert(offsetof(struct sigcontext_64, fpstate) == 184, "sigcontext layout");
_Static_assert(sizeof(struct signal_stack) == 24, "stack_t layout");
_Static_assert(sizeof(struct ucontext_64) == 304, "ucontext layout");
_Static_assert(offsetof(struct ucontext_64, mcontext) == 40, "ucontext layout");
_Static_assert(sizeof(struct siginfo_64) == 128, "siginfo layout");
_Static_assert(offsetof(struct rt_sigframe, info) == 312, "rt_sigframe layout");

#define UC_SIGCONTEXT_SS     0x2
#define UC_STRICT_RESTORE_SS 0x4
#define FXSAVE_SIZE          512
#define FXSAVE_MXCSR         24
#define FXSAVE_MXCSR_MASK    28
#define FXSAVE_SW_RESERVED   464 /* bytes 464..511: software's, zeroed */
#define RED_ZONE             128

/* Where a fault happened, for the frame's trapno/err/cr2. */
struct fault_regs {
	uint64_t trapno, err, cr2;
};

static bool is_fault_signal(int sig)
{
	return SYNC_SET & SIG_BIT(sig);
}

int signal_copy_siginfo(void *user_dst, int sig, const struct signal_info *info)
{
	struct siginfo_64 si;

	memset(&si, 0, sizeof(si));
	si.signo = sig;
	si.code = info->code;
	if (is_fault_signal(sig) && info->code > 0) {
		si.addr = info->addr;
	} else {
		si.kill.pid = info->pid;
		si.kill.uid = info->uid;
		si.kill.status = info->status;
	}
	return copy_to_user(user_dst, &si, sizeof(si));
}

/* The CPU's MXCSR_MASK (FXSAVE bytes 28..31; 0 means the default 0xffbf):
 * the MXCSR bits FXRSTOR accepts. */
static uint32_t mxcsr_mask(void)
{
	static uint32_t mask;

	if (!mask) {
		struct fpu_state s;
		uint32_t m;

		fpu_save(&s);
		memcpy(&m, s.area + FXSAVE_MXCSR_MASK, sizeof(m));
		mask = m ? m : 0xffbf;
	}
	return mask;
}

static bool canonical(uint64_t a)
{
	return a < USER_SPACE_END || a >= 0xffff800000000000ull;
}

/* The handler starts with a clean x87/SSE state, as on Linux. */
static void fpu_reset_for_handler(void)
{
	struct fpu_state clean;

	fpu_state_init(&clean);
	fpu_restore(&clean);
}

/*
 * Writes the rt_sigframe for sig (with the live FPU state) on p's user
 * stack, or its alternate stack with SA_ONSTACK, and points tf at the
 * handler; then blocks act->mask and sig. Returns 0, or -EFAULT if the
 * frame could not be written (tf and the mask are then unchanged).
 * Interrupts on.
 */
static int setup_frame(struct process *p, struct trap_frame *tf, int sig,
		       const struct signal_info *info, const struct k_sigaction *act,
		       const struct fault_regs *fault)
{
	struct rt_sigframe frame;
	struct fpu_state fpu;
	uint64_t sp = tf->rsp, fp_addr, frame_addr, blocked;
	bool was_on = on_altstack(p, sp), alt = was_on;

	if (!(act->flags & SA_RESTORER))
		return -EFAULT; /* x86_64 has no default restorer (Linux refuses too) */
	if ((act->flags & SA_ONSTACK) && p->sig_altstack_size && !was_on) {
		sp = p->sig_altstack_sp + p->sig_altstack_size;
		alt = true;
	} else {
		sp -= RED_ZONE;
	}
	fp_addr = (sp - FXSAVE_SIZE) & ~63ull;
	frame_addr = ((fp_addr - sizeof(frame)) & ~15ull) - 8; /* rsp + 8: 16-byte aligned */
	if (alt && !on_altstack(p, frame_addr))
		return -EFAULT; /* the alternate stack overflowed */
	if (fp_addr > sp || frame_addr > fp_addr)
		return -EFAULT; /* wrapped below address 0 */

	spin_lock(&signal_lock);
	blocked = p->sig_restore_mask ? p->sig_saved_mask : p->sigmask;
	spin_unlock(&signal_lock);

	memset(&frame, 0, sizeof(frame));
	frame.pretcode = act->restorer;
	frame.uc.flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
	altstack_get(p, tf->rsp, &frame.uc.stack);
	frame.uc.mcontext = (struct sigcontext_64){
		.r8 = tf->r8, .r9 = tf->r9, .r10 = tf->r10, .r11 = tf->r11,
		.r12 = tf->r12, .r13 = tf->r13, .r14 = tf->r14, .r15 = tf->r15,
		.rdi = tf->rdi, .rsi = tf->rsi, .rbp = tf->rbp, .rbx = tf->rbx,
		.rdx = tf->rdx, .rax = tf->rax, .rcx = tf->rcx, .rsp = tf->rsp,
		.rip = tf->rip, .eflags = tf->rflags,
		.cs = USER_CS, .ss = USER_SS,
		.err = fault ? fault->err : 0, .trapno = fault ? fault->trapno : 0,
		.oldmask = blocked, .cr2 = fault ? fault->cr2 : 0,
		.fpstate = fp_addr,
	};
	frame.uc.sigmask = blocked;

	fpu_save(&fpu);
	memset(fpu.area + FXSAVE_SW_RESERVED, 0, FXSAVE_SIZE - FXSAVE_SW_RESERVED);
	if (copy_to_user((void *)fp_addr, &fpu, FXSAVE_SIZE) ||
	    copy_to_user((void *)frame_addr, &frame, sizeof(frame)) ||
	    signal_copy_siginfo((void *)(frame_addr + offsetof(struct rt_sigframe, info)), sig, info))
		return -EFAULT;

	/* The frame is written: nothing can fail from here on. */
	if (alt && (p->sig_altstack_flags & SS_AUTODISARM))
		p->sig_altstack_sp = p->sig_altstack_size = 0;
	fpu_reset_for_handler();
	tf->rip = act->handler;
	tf->rsp = frame_addr;
	tf->rdi = (uint64_t)sig;
	tf->rsi = frame_addr + offsetof(struct rt_sigframe, info);
	tf->rdx = frame_addr + offsetof(struct rt_sigframe, uc);
	tf->rax = 0;
	tf->rflags &= ~(RFLAGS_DF | RFLAGS_RF | RFLAGS_TF);
	tf->cs = USER_CS;
	tf->ss = USER_SS;

	spin_lock(&signal_lock);
	blocked = p->sigmask | act->mask;
	if (!(act->flags & SA_NODEFER))
		blocked |= SIG_BIT(sig);
	__atomic_store_n(&p->sigmask, blocked & ~UNBLOCKABLE, __ATOMIC_RELEASE);
	p->sig_restore_mask = false; /* sigreturn puts the saved mask back */
	if ((act->flags & SA_RESETHAND) && p->actions && p->actions[sig].handler == act->handler)
		p->actions[sig] = (struct k_sigaction){ 0 };
	spin_unlock(&signal_lock);
	return 0;
}

/* Does a region of p's address space hold addr? (SEGV_ACCERR, not
 * SEGV_MAPERR.) Interrupts on: takes the address-space mutex. */
static bool address_mapped(struct process *p, uint64_t addr)
{
	bool mapped;

	if (!p->as || addr >= USER_SPACE_END)
		return false;
	mutex_lock(&p->as->lock);
	mapped = vmr_find(&p->as->map, addr) != NULL;
	mutex_unlock(&p->as->lock);
	return mapped;
}

/* si_code and si_addr of a fault, from the exception frame. Interrupts on. */
static struct signal_info fault_info(const struct trap_frame *tf, uint64_t addr)
{
	struct signal_info info = { .code = SI_KERNEL };

	switch (tf->vector) {
	case 14:
		info.code = address_mapped(proc_current(), addr) ? SEGV_ACCERR : SEGV_MAPERR;
		info.addr = addr;
		break;
	case 0:
		info.code = FPE_INTDIV;
		info.addr = tf->rip;
		break;
	case 16:
	case 19:
		info.code = FPE_FLTINV;
		info.addr = tf->rip;
		break;
	case 6:
		info.code = ILL_ILLOPN;
		info.addr = tf->rip;
		break;
	case 1:
		info.code = TRAP_BRKPT;
		info.addr = tf->rip;
		break;
	case 17:
		info.code = BUS_ADRALN;
		break;
	default: /* #GP, int3...: Linux says SI_KERNEL, address 0 */
		break;
	}
	return info;
}

static void log_no_frame(struct process *p, int sig, const struct trap_frame *tf)
{
	log_info("signal", "pid %u (%s): no room for a %s frame below rsp %#lx: SIGSEGV", p->pid,
		 p->name, signal_name(sig), (unsigned long)tf->rsp);
}

/* Delivers a fault signal with `info` at once, or ends the process.
 * Interrupts on (the frame write may fault pages in). */
static void fault_deliver(struct trap_frame *tf, int sig, const struct signal_info *info,
			  const struct fault_regs *regs)
{
	struct process *p = proc_current();
	struct k_sigaction act;
	bool blocked;

	spin_lock(&signal_lock);
	act = action_of(p, sig);
	blocked = p->sigmask & SIG_BIT(sig);
	spin_unlock(&signal_lock);
	if (is_user_handler(act.handler) && !blocked) {
		if (!setup_frame(p, tf, sig, info, &act, regs))
			return;
		log_no_frame(p, sig, tf);
		sig = SIGSEGV;
	}
	/* Blocked, ignored or default: a fault cannot be ignored. */
	proc_exit(sig);
}

void signal_fault(struct trap_frame *tf, int sig, uint64_t addr)
{
	struct fault_regs regs = { tf->vector, tf->error, tf->vector == 14 ? addr : 0 };
	struct signal_info info;
	uint64_t flags = irq_save();

	irq_enable(); /* user mode had them on; the region lookup may sleep */
	info = fault_info(tf, addr);
	fault_deliver(tf, sig, &info, &regs);
	irq_restore(flags);
}

/* ---- rt_sigreturn ---------------------------------------------------------------- */

long signal_sigreturn(struct trap_frame *tf)
{
	struct process *p = proc_current();
	uint64_t uc_addr = tf->rsp - 8 + offsetof(struct rt_sigframe, uc);
	struct signal_info bad = { .code = SI_KERNEL };
	struct ucontext_64 uc;
	struct sigcontext_64 *sc = &uc.mcontext;
	struct fpu_state fpu;
	uint32_t mxcsr;

	tf->error = SIGNAL_NO_RESTART; /* and return through iretq */
	if (copy_from_user(&uc, (const void *)uc_addr, sizeof(uc)))
		goto bad_frame;
	if (sc->fpstate) {
		if (copy_from_user(&fpu, (const void *)sc->fpstate, FXSAVE_SIZE))
			goto bad_frame;
		/* Reserved MXCSR bits would make FXRSTOR fault in the kernel. */
		memcpy(&mxcsr, fpu.area + FXSAVE_MXCSR, sizeof(mxcsr));
		mxcsr &= mxcsr_mask();
		memcpy(fpu.area + FXSAVE_MXCSR, &mxcsr, sizeof(mxcsr));
	} else {
		fpu_state_init(&fpu);
	}

	/* Validated: restore. */
	fpu_restore(&fpu);
	signal_set_mask(p, uc.sigmask);
	spin_lock(&signal_lock);
	p->sig_restore_mask = false;
	spin_unlock(&signal_lock);
	tf->r8 = sc->r8, tf->r9 = sc->r9, tf->r10 = sc->r10, tf->r11 = sc->r11;
	tf->r12 = sc->r12, tf->r13 = sc->r13, tf->r14 = sc->r14, tf->r15 = sc->r15;
	tf->rdi = sc->rdi, tf->rsi = sc->rsi, tf->rbp = sc->rbp, tf->rbx = sc->rbx;
	tf->rdx = sc->rdx, tf->rax = sc->rax, tf->rcx = sc->rcx, tf->rsp = sc->rsp;
	tf->rip = sc->rip;
	tf->rflags = (tf->rflags & ~RFLAGS_USER_BITS) | (sc->eflags & RFLAGS_USER_BITS);
	tf->cs = USER_CS;
	tf->ss = USER_SS;
	signal_altstack(p, tf->rsp, &uc.stack, NULL); /* errors ignored, as on Linux */
	if (!canonical(tf->rip) || !canonical(tf->rsp)) {
		/* iretq would fault in the kernel: raise the #GP the CPU would
		 * raise in user mode (Linux: SIGSEGV, SI_KERNEL). */
		fault_deliver(tf, SIGSEGV, &bad, NULL);
	}
	return (long)tf->rax;

bad_frame:
	fault_deliver(tf, SIGSEGV, &bad, NULL);
	return (long)tf->rax;
}

/* ---- stop and continue ------------------------------------------------------------- */

/* Tells p's parent about a stop or continue (SIGCHLD unless the parent
 * asked SA_NOCLDSTOP) and wakes a wait4 there. */
static void notify_stop(struct process *parent, void *ctx)
{
	const struct signal_info *info = ctx;

	if (!(signal_get_action(parent, SIGCHLD).flags & SA_NOCLDSTOP))
		signal_send_info(parent, SIGCHLD, info);
	wake_up_all(&parent->child_exit);
}

static void notify_parent_stop(struct process *p, int code, int status)
{
	struct signal_info info = { .code = code, .pid = (int32_t)p->pid, .uid = p->cred.uid,
				    .status = status };

	proc_with_parent(p, notify_stop, &info);
}

static bool stop_over(void *arg)
{
	struct process *p = arg;

	return !__atomic_load_n(&p->sig_stopped, __ATOMIC_ACQUIRE) ||
	       __atomic_load_n(&p->killed, __ATOMIC_ACQUIRE);
}

/* The default action of a stop signal: sleep until SIGCONT or SIGKILL. */
static void stop(struct process *p, int sig)
{
	spin_lock(&signal_lock);
	p->sig_stopped = true;
	p->sig_continued = false;
	p->sig_stop_signal = sig;
	p->sig_child_report = CLD_STOPPED;
	spin_unlock(&signal_lock);
	notify_parent_stop(p, CLD_STOPPED, sig);
	wait_until(&signal_wq, stop_over, p);
	proc_check_pending();
}

/* After a SIGCONT resumed p: the parent hears of it from p. */
static void report_continued(struct process *p)
{
	bool continued;

	spin_lock(&signal_lock);
	continued = p->sig_continued;
	p->sig_continued = false;
	spin_unlock(&signal_lock);
	if (continued)
		notify_parent_stop(p, CLD_CONTINUED, SIGCONT);
}

bool signal_child_report(struct process *c, int options, int *status)
{
	enum { WUNTRACED = 2, WCONTINUED = 8, WNOWAIT = 0x01000000 };
	bool found = true;

	spin_lock(&signal_lock);
	if (c->sig_child_report == CLD_STOPPED && (options & WUNTRACED))
		*status = (c->sig_stop_signal << 8) | 0x7f;
	else if (c->sig_child_report == CLD_CONTINUED && (options & WCONTINUED))
		*status = 0xffff;
	else
		found = false;
	if (found && !(options & WNOWAIT))
		c->sig_child_report = 0;
	spin_unlock(&signal_lock);
	return found;
}

/* ---- delivery --------------------------------------------------------------------- */

/*
 * May the interrupted system call nr be restarted? After a handler (with
 * SA_RESTART) the calls that wait for a signal or a timeout never are
 * (signal(7)); without a handler (a stop, then SIGCONT) only the ones
 * that report the interruption even then.
 */
static bool restartable(uint64_t nr, bool after_handler)
{
	static const uint16_t never[] = {
		128 /* rt_sigtimedwait */, 232 /* epoll_wait */, 281 /* epoll_pwait */,
		441 /* epoll_pwait2 */, 65 /* semop */, 220 /* semtimedop */, 208 /* io_getevents */,
	};
	static const uint16_t not_after_handler[] = {
		34 /* pause */, 130 /* rt_sigsuspend */, 35 /* nanosleep */, 230 /* clock_nanosleep */,
		7 /* poll */, 271 /* ppoll */, 23 /* select */, 270 /* pselect6 */,
		68 /* msgsnd */, 69 /* msgrcv */,
	};

	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
		if (nr == never[i])
			return false;
	for (size_t i = 0; after_handler && i < sizeof(not_after_handler) / sizeof(not_after_handler[0]); i++)
		if (nr == not_after_handler[i])
			return false;
	return true;
}

/* fork and clone restart even after a handler without SA_RESTART (Linux's
 * ERESTARTNOINTR): they only fail with EINTR to let a signal in first. */
static bool restarts_always(uint64_t nr)
{
	return nr == 56 /* clone */ || nr == 57 /* fork */ || nr == 58 /* vfork */ ||
	       nr == 435 /* clone3 */;
}

static void restart_syscall(struct trap_frame *tf)
{
	tf->rax = tf->error; /* the number */
	tf->rip -= 2;        /* back over `syscall` */
	tf->error = SIGNAL_NO_RESTART;
}

/* Anything for signal_deliver to do? (lock-free; it re-checks.) */
static bool delivery_due(struct process *p)
{
	return signal_pending(p) || __atomic_load_n(&p->sig_continued, __ATOMIC_RELAXED) ||
	       p->sig_restore_mask;
}

/* The default action of sig for p (not SIGKILL: proc_check_pending). */
static void default_action(struct process *p, int sig)
{
	if (IGNORE_SET & SIG_BIT(sig))
		return;
	if (STOP_SET & SIG_BIT(sig)) {
		stop(p, sig);
		return;
	}
	proc_exit(sig); /* terminate; "core" signals too: no core dumps (RLIMIT_CORE 0) */
}

bool signal_deliver(struct trap_frame *tf)
{
	struct process *p = proc_current();
	bool interrupted, consumed = false, handled = false;
	uint64_t flags;

	if (!p)
		return false;
	proc_check_pending(); /* SIGKILL, the OOM killer */
	if (!delivery_due(p))
		return false;
	/* A system call that gave up with -EINTR because of a signal. */
	interrupted = tf->vector == SIGNAL_SYSCALL_VECTOR && tf->error != SIGNAL_NO_RESTART &&
		      (int64_t)tf->rax == -EINTR;
	flags = irq_save();
	irq_enable(); /* frames fault pages in; stops sleep */
	for (;;) {
		struct signal_info info;
		struct k_sigaction act;
		int sig;

		proc_check_pending();
		report_continued(p);
		spin_lock(&signal_lock);
		sig = dequeue_locked(p, ~p->sigmask, &info);
		act = sig ? action_of(p, sig) : (struct k_sigaction){ 0 };
		spin_unlock(&signal_lock);
		if (!sig)
			break;
		consumed = true;
		if (act.handler == SIG_IGN)
			continue;
		if (act.handler == SIG_DFL) {
			default_action(p, sig);
			continue;
		}
		if (interrupted) {
			if (((act.flags & SA_RESTART) && restartable(tf->error, true)) ||
			    restarts_always(tf->error))
				restart_syscall(tf);
			interrupted = false;
		}
		if (setup_frame(p, tf, sig, &info, &act, NULL)) {
			struct signal_info bad = { .code = SI_KERNEL };

			/* No room for the frame: SIGSEGV, which may have a handler
			 * on the alternate stack; dies if sig was SIGSEGV. */
			log_no_frame(p, sig, tf);
			if (sig == SIGSEGV)
				proc_exit(SIGSEGV);
			fault_deliver(tf, SIGSEGV, &bad, NULL);
		}
		handled = true;
	}
	if (p->sig_restore_mask) { /* rt_sigsuspend ended without a handler */
		spin_lock(&signal_lock);
		__atomic_store_n(&p->sigmask, p->sig_saved_mask, __ATOMIC_RELEASE);
		p->sig_restore_mask = false;
		spin_unlock(&signal_lock);
	}
	if (interrupted && consumed && restartable(tf->error, false))
		restart_syscall(tf);
	irq_restore(flags);
	return handled;
}
