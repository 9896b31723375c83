/* Processes: a thread with an address space, files, a cwd and credentials. */
#ifndef PROC_PROCESS_H
#define PROC_PROCESS_H

#include <stdbool.h>
#include <stdint.h>

#include "fs/vfs.h"
#include "lib/list.h"
#include "proc/signal.h"
#include "sched/wait.h"

struct aspace;
struct thread;

#define PROC_NAME_MAX 16  /* like Linux's comm, with the NUL */
#define PROC_EXE_MAX  256

/* PROC_NEW: being built by fork, not yet signalled, killed or run. */
enum proc_state { PROC_ALIVE, PROC_ZOMBIE, PROC_NEW };

/*
 * One process = one thread today (threads of a process come later; the
 * fields that are per-thread then move to struct thread).
 *
 * Locking: proc_lock (process.c) protects the process tree (parent,
 * children, sibling), state, exit_status and the pid table. The fields
 * only the process itself changes (cwd, fds, as, cred...) need no lock
 * while it is single-threaded.
 */
struct process {
	uint32_t pid;
	uint32_t pgid, sid;
	struct process *parent;
	struct list_node children;   /* struct process.sibling */
	struct list_node sibling;
	struct list_node all_node;   /* all processes */
	enum proc_state state;
	int exit_status;             /* wait status, as wait4 reports it */
	struct wait_queue child_exit; /* the parent waits here for children */

	struct thread *thread;
	struct aspace *as;
	struct fdtable *fds;
	struct vnode *cwd, *root;
	struct cred cred;
	char name[PROC_NAME_MAX];    /* the program's base name */
	char exe[PROC_EXE_MAX];      /* the path it was executed as */
	char *cmdline;               /* argv strings, NUL-separated (kmalloc'd), for /proc */
	size_t cmdline_len;
	uint64_t clear_child_tid;    /* set_tid_address */
	uint64_t fs_base;            /* arch_prctl(ARCH_SET_FS) */
	struct k_sigaction *actions; /* NSIG entries (kmalloc'd); rt_sigaction */
	uint64_t sigmask;            /* blocked signals: rt_sigprocmask */
	uint32_t fail_nth;           /* /dev/failframes: fail the Nth frame allocation of the next syscall */
	uint64_t child_user_ns, child_sys_ns; /* reaped children's CPU time, theirs included */
	uint64_t start_ns;           /* created, in time_since_boot_ns() */
	uint64_t rlim[16][2];        /* getrlimit/setrlimit: {cur, max}; fork inherits */
	struct wait_queue vfork_wq;  /* a vfork parent sleeps here... */
	bool vfork_pending;          /* ...until the child execs or exits */
	bool killed;                 /* a fatal signal is pending (the OOM killer...) */
	int kill_signal;

	/* ---- signals (signal.c): signal_lock there protects these and the
	 * writes of sigmask/actions; lock order proc_lock -> signal_lock. The
	 * alternate stack is the process's own (no lock). ---- */
	uint64_t sig_pending;             /* SIG_BIT(sig): sig is pending */
	struct signal_info sig_info[NSIG]; /* what each pending signal carries */
	uint64_t sig_saved_mask;          /* rt_sigsuspend: the mask to put back... */
	bool sig_restore_mask;            /* ...once a handler ran or the call ends */
	uint64_t sig_altstack_sp;         /* sigaltstack; size 0: none */
	uint64_t sig_altstack_size;
	uint32_t sig_altstack_flags;      /* SS_AUTODISARM */
	bool sig_stopped;                 /* stopped (SIGSTOP...) until SIGCONT or SIGKILL */
	bool sig_continued;               /* resumed: tell the parent (CLD_CONTINUED) */
	int sig_stop_signal;              /* the signal that stopped it */
	int sig_child_report;             /* for the parent's wait: 0, CLD_STOPPED or CLD_CONTINUED */
	uint64_t itimer_real_ns;          /* alarm/ITIMER_REAL: monotonic deadline, 0 = off... */
	uint64_t itimer_real_interval_ns; /* ...reload, 0 = one-shot (itimer_lock, sys_signal.c) */
};

/* The process of the calling thread, or NULL for a kernel thread. */
struct process *proc_current(void);

/* Looks a live or zombie process up by pid (no reference is taken: valid
 * while the caller holds off reaping, e.g. for the current process tree). */
struct process *proc_find(uint32_t pid);

/*
 * Starts the first user program: pid 1 running `path` with argv/envp,
 * stdin/stdout/stderr on /dev/console. Returns 0 or a negative errno
 * (with a log line) if the program cannot be executed.
 */
int proc_start_init(const char *path, const char *const argv[], const char *const envp[]);

/* p's CPU time in ns (one thread today), or with children that of the
 * children it has reaped (times, getrusage, /proc/<pid>/stat). */
void proc_cpu_time(struct process *p, bool children, uint64_t *user_ns, uint64_t *sys_ns);

/* struct rusage as Linux's getrusage and wait4 fill it (144 bytes): the
 * CPU times, the other fields zero (not counted). */
struct proc_rusage {
	int64_t utime_sec, utime_usec, stime_sec, stime_usec;
	int64_t other[14];
};
_Static_assert(sizeof(struct proc_rusage) == 144, "Linux's struct rusage");

/* Fills *ru with p's own CPU time, its reaped children's, or both. */
enum proc_rusage_who { PROC_RUSAGE_SELF, PROC_RUSAGE_CHILDREN, PROC_RUSAGE_BOTH };
void proc_rusage(struct process *p, enum proc_rusage_who who, struct proc_rusage *ru);

/* Runs fn on p's parent, if it has one, with the process lock held (so the
 * parent cannot exit and be freed meanwhile); fn must not sleep or take
 * the process lock. */
void proc_with_parent(struct process *p, void (*fn)(struct process *parent, void *ctx), void *ctx);

/* Whether process group pgid of session sid is orphaned (POSIX: no member
 * has a parent in another group of the same session). */
bool proc_group_orphaned(uint32_t pgid, uint32_t sid);

/* The pid handed out last (/proc/loadavg). */
uint32_t proc_last_pid(void);

/* Registers the terminal's hang-up: fn(leader) runs when a session leader
 * exits (after it became a zombie; no lock held). */
void proc_on_session_exit(void (*fn)(struct process *leader));

/* fork(): a copy of the caller (copy-on-write memory, shared open files).
 * With share_vm (vfork), the child uses the parent's memory and the parent
 * sleeps until the child execs or exits. Returns the child's pid or
 * -ENOMEM/-EAGAIN; the child returns 0 from the system call. */
struct trap_frame;
long proc_fork(const struct trap_frame *tf, bool share_vm);

/* clone(): fork plus the child-side settings, applied before the child
 * can run: its tid written at set_tid (if not 0) in its memory, and
 * clear_tid remembered. */
long proc_clone(const struct trap_frame *tf, bool share_vm, uint64_t set_tid, uint64_t clear_tid);

/* The child of a vfork stops sharing its parent's memory (exec, exit). */
void proc_vfork_release(struct process *p);

#define PROC_MAX 4096 /* all processes, zombies included */
#define RLIMIT_NPROC 6

/*
 * Fills p->rlim with the defaults (sys_proc.c). RLIMIT_NPROC defaults to
 * one process per 512 KiB of managed memory, at least 64 and at most
 * PROC_MAX (Linux: half its thread maximum, one thread per 128 KiB).
 */
void proc_rlimit_defaults(struct process *p);

/* Ends the calling process with a wait status (status << 8, or a signal
 * number for a death by signal). Never returns. */
__attribute__((noreturn)) void proc_exit(int wait_status);

/* wait4(): pid -1 any child, > 0 that child. Returns the pid reaped, 0
 * with WNOHANG when nothing is ready, -ECHILD, -EINTR. For a reaped
 * child, *ru (if not NULL) gets its CPU time and its reaped children's. */
struct proc_rusage;
long proc_wait(int pid, int *status, int options, struct proc_rusage *ru);

/* Kills p with signal sig (SIGKILL semantics today: it dies the next time
 * it returns to user mode or sleeps interruptibly). */
void proc_kill(struct process *p, int sig);

/* Called on every return to user mode: dies if killed. */
void proc_check_pending(void);

/* Installs the page-fault, user-exception and OOM hooks, and /proc's view. */
void proc_init(void);

/* Gives procfs its /proc/self and /proc/<pid> (proc_procfs.c). */
void proc_procfs_init(void);

/* Runs fn on the process with that pid under proc_lock (fn must not
 * sleep). 0, or -ESRCH if there is none. */
int proc_with_pid(uint32_t pid, void (*fn)(struct process *p, void *ctx), void *ctx);

/* Calls fn for each process (pid order), under proc_lock: fn must not sleep. */
void proc_for_each(void (*fn)(struct process *p, void *ctx), void *ctx);

#endif
