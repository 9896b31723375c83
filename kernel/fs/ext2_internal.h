/* ext2 internals shared by the driver's files: the mounted-filesystem state and helpers. */
#ifndef FS_EXT2_INTERNAL_H
#define FS_EXT2_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fs/bcache.h"
#include "fs/ext2.h"
#include "fs/ext2_disk.h"
#include "panic.h"
#include "sched/spinlock.h"

/*
 * Files: ext2.c mounts and syncs, ext2_alloc.c owns the bitmaps and free
 * counts, ext2_inode.c inodes, block maps and file data, ext2_dir.c
 * directory blocks, ext2_ops.c the public namespace operations.
 *
 * The fs lock: every public function takes it first (ext2_lock) and drops
 * it last; every helper here expects it held. It is the only lock; the
 * bcache under it has none of its own. A spinlock for now: replace the
 * two wrappers below to make it a sleeping mutex.
 */
struct ext2_lock {
	struct spinlock spin;
};

struct ext2_fs {
	struct ext2_lock lock;           /* serialises all operations; protects all below */
	struct blockdev *dev;
	struct bcache *cache;            /* blocks of block_size bytes */
	struct ext2_super sb;            /* the primary superblock; written back at sync */
	struct ext2_group_desc *groups;  /* group_count descriptors; written back at sync */
	uint32_t group_count;
	uint32_t gdt_blocks;             /* blocks the descriptor table takes */
	uint32_t block_size;
	uint32_t addrs_per_block;        /* block numbers in an indirect block */
	uint32_t inode_size;
	uint32_t inodes_per_block;
	uint32_t itable_blocks;          /* inode-table blocks per group */
	uint32_t first_ino;              /* first non-reserved inode */
	uint64_t max_file_blocks;        /* logical blocks the map can address */
	unsigned flags;                  /* EXT2_MOUNT_* */
	bool read_only;
	bool has_filetype;               /* directory entries carry a file type */
	bool dirty;                      /* superblock or descriptors changed since sync */
	uint16_t state_at_mount;         /* s_state to write back at unmount */
	ext2_clock_fn clock;
};

static inline void ext2_lock(struct ext2_fs *fs)
{
	spin_lock(&fs->lock.spin);
}

static inline void ext2_unlock(struct ext2_fs *fs)
{
	spin_unlock(&fs->lock.spin);
}

static inline bool ext2_lock_held(struct ext2_fs *fs)
{
	return spin_held(&fs->lock.spin);
}

/* Panics (a bug, not bad input) if the caller does not hold the fs lock. */
static inline void ext2_assert_locked(struct ext2_fs *fs, const char *func)
{
	if (!ext2_lock_held(fs))
		panic("%s: ext2 lock not held", func);
}

/* ext2.c */

/* Records that the image has errors: s_state gets EXT2_ERROR_FS at the next sync. */
void ext2_mark_error(struct ext2_fs *fs);

/* The mount clock's "now" (0 without a clock). */
int64_t ext2_now(struct ext2_fs *fs);

/* Sets the LARGE_FILE feature (a file grew past 2 GiB - 1). */
void ext2_set_large_file(struct ext2_fs *fs);

/* True if group g holds a superblock backup. */
bool ext2_group_has_super(const struct ext2_fs *fs, uint32_t g);

/*
 * True if blk may be a file's data or indirect block: inside the
 * filesystem and not a superblock, descriptor, bitmap or inode-table block.
 */
bool ext2_block_is_data(const struct ext2_fs *fs, uint32_t blk);

/* ext2_alloc.c */

/* Allocates a block, near goal if possible. Returns 0 with *blk, -ENOSPC, -EUCLEAN, -EIO. */
int ext2_alloc_block(struct ext2_fs *fs, uint32_t goal, uint32_t *blk);

/*
 * Frees blk (a block of inode ino). Returns true if it was freed; a block
 * already free or not a data block is logged and left alone (false).
 */
bool ext2_free_block(struct ext2_fs *fs, uint32_t ino, uint32_t blk);

/*
 * Allocates an inode for a new file (dir: a directory) created in
 * directory parent. Returns 0 with *ino, -ENOSPC, -EUCLEAN, -EIO.
 */
int ext2_alloc_inode(struct ext2_fs *fs, uint32_t parent, bool dir, uint32_t *ino);

/* Frees inode number ino in the bitmap and counts (dir: it was a directory). */
void ext2_free_inode_bit(struct ext2_fs *fs, uint32_t ino, bool dir);

/* ext2_inode.c */

/* Reads inode ino without judging it (1 <= ino <= s_inodes_count). Returns 0, -EINVAL, -EIO. */
int ext2_inode_load(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in);

/*
 * Reads inode ino and checks that it is in use with a known type. Returns
 * 0, -EINVAL (ino out of range), -EUCLEAN (after logging), -EIO.
 */
int ext2_inode_get(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in);

/* Writes in back as inode ino (its first min(inode size, 160) bytes). Returns 0 or -EIO. */
int ext2_inode_store(struct ext2_fs *fs, uint32_t ino, const struct ext2_inode *in);

/* Writes the new inode ino: in, and zeros for the rest of its on-disk slot. */
int ext2_inode_store_new(struct ext2_fs *fs, uint32_t ino, const struct ext2_inode *in);

/* The inode's size in bytes (the high word only for regular files). */
uint64_t ext2_inode_size(const struct ext2_inode *in);

/* Sets the size; a regular file past 2 GiB - 1 turns on LARGE_FILE. */
void ext2_inode_set_size(struct ext2_fs *fs, struct ext2_inode *in, uint64_t size);

/* Time stamps, with the epoch bits of large inodes. */
int64_t ext2_inode_time(const struct ext2_inode *in, uint32_t lo, size_t extra_offset);
void ext2_inode_touch(struct ext2_fs *fs, struct ext2_inode *in, bool atime, bool mtime, bool ctime);
void ext2_inode_set_time(struct ext2_inode *in, uint32_t *lo, size_t extra_offset, int64_t t);

/* Owner (with the Linux high 16 bits). */
uint32_t ext2_inode_uid(const struct ext2_fs *fs, const struct ext2_inode *in);
uint32_t ext2_inode_gid(const struct ext2_fs *fs, const struct ext2_inode *in);
void ext2_inode_set_owner(struct ext2_fs *fs, struct ext2_inode *in, uint32_t uid, uint32_t gid);

/*
 * Maps logical block lblk of inode ino (in memory: *in). *pblk becomes 0
 * for a hole. With create, allocates the missing data and indirect
 * blocks (indirect blocks zeroed, i_blocks updated in *in, which the
 * caller must store); *fresh then says the data block is new (its
 * contents are garbage: the caller overwrites or zeroes it). Returns 0,
 * -EFBIG (beyond what the map can address), -ENOSPC, -EUCLEAN, -EIO.
 */
int ext2_bmap(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in, uint64_t lblk, bool create,
	      uint32_t *pblk, bool *fresh);

/* Reads/writes file data: as ext2_read/ext2_write, with the inode loaded. */
int64_t ext2_inode_read(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in, uint64_t off,
			void *buf, size_t n);
int64_t ext2_inode_write(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in, uint64_t off,
			 const void *buf, size_t n);

/* Frees the blocks from byte `size` on and sets the size; stores the inode. */
int ext2_inode_truncate(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in, uint64_t size);

/*
 * Drops one link of inode ino (in memory: *in, stored here); at 0 the
 * inode is freed unless the mount defers that. Returns 0 or -EIO.
 */
int ext2_inode_unlink(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in);

/* Copies symlink ino's target: as ext2_readlink, with the inode loaded. */
int ext2_inode_readlink(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in, char *buf,
			size_t size);

/* Frees inode ino (link count 0): its blocks, then the inode. */
int ext2_inode_free(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in);

/* The largest size a regular file may have on this filesystem. */
uint64_t ext2_max_file_size(const struct ext2_fs *fs);

/* ext2_dir.c */

/* Where a directory entry is. */
struct ext2_dir_slot {
	uint64_t lblk;       /* logical block of the directory */
	uint32_t offset;     /* of the entry in the block */
	uint32_t ino;        /* the entry's inode */
	uint8_t type;        /* its file type (EXT2_FT_UNKNOWN without the feature) */
};

/* Checks a name for a new or looked-up entry: 1..255 bytes, no '/' or NUL. */
int ext2_check_name(const char *name, size_t len);

/* The EXT2_FT_* type for an i_mode. */
uint8_t ext2_mode_to_ft(uint32_t mode);

/* Finds name in directory dir. Returns 0 with *slot, -ENOENT, -EUCLEAN, -EIO. */
int ext2_dir_find(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *dir_in, const char *name,
		  size_t len, struct ext2_dir_slot *slot);

/*
 * Adds the entry name -> ino (type ft) to directory dir (in memory:
 * *dir_in), growing it by a block if no block has room; clears a hash
 * index. Stores the directory inode. Returns 0, -ENOSPC, -EFBIG, -EUCLEAN, -EIO.
 */
int ext2_dir_add(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *dir_in, const char *name,
		 size_t len, uint32_t ino, uint8_t ft);

/* Removes the entry at slot from directory dir (stores the directory inode). */
int ext2_dir_remove(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *dir_in,
		    const struct ext2_dir_slot *slot);

/* Points the entry at slot to ino (type ft) instead. */
int ext2_dir_retarget(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *dir_in,
		      const struct ext2_dir_slot *slot, uint32_t ino, uint8_t ft);

/* Returns 1 if directory dir holds only "." and "..", 0 if not, or -EUCLEAN/-EIO. */
int ext2_dir_is_empty(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *dir_in);

/* Gives the new directory dir its first block with "." and ".." (-> parent). */
int ext2_dir_init(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *dir_in, uint32_t parent);

/* The entry at or after *cookie: as ext2_readdir. */
int ext2_dir_next(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *dir_in, uint64_t *cookie,
		  struct ext2_dir_entry *out);

#endif
