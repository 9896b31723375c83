/* ext2 under the VFS: vnode operations over the ext2 library. */
#include "dev/rtc.h"
#include "fs/ext2.h"
#include "fs/ext2_disk.h"
#include "fs/ext2_vfs.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/kmalloc.h"

#define BOUNCE_SIZE (32 * 1024) /* user reads and writes go through this much at a time */

static const struct vnode_ops ext2_vnode_ops;

static struct ext2_fs *fs_of(struct vnode *vn)
{
	return vn->mnt->data;
}

/* The vnode of inode ino, from the cache or new. */
static int get_vnode(struct mount *mnt, uint32_t ino, struct vnode **out)
{
	struct ext2_stat st;
	int err;

	*out = vnode_cache_find(mnt, ino);
	if (*out)
		return 0;
	err = ext2_stat(mnt->data, ino, &st);
	if (err)
		return err;
	*out = vnode_cache_insert(mnt, ino, st.mode, &ext2_vnode_ops, NULL);
	return 0;
}

static int e2_lookup(struct vnode *dir, const char *name, size_t len, struct vnode **out)
{
	uint32_t ino;
	int err = ext2_lookup(fs_of(dir), (uint32_t)dir->ino, name, len, &ino);

	return err ? err : get_vnode(dir->mnt, ino, out);
}

static int e2_getattr(struct vnode *vn, struct vattr *va)
{
	struct ext2_stat st;
	int err = ext2_stat(fs_of(vn), (uint32_t)vn->ino, &st);

	if (err)
		return err;
	vn->mode = st.mode;
	*va = (struct vattr){
		.size = st.size, .blocks = st.blocks, .rdev = st.rdev, .mode = st.mode,
		.nlink = st.nlink, .uid = st.uid, .gid = st.gid, .blksize = st.block_size,
		.atime = { st.atime, 0 }, .mtime = { st.mtime, 0 }, .ctime = { st.ctime, 0 },
	};
	return 0;
}

static int e2_setattr(struct vnode *vn, const struct vattr *va, unsigned mask)
{
	struct ext2_setattr sa = { 0 };

	if (mask & VA_SIZE) {
		int err = ext2_truncate(fs_of(vn), (uint32_t)vn->ino, va->size);

		if (err)
			return err;
	}
	sa.valid = ((mask & VA_MODE) ? EXT2_SET_MODE : 0) | ((mask & VA_UID) ? EXT2_SET_UID : 0) |
		   ((mask & VA_GID) ? EXT2_SET_GID : 0) | ((mask & VA_ATIME) ? EXT2_SET_ATIME : 0) |
		   ((mask & VA_MTIME) ? EXT2_SET_MTIME : 0);
	sa.mode = va->mode;
	sa.uid = va->uid;
	sa.gid = va->gid;
	sa.atime = va->atime.sec;
	sa.mtime = va->mtime.sec;
	return sa.valid ? ext2_setattr(fs_of(vn), (uint32_t)vn->ino, &sa) : 0;
}

/* Reads or writes through a bounce buffer when the uio is in user memory. */
static int64_t e2_rw(struct vnode *vn, uint64_t off, struct uio *u, bool write)
{
	struct ext2_fs *fs = fs_of(vn);
	uint32_t ino = (uint32_t)vn->ino;
	int64_t done = 0, n;
	uint8_t *bounce;

	if (!u->user) {
		n = write ? ext2_write(fs, ino, off, u->ptr, u->resid)
			  : ext2_read(fs, ino, off, u->ptr, u->resid);
		if (n > 0) {
			u->ptr += n;
			u->resid -= (size_t)n;
		}
		return n;
	}
	bounce = kmalloc(BOUNCE_SIZE);
	while (u->resid > 0) {
		size_t chunk = u->resid < BOUNCE_SIZE ? u->resid : BOUNCE_SIZE;
		int err;

		if (write) {
			err = uio_move(u, bounce, chunk, false);
			n = err ? err : ext2_write(fs, ino, off + (uint64_t)done, bounce, chunk);
		} else {
			n = ext2_read(fs, ino, off + (uint64_t)done, bounce, chunk);
			if (n > 0 && (err = uio_move(u, bounce, (size_t)n, true)))
				n = err;
		}
		if (n <= 0) {
			if (done == 0)
				done = n;
			break;
		}
		done += n;
		if ((size_t)n < chunk)
			break; /* end of file, or the disk filled up */
	}
	kfree(bounce);
	return done;
}

static int64_t e2_read(struct vnode *vn, struct file *f, uint64_t off, struct uio *u)
{
	return e2_rw(vn, off, u, false);
}

static int64_t e2_write(struct vnode *vn, struct file *f, uint64_t off, struct uio *u)
{
	return e2_rw(vn, off, u, true);
}

static uint8_t dt_of_ext2_type(uint8_t t)
{
	static const uint8_t map[] = { [EXT2_FT_REG_FILE] = DT_REG, [EXT2_FT_DIR] = DT_DIR,
				       [EXT2_FT_CHRDEV] = DT_CHR,  [EXT2_FT_BLKDEV] = DT_BLK,
				       [EXT2_FT_FIFO] = DT_FIFO,   [EXT2_FT_SOCK] = DT_SOCK,
				       [EXT2_FT_SYMLINK] = DT_LNK };

	return t < sizeof(map) ? map[t] : DT_UNKNOWN;
}

static int e2_readdir(struct vnode *dir, uint64_t *cookie, struct vfs_dirent *out)
{
	struct ext2_dir_entry e;
	int r = ext2_readdir(fs_of(dir), (uint32_t)dir->ino, cookie, &e);

	if (r <= 0)
		return r;
	out->ino = e.ino;
	out->type = dt_of_ext2_type(e.type);
	out->name_len = e.name_len;
	memcpy(out->name, e.name, e.name_len);
	out->name[e.name_len] = 0;
	return 1;
}

static int e2_create(struct vnode *dir, const char *name, size_t len, uint32_t mode, uint64_t rdev,
		     const struct cred *cred, struct vnode **out)
{
	struct ext2_new_inode attr = { .mode = mode, .uid = cred->euid, .gid = cred->egid,
				       .rdev = (uint32_t)rdev };
	uint32_t ino;
	int err = ext2_create(fs_of(dir), (uint32_t)dir->ino, name, len, &attr, &ino);

	return err ? err : get_vnode(dir->mnt, ino, out);
}

static int e2_symlink(struct vnode *dir, const char *name, size_t len, const char *target,
		      const struct cred *cred)
{
	return ext2_symlink(fs_of(dir), (uint32_t)dir->ino, name, len, target, strlen(target),
			    cred->euid, cred->egid, NULL);
}

static int e2_readlink(struct vnode *vn, char *buf, size_t size)
{
	return ext2_readlink(fs_of(vn), (uint32_t)vn->ino, buf, size);
}

static int e2_link(struct vnode *dir, const char *name, size_t len, struct vnode *target)
{
	return ext2_link(fs_of(dir), (uint32_t)target->ino, (uint32_t)dir->ino, name, len);
}

static int e2_unlink(struct vnode *dir, const char *name, size_t len)
{
	return ext2_unlink(fs_of(dir), (uint32_t)dir->ino, name, len);
}

static int e2_rmdir(struct vnode *dir, const char *name, size_t len)
{
	return ext2_rmdir(fs_of(dir), (uint32_t)dir->ino, name, len);
}

static int e2_rename(struct vnode *olddir, const char *oldname, size_t oldlen,
		     struct vnode *newdir, const char *newname, size_t newlen)
{
	return ext2_rename(fs_of(olddir), (uint32_t)olddir->ino, oldname, oldlen,
			   (uint32_t)newdir->ino, newname, newlen);
}

/* The last reference: an unlinked inode is freed now (EXT2_MOUNT_DEFER_FREE). */
static void e2_inactive(struct vnode *vn)
{
	if (!vn->mnt->read_only)
		ext2_evict(fs_of(vn), (uint32_t)vn->ino);
}

static const struct vnode_ops ext2_vnode_ops = {
	.lookup = e2_lookup, .getattr = e2_getattr, .setattr = e2_setattr,
	.read = e2_read, .write = e2_write, .readdir = e2_readdir,
	.create = e2_create, .symlink = e2_symlink, .readlink = e2_readlink,
	.link = e2_link, .unlink = e2_unlink, .rmdir = e2_rmdir, .rename = e2_rename,
	.inactive = e2_inactive,
};

static int e2_sync(struct mount *m)
{
	return ext2_sync(m->data);
}

static int e2_statfs(struct mount *m, uint64_t *blocks, uint64_t *free, uint32_t *bsize)
{
	struct ext2_statfs st;
	int err = ext2_statfs(m->data, &st);

	*blocks = st.blocks;
	*free = st.free_blocks;
	*bsize = st.block_size;
	return err;
}

static int64_t wall_clock(void)
{
	return rtc_now().sec;
}

int ext2_vfs_create(struct blockdev *dev, const char *source, struct mount **out)
{
	struct mount *m = kzalloc(sizeof(*m));
	struct ext2_fs *fs;
	int err = ext2_mount(dev, EXT2_MOUNT_DEFER_FREE, wall_clock, &fs);

	if (err) {
		kfree(m);
		return err;
	}
	m->fstype = "ext2";
	memcpy(m->source, source, strnlen(source, sizeof(m->source) - 1));
	m->data = fs;
	m->read_only = ext2_read_only(fs);
	m->cache_names = true; /* its names change only through the VFS */
	m->sync = e2_sync;
	m->statfs = e2_statfs;
	err = get_vnode(m, ext2_root_ino(), &m->root);
	if (!err && !S_ISDIR(m->root->mode)) {
		vnode_put(m->root);
		err = -EUCLEAN;
	}
	if (err) {
		ext2_unmount(fs);
		kfree(m);
		return err;
	}
	*out = m;
	return 0;
}
