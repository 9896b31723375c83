/* /dev/failframes: fault injection for tests (root only), like Linux's
 * fail-nth. Writing N (>= 1) makes the Nth user frame allocation (user
 * memory, user page tables) of the writer's next system call, and every
 * one after it in that call, fail with -ENOMEM; 0 or "off" cancels. Other
 * processes (a forked child running meanwhile) are not affected. */
#include "dev/failframes.h"
#include "fs/devfs.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "log.h"
#include "mm/pmm.h"
#include "proc/process.h"

static int64_t ff_write(struct vnode *vn, struct file *f, uint64_t off, struct uio *u)
{
	char buf[24] = { 0 };
	size_t n = u->resid < sizeof(buf) - 1 ? u->resid : sizeof(buf) - 1;
	uint64_t value = 0;
	bool digits = false;

	if (uio_move(u, buf, n, false))
		return -EFAULT;
	if (buf[0] == 'o' && buf[1] == 'f' && buf[2] == 'f') {
		proc_current()->fail_nth = 0;
		return (int64_t)n;
	}
	for (size_t i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; i++) {
		value = value * 10 + (uint64_t)(buf[i] - '0');
		digits = true;
	}
	if (!digits || value > 1000000)
		return -EINVAL;
	proc_current()->fail_nth = (uint32_t)value;
	return (int64_t)n;
}

static int64_t ff_read(struct vnode *vn, struct file *f, uint64_t off, struct uio *u)
{
	char buf[24];
	int len = ksnprintf(buf, sizeof(buf), "%u\n", proc_current()->fail_nth);
	size_t n;

	if (off >= (uint64_t)len)
		return 0;
	n = (size_t)len - off < u->resid ? (size_t)len - off : u->resid;
	return uio_move(u, buf + off, n, true) ? -EFAULT : (int64_t)n;
}

static const struct vnode_ops failframes_ops = { .read = ff_read, .write = ff_write };

void failframes_init(void)
{
	int err = devfs_register("failframes", S_IFCHR | 0600, (10u << 8) | 240, &failframes_ops, NULL);

	if (err)
		log_warn("failframes", "cannot register /dev/failframes: %s", errno_name(err));
}
