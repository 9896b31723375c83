/* poll(2) readiness: the events, the vnode operation's contract, and the wake-up of pollers. */
#ifndef FS_POLL_H
#define FS_POLL_H

#include "fs/vfs.h"

/*
 * How poll, ppoll, select and pselect6 (proc/sys_poll.c) wait: a poller
 * evaluates the files it watches and, if none is ready, sleeps on one
 * global wait queue. Whatever may make a file ready (data in, room out, an
 * end closed, a terminal signal) calls poll_wake() after the change, with
 * none of its own locks held; every poller then re-evaluates its files.
 * One queue for all is simple and cannot miss a wake-up (the queue's lock
 * orders the check against the wake); its cost, waking pollers of other
 * files, is small while few processes poll.
 *
 * The vnode operation struct vnode_ops.poll,
 *
 *     unsigned (*poll)(struct vnode *vn, struct file *f);
 *
 * returns the POLL* events ready now on the open file f, POLLHUP and
 * POLLERR included whatever the caller asked for. It must not sleep or
 * take a mutex: it runs with interrupts off under the poll queue's lock.
 * It may take spinlocks that are never held while calling poll_wake().
 * A NULL poll means "always ready" (POLL_DEFAULT_MASK), as Linux answers
 * for regular files and simple devices.
 */

#define POLLIN     0x001
#define POLLPRI    0x002
#define POLLOUT    0x004
#define POLLERR    0x008
#define POLLHUP    0x010
#define POLLNVAL   0x020
#define POLLRDNORM 0x040
#define POLLRDBAND 0x080
#define POLLWRNORM 0x100
#define POLLWRBAND 0x200
#define POLLRDHUP  0x2000

#define POLL_DEFAULT_MASK (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM)

/* Makes every poller re-check its files. Cheap when nobody polls;
 * callable from interrupt handlers. */
void poll_wake(void);

/* The events ready now on f (the vnode's poll, or POLL_DEFAULT_MASK).
 * Same context rules as the vnode operation. */
unsigned poll_file(struct file *f);

#endif
