/* System calls on open files: read and write, seek, vectors, descriptors, fcntl, sync. */
#include "fs/vfs.h"
#include "lib/errno.h"
#include "mm/kmalloc.h"
#include "proc/process.h"
#include "proc/signal.h"
#include "proc/sys_fs.h"
#include "proc/syscall.h"
#include "proc/uaccess.h"
#include "shared/pte.h"

/* The calls that name a file by path (open, stat, access, mkdir, rename,
 * getcwd ...) live in sys_fs_path.c; this file holds those on descriptors. */

#define MAX_RW_COUNT 0x7ffff000ul /* Linux caps one read or write at this */
#define IOV_MAX      1024

#define SEEK_SET  0
#define SEEK_DATA 3
#define SEEK_HOLE 4

#define F_DUPFD         0
#define F_GETFD         1
#define F_SETFD         2
#define F_GETFL         3
#define F_SETFL         4
#define F_DUPFD_CLOEXEC 1030
#define FD_CLOEXEC      1

/* Generic ioctls Linux answers before the driver sees them. */
#define FIONCLEX 0x5450
#define FIOCLEX  0x5451
#define FIONBIO  0x5421

struct iovec_user {
	uint64_t base;
	uint64_t len;
};

int sys_get_file(struct process *p, int fd, bool path_ok, struct file **out)
{
	struct file *f = fd_get(p->fds, fd);

	if (!f)
		return -EBADF;
	if ((f->flags & O_PATH) && !path_ok) {
		file_put(f);
		return -EBADF;
	}
	*out = f;
	return 0;
}

/* Whether f was opened for writing (write) or reading (!write). */
static bool file_allows(const struct file *f, bool write)
{
	uint32_t acc = f->flags & O_ACCMODE;

	if (f->flags & O_PATH)
		return false;
	return write ? acc != O_RDONLY : acc != O_WRONLY;
}

/* ---- close ------------------------------------------------------------------ */

SYSCALL(3, close)
{
	return fd_close(proc_current()->fds, (int)a0);
}

/*
 * sendfile: up to count bytes from in_fd to out_fd through a kernel
 * buffer, without a trip through user memory. in_fd must be readable at
 * an offset (a file, not a pipe or socket: -EINVAL, as Linux before 5.12):
 * at *offset, which is advanced, when offset is given, otherwise at in_fd's
 * own offset. out_fd may be anything writable except O_APPEND (-EINVAL).
 * Stops at a short read (end of file, or what a terminal had), a short
 * write or a pending signal; returns the bytes written, or the error if
 * none were.
 */
#define SENDFILE_CHUNK (32 * 1024)

static int64_t send_chunks(struct file *in, struct file *out, int64_t *pos, uint64_t count)
{
	uint8_t *buf = kmalloc(SENDFILE_CHUNK);
	uint64_t done = 0;
	int64_t n = 0;

	while (done < count) {
		size_t ru_len = count - done < SENDFILE_CHUNK ? count - done : SENDFILE_CHUNK;
		struct uio ru = uio_kernel(buf, ru_len);
		struct uio wu;
		int64_t w;

		n = vfs_pread(in, (uint64_t)*pos, &ru);
		if (n <= 0)
			break;
		wu = uio_kernel(buf, (size_t)n);
		w = vfs_write(out, &wu);

		if (w <= 0) {
			n = w;
			break;
		}
		*pos += w;
		done += (uint64_t)w;
		/* a short read is the end of a file, or all a terminal or device
		 * had: reading on would wait, and swallow an end of file */
		if (w < n || (uint64_t)n < ru_len || signal_pending(proc_current()))
			break;
	}
	kfree(buf);
	return done ? (int64_t)done : n;
}

SYSCALL(40, sendfile)
{
	struct process *p = proc_current();
	struct file *in = NULL, *out = NULL;
	uint64_t count = a3 < MAX_RW_COUNT ? a3 : MAX_RW_COUNT;
	int64_t pos = 0, n = sys_get_file(p, (int)a1, false, &in);

	if (!n)
		n = sys_get_file(p, (int)a0, false, &out);
	if (!n && (!file_allows(in, false) || !file_allows(out, true)))
		n = -EBADF;
	else if (!n && (S_ISFIFO(in->vn->mode) || S_ISSOCK(in->vn->mode) || S_ISDIR(in->vn->mode) ||
			(out->flags & O_APPEND)))
		n = -EINVAL;
	else if (!n && a2 && copy_from_user(&pos, (const void *)a2, sizeof(pos)))
		n = -EFAULT;
	else if (!n && pos < 0)
		n = -EINVAL;
	if (!n) {
		if (!a2)
			pos = (int64_t)__atomic_load_n(&in->offset, __ATOMIC_RELAXED);
		if ((uint64_t)pos > INT64_MAX - count) /* Linux: what fits below the largest offset */
			count = INT64_MAX - (uint64_t)pos;
		n = !count && a3 ? -EOVERFLOW : send_chunks(in, out, &pos, count);
		if (n > 0 && !a2)
			__atomic_store_n(&in->offset, (uint64_t)pos, __ATOMIC_RELAXED);
		if (n > 0 && a2 && copy_to_user((void *)a2, &pos, sizeof(pos)))
			n = -EFAULT;
	}
	if (in)
		file_put(in);
	if (out)
		file_put(out);
	return n;
}

/* ---- reading and writing -------------------------------------------------------- */

/*
 * One read or write of len bytes between f and user memory at ubuf (a
 * range already checked to be in user space), at the file offset (off <
 * 0) or at off. The VFS copies straight to or from user memory, with no
 * lock held that a fault on a file-backed page would need. Returns the
 * bytes moved, or an errno if nothing moved.
 */
static int64_t move_user(struct file *f, uint64_t ubuf, size_t len, int64_t off, bool write)
{
	struct uio u = { (uint8_t *)ubuf, len, true };

	if (off < 0)
		return write ? vfs_write(f, &u) : vfs_read(f, &u);
	return write ? vfs_pwrite(f, (uint64_t)off, &u) : vfs_pread(f, (uint64_t)off, &u);
}

/*
 * read/write/pread64/pwrite64: count bytes between fd and user memory at
 * ubuf, at the file offset (off < 0) or at off. Returns the bytes moved.
 */
static long rw_user(int fd, uint64_t ubuf, uint64_t count, int64_t off, bool write)
{
	struct file *f;
	long n;
	int err = sys_get_file(proc_current(), fd, false, &f);

	if (err)
		return err;
	if (!file_allows(f, write))
		n = -EBADF;
	else if (off >= 0 && (S_ISFIFO(f->vn->mode) || S_ISSOCK(f->vn->mode)))
		n = -ESPIPE;
	else if (!user_range_ok((void *)ubuf, count))
		n = -EFAULT;
	else
		n = move_user(f, ubuf, count < MAX_RW_COUNT ? count : MAX_RW_COUNT, off, write);
	file_put(f);
	return n;
}

SYSCALL(0, read)
{
	return rw_user((int)a0, a1, a2, -1, false);
}

SYSCALL(1, write)
{
	return rw_user((int)a0, a1, a2, -1, true);
}

SYSCALL(17, pread64)
{
	if ((int64_t)a3 < 0)
		return -EINVAL;
	return rw_user((int)a0, a1, a2, (int64_t)a3, false);
}

SYSCALL(18, pwrite64)
{
	if ((int64_t)a3 < 0)
		return -EINVAL;
	return rw_user((int)a0, a1, a2, (int64_t)a3, true);
}

/*
 * Copies in and checks iovcnt iovecs at uiov: each length at most
 * SSIZE_MAX (-EINVAL) and inside user space (-EFAULT); lengths past a total
 * of MAX_RW_COUNT are cut. Returns 0 with *out to kfree, or an errno.
 */
static int iovecs_get(uint64_t uiov, uint64_t iovcnt, struct iovec_user **out)
{
	struct iovec_user *iov;
	uint64_t total = 0;
	int err;

	if (iovcnt > IOV_MAX)
		return -EINVAL;
	iov = kmalloc_array(iovcnt, sizeof(*iov));
	err = copy_from_user(iov, (const void *)uiov, iovcnt * sizeof(*iov));
	for (uint64_t i = 0; i < iovcnt && !err; i++) {
		if ((int64_t)iov[i].len < 0)
			err = -EINVAL;
		else if (!user_range_ok((void *)iov[i].base, iov[i].len))
			err = -EFAULT;
		if (iov[i].len > MAX_RW_COUNT - total)
			iov[i].len = MAX_RW_COUNT - total;
		total += iov[i].len;
	}
	if (err) {
		kfree(iov);
		return err;
	}
	*out = iov;
	return 0;
}

/*
 * readv/writev/preadv/pwritev: the iovecs in turn, at the file offset
 * (off < 0) or from off. Stops at the first short transfer; an error after
 * some progress returns the progress. Returns bytes moved or an errno.
 */
static long rw_vector(int fd, uint64_t uiov, uint64_t iovcnt, int64_t off, bool write)
{
	struct iovec_user *iov;
	struct file *f;
	long done = 0;
	int err = sys_get_file(proc_current(), fd, false, &f);

	if (err)
		return err;
	err = iovecs_get(uiov, iovcnt, &iov);
	if (err)
		goto out_put;
	if (!file_allows(f, write))
		err = -EBADF;
	else if (off >= 0 && (S_ISFIFO(f->vn->mode) || S_ISSOCK(f->vn->mode)))
		err = -ESPIPE;
	for (uint64_t i = 0; i < iovcnt && !err; i++) {
		int64_t n;

		if (iov[i].len == 0)
			continue;
		n = move_user(f, iov[i].base, iov[i].len, off < 0 ? off : off + done, write);
		if (n < 0) {
			err = done ? 0 : (int)n;
			break;
		}
		done += n;
		if ((uint64_t)n < iov[i].len)
			break;
	}
	kfree(iov);
out_put:
	file_put(f);
	return err ? err : done;
}

SYSCALL(19, readv)
{
	return rw_vector((int)a0, a1, a2, -1, false);
}

SYSCALL(20, writev)
{
	return rw_vector((int)a0, a1, a2, -1, true);
}

/* preadv/pwritev: on x86_64 the offset is a3 whole (a4, its "high half", is ignored). */
SYSCALL(295, preadv)
{
	if ((int64_t)a3 < 0)
		return -EINVAL;
	return rw_vector((int)a0, a1, a2, (int64_t)a3, false);
}

SYSCALL(296, pwritev)
{
	if ((int64_t)a3 < 0)
		return -EINVAL;
	return rw_vector((int)a0, a1, a2, (int64_t)a3, true);
}

/*
 * SEEK_DATA / SEEK_HOLE on a regular file without holes: the data is
 * [0, size), the only hole starts at size. Returns the new offset.
 */
static int64_t seek_data_hole(struct file *f, int64_t off, int whence)
{
	struct vattr va;
	int err;

	if (!S_ISREG(f->vn->mode))
		return -EINVAL;
	err = vfs_getattr(f->vn, &va);
	if (err)
		return err;
	if (off < 0 || (uint64_t)off >= va.size)
		return -ENXIO;
	return vfs_lseek(f, whence == SEEK_DATA ? off : (int64_t)va.size, SEEK_SET);
}

SYSCALL(8, lseek)
{
	struct file *f;
	int whence = (int)a2;
	int64_t pos;
	int err = sys_get_file(proc_current(), (int)a0, false, &f);

	if (err)
		return err;
	if (whence == SEEK_DATA || whence == SEEK_HOLE)
		pos = seek_data_hole(f, (int64_t)a1, whence);
	else
		pos = vfs_lseek(f, (int64_t)a1, whence);
	file_put(f);
	return pos;
}

/* getdents64(fd, dirp, count): directory entries as struct linux_dirent64. */
SYSCALL(217, getdents64)
{
	struct uio u = { (uint8_t *)a1, (size_t)(uint32_t)a2, true };
	struct file *f;
	long n;
	int err = sys_get_file(proc_current(), (int)a0, false, &f);

	if (err)
		return err;
	if (!user_range_ok(u.ptr, u.resid))
		n = -EFAULT;
	else
		n = vfs_getdents64(f, &u);
	file_put(f);
	return n;
}

/* ---- control -------------------------------------------------------------------- */

/* Sets or clears O_NONBLOCK and O_APPEND (the flags F_SETFL may change). */
static void set_status_flags(struct file *f, uint32_t flags)
{
	const uint32_t changeable = O_APPEND | O_NONBLOCK;

	mutex_lock(&f->lock);
	f->flags = (f->flags & ~changeable) | (flags & changeable);
	mutex_unlock(&f->lock);
}

SYSCALL(16, ioctl)
{
	struct process *p = proc_current();
	uint32_t cmd = (uint32_t)a1;
	struct file *f;
	int on, err = sys_get_file(p, (int)a0, false, &f);

	if (err)
		return err;
	switch (cmd) {
	case FIOCLEX:
	case FIONCLEX:
		err = fd_set_cloexec(p->fds, (int)a0, cmd == FIOCLEX);
		break;
	case FIONBIO:
		err = copy_from_user(&on, (const void *)a2, sizeof(on));
		if (!err)
			set_status_flags(f, on ? (f->flags | O_NONBLOCK) : (f->flags & ~O_NONBLOCK));
		break;
	default:
		err = vfs_ioctl(f, cmd, a2);
		break;
	}
	file_put(f);
	return err;
}

/* F_DUPFD / F_DUPFD_CLOEXEC: f at the lowest free descriptor >= min. */
static long dup_from(struct process *p, struct file *f, uint64_t min, bool cloexec)
{
	int fd;

	if (min >= FD_MAX)
		return -EINVAL;
	file_get(f);
	fd = fd_install(p->fds, f, (int)min, cloexec);
	if (fd < 0)
		file_put(f);
	return fd;
}

SYSCALL(72, fcntl)
{
	struct process *p = proc_current();
	int fd = (int)a0, cmd = (int)a1;
	struct file *f;
	long r;
	int err = sys_get_file(p, fd, true, &f);

	if (err)
		return err;
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		r = dup_from(p, f, a2, cmd == F_DUPFD_CLOEXEC);
		break;
	case F_GETFD:
		r = fd_get_cloexec(p->fds, fd);
		r = r > 0 ? FD_CLOEXEC : r;
		break;
	case F_SETFD:
		r = fd_set_cloexec(p->fds, fd, a2 & FD_CLOEXEC);
		break;
	case F_GETFL:
		r = f->flags;
		break;
	case F_SETFL:
		r = 0;
		if (f->flags & O_PATH)
			r = -EBADF;
		else
			set_status_flags(f, (uint32_t)a2);
		break;
	default:
		r = -EINVAL;
		break;
	}
	file_put(f);
	return r;
}

SYSCALL(32, dup)
{
	struct process *p = proc_current();
	struct file *f;
	long r;
	int err = sys_get_file(p, (int)a0, true, &f);

	if (err)
		return err;
	r = dup_from(p, f, 0, false);
	file_put(f);
	return r;
}

SYSCALL(33, dup2)
{
	struct process *p = proc_current();
	int oldfd = (int)a0, newfd = (int)a1;

	if (oldfd == newfd)
		return fd_get_cloexec(p->fds, oldfd) < 0 ? -EBADF : newfd;
	return fd_dup_to(p->fds, oldfd, newfd, false);
}

SYSCALL(292, dup3)
{
	int oldfd = (int)a0, newfd = (int)a1;

	if ((a2 & ~(uint64_t)O_CLOEXEC) || oldfd == newfd)
		return -EINVAL;
	return fd_dup_to(proc_current()->fds, oldfd, newfd, a2 & O_CLOEXEC);
}

/* ---- size and sync -------------------------------------------------------------- */

SYSCALL(77, ftruncate)
{
	struct file *f;
	long r;
	int err;

	if ((int64_t)a1 < 0)
		return -EINVAL;
	err = sys_get_file(proc_current(), (int)a0, false, &f);
	if (err)
		return err;
	if (!S_ISREG(f->vn->mode) || !file_allows(f, true))
		r = -EINVAL;
	else
		r = vfs_truncate_file(f, a1);
	file_put(f);
	return r;
}

/*
 * fsync/fdatasync: writes every mount's dirty data out (there is no
 * per-file write-back yet). Files that hold no data on disk (devices,
 * pipes) answer -EINVAL as on Linux.
 */
static long sync_fd(int fd)
{
	struct file *f;
	uint32_t type;
	int err = sys_get_file(proc_current(), fd, false, &f);

	if (err)
		return err;
	type = f->vn->mode & S_IFMT;
	file_put(f);
	if (type != S_IFREG && type != S_IFDIR && type != S_IFBLK)
		return -EINVAL;
	return vfs_sync_all();
}

SYSCALL(74, fsync)
{
	return sync_fd((int)a0);
}

SYSCALL(75, fdatasync)
{
	return sync_fd((int)a0);
}

SYSCALL(162, sync)
{
	vfs_sync_all(); /* sync(2) cannot fail */
	return 0;
}

SYSCALL(306, syncfs)
{
	struct file *f;
	int err = sys_get_file(proc_current(), (int)a0, true, &f);

	if (err)
		return err;
	file_put(f);
	return vfs_sync_all();
}
