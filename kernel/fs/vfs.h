/* The virtual filesystem: vnodes, open files, mounts, path resolution. */
#ifndef FS_VFS_H
#define FS_VFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/list.h"
#include "sched/mutex.h"
#include "sched/spinlock.h"

/*
 * The pieces, bottom up:
 *  - a filesystem (ext2, devfs, procfs) is mounted as a struct mount and
 *    exposes its files as vnodes through struct vnode_ops;
 *  - a vnode is one file in memory: at most one per (mount, inode number),
 *    found through the vnode cache, reference counted (vnode_get/put);
 *  - the name cache (fs/namecache.h) remembers what directory lookups
 *    answered, positive and negative, so a walk seldom asks the filesystem;
 *  - vfs_resolve() turns a path into a vnode: absolute or relative to a
 *    directory, ".", "..", mount points both ways, symlinks (at most
 *    VFS_SYMLINK_MAX), trailing slashes;
 *  - a struct file is one open(): a vnode, an offset and flags, shared by
 *    dup() and fork(); a struct fdtable maps descriptors to files.
 * Every file operation of one mount runs under that mount's mutex, except
 * read and write (see struct vnode_ops).
 *
 * Types, flags and error numbers are Linux's: they cross to user space.
 */

#define VFS_NAME_MAX    255
#define VFS_PATH_MAX    4096
#define VFS_SYMLINK_MAX 40

#define S_IFMT   0170000
#define S_IFSOCK 0140000
#define S_IFLNK  0120000
#define S_IFREG  0100000
#define S_IFBLK  0060000
#define S_IFDIR  0040000
#define S_IFCHR  0020000
#define S_IFIFO  0010000
#define S_ISUID  04000
#define S_ISGID  02000
#define S_ISVTX  01000
#define S_ISDIR(m) (((m) & S_IFMT) == S_IFDIR)
#define S_ISREG(m) (((m) & S_IFMT) == S_IFREG)
#define S_ISLNK(m) (((m) & S_IFMT) == S_IFLNK)
#define S_ISCHR(m) (((m) & S_IFMT) == S_IFCHR)
#define S_ISBLK(m) (((m) & S_IFMT) == S_IFBLK)
#define S_ISFIFO(m) (((m) & S_IFMT) == S_IFIFO)
#define S_ISSOCK(m) (((m) & S_IFMT) == S_IFSOCK)

#define O_ACCMODE   03
#define O_RDONLY    00
#define O_WRONLY    01
#define O_RDWR      02
#define O_CREAT     0100
#define O_EXCL      0200
#define O_NOCTTY    0400
#define O_TRUNC     01000
#define O_APPEND    02000
#define O_NONBLOCK  04000
#define O_DIRECTORY 0200000
#define O_NOFOLLOW  0400000
#define O_CLOEXEC   02000000
#define O_PATH      010000000

/* Access checks (vfs_access). */
#define MAY_EXEC  1
#define MAY_WRITE 2
#define MAY_READ  4

/* DT_* types of directory entries. */
#define DT_UNKNOWN 0
#define DT_FIFO    1
#define DT_CHR     2
#define DT_DIR     4
#define DT_BLK     6
#define DT_REG     8
#define DT_LNK     10
#define DT_SOCK    12

struct vnode;
struct file;
struct mount;

/* Who is asking: permission checks use these (uid 0 bypasses them). */
struct cred {
	uint32_t uid, gid, euid, egid;
	uint32_t umask;
};

struct vtime {
	int64_t sec;
	uint32_t nsec;
};

/* What stat() reports. */
struct vattr {
	uint64_t dev, ino, rdev, size, blocks; /* blocks: 512-byte units */
	uint32_t mode, nlink, uid, gid, blksize;
	struct vtime atime, mtime, ctime;
};

/* setattr: which fields of a vattr to change. */
#define VA_MODE  1u
#define VA_UID   2u
#define VA_GID   4u
#define VA_SIZE  8u
#define VA_ATIME 16u
#define VA_MTIME 32u

/*
 * A buffer being read into or written from, in the kernel or in user
 * memory; uio_move() copies and advances it (user copies may fail with
 * -EFAULT, so file operations must pass that error up).
 */
struct uio {
	uint8_t *ptr;
	size_t resid;
	bool user;
};

static inline struct uio uio_kernel(void *p, size_t n)
{
	return (struct uio){ (uint8_t *)p, n, false };
}

/* Copies n bytes between kbuf and the uio (to_uio: kbuf -> uio, i.e. a read).
 * Returns 0 or -EFAULT; advances the uio by n on success. */
int uio_move(struct uio *u, void *kbuf, size_t n, bool to_uio);

struct vfs_dirent {
	uint64_t ino;
	uint8_t type; /* DT_* */
	uint16_t name_len;
	char name[VFS_NAME_MAX + 1];
};

/* Fills *out for a filesystem's readdir: name is NUL-terminated and at
 * most VFS_NAME_MAX bytes. */
void vfs_dirent_set(struct vfs_dirent *out, uint64_t ino, uint8_t type, const char *name);

/*
 * What a filesystem implements. Unneeded operations are NULL (the VFS
 * answers -EPERM, -ENOTDIR, -EINVAL ... as Linux would). Directory
 * operations get the parent vnode and a name without '/' (lookup may get
 * ".." from the VFS; the others never get "." or ".."),
 * 1..VFS_NAME_MAX bytes, without '/'. Returned vnodes carry a reference.
 * All return 0 or a negative errno; read/write return a byte count.
 * Every operation runs under the mount's mutex except read and write,
 * which must serialise themselves: their user copies may fault on pages
 * of files, whose reading must not wait for the mutex.
 */
struct vnode_ops {
	int (*lookup)(struct vnode *dir, const char *name, size_t len, struct vnode **out);
	int (*getattr)(struct vnode *vn, struct vattr *out);
	int (*setattr)(struct vnode *vn, const struct vattr *va, unsigned mask);
	int64_t (*read)(struct vnode *vn, struct file *f, uint64_t off, struct uio *u);
	int64_t (*write)(struct vnode *vn, struct file *f, uint64_t off, struct uio *u);
	/* One entry per call: 1 with *out filled, 0 at the end. */
	int (*readdir)(struct vnode *dir, uint64_t *cookie, struct vfs_dirent *out);
	int (*create)(struct vnode *dir, const char *name, size_t len, uint32_t mode, uint64_t rdev,
		      const struct cred *cred, struct vnode **out);
	int (*symlink)(struct vnode *dir, const char *name, size_t len, const char *target,
		       const struct cred *cred);
	int (*readlink)(struct vnode *vn, char *buf, size_t size); /* length, not terminated */
	int (*link)(struct vnode *dir, const char *name, size_t len, struct vnode *target);
	int (*unlink)(struct vnode *dir, const char *name, size_t len);
	int (*rmdir)(struct vnode *dir, const char *name, size_t len);
	int (*rename)(struct vnode *olddir, const char *oldname, size_t oldlen,
		      struct vnode *newdir, const char *newname, size_t newlen);
	/* Devices: per-open set-up, ioctl, and the last close. */
	int (*open)(struct vnode *vn, struct file *f);
	int (*ioctl)(struct vnode *vn, struct file *f, unsigned long cmd, unsigned long arg);
	/* The POLL* events ready now on f; NULL: always ready (fs/poll.h). */
	unsigned (*poll)(struct vnode *vn, struct file *f);
	void (*release)(struct vnode *vn, struct file *f);
	/* The last reference went away: free what `data` holds. */
	void (*inactive)(struct vnode *vn);
};

struct vnode {
	const struct vnode_ops *ops;
	struct mount *mnt;
	uint64_t ino;
	uint32_t mode;          /* type bits at least; fs may keep it current */
	uint32_t refcount;      /* vnode_cache_lock */
	struct mount *mounted;  /* a filesystem mounted on this directory */
	void *data;             /* the filesystem's */
	struct list_node cache_node;
	struct list_node names; /* name-cache entries in this directory (namecache.c) */
};

/* A mounted filesystem. */
struct mount {
	const char *fstype;     /* "ext2", "devfs", "proc" */
	char source[32];        /* shown in /proc/mounts */
	char path[64];          /* where it is mounted, for /proc/mounts */
	struct vnode *root;     /* its root directory */
	struct vnode *covered;  /* the directory it hides (NULL for /) */
	struct mutex lock;      /* serialises operations of this filesystem */
	uint32_t dev;           /* st_dev of its files */
	bool read_only;
	/* Set by a filesystem whose names change only through the VFS's
	 * directory operations: the name cache may then keep its lookups. */
	bool cache_names;
	void *data;             /* the filesystem's */
	int (*sync)(struct mount *m);
	int (*statfs)(struct mount *m, uint64_t *blocks, uint64_t *free, uint32_t *bsize);
	struct list_node node;  /* all mounts, mount_lock */
};

/* An open file. */
struct file {
	struct vnode *vn;
	uint64_t offset;        /* lock */
	uint32_t flags;         /* O_ACCMODE, O_APPEND, O_NONBLOCK ... */
	uint32_t refcount;      /* atomic */
	struct mutex lock;      /* offset and the fs-private per-open state */
	void *data;             /* per-open state of a device or pipe */
};

/* ---- vnodes ------------------------------------------------------------ */

/* The cached vnode of (mnt, ino) with a new reference, or NULL. */
struct vnode *vnode_cache_find(struct mount *mnt, uint64_t ino);
/* A new vnode in the cache (refcount 1); the caller fills in data. If one
 * for (mnt, ino) appeared meanwhile, that one is returned instead and
 * *created is false. */
struct vnode *vnode_cache_insert(struct mount *mnt, uint64_t ino, uint32_t mode,
				 const struct vnode_ops *ops, bool *created);
void vnode_get(struct vnode *vn);
void vnode_put(struct vnode *vn);

/* Permission check against vattr-style mode/uid/gid: 0, -EACCES or getattr's error.
 * Root passes without its attributes being read, unless it asks to execute a file. */
int vfs_access(struct vnode *vn, const struct cred *cred, int may);

/* ---- mounts ------------------------------------------------------------ */

/* Registers a filesystem whose root vnode is root at `path` (an existing
 * directory; "/" for the first). Returns 0 or -ENOENT/-ENOTDIR/-EBUSY. */
int vfs_mount(struct mount *m, const char *path);
struct vnode *vfs_root(void); /* with a new reference */
/* Writes every mount's dirty data out. Returns the first error. */
int vfs_sync_all(void);
/* Calls fn for each mount, in mount order. */
void vfs_for_each_mount(void (*fn)(struct mount *m, void *ctx), void *ctx);

/* ---- paths ------------------------------------------------------------- */

#define RESOLVE_NOFOLLOW 1u /* do not follow a symlink in the last component */
#define RESOLVE_PARENT   2u /* stop at the parent; *last gets the final name */
#define RESOLVE_DIR      4u /* the result must be a directory */

/* The result of a RESOLVE_PARENT resolution. */
struct vfs_last {
	char name[VFS_NAME_MAX + 1];
	size_t len;
	bool trailing_slash; /* the path ended in '/' */
};

/*
 * Resolves path from `at` (used for relative paths) and `root` (what "/"
 * and ".." at the top mean). Returns 0 with *out referenced, or -ENOENT,
 * -ENOTDIR, -ELOOP, -ENAMETOOLONG, -EACCES (search permission), -EFAULT...
 * With RESOLVE_PARENT, *out is the parent directory and *last the final
 * component ("." and ".." as last components give -EINVAL, "/" -EBUSY).
 */
int vfs_resolve(struct vnode *root, struct vnode *at, const char *path, unsigned flags,
		const struct cred *cred, struct vnode **out, struct vfs_last *last);

/* ---- files ------------------------------------------------------------- */

/* Opens path with O_* flags (O_CREAT uses mode & ~umask). */
int vfs_open(struct vnode *root, struct vnode *at, const char *path, uint32_t flags,
	     uint32_t mode, const struct cred *cred, struct file **out);
/* A file on a vnode that has no path (pipes, sockets); takes vn's reference. */
struct file *file_alloc(struct vnode *vn, uint32_t flags);
void file_get(struct file *f);
void file_put(struct file *f);

int64_t vfs_read(struct file *f, struct uio *u);           /* at the file offset */
int64_t vfs_write(struct file *f, struct uio *u);
int64_t vfs_pread(struct file *f, uint64_t off, struct uio *u);
int64_t vfs_pwrite(struct file *f, uint64_t off, struct uio *u);
int64_t vfs_lseek(struct file *f, int64_t off, int whence);
int vfs_getattr(struct vnode *vn, struct vattr *out);
int vfs_setattr(struct vnode *vn, const struct vattr *va, unsigned mask, const struct cred *cred);
int vfs_truncate_file(struct file *f, uint64_t size);
/* Fills buf with Linux struct linux_dirent64 records; returns bytes. */
int64_t vfs_getdents64(struct file *f, struct uio *u);
int vfs_ioctl(struct file *f, unsigned long cmd, unsigned long arg);

/* Path operations (relative to at, like the *at() system calls). */
int vfs_mknod(struct vnode *root, struct vnode *at, const char *path, uint32_t mode, uint64_t rdev,
	      const struct cred *cred);
int vfs_mkdir(struct vnode *root, struct vnode *at, const char *path, uint32_t mode,
	      const struct cred *cred);
int vfs_unlink(struct vnode *root, struct vnode *at, const char *path, bool dir,
	       const struct cred *cred);
int vfs_rename(struct vnode *root, struct vnode *olddir_at, const char *oldpath,
	       struct vnode *newdir_at, const char *newpath, const struct cred *cred);
int vfs_link(struct vnode *root, struct vnode *old_at, const char *oldpath, struct vnode *new_at,
	     const char *newpath, const struct cred *cred);
int vfs_symlink(struct vnode *root, const char *target, struct vnode *at, const char *path,
		const struct cred *cred);
int vfs_readlink(struct vnode *root, struct vnode *at, const char *path, char *buf, size_t size,
		 const struct cred *cred);

/* ---- descriptor tables -------------------------------------------------- */

#define FD_MAX 1024

struct fdtable {
	struct spinlock lock; /* files, cloexec */
	struct file *files[FD_MAX];
	uint64_t cloexec[FD_MAX / 64];
	uint32_t refcount;    /* processes sharing it (CLONE_FILES) */
};

struct fdtable *fdtable_create(void);
/* A copy for fork(): every file gains a reference. */
struct fdtable *fdtable_clone(struct fdtable *t);
void fdtable_put(struct fdtable *t);
/* Installs f at the lowest free descriptor >= min; -EMFILE if none. Takes
 * the caller's reference to f on success. */
int fd_install(struct fdtable *t, struct file *f, int min, bool cloexec);
/* The file at fd with a new reference, or NULL. */
struct file *fd_get(struct fdtable *t, int fd);
int fd_close(struct fdtable *t, int fd);
/* dup2/dup3 semantics: newfd replaced atomically. */
int fd_dup_to(struct fdtable *t, int oldfd, int newfd, bool cloexec);
int fd_get_cloexec(struct fdtable *t, int fd);
int fd_set_cloexec(struct fdtable *t, int fd, bool on);
/* execve: closes every close-on-exec descriptor. */
void fdtable_close_on_exec(struct fdtable *t);

#endif
