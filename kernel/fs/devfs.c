/* devfs: device nodes in memory, the built-in memory devices, and the console placeholder. */
#include <stdbool.h>

#include "dev/console.h"
#include "dev/random.h"
#include "dev/rtc.h"
#include "fs/devfs.h"
#include "fs/poll.h"
#include "proc/process.h"
#include "proc/signal.h"
#include "sched/wait.h"
#include "lib/errno.h"
#include "lib/list.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "panic.h"
#include "sched/spinlock.h"

#define DEVFS_ROOT_INO 1
#define DEVFS_BLKSIZE  4096
#define CHUNK          256 /* bytes copied per uio_move through a stack buffer */

struct devfs_node {
	struct list_node link;         /* in `nodes` */
	char name[DEVFS_NAME_MAX + 1];
	uint64_t ino;                  /* 2, 3, ... in registration order */
	uint64_t rdev;
	const struct vnode_ops *ops;   /* the driver's */
	void *data;                    /* the driver's */
	uint32_t mode, uid, gid;       /* devfs_lock */
	struct vtime atime, mtime, ctime; /* devfs_lock */
};

/*
 * devfs_lock protects the node list and the attributes of nodes. A leaf
 * lock, held only for list walks and field copies (never across a vnode
 * cache call or an allocation). Nodes are never freed, so a node pointer
 * stays valid after the lock is dropped.
 */
static struct spinlock devfs_lock = SPINLOCK_INIT("devfs");
static struct list_node nodes = LIST_INIT(nodes);
static uint64_t next_ino = DEVFS_ROOT_INO + 1;
static struct vtime root_time;     /* when the first devfs was created */
static bool builtins_registered;   /* devfs_lock */

static const struct vnode_ops devfs_dir_ops, devfs_node_ops;

/* ---- the node table ----------------------------------------------------- */

static bool name_valid(const char *name, size_t len)
{
	if (len == 0 || len > DEVFS_NAME_MAX || memchr(name, '/', len))
		return false;
	return !(len == 1 && name[0] == '.') && !(len == 2 && name[0] == '.' && name[1] == '.');
}

static struct devfs_node *find_locked(const char *name, size_t len)
{
	struct devfs_node *n;

	if (!spin_held(&devfs_lock))
		panic("find_locked: devfs_lock not held");
	list_for_each_entry(n, &nodes, link)
		if (strlen(n->name) == len && memcmp(n->name, name, len) == 0)
			return n;
	return NULL;
}

int devfs_register(const char *name, uint32_t mode, uint64_t rdev, const struct vnode_ops *ops,
		   void *data)
{
	size_t len = strnlen(name, DEVFS_NAME_MAX + 1);
	struct devfs_node *n;

	if (!name_valid(name, len) || (!S_ISCHR(mode) && !S_ISBLK(mode)))
		return -EINVAL;
	n = kzalloc(sizeof(*n));
	memcpy(n->name, name, len);
	n->rdev = rdev;
	n->ops = ops;
	n->data = data;
	n->mode = mode & (S_IFMT | 07777);
	n->atime = n->mtime = n->ctime = rtc_now();

	spin_lock(&devfs_lock);
	if (find_locked(name, len)) {
		spin_unlock(&devfs_lock);
		kfree(n);
		return -EEXIST;
	}
	n->ino = next_ino++;
	list_push_back(&nodes, &n->link);
	spin_unlock(&devfs_lock);
	return 0;
}

void *devfs_node_data(struct vnode *vn)
{
	const struct devfs_node *n = vn->data;

	if (vn->ops != &devfs_node_ops)
		panic("devfs_node_data: vnode %lu is not a devfs device", (unsigned long)vn->ino);
	return n->data;
}

/* ---- the directory ------------------------------------------------------ */

static int dir_lookup(struct vnode *dir, const char *name, size_t len, struct vnode **out)
{
	struct devfs_node *n;
	struct vnode *vn;
	uint32_t mode;
	bool created;

	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.')) {
		*out = dir; /* the only directory: its ".." is the VFS's business */
		vnode_get(dir);
		return 0;
	}
	spin_lock(&devfs_lock);
	n = find_locked(name, len);
	mode = n ? n->mode : 0;
	spin_unlock(&devfs_lock);
	if (!n)
		return -ENOENT;
	vn = vnode_cache_find(dir->mnt, n->ino);
	if (!vn) {
		vn = vnode_cache_insert(dir->mnt, n->ino, mode, &devfs_node_ops, &created);
		if (created)
			vn->data = n; /* lookups are serialised by the mount lock */
	}
	*out = vn;
	return 0;
}

static int dir_getattr(struct vnode *vn, struct vattr *out)
{
	*out = (struct vattr){
		.dev = vn->mnt->dev, .ino = DEVFS_ROOT_INO, .mode = S_IFDIR | 0755, .nlink = 2,
		.blksize = DEVFS_BLKSIZE, .atime = root_time, .mtime = root_time, .ctime = root_time,
	};
	return 0;
}

/* Cookie 0 is ".", 1 is "..", 2 + i the i-th node. */
static int dir_readdir(struct vnode *dir, uint64_t *cookie, struct vfs_dirent *out)
{
	struct devfs_node *n;
	uint64_t i = 2;

	if (*cookie < 2) {
		vfs_dirent_set(out, DEVFS_ROOT_INO, DT_DIR, *cookie == 0 ? "." : "..");
		++*cookie;
		return 1;
	}
	spin_lock(&devfs_lock);
	list_for_each_entry(n, &nodes, link) {
		if (i++ == *cookie) {
			vfs_dirent_set(out, n->ino, S_ISBLK(n->mode) ? DT_BLK : DT_CHR, n->name);
			spin_unlock(&devfs_lock);
			++*cookie;
			return 1;
		}
	}
	spin_unlock(&devfs_lock);
	return 0;
}

static int devfs_statfs(struct mount *m, uint64_t *blocks, uint64_t *free, uint32_t *bsize)
{
	*blocks = 0;
	*free = 0;
	*bsize = DEVFS_BLKSIZE;
	return 0;
}

static const struct vnode_ops devfs_dir_ops = {
	.lookup = dir_lookup,
	.getattr = dir_getattr,
	.readdir = dir_readdir,
};

/* ---- device vnodes: attributes here, I/O forwarded to the driver -------- */

static struct devfs_node *node_of(struct vnode *vn)
{
	return vn->data;
}

static int node_getattr(struct vnode *vn, struct vattr *out)
{
	struct devfs_node *n = node_of(vn);

	spin_lock(&devfs_lock);
	*out = (struct vattr){
		.dev = vn->mnt->dev, .ino = n->ino, .rdev = n->rdev, .mode = n->mode, .nlink = 1,
		.uid = n->uid, .gid = n->gid, .blksize = DEVFS_BLKSIZE,
		.atime = n->atime, .mtime = n->mtime, .ctime = n->ctime,
	};
	spin_unlock(&devfs_lock);
	return 0;
}

/* chmod, chown, utimes; VA_SIZE (O_TRUNC, truncate) is accepted and ignored. */
static int node_setattr(struct vnode *vn, const struct vattr *va, unsigned mask)
{
	struct devfs_node *n = node_of(vn);
	struct vtime now = rtc_now();

	spin_lock(&devfs_lock);
	if (mask & VA_MODE)
		n->mode = (n->mode & S_IFMT) | (va->mode & 07777);
	if (mask & VA_UID)
		n->uid = va->uid;
	if (mask & VA_GID)
		n->gid = va->gid;
	if (mask & VA_ATIME)
		n->atime = va->atime;
	if (mask & VA_MTIME)
		n->mtime = va->mtime;
	if (mask & (VA_MODE | VA_UID | VA_GID | VA_ATIME | VA_MTIME))
		n->ctime = now;
	vn->mode = n->mode;
	spin_unlock(&devfs_lock);
	return 0;
}

static int node_open(struct vnode *vn, struct file *f)
{
	const struct vnode_ops *ops = node_of(vn)->ops;

	return ops && ops->open ? ops->open(vn, f) : 0;
}

static int64_t node_read(struct vnode *vn, struct file *f, uint64_t off, struct uio *u)
{
	const struct vnode_ops *ops = node_of(vn)->ops;

	return ops && ops->read ? ops->read(vn, f, off, u) : -EINVAL;
}

static int64_t node_write(struct vnode *vn, struct file *f, uint64_t off, struct uio *u)
{
	const struct vnode_ops *ops = node_of(vn)->ops;

	return ops && ops->write ? ops->write(vn, f, off, u) : -EINVAL;
}

static int node_ioctl(struct vnode *vn, struct file *f, unsigned long cmd, unsigned long arg)
{
	const struct vnode_ops *ops = node_of(vn)->ops;

	return ops && ops->ioctl ? ops->ioctl(vn, f, cmd, arg) : -ENOTTY;
}

static unsigned node_poll(struct vnode *vn, struct file *f)
{
	const struct vnode_ops *ops = node_of(vn)->ops;

	return ops && ops->poll ? ops->poll(vn, f) : POLL_DEFAULT_MASK;
}

static void node_release(struct vnode *vn, struct file *f)
{
	const struct vnode_ops *ops = node_of(vn)->ops;

	if (ops && ops->release)
		ops->release(vn, f);
}

static const struct vnode_ops devfs_node_ops = {
	.getattr = node_getattr,
	.setattr = node_setattr,
	.open = node_open,
	.read = node_read,
	.write = node_write,
	.ioctl = node_ioctl,
	.poll = node_poll,
	.release = node_release,
};

/* ---- the built-in devices ----------------------------------------------- */

/* A whole write consumed without looking at it (null, zero). */
static int64_t write_discard(struct vnode *vn, struct file *f, uint64_t off, struct uio *u)
{
	size_t n = u->resid;

	u->ptr += n;
	u->resid = 0;
	return (int64_t)n;
}

static int64_t read_eof(struct vnode *vn, struct file *f, uint64_t off, struct uio *u)
{
	return 0;
}

/* Fills the uio from fill() in CHUNK pieces. A fault after some bytes
 * returns the count so far (as Linux does), before any -EFAULT. */
static int64_t read_generated(struct uio *u, void (*fill)(uint8_t *buf, size_t n))
{
	uint8_t buf[CHUNK];
	int64_t done = 0;
	int err = 0;

	while (u->resid > 0) {
		size_t n = u->resid < sizeof(buf) ? u->resid : sizeof(buf);

		fill(buf, n);
		err = uio_move(u, buf, n, true);
		if (err)
			break;
		done += (int64_t)n;
	}
	memset(buf, 0, sizeof(buf));
	__asm__ volatile("" : : "r"(buf) : "memory"); /* the wipe of random bytes must stay */
	return done > 0 ? done : err;
}

/* Drains the uio into sink() in CHUNK pieces; the same partial-count rule. */
static int64_t write_consumed(struct uio *u, void (*sink)(const uint8_t *buf, size_t n))
{
	uint8_t buf[CHUNK];
	int64_t done = 0;
	int err = 0;

	while (u->resid > 0) {
		size_t n = u->resid < sizeof(buf) ? u->resid : sizeof(buf);

		err = uio_move(u, buf, n, false);
		if (err)
			break;
		sink(buf, n);
		done += (int64_t)n;
	}
	return done > 0 ? done : err;
}

static void fill_zeros(uint8_t *buf, size_t n)
{
	memset(buf, 0, n);
}

static void fill_random(uint8_t *buf, size_t n)
{
	random_get_bytes(buf, n);
}

static void sink_random(const uint8_t *buf, size_t n)
{
	random_mix(buf, n);
}

static void sink_console(const uint8_t *buf, size_t n)
{
	console_write((const char *)buf, n);
}

static int64_t read_zero(struct vnode *vn, struct file *f, uint64_t off, struct uio *u)
{
	return read_generated(u, fill_zeros);
}

static int64_t write_full(struct vnode *vn, struct file *f, uint64_t off, struct uio *u)
{
	return -ENOSPC;
}

static int64_t read_random(struct vnode *vn, struct file *f, uint64_t off, struct uio *u)
{
	return read_generated(u, fill_random);
}

static int64_t write_random(struct vnode *vn, struct file *f, uint64_t off, struct uio *u)
{
	return write_consumed(u, sink_random);
}

static int64_t write_console(struct vnode *vn, struct file *f, uint64_t off, struct uio *u)
{
	return write_consumed(u, sink_console);
}

static const struct vnode_ops null_ops = { .read = read_eof, .write = write_discard };
static const struct vnode_ops zero_ops = { .read = read_zero, .write = write_discard };
static const struct vnode_ops full_ops = { .read = read_zero, .write = write_full };
static const struct vnode_ops random_ops = { .read = read_random, .write = write_random };
/* Placeholder until the TTY layer: output only, reads give EOF, no ioctls. */
/* No console input yet (the TTY driver replaces this node): a read waits
 * like one on an idle terminal, until a signal interrupts it, instead of
 * returning end of file (a shell would exit at once and be restarted). */
static struct wait_queue no_input = WAIT_QUEUE_INIT(no_input, "console-input");

static bool console_read_interrupted(void *arg)
{
	return signal_pending(proc_current());
}

static int64_t read_console(struct vnode *vn, struct file *f, uint64_t off, struct uio *u)
{
	if (f->flags & O_NONBLOCK)
		return -EAGAIN;
	wait_until(&no_input, console_read_interrupted, NULL);
	return -EINTR;
}

static const struct vnode_ops console_ops = { .read = read_console, .write = write_console };

struct builtin {
	const char *name;
	uint32_t major, minor, perm;
	const struct vnode_ops *ops;
};

static const struct builtin builtins[] = {
	{ "null", 1, 3, 0666, &null_ops },
	{ "zero", 1, 5, 0666, &zero_ops },
	{ "full", 1, 7, 0666, &full_ops },
	{ "random", 1, 8, 0666, &random_ops },
	{ "urandom", 1, 9, 0666, &random_ops },
	{ "console", 5, 1, 0600, &console_ops },
	{ "ttyS0", 4, 64, 0660, &console_ops },
};

/* Registers the built-ins whose names no driver has taken; once. */
static void register_builtins(void)
{
	bool done;

	spin_lock(&devfs_lock);
	done = builtins_registered;
	builtins_registered = true;
	spin_unlock(&devfs_lock);
	if (done)
		return;
	root_time = rtc_now();
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
		const struct builtin *b = &builtins[i];
		int err = devfs_register(b->name, S_IFCHR | b->perm,
					 devfs_encode_dev(b->major, b->minor), b->ops, NULL);

		if (err && err != -EEXIST)
			panic("register_builtins: /dev/%s: error %d", b->name, err);
	}
}

struct mount *devfs_create(void)
{
	struct mount *m = kzalloc(sizeof(*m));
	bool created;

	register_builtins();
	m->fstype = "devfs";
	memcpy(m->source, "devfs", sizeof("devfs"));
	mutex_init(&m->lock, "devfs");
	list_init(&m->node);
	m->statfs = devfs_statfs;
	m->root = vnode_cache_insert(m, DEVFS_ROOT_INO, S_IFDIR | 0755, &devfs_dir_ops, &created);
	if (!created)
		panic("devfs_create: a fresh mount already has a root vnode");
	return m;
}
