/* Signals: numbers, default actions, and the hooks the fault path uses. */
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
#define SIGCHLD   17
#define SIGCONT   18
#define SIGSTOP   19
#define SIGTSTP   20
#define SIGTTIN   21
#define SIGTTOU   22
#define SIGURG    23
#define SIGWINCH  28
#define NSIG      65

/* struct sigaction as the rt_sigaction system call passes it. */
struct k_sigaction {
	uint64_t handler;  /* SIG_DFL 0, SIG_IGN 1, or a user function */
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};

#define SIG_DFL 0
#define SIG_IGN 1

/*
 * Today every signal has its default action: SIGCHLD, SIGCONT, SIGURG and
 * SIGWINCH are ignored, everything else terminates the process (exit
 * status = the signal number, as wait4 reports a death by signal).
 * Handlers (rt_sigaction) come with the user-space issue.
 */
const char *signal_name(int sig);

/* fork: the child inherits the parent's dispositions. */
void signal_fork(struct process *child, struct process *parent);

/* execve: caught signals go back to their default. */
void signal_exec(struct process *p);

/* kill(): acts on p according to sig's disposition. */
void signal_send(struct process *p, int sig);

/* Is something pending that should interrupt a sleep (a kill)? */
bool signal_pending(struct process *p);

/* A synchronous fault of the current process (SIGSEGV, SIGILL...). */
void signal_fault(struct trap_frame *tf, int sig, uint64_t addr);

/* Before returning to user mode: acts on what is pending. */
bool signal_deliver(struct trap_frame *tf);

#endif
