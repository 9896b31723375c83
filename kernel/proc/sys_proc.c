/* System calls about processes: fork, exec, exit, wait, ids, limits, kills. */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/power.h"
#include "arch/x86_64/trap.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "log.h"
#include "mm/aspace.h"
#include "mm/kmalloc.h"
#include "mm/pmm.h"
#include "proc/exec.h"
#include "proc/process.h"
#include "proc/signal.h"
#include "proc/syscall.h"
#include "proc/uaccess.h"
#include "sched/thread.h"

#define CSIGNAL              0x000000ffu
#define CLONE_VM             0x00000100u
#define CLONE_FS             0x00000200u
#define CLONE_FILES          0x00000400u
#define CLONE_SIGHAND        0x00000800u
#define CLONE_VFORK          0x00004000u
#define CLONE_THREAD         0x00010000u
#define CLONE_SETTLS         0x00080000u
#define CLONE_PARENT_SETTID  0x00100000u
#define CLONE_CHILD_CLEARTID 0x00200000u
#define CLONE_CHILD_SETTID   0x01000000u

static struct process *self(void)
{
	return proc_current();
}

static long exit_code(int code)
{
	proc_exit((code & 0xff) << 8);
}

SYSCALL(60, exit)
{
	return exit_code((int)a0);
}

SYSCALL(231, exit_group)
{
	return exit_code((int)a0);
}

SYSCALL(57, fork)
{
	return proc_fork(tf, false);
}

/* vfork: the child borrows the parent's memory until it execs or exits. */
SYSCALL(58, vfork)
{
	return proc_fork(tf, true);
}

/* clone: fork-style only. Threads (CLONE_THREAD, or CLONE_VM without
 * CLONE_VFORK) are refused clearly until the kernel has them. */
SYSCALL(56, clone)
{
	uint32_t flags = (uint32_t)a0;
	uint64_t newsp = a1, parent_tid = a2, child_tid = a3, tls = a4;
	struct trap_frame child_view = *tf;
	long pid;

	if ((flags & CLONE_THREAD) || ((flags & CLONE_VM) && !(flags & CLONE_VFORK)) ||
	    (flags & (CLONE_FILES | CLONE_FS | CLONE_SIGHAND))) {
		log_warn("syscall", "pid %u (%s): clone flags %#x need threads, which this kernel does not have yet",
			 self()->pid, self()->name, flags);
		return -EINVAL;
	}
	if (newsp)
		child_view.rsp = newsp;
	if (flags & CLONE_SETTLS)
		thread_current()->fs_base = tls; /* copied into the child by fork... */
	pid = proc_clone(&child_view, (flags & (CLONE_VM | CLONE_VFORK)) == (CLONE_VM | CLONE_VFORK),
			 (flags & CLONE_CHILD_SETTID) ? child_tid : 0,
			 (flags & CLONE_CHILD_CLEARTID) ? child_tid : 0);
	if (flags & CLONE_SETTLS)
		thread_current()->fs_base = self()->fs_base; /* ...and restored here */
	if (pid < 0)
		return pid;
	if (flags & CLONE_PARENT_SETTID) {
		uint32_t tid = (uint32_t)pid;

		copy_to_user((void *)parent_tid, &tid, sizeof(tid));
	}
	return pid;
}

SYSCALL(59, execve)
{
	char *path = kmalloc(VFS_PATH_MAX + 1);
	struct exec_args args;
	long n = strncpy_from_user(path, (const char *)a0, VFS_PATH_MAX + 1);
	int err = n < 0 ? (int)n : 0;

	if (!err)
		err = exec_args_from_user(&args, (char *const *)a1, (char *const *)a2);
	if (!err) {
		err = exec_load(self(), path, &args, tf);
		exec_args_free(&args);
	}
	kfree(path);
	return err;
}

SYSCALL(61, wait4)
{
	int status = 0;
	struct proc_rusage ru = { 0 };
	long pid = proc_wait((int)a0, &status, (int)a2, &ru);

	if (pid > 0 && a1 && copy_to_user((void *)a1, &status, sizeof(status)))
		return -EFAULT;
	if (pid >= 0 && a3 && copy_to_user((void *)a3, &ru, sizeof(ru)))
		return -EFAULT; /* all zero when nothing was reaped */
	return pid;
}

/* siginfo_t for waitid, as Linux lays it out (128 bytes). */
struct waitid_info {
	int32_t si_signo, si_errno, si_code, pad;
	int32_t si_pid;
	uint32_t si_uid;
	int32_t si_status;
	uint8_t rest[100];
};
_Static_assert(sizeof(struct waitid_info) == 128, "siginfo layout");

SYSCALL(247, waitid)
{
	enum { P_ALL = 0, P_PID = 1, P_PGID = 2, WEXITED = 4, WNOHANG = 1 };
	int idtype = (int)a0, options = (int)a3, status = 0, pid;
	struct waitid_info info = { 0 };
	struct proc_rusage ru = { 0 };
	long r;

	if (!(options & WEXITED))
		return -EINVAL; /* stopped/continued children are not reported (no job control yet) */
	pid = idtype == P_ALL ? -1 : idtype == P_PID ? (int)a1 : idtype == P_PGID ? -(int)a1 : 0;
	if (idtype != P_ALL && idtype != P_PID && idtype != P_PGID)
		return -EINVAL;
	r = proc_wait(pid, &status, options & WNOHANG, &ru);
	if (r < 0)
		return r;
	if (r > 0) {
		info.si_signo = SIGCHLD;
		info.si_pid = (int32_t)r;
		info.si_code = (status & 0x7f) ? 2 /* CLD_KILLED */ : 1 /* CLD_EXITED */;
		info.si_status = (status & 0x7f) ? (status & 0x7f) : (status >> 8) & 0xff;
	}
	if (a2 && copy_to_user((void *)a2, &info, sizeof(info)))
		return -EFAULT;
	if (a4 && copy_to_user((void *)a4, &ru, sizeof(ru)))
		return -EFAULT;
	return 0;
}

SYSCALL(39, getpid)
{
	return self()->pid;
}

SYSCALL(186, gettid)
{
	return self()->pid;
}

SYSCALL(110, getppid)
{
	return self()->parent ? self()->parent->pid : 0;
}

SYSCALL(102, getuid)
{
	return self()->cred.uid;
}

SYSCALL(107, geteuid)
{
	return self()->cred.euid;
}

SYSCALL(104, getgid)
{
	return self()->cred.gid;
}

SYSCALL(108, getegid)
{
	return self()->cred.egid;
}

/* setuid family: root may become anyone; others only what they are. */
static long set_ids(uint32_t *real, uint32_t *eff, uint64_t r, uint64_t e)
{
	bool root = self()->cred.euid == 0;

	if (r != (uint64_t)-1 && (uint32_t)r != *real && !root)
		return -EPERM;
	if (e != (uint64_t)-1 && (uint32_t)e != *real && (uint32_t)e != *eff && !root)
		return -EPERM;
	if (r != (uint64_t)-1)
		*real = (uint32_t)r;
	if (e != (uint64_t)-1)
		*eff = (uint32_t)e;
	return 0;
}

SYSCALL(105, setuid)
{
	struct cred *c = &self()->cred;

	return c->euid == 0 ? set_ids(&c->uid, &c->euid, a0, a0) : set_ids(&c->uid, &c->euid, -1, a0);
}

SYSCALL(106, setgid)
{
	struct cred *c = &self()->cred;

	if (c->euid != 0 && (uint32_t)a0 != c->gid)
		return -EPERM;
	c->egid = (uint32_t)a0;
	if (c->euid == 0)
		c->gid = (uint32_t)a0;
	return 0;
}

SYSCALL(113, setreuid)
{
	return set_ids(&self()->cred.uid, &self()->cred.euid, a0, a1);
}

SYSCALL(114, setregid)
{
	struct cred *c = &self()->cred;

	if (c->euid != 0)
		return -EPERM;
	return set_ids(&c->gid, &c->egid, a0, a1);
}

SYSCALL(117, setresuid)
{
	return set_ids(&self()->cred.uid, &self()->cred.euid, a0, a1);
}

SYSCALL(119, setresgid)
{
	struct cred *c = &self()->cred;

	if (c->euid != 0)
		return -EPERM;
	return set_ids(&c->gid, &c->egid, a0, a1);
}

static long put_three(uint64_t p0, uint64_t p1, uint64_t p2, uint32_t a, uint32_t b, uint32_t c)
{
	if (copy_to_user((void *)p0, &a, 4) || copy_to_user((void *)p1, &b, 4) ||
	    copy_to_user((void *)p2, &c, 4))
		return -EFAULT;
	return 0;
}

SYSCALL(118, getresuid)
{
	struct cred *c = &self()->cred;

	return put_three(a0, a1, a2, c->uid, c->euid, c->euid);
}

SYSCALL(120, getresgid)
{
	struct cred *c = &self()->cred;

	return put_three(a0, a1, a2, c->gid, c->egid, c->egid);
}

SYSCALL(115, getgroups)
{
	return 0; /* no supplementary groups */
}

SYSCALL(116, setgroups)
{
	return self()->cred.euid == 0 ? 0 : -EPERM;
}

SYSCALL(121, getpgid)
{
	struct process *p = a0 ? proc_find((uint32_t)a0) : self();

	return p ? (long)p->pgid : -ESRCH;
}

SYSCALL(111, getpgrp)
{
	return self()->pgid;
}

SYSCALL(109, setpgid)
{
	struct process *p = a0 ? proc_find((uint32_t)a0) : self();

	if ((int64_t)a1 < 0)
		return -EINVAL;
	if (!p || (p != self() && p->parent != self()))
		return -ESRCH;
	if (p->pid == p->sid)
		return -EPERM; /* a session leader keeps its group */
	p->pgid = a1 ? (uint32_t)a1 : p->pid;
	return 0;
}

SYSCALL(124, getsid)
{
	struct process *p = a0 ? proc_find((uint32_t)a0) : self();

	return p ? (long)p->sid : -ESRCH;
}

SYSCALL(112, setsid)
{
	struct process *p = self();

	if (p->pgid == p->pid)
		return -EPERM; /* already a group leader */
	p->sid = p->pgid = p->pid;
	return p->sid;
}

struct kill_args {
	int pid, sig;
	struct process *sender;
	int found;
};

static void kill_one(struct process *p, void *ctx)
{
	struct kill_args *k = ctx;

	if (p->state != PROC_ALIVE)
		return;
	if (k->pid > 0 ? p->pid != (uint32_t)k->pid
		       : k->pid == 0 ? p->pgid != k->sender->pgid
				     : k->pid < -1 ? p->pgid != (uint32_t)-k->pid
						   : p->pid == 1 || p == k->sender) /* -1: all but these */
		return;
	if (k->sender->cred.euid != 0 && k->sender->cred.euid != p->cred.uid)
		return;
	k->found++;
	if (k->sig)
		signal_send(p, k->sig);
}

SYSCALL(62, kill)
{
	struct kill_args k = { (int)a0, (int)a1, self(), 0 };

	if (k.sig < 0 || k.sig >= NSIG)
		return -EINVAL;
	proc_for_each(kill_one, &k);
	return k.found ? 0 : -ESRCH;
}

SYSCALL(200, tkill)
{
	struct kill_args k = { (int)a0, (int)a1, self(), 0 };

	if ((int)a0 <= 0 || k.sig < 0 || k.sig >= NSIG)
		return -EINVAL;
	proc_for_each(kill_one, &k);
	return k.found ? 0 : -ESRCH;
}

SYSCALL(234, tgkill)
{
	struct kill_args k = { (int)a1, (int)a2, self(), 0 };

	if ((int)a0 <= 0 || (int)a1 <= 0 || k.sig < 0 || k.sig >= NSIG)
		return -EINVAL;
	proc_for_each(kill_one, &k);
	return k.found ? 0 : -ESRCH;
}

SYSCALL(158, arch_prctl)
{
	enum { ARCH_SET_GS = 0x1001, ARCH_SET_FS = 0x1002, ARCH_GET_FS = 0x1003, ARCH_GET_GS = 0x1004 };
	struct thread *t = thread_current();

	switch (a0) {
	case ARCH_SET_FS:
		if (a1 >= USER_SPACE_LIMIT)
			return -EPERM; /* Linux: a non-canonical or kernel address */
		t->fs_base = a1;
		self()->fs_base = a1;
		wrmsr(MSR_FS_BASE, a1);
		return 0;
	case ARCH_GET_FS:
		return copy_to_user((void *)a1, &t->fs_base, sizeof(t->fs_base));
	case ARCH_SET_GS:
	case ARCH_GET_GS: /* GS belongs to the kernel (swapgs); not offered */
	default:
		return -EINVAL;
	}
}

SYSCALL(218, set_tid_address)
{
	self()->clear_child_tid = a0;
	return self()->pid;
}

SYSCALL(273, set_robust_list)
{
	return a1 == 24 ? 0 : -EINVAL; /* the list matters only with threads and futexes */
}

SYSCALL(157, prctl)
{
	enum { PR_SET_NAME = 15, PR_GET_NAME = 16 };
	struct process *p = self();
	char name[PROC_NAME_MAX];
	long n;

	switch (a0) {
	case PR_SET_NAME:
		n = strncpy_from_user(name, (const char *)a1, sizeof(name));
		if (n == -ENAMETOOLONG) {
			if (copy_from_user(name, (const void *)a1, sizeof(name) - 1))
				return -EFAULT;
			name[sizeof(name) - 1] = 0;
		} else if (n < 0) {
			return n;
		}
		memcpy(p->name, name, sizeof(name));
		return 0;
	case PR_GET_NAME:
		return copy_to_user((void *)a1, p->name, sizeof(p->name));
	default:
		return -EINVAL;
	}
}

/* ---- resource limits -------------------------------------------------------------- */

#define RLIM_INFINITY (~0ull)
#define RLIMIT_NLIMITS 16

struct rlimit64 {
	uint64_t cur, max;
};

/* The limits this kernel reports; setting one below its default is kept
 * per process (in the limits array) and inherited by fork. */
static const struct rlimit64 default_limits[RLIMIT_NLIMITS] = {
	[0] = { RLIM_INFINITY, RLIM_INFINITY },             /* CPU */
	[1] = { RLIM_INFINITY, RLIM_INFINITY },             /* FSIZE */
	[2] = { RLIM_INFINITY, RLIM_INFINITY },             /* DATA */
	[3] = { USER_STACK_SIZE, RLIM_INFINITY },           /* STACK */
	[4] = { 0, RLIM_INFINITY },                         /* CORE */
	[5] = { RLIM_INFINITY, RLIM_INFINITY },             /* RSS */
	[6] = { PROC_MAX, PROC_MAX },                       /* NPROC: see proc_rlimit_defaults */
	[7] = { FD_MAX, FD_MAX },                           /* NOFILE */
	[8] = { 8ull << 20, 8ull << 20 },                   /* MEMLOCK */
	[9] = { RLIM_INFINITY, RLIM_INFINITY },             /* AS */
	[10] = { RLIM_INFINITY, RLIM_INFINITY },            /* LOCKS */
	[11] = { 128, 128 },                                /* SIGPENDING */
	[12] = { 819200, 819200 },                          /* MSGQUEUE */
	[13] = { 0, 0 },                                    /* NICE */
	[14] = { 0, 0 },                                    /* RTPRIO */
	[15] = { RLIM_INFINITY, RLIM_INFINITY },            /* RTTIME */
};

static uint64_t nproc_default(void)
{
	struct pmm_stats st;
	uint64_t n;

	pmm_get_stats(&st);
	n = st.managed / (512 / 4);
	return n < 64 ? 64 : n > PROC_MAX ? PROC_MAX : n;
}

void proc_rlimit_defaults(struct process *p)
{
	for (int r = 0; r < RLIMIT_NLIMITS; r++) {
		p->rlim[r][0] = default_limits[r].cur;
		p->rlim[r][1] = default_limits[r].max;
	}
	p->rlim[RLIMIT_NPROC][0] = p->rlim[RLIMIT_NPROC][1] = nproc_default();
}

/* getrlimit/setrlimit/prlimit64 on process p. Limits are stored and
 * inherited; the kernel enforces NOFILE (FD_MAX), NPROC and STACK itself. */
static long prlimit(struct process *p, int resource, uint64_t new_limit, uint64_t old_limit)
{
	struct rlimit64 cur, want;

	if (resource < 0 || resource >= RLIMIT_NLIMITS)
		return -EINVAL;
	cur = (struct rlimit64){ p->rlim[resource][0], p->rlim[resource][1] };
	if (new_limit) {
		if (copy_from_user(&want, (const void *)new_limit, sizeof(want)))
			return -EFAULT;
		if (want.cur > want.max)
			return -EINVAL;
		if (want.max > cur.max && p->cred.euid != 0)
			return -EPERM;
	}
	if (old_limit && copy_to_user((void *)old_limit, &cur, sizeof(cur)))
		return -EFAULT;
	if (new_limit) {
		p->rlim[resource][0] = want.cur;
		p->rlim[resource][1] = want.max;
	}
	return 0;
}

SYSCALL(302, prlimit64)
{
	if (a0 && a0 != self()->pid)
		return proc_find((uint32_t)a0) ? -EPERM : -ESRCH;
	return prlimit(self(), (int)a1, a2, a3);
}

SYSCALL(97, getrlimit)
{
	return prlimit(self(), (int)a0, 0, a1);
}

SYSCALL(160, setrlimit)
{
	return prlimit(self(), (int)a0, a1, 0);
}

/* ---- reboot --------------------------------------------------------------------------- */

SYSCALL(169, reboot)
{
	enum { MAGIC1 = 0xfee1dead, MAGIC2 = 672274793, CMD_RESTART = 0x01234567,
	       CMD_HALT = 0xcdef0123, CMD_POWER_OFF = 0x4321fedc, CMD_CAD_ON = 0x89abcdef,
	       CMD_CAD_OFF = 0 };

	if (self()->cred.euid != 0)
		return -EPERM;
	if ((uint32_t)a0 != MAGIC1 || (uint32_t)a1 != MAGIC2)
		return -EINVAL;
	switch ((uint32_t)a2) {
	case CMD_CAD_ON:
	case CMD_CAD_OFF:
		return 0;
	case CMD_POWER_OFF:
	case CMD_HALT:
	case CMD_RESTART:
		log_info("kernel", "%s requested by pid %u (%s): syncing filesystems",
			 (uint32_t)a2 == CMD_RESTART ? "restart" : (uint32_t)a2 == CMD_HALT ? "halt" : "power-off",
			 self()->pid, self()->name);
		vfs_sync_all();
		if ((uint32_t)a2 == CMD_RESTART)
			power_reboot();
		power_off(true);
	default:
		return -EINVAL;
	}
}
