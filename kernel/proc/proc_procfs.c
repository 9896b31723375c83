/* What /proc/<pid>/ and /proc/self show about processes. */
#include "fs/procfs.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/aspace.h"
#include "proc/process.h"

struct show_ctx {
	enum procfs_pid_file which;
	struct procfs_buf *out;
	char *link;
	size_t link_size;
	int link_len;
	uint32_t uid, gid;
	int next;
	int after;
};

static char state_letter(const struct process *p)
{
	return p->state == PROC_ZOMBIE ? 'Z' : 'S';
}

static uint64_t rss_kib(const struct process *p)
{
	return p->as ? p->as->rss_pages * 4 : 0;
}

/* Nanoseconds as clock ticks (USER_HZ: 100 a second). */
static unsigned long ticks(uint64_t ns)
{
	return (unsigned long)(ns / 10000000);
}

static void show_locked(struct process *p, void *arg)
{
	struct show_ctx *c = arg;
	uint32_t ppid = p->parent ? p->parent->pid : 0;
	uint64_t user, sys, cuser, csys;

	switch (c->which) {
	case PROCFS_PID_STATUS:
		procfs_printf(c->out,
			      "Name:\t%s\nState:\t%c (%s)\nTgid:\t%u\nPid:\t%u\nPPid:\t%u\n"
			      "Uid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\nVmRSS:\t%8lu kB\nThreads:\t1\n",
			      p->name, state_letter(p), p->state == PROC_ZOMBIE ? "zombie" : "sleeping",
			      p->pid, p->pid, ppid, p->cred.uid, p->cred.euid, p->cred.euid, p->cred.euid,
			      p->cred.gid, p->cred.egid, p->cred.egid, p->cred.egid,
			      (unsigned long)rss_kib(p));
		break;
	case PROCFS_PID_STAT:
		/* Fields 1-24 as Linux: pid comm state ppid pgrp session tty tpgid flags
		 * minflt cminflt majflt cmajflt utime stime cutime cstime priority nice
		 * threads itrealvalue starttime vsize rss; then zeros. */
		proc_cpu_time(p, false, &user, &sys);
		proc_cpu_time(p, true, &cuser, &csys);
		procfs_printf(c->out,
			      "%u (%s) %c %u %u %u 0 -1 0 0 0 0 0 %lu %lu %lu %lu 20 0 1 0 %lu 0 %lu"
			      " 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
			      p->pid, p->name, state_letter(p), ppid, p->pgid, p->sid, ticks(user),
			      ticks(sys), ticks(cuser), ticks(csys), ticks(p->start_ns),
			      (unsigned long)(rss_kib(p) / 4));
		break;
	case PROCFS_PID_CMDLINE:
		if (p->cmdline)
			procfs_write(c->out, p->cmdline, p->cmdline_len);
		break;
	}
}

static void owner_locked(struct process *p, void *arg)
{
	struct show_ctx *c = arg;

	c->uid = p->cred.euid;
	c->gid = p->cred.egid;
}

static void exe_locked(struct process *p, void *arg)
{
	struct show_ctx *c = arg;
	size_t n = strnlen(p->exe, sizeof(p->exe));

	c->link_len = (int)n;
	memcpy(c->link, p->exe, n < c->link_size ? n : c->link_size);
}

static void next_locked(struct process *p, void *arg)
{
	struct show_ctx *c = arg;

	if ((int)p->pid > c->after && (c->next < 0 || (int)p->pid < c->next))
		c->next = (int)p->pid;
}

static int hook_self(void)
{
	struct process *p = proc_current();

	return p ? (int)p->pid : -ESRCH;
}

static int hook_next_pid(int after)
{
	struct show_ctx c = { .next = -1, .after = after };

	proc_for_each(next_locked, &c);
	return c.next < 0 ? -ESRCH : c.next;
}

static int hook_owner(int pid, uint32_t *uid, uint32_t *gid)
{
	struct show_ctx c = { 0 };
	int err = proc_with_pid((uint32_t)pid, owner_locked, &c);

	*uid = c.uid;
	*gid = c.gid;
	return err;
}

static int hook_show(int pid, enum procfs_pid_file which, struct procfs_buf *out)
{
	struct show_ctx c = { .which = which, .out = out };

	return proc_with_pid((uint32_t)pid, show_locked, &c);
}

static int hook_readlink(int pid, enum procfs_pid_link which, char *buf, size_t size)
{
	struct show_ctx c = { .link = buf, .link_size = size };
	int err = proc_with_pid((uint32_t)pid, exe_locked, &c);

	return err ? err : c.link_len;
}

static int hook_last_pid(void)
{
	return (int)proc_last_pid();
}

static const struct procfs_process_hooks hooks = {
	.self = hook_self, .next_pid = hook_next_pid, .owner = hook_owner,
	.last_pid = hook_last_pid,
	.show = hook_show, .readlink = hook_readlink,
};

void proc_procfs_init(void)
{
	procfs_set_process_hooks(&hooks);
}
