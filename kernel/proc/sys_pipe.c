/* The pipe system calls. */
#include "fs/pipe.h"
#include "lib/errno.h"
#include "proc/process.h"
#include "proc/syscall.h"
#include "proc/uaccess.h"

static long do_pipe(uint64_t ufds, uint64_t flags)
{
	struct process *p = proc_current();
	struct file *r, *w;
	int fds[2];

	if (flags & ~(uint64_t)(O_CLOEXEC | O_NONBLOCK))
		return -EINVAL;
	pipe_create((uint32_t)flags, &r, &w);
	fds[0] = fd_install(p->fds, r, 0, flags & O_CLOEXEC);
	if (fds[0] < 0) {
		file_put(r);
		file_put(w);
		return fds[0];
	}
	fds[1] = fd_install(p->fds, w, 0, flags & O_CLOEXEC);
	if (fds[1] < 0) {
		fd_close(p->fds, fds[0]);
		file_put(w);
		return fds[1];
	}
	if (copy_to_user((void *)ufds, fds, sizeof(fds))) {
		fd_close(p->fds, fds[0]);
		fd_close(p->fds, fds[1]);
		return -EFAULT;
	}
	return 0;
}

SYSCALL(22, pipe)
{
	return do_pipe(a0, 0);
}

SYSCALL(293, pipe2)
{
	return do_pipe(a0, a1);
}
