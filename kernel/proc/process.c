/* Processes: creation by fork, exit and reaping, kills and the OOM killer. */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/irq.h"
#include "arch/x86_64/time.h"
#include "arch/x86_64/trap.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "log.h"
#include "mm/aspace.h"
#include "mm/kmalloc.h"
#include "panic.h"
#include "proc/exec.h"
#include "proc/process.h"
#include "proc/signal.h"
#include "proc/syscall.h"
#include "proc/uaccess.h"
#include "sched/sched.h"
#include "sched/thread.h"

#define WNOHANG    1
#define WUNTRACED  2
#define WCONTINUED 8
#define WNOWAIT    0x01000000

/* proc_lock protects all_procs, every parent/children/sibling link,
 * state, exit_status and proc_total. */
static struct spinlock proc_lock = SPINLOCK_INIT("proc");
static struct list_node all_procs = LIST_INIT(all_procs);
static uint32_t next_pid = 1, proc_total;
static struct process *init_proc;

void ret_to_user(struct trap_frame *tf) __attribute__((noreturn));

struct process *proc_current(void)
{
	struct thread *t = thread_current();

	return t ? t->proc : NULL;
}

struct process *proc_find(uint32_t pid)
{
	struct process *p, *found = NULL;

	spin_lock(&proc_lock);
	list_for_each_entry(p, &all_procs, all_node)
		if (p->pid == pid) {
			found = p;
			break;
		}
	spin_unlock(&proc_lock);
	return found;
}

int proc_with_pid(uint32_t pid, void (*fn)(struct process *p, void *ctx), void *ctx)
{
	struct process *p;
	int err = -ESRCH;

	spin_lock(&proc_lock);
	list_for_each_entry(p, &all_procs, all_node)
		if (p->pid == pid) {
			fn(p, ctx);
			err = 0;
			break;
		}
	spin_unlock(&proc_lock);
	return err;
}

void proc_with_parent(struct process *p, void (*fn)(struct process *parent, void *ctx), void *ctx)
{
	spin_lock(&proc_lock);
	if (p->parent)
		fn(p->parent, ctx);
	spin_unlock(&proc_lock);
}

uint32_t proc_last_pid(void)
{
	return __atomic_load_n(&next_pid, __ATOMIC_RELAXED) - 1;
}

void proc_for_each(void (*fn)(struct process *p, void *ctx), void *ctx)
{
	struct process *p;

	spin_lock(&proc_lock);
	list_for_each_entry(p, &all_procs, all_node)
		fn(p, ctx);
	spin_unlock(&proc_lock);
}

/* Processes of real user uid, zombies included (as Linux counts them
 * against RLIMIT_NPROC). Called with proc_lock held. */
static uint64_t procs_of_user(uint32_t uid)
{
	struct process *p;
	uint64_t n = 0;

	list_for_each_entry(p, &all_procs, all_node)
		n += p->cred.uid == uid;
	return n;
}

/* Says why forks fail, at most once a second: a fork bomb fails thousands. */
static void report_nproc(const struct process *parent)
{
	static uint64_t last_ns, quiet;
	uint64_t now = time_since_boot_ns();

	if (last_ns && now - last_ns < 1000000000) {
		quiet++;
		return;
	}
	log_warn("proc", "fork by pid %u (%s): user %u is at RLIMIT_NPROC (%lu processes): "
		 "EAGAIN (%lu more since the last report)", parent->pid, parent->name,
		 parent->cred.uid, (unsigned long)parent->rlim[RLIMIT_NPROC][0], (unsigned long)quiet);
	last_ns = now;
	quiet = 0;
}

/*
 * A new process, a child of parent (NULL for init). NULL when the system
 * has PROC_MAX processes or the parent's real user has as many as the
 * parent's RLIMIT_NPROC allows. Unlike Linux, root is held to the limit
 * too: a fork bomb in the root shell must fail before kernel memory runs
 * out (kernel allocations do not fail, they panic).
 */
static struct process *proc_alloc(struct process *parent)
{
	struct process *p = kzalloc(sizeof(*p));
	bool over_nproc = false;

	p->start_ns = time_since_boot_ns();
	list_init(&p->children);
	wait_queue_init(&p->child_exit, "child-exit");
	wait_queue_init(&p->vfork_wq, "vfork");
	p->cred.umask = 022;
	if (parent) { /* counted against its user from now on; proc_clone copies the rest */
		p->cred = parent->cred;
		p->state = PROC_NEW;
	} else {
		proc_rlimit_defaults(p);
	}
	spin_lock(&proc_lock); /* the limits checked and the process counted at once */
	if (proc_total >= PROC_MAX ||
	    (parent && (over_nproc = procs_of_user(parent->cred.uid) >=
				     parent->rlim[RLIMIT_NPROC][0]))) {
		spin_unlock(&proc_lock);
		if (over_nproc)
			report_nproc(parent);
		kfree(p);
		return NULL;
	}
	proc_total++;
	p->pid = next_pid++;
	p->parent = parent;
	if (parent)
		list_push_back(&parent->children, &p->sibling);
	list_push_back(&all_procs, &p->all_node);
	spin_unlock(&proc_lock);
	return p;
}

/* Takes p out of the process list (and its parent's children, if
 * `sibling`): nothing finds it after this, so its parts may be freed. */
static void proc_unlink(struct process *p, bool sibling)
{
	spin_lock(&proc_lock);
	if (sibling)
		list_remove(&p->sibling);
	list_remove(&p->all_node);
	proc_total--;
	spin_unlock(&proc_lock);
}

/* Frees a process proc_unlink() took out. */
static void proc_free(struct process *p)
{
	kfree(p->cmdline);
	kfree(p->actions);
	kfree(p);
}

/* Makes the calling thread p's thread and enters user mode through tf. */
static __attribute__((noreturn)) void enter_user(struct process *p, struct trap_frame *tf)
{
	struct thread *self = thread_current();

	irq_disable();
	self->proc = p;
	self->fs_base = p->fs_base;
	self->cr3 = aspace_root(p->as);
	wrmsr(MSR_FS_BASE, p->fs_base);
	aspace_activate(p->as);
	ret_to_user(tf);
}

/* ---- fork ------------------------------------------------------------------ */

struct fork_start {
	struct process *child;
	struct trap_frame tf;
};

static void fork_child_entry(void *arg)
{
	struct fork_start start = *(struct fork_start *)arg;

	kfree(arg);
	enter_user(start.child, &start.tf);
}

void proc_vfork_release(struct process *p)
{
	if (!p->vfork_pending)
		return;
	p->vfork_pending = false;
	wake_up_all(&p->vfork_wq);
}

static bool vfork_released(void *arg)
{
	return !((struct process *)arg)->vfork_pending;
}

long proc_fork(const struct trap_frame *tf, bool share_vm)
{
	return proc_clone(tf, share_vm, 0, 0);
}


/*
 * The last step of fork, atomic with respect to kill's walk over all
 * processes (both hold proc_lock): the child becomes visible to signals
 * only if its parent has no signal pending. Otherwise the fork is undone,
 * so a signal to "every process" (kill -9 -1 against a fork bomb) or to a
 * process group reaches every member, including those being born.
 */
static bool publish_child(struct process *parent, struct process *child)
{
	bool ok;

	spin_lock(&proc_lock);
	ok = !signal_pending(parent);
	if (ok)
		child->state = PROC_ALIVE;
	spin_unlock(&proc_lock);
	return ok;
}

long proc_clone(const struct trap_frame *tf, bool share_vm, uint64_t set_tid, uint64_t clear_tid)
{
	struct process *parent = proc_current(), *child = proc_alloc(parent);
	struct fork_start *start;
	long pid;

	if (!child)
		return -EAGAIN;
	if (share_vm) {
		aspace_get(parent->as);
		child->as = parent->as;
		child->vfork_pending = true;
	} else {
		child->as = aspace_clone(parent->as);
	}
	if (!child->as) {
		proc_unlink(child, true);
		proc_free(child);
		return -ENOMEM;
	}
	child->fds = fdtable_clone(parent->fds);
	child->cwd = parent->cwd;
	child->root = parent->root;
	vnode_get(child->cwd);
	vnode_get(child->root);
	child->cred = parent->cred;
	memcpy(child->rlim, parent->rlim, sizeof(child->rlim));
	child->pgid = parent->pgid;
	child->sid = parent->sid;
	child->fs_base = thread_current()->fs_base;
	memcpy(child->name, parent->name, sizeof(child->name));
	memcpy(child->exe, parent->exe, sizeof(child->exe));
	if (parent->cmdline) {
		child->cmdline = kmalloc(parent->cmdline_len);
		memcpy(child->cmdline, parent->cmdline, parent->cmdline_len);
		child->cmdline_len = parent->cmdline_len;
	}
	signal_fork(child, parent);
	start = kmalloc(sizeof(*start));
	start->child = child;
	start->tf = *tf;
	start->tf.rax = 0; /* fork returns 0 in the child */
	pid = child->pid;
	child->clear_child_tid = clear_tid;
	if (set_tid) { /* in the child's memory, before it runs */
		uint32_t tid = (uint32_t)pid;

		aspace_copy_in(child->as, set_tid, &tid, sizeof(tid));
	}
	if (!publish_child(parent, child)) {
		proc_unlink(child, true); /* first: /proc readers look at its parts */
		kfree(start);
		fdtable_put(child->fds);
		vnode_put(child->cwd);
		vnode_put(child->root);
		aspace_put(child->as);
		proc_free(child);
		return -EINTR; /* signal_deliver restarts fork once the signal is dealt with */
	}
	child->thread = thread_create(child->name, fork_child_entry, start);
	if (share_vm) /* the child runs on our memory: wait until it lets go */
		wait_until(&child->vfork_wq, vfork_released, child);
	return pid;
}

/* ---- exit and wait ------------------------------------------------------------ */

static void (*session_exit_hook)(struct process *leader);

void proc_on_session_exit(void (*fn)(struct process *leader))
{
	session_exit_hook = fn;
}

/*
 * POSIX's orphaned process groups: when an exit leaves a group with no
 * member whose parent is in another group of the same session (nobody
 * left to continue it), and a member is stopped, the group gets SIGHUP
 * and then SIGCONT, so a stopped job does not outlive its shell forever.
 * The groups an exit can orphan are the exiting process's own and its
 * children's; more than EXIT_GROUPS_MAX of them checks every stopped
 * group of the session instead.
 */
#define EXIT_GROUPS_MAX 16

struct exit_groups {
	uint32_t pgid[EXIT_GROUPS_MAX];
	int n; /* -1: too many, check them all */
};

/* Whether pgid is to be checked: noted, or too many were to keep count. */
static bool noted(const struct exit_groups *g, uint32_t pgid)
{
	for (int i = 0; i < g->n; i++)
		if (g->pgid[i] == pgid)
			return true;
	return g->n < 0;
}

static void note_group(struct exit_groups *g, uint32_t pgid)
{
	if (noted(g, pgid))
		return;
	if (g->n == EXIT_GROUPS_MAX)
		g->n = -1;
	else
		g->pgid[g->n++] = pgid;
}

/* Whether no member of group pgid has a parent in another group of
 * session sid. Called with proc_lock held, as the two below. */
static bool group_orphaned(uint32_t pgid, uint32_t sid)
{
	struct process *q;

	list_for_each_entry(q, &all_procs, all_node)
		if (q->state == PROC_ALIVE && q->pgid == pgid && q->parent &&
		    q->parent->pgid != pgid && q->parent->sid == sid)
			return false;
	return true;
}

bool proc_group_orphaned(uint32_t pgid, uint32_t sid)
{
	bool orphaned;

	spin_lock(&proc_lock);
	orphaned = group_orphaned(pgid, sid);
	spin_unlock(&proc_lock);
	return orphaned;
}

static void hang_up_group(uint32_t pgid)
{
	struct process *q;

	list_for_each_entry(q, &all_procs, all_node)
		if (q->state == PROC_ALIVE && q->pgid == pgid) {
			signal_send(q, SIGHUP);
			signal_send(q, SIGCONT);
		}
}

static void hang_up_orphaned(const struct exit_groups *g, uint32_t sid)
{
	struct process *q;

	list_for_each_entry(q, &all_procs, all_node)
		if (q->state == PROC_ALIVE && q->sid == sid && q->sig_stopped && noted(g, q->pgid) &&
		    group_orphaned(q->pgid, sid))
			hang_up_group(q->pgid);
}

void proc_exit(int wait_status)
{
	struct process *p = proc_current(), *c, *tmp;
	struct thread *self = thread_current();
	struct aspace *as = p->as;
	struct exit_groups groups;

	if (p == init_proc)
		panic("init (pid 1) exited with status %#x", wait_status);
	fdtable_put(p->fds);
	p->fds = NULL;
	vnode_put(p->cwd);
	vnode_put(p->root);
	irq_disable(); /* no switch may land on the tables freed below */
	self->cr3 = 0;
	aspace_activate(NULL);
	irq_enable();
	p->as = NULL;
	aspace_put(as);
	proc_vfork_release(p);

	spin_lock(&proc_lock);
	groups.n = 0;
	note_group(&groups, p->pgid);
	list_for_each_entry_safe(c, tmp, &p->children, sibling) { /* orphans go to init */
		note_group(&groups, c->pgid);
		list_remove(&c->sibling);
		c->parent = init_proc;
		list_push_back(&init_proc->children, &c->sibling);
	}
	p->exit_status = wait_status;
	p->state = PROC_ZOMBIE;
	hang_up_orphaned(&groups, p->sid);
	wake_up_all(&init_proc->child_exit);
	if (p->parent) { /* under the lock: a parent that exits now is not freed yet */
		signal_send(p->parent, SIGCHLD);
		wake_up_all(&p->parent->child_exit);
	}
	spin_unlock(&proc_lock);
	if (p->pid == p->sid && session_exit_hook)
		session_exit_hook(p);
	thread_exit(0);
}

struct wait_args {
	struct process *self;
	int pid, options;
};

/* Does wait4's pid argument select child c? (>0: that pid, 0: the caller's
 * process group, < -1: group -pid, -1: any child.) */
static bool wait_selects(const struct process *self, const struct process *c, int pid)
{
	if (pid > 0)
		return c->pid == (uint32_t)pid;
	if (pid == 0)
		return c->pgid == self->pgid;
	if (pid < -1)
		return c->pgid == (uint32_t)-pid;
	return true;
}

/* A matching zombie child, or NULL; proc_lock held. */
static struct process *zombie_child(struct process *self, int pid, bool *any)
{
	struct process *c;

	*any = false;
	list_for_each_entry(c, &self->children, sibling) {
		if (!wait_selects(self, c, pid))
			continue;
		*any = true;
		if (c->state == PROC_ZOMBIE)
			return c;
	}
	return NULL;
}

/* A matching live child with a stop/continue to report (WUNTRACED,
 * WCONTINUED), or NULL; proc_lock held. Consumes the report unless WNOWAIT. */
static struct process *reported_child(struct process *self, int pid, int options, int *status)
{
	struct process *c;

	if (!(options & (WUNTRACED | WCONTINUED)))
		return NULL;
	list_for_each_entry(c, &self->children, sibling) {
		if (!wait_selects(self, c, pid))
			continue;
		if (c->state != PROC_ZOMBIE && signal_child_report(c, options, status))
			return c;
	}
	return NULL;
}

static bool child_ready(void *arg)
{
	struct wait_args *w = arg;
	bool any;
	int status;

	return zombie_child(w->self, w->pid, &any) != NULL || !any ||
	       reported_child(w->self, w->pid, w->options | WNOWAIT, &status) != NULL ||
	       signal_pending(w->self);
}

void proc_cpu_time(struct process *p, bool children, uint64_t *user_ns, uint64_t *sys_ns)
{
	if (children) {
		*user_ns = p->child_user_ns;
		*sys_ns = p->child_sys_ns;
	} else if (p->thread) {
		thread_cpu_time(p->thread, user_ns, sys_ns);
	} else {
		*user_ns = *sys_ns = 0;
	}
}

void proc_rusage(struct process *p, enum proc_rusage_who who, struct proc_rusage *ru)
{
	uint64_t user, sys, cuser, csys;

	memset(ru, 0, sizeof(*ru));
	proc_cpu_time(p, who == PROC_RUSAGE_CHILDREN, &user, &sys);
	if (who == PROC_RUSAGE_BOTH) {
		proc_cpu_time(p, true, &cuser, &csys);
		user += cuser;
		sys += csys;
	}
	ru->utime_sec = (int64_t)(user / 1000000000);
	ru->utime_usec = (int64_t)(user % 1000000000 / 1000);
	ru->stime_sec = (int64_t)(sys / 1000000000);
	ru->stime_usec = (int64_t)(sys % 1000000000 / 1000);
}

long proc_wait(int pid, int *status, int options, struct proc_rusage *ru)
{
	struct process *self = proc_current(), *z;
	struct wait_args w = { self, pid, options };
	struct process *r = NULL;
	uint64_t user, sys;
	bool any;
	long reaped;
	int report;

	for (;;) {
		spin_lock(&proc_lock);
		z = zombie_child(self, pid, &any);
		if (z) { /* ours alone from here: /proc no longer finds it */
			list_remove(&z->sibling);
			list_remove(&z->all_node);
			proc_total--;
		} else {
			r = reported_child(self, pid, options, &report);
		}
		reaped = r ? r->pid : 0;
		spin_unlock(&proc_lock);
		if (z)
			break;
		if (r) { /* stopped or continued: reported, not reaped (only we reap it) */
			if (status)
				*status = report;
			if (ru)
				proc_rusage(r, PROC_RUSAGE_BOTH, ru);
			return reaped;
		}
		if (!any)
			return -ECHILD;
		if (options & WNOHANG)
			return 0;
		if (signal_pending(self))
			return -EINTR;
		wait_until(&self->child_exit, child_ready, &w);
	}
	proc_cpu_time(z, false, &user, &sys);
	z->child_user_ns += user; /* what the reaper inherits, and wait4 reports */
	z->child_sys_ns += sys;
	self->child_user_ns += z->child_user_ns;
	self->child_sys_ns += z->child_sys_ns;
	if (ru)
		proc_rusage(z, PROC_RUSAGE_CHILDREN, ru); /* its own time is in there now */
	thread_join(z->thread); /* frees its kernel stack */
	if (status)
		*status = z->exit_status;
	reaped = z->pid;
	proc_free(z);
	return reaped;
}

/* ---- kills and the OOM killer ------------------------------------------------------- */

void proc_kill(struct process *p, int sig)
{
	p->kill_signal = sig;
	__atomic_store_n(&p->killed, true, __ATOMIC_RELEASE);
	if (p->thread)
		sched_wake(p->thread); /* an interruptible sleep, or a stop, ends */
}

void proc_check_pending(void)
{
	struct process *p = proc_current();

	if (p && __atomic_load_n(&p->killed, __ATOMIC_ACQUIRE))
		proc_exit(p->kill_signal);
}

struct oom_pick {
	struct process *victim;
	uint64_t rss;
};

static void oom_consider(struct process *p, void *ctx)
{
	struct oom_pick *pick = ctx;

	/* Never init, never the dead; the kernel is not a process. */
	if (p->pid == 1 || p->state != PROC_ALIVE || p->killed || !p->as)
		return;
	if (p->as->rss_pages > pick->rss) {
		pick->victim = p;
		pick->rss = p->as->rss_pages;
	}
}

/*
 * Score: resident private pages (largest dies), never init. The victim's
 * memory is reaped at once unless it is the caller, whose own fault then
 * fails and kills it. Returns true if memory was freed.
 */
static bool oom_kill(void)
{
	struct oom_pick pick = { NULL, 0 };

	proc_for_each(oom_consider, &pick);
	if (!pick.victim)
		return false;
	log_err("oom", "killed pid %u (%s) rss %lu KiB", pick.victim->pid, pick.victim->name,
		(unsigned long)pick.rss * 4);
	kprintf("oom: killed pid %u (%s) rss %lu KiB\n", pick.victim->pid, pick.victim->name,
		(unsigned long)pick.rss * 4);
	proc_kill(pick.victim, SIGKILL);
	if (pick.victim == proc_current())
		return false;
	aspace_reap(pick.victim->as);
	return true;
}

/* ---- faults from user mode ------------------------------------------------------------- */

static const char *fault_cause(uint64_t error)
{
	if (error & 16)
		return error & 1 ? "execute of a non-executable page" : "execute of an unmapped address";
	if (error & 2)
		return error & 1 ? "write to a read-only page" : "write to an unmapped address";
	return error & 1 ? "read of a protected page" : "read of an unmapped address";
}

/* The page-fault hook: demand paging and COW, then user copies, then death. */
static bool page_fault(struct trap_frame *tf, uint64_t addr)
{
	struct process *p = proc_current();
	bool user = (tf->cs & 3) == 3;
	int err = -EFAULT;

	if (!p)
		return false; /* a kernel thread: nothing of ours */
	if (addr < USER_SPACE_LIMIT && p->as) {
		if (tf->rflags & (1u << 9))
			irq_enable();
		err = aspace_fault(p->as, addr, tf->error);
		irq_disable();
		if (!err)
			return true;
	}
	if (!user)
		return uaccess_fixup(tf); /* a system call was given a bad pointer */
	if (err == -ENOMEM || p->killed) {
		log_err("oom", "pid %u (%s): no memory for a page at %#lx", p->pid, p->name,
			(unsigned long)addr);
		proc_exit(SIGKILL);
	}
	log_info("fault", "pid %u (%s): SIGSEGV at %#lx (%s), rip %#lx", p->pid, p->name,
		 (unsigned long)addr, fault_cause(tf->error), (unsigned long)tf->rip);
	signal_fault(tf, SIGSEGV, addr);
	return true;
}

/* Other exceptions in user mode become signals. */
static bool user_exception(struct trap_frame *tf)
{
	struct process *p = proc_current();
	int sig;

	if (!p || (tf->cs & 3) != 3)
		return false;
	switch (tf->vector) {
	case 0: case 16: case 19: sig = SIGFPE; break;
	case 1: case 3: sig = SIGTRAP; break;
	case 6: sig = SIGILL; break;
	case 17: sig = SIGBUS; break;
	default: sig = SIGSEGV; break;
	}
	log_info("fault", "pid %u (%s): %s at rip %#lx (vector %lu)", p->pid, p->name,
		 signal_name(sig), (unsigned long)tf->rip, (unsigned long)tf->vector);
	signal_fault(tf, sig, tf->rip);
	return true;
}

/* /dev/failframes: the Nth user frame allocation of an armed call fails,
 * and every one after it in that call. Only the arming process is affected. */
static bool injected_failure(void)
{
	struct process *p = proc_current();

	if (!p || !(p->fail_nth & FAIL_NTH_ARMED))
		return false;
	if ((p->fail_nth & ~FAIL_NTH_ARMED) == 0)
		return true;
	p->fail_nth--;
	return false;
}

void proc_init(void)
{
	trap_set_page_fault_hook(page_fault);
	trap_set_user_exception_hook(user_exception);
	trap_set_user_return_hook(signal_deliver);
	aspace_set_oom_handler(oom_kill);
	aspace_set_failure_injector(injected_failure);
	proc_procfs_init();
}

/* ---- init ----------------------------------------------------------------------------------- */

struct init_start {
	const char *path;
	const char *const *argv, *const *envp;
	int err;
	struct wait_queue started;
	bool done;
};

static bool init_done(void *arg)
{
	return ((struct init_start *)arg)->done;
}

static void init_entry(void *arg)
{
	struct init_start *s = arg;
	struct process *p = init_proc;
	struct trap_frame tf = { 0 };
	struct file *console;
	int err;

	thread_current()->proc = p;
	err = vfs_open(p->root, p->cwd, "/dev/console", O_RDWR, 0, &p->cred, &console);
	if (!err) {
		fd_install(p->fds, console, 0, false);
		fd_dup_to(p->fds, 0, 1, false);
		fd_dup_to(p->fds, 0, 2, false);
	} else {
		log_warn("init", "no /dev/console (%s): init starts without stdin/stdout/stderr",
			 errno_name(err));
	}
	err = exec_kernel_args(p, s->path, s->argv, s->envp, &tf);
	s->err = err;
	s->done = true;
	wake_up_all(&s->started);
	if (err)
		thread_exit(err);
	enter_user(p, &tf);
}

int proc_start_init(const char *path, const char *const argv[], const char *const envp[])
{
	struct init_start s = { .path = path, .argv = argv, .envp = envp };
	struct process *p = proc_alloc(NULL);

	init_proc = p;
	p->as = aspace_create();
	p->fds = fdtable_create();
	p->root = vfs_root();
	p->cwd = vfs_root();
	p->pgid = p->sid = p->pid;
	wait_queue_init(&s.started, "init-start");
	p->thread = thread_create("init", init_entry, &s);
	wait_until(&s.started, init_done, &s);
	if (s.err) {
		log_err("init", "cannot execute %s: %s", path, errno_name(s.err));
		thread_join(p->thread);
		init_proc = NULL;
		return s.err;
	}
	return 0;
}
