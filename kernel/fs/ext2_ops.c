/* ext2 public operations: each takes the fs lock, checks everything, then changes the image. */
#include "fs/ext2_internal.h"

#include "lib/errno.h"
#include "lib/string.h"
#include "log.h"

static bool is_dot_name(const char *name, size_t len)
{
	return (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.');
}

static uint32_t inode_type(const struct ext2_inode *in)
{
	return in->i_mode & EXT2_S_IFMT;
}

/* Loads directory dir: -ENOTDIR if it is something else. */
static int get_dir(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *in)
{
	int err = ext2_inode_get(fs, dir, in);

	if (!err && inode_type(in) != EXT2_S_IFDIR)
		err = -ENOTDIR;
	return err;
}

/* Loads regular file ino for reading or writing. */
static int get_file(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in)
{
	int err = ext2_inode_get(fs, ino, in);

	if (err)
		return err;
	if (inode_type(in) == EXT2_S_IFDIR)
		return -EISDIR;
	return inode_type(in) == EXT2_S_IFREG ? 0 : -EINVAL;
}

/* Device numbers: the old 16-bit form in i_block[0] when it fits, else the new in i_block[1]. */
static uint32_t inode_rdev(const struct ext2_inode *in)
{
	return in->i_block[0] ? in->i_block[0] : in->i_block[1];
}

static void set_rdev(struct ext2_inode *in, uint32_t rdev)
{
	uint32_t major = (rdev >> 8) & 0xfff, minor = (rdev & 0xff) | ((rdev >> 12) & 0xfff00);

	if (major < 256 && minor < 256)
		in->i_block[0] = major << 8 | minor;
	else
		in->i_block[1] = rdev;
}

int ext2_stat(struct ext2_fs *fs, uint32_t ino, struct ext2_stat *st)
{
	struct ext2_inode in;
	uint32_t type;
	int err;

	ext2_lock(fs);
	err = ext2_inode_get(fs, ino, &in);
	ext2_unlock(fs);
	if (err)
		return err;
	type = inode_type(&in);
	*st = (struct ext2_stat){
		.ino = ino,
		.mode = in.i_mode,
		.uid = ext2_inode_uid(fs, &in),
		.gid = ext2_inode_gid(fs, &in),
		.nlink = in.i_links_count,
		.rdev = (type == EXT2_S_IFCHR || type == EXT2_S_IFBLK) ? inode_rdev(&in) : 0,
		.size = ext2_inode_size(&in),
		.blocks = in.i_blocks,
		.block_size = fs->block_size,
		.atime = ext2_inode_time(&in, in.i_atime, offsetof(struct ext2_inode, i_atime_extra)),
		.mtime = ext2_inode_time(&in, in.i_mtime, offsetof(struct ext2_inode, i_mtime_extra)),
		.ctime = ext2_inode_time(&in, in.i_ctime, offsetof(struct ext2_inode, i_ctime_extra)),
	};
	return 0;
}

static int lookup_locked(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len,
			 uint32_t *ino)
{
	struct ext2_dir_slot slot;
	struct ext2_inode dir_in;
	int err = ext2_check_name(name, len);

	if (!err)
		err = get_dir(fs, dir, &dir_in);
	if (!err)
		err = ext2_dir_find(fs, dir, &dir_in, name, len, &slot);
	if (!err)
		*ino = slot.ino;
	return err;
}

int ext2_lookup(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len, uint32_t *ino)
{
	int err;

	ext2_lock(fs);
	err = lookup_locked(fs, dir, name, len, ino);
	ext2_unlock(fs);
	return err;
}

int ext2_readdir(struct ext2_fs *fs, uint32_t dir, uint64_t *cookie, struct ext2_dir_entry *out)
{
	struct ext2_inode dir_in;
	int err;

	ext2_lock(fs);
	err = get_dir(fs, dir, &dir_in);
	if (!err)
		err = ext2_dir_next(fs, dir, &dir_in, cookie, out);
	ext2_unlock(fs);
	return err;
}

int64_t ext2_read(struct ext2_fs *fs, uint32_t ino, uint64_t off, void *buf, size_t n)
{
	struct ext2_inode in;
	int64_t ret;

	ext2_lock(fs);
	ret = get_file(fs, ino, &in);
	if (ret == 0)
		ret = ext2_inode_read(fs, ino, &in, off, buf, n);
	ext2_unlock(fs);
	return ret;
}

int64_t ext2_write(struct ext2_fs *fs, uint32_t ino, uint64_t off, const void *buf, size_t n)
{
	struct ext2_inode in;
	int64_t ret = -EROFS;

	ext2_lock(fs);
	if (!fs->read_only)
		ret = get_file(fs, ino, &in);
	if (ret == 0)
		ret = ext2_inode_write(fs, ino, &in, off, buf, n);
	ext2_unlock(fs);
	return ret;
}

int ext2_truncate(struct ext2_fs *fs, uint32_t ino, uint64_t size)
{
	struct ext2_inode in;
	int err = -EROFS;

	ext2_lock(fs);
	if (!fs->read_only)
		err = get_file(fs, ino, &in);
	if (!err)
		err = ext2_inode_truncate(fs, ino, &in, size);
	ext2_unlock(fs);
	return err;
}

/* Checks that name can be added to dir: loads dir into *dir_in. */
static int check_new_entry(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *dir_in,
			   const char *name, size_t len)
{
	struct ext2_dir_slot slot;
	int err;

	if (fs->read_only)
		return -EROFS;
	err = ext2_check_name(name, len);
	if (err)
		return err;
	if (is_dot_name(name, len))
		return -EEXIST;
	err = get_dir(fs, dir, dir_in);
	if (err)
		return err;
	if (dir_in->i_links_count == 0)
		return -ENOENT; /* a removed directory still open by number */
	err = ext2_dir_find(fs, dir, dir_in, name, len, &slot);
	if (err == 0)
		return -EEXIST;
	return err == -ENOENT ? 0 : err;
}

/* A new in-memory inode of the given mode and owner, all times now. */
static void new_inode(struct ext2_fs *fs, struct ext2_inode *in, uint32_t mode, uint32_t uid,
		      uint32_t gid)
{
	int64_t now = ext2_now(fs);

	memset(in, 0, sizeof(*in));
	in->i_mode = (uint16_t)mode;
	ext2_inode_set_owner(fs, in, uid, gid);
	in->i_links_count = (inode_type(in) == EXT2_S_IFDIR) ? 2 : 1;
	if (fs->inode_size >= sizeof(struct ext2_inode))
		in->i_extra_isize = EXT2_INODE_EXTRA_FIELDS;
	ext2_inode_touch(fs, in, true, true, true);
	ext2_inode_set_time(in, &in->i_crtime, offsetof(struct ext2_inode, i_crtime_extra), now);
}

/*
 * Creates name in dir as an inode of `mode`: target/tlen for a symlink,
 * rdev for a device. Returns 0 with *ino.
 */
static int create_locked(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len,
			 uint32_t mode, uint32_t uid, uint32_t gid, uint32_t rdev,
			 const char *target, size_t tlen, uint32_t *ino_out)
{
	uint32_t type = mode & EXT2_S_IFMT, ino;
	struct ext2_inode dir_in, in;
	bool is_dir = type == EXT2_S_IFDIR;
	int err = check_new_entry(fs, dir, &dir_in, name, len);

	if (err)
		return err;
	if (is_dir && dir_in.i_links_count >= EXT2_LINK_MAX)
		return -EMLINK;
	err = ext2_alloc_inode(fs, dir, is_dir, &ino);
	if (err)
		return err;
	new_inode(fs, &in, mode, uid, gid);
	if (type == EXT2_S_IFCHR || type == EXT2_S_IFBLK)
		set_rdev(&in, rdev);
	if (type == EXT2_S_IFLNK && tlen <= EXT2_FAST_SYMLINK_MAX) {
		memcpy(in.i_block, target, tlen);
		in.i_size = (uint32_t)tlen;
	}
	err = ext2_inode_store_new(fs, ino, &in);
	if (!err && is_dir)
		err = ext2_dir_init(fs, ino, &in, dir);
	if (!err && type == EXT2_S_IFLNK && tlen > EXT2_FAST_SYMLINK_MAX) {
		int64_t n = ext2_inode_write(fs, ino, &in, 0, target, tlen);

		err = n < 0 ? (int)n : n == (int64_t)tlen ? 0 : -ENOSPC;
	}
	if (!err)
		err = ext2_dir_add(fs, dir, &dir_in, name, len, ino, ext2_mode_to_ft(mode));
	if (err) {
		ext2_inode_free(fs, ino, &in);
		return err;
	}
	if (is_dir) {
		dir_in.i_links_count++;
		err = ext2_inode_store(fs, dir, &dir_in);
	}
	if (ino_out)
		*ino_out = ino;
	return err;
}

int ext2_create(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len,
		const struct ext2_new_inode *attr, uint32_t *ino)
{
	uint32_t type = attr->mode & EXT2_S_IFMT;
	int err;

	if (type != EXT2_S_IFREG && type != EXT2_S_IFDIR && type != EXT2_S_IFCHR &&
	    type != EXT2_S_IFBLK && type != EXT2_S_IFIFO && type != EXT2_S_IFSOCK)
		return -EINVAL;
	ext2_lock(fs);
	err = create_locked(fs, dir, name, len, attr->mode & (EXT2_S_IFMT | EXT2_S_PERM), attr->uid,
			    attr->gid, attr->rdev, NULL, 0, ino);
	ext2_unlock(fs);
	return err;
}

int ext2_symlink(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len,
		 const char *target, size_t tlen, uint32_t uid, uint32_t gid, uint32_t *ino)
{
	int err;

	if (tlen == 0)
		return -ENOENT;
	if (tlen > 4095 || tlen >= fs->block_size)
		return -ENAMETOOLONG;
	ext2_lock(fs);
	err = create_locked(fs, dir, name, len, EXT2_S_IFLNK | 0777, uid, gid, 0, target, tlen, ino);
	ext2_unlock(fs);
	return err;
}

int ext2_readlink(struct ext2_fs *fs, uint32_t ino, char *buf, size_t size)
{
	struct ext2_inode in;
	int err;

	ext2_lock(fs);
	err = ext2_inode_get(fs, ino, &in);
	if (!err && inode_type(&in) != EXT2_S_IFLNK)
		err = -EINVAL;
	if (!err)
		err = ext2_inode_readlink(fs, ino, &in, buf, size);
	ext2_unlock(fs);
	return err;
}

static int link_locked(struct ext2_fs *fs, uint32_t ino, uint32_t dir, const char *name, size_t len)
{
	struct ext2_inode dir_in, in;
	int err = check_new_entry(fs, dir, &dir_in, name, len);

	if (!err)
		err = ext2_inode_get(fs, ino, &in);
	if (err)
		return err;
	if (inode_type(&in) == EXT2_S_IFDIR)
		return -EPERM;
	if (in.i_links_count >= EXT2_LINK_MAX)
		return -EMLINK;
	if (in.i_links_count == 0)
		return -ENOENT;
	err = ext2_dir_add(fs, dir, &dir_in, name, len, ino, ext2_mode_to_ft(in.i_mode));
	if (err)
		return err;
	in.i_links_count++;
	ext2_inode_touch(fs, &in, false, false, true);
	return ext2_inode_store(fs, ino, &in);
}

int ext2_link(struct ext2_fs *fs, uint32_t ino, uint32_t dir, const char *name, size_t len)
{
	int err;

	ext2_lock(fs);
	err = link_locked(fs, ino, dir, name, len);
	ext2_unlock(fs);
	return err;
}

/*
 * Finds name in dir for removal: loads dir and the entry's inode. Returns
 * 0, -EROFS, -EINVAL, -ENOENT, -EUCLEAN.
 */
static int find_victim(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *dir_in, const char *name,
		       size_t len, struct ext2_dir_slot *slot, struct ext2_inode *in)
{
	int err;

	if (fs->read_only)
		return -EROFS;
	err = ext2_check_name(name, len);
	if (!err)
		err = get_dir(fs, dir, dir_in);
	if (!err)
		err = ext2_dir_find(fs, dir, dir_in, name, len, slot);
	if (!err)
		err = ext2_inode_get(fs, slot->ino, in);
	return err;
}

static int unlink_locked(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len)
{
	struct ext2_inode dir_in, in;
	struct ext2_dir_slot slot;
	int err = find_victim(fs, dir, &dir_in, name, len, &slot, &in);

	if (err)
		return err;
	if (inode_type(&in) == EXT2_S_IFDIR)
		return -EISDIR;
	err = ext2_dir_remove(fs, dir, &dir_in, &slot);
	if (err)
		return err;
	return ext2_inode_unlink(fs, slot.ino, &in);
}

int ext2_unlink(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len)
{
	int err;

	ext2_lock(fs);
	err = unlink_locked(fs, dir, name, len);
	ext2_unlock(fs);
	return err;
}

/* Takes away a directory's last links (its name and "."): frees it unless deferred. */
static int drop_dir(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in)
{
	in->i_links_count = 0;
	ext2_inode_touch(fs, in, false, false, true);
	if (!(fs->flags & EXT2_MOUNT_DEFER_FREE))
		return ext2_inode_free(fs, ino, in);
	return ext2_inode_store(fs, ino, in);
}

static int rmdir_locked(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len)
{
	struct ext2_inode dir_in, in;
	struct ext2_dir_slot slot;
	int err;

	if (is_dot_name(name, len))
		return len == 1 ? -EINVAL : -ENOTEMPTY;
	err = find_victim(fs, dir, &dir_in, name, len, &slot, &in);
	if (err)
		return err;
	if (inode_type(&in) != EXT2_S_IFDIR)
		return -ENOTDIR;
	err = ext2_dir_is_empty(fs, slot.ino, &in);
	if (err <= 0)
		return err == 0 ? -ENOTEMPTY : err;
	err = ext2_dir_remove(fs, dir, &dir_in, &slot);
	if (err)
		return err;
	if (dir_in.i_links_count > 0)
		dir_in.i_links_count--;
	err = ext2_inode_store(fs, dir, &dir_in);
	if (err)
		return err;
	return drop_dir(fs, slot.ino, &in);
}

int ext2_rmdir(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len)
{
	int err;

	ext2_lock(fs);
	err = rmdir_locked(fs, dir, name, len);
	ext2_unlock(fs);
	return err;
}

/*
 * Returns 0 if directory `dir` is not `ancestor` and not below it,
 * -EINVAL if it is, -EUCLEAN if the ".." chain loops or breaks.
 */
static int check_not_below(struct ext2_fs *fs, uint32_t dir, uint32_t ancestor)
{
	uint32_t cur = dir;

	for (uint32_t steps = 0; steps <= fs->sb.s_inodes_count; steps++) {
		struct ext2_dir_slot slot;
		struct ext2_inode in;
		int err;

		if (cur == ancestor)
			return -EINVAL;
		if (cur == EXT2_ROOT_INO)
			return 0;
		err = get_dir(fs, cur, &in);
		if (!err)
			err = ext2_dir_find(fs, cur, &in, "..", 2, &slot);
		if (err)
			return err == -ENOTDIR || err == -ENOENT ? -EUCLEAN : err;
		cur = slot.ino;
	}
	log_err("ext2", "directory inode %u: the \"..\" chain loops", dir);
	ext2_mark_error(fs);
	return -EUCLEAN;
}

struct rename_ctx {
	uint32_t olddir, newdir;
	struct ext2_inode od, nd_store, *nd;     /* nd points at od when the directories are one */
	struct ext2_dir_slot old_slot, new_slot;
	struct ext2_inode src, victim;
	bool replace;
};

/* All the checks of a rename, before anything changes. Returns 1 for "nothing to do". */
static int rename_check(struct ext2_fs *fs, struct rename_ctx *r, const char *oldname,
			size_t oldlen, const char *newname, size_t newlen)
{
	bool src_dir;
	int err;

	if (fs->read_only)
		return -EROFS;
	err = ext2_check_name(newname, newlen);
	if (err)
		return err;
	if (is_dot_name(oldname, oldlen) || is_dot_name(newname, newlen))
		return -EINVAL;
	err = find_victim(fs, r->olddir, &r->od, oldname, oldlen, &r->old_slot, &r->src);
	if (err)
		return err;
	r->nd = &r->od;
	if (r->newdir != r->olddir) {
		r->nd = &r->nd_store;
		err = get_dir(fs, r->newdir, r->nd);
		if (err)
			return err;
	}
	if (r->nd->i_links_count == 0)
		return -ENOENT;
	src_dir = inode_type(&r->src) == EXT2_S_IFDIR;
	err = ext2_dir_find(fs, r->newdir, r->nd, newname, newlen, &r->new_slot);
	if (err && err != -ENOENT)
		return err;
	r->replace = err == 0;
	if (r->replace) {
		if (r->new_slot.ino == r->old_slot.ino)
			return 1;
		err = ext2_inode_get(fs, r->new_slot.ino, &r->victim);
		if (err)
			return err;
		if (src_dir && inode_type(&r->victim) != EXT2_S_IFDIR)
			return -ENOTDIR;
		if (!src_dir && inode_type(&r->victim) == EXT2_S_IFDIR)
			return -EISDIR;
		if (src_dir) {
			err = ext2_dir_is_empty(fs, r->new_slot.ino, &r->victim);
			if (err <= 0)
				return err == 0 ? -ENOTEMPTY : err;
		}
	}
	if (src_dir && r->newdir != r->olddir) {
		err = check_not_below(fs, r->newdir, r->old_slot.ino);
		if (err)
			return err;
		if (!r->replace && r->nd->i_links_count >= EXT2_LINK_MAX)
			return -EMLINK;
	}
	return 0;
}

static int rename_locked(struct ext2_fs *fs, struct rename_ctx *r, const char *oldname,
			 size_t oldlen, const char *newname, size_t newlen)
{
	int err = rename_check(fs, r, oldname, oldlen, newname, newlen);
	uint32_t src = r->old_slot.ino;
	bool src_dir;

	if (err)
		return err < 0 ? err : 0;
	src_dir = inode_type(&r->src) == EXT2_S_IFDIR;
	if (r->replace)
		err = ext2_dir_retarget(fs, r->newdir, r->nd, &r->new_slot, src,
					ext2_mode_to_ft(r->src.i_mode));
	else
		err = ext2_dir_add(fs, r->newdir, r->nd, newname, newlen, src,
				   ext2_mode_to_ft(r->src.i_mode));
	if (err)
		return err;
	/* Adding may have split the old entry: find it again. */
	err = ext2_dir_find(fs, r->olddir, &r->od, oldname, oldlen, &r->old_slot);
	if (!err)
		err = ext2_dir_remove(fs, r->olddir, &r->od, &r->old_slot);
	if (err)
		return err;
	if (r->replace && inode_type(&r->victim) == EXT2_S_IFDIR) {
		r->nd->i_links_count--;
		err = drop_dir(fs, r->new_slot.ino, &r->victim);
	} else if (r->replace) {
		err = ext2_inode_unlink(fs, r->new_slot.ino, &r->victim);
	}
	if (err)
		return err;
	if (src_dir && r->newdir != r->olddir) {
		struct ext2_dir_slot dotdot;

		err = ext2_dir_find(fs, src, &r->src, "..", 2, &dotdot);
		if (!err)
			err = ext2_dir_retarget(fs, src, &r->src, &dotdot, r->newdir, EXT2_FT_DIR);
		if (err)
			return err;
		r->od.i_links_count--;
		r->nd->i_links_count++;
	}
	ext2_inode_touch(fs, &r->src, false, false, true);
	err = ext2_inode_store(fs, src, &r->src);
	if (!err)
		err = ext2_inode_store(fs, r->olddir, &r->od);
	if (!err && r->nd != &r->od)
		err = ext2_inode_store(fs, r->newdir, r->nd);
	return err;
}

int ext2_rename(struct ext2_fs *fs, uint32_t olddir, const char *oldname, size_t oldlen,
		uint32_t newdir, const char *newname, size_t newlen)
{
	struct rename_ctx r = { .olddir = olddir, .newdir = newdir };
	int err;

	ext2_lock(fs);
	err = rename_locked(fs, &r, oldname, oldlen, newname, newlen);
	ext2_unlock(fs);
	return err;
}

int ext2_setattr(struct ext2_fs *fs, uint32_t ino, const struct ext2_setattr *attr)
{
	struct ext2_inode in;
	int err = -EROFS;

	ext2_lock(fs);
	if (!fs->read_only)
		err = ext2_inode_get(fs, ino, &in);
	if (!err) {
		if (attr->valid & EXT2_SET_MODE)
			in.i_mode = (uint16_t)((in.i_mode & EXT2_S_IFMT) | (attr->mode & EXT2_S_PERM));
		if (attr->valid & (EXT2_SET_UID | EXT2_SET_GID))
			ext2_inode_set_owner(fs, &in,
					     attr->valid & EXT2_SET_UID ? attr->uid : ext2_inode_uid(fs, &in),
					     attr->valid & EXT2_SET_GID ? attr->gid : ext2_inode_gid(fs, &in));
		if (attr->valid & EXT2_SET_ATIME)
			ext2_inode_set_time(&in, &in.i_atime, offsetof(struct ext2_inode, i_atime_extra),
					    attr->atime);
		if (attr->valid & EXT2_SET_MTIME)
			ext2_inode_set_time(&in, &in.i_mtime, offsetof(struct ext2_inode, i_mtime_extra),
					    attr->mtime);
		ext2_inode_touch(fs, &in, false, false, true);
		err = ext2_inode_store(fs, ino, &in);
	}
	ext2_unlock(fs);
	return err;
}

int ext2_evict(struct ext2_fs *fs, uint32_t ino)
{
	struct ext2_inode in;
	int err = -EROFS;

	ext2_lock(fs);
	if (!fs->read_only)
		err = ext2_inode_get(fs, ino, &in);
	if (!err && in.i_links_count == 0)
		err = ext2_inode_free(fs, ino, &in);
	ext2_unlock(fs);
	return err;
}
