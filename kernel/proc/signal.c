/* Signals: numbers, default actions, and the hooks the fault path uses. */
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "proc/process.h"
#include "proc/signal.h"
#include "proc/syscall.h"
#include "proc/uaccess.h"

const char *signal_name(int sig)
{
	static const char *const names[] = {
		[SIGHUP] = "SIGHUP", [SIGINT] = "SIGINT", [SIGQUIT] = "SIGQUIT",
		[SIGILL] = "SIGILL", [SIGTRAP] = "SIGTRAP", [SIGABRT] = "SIGABRT",
		[SIGBUS] = "SIGBUS", [SIGFPE] = "SIGFPE", [SIGKILL] = "SIGKILL",
		[SIGUSR1] = "SIGUSR1", [SIGSEGV] = "SIGSEGV", [SIGUSR2] = "SIGUSR2",
		[SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM", [SIGTERM] = "SIGTERM",
		[SIGCHLD] = "SIGCHLD", [SIGCONT] = "SIGCONT", [SIGSTOP] = "SIGSTOP",
		[SIGTSTP] = "SIGTSTP", [SIGTTIN] = "SIGTTIN", [SIGTTOU] = "SIGTTOU",
		[SIGURG] = "SIGURG", [SIGWINCH] = "SIGWINCH",
	};

	return sig > 0 && sig < (int)(sizeof(names) / sizeof(names[0])) && names[sig] ? names[sig]
										   : "signal";
}

static bool ignored_by_default(int sig)
{
	return sig == SIGCHLD || sig == SIGCONT || sig == SIGURG || sig == SIGWINCH;
}

static struct k_sigaction *actions_of(struct process *p)
{
	if (!p->actions)
		p->actions = kzalloc(NSIG * sizeof(struct k_sigaction));
	return p->actions;
}

void signal_fork(struct process *child, struct process *parent)
{
	if (parent->actions)
		memcpy(actions_of(child), parent->actions, NSIG * sizeof(struct k_sigaction));
	child->sigmask = parent->sigmask;
}

void signal_exec(struct process *p)
{
	/* Handlers do not survive exec; ignored signals stay ignored. */
	for (int sig = 1; p->actions && sig < NSIG; sig++)
		if (p->actions[sig].handler != SIG_IGN)
			p->actions[sig] = (struct k_sigaction){ 0 };
}

void signal_send(struct process *p, int sig)
{
	uint64_t handler;

	if (sig <= 0 || sig >= NSIG)
		return;
	handler = p->actions ? p->actions[sig].handler : SIG_DFL;
	if (sig != SIGKILL && sig != SIGSTOP && handler == SIG_IGN)
		return;
	if (handler == SIG_DFL && ignored_by_default(sig))
		return;
	/* Handlers run once signal frames exist (the user-space issue);
	 * until then a caught signal takes its default action too. */
	if (handler == SIG_DFL || handler != SIG_IGN) {
		if (ignored_by_default(sig))
			return;
		proc_kill(p, sig);
	}
}

SYSCALL(13, rt_sigaction)
{
	struct process *p = proc_current();
	struct k_sigaction act, *slot;
	int sig = (int)a0;

	if (sig <= 0 || sig >= NSIG || a3 != 8)
		return -EINVAL;
	slot = &actions_of(p)[sig];
	if (a2 && copy_to_user((void *)a2, slot, sizeof(*slot)))
		return -EFAULT;
	if (!a1)
		return 0;
	if (sig == SIGKILL || sig == SIGSTOP)
		return -EINVAL;
	if (copy_from_user(&act, (const void *)a1, sizeof(act)))
		return -EFAULT;
	*slot = act;
	return 0;
}

SYSCALL(14, rt_sigprocmask)
{
	enum { SIG_BLOCK = 0, SIG_UNBLOCK = 1, SIG_SETMASK = 2 };
	struct process *p = proc_current();
	uint64_t set, old = p->sigmask;
	const uint64_t unblockable = (1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1));

	if (a3 != 8)
		return -EINVAL;
	if (a1) {
		if (copy_from_user(&set, (const void *)a1, sizeof(set)))
			return -EFAULT;
		switch (a0) {
		case SIG_BLOCK: p->sigmask |= set; break;
		case SIG_UNBLOCK: p->sigmask &= ~set; break;
		case SIG_SETMASK: p->sigmask = set; break;
		default: return -EINVAL;
		}
		p->sigmask &= ~unblockable;
	}
	if (a2 && copy_to_user((void *)a2, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

bool signal_pending(struct process *p)
{
	return p && __atomic_load_n(&p->killed, __ATOMIC_ACQUIRE);
}

void signal_fault(struct trap_frame *tf, int sig, uint64_t addr)
{
	proc_exit(sig);
}

bool signal_deliver(struct trap_frame *tf)
{
	proc_check_pending();
	return false;
}
