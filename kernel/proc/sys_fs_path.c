/* System calls on files named by path: open, stat, access, links, attributes, getcwd. */
#include "dev/rtc.h"
#include "fs/vfs.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "proc/process.h"
#include "proc/sys_fs.h"
#include "proc/syscall.h"
#include "proc/uaccess.h"

#define AT_FDCWD            (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR        0x200
#define AT_EACCESS          0x200
#define AT_SYMLINK_FOLLOW   0x400
#define AT_NO_AUTOMOUNT     0x800
#define AT_EMPTY_PATH       0x1000
#define AT_STATX_SYNC_TYPE  0x6000

#define O_LARGEFILE 0100000 /* always set on 64-bit Linux; F_GETFL shows it */
#define O_TMPFILE   (020000000 | O_DIRECTORY)

#define UTIME_NOW  ((1l << 30) - 1)
#define UTIME_OMIT ((1l << 30) - 2)

/* struct stat of x86_64 Linux. */
struct linux_stat {
	uint64_t st_dev, st_ino, st_nlink;
	uint32_t st_mode, st_uid, st_gid, pad0;
	uint64_t st_rdev;
	int64_t st_size, st_blksize, st_blocks;
	int64_t st_atime;
	uint64_t st_atime_nsec;
	int64_t st_mtime;
	uint64_t st_mtime_nsec;
	int64_t st_ctime;
	uint64_t st_ctime_nsec;
	int64_t unused[3];
};
_Static_assert(sizeof(struct linux_stat) == 144, "struct stat is 144 bytes on x86_64");

struct statx_timestamp {
	int64_t tv_sec;
	uint32_t tv_nsec;
	int32_t reserved;
};

#define STATX_BASIC_STATS 0x7ffu
#define STATX_RESERVED    0x80000000u

struct linux_statx {
	uint32_t stx_mask, stx_blksize;
	uint64_t stx_attributes;
	uint32_t stx_nlink, stx_uid, stx_gid;
	uint16_t stx_mode, spare0;
	uint64_t stx_ino, stx_size, stx_blocks, stx_attributes_mask;
	struct statx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
	uint32_t stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
	uint64_t stx_mnt_id;
	uint32_t stx_dio_mem_align, stx_dio_offset_align;
	uint64_t spare3[12];
};
_Static_assert(sizeof(struct linux_statx) == 256, "struct statx is 256 bytes");

/* struct statfs of x86_64 Linux. */
struct linux_statfs {
	int64_t f_type, f_bsize;
	uint64_t f_blocks, f_bfree, f_bavail, f_files, f_ffree;
	int32_t f_fsid[2];
	int64_t f_namelen, f_frsize, f_flags, f_spare[4];
};
_Static_assert(sizeof(struct linux_statfs) == 120, "struct statfs is 120 bytes on x86_64");

#define EXT2_SUPER_MAGIC 0xef53
#define PROC_SUPER_MAGIC 0x9fa0
#define TMPFS_MAGIC      0x01021994
#define ST_RDONLY        1
#define ST_VALID         0x20

struct linux_timespec {
	int64_t tv_sec, tv_nsec;
};

struct linux_timeval {
	int64_t tv_sec, tv_usec;
};

/* ---- names and starting points ---------------------------------------------------- */

#define PATH_SHORT 256 /* most paths fit: a small object, not a PATH_MAX page run */

/*
 * Copies the user path upath into a new buffer (*out, to kfree). Returns 0,
 * -EFAULT, -ENAMETOOLONG (no NUL within VFS_PATH_MAX bytes, Linux's
 * PATH_MAX), or -ENOENT for "" unless empty_ok.
 */
static int path_get(const char *upath, bool empty_ok, char **out)
{
	char *path = kmalloc(PATH_SHORT);
	long n = strncpy_from_user(path, upath, PATH_SHORT);

	if (n == -ENAMETOOLONG) { /* a long path: again, with room for the longest */
		kfree(path);
		path = kmalloc(VFS_PATH_MAX + 1);
		n = strncpy_from_user(path, upath, VFS_PATH_MAX);
	}
	if (n < 0 || (n == 0 && !empty_ok)) {
		kfree(path);
		return n < 0 ? (int)n : -ENOENT;
	}
	*out = path;
	return 0;
}

/*
 * The vnode of descriptor fd (any file, O_PATH included; AT_FDCWD: the
 * cwd), referenced. Returns 0 or -EBADF.
 */
static int fd_vnode(struct process *p, int fd, struct vnode **out)
{
	struct file *f;

	if (fd == AT_FDCWD) {
		*out = p->cwd;
		vnode_get(*out);
		return 0;
	}
	f = fd_get(p->fds, fd);
	if (!f)
		return -EBADF;
	*out = f->vn;
	vnode_get(*out);
	file_put(f);
	return 0;
}

/*
 * Where path, given to an *at() call with dirfd, starts: dirfd's directory
 * for a relative path (-EBADF, -ENOTDIR), anything for an absolute one (the
 * VFS starts those at the root; dirfd is then ignored, as on Linux).
 */
static int start_dir(struct process *p, int dirfd, const char *path, struct vnode **out)
{
	int err;

	if (path[0] == '/')
		dirfd = AT_FDCWD;
	err = fd_vnode(p, dirfd, out);
	if (!err && !S_ISDIR((*out)->mode)) {
		vnode_put(*out);
		err = -ENOTDIR;
	}
	return err;
}

/* A user path copied in, with the directory it is relative to. */
struct at_path {
	char *path;
	struct vnode *at;
};

/* Copies upath in and finds its starting directory. Returns 0 (release
 * with at_path_put) or an errno. */
static int at_path_get(struct process *p, int dirfd, const char *upath, struct at_path *ap)
{
	int err = path_get(upath, false, &ap->path);

	if (err)
		return err;
	err = start_dir(p, dirfd, ap->path, &ap->at);
	if (err)
		kfree(ap->path);
	return err;
}

static void at_path_put(struct at_path *ap)
{
	vnode_put(ap->at);
	kfree(ap->path);
}

/*
 * The vnode dirfd + upath names, referenced, for the calls that take
 * AT_SYMLINK_NOFOLLOW and AT_EMPTY_PATH in at_flags (an empty or, with
 * AT_EMPTY_PATH, NULL path names dirfd's own file). cred does the search
 * checks. Returns 0 or an errno.
 */
static int lookup_at(struct process *p, int dirfd, const char *upath, unsigned at_flags,
		     const struct cred *cred, struct vnode **out)
{
	bool empty_ok = at_flags & AT_EMPTY_PATH;
	unsigned rflags = (at_flags & AT_SYMLINK_NOFOLLOW) ? RESOLVE_NOFOLLOW : 0;
	struct vnode *at;
	char *path = NULL;
	int err;

	if (!(empty_ok && !upath)) {
		err = path_get(upath, empty_ok, &path);
		if (err)
			return err;
	}
	if (!path || !path[0]) {
		err = fd_vnode(p, dirfd, out);
		goto out_free;
	}
	err = start_dir(p, dirfd, path, &at);
	if (err)
		goto out_free;
	err = vfs_resolve(p->root, at, path, rflags, cred, out, NULL);
	vnode_put(at);
out_free:
	kfree(path);
	return err;
}

/* The vnode of open file fd, referenced; O_PATH files only if path_ok. */
static int file_vnode(struct process *p, int fd, bool path_ok, struct vnode **out)
{
	struct file *f;
	int err = sys_get_file(p, fd, path_ok, &f);

	if (err)
		return err;
	*out = f->vn;
	vnode_get(*out);
	file_put(f);
	return 0;
}

/* ---- open ------------------------------------------------------------------------- */

/*
 * openat(): opens upath relative to dirfd and installs the file at the
 * lowest free descriptor. Returns the descriptor or a negative errno.
 */
static long do_openat(int dirfd, const char *upath, uint32_t flags, uint32_t mode)
{
	struct process *p = proc_current();
	struct at_path ap;
	struct file *f;
	int err;

	if ((flags & O_TMPFILE) == O_TMPFILE)
		return -EOPNOTSUPP;
	if (flags & O_PATH) /* the only flags O_PATH heeds */
		flags &= O_PATH | O_CLOEXEC | O_DIRECTORY | O_NOFOLLOW;
	err = at_path_get(p, dirfd, upath, &ap);
	if (err)
		return err;
	err = vfs_open(p->root, ap.at, ap.path, flags | O_LARGEFILE, mode & 07777, &p->cred, &f);
	at_path_put(&ap);
	if (err)
		return err;
	if ((flags & O_PATH) && (flags & O_DIRECTORY) && !S_ISDIR(f->vn->mode)) {
		file_put(f);
		return -ENOTDIR;
	}
	err = fd_install(p->fds, f, 0, flags & O_CLOEXEC);
	if (err < 0)
		file_put(f);
	return err;
}

SYSCALL(2, open)
{
	return do_openat(AT_FDCWD, (const char *)a0, (uint32_t)a1, (uint32_t)a2);
}

SYSCALL(257, openat)
{
	return do_openat((int)a0, (const char *)a1, (uint32_t)a2, (uint32_t)a3);
}

SYSCALL(85, creat)
{
	return do_openat(AT_FDCWD, (const char *)a0, O_CREAT | O_WRONLY | O_TRUNC, (uint32_t)a1);
}

/* ---- stat ------------------------------------------------------------------------- */

static int stat_to_user(struct vnode *vn, void *ubuf)
{
	struct linux_stat st;
	struct vattr va;
	int err = vfs_getattr(vn, &va);

	if (err)
		return err;
	st = (struct linux_stat){
		.st_dev = va.dev, .st_ino = va.ino, .st_nlink = va.nlink, .st_mode = va.mode,
		.st_uid = va.uid, .st_gid = va.gid, .st_rdev = va.rdev, .st_size = (int64_t)va.size,
		.st_blksize = va.blksize, .st_blocks = (int64_t)va.blocks,
		.st_atime = va.atime.sec, .st_atime_nsec = va.atime.nsec,
		.st_mtime = va.mtime.sec, .st_mtime_nsec = va.mtime.nsec,
		.st_ctime = va.ctime.sec, .st_ctime_nsec = va.ctime.nsec,
	};
	return copy_to_user(ubuf, &st, sizeof(st));
}

/* stat, lstat, newfstatat: flags AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH (AT_NO_AUTOMOUNT is moot). */
static long do_fstatat(int dirfd, const char *upath, void *ubuf, uint64_t flags)
{
	struct process *p = proc_current();
	struct vnode *vn;
	int err;

	if (flags & ~(uint64_t)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT))
		return -EINVAL;
	err = lookup_at(p, dirfd, upath, (unsigned)flags, &p->cred, &vn);
	if (err)
		return err;
	err = stat_to_user(vn, ubuf);
	vnode_put(vn);
	return err;
}

SYSCALL(4, stat)
{
	return do_fstatat(AT_FDCWD, (const char *)a0, (void *)a1, 0);
}

SYSCALL(6, lstat)
{
	return do_fstatat(AT_FDCWD, (const char *)a0, (void *)a1, AT_SYMLINK_NOFOLLOW);
}

SYSCALL(262, newfstatat)
{
	return do_fstatat((int)a0, (const char *)a1, (void *)a2, a3);
}

SYSCALL(5, fstat)
{
	struct vnode *vn;
	int err = file_vnode(proc_current(), (int)a0, true, &vn);

	if (err)
		return err;
	err = stat_to_user(vn, (void *)a1);
	vnode_put(vn);
	return err;
}

/* Linux's dev_t encoding: 12-bit major, 20-bit minor, split around each other. */
static uint32_t dev_major(uint64_t dev)
{
	return (uint32_t)(((dev >> 8) & 0xfff) | ((dev >> 32) & ~0xfffull));
}

static uint32_t dev_minor(uint64_t dev)
{
	return (uint32_t)((dev & 0xff) | ((dev >> 12) & ~0xffull));
}

static struct statx_timestamp statx_time(struct vtime t)
{
	return (struct statx_timestamp){ t.sec, t.nsec, 0 };
}

/* statx(dirfd, path, flags, mask, buf): the basic stats, whatever mask asks. */
SYSCALL(332, statx)
{
	struct process *p = proc_current();
	uint64_t flags = a2;
	struct linux_statx sx;
	struct vattr va;
	struct vnode *vn;
	int err;

	if ((flags & ~(uint64_t)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT |
				 AT_STATX_SYNC_TYPE)) ||
	    (flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE || (a3 & STATX_RESERVED))
		return -EINVAL;
	err = lookup_at(p, (int)a0, (const char *)a1, (unsigned)flags, &p->cred, &vn);
	if (err)
		return err;
	err = vfs_getattr(vn, &va);
	vnode_put(vn);
	if (err)
		return err;
	memset(&sx, 0, sizeof(sx));
	sx.stx_mask = STATX_BASIC_STATS;
	sx.stx_blksize = va.blksize;
	sx.stx_nlink = va.nlink;
	sx.stx_uid = va.uid;
	sx.stx_gid = va.gid;
	sx.stx_mode = (uint16_t)va.mode;
	sx.stx_ino = va.ino;
	sx.stx_size = va.size;
	sx.stx_blocks = va.blocks;
	sx.stx_atime = statx_time(va.atime);
	sx.stx_ctime = statx_time(va.ctime);
	sx.stx_mtime = statx_time(va.mtime);
	sx.stx_rdev_major = dev_major(va.rdev);
	sx.stx_rdev_minor = dev_minor(va.rdev);
	sx.stx_dev_major = dev_major(va.dev);
	sx.stx_dev_minor = dev_minor(va.dev);
	return copy_to_user((void *)a4, &sx, sizeof(sx));
}

/* ---- statfs ------------------------------------------------------------------------ */

static int64_t fs_magic(const struct mount *m)
{
	if (!strcmp(m->fstype, "ext2"))
		return EXT2_SUPER_MAGIC;
	if (!strcmp(m->fstype, "proc"))
		return PROC_SUPER_MAGIC;
	return TMPFS_MAGIC; /* devfs and other memory filesystems */
}

static int statfs_to_user(struct mount *m, void *ubuf)
{
	struct linux_statfs sf;
	uint64_t blocks = 0, free = 0;
	uint32_t bsize = 4096;

	if (m->statfs) {
		int err;

		mutex_lock(&m->lock);
		err = m->statfs(m, &blocks, &free, &bsize);
		mutex_unlock(&m->lock);
		if (err)
			return err;
	}
	sf = (struct linux_statfs){
		.f_type = fs_magic(m), .f_bsize = bsize, .f_blocks = blocks, .f_bfree = free,
		.f_bavail = free, .f_fsid = { (int32_t)m->dev, 0 }, .f_namelen = VFS_NAME_MAX,
		.f_frsize = bsize, .f_flags = ST_VALID | (m->read_only ? ST_RDONLY : 0),
	};
	return copy_to_user(ubuf, &sf, sizeof(sf));
}

SYSCALL(137, statfs)
{
	struct process *p = proc_current();
	struct vnode *vn;
	int err = lookup_at(p, AT_FDCWD, (const char *)a0, 0, &p->cred, &vn);

	if (err)
		return err;
	err = statfs_to_user(vn->mnt, (void *)a1);
	vnode_put(vn);
	return err;
}

SYSCALL(138, fstatfs)
{
	struct vnode *vn;
	int err = file_vnode(proc_current(), (int)a0, true, &vn);

	if (err)
		return err;
	err = statfs_to_user(vn->mnt, (void *)a1);
	vnode_put(vn);
	return err;
}

/* ---- access ------------------------------------------------------------------------ */

/* faccessat2: mode R_OK|W_OK|X_OK (= MAY_*) or F_OK 0; checked with the
 * real ids unless AT_EACCESS. */
static long do_faccessat(int dirfd, const char *upath, uint64_t mode, uint64_t flags)
{
	struct process *p = proc_current();
	struct cred cred = p->cred;
	struct vnode *vn;
	int err;

	if (mode & ~(uint64_t)7)
		return -EINVAL;
	if (flags & ~(uint64_t)(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if (!(flags & AT_EACCESS)) {
		cred.euid = cred.uid;
		cred.egid = cred.gid;
	}
	err = lookup_at(p, dirfd, upath, (unsigned)flags, &cred, &vn);
	if (err)
		return err;
	if ((mode & MAY_WRITE) && vn->mnt->read_only &&
	    (S_ISREG(vn->mode) || S_ISDIR(vn->mode) || S_ISLNK(vn->mode)))
		err = -EROFS;
	else if (mode)
		err = vfs_access(vn, &cred, (int)mode);
	vnode_put(vn);
	return err;
}

SYSCALL(21, access)
{
	return do_faccessat(AT_FDCWD, (const char *)a0, a1, 0);
}

SYSCALL(269, faccessat)
{
	return do_faccessat((int)a0, (const char *)a1, a2, 0);
}

SYSCALL(439, faccessat2)
{
	return do_faccessat((int)a0, (const char *)a1, a2, a3);
}

/* ---- current and root directory ----------------------------------------------------- */

/* Makes dir (referenced; the reference moves to *slot) the cwd or root if
 * it is a directory p may search. */
static int set_dir(struct process *p, struct vnode **slot, struct vnode *dir)
{
	int err = S_ISDIR(dir->mode) ? vfs_access(dir, &p->cred, MAY_EXEC) : -ENOTDIR;

	if (err) {
		vnode_put(dir);
		return err;
	}
	vnode_put(*slot);
	*slot = dir;
	return 0;
}

SYSCALL(80, chdir)
{
	struct process *p = proc_current();
	struct vnode *vn;
	int err = lookup_at(p, AT_FDCWD, (const char *)a0, 0, &p->cred, &vn);

	return err ? err : set_dir(p, &p->cwd, vn);
}

SYSCALL(81, fchdir)
{
	struct process *p = proc_current();
	struct vnode *vn;
	int err = file_vnode(p, (int)a0, true, &vn);

	return err ? err : set_dir(p, &p->cwd, vn);
}

SYSCALL(161, chroot)
{
	struct process *p = proc_current();
	struct vnode *vn;
	int err = lookup_at(p, AT_FDCWD, (const char *)a0, 0, &p->cred, &vn);

	if (err)
		return err;
	if (p->cred.euid != 0) {
		vnode_put(vn);
		return -EPERM;
	}
	return set_dir(p, &p->root, vn);
}

/*
 * Finds the name under which directory dir lists inode ino (not "." or
 * ".."), into name (VFS_NAME_MAX + 1 bytes). Returns its length, or
 * -ENOENT if no entry has that inode.
 */
static int name_in_dir(struct vnode *dir, uint64_t ino, char *name)
{
	enum { BUF = 2048, HEAD = 19 }; /* linux_dirent64: ino, off, reclen, type, name */
	uint8_t *buf = kmalloc(BUF);
	struct file *f;
	int found = -ENOENT;

	vnode_get(dir);
	f = file_alloc(dir, O_RDONLY | O_DIRECTORY);
	for (;;) {
		struct uio u = uio_kernel(buf, BUF);
		int64_t n = vfs_getdents64(f, &u);

		if (n <= 0) {
			found = n < 0 ? (int)n : -ENOENT;
			break;
		}
		for (int64_t pos = 0; pos < n && found < 0;) {
			uint64_t d_ino;
			uint16_t reclen;
			const char *d_name = (const char *)buf + pos + HEAD;
			size_t len;

			memcpy(&d_ino, buf + pos, sizeof(d_ino));
			memcpy(&reclen, buf + pos + 16, sizeof(reclen));
			if (reclen <= HEAD || pos + reclen > n)
				break; /* cannot happen: vfs_getdents64 writes whole records */
			len = strnlen(d_name, reclen - HEAD);
			if (d_ino == ino && strcmp(d_name, ".") && strcmp(d_name, "..") &&
			    len <= VFS_NAME_MAX) {
				memcpy(name, d_name, len);
				name[len] = 0;
				found = (int)len;
			}
			pos += reclen;
		}
		if (found >= 0)
			break;
	}
	file_put(f);
	kfree(buf);
	return found;
}

/*
 * Builds the path of p's cwd (as seen from p's root) at the end of buf
 * (size bytes): walks "..", crossing mount points upward, and looks each
 * directory up by inode number in its parent. Returns the offset in buf
 * where the NUL-terminated path starts, or -ENAMETOOLONG, -ENOENT (the cwd
 * was removed) or another errno.
 */
static int cwd_path(struct process *p, char *buf, size_t size)
{
	struct cred kernel_cred = { 0 }; /* getcwd needs no search permission */
	char *name = kmalloc(VFS_NAME_MAX + 1);
	struct vnode *cur = p->cwd, *parent;
	size_t pos = size - 1;
	int err = 0;

	buf[pos] = 0;
	vnode_get(cur);
	for (;;) {
		int len;

		while (cur != p->root && cur == cur->mnt->root && cur->mnt->covered) {
			parent = cur->mnt->covered;
			vnode_get(parent);
			vnode_put(cur);
			cur = parent;
		}
		if (cur == p->root || cur == cur->mnt->root)
			break; /* the top, or the global root when cwd is outside a chroot */
		err = vfs_resolve(p->root, cur, "..", 0, &kernel_cred, &parent, NULL);
		if (err)
			break;
		len = name_in_dir(parent, cur->ino, name);
		vnode_put(cur);
		cur = parent;
		if (len < 0) {
			err = len;
			break;
		}
		if ((size_t)len + 1 > pos) {
			err = -ENAMETOOLONG;
			break;
		}
		pos -= (size_t)len;
		memcpy(buf + pos, name, (size_t)len);
		buf[--pos] = '/';
	}
	vnode_put(cur);
	kfree(name);
	if (!err && pos == size - 1)
		buf[--pos] = '/';
	return err ? err : (int)pos;
}

/* getcwd(buf, size): the length copied, NUL included; -ERANGE if size is too small. */
SYSCALL(79, getcwd)
{
	char *buf = kmalloc(VFS_PATH_MAX);
	int start = cwd_path(proc_current(), buf, VFS_PATH_MAX);
	long len;

	if (start < 0) {
		kfree(buf);
		return start;
	}
	len = VFS_PATH_MAX - start;
	if (a1 < (uint64_t)len)
		len = -ERANGE;
	else if (copy_to_user((void *)a0, buf + start, (size_t)len))
		len = -EFAULT;
	kfree(buf);
	return len;
}

/* ---- creating and removing names ------------------------------------------------------ */

/* mknodat: regular files, FIFOs and sockets for anyone, devices for root. */
static long do_mknodat(int dirfd, const char *upath, uint32_t mode, uint32_t dev)
{
	struct process *p = proc_current();
	struct at_path ap;
	int err;

	switch (mode & S_IFMT) {
	case 0:
		mode |= S_IFREG;
		break;
	case S_IFREG:
	case S_IFIFO:
	case S_IFSOCK:
		break;
	case S_IFCHR:
	case S_IFBLK:
		if (p->cred.euid != 0)
			return -EPERM;
		break;
	case S_IFDIR:
		return -EPERM;
	default:
		return -EINVAL;
	}
	err = at_path_get(p, dirfd, upath, &ap);
	if (err)
		return err;
	err = vfs_mknod(p->root, ap.at, ap.path, mode & (S_IFMT | 07777), dev, &p->cred);
	at_path_put(&ap);
	return err;
}

SYSCALL(133, mknod)
{
	return do_mknodat(AT_FDCWD, (const char *)a0, (uint32_t)a1, (uint32_t)a2);
}

SYSCALL(259, mknodat)
{
	return do_mknodat((int)a0, (const char *)a1, (uint32_t)a2, (uint32_t)a3);
}

static long do_mkdirat(int dirfd, const char *upath, uint32_t mode)
{
	struct process *p = proc_current();
	struct at_path ap;
	int err = at_path_get(p, dirfd, upath, &ap);

	if (err)
		return err;
	err = vfs_mkdir(p->root, ap.at, ap.path, mode & 01777, &p->cred);
	at_path_put(&ap);
	return err;
}

SYSCALL(83, mkdir)
{
	return do_mkdirat(AT_FDCWD, (const char *)a0, (uint32_t)a1);
}

SYSCALL(258, mkdirat)
{
	return do_mkdirat((int)a0, (const char *)a1, (uint32_t)a2);
}

/* True if path's last component is "..". */
static bool ends_in_dotdot(const char *path)
{
	size_t n = strlen(path);

	while (n > 1 && path[n - 1] == '/')
		n--;
	return n >= 2 && path[n - 1] == '.' && path[n - 2] == '.' && (n == 2 || path[n - 3] == '/');
}

/* unlink / rmdir. The VFS refuses "." ".." and "/" as last components;
 * Linux says EISDIR for unlink, EINVAL / ENOTEMPTY / EBUSY for rmdir. */
static long do_unlinkat(int dirfd, const char *upath, bool dir)
{
	struct process *p = proc_current();
	struct at_path ap;
	int err = at_path_get(p, dirfd, upath, &ap);

	if (err)
		return err;
	err = vfs_unlink(p->root, ap.at, ap.path, dir, &p->cred);
	if (err == -EINVAL || (err == -EBUSY && !dir)) {
		if (!dir)
			err = -EISDIR;
		else if (ends_in_dotdot(ap.path))
			err = -ENOTEMPTY;
	}
	at_path_put(&ap);
	return err;
}

SYSCALL(87, unlink)
{
	return do_unlinkat(AT_FDCWD, (const char *)a0, false);
}

SYSCALL(84, rmdir)
{
	return do_unlinkat(AT_FDCWD, (const char *)a0, true);
}

SYSCALL(263, unlinkat)
{
	if (a2 & ~(uint64_t)AT_REMOVEDIR)
		return -EINVAL;
	return do_unlinkat((int)a0, (const char *)a1, a2 & AT_REMOVEDIR);
}

static long do_renameat2(int olddirfd, const char *uold, int newdirfd, const char *unew,
			 uint64_t flags)
{
	struct process *p = proc_current();
	struct at_path from, to;
	int err;

	if (flags)
		return -EINVAL; /* RENAME_NOREPLACE, RENAME_EXCHANGE, RENAME_WHITEOUT */
	err = at_path_get(p, olddirfd, uold, &from);
	if (err)
		return err;
	err = at_path_get(p, newdirfd, unew, &to);
	if (!err) {
		err = vfs_rename(p->root, from.at, from.path, to.at, to.path, &p->cred);
		at_path_put(&to);
	}
	at_path_put(&from);
	return err;
}

SYSCALL(82, rename)
{
	return do_renameat2(AT_FDCWD, (const char *)a0, AT_FDCWD, (const char *)a1, 0);
}

SYSCALL(264, renameat)
{
	return do_renameat2((int)a0, (const char *)a1, (int)a2, (const char *)a3, 0);
}

SYSCALL(316, renameat2)
{
	return do_renameat2((int)a0, (const char *)a1, (int)a2, (const char *)a3, a4);
}

/*
 * For linkat(AT_SYMLINK_FOLLOW): replaces *ap by what its symlinks, if
 * any, lead to (the target's path relative to the link's directory),
 * until it names something that is not a symlink. Returns 0 or an errno.
 */
static int follow_links(struct process *p, struct at_path *ap)
{
	char *target = kmalloc(VFS_PATH_MAX + 1);
	int err = 0;

	for (int links = 0;; links++) {
		struct vfs_last last;
		struct vnode *dir;
		int n = vfs_readlink(p->root, ap->at, ap->path, target, VFS_PATH_MAX, &p->cred);

		if (n == -EINVAL)
			break; /* not a symlink: done */
		if (n < 0 || links == VFS_SYMLINK_MAX) {
			err = n < 0 ? n : -ELOOP;
			break;
		}
		err = vfs_resolve(p->root, ap->at, ap->path, RESOLVE_PARENT, &p->cred, &dir, &last);
		if (err)
			break;
		target[n] = 0;
		vnode_put(ap->at);
		ap->at = dir;
		memcpy(ap->path, target, (size_t)n + 1);
	}
	kfree(target);
	return err;
}

/* linkat: AT_SYMLINK_FOLLOW is honoured; AT_EMPTY_PATH (root-only on
 * Linux) has no path to give the VFS, so an empty name stays -ENOENT. */
static long do_linkat(int olddirfd, const char *uold, int newdirfd, const char *unew,
		      uint64_t flags)
{
	struct process *p = proc_current();
	struct at_path from, to;
	int err;

	if (flags & ~(uint64_t)(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	err = at_path_get(p, olddirfd, uold, &from);
	if (err)
		return err;
	if (flags & AT_SYMLINK_FOLLOW)
		err = follow_links(p, &from);
	if (!err)
		err = at_path_get(p, newdirfd, unew, &to);
	if (!err) {
		err = vfs_link(p->root, from.at, from.path, to.at, to.path, &p->cred);
		at_path_put(&to);
	}
	at_path_put(&from);
	return err;
}

SYSCALL(86, link)
{
	return do_linkat(AT_FDCWD, (const char *)a0, AT_FDCWD, (const char *)a1, 0);
}

SYSCALL(265, linkat)
{
	return do_linkat((int)a0, (const char *)a1, (int)a2, (const char *)a3, a4);
}

static long do_symlinkat(const char *utarget, int dirfd, const char *upath)
{
	struct process *p = proc_current();
	struct at_path ap;
	char *target;
	int err = path_get(utarget, false, &target);

	if (err)
		return err;
	err = at_path_get(p, dirfd, upath, &ap);
	if (!err) {
		err = vfs_symlink(p->root, target, ap.at, ap.path, &p->cred);
		at_path_put(&ap);
	}
	kfree(target);
	return err;
}

SYSCALL(88, symlink)
{
	return do_symlinkat((const char *)a0, AT_FDCWD, (const char *)a1);
}

SYSCALL(266, symlinkat)
{
	return do_symlinkat((const char *)a0, (int)a1, (const char *)a2);
}

/* readlinkat: the target, not NUL-terminated, truncated to bufsiz; its length. */
static long do_readlinkat(int dirfd, const char *upath, void *ubuf, int bufsiz)
{
	struct process *p = proc_current();
	struct at_path ap;
	size_t size;
	char *buf;
	int n;

	if (bufsiz <= 0)
		return -EINVAL;
	n = at_path_get(p, dirfd, upath, &ap);
	if (n)
		return n;
	size = (size_t)bufsiz < VFS_PATH_MAX ? (size_t)bufsiz : VFS_PATH_MAX;
	buf = kmalloc(size);
	n = vfs_readlink(p->root, ap.at, ap.path, buf, size, &p->cred);
	if (n > 0 && copy_to_user(ubuf, buf, (size_t)n))
		n = -EFAULT;
	kfree(buf);
	at_path_put(&ap);
	return n;
}

SYSCALL(89, readlink)
{
	return do_readlinkat(AT_FDCWD, (const char *)a0, (void *)a1, (int)a2);
}

SYSCALL(267, readlinkat)
{
	return do_readlinkat((int)a0, (const char *)a1, (void *)a2, (int)a3);
}

/* ---- attributes ---------------------------------------------------------------------- */

/* chmod: owner or root. A non-root caller outside the file's group loses S_ISGID. */
static int change_mode(struct process *p, struct vnode *vn, uint32_t mode)
{
	struct vattr cur, va = { .mode = mode & 07777 };
	int err = vfs_getattr(vn, &cur);

	if (err)
		return err;
	if (p->cred.euid != 0 && !S_ISDIR(cur.mode) && cur.gid != p->cred.egid)
		va.mode &= ~(uint32_t)S_ISGID;
	return vfs_setattr(vn, &va, VA_MODE, &p->cred);
}

/*
 * chown: uid or gid (uint32_t)-1 stays. Giving a file away is root's; an
 * owner may only move it to its own group. Changing the owner of a
 * non-directory clears S_ISUID, and S_ISGID if group-executable.
 */
static int change_owner(struct process *p, struct vnode *vn, uint32_t uid, uint32_t gid)
{
	struct vattr cur, va = { .uid = uid, .gid = gid };
	unsigned mask = 0;
	int err = vfs_getattr(vn, &cur);

	if (err)
		return err;
	if (uid != (uint32_t)-1)
		mask |= VA_UID;
	if (gid != (uint32_t)-1)
		mask |= VA_GID;
	if ((mask & VA_GID) && p->cred.euid != 0 && gid != cur.gid && gid != p->cred.egid)
		return -EPERM;
	if (mask && !S_ISDIR(cur.mode) && (cur.mode & (S_ISUID | S_ISGID))) {
		va.mode = cur.mode & 07777 & ~(uint32_t)S_ISUID;
		if (cur.mode & 010)
			va.mode &= ~(uint32_t)S_ISGID;
		if (va.mode != (cur.mode & 07777))
			mask |= VA_MODE;
	}
	return vfs_setattr(vn, &va, mask, &p->cred);
}

SYSCALL(90, chmod)
{
	struct process *p = proc_current();
	struct vnode *vn;
	int err = lookup_at(p, AT_FDCWD, (const char *)a0, 0, &p->cred, &vn);

	if (err)
		return err;
	err = change_mode(p, vn, (uint32_t)a1);
	vnode_put(vn);
	return err;
}

SYSCALL(268, fchmodat)
{
	struct process *p = proc_current();
	struct vnode *vn;
	int err = lookup_at(p, (int)a0, (const char *)a1, 0, &p->cred, &vn);

	if (err)
		return err;
	err = change_mode(p, vn, (uint32_t)a2);
	vnode_put(vn);
	return err;
}

SYSCALL(91, fchmod)
{
	struct process *p = proc_current();
	struct vnode *vn;
	int err = file_vnode(p, (int)a0, false, &vn);

	if (err)
		return err;
	err = change_mode(p, vn, (uint32_t)a1);
	vnode_put(vn);
	return err;
}

static long do_fchownat(int dirfd, const char *upath, uint32_t uid, uint32_t gid, uint64_t flags)
{
	struct process *p = proc_current();
	struct vnode *vn;
	int err;

	if (flags & ~(uint64_t)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	err = lookup_at(p, dirfd, upath, (unsigned)flags, &p->cred, &vn);
	if (err)
		return err;
	err = change_owner(p, vn, uid, gid);
	vnode_put(vn);
	return err;
}

SYSCALL(92, chown)
{
	return do_fchownat(AT_FDCWD, (const char *)a0, (uint32_t)a1, (uint32_t)a2, 0);
}

SYSCALL(94, lchown)
{
	return do_fchownat(AT_FDCWD, (const char *)a0, (uint32_t)a1, (uint32_t)a2,
			   AT_SYMLINK_NOFOLLOW);
}

SYSCALL(260, fchownat)
{
	return do_fchownat((int)a0, (const char *)a1, (uint32_t)a2, (uint32_t)a3, a4);
}

SYSCALL(93, fchown)
{
	struct process *p = proc_current();
	struct vnode *vn;
	int err = file_vnode(p, (int)a0, false, &vn);

	if (err)
		return err;
	err = change_owner(p, vn, (uint32_t)a1, (uint32_t)a2);
	vnode_put(vn);
	return err;
}

SYSCALL(95, umask)
{
	struct process *p = proc_current();
	uint32_t old = p->cred.umask;

	p->cred.umask = (uint32_t)a0 & 0777;
	return old;
}

/* truncate(path, length): write permission on a regular file. */
SYSCALL(76, truncate)
{
	struct process *p = proc_current();
	struct vattr va = { .size = a1 };
	struct vnode *vn;
	int err;

	if ((int64_t)a1 < 0)
		return -EINVAL;
	err = lookup_at(p, AT_FDCWD, (const char *)a0, 0, &p->cred, &vn);
	if (err)
		return err;
	err = vfs_setattr(vn, &va, VA_SIZE, &p->cred);
	vnode_put(vn);
	return err;
}

/* ---- times --------------------------------------------------------------------------- */

/*
 * Sets vn's atime/mtime: times NULL means both now. Explicit times need
 * the owner (or root), else -EPERM; "now" for both also suits a writer
 * (write permission, or for a descriptor an open for writing), else
 * -EACCES. fd_writable: -1 for a path, else whether the fd may write.
 */
static int set_times(struct process *p, struct vnode *vn, const struct linux_timespec *times,
		     int fd_writable)
{
	struct vtime now = rtc_now();
	struct vattr cur, va = { .atime = now, .mtime = now };
	unsigned mask = VA_ATIME | VA_MTIME;
	bool only_now = true;
	int err = vfs_getattr(vn, &cur);

	if (err)
		return err;
	for (int i = 0; times && i < 2; i++) {
		struct vtime *t = i == 0 ? &va.atime : &va.mtime;

		if (times[i].tv_nsec == UTIME_OMIT) {
			mask &= ~(i == 0 ? VA_ATIME : VA_MTIME);
		} else if (times[i].tv_nsec != UTIME_NOW) {
			*t = (struct vtime){ times[i].tv_sec, (uint32_t)times[i].tv_nsec };
			only_now = false;
		}
	}
	if (p->cred.euid != 0 && p->cred.euid != cur.uid) {
		if (!only_now)
			return -EPERM;
		if (fd_writable >= 0 ? !fd_writable : vfs_access(vn, &p->cred, MAY_WRITE) != 0)
			return -EACCES;
	}
	/* The checks above are Linux's; vfs_setattr's own are as wide, so run it as root. */
	return vfs_setattr(vn, &va, mask, &(struct cred){ 0 });
}

/*
 * utimensat(dirfd, path, times, flags). A NULL path means dirfd's file
 * itself (futimens). Returns 0 or an errno.
 */
static long do_utimensat(int dirfd, const char *upath, const struct linux_timespec *times,
			 uint64_t flags)
{
	struct process *p = proc_current();
	struct vnode *vn;
	int fd_writable = -1, err;

	if (flags & ~(uint64_t)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	for (int i = 0; times && i < 2; i++)
		if (times[i].tv_nsec != UTIME_NOW && times[i].tv_nsec != UTIME_OMIT &&
		    (times[i].tv_nsec < 0 || times[i].tv_nsec >= 1000000000))
			return -EINVAL;
	if (!upath && dirfd != AT_FDCWD) {
		struct file *f;

		if (flags & AT_SYMLINK_NOFOLLOW)
			return -EINVAL;
		f = fd_get(p->fds, dirfd);
		if (!f)
			return -EBADF;
		vn = f->vn;
		vnode_get(vn);
		fd_writable = (f->flags & O_ACCMODE) != O_RDONLY && !(f->flags & O_PATH);
		file_put(f);
	} else {
		err = lookup_at(p, dirfd, upath, (unsigned)flags, &p->cred, &vn);
		if (err)
			return err;
	}
	err = set_times(p, vn, times, fd_writable);
	vnode_put(vn);
	return err;
}

SYSCALL(280, utimensat)
{
	struct linux_timespec ts[2];

	if (a2) {
		if (copy_from_user(ts, (const void *)a2, sizeof(ts)))
			return -EFAULT;
		if (ts[0].tv_nsec == UTIME_OMIT && ts[1].tv_nsec == UTIME_OMIT)
			return 0; /* nothing to do: the path is not even looked at */
	}
	return do_utimensat((int)a0, (const char *)a1, a2 ? ts : NULL, a3);
}

/* utimes(path, timeval[2]) and utime(path, {actime, modtime}): the old forms. */
SYSCALL(235, utimes)
{
	struct linux_timeval tv[2];
	struct linux_timespec ts[2];

	if (!a1)
		return do_utimensat(AT_FDCWD, (const char *)a0, NULL, 0);
	if (copy_from_user(tv, (const void *)a1, sizeof(tv)))
		return -EFAULT;
	for (int i = 0; i < 2; i++) {
		if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1000000)
			return -EINVAL;
		ts[i] = (struct linux_timespec){ tv[i].tv_sec, tv[i].tv_usec * 1000 };
	}
	return do_utimensat(AT_FDCWD, (const char *)a0, ts, 0);
}

SYSCALL(132, utime)
{
	int64_t t[2];
	struct linux_timespec ts[2];

	if (!a1)
		return do_utimensat(AT_FDCWD, (const char *)a0, NULL, 0);
	if (copy_from_user(t, (const void *)a1, sizeof(t)))
		return -EFAULT;
	ts[0] = (struct linux_timespec){ t[0], 0 };
	ts[1] = (struct linux_timespec){ t[1], 0 };
	return do_utimensat(AT_FDCWD, (const char *)a0, ts, 0);
}
