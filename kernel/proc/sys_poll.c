/* poll, ppoll, select, pselect6: waiting until one of several files is ready. */
#include "arch/x86_64/time.h"
#include "fs/poll.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "proc/process.h"
#include "proc/syscall.h"
#include "proc/uaccess.h"
#include "sched/wait.h"

/*
 * Every call becomes a set of poll entries (descriptor, file, the events
 * it cares about), evaluated by poll_scan() and waited for on poll_wq
 * (see fs/poll.h). Results, signal masks and timeouts follow Linux,
 * including the write-back of the time left by select, pselect6 and ppoll.
 * A signal interrupts a wait with -EINTR (signal_send wakes the sleeper).
 */

#define NO_DEADLINE   UINT64_MAX
#define RLIMIT_NOFILE 7
#define NSEC_PER_SEC  1000000000ull

/* Linux's select masks. */
#define POLLIN_SET  (POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR)
#define POLLOUT_SET (POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR)
#define POLLEX_SET  POLLPRI

static struct wait_queue poll_wq = WAIT_QUEUE_INIT(poll_wq, "poll");

void poll_wake(void)
{
	wake_up_all(&poll_wq);
}

unsigned poll_file(struct file *f)
{
	struct vnode *vn = f->vn;

	return vn->ops->poll ? vn->ops->poll(vn, f) : POLL_DEFAULT_MASK;
}

/* One descriptor being waited for. */
struct poll_entry {
	int fd;           /* < 0: ignored (poll) */
	struct file *f;   /* with a reference; NULL if fd is not open */
	uint16_t care;    /* the events that count */
	uint16_t revents; /* what poll_scan() found */
};

struct poll_set {
	struct poll_entry *e;
	size_t n;
};

/* Fills every revents. Returns how many entries are ready. */
static size_t poll_scan(struct poll_set *s)
{
	size_t ready = 0;

	for (size_t i = 0; i < s->n; i++) {
		struct poll_entry *e = &s->e[i];

		if (e->fd < 0)
			e->revents = 0;
		else if (!e->f)
			e->revents = POLLNVAL;
		else
			e->revents = (uint16_t)(poll_file(e->f) & e->care);
		ready += e->revents != 0;
	}
	return ready;
}

static bool scan_ready(void *arg)
{
	return poll_scan(arg) > 0 || signal_pending(proc_current());
}

/*
 * Waits until an entry is ready, the deadline (time_since_boot_ns) passes
 * or a signal is pending. Returns the number of ready entries (0 at the
 * deadline), or -EINTR.
 */
static long poll_wait(struct poll_set *s, uint64_t deadline)
{
	for (;;) {
		size_t ready = poll_scan(s);

		if (ready)
			return (long)ready;
		if (signal_pending(proc_current()))
			return -EINTR;
		if (time_since_boot_ns() >= deadline)
			return 0;
		if (deadline == NO_DEADLINE)
			wait_until(&poll_wq, scan_ready, s);
		else
			wait_until_deadline(&poll_wq, scan_ready, s, deadline);
	}
}

/* Takes a reference to each entry's file (NULL where fd is not open). */
static void entries_get(struct poll_set *s)
{
	struct fdtable *fds = proc_current()->fds;

	for (size_t i = 0; i < s->n; i++)
		s->e[i].f = s->e[i].fd >= 0 ? fd_get(fds, s->e[i].fd) : NULL;
}

static void entries_put(struct poll_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		file_put(s->e[i].f);
	kfree(s->e);
}

/* ---- timeouts and signal masks ------------------------------------------------- */

struct timespec_user {
	int64_t sec, nsec;
};

/* The deadline of a relative timeout (saturating). */
static uint64_t deadline_after(uint64_t sec, uint64_t nsec)
{
	uint64_t now = time_since_boot_ns();

	if (sec > (NO_DEADLINE - now) / NSEC_PER_SEC - 1)
		return NO_DEADLINE;
	return now + sec * NSEC_PER_SEC + nsec;
}

/* Reads a timespec (NULL: no deadline) into *deadline; *zero says if it
 * was zero. Returns 0, -EFAULT or -EINVAL. */
static int read_timespec(uint64_t uts, uint64_t *deadline, bool *zero)
{
	struct timespec_user ts;

	*deadline = NO_DEADLINE;
	*zero = false;
	if (!uts)
		return 0;
	if (copy_from_user(&ts, (const void *)uts, sizeof(ts)))
		return -EFAULT;
	if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= (int64_t)NSEC_PER_SEC)
		return -EINVAL;
	*deadline = deadline_after((uint64_t)ts.sec, (uint64_t)ts.nsec);
	*zero = ts.sec == 0 && ts.nsec == 0;
	return 0;
}

/* Nanoseconds left until deadline. */
static uint64_t time_left(uint64_t deadline)
{
	uint64_t now = time_since_boot_ns();

	return deadline > now ? deadline - now : 0;
}

/*
 * Linux writes the time left back into a timeout that was not zero;
 * a fault doing so is ignored (the call itself succeeded). usec: a struct
 * timeval (select) rather than a timespec.
 */
static void write_time_left(uint64_t uptr, uint64_t deadline, bool was_zero, bool usec)
{
	uint64_t left = time_left(deadline);
	struct timespec_user t = { (int64_t)(left / NSEC_PER_SEC), (int64_t)(left % NSEC_PER_SEC) };

	if (!uptr || was_zero || deadline == NO_DEADLINE)
		return;
	if (usec)
		t.nsec /= 1000;
	(void)copy_to_user((void *)uptr, &t, sizeof(t));
}

/*
 * ppoll/pselect6: reads the temporary signal mask at umask (NULL: none).
 * Returns 0 with *mask set and *use true, or an errno.
 */
static int read_sigmask(uint64_t umask, uint64_t size, uint64_t *mask, bool *use)
{
	const uint64_t unblockable = (1ull << (SIGKILL - 1)) | (1ull << (SIGSTOP - 1));

	*use = false;
	if (!umask)
		return 0;
	if (size != sizeof(*mask))
		return -EINVAL;
	if (copy_from_user(mask, (const void *)umask, sizeof(*mask)))
		return -EFAULT;
	*mask &= ~unblockable;
	*use = true;
	return 0;
}

/*
 * poll_wait() with p's signal mask replaced by mask for the wait (ppoll,
 * pselect6). The old mask is back on return, also after -EINTR: Linux
 * keeps the temporary mask until the handler has run (as rt_sigsuspend
 * does), which needs the signal code's deferred restore.
 */
static long poll_wait_masked(struct poll_set *s, uint64_t deadline, bool use_mask, uint64_t mask)
{
	struct process *p = proc_current();
	uint64_t saved = p->sigmask;
	long ret;

	if (use_mask)
		__atomic_store_n(&p->sigmask, mask, __ATOMIC_RELEASE);
	ret = poll_wait(s, deadline);
	if (use_mask)
		__atomic_store_n(&p->sigmask, saved, __ATOMIC_RELEASE);
	return ret;
}

/* ---- poll and ppoll ----------------------------------------------------------- */

struct pollfd_user {
	int32_t fd;
	int16_t events, revents;
};

/* poll and ppoll: nfds pollfds at ufds. Returns the number ready or an errno. */
static long do_poll(uint64_t ufds, uint64_t nfds, uint64_t deadline, bool use_mask,
		    uint64_t mask)
{
	struct process *p = proc_current();
	struct pollfd_user *u = NULL;
	struct poll_set s = { NULL, (size_t)nfds };
	long ret;

	if (nfds > p->rlim[RLIMIT_NOFILE][0] || nfds > FD_MAX)
		return -EINVAL;
	if (nfds) {
		u = kmalloc_array(nfds, sizeof(*u));
		if (copy_from_user(u, (const void *)ufds, nfds * sizeof(*u))) {
			kfree(u);
			return -EFAULT;
		}
	}
	s.e = kmalloc_array(nfds, sizeof(*s.e));
	for (size_t i = 0; i < s.n; i++) {
		s.e[i].fd = u[i].fd;
		s.e[i].care = (uint16_t)u[i].events | POLLERR | POLLHUP;
	}
	entries_get(&s);
	ret = poll_wait_masked(&s, deadline, use_mask, mask);
	if (ret >= 0 && nfds) {
		for (size_t i = 0; i < s.n; i++)
			u[i].revents = (int16_t)s.e[i].revents;
		if (copy_to_user((void *)ufds, u, nfds * sizeof(*u)))
			ret = -EFAULT;
	}
	entries_put(&s);
	kfree(u);
	return ret;
}

SYSCALL(7, poll)
{
	int timeout_ms = (int)a2;
	uint64_t deadline = NO_DEADLINE;

	if (timeout_ms >= 0)
		deadline = deadline_after((uint64_t)timeout_ms / 1000,
					  (uint64_t)timeout_ms % 1000 * 1000000);
	return do_poll(a0, a1, deadline, false, 0);
}

SYSCALL(271, ppoll)
{
	uint64_t deadline, mask = 0; /* passed even when unused: it must be defined */
	bool use_mask, zero;
	long ret;
	int err = read_timespec(a2, &deadline, &zero);

	if (!err)
		err = read_sigmask(a3, a4, &mask, &use_mask);
	if (err)
		return err;
	ret = do_poll(a0, a1, deadline, use_mask, mask);
	if (ret != -EFAULT)
		write_time_left(a2, deadline, zero, false);
	return ret;
}

/* ---- select and pselect6 ------------------------------------------------------ */

#define SET_WORDS (FD_MAX / 64)

/* The three descriptor sets of select, as bitmaps of nfds bits. */
struct fd_sets {
	uint64_t in[3][SET_WORDS];  /* read, write, except: what was asked */
	uint64_t out[3][SET_WORDS]; /* what is ready */
	bool present[3];
};

static const uint16_t select_masks[3] = { POLLIN_SET, POLLOUT_SET, POLLEX_SET };

static bool bit_test(const uint64_t *set, int fd)
{
	return set[fd / 64] & (1ull << (fd % 64));
}

/* Copies in the sets given (ptrs[i] == 0: none). 0 or -EFAULT. */
static int sets_read(struct fd_sets *fs, const uint64_t ptrs[3], int nfds)
{
	size_t bytes = (size_t)(nfds + 63) / 64 * 8;

	memset(fs, 0, sizeof(*fs));
	for (int i = 0; i < 3; i++) {
		fs->present[i] = ptrs[i] != 0;
		if (ptrs[i] && copy_from_user(fs->in[i], (const void *)ptrs[i], bytes))
			return -EFAULT;
	}
	return 0;
}

/*
 * The poll entries of every descriptor below nfds in any set. Returns 0,
 * or -EBADF if one is not open (s is then freed).
 */
static int sets_to_entries(const struct fd_sets *fs, int nfds, struct poll_set *s)
{
	s->e = kmalloc_array((size_t)nfds, sizeof(*s->e));
	s->n = 0;
	for (int fd = 0; fd < nfds; fd++) {
		uint16_t care = 0;

		for (int i = 0; i < 3; i++)
			if (bit_test(fs->in[i], fd))
				care |= select_masks[i];
		if (care)
			s->e[s->n++] = (struct poll_entry){ .fd = fd, .care = care };
	}
	entries_get(s);
	for (size_t i = 0; i < s->n; i++) {
		if (!s->e[i].f) {
			entries_put(s);
			return -EBADF;
		}
	}
	return 0;
}

/* Marks the ready descriptors in fs->out. Returns how many bits are set. */
static long entries_to_sets(const struct poll_set *s, struct fd_sets *fs)
{
	long count = 0;

	for (size_t k = 0; k < s->n; k++) {
		const struct poll_entry *e = &s->e[k];

		for (int i = 0; i < 3; i++) {
			if (bit_test(fs->in[i], e->fd) && (e->revents & select_masks[i])) {
				fs->out[i][e->fd / 64] |= 1ull << (e->fd % 64);
				count++;
			}
		}
	}
	return count;
}

/* select and pselect6 on the sets at ptrs. Returns the bits set or an errno. */
static long do_select(int nfds, const uint64_t ptrs[3], uint64_t deadline, bool use_mask,
		      uint64_t mask)
{
	struct fd_sets *fs;
	struct poll_set s;
	size_t bytes;
	long ret;

	if (nfds < 0)
		return -EINVAL;
	if (nfds > FD_MAX)
		nfds = FD_MAX; /* as Linux cuts it to the descriptor table's size */
	bytes = (size_t)(nfds + 63) / 64 * 8;
	fs = kmalloc(sizeof(*fs));
	ret = sets_read(fs, ptrs, nfds);
	if (!ret)
		ret = sets_to_entries(fs, nfds, &s);
	if (ret) {
		kfree(fs);
		return ret;
	}
	ret = poll_wait_masked(&s, deadline, use_mask, mask);
	if (ret >= 0) {
		ret = entries_to_sets(&s, fs);
		for (int i = 0; i < 3; i++)
			if (fs->present[i] && copy_to_user((void *)ptrs[i], fs->out[i], bytes))
				ret = -EFAULT;
	}
	entries_put(&s);
	kfree(fs);
	return ret;
}

SYSCALL(23, select)
{
	const uint64_t ptrs[3] = { a1, a2, a3 };
	struct { int64_t sec, usec; } tv = { 0, 0 };
	uint64_t deadline = NO_DEADLINE;
	long ret;

	if (a4) {
		if (copy_from_user(&tv, (const void *)a4, sizeof(tv)))
			return -EFAULT;
		if (tv.sec < 0 || tv.usec < 0 || tv.usec >= 1000000)
			return -EINVAL;
		deadline = deadline_after((uint64_t)tv.sec, (uint64_t)tv.usec * 1000);
	}
	ret = do_select((int)a0, ptrs, deadline, false, 0);
	if (ret != -EFAULT)
		write_time_left(a4, deadline, !tv.sec && !tv.usec, true);
	return ret;
}

SYSCALL(270, pselect6)
{
	const uint64_t ptrs[3] = { a1, a2, a3 };
	struct { uint64_t mask_ptr, size; } sig = { 0, 0 };
	uint64_t deadline, mask = 0;
	bool use_mask = false, zero;
	long ret;
	int err = read_timespec(a4, &deadline, &zero);

	if (!err && a5 && copy_from_user(&sig, (const void *)a5, sizeof(sig)))
		err = -EFAULT;
	if (!err)
		err = read_sigmask(sig.mask_ptr, sig.size, &mask, &use_mask);
	if (err)
		return err;
	ret = do_select((int)a0, ptrs, deadline, use_mask, mask);
	if (ret != -EFAULT)
		write_time_left(a4, deadline, zero, false);
	return ret;
}
