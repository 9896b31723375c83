/* Pipes: a 64 KiB ring between a read end and a write end. */
#include "fs/pipe.h"
#include "fs/poll.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "proc/process.h"
#include "proc/signal.h"
#include "sched/wait.h"

#define PIPE_CAPACITY (64 * 1024)
#define PIPE_BUF      4096 /* writes up to this size are atomic */

/*
 * One pipe. `wq.lock` protects everything below it; readers and writers
 * sleep on wq (one queue: both sides re-check their condition).
 */
struct pipe {
	struct wait_queue wq;
	uint8_t *ring;
	uint32_t head, len;     /* next byte to read, bytes stored */
	uint32_t readers, writers; /* open ends */
};

static struct mount pipefs = { .fstype = "pipefs", .source = "pipe" };
static uint64_t next_ino = 1;

/* Copies n stored bytes (n <= len) from the ring's head to dst. */
static void ring_out(const struct pipe *p, uint8_t *dst, size_t n)
{
	size_t first = PIPE_CAPACITY - p->head < n ? PIPE_CAPACITY - p->head : n;

	memcpy(dst, p->ring + p->head, first);
	memcpy(dst + first, p->ring, n - first);
}

/* Appends n bytes (n <= the room left) after the stored ones. */
static void ring_in(struct pipe *p, const uint8_t *src, size_t n)
{
	size_t tail = (p->head + p->len) % PIPE_CAPACITY;
	size_t first = PIPE_CAPACITY - tail < n ? PIPE_CAPACITY - tail : n;

	memcpy(p->ring + tail, src, first);
	memcpy(p->ring, src + first, n - first);
}

static bool readable(void *arg)
{
	struct pipe *p = arg;

	return p->len > 0 || p->writers == 0 || signal_pending(proc_current());
}

static bool writable_for(struct pipe *p, size_t want)
{
	return PIPE_CAPACITY - p->len >= want || p->readers == 0 ||
	       signal_pending(proc_current());
}

struct write_wait {
	struct pipe *p;
	size_t want;
};

static bool writable(void *arg)
{
	struct write_wait *w = arg;

	return writable_for(w->p, w->want);
}

static int64_t pipe_read(struct vnode *vn, struct file *f, uint64_t off, struct uio *u)
{
	struct pipe *p = vn->data;
	int64_t done = 0;

	for (;;) {
		spin_lock(&p->wq.lock);
		if (p->len > 0) {
			uint8_t chunk[512];
			size_t n = p->len < u->resid ? p->len : u->resid;

			/* Copy out in small pieces: the lock cannot be held
			 * across a user copy that may fault. */
			n = n < sizeof(chunk) ? n : sizeof(chunk);
			ring_out(p, chunk, n);
			p->head = (p->head + (uint32_t)n) % PIPE_CAPACITY;
			p->len -= (uint32_t)n;
			spin_unlock(&p->wq.lock);
			wake_up_all(&p->wq);
			poll_wake();
			if (uio_move(u, chunk, n, true))
				return done ? done : -EFAULT;
			done += (int64_t)n;
			if (u->resid == 0)
				return done;
			continue;
		}
		spin_unlock(&p->wq.lock);
		if (done > 0 || p->writers == 0)
			return done; /* what there was, or end of file */
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		if (signal_pending(proc_current()))
			return -EINTR;
		wait_until(&p->wq, readable, p);
	}
}

/* Puts back the part of the last piece that was not stored. */
static void unconsume(struct uio *u, size_t n)
{
	u->ptr -= n;
	u->resid += n;
}

static int64_t pipe_write(struct vnode *vn, struct file *f, uint64_t off, struct uio *u)
{
	struct pipe *p = vn->data;
	size_t total = u->resid;
	uint8_t *buf = kmalloc(PIPE_BUF);
	int64_t done = 0, err = 0;

	while (u->resid > 0 && !err) {
		size_t n = u->resid < PIPE_BUF ? u->resid : PIPE_BUF, stored = 0;
		/* A write of at most PIPE_BUF bytes goes in whole (never interleaved). */
		struct write_wait w = { p, total <= PIPE_BUF ? n : 1 };

		if (uio_move(u, buf, n, false)) {
			err = -EFAULT;
			break;
		}
		while (stored < n) {
			spin_lock(&p->wq.lock);
			if (p->readers == 0) {
				spin_unlock(&p->wq.lock);
				signal_send(proc_current(), SIGPIPE);
				err = -EPIPE;
				break;
			}
			if (PIPE_CAPACITY - p->len >= w.want) {
				size_t room = PIPE_CAPACITY - p->len;
				size_t k = n - stored < room ? n - stored : room;

				ring_in(p, buf + stored, k);
				p->len += (uint32_t)k;
				stored += k;
				w.want = 1;
				spin_unlock(&p->wq.lock);
				wake_up_all(&p->wq);
				poll_wake();
				continue;
			}
			spin_unlock(&p->wq.lock);
			if (f->flags & O_NONBLOCK) {
				err = -EAGAIN;
				break;
			}
			if (signal_pending(proc_current())) {
				err = -EINTR;
				break;
			}
			wait_until(&p->wq, writable, &w);
		}
		done += (int64_t)stored;
		if (stored < n)
			unconsume(u, n - stored);
	}
	kfree(buf);
	return done > 0 ? done : err;
}

static int pipe_getattr(struct vnode *vn, struct vattr *va)
{
	struct pipe *p = vn->data;

	va->mode = S_IFIFO | 0600;
	va->nlink = 1;
	va->blksize = PIPE_BUF;
	va->size = p->len;
	return 0;
}

static int pipe_open(struct vnode *vn, struct file *f)
{
	return 0;
}

/* The last close of an end: the other side sees EOF or EPIPE. */
static void pipe_release(struct vnode *vn, struct file *f)
{
	struct pipe *p = vn->data;

	spin_lock(&p->wq.lock);
	if ((f->flags & O_ACCMODE) == O_RDONLY)
		p->readers--;
	else
		p->writers--;
	spin_unlock(&p->wq.lock);
	wake_up_all(&p->wq);
	poll_wake();
}

/* Read end: POLLIN with data, POLLHUP without writers. Write end: POLLOUT
 * with PIPE_BUF bytes of room, POLLERR without readers. */
static unsigned pipe_poll(struct vnode *vn, struct file *f)
{
	struct pipe *p = vn->data;
	unsigned events = 0;

	spin_lock(&p->wq.lock);
	if ((f->flags & O_ACCMODE) == O_RDONLY) {
		if (p->len > 0)
			events |= POLLIN | POLLRDNORM;
		if (p->writers == 0)
			events |= POLLHUP;
	} else {
		if (PIPE_CAPACITY - p->len >= PIPE_BUF)
			events |= POLLOUT | POLLWRNORM;
		if (p->readers == 0)
			events |= POLLERR;
	}
	spin_unlock(&p->wq.lock);
	return events;
}

static void pipe_inactive(struct vnode *vn)
{
	struct pipe *p = vn->data;

	kfree(p->ring);
	kfree(p);
}

static const struct vnode_ops pipe_ops = {
	.getattr = pipe_getattr, .read = pipe_read, .write = pipe_write,
	.open = pipe_open, .release = pipe_release, .inactive = pipe_inactive, .poll = pipe_poll,
};

int pipe_create(uint32_t flags, struct file **read_end, struct file **write_end)
{
	struct pipe *p = kzalloc(sizeof(*p));
	struct vnode *vn;

	if (!pipefs.dev)
		mutex_init(&pipefs.lock, "pipefs");
	pipefs.dev = 0xf1f0;
	wait_queue_init(&p->wq, "pipe");
	p->ring = kmalloc(PIPE_CAPACITY);
	p->readers = p->writers = 1;
	vn = vnode_cache_insert(&pipefs, __atomic_fetch_add(&next_ino, 1, __ATOMIC_RELAXED),
				S_IFIFO | 0600, &pipe_ops, NULL);
	vn->data = p;
	vnode_get(vn); /* one reference per end */
	*read_end = file_alloc(vn, O_RDONLY | (flags & O_NONBLOCK));
	*write_end = file_alloc(vn, O_WRONLY | (flags & O_NONBLOCK));
	return 0;
}
