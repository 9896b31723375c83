/* procfs: the /proc tree, its text generated from kernel state when a file is opened. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "arch/x86_64/cpufeature.h"
#include "arch/x86_64/time.h"
#include "dev/rtc.h"
#include "fs/procfs.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/physmap.h"
#include "mm/pmm.h"
#include "sched/sched.h"
#include "shared/mem_class.h"

/*
 * Inode numbers say everything: 1 is the root, 2 + i the i-th root entry;
 * from PID_INO_BASE up, (pid << 4) is a pid's directory and (pid << 4) +
 * 1 + j its j-th entry.
 */
#define PROC_ROOT_INO 1
#define PROC_BLKSIZE  1024
#define PID_INO_BASE  (1ull << 32)
#define PID_INO_SHIFT 4
#define PID_COOKIE    64 /* root readdir cookies from here on are PID_COOKIE + the last pid */

static const struct vnode_ops proc_dir_ops, proc_file_ops, proc_link_ops;

/* Set once by the process layer; read with atomic loads. */
static const struct procfs_process_hooks *process_hooks;

/* ---- text buffers --------------------------------------------------------- */

void procfs_write(struct procfs_buf *b, const void *data, size_t n)
{
	size_t cap;

	if (n > PROCFS_FILE_MAX - b->len)
		n = PROCFS_FILE_MAX - b->len;
	if (n == 0)
		return;
	if (b->len + n > b->cap) {
		for (cap = b->cap ? b->cap : 256; cap < b->len + n; cap *= 2)
			;
		if (cap > PROCFS_FILE_MAX)
			cap = PROCFS_FILE_MAX;
		b->data = krealloc(b->data, cap);
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, n);
	b->len += n;
}

static void buf_sink(void *ctx, const char *s, size_t len)
{
	procfs_write(ctx, s, len);
}

void procfs_printf(struct procfs_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvformat(buf_sink, b, fmt, ap);
	va_end(ap);
}

static void buf_free(struct procfs_buf *b)
{
	kfree(b->data);
	kfree(b);
}

/* ---- the generated files ------------------------------------------------- */

static void meminfo_line(struct procfs_buf *b, const char *name, uint64_t kib)
{
	procfs_printf(b, "%-16s%8lu kB\n", name, (unsigned long)kib);
}

static void render_meminfo(struct procfs_buf *b)
{
	struct pmm_stats s;

	pmm_get_stats(&s);
	meminfo_line(b, "MemTotal:", s.managed * 4);
	meminfo_line(b, "MemFree:", s.free * 4);
	meminfo_line(b, "MemAvailable:", s.free * 4);
	meminfo_line(b, "Buffers:", 0);
	meminfo_line(b, "Cached:", 0);
	meminfo_line(b, "SwapCached:", 0);
	meminfo_line(b, "SwapTotal:", 0);
	meminfo_line(b, "SwapFree:", 0);
	meminfo_line(b, "Shmem:", 0);
	meminfo_line(b, "SReclaimable:", 0);
}

static void render_memmap(struct procfs_buf *b)
{
	size_t count;
	const struct boot_region *r = physmap_regions(&count);

	for (size_t i = 0; i < count; i++)
		procfs_printf(b, "memmap: 0x%016lx 0x%016lx %lu %s\n", (unsigned long)r[i].base_pa,
			      (unsigned long)(r[i].base_pa + r[i].pages * 4096),
			      (unsigned long)r[i].pages, mem_class_name(r[i].class));
}

/* /proc/stat, the lines top and friends read: CPU time in ticks (user,
 * nice, system, idle, then iowait irq softirq steal guest guest_nice as
 * 0), context switches, boot time. */
static void render_stat(struct procfs_buf *b)
{
	uint64_t user, sys, idle = sched_idle_ns() / 10000000;

	sched_cpu_totals(&user, &sys);
	user /= 10000000;
	sys /= 10000000;
	for (int line = 0; line < 2; line++) /* all CPUs, then the only one: cpu0 */
		procfs_printf(b, "%s %lu 0 %lu %lu 0 0 0 0 0 0\n", line ? "cpu0" : "cpu ",
			      (unsigned long)user, (unsigned long)sys, (unsigned long)idle);
	procfs_printf(b, "ctxt %lu\nbtime %ld\n", (unsigned long)sched_switch_count(),
		      (long)(rtc_now().sec - (int64_t)(time_since_boot_ns() / 1000000000)));
}

static const struct procfs_process_hooks *hooks(void);

/* /proc/loadavg: the three load averages, running/all threads, and the
 * pid handed out last. */
static void render_loadavg(struct procfs_buf *b)
{
	const struct procfs_process_hooks *h = hooks();
	uint64_t loads[3];
	unsigned running, threads;

	sched_loadavg(loads, &running, &threads);
	for (int i = 0; i < 3; i++) {
		uint64_t x = loads[i] + (1u << 11) / 200; /* to the nearest hundredth */

		procfs_printf(b, "%lu.%02lu ", (unsigned long)(x >> 11),
			      (unsigned long)(((x & 2047) * 100) >> 11));
	}
	procfs_printf(b, "%u/%u %d\n", running, threads, h ? h->last_pid() : 0);
}

static void render_uptime(struct procfs_buf *b)
{
	uint64_t cs = time_since_boot_ns() / 10000000; /* hundredths */
	uint64_t idle = sched_idle_ns() / 10000000;

	procfs_printf(b, "%lu.%02lu %lu.%02lu\n", (unsigned long)(cs / 100), (unsigned long)(cs % 100),
		      (unsigned long)(idle / 100), (unsigned long)(idle % 100));
}

/* A /proc/mounts field: space, tab, newline and backslash as \ooo, as Linux does. */
static void mount_field(struct procfs_buf *b, const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	for (size_t i = 0; i < n; i++) {
		if (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\\')
			procfs_printf(b, "\\%03o", (unsigned)(unsigned char)s[i]);
		else
			procfs_write(b, &s[i], 1);
	}
}

static void mount_line(struct mount *m, void *ctx)
{
	struct procfs_buf *b = ctx;

	mount_field(b, m->source, sizeof(m->source));
	procfs_write(b, " ", 1);
	mount_field(b, m->path, sizeof(m->path));
	procfs_write(b, " ", 1);
	mount_field(b, m->fstype, VFS_NAME_MAX);
	procfs_printf(b, " %s 0 0\n", m->read_only ? "ro" : "rw");
}

static void render_mounts(struct procfs_buf *b)
{
	vfs_for_each_mount(mount_line, b);
}

static void render_version(struct procfs_buf *b)
{
	procfs_printf(b, "kernel version 0.1 (clang %d.%d.%d) #1\n", __clang_major__,
		      __clang_minor__, __clang_patchlevel__);
}

struct cpu_flag {
	const char *name; /* Linux's name in /proc/cpuinfo */
	size_t offset;    /* of a bool in struct cpu_features */
};

static const struct cpu_flag cpu_flags[] = {
	{ "pge", offsetof(struct cpu_features, pge) },
	{ "pat", offsetof(struct cpu_features, pat) },
	{ "nx", offsetof(struct cpu_features, nx) },
	{ "pdpe1gb", offsetof(struct cpu_features, pdpe1gb) },
	{ "constant_tsc", offsetof(struct cpu_features, invariant_tsc) },
	{ "nonstop_tsc", offsetof(struct cpu_features, invariant_tsc) },
	{ "pcid", offsetof(struct cpu_features, pcid) },
	{ "x2apic", offsetof(struct cpu_features, x2apic) },
	{ "tsc_deadline_timer", offsetof(struct cpu_features, tsc_deadline) },
	{ "xsave", offsetof(struct cpu_features, xsave) },
	{ "rdrand", offsetof(struct cpu_features, rdrand) },
	{ "smep", offsetof(struct cpu_features, smep) },
	{ "rdseed", offsetof(struct cpu_features, rdseed) },
	{ "smap", offsetof(struct cpu_features, smap) },
	{ "umip", offsetof(struct cpu_features, umip) },
};

static void render_cpuinfo(struct procfs_buf *b)
{
	const struct cpu_features *c = cpu_features();
	uint64_t hz = time_tsc_hz();

	procfs_printf(b, "processor\t: 0\nvendor_id\t: %s\ncpu family\t: %u\nmodel\t\t: %u\n",
		      c->vendor, c->family, c->model);
	if (hz)
		procfs_printf(b, "cpu MHz\t\t: %lu.%03lu\n", (unsigned long)(hz / 1000000),
			      (unsigned long)(hz / 1000 % 1000));
	procfs_printf(b, "address sizes\t: %u bits physical, %u bits virtual\nflags\t\t:",
		      c->phys_addr_bits, c->virt_addr_bits);
	for (size_t i = 0; i < sizeof(cpu_flags) / sizeof(cpu_flags[0]); i++)
		if (*(const bool *)((const char *)c + cpu_flags[i].offset))
			procfs_printf(b, " %s", cpu_flags[i].name);
	procfs_write(b, "\n\n", 2);
}

/* ---- the tree ------------------------------------------------------------ */

struct root_entry {
	const char *name;
	uint32_t mode;
	void (*render)(struct procfs_buf *b); /* regular files */
};

static const struct root_entry root_entries[] = {
	{ "meminfo", S_IFREG | 0444, render_meminfo },
	{ "memmap", S_IFREG | 0444, render_memmap },
	{ "uptime", S_IFREG | 0444, render_uptime },
	{ "stat", S_IFREG | 0444, render_stat },
	{ "loadavg", S_IFREG | 0444, render_loadavg },
	{ "mounts", S_IFREG | 0444, render_mounts },
	{ "version", S_IFREG | 0444, render_version },
	{ "cpuinfo", S_IFREG | 0444, render_cpuinfo },
	{ "self", S_IFLNK | 0777, NULL }, /* only with process hooks */
};
#define ROOT_ENTRIES (sizeof(root_entries) / sizeof(root_entries[0]))
#define SELF_INO     (2 + ROOT_ENTRIES - 1)

struct pid_entry {
	const char *name;
	uint32_t mode;
	int which; /* enum procfs_pid_file or enum procfs_pid_link, by mode */
};

static const struct pid_entry pid_entries[] = {
	{ "cmdline", S_IFREG | 0444, PROCFS_PID_CMDLINE },
	{ "exe", S_IFLNK | 0777, PROCFS_PID_EXE },
	{ "stat", S_IFREG | 0444, PROCFS_PID_STAT },
	{ "status", S_IFREG | 0444, PROCFS_PID_STATUS },
};
#define PID_ENTRIES (sizeof(pid_entries) / sizeof(pid_entries[0]))

static const struct procfs_process_hooks *hooks(void)
{
	return __atomic_load_n(&process_hooks, __ATOMIC_ACQUIRE);
}

const struct procfs_process_hooks *procfs_set_process_hooks(const struct procfs_process_hooks *h)
{
	return __atomic_exchange_n(&process_hooks, h, __ATOMIC_ACQ_REL);
}

static bool is_pid_ino(uint64_t ino)
{
	return ino >= PID_INO_BASE;
}

static int ino_pid(uint64_t ino)
{
	return (int)((ino - PID_INO_BASE) >> PID_INO_SHIFT);
}

/* The pid entry index of ino, or -1 for the pid's directory. */
static int ino_pid_entry(uint64_t ino)
{
	return (int)((ino - PID_INO_BASE) & ((1u << PID_INO_SHIFT) - 1)) - 1;
}

/* The inode of entry j of pid's directory (j == -1: the directory). */
static uint64_t pid_ino(int pid, int j)
{
	return PID_INO_BASE + ((uint64_t)pid << PID_INO_SHIFT) + (uint64_t)(j + 1);
}

static uint32_t ino_mode(uint64_t ino)
{
	if (ino == PROC_ROOT_INO)
		return S_IFDIR | 0555;
	if (!is_pid_ino(ino))
		return root_entries[ino - 2].mode;
	if (ino_pid_entry(ino) < 0)
		return S_IFDIR | 0555;
	return pid_entries[ino_pid_entry(ino)].mode;
}

/* The vnode of ino with a reference, from the cache or new. */
static struct vnode *get_vnode(struct mount *mnt, uint64_t ino)
{
	uint32_t mode = ino_mode(ino);
	struct vnode *vn = vnode_cache_find(mnt, ino);
	bool created;

	if (vn)
		return vn;
	return vnode_cache_insert(mnt, ino, mode,
				  S_ISDIR(mode) ? &proc_dir_ops
				  : S_ISLNK(mode) ? &proc_link_ops : &proc_file_ops, &created);
}

static bool name_is(const char *name, size_t len, const char *s)
{
	return strlen(s) == len && memcmp(name, s, len) == 0;
}

/* A canonical decimal pid ("1", "42"; not "042"), or -1. */
static int parse_pid(const char *name, size_t len)
{
	int pid = 0;

	if (len == 0 || len > 9 || name[0] == '0')
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -1;
		pid = pid * 10 + (name[i] - '0');
	}
	return pid <= PROCFS_PID_MAX ? pid : -1;
}

/* 0 and the owner if pid is alive, else -ENOENT. */
static int pid_owner(int pid, uint32_t *uid, uint32_t *gid)
{
	const struct procfs_process_hooks *h = hooks();

	if (!h || h->owner(pid, uid, gid) < 0)
		return -ENOENT;
	return 0;
}

static int dir_lookup(struct vnode *dir, const char *name, size_t len, struct vnode **out)
{
	uint32_t uid, gid;
	int pid;

	if (name_is(name, len, ".") || name_is(name, len, "..")) {
		*out = name_is(name, len, ".") ? dir : dir->mnt->root;
		vnode_get(*out);
		return 0;
	}
	if (dir->ino == PROC_ROOT_INO) {
		for (size_t i = 0; i < ROOT_ENTRIES; i++) {
			if (!name_is(name, len, root_entries[i].name))
				continue;
			if (2 + i == SELF_INO && !hooks())
				return -ENOENT;
			*out = get_vnode(dir->mnt, 2 + i);
			return 0;
		}
		pid = parse_pid(name, len);
		if (pid < 0 || pid_owner(pid, &uid, &gid))
			return -ENOENT;
		*out = get_vnode(dir->mnt, pid_ino(pid, -1));
		return 0;
	}
	pid = ino_pid(dir->ino);
	if (pid_owner(pid, &uid, &gid))
		return -ENOENT;
	for (size_t j = 0; j < PID_ENTRIES; j++) {
		if (name_is(name, len, pid_entries[j].name)) {
			*out = get_vnode(dir->mnt, pid_ino(pid, (int)j));
			return 0;
		}
	}
	return -ENOENT;
}

static int proc_getattr(struct vnode *vn, struct vattr *out)
{
	struct vtime now = rtc_now();
	uint32_t uid = 0, gid = 0;

	if (is_pid_ino(vn->ino) && pid_owner(ino_pid(vn->ino), &uid, &gid))
		return -ENOENT;
	*out = (struct vattr){
		.dev = vn->mnt->dev, .ino = vn->ino, .mode = vn->mode,
		.nlink = S_ISDIR(vn->mode) ? 2 : 1, .uid = uid, .gid = gid, .blksize = PROC_BLKSIZE,
		.atime = now, .mtime = now, .ctime = now,
	};
	return 0;
}

static uint8_t dirent_type(uint32_t mode)
{
	return S_ISDIR(mode) ? DT_DIR : S_ISLNK(mode) ? DT_LNK : DT_REG;
}

/* Root cookies: 0 ".", 1 "..", 2 + i root entry i, then PID_COOKIE + the
 * last pid listed. A pid directory: 0 ".", 1 "..", 2 + j entry j. */
static int dir_readdir(struct vnode *dir, uint64_t *cookie, struct vfs_dirent *out)
{
	const struct procfs_process_hooks *h = hooks();
	int pid;

	if (*cookie < 2) {
		vfs_dirent_set(out, *cookie == 0 ? dir->ino : PROC_ROOT_INO, DT_DIR,
			   *cookie == 0 ? "." : "..");
		++*cookie;
		return 1;
	}
	if (dir->ino != PROC_ROOT_INO) {
		uint64_t j = *cookie - 2;

		pid = ino_pid(dir->ino);
		if (j >= PID_ENTRIES)
			return 0;
		vfs_dirent_set(out, pid_ino(pid, (int)j), dirent_type(pid_entries[j].mode),
			   pid_entries[j].name);
		++*cookie;
		return 1;
	}
	while (*cookie < 2 + ROOT_ENTRIES) {
		uint64_t i = *cookie - 2;

		++*cookie;
		if (2 + i == SELF_INO && !h)
			continue;
		vfs_dirent_set(out, 2 + i, dirent_type(root_entries[i].mode), root_entries[i].name);
		return 1;
	}
	if (*cookie < PID_COOKIE)
		*cookie = PID_COOKIE;
	if (!h)
		return 0;
	pid = h->next_pid((int)(*cookie - PID_COOKIE));
	if (pid <= 0 || pid > PROCFS_PID_MAX)
		return 0;
	out->ino = pid_ino(pid, -1);
	out->type = DT_DIR;
	out->name_len = (uint16_t)ksnprintf(out->name, sizeof(out->name), "%d", pid);
	*cookie = PID_COOKIE + (uint64_t)pid;
	return 1;
}

/* Generates the text of regular file ino into b. Returns 0 or -ENOENT. */
static int render(uint64_t ino, struct procfs_buf *b)
{
	const struct procfs_process_hooks *h = hooks();
	int pid;

	if (!is_pid_ino(ino)) {
		root_entries[ino - 2].render(b);
		return 0;
	}
	pid = ino_pid(ino);
	if (!h || h->show(pid, (enum procfs_pid_file)pid_entries[ino_pid_entry(ino)].which, b) < 0)
		return -ENOENT;
	return 0;
}

/* Each open gets its own snapshot, freed by file_release. */
static int file_open(struct vnode *vn, struct file *f)
{
	struct procfs_buf *b = kzalloc(sizeof(*b));
	int err = render(vn->ino, b);

	if (err) {
		buf_free(b);
		return err;
	}
	f->data = b;
	return 0;
}

static void file_release(struct vnode *vn, struct file *f)
{
	if (f->data)
		buf_free(f->data);
	f->data = NULL;
}

/* Copies the window [off, off + resid) of the snapshot (generated now if
 * the file was not opened through file_open). */
static int64_t file_read(struct vnode *vn, struct file *f, uint64_t off, struct uio *u)
{
	struct procfs_buf tmp = { 0 }, *b = f ? f->data : NULL;
	int64_t ret = 0;

	if (!b) {
		ret = render(vn->ino, &tmp);
		b = &tmp;
	}
	if (ret == 0 && off < b->len) {
		size_t n = b->len - off < u->resid ? b->len - off : u->resid;

		ret = uio_move(u, b->data + off, n, true);
		if (ret == 0)
			ret = (int64_t)n;
	}
	kfree(tmp.data);
	return ret;
}

static int link_readlink(struct vnode *vn, char *buf, size_t size)
{
	const struct procfs_process_hooks *h = hooks();
	char self[16];
	int n;

	if (!h)
		return -ENOENT;
	if (vn->ino == SELF_INO) {
		int pid = h->self();

		if (pid <= 0)
			return -ENOENT;
		n = ksnprintf(self, sizeof(self), "%d", pid);
		if ((size_t)n > size)
			n = (int)size;
		memcpy(buf, self, (size_t)n);
		return n;
	}
	n = h->readlink(ino_pid(vn->ino), (enum procfs_pid_link)pid_entries[ino_pid_entry(vn->ino)].which,
			buf, size);
	if (n < 0)
		return n == -ESRCH ? -ENOENT : n;
	return (size_t)n > size ? (int)size : n;
}

static const struct vnode_ops proc_dir_ops = {
	.lookup = dir_lookup,
	.getattr = proc_getattr,
	.readdir = dir_readdir,
};

static const struct vnode_ops proc_file_ops = {
	.getattr = proc_getattr,
	.open = file_open,
	.read = file_read,
	.release = file_release,
};

static const struct vnode_ops proc_link_ops = {
	.getattr = proc_getattr,
	.readlink = link_readlink,
};

static int procfs_statfs(struct mount *m, uint64_t *blocks, uint64_t *free, uint32_t *bsize)
{
	*blocks = 0;
	*free = 0;
	*bsize = PROC_BLKSIZE;
	return 0;
}

struct mount *procfs_create(void)
{
	struct mount *m = kzalloc(sizeof(*m));

	m->fstype = "proc";
	memcpy(m->source, "proc", sizeof("proc"));
	mutex_init(&m->lock, "proc");
	list_init(&m->node);
	m->statfs = procfs_statfs;
	m->root = get_vnode(m, PROC_ROOT_INO);
	return m;
}
