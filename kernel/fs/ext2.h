/* ext2: an inode-level filesystem library (read and write) for the VFS and host tools. */
#ifndef FS_EXT2_H
#define FS_EXT2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fs/blockdev.h"

/*
 * What this driver does
 *
 * ext2 revisions 0 and 1 with 1-64 KiB blocks, 128-byte or larger inodes,
 * direct/indirect/double/triple block maps with holes, file sizes past
 * 4 GiB, directories with and without file types in entries, hashed
 * (dir_index) directories read linearly, fast and slow symlinks, device
 * nodes, fifos and sockets.
 *
 * Features, by the ext2 rules: an INCOMPAT feature other than FILETYPE
 * refuses the mount (-EINVAL); a RO_COMPAT feature other than SPARSE_SUPER
 * and LARGE_FILE mounts read-only (writes then fail with -EROFS); COMPAT
 * features are ignored (a journal is never replayed: an ext3 volume that
 * needs recovery has the INCOMPAT RECOVER bit and is refused).
 * Hashed directories are not maintained: the first change to one clears
 * its index flag, after which it is an ordinary linear directory (valid
 * ext2; e2fsck -D can index it again). Blocks reserved for root
 * (s_r_blocks_count) are not enforced; extended attributes are kept but
 * never read.
 *
 * Interface
 *
 * Objects are named by inode number (uint32_t). Names are byte strings
 * with a length, 1..255 bytes, without '/' or NUL; no path walking happens
 * here. Every function returns 0 (or a count) on success and a negative
 * errno on failure; a failure found in the image (a block number out of
 * range, a malformed directory entry, an inode that is not in use...) is
 * -EUCLEAN or -EIO, logged with the module tag "ext2" and the inode or
 * block concerned, and marks the filesystem as having errors. Nothing the
 * image contains makes the driver panic, read or write outside the device,
 * or loop without bound.
 *
 * Time: write operations stamp inodes with the mount's clock callback
 * (seconds since the epoch; the kernel passes its wall clock, host tools
 * time(NULL)). Reads never update atime (as if mounted noatime); 256-byte
 * inodes keep the epoch bits, so times past 2038 survive.
 *
 * Freeing: an inode whose link count reaches 0 (unlink, rmdir, a rename
 * that replaces it) is freed at once, unless the mount has
 * EXT2_MOUNT_DEFER_FREE: then it stays allocated, readable and writable by
 * number, until the caller (the VFS, at the last close) calls ext2_evict.
 *
 * Locking: one lock per mounted filesystem (struct ext2_fs.lock)
 * serialises every call below; callers need no lock of their own, and the
 * functions never call back into the caller. The lock is a spinlock for
 * now, behind ext2_lock()/ext2_unlock() in ext2_internal.h, so it can
 * become a sleeping mutex once there is a disk that sleeps.
 */

#define EXT2_ROOT_INODE 2

/* ext2_mount flags */
#define EXT2_MOUNT_RDONLY     0x1 /* never write; the image is left byte-for-byte intact */
#define EXT2_MOUNT_DEFER_FREE 0x2 /* nlink 0 does not free: see ext2_evict */

struct ext2_fs;

/* Seconds since the epoch, for time stamps. */
typedef int64_t (*ext2_clock_fn)(void);

/*
 * Mounts the ext2 filesystem on dev: checks the superblock (magic,
 * revision, block size, counts against the device size, features) and
 * every group descriptor. A read-write mount marks the filesystem
 * "not clean" on disk until ext2_unmount. A device marked read-only, or
 * unknown RO_COMPAT features, give a read-only mount (ext2_read_only()).
 * clock may be NULL (time stamps are then 0). On success *out is the
 * mounted filesystem. Returns 0, -EINVAL for something that is not ext2 or
 * has unsupported features, -EUCLEAN for inconsistent metadata, -EIO.
 */
int ext2_mount(struct blockdev *dev, unsigned flags, ext2_clock_fn clock, struct ext2_fs **out);

/*
 * Writes everything back, marks the filesystem clean (unless errors were
 * found) and frees fs. Returns 0 or the first write error (fs is freed anyway).
 */
int ext2_unmount(struct ext2_fs *fs);

/* Writes every change so far to the device. Returns 0 or -EIO. */
int ext2_sync(struct ext2_fs *fs);

/* True if the mount is read-only (asked for, or forced by features). */
bool ext2_read_only(struct ext2_fs *fs);

/* The root directory's inode number. */
static inline uint32_t ext2_root_ino(void)
{
	return EXT2_ROOT_INODE;
}

struct ext2_stat {
	uint32_t ino;
	uint32_t mode;       /* POSIX type and permission bits (S_IFREG | 0644 ...) */
	uint32_t uid, gid;
	uint32_t nlink;
	uint32_t rdev;       /* character/block devices: Linux dev_t, (major << 8) | minor... as makedev() */
	uint64_t size;       /* bytes; for a symlink the target's length */
	uint64_t blocks;     /* 512-byte units allocated, indirect blocks included */
	uint32_t block_size; /* the filesystem's block size */
	int64_t atime, mtime, ctime; /* seconds since the epoch */
};

/* Fills *st for inode ino. Returns 0, -EINVAL (ino out of range), -EUCLEAN. */
int ext2_stat(struct ext2_fs *fs, uint32_t ino, struct ext2_stat *st);

struct ext2_statfs {
	uint32_t block_size;
	uint64_t blocks, free_blocks;
	uint64_t inodes, free_inodes;
	uint32_t name_max;   /* 255 */
};

/* Fills *st with the filesystem's sizes and free counts. Returns 0. */
int ext2_statfs(struct ext2_fs *fs, struct ext2_statfs *st);

/*
 * Looks name (len bytes) up in directory dir. "." and ".." are ordinary
 * entries. Returns 0 with the inode in *ino, -ENOENT, -ENOTDIR, -EINVAL
 * (bad name), -EUCLEAN.
 */
int ext2_lookup(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len, uint32_t *ino);

/* One directory entry, as ext2_readdir returns it. */
struct ext2_dir_entry {
	uint32_t ino;
	uint8_t type;        /* EXT2_FT_* from ext2_disk.h; EXT2_FT_UNKNOWN without the filetype feature */
	uint8_t name_len;
	char name[256];      /* name_len bytes, then a NUL */
};

/*
 * Reads the next entry of directory dir at or after *cookie (start with
 * 0), "." and ".." included, and advances *cookie past it. A cookie is a
 * byte offset that stays usable across changes to the directory (an entry
 * added or removed meanwhile may or may not be seen). Returns 1 with *out
 * filled, 0 at the end, -ENOTDIR, -EUCLEAN.
 */
int ext2_readdir(struct ext2_fs *fs, uint32_t dir, uint64_t *cookie, struct ext2_dir_entry *out);

/*
 * Reads up to n bytes of regular file ino at offset off into buf (holes
 * read as zeros). Returns the count read (0 at or past the end), -EISDIR,
 * -EINVAL (not a regular file), -EUCLEAN, -EIO.
 */
int64_t ext2_read(struct ext2_fs *fs, uint32_t ino, uint64_t off, void *buf, size_t n);

/*
 * Writes n bytes of buf to regular file ino at offset off, allocating
 * blocks as needed; writing past the end leaves a hole in between. Updates
 * mtime and ctime. Returns n, or a short count if the disk filled up after
 * some bytes were written, or -ENOSPC/-EFBIG (nothing written), -EROFS,
 * -EISDIR, -EINVAL, -EUCLEAN, -EIO.
 */
int64_t ext2_write(struct ext2_fs *fs, uint32_t ino, uint64_t off, const void *buf, size_t n);

/*
 * Sets regular file ino's size: shrinking frees the blocks past the end,
 * growing leaves a hole. Updates mtime and ctime. Returns 0, -EFBIG,
 * -EROFS, -EISDIR, -EINVAL, -EUCLEAN, -EIO.
 */
int ext2_truncate(struct ext2_fs *fs, uint32_t ino, uint64_t size);

/* What a new inode gets. */
struct ext2_new_inode {
	uint32_t mode;       /* type (S_IFREG, S_IFDIR, S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK) | permissions */
	uint32_t uid, gid;
	uint32_t rdev;       /* devices only: as ext2_stat.rdev */
};

/*
 * Creates name in directory dir as a new inode of attr->mode's type
 * (a directory gets "." and ".."; symlinks go through ext2_symlink).
 * Returns 0 with the new inode in *ino (may be NULL), -EEXIST, -ENOENT,
 * -ENOTDIR, -EINVAL (bad name or type), -ENAMETOOLONG, -EMLINK, -ENOSPC,
 * -EROFS, -EUCLEAN, -EIO.
 */
int ext2_create(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len,
		const struct ext2_new_inode *attr, uint32_t *ino);

/*
 * Creates name in dir as a symlink to target (tlen bytes, 1..4095 and less
 * than a block): targets up to 59 bytes live in the inode ("fast"), longer
 * ones in a block. Mode is 0777. Returns as ext2_create.
 */
int ext2_symlink(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len,
		 const char *target, size_t tlen, uint32_t uid, uint32_t gid, uint32_t *ino);

/*
 * Copies symlink ino's target into buf (at most size bytes, no NUL added).
 * Returns the target's full length, -EINVAL (not a symlink), -EUCLEAN.
 */
int ext2_readlink(struct ext2_fs *fs, uint32_t ino, char *buf, size_t size);

/*
 * Adds name in dir as another link to ino (not a directory). Returns 0,
 * -EEXIST, -EPERM (a directory), -EMLINK, -ENOSPC, -EROFS, -EUCLEAN.
 */
int ext2_link(struct ext2_fs *fs, uint32_t ino, uint32_t dir, const char *name, size_t len);

/*
 * Removes name (not a directory) from dir; the inode is freed when no link
 * is left (see EXT2_MOUNT_DEFER_FREE). Returns 0, -ENOENT, -EISDIR,
 * -EROFS, -EUCLEAN.
 */
int ext2_unlink(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len);

/*
 * Removes the empty directory name from dir. Returns 0, -ENOENT, -ENOTDIR,
 * -ENOTEMPTY, -EINVAL ("." or ".." or the root), -EROFS, -EUCLEAN.
 */
int ext2_rmdir(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len);

/*
 * Renames olddir/oldname to newdir/newname, replacing newname if it
 * exists (a file by a file, a directory by a directory only if empty).
 * Renaming to another link of the same inode does nothing. A directory
 * cannot move below itself. Returns 0, -ENOENT, -ENOTDIR, -EISDIR,
 * -ENOTEMPTY, -EINVAL, -EMLINK, -ENOSPC, -EROFS, -EUCLEAN.
 */
int ext2_rename(struct ext2_fs *fs, uint32_t olddir, const char *oldname, size_t oldlen,
		uint32_t newdir, const char *newname, size_t newlen);

/* ext2_setattr: which fields to change */
#define EXT2_SET_MODE  0x01 /* permission bits only (& 07777); the type stays */
#define EXT2_SET_UID   0x02
#define EXT2_SET_GID   0x04
#define EXT2_SET_ATIME 0x08
#define EXT2_SET_MTIME 0x10

struct ext2_setattr {
	unsigned valid;      /* EXT2_SET_* */
	uint32_t mode, uid, gid;
	int64_t atime, mtime;
};

/* Changes the attributes valid says; ctime becomes now. Returns 0, -EROFS, -EUCLEAN. */
int ext2_setattr(struct ext2_fs *fs, uint32_t ino, const struct ext2_setattr *attr);

/*
 * With EXT2_MOUNT_DEFER_FREE: frees inode ino if its link count is 0 (its
 * last user is gone). Returns 0 (also when links remain), -EROFS, -EUCLEAN.
 */
int ext2_evict(struct ext2_fs *fs, uint32_t ino);

#endif
