/* Signals: numbers, default actions, and the hooks the fault path uses. */
#include "proc/process.h"
#include "proc/signal.h"

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

void signal_fork(struct process *child, struct process *parent)
{
}

void signal_send(struct process *p, int sig)
{
	if (sig <= 0 || sig >= NSIG || ignored_by_default(sig))
		return;
	proc_kill(p, sig);
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
