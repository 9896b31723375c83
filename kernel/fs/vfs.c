/* The virtual filesystem: vnodes, mounts, path resolution, open files. */
#include "fs/vfs.h"
#include "fs/namecache.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "log.h"
#include "mm/kmalloc.h"
#include "panic.h"
#include "proc/uaccess.h"

#define VNODE_BUCKETS 256

/* vnode_cache_lock protects the buckets and every vnode's refcount. */
static struct spinlock vnode_cache_lock = SPINLOCK_INIT("vnode-cache");
static struct list_node buckets[VNODE_BUCKETS];
static bool buckets_ready;

/* mount_lock protects the mount list and vnode->mounted. */
static struct spinlock mount_lock = SPINLOCK_INIT("mounts");
static struct list_node mounts = LIST_INIT(mounts);
static struct vnode *root_vnode;
static uint32_t next_dev = 1;

int uio_move(struct uio *u, void *kbuf, size_t n, bool to_uio)
{
	int err = 0;

	if (n > u->resid)
		panic("uio_move: %zu bytes into a %zu-byte buffer", n, u->resid);
	if (!u->user)
		memcpy(to_uio ? (void *)u->ptr : kbuf, to_uio ? kbuf : (void *)u->ptr, n);
	else if (to_uio)
		err = copy_to_user(u->ptr, kbuf, n);
	else
		err = copy_from_user(kbuf, u->ptr, n);
	if (err)
		return err;
	u->ptr += n;
	u->resid -= n;
	return 0;
}

/* ---- vnodes ------------------------------------------------------------ */

static struct list_node *bucket(struct mount *mnt, uint64_t ino)
{
	if (!buckets_ready) {
		for (int i = 0; i < VNODE_BUCKETS; i++)
			list_init(&buckets[i]);
		buckets_ready = true;
	}
	return &buckets[((uintptr_t)mnt / 64 + ino * 2654435761u) % VNODE_BUCKETS];
}

static struct vnode *find_locked(struct mount *mnt, uint64_t ino)
{
	struct vnode *vn;

	list_for_each_entry(vn, bucket(mnt, ino), cache_node)
		if (vn->mnt == mnt && vn->ino == ino) {
			vn->refcount++;
			return vn;
		}
	return NULL;
}

struct vnode *vnode_cache_find(struct mount *mnt, uint64_t ino)
{
	struct vnode *vn;

	spin_lock(&vnode_cache_lock);
	vn = find_locked(mnt, ino);
	spin_unlock(&vnode_cache_lock);
	return vn;
}

struct vnode *vnode_cache_insert(struct mount *mnt, uint64_t ino, uint32_t mode,
				 const struct vnode_ops *ops, bool *created)
{
	struct vnode *fresh = kzalloc(sizeof(*fresh)), *vn;

	fresh->mnt = mnt;
	fresh->ino = ino;
	fresh->mode = mode;
	fresh->ops = ops;
	fresh->refcount = 1;
	list_init(&fresh->names);
	spin_lock(&vnode_cache_lock);
	vn = find_locked(mnt, ino);
	if (!vn)
		list_push_back(bucket(mnt, ino), &fresh->cache_node);
	spin_unlock(&vnode_cache_lock);
	if (created)
		*created = vn == NULL;
	if (vn) {
		kfree(fresh);
		return vn;
	}
	return fresh;
}

void vnode_get(struct vnode *vn)
{
	spin_lock(&vnode_cache_lock);
	vn->refcount++;
	spin_unlock(&vnode_cache_lock);
}

void vnode_put(struct vnode *vn)
{
	bool last;

	if (!vn)
		return;
	spin_lock(&vnode_cache_lock);
	if (vn->refcount == 0)
		panic("vnode_put: vnode %lu of %s has no reference", (unsigned long)vn->ino,
		      vn->mnt ? vn->mnt->fstype : "?");
	last = --vn->refcount == 0;
	if (last)
		list_remove(&vn->cache_node);
	spin_unlock(&vnode_cache_lock);
	if (!last)
		return;
	if (!list_empty(&vn->names)) /* entries hold a reference to their directory */
		panic("vnode_put: directory %lu of %s dies with name-cache entries",
		      (unsigned long)vn->ino, vn->mnt->fstype);
	if (vn->ops->inactive) {
		mutex_lock(&vn->mnt->lock);
		vn->ops->inactive(vn);
		mutex_unlock(&vn->mnt->lock);
	}
	kfree(vn);
}

int vfs_getattr(struct vnode *vn, struct vattr *out)
{
	int err;

	memset(out, 0, sizeof(*out));
	if (!vn->ops->getattr) {
		out->mode = vn->mode;
		out->ino = vn->ino;
		out->nlink = 1;
		out->dev = vn->mnt->dev;
		out->blksize = 4096;
		return 0;
	}
	mutex_lock(&vn->mnt->lock);
	err = vn->ops->getattr(vn, out);
	mutex_unlock(&vn->mnt->lock);
	out->dev = vn->mnt->dev;
	out->ino = vn->ino;
	return err;
}

int vfs_access(struct vnode *vn, const struct cred *cred, int may)
{
	struct vattr va;
	uint32_t bits;
	int err;

	/* Root may do anything but execute a file nobody may execute: only
	 * that needs the attributes. */
	if (cred->euid == 0 && (!(may & MAY_EXEC) || S_ISDIR(vn->mode)))
		return 0;
	err = vfs_getattr(vn, &va);
	if (err)
		return err;
	if (cred->euid == 0)
		return va.mode & 0111 ? 0 : -EACCES;
	if (cred->euid == va.uid)
		bits = (va.mode >> 6) & 7;
	else if (cred->egid == va.gid)
		bits = (va.mode >> 3) & 7;
	else
		bits = va.mode & 7;
	return (bits & (uint32_t)may) == (uint32_t)may ? 0 : -EACCES;
}

/* ---- mounts ------------------------------------------------------------ */

/* Copies a string, truncating it to size - 1 bytes and terminating it. */
static void copy_name(char *dst, const char *src, size_t size)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = 0;
}

struct vnode *vfs_root(void)
{
	if (root_vnode)
		vnode_get(root_vnode);
	return root_vnode;
}

int vfs_mount(struct mount *m, const char *path)
{
	struct vnode *dir = NULL;
	struct cred root_cred = { 0 };
	int err = 0;

	mutex_init(&m->lock, m->fstype);
	if (!root_vnode) {
		if (strcmp(path, "/"))
			return -ENOENT;
	} else {
		err = vfs_resolve(root_vnode, root_vnode, path, RESOLVE_DIR, &root_cred, &dir, NULL);
		if (err)
			return err;
	}
	spin_lock(&mount_lock);
	if (dir && dir->mounted) {
		spin_unlock(&mount_lock);
		vnode_put(dir);
		return -EBUSY;
	}
	m->dev = next_dev++;
	m->covered = dir; /* keeps the reference */
	if (dir)
		dir->mounted = m;
	else
		root_vnode = m->root;
	copy_name(m->path, path, sizeof(m->path));
	list_push_back(&mounts, &m->node);
	spin_unlock(&mount_lock);
	log_info("vfs", "mounted %s (%s) on %s%s", m->source, m->fstype, path,
		 m->read_only ? " read-only" : "");
	return 0;
}

void vfs_for_each_mount(void (*fn)(struct mount *m, void *ctx), void *ctx)
{
	struct mount *m;

	list_for_each_entry(m, &mounts, node) /* mounts are never removed */
		fn(m, ctx);
}

int vfs_sync_all(void)
{
	struct mount *m;
	int first = 0;

	list_for_each_entry(m, &mounts, node) {
		int err = 0;

		if (!m->sync)
			continue;
		mutex_lock(&m->lock);
		err = m->sync(m);
		mutex_unlock(&m->lock);
		if (err && !first)
			first = err;
	}
	return first;
}

/* ---- path resolution ------------------------------------------------------ */

/* Replaces *cur by what is mounted on it, repeatedly. */
static void cross_mounts_down(struct vnode **cur)
{
	while ((*cur)->mounted) {
		struct vnode *next = (*cur)->mounted->root;

		vnode_get(next);
		vnode_put(*cur);
		*cur = next;
	}
}

/* One step of lookup in directory dir (a referenced vnode): from the name
 * cache, else from the filesystem, whose answer the cache then keeps. */
static int lookup_child(struct vnode *dir, const char *name, size_t len, struct vnode **out)
{
	int err;

	if (!dir->ops->lookup)
		return -ENOTDIR;
	switch (namecache_lookup(dir, name, len, out)) {
	case NAMECACHE_HIT:
		return 0;
	case NAMECACHE_NEGATIVE:
		return -ENOENT;
	case NAMECACHE_MISS:
		break;
	}
	mutex_lock(&dir->mnt->lock);
	err = dir->ops->lookup(dir, name, len, out);
	if (err == 0 || err == -ENOENT)
		namecache_enter(dir, name, len, err ? NULL : *out);
	mutex_unlock(&dir->mnt->lock);
	namecache_reap();
	return err;
}

/*
 * The name cache's side of a change of name in dir, made under the mount
 * lock (held) with result err: the name now is vn, or, without vn or after
 * a failure, whatever the filesystem says next time.
 */
static void name_changed(struct vnode *dir, const char *name, size_t len, int err,
			 struct vnode *vn)
{
	if (!err && vn)
		namecache_enter(dir, name, len, vn);
	else
		namecache_remove(dir, name, len);
}

/* ".." from cur, which is not the process root: climbs out of mounts. */
static int lookup_dotdot(struct vnode *root, struct vnode **cur)
{
	struct vnode *parent;
	int err;

	while (*cur != root && *cur == (*cur)->mnt->root && (*cur)->mnt->covered) {
		struct vnode *covered = (*cur)->mnt->covered;

		vnode_get(covered);
		vnode_put(*cur);
		*cur = covered;
	}
	if (*cur == root)
		return 0;
	err = lookup_child(*cur, "..", 2, &parent);
	if (err)
		return err;
	vnode_put(*cur);
	*cur = parent;
	return 0;
}

static int read_symlink(struct vnode *vn, char *buf, size_t size)
{
	int n;

	if (!vn->ops->readlink)
		return -EINVAL;
	mutex_lock(&vn->mnt->lock);
	n = vn->ops->readlink(vn, buf, size);
	mutex_unlock(&vn->mnt->lock);
	if (n >= 0 && (size_t)n >= size)
		return -ENAMETOOLONG;
	return n;
}

/*
 * A walk reads the caller's path in place until it meets a symlink. Then
 * the rest of the path, *p, becomes "target/rest" (only "target" when bare:
 * the link was the last component, without a trailing slash), built in
 * *buf (VFS_PATH_MAX + 1 bytes, allocated at the walk's first symlink): the
 * rest at the end, the target read in front of it. Returns 0, -ENOENT (an
 * empty target), -ENAMETOOLONG (no room) or readlink's error.
 */
static int follow_link(struct vnode *link, bool bare, char **buf, const char **p)
{
	size_t rest = strlen(*p), room;
	char *start;
	int n;

	if (rest + 2 > VFS_PATH_MAX) /* not even a one-byte target fits */
		return -ENAMETOOLONG;
	if (!*buf)
		*buf = kmalloc(VFS_PATH_MAX + 1);
	room = VFS_PATH_MAX - 1 - rest; /* bytes before "/rest" */
	memmove(*buf + room + 1, *p, rest + 1);
	n = read_symlink(link, *buf, room + 1); /* may write the '/' slot, *buf + room */
	if (n < 0)
		return n;
	if (n == 0)
		return -ENOENT;
	start = *buf + room - n;
	memmove(start, *buf, (size_t)n);
	(*buf)[room] = bare && rest == 0 ? '\0' : '/';
	*p = start;
	return 0;
}

int vfs_resolve(struct vnode *root, struct vnode *at, const char *path, unsigned flags,
		const struct cred *cred, struct vnode **out, struct vfs_last *last)
{
	size_t plen = strnlen(path, VFS_PATH_MAX + 1);
	char *buf = NULL; /* for symlinks: see follow_link */
	const char *p = path;
	struct vnode *cur;
	int links = 0, err = 0;

	if (plen == 0)
		return -ENOENT;
	if (plen > VFS_PATH_MAX)
		return -ENAMETOOLONG;
	cur = *p == '/' ? root : at;
	vnode_get(cur);

	for (;;) {
		const char *name;
		size_t len;
		bool is_last, slash_after;
		struct vnode *child;

		while (*p == '/')
			p++;
		if (!*p) { /* the path was "/" (or only slashes after a symlink) */
			if (flags & RESOLVE_PARENT)
				err = -EBUSY;
			break;
		}
		name = p;
		while (*p && *p != '/')
			p++;
		len = (size_t)(p - name);
		slash_after = *p == '/';
		while (*p == '/')
			p++;
		is_last = !*p;
		if (len > VFS_NAME_MAX) {
			err = -ENAMETOOLONG;
			break;
		}
		if (!S_ISDIR(cur->mode)) {
			err = -ENOTDIR;
			break;
		}
		err = vfs_access(cur, cred, MAY_EXEC);
		if (err)
			break;
		if (is_last && (flags & RESOLVE_PARENT)) {
			if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.')) {
				err = -EINVAL;
				break;
			}
			memcpy(last->name, name, len);
			last->name[len] = 0;
			last->len = len;
			last->trailing_slash = slash_after;
			break;
		}
		if (len == 1 && name[0] == '.')
			goto next;
		if (len == 2 && name[0] == '.' && name[1] == '.') {
			err = lookup_dotdot(root, &cur);
			if (err)
				break;
			goto next;
		}
		err = lookup_child(cur, name, len, &child);
		if (err)
			break;
		cross_mounts_down(&child);
		if (S_ISLNK(child->mode) && (!is_last || slash_after || !(flags & RESOLVE_NOFOLLOW))) {
			err = ++links > VFS_SYMLINK_MAX
				      ? -ELOOP
				      : follow_link(child, is_last && !slash_after, &buf, &p);
			vnode_put(child);
			if (err)
				break;
			if (*p == '/') {
				vnode_put(cur);
				cur = root;
				vnode_get(cur);
			}
			continue;
		}
		vnode_put(cur);
		cur = child;
next:
		if (is_last && (slash_after || (flags & RESOLVE_DIR)) && !S_ISDIR(cur->mode)) {
			err = -ENOTDIR;
			break;
		}
		if (is_last)
			break;
	}
	kfree(buf);
	if (err) {
		vnode_put(cur);
		return err;
	}
	if ((flags & RESOLVE_DIR) && !(flags & RESOLVE_PARENT) && !S_ISDIR(cur->mode)) {
		vnode_put(cur);
		return -ENOTDIR;
	}
	*out = cur;
	return 0;
}

/* ---- open files ------------------------------------------------------------ */

struct file *file_alloc(struct vnode *vn, uint32_t flags)
{
	struct file *f = kzalloc(sizeof(*f));

	f->vn = vn;
	f->flags = flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY | O_CLOEXEC);
	f->refcount = 1;
	mutex_init(&f->lock, "file");
	return f;
}

void file_get(struct file *f)
{
	__atomic_add_fetch(&f->refcount, 1, __ATOMIC_RELAXED);
}

void file_put(struct file *f)
{
	if (!f || __atomic_sub_fetch(&f->refcount, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	if (f->vn->ops->release)
		f->vn->ops->release(f->vn, f);
	vnode_put(f->vn);
	kfree(f);
}

static bool file_readable(const struct file *f)
{
	return (f->flags & O_ACCMODE) != O_WRONLY && !(f->flags & O_PATH);
}

static bool file_writable(const struct file *f)
{
	return (f->flags & O_ACCMODE) != O_RDONLY && !(f->flags & O_PATH);
}

/* Creates last in dir through the filesystem (mode: type and permissions
 * as given) and tells the name cache. Returns 0 with *out referenced, or an errno. */
static int create_child(struct vnode *dir, const struct vfs_last *last, uint32_t mode,
			uint64_t rdev, const struct cred *cred, struct vnode **out)
{
	int err;

	mutex_lock(&dir->mnt->lock);
	err = dir->ops->create(dir, last->name, last->len, mode, rdev, cred, out);
	name_changed(dir, last->name, last->len, err, err ? NULL : *out);
	mutex_unlock(&dir->mnt->lock);
	namecache_reap();
	return err;
}

/* Looks up (or creates, for O_CREAT) the last component for vfs_open. */
static int open_or_create(struct vnode *root, struct vnode *at, const char *path, uint32_t flags,
			  uint32_t mode, const struct cred *cred, struct vnode **out)
{
	struct vfs_last last;
	struct vnode *dir, *vn = NULL;
	int err;

	if (!(flags & O_CREAT))
		return vfs_resolve(root, at, path, (flags & O_NOFOLLOW) ? RESOLVE_NOFOLLOW : 0, cred,
				   out, NULL);
	err = vfs_resolve(root, at, path, RESOLVE_PARENT, cred, &dir, &last);
	if (err == -EINVAL || err == -EBUSY) /* "." ".." "/" : directories that exist */
		return -EISDIR;
	if (err)
		return err;
	if (last.trailing_slash) {
		vnode_put(dir);
		return -EISDIR;
	}
	err = lookup_child(dir, last.name, last.len, &vn);
	if (err == 0) {
		vnode_put(dir);
		if (flags & O_EXCL) {
			vnode_put(vn);
			return -EEXIST;
		}
		cross_mounts_down(&vn);
		if (S_ISLNK(vn->mode)) { /* follow it, the long way */
			vnode_put(vn);
			if (flags & O_NOFOLLOW)
				return -ELOOP;
			return vfs_resolve(root, at, path, 0, cred, out, NULL);
		}
		*out = vn;
		return 0;
	}
	if (err != -ENOENT) {
		vnode_put(dir);
		return err;
	}
	err = vfs_access(dir, cred, MAY_WRITE | MAY_EXEC);
	if (!err && (dir->mnt->read_only || !dir->ops->create))
		err = dir->mnt->read_only ? -EROFS : -EACCES;
	if (!err)
		err = create_child(dir, &last, S_IFREG | (mode & ~cred->umask & 07777), 0, cred, out);
	vnode_put(dir);
	return err;
}

int vfs_open(struct vnode *root, struct vnode *at, const char *path, uint32_t flags,
	     uint32_t mode, const struct cred *cred, struct file **out)
{
	struct vnode *vn;
	struct file *f;
	int may = 0, err = open_or_create(root, at, path, flags, mode, cred, &vn);

	if (err)
		return err;
	if (flags & O_PATH)
		goto make_file;
	if (S_ISLNK(vn->mode)) {
		err = -ELOOP; /* O_NOFOLLOW on a symlink */
		goto out_put;
	}
	if ((flags & O_DIRECTORY) && !S_ISDIR(vn->mode)) {
		err = -ENOTDIR;
		goto out_put;
	}
	if (S_ISDIR(vn->mode) && ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC))) {
		err = -EISDIR;
		goto out_put;
	}
	if ((flags & O_ACCMODE) != O_WRONLY)
		may |= MAY_READ;
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC))
		may |= MAY_WRITE;
	err = vfs_access(vn, cred, may);
	if (!err && (may & MAY_WRITE) && vn->mnt->read_only && (S_ISREG(vn->mode) || S_ISDIR(vn->mode)))
		err = -EROFS;
	if (err)
		goto out_put;
	if ((flags & O_TRUNC) && S_ISREG(vn->mode)) {
		struct vattr va = { .size = 0 };

		err = vfs_setattr(vn, &va, VA_SIZE, cred);
		if (err)
			goto out_put;
	}
make_file:
	f = file_alloc(vn, flags);
	if (!(flags & O_PATH) && vn->ops->open) {
		err = vn->ops->open(vn, f);
		if (err) {
			f->vn = NULL;
			kfree(f);
			goto out_put;
		}
	}
	*out = f;
	return 0;
out_put:
	vnode_put(vn);
	return err;
}

static int64_t rw_at(struct file *f, uint64_t off, struct uio *u, bool write)
{
	struct vnode *vn = f->vn;
	int64_t (*op)(struct vnode *, struct file *, uint64_t, struct uio *) =
		write ? vn->ops->write : vn->ops->read;
	int64_t n;

	if (write ? !file_writable(f) : !file_readable(f))
		return -EBADF;
	if (S_ISDIR(vn->mode))
		return -EISDIR;
	if (!op)
		return -EINVAL;
	if (u->resid == 0)
		return 0;
	/* No mount lock here: a copy to user memory may fault on a page of a
	 * file (a program's own data), and reading that page must not wait
	 * for this call. Filesystems serialise their data paths themselves
	 * (ext2 has its own lock; devices and pipes block on their own). */
	n = op(vn, f, off, u);
	return n;
}

int64_t vfs_pread(struct file *f, uint64_t off, struct uio *u)
{
	return rw_at(f, off, u, false);
}

int64_t vfs_pwrite(struct file *f, uint64_t off, struct uio *u)
{
	return rw_at(f, off, u, true);
}

/*
 * Devices, FIFOs and sockets: reads and writes that may block for long
 * must not hold f->lock, which every other user of the open file (a dup, a
 * fork: a shell's stdin and stdout) would then wait for. As on Linux, their
 * offset (which devices like failframes use) is read and advanced without
 * the lock.
 */
static bool file_is_stream(const struct file *f)
{
	return S_ISCHR(f->vn->mode) || S_ISFIFO(f->vn->mode) || S_ISSOCK(f->vn->mode);
}

static int64_t stream_rw(struct file *f, struct uio *u, bool write)
{
	int64_t n = rw_at(f, __atomic_load_n(&f->offset, __ATOMIC_RELAXED), u, write);

	if (n > 0)
		__atomic_add_fetch(&f->offset, (uint64_t)n, __ATOMIC_RELAXED);
	return n;
}

int64_t vfs_read(struct file *f, struct uio *u)
{
	int64_t n;

	if (file_is_stream(f))
		return stream_rw(f, u, false);
	mutex_lock(&f->lock);
	n = rw_at(f, f->offset, u, false);
	if (n > 0)
		f->offset += (uint64_t)n;
	mutex_unlock(&f->lock);
	return n;
}

int64_t vfs_write(struct file *f, struct uio *u)
{
	int64_t n;

	if (file_is_stream(f))
		return stream_rw(f, u, true);
	mutex_lock(&f->lock);
	if ((f->flags & O_APPEND) && S_ISREG(f->vn->mode)) {
		struct vattr va;

		n = vfs_getattr(f->vn, &va);
		if (n) {
			mutex_unlock(&f->lock);
			return n;
		}
		f->offset = va.size;
	}
	n = rw_at(f, f->offset, u, true);
	if (n > 0)
		f->offset += (uint64_t)n;
	mutex_unlock(&f->lock);
	return n;
}

int64_t vfs_lseek(struct file *f, int64_t off, int whence)
{
	int64_t base = 0, pos;
	struct vattr va;

	if (S_ISFIFO(f->vn->mode) || S_ISSOCK(f->vn->mode))
		return -ESPIPE;
	mutex_lock(&f->lock);
	switch (whence) {
	case 0: /* SEEK_SET */
		break;
	case 1: /* SEEK_CUR */
		base = (int64_t)f->offset;
		break;
	case 2: /* SEEK_END */
		if (vfs_getattr(f->vn, &va)) {
			mutex_unlock(&f->lock);
			return -EIO;
		}
		base = (int64_t)va.size;
		break;
	default:
		mutex_unlock(&f->lock);
		return -EINVAL;
	}
	if (__builtin_add_overflow(base, off, &pos) || pos < 0) {
		mutex_unlock(&f->lock);
		return -EINVAL;
	}
	f->offset = (uint64_t)pos;
	mutex_unlock(&f->lock);
	return pos;
}

int vfs_setattr(struct vnode *vn, const struct vattr *va, unsigned mask, const struct cred *cred)
{
	struct vattr cur;
	int err = vfs_getattr(vn, &cur);

	if (err)
		return err;
	/* chmod/chown: owner or root; chown to another user: root only. */
	if ((mask & (VA_MODE | VA_UID | VA_GID)) && cred->euid != 0 && cred->euid != cur.uid)
		return -EPERM;
	if ((mask & VA_UID) && cred->euid != 0 && va->uid != cur.uid)
		return -EPERM;
	if (mask & VA_SIZE) {
		if (S_ISDIR(cur.mode))
			return -EISDIR;
		if (!S_ISREG(cur.mode))
			return -EINVAL;
		err = vfs_access(vn, cred, MAY_WRITE);
		if (err)
			return err;
	}
	if ((mask & (VA_ATIME | VA_MTIME)) && cred->euid != 0 && cred->euid != cur.uid &&
	    vfs_access(vn, cred, MAY_WRITE))
		return -EPERM;
	if (vn->mnt->read_only)
		return -EROFS;
	if (!vn->ops->setattr)
		return -EPERM;
	mutex_lock(&vn->mnt->lock);
	err = vn->ops->setattr(vn, va, mask);
	mutex_unlock(&vn->mnt->lock);
	return err;
}

int vfs_truncate_file(struct file *f, uint64_t size)
{
	struct vattr va = { .size = size };
	struct cred root_cred = { 0 }; /* write access was checked at open */

	if (!file_writable(f))
		return -EINVAL;
	return vfs_setattr(f->vn, &va, VA_SIZE, &root_cred);
}

int vfs_ioctl(struct file *f, unsigned long cmd, unsigned long arg)
{
	if (!f->vn->ops->ioctl)
		return -ENOTTY;
	return f->vn->ops->ioctl(f->vn, f, cmd, arg);
}

/* struct linux_dirent64, as getdents64 returns it. */
struct dirent64_head {
	uint64_t d_ino;
	int64_t d_off;
	uint16_t d_reclen;
	uint8_t d_type;
} __attribute__((packed));

void vfs_dirent_set(struct vfs_dirent *out, uint64_t ino, uint8_t type, const char *name)
{
	size_t len = strnlen(name, VFS_NAME_MAX);

	out->ino = ino;
	out->type = type;
	out->name_len = (uint16_t)len;
	memcpy(out->name, name, len);
	out->name[len] = 0;
}

int64_t vfs_getdents64(struct file *f, struct uio *u)
{
	struct vnode *dir = f->vn;
	struct vfs_dirent *e;
	int64_t written = 0;
	int err = 0;

	if (!S_ISDIR(dir->mode))
		return -ENOTDIR;
	if (!dir->ops->readdir)
		return -EINVAL;
	e = kmalloc(sizeof(*e));
	mutex_lock(&f->lock);
	for (;;) {
		uint64_t cookie = f->offset;
		struct dirent64_head h;
		size_t reclen;
		int r;

		mutex_lock(&dir->mnt->lock);
		r = dir->ops->readdir(dir, &cookie, e);
		mutex_unlock(&dir->mnt->lock);
		if (r <= 0) {
			err = r;
			break;
		}
		reclen = (sizeof(h) + e->name_len + 1 + 7) & ~(size_t)7;
		if (reclen > u->resid) {
			if (written == 0)
				err = -EINVAL; /* buffer too small for one entry */
			break;
		}
		h = (struct dirent64_head){ e->ino, (int64_t)cookie, (uint16_t)reclen, e->type };
		memset(e->name + e->name_len, 0, reclen - sizeof(h) - e->name_len);
		err = uio_move(u, &h, sizeof(h), true);
		if (!err)
			err = uio_move(u, e->name, reclen - sizeof(h), true);
		if (err)
			break;
		written += (int64_t)reclen;
		f->offset = cookie;
	}
	mutex_unlock(&f->lock);
	kfree(e);
	return written > 0 ? written : err;
}

/* ---- operations on paths ----------------------------------------------------- */

/* Resolves the parent of path and checks it may be changed. */
static int parent_for_change(struct vnode *root, struct vnode *at, const char *path,
			     const struct cred *cred, struct vnode **dir, struct vfs_last *last)
{
	int err = vfs_resolve(root, at, path, RESOLVE_PARENT, cred, dir, last);

	if (err)
		return err;
	err = vfs_access(*dir, cred, MAY_WRITE | MAY_EXEC);
	if (!err && (*dir)->mnt->read_only)
		err = -EROFS;
	if (err)
		vnode_put(*dir);
	return err;
}

int vfs_mknod(struct vnode *root, struct vnode *at, const char *path, uint32_t mode, uint64_t rdev,
	      const struct cred *cred)
{
	struct vfs_last last;
	struct vnode *dir, *vn;
	int err = parent_for_change(root, at, path, cred, &dir, &last);

	if (err)
		return err == -EINVAL || err == -EBUSY ? -EEXIST : err;
	if (last.trailing_slash && !S_ISDIR(mode))
		err = -ENOENT;
	else if (!dir->ops->create)
		err = -EPERM;
	if (!err)
		err = create_child(dir, &last, (mode & S_IFMT) | (mode & ~cred->umask & 07777), rdev,
				   cred, &vn);
	if (!err)
		vnode_put(vn);
	vnode_put(dir);
	return err;
}

int vfs_mkdir(struct vnode *root, struct vnode *at, const char *path, uint32_t mode,
	      const struct cred *cred)
{
	return vfs_mknod(root, at, path, S_IFDIR | (mode & 07777), 0, cred);
}

/* Sticky directories: only the owner of the file or of the directory (or root). */
static int sticky_check(struct vnode *dir, struct vnode *victim, const struct cred *cred)
{
	struct vattr d, v;

	if (cred->euid == 0 || vfs_getattr(dir, &d) || !(d.mode & S_ISVTX))
		return 0;
	if (vfs_getattr(victim, &v) || (cred->euid != v.uid && cred->euid != d.uid))
		return -EPERM;
	return 0;
}

/*
 * unlink and rmdir keep the victim's vnode referenced until the name is
 * gone, as rename keeps the one it replaces: an inode whose last link goes
 * is freed when its last vnode reference does (ext2 defers the free to
 * .inactive), so that reference must exist even when nobody has the file
 * open.
 */
/*
 * Whether name in dir is still vn (NULL: no such name), asked of the
 * filesystem itself with dir->mnt->lock held: unlink and rename look their
 * victims up and check them before they take that lock, and a rename by
 * someone else in between must not make them remove a file they did not
 * check. 0: the same; 1: changed, with a different vnode (if any) in
 * *other for the caller to put once the lock is dropped (its last
 * reference may need the lock); or the lookup's error.
 */
static int still_names(struct vnode *dir, const char *name, size_t len, struct vnode *vn,
		       struct vnode **other)
{
	struct vnode *now = NULL;
	int err = dir->ops->lookup(dir, name, len, &now);

	*other = NULL;
	if (err == -ENOENT)
		return vn != NULL;
	if (err)
		return err;
	if (now == vn) {
		vnode_put(now); /* not the last: the caller holds vn */
		return 0;
	}
	*other = now;
	return 1;
}

/* A rename racing with unlink or rename makes them look again, at most
 * this often (a program renaming in a loop must not starve them). */
#define CHANGE_RETRIES 64

int vfs_unlink(struct vnode *root, struct vnode *at, const char *path, bool is_dir,
	       const struct cred *cred)
{
	struct vfs_last last;
	struct vnode *dir, *victim = NULL, *stale;
	int retries = 0, err = parent_for_change(root, at, path, cred, &dir, &last);

	if (err)
		return err == -EBUSY ? -EBUSY : err;
again:
	err = lookup_child(dir, last.name, last.len, &victim);
	if (!err) {
		if (victim->mounted)
			err = -EBUSY;
		else if (!is_dir && S_ISDIR(victim->mode))
			err = -EISDIR;
		else if (is_dir && !S_ISDIR(victim->mode))
			err = -ENOTDIR;
		else if (!is_dir && last.trailing_slash)
			err = -ENOTDIR;
		else
			err = sticky_check(dir, victim, cred);
	}
	if (!err && !(is_dir ? dir->ops->rmdir : dir->ops->unlink))
		err = -EPERM;
	if (!err) {
		mutex_lock(&dir->mnt->lock);
		err = still_names(dir, last.name, last.len, victim, &stale);
		if (err == 1 && ++retries < CHANGE_RETRIES) {
			mutex_unlock(&dir->mnt->lock);
			vnode_put(stale);
			vnode_put(victim);
			victim = NULL;
			goto again; /* renamed meanwhile: check what is there now */
		}
		if (err == 1)
			err = -EBUSY; /* still changing after CHANGE_RETRIES looks */
		if (err) {
			mutex_unlock(&dir->mnt->lock);
			vnode_put(stale);
			goto out;
		}
		err = is_dir ? dir->ops->rmdir(dir, last.name, last.len)
			     : dir->ops->unlink(dir, last.name, last.len);
		name_changed(dir, last.name, last.len, err, NULL);
		if (!err && is_dir)
			namecache_purge_dir(victim); /* its negative entries pin it */
		mutex_unlock(&dir->mnt->lock);
	}
out:
	vnode_put(victim);
	vnode_put(dir);
	namecache_reap();
	return err;
}

int vfs_rename(struct vnode *root, struct vnode *old_at, const char *oldpath,
	       struct vnode *new_at, const char *newpath, const struct cred *cred)
{
	struct vfs_last ol, nl;
	struct vnode *odir, *ndir, *victim = NULL, *replaced = NULL, *stale_old, *stale_new;
	int retries = 0, err = parent_for_change(root, old_at, oldpath, cred, &odir, &ol);

	if (err)
		return err == -EINVAL || err == -EBUSY ? -EBUSY : err;
	err = parent_for_change(root, new_at, newpath, cred, &ndir, &nl);
	if (err) {
		vnode_put(odir);
		return err == -EINVAL || err == -EBUSY ? -EBUSY : err;
	}
	if (odir->mnt != ndir->mnt)
		err = -EXDEV;
	else if (!odir->ops->rename)
		err = -EPERM;
again:
	if (!err) {
		err = lookup_child(odir, ol.name, ol.len, &victim);
		if (!err && victim->mounted)
			err = -EBUSY;
		else if (!err)
			err = sticky_check(odir, victim, cred);
	}
	if (!err) { /* the file a successful rename would replace, if any */
		err = lookup_child(ndir, nl.name, nl.len, &replaced);
		if (err == -ENOENT)
			err = 0;
		else if (!err && replaced->mounted)
			err = -EBUSY;
		else if (!err)
			err = sticky_check(ndir, replaced, cred);
	}
	if (!err) {
		int old_changed, new_changed;

		mutex_lock(&odir->mnt->lock);
		old_changed = still_names(odir, ol.name, ol.len, victim, &stale_old);
		new_changed = still_names(ndir, nl.name, nl.len, replaced, &stale_new);
		err = old_changed < 0 ? old_changed : new_changed < 0 ? new_changed : 0;
		if (!err && (old_changed || new_changed) && ++retries < CHANGE_RETRIES) {
			mutex_unlock(&odir->mnt->lock);
			vnode_put(stale_old);
			vnode_put(stale_new);
			vnode_put(victim);
			vnode_put(replaced);
			victim = replaced = NULL;
			goto again; /* changed meanwhile: check what is there now */
		}
		if (!err && (old_changed || new_changed))
			err = -EBUSY; /* still changing after CHANGE_RETRIES looks */
		if (err) {
			mutex_unlock(&odir->mnt->lock);
			vnode_put(stale_old);
			vnode_put(stale_new);
			goto out;
		}
		err = odir->ops->rename(odir, ol.name, ol.len, ndir, nl.name, nl.len);
		name_changed(odir, ol.name, ol.len, err, NULL);
		name_changed(ndir, nl.name, nl.len, err, NULL);
		if (!err && replaced && replaced != victim)
			namecache_purge_dir(replaced); /* a directory replaced: as rmdir */
		mutex_unlock(&odir->mnt->lock);
	}
out:
	vnode_put(replaced);
	vnode_put(victim);
	vnode_put(odir);
	vnode_put(ndir);
	namecache_reap();
	return err;
}

int vfs_link(struct vnode *root, struct vnode *old_at, const char *oldpath, struct vnode *new_at,
	     const char *newpath, const struct cred *cred)
{
	struct vfs_last nl;
	struct vnode *target, *dir;
	int err = vfs_resolve(root, old_at, oldpath, RESOLVE_NOFOLLOW, cred, &target, NULL);

	if (err)
		return err;
	err = parent_for_change(root, new_at, newpath, cred, &dir, &nl);
	if (err) {
		vnode_put(target);
		return err == -EINVAL || err == -EBUSY ? -EEXIST : err;
	}
	if (S_ISDIR(target->mode))
		err = -EPERM;
	else if (dir->mnt != target->mnt)
		err = -EXDEV;
	else if (!dir->ops->link)
		err = -EPERM;
	if (!err) {
		mutex_lock(&dir->mnt->lock);
		err = dir->ops->link(dir, nl.name, nl.len, target);
		name_changed(dir, nl.name, nl.len, err, target);
		mutex_unlock(&dir->mnt->lock);
	}
	vnode_put(dir);
	vnode_put(target);
	namecache_reap();
	return err;
}

int vfs_symlink(struct vnode *root, const char *target, struct vnode *at, const char *path,
		const struct cred *cred)
{
	struct vfs_last last;
	struct vnode *dir;
	size_t tlen = strnlen(target, VFS_PATH_MAX);
	int err;

	if (tlen == 0)
		return -ENOENT;
	if (tlen >= VFS_PATH_MAX)
		return -ENAMETOOLONG;
	err = parent_for_change(root, at, path, cred, &dir, &last);
	if (err)
		return err == -EINVAL || err == -EBUSY ? -EEXIST : err;
	if (!dir->ops->symlink) {
		err = -EPERM;
	} else {
		mutex_lock(&dir->mnt->lock);
		err = dir->ops->symlink(dir, last.name, last.len, target, cred);
		name_changed(dir, last.name, last.len, err, NULL);
		mutex_unlock(&dir->mnt->lock);
	}
	vnode_put(dir);
	return err;
}

int vfs_readlink(struct vnode *root, struct vnode *at, const char *path, char *buf, size_t size,
		 const struct cred *cred)
{
	struct vnode *vn;
	int n, err = vfs_resolve(root, at, path, RESOLVE_NOFOLLOW, cred, &vn, NULL);

	if (err)
		return err;
	if (!S_ISLNK(vn->mode)) {
		vnode_put(vn);
		return -EINVAL;
	}
	mutex_lock(&vn->mnt->lock);
	n = vn->ops->readlink(vn, buf, size);
	mutex_unlock(&vn->mnt->lock);
	vnode_put(vn);
	return n < 0 ? n : (int)((size_t)n < size ? (size_t)n : size);
}

/* ---- descriptor tables ---------------------------------------------------------- */

struct fdtable *fdtable_create(void)
{
	struct fdtable *t = kzalloc(sizeof(*t));

	t->lock = (struct spinlock)SPINLOCK_INIT("fdtable");
	t->refcount = 1;
	return t;
}

struct fdtable *fdtable_clone(struct fdtable *src)
{
	struct fdtable *t = fdtable_create();

	spin_lock(&src->lock);
	for (int fd = 0; fd < FD_MAX; fd++) {
		t->files[fd] = src->files[fd];
		if (t->files[fd])
			file_get(t->files[fd]);
	}
	memcpy(t->cloexec, src->cloexec, sizeof(t->cloexec));
	spin_unlock(&src->lock);
	return t;
}

void fdtable_put(struct fdtable *t)
{
	if (__atomic_sub_fetch(&t->refcount, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	for (int fd = 0; fd < FD_MAX; fd++)
		file_put(t->files[fd]);
	kfree(t);
}

static void set_cloexec_locked(struct fdtable *t, int fd, bool on)
{
	if (on)
		t->cloexec[fd / 64] |= 1ull << (fd % 64);
	else
		t->cloexec[fd / 64] &= ~(1ull << (fd % 64));
}

int fd_install(struct fdtable *t, struct file *f, int min, bool cloexec)
{
	if (min < 0 || min >= FD_MAX)
		return -EINVAL;
	spin_lock(&t->lock);
	for (int fd = min; fd < FD_MAX; fd++) {
		if (!t->files[fd]) {
			t->files[fd] = f;
			set_cloexec_locked(t, fd, cloexec);
			spin_unlock(&t->lock);
			return fd;
		}
	}
	spin_unlock(&t->lock);
	return -EMFILE;
}

struct file *fd_get(struct fdtable *t, int fd)
{
	struct file *f = NULL;

	if (fd < 0 || fd >= FD_MAX)
		return NULL;
	spin_lock(&t->lock);
	f = t->files[fd];
	if (f)
		file_get(f);
	spin_unlock(&t->lock);
	return f;
}

int fd_close(struct fdtable *t, int fd)
{
	struct file *f;

	if (fd < 0 || fd >= FD_MAX)
		return -EBADF;
	spin_lock(&t->lock);
	f = t->files[fd];
	t->files[fd] = NULL;
	set_cloexec_locked(t, fd, false);
	spin_unlock(&t->lock);
	if (!f)
		return -EBADF;
	file_put(f);
	return 0;
}

int fd_dup_to(struct fdtable *t, int oldfd, int newfd, bool cloexec)
{
	struct file *f, *old;

	if (oldfd < 0 || oldfd >= FD_MAX || newfd < 0 || newfd >= FD_MAX)
		return -EBADF;
	spin_lock(&t->lock);
	f = t->files[oldfd];
	if (!f) {
		spin_unlock(&t->lock);
		return -EBADF;
	}
	file_get(f);
	old = t->files[newfd];
	t->files[newfd] = f;
	set_cloexec_locked(t, newfd, cloexec);
	spin_unlock(&t->lock);
	file_put(old);
	return newfd;
}

int fd_get_cloexec(struct fdtable *t, int fd)
{
	int r;

	if (fd < 0 || fd >= FD_MAX)
		return -EBADF;
	spin_lock(&t->lock);
	r = !t->files[fd] ? -EBADF : (int)((t->cloexec[fd / 64] >> (fd % 64)) & 1);
	spin_unlock(&t->lock);
	return r;
}

int fd_set_cloexec(struct fdtable *t, int fd, bool on)
{
	if (fd < 0 || fd >= FD_MAX)
		return -EBADF;
	spin_lock(&t->lock);
	if (!t->files[fd]) {
		spin_unlock(&t->lock);
		return -EBADF;
	}
	set_cloexec_locked(t, fd, on);
	spin_unlock(&t->lock);
	return 0;
}

void fdtable_close_on_exec(struct fdtable *t)
{
	for (int fd = 0; fd < FD_MAX; fd++)
		if ((t->cloexec[fd / 64] >> (fd % 64)) & 1)
			fd_close(t, fd);
}
