/* ext2 mount, unmount and sync: superblock and group-descriptor checks, clean/unclean state. */
#include "fs/ext2_internal.h"

#include "lib/errno.h"
#include "lib/string.h"
#include "log.h"
#include "mm/kmalloc.h"

#define SUPPORTED_INCOMPAT  EXT2_FEATURE_INCOMPAT_FILETYPE
#define SUPPORTED_RO_COMPAT (EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER | EXT2_FEATURE_RO_COMPAT_LARGE_FILE)

#define CACHE_BYTES (1u << 20) /* unreferenced blocks the bcache keeps, in bytes */

int64_t ext2_now(struct ext2_fs *fs)
{
	return fs->clock ? fs->clock() : 0;
}

void ext2_mark_error(struct ext2_fs *fs)
{
	if (fs->state_at_mount & EXT2_ERROR_FS)
		return;
	fs->state_at_mount |= EXT2_ERROR_FS;
	fs->sb.s_state |= EXT2_ERROR_FS;
	fs->dirty = true;
}

void ext2_set_large_file(struct ext2_fs *fs)
{
	if (fs->sb.s_feature_ro_compat & EXT2_FEATURE_RO_COMPAT_LARGE_FILE)
		return;
	fs->sb.s_feature_ro_compat |= EXT2_FEATURE_RO_COMPAT_LARGE_FILE;
	fs->dirty = true;
}

static bool is_power_of(uint32_t n, uint32_t base)
{
	if (n == 0)
		return false;
	while (n % base == 0)
		n /= base;
	return n == 1;
}

bool ext2_group_has_super(const struct ext2_fs *fs, uint32_t g)
{
	if (g <= 1 || !(fs->sb.s_feature_ro_compat & EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER))
		return true;
	return is_power_of(g, 3) || is_power_of(g, 5) || is_power_of(g, 7);
}

/* Reads the 1024-byte superblock at byte 1024 of dev into *sb. */
static int read_super(struct blockdev *dev, struct ext2_super *sb)
{
	uint64_t first = EXT2_SUPER_OFFSET / dev->sector_size;
	uint64_t last = (EXT2_SUPER_OFFSET + EXT2_SUPER_SIZE - 1) / dev->sector_size;
	uint8_t *tmp;
	int err;

	if (blockdev_size(dev) < EXT2_SUPER_OFFSET + EXT2_SUPER_SIZE) {
		log_err("ext2", "%s: device too small for a superblock (%lu bytes)", dev->name,
			(unsigned long)blockdev_size(dev));
		return -EINVAL;
	}
	tmp = kmalloc((last - first + 1) * dev->sector_size);
	err = blockdev_read(dev, first, last - first + 1, tmp);
	if (!err)
		memcpy(sb, tmp + EXT2_SUPER_OFFSET - first * dev->sector_size, sizeof(*sb));
	kfree(tmp);
	return err;
}

/*
 * Checks the superblock alone and derives the geometry into fs. Returns 0,
 * -EINVAL (not ext2 we can mount), -EUCLEAN (inconsistent).
 */
static int check_super(struct ext2_fs *fs)
{
	const struct ext2_super *sb = &fs->sb;
	const char *name = fs->dev->name;
	uint64_t groups, bs;

	if (sb->s_magic != EXT2_MAGIC) {
		log_err("ext2", "%s: bad magic %#x (not ext2)", name, sb->s_magic);
		return -EINVAL;
	}
	if (sb->s_rev_level > EXT2_DYNAMIC_REV) {
		log_err("ext2", "%s: unsupported revision %u", name, sb->s_rev_level);
		return -EINVAL;
	}
	if (sb->s_log_block_size > EXT2_MAX_BLOCK_LOG - EXT2_MIN_BLOCK_LOG) {
		log_err("ext2", "%s: block size 2^%u KiB is not supported", name, sb->s_log_block_size);
		return -EINVAL;
	}
	bs = 1024u << sb->s_log_block_size;
	fs->block_size = (uint32_t)bs;
	if (sb->s_rev_level == EXT2_GOOD_OLD_REV) {
		fs->inode_size = EXT2_GOOD_OLD_INODE_SIZE;
		fs->first_ino = EXT2_GOOD_OLD_FIRST_INO;
	} else {
		if (sb->s_feature_incompat & ~SUPPORTED_INCOMPAT) {
			log_err("ext2", "%s: unsupported incompatible features %#x", name,
				sb->s_feature_incompat & ~SUPPORTED_INCOMPAT);
			return -EINVAL;
		}
		if (sb->s_feature_ro_compat & ~SUPPORTED_RO_COMPAT) {
			log_warn("ext2", "%s: unsupported read-only features %#x: mounting read-only",
				 name, sb->s_feature_ro_compat & ~SUPPORTED_RO_COMPAT);
			fs->read_only = true;
		}
		fs->inode_size = sb->s_inode_size;
		fs->first_ino = sb->s_first_ino;
		fs->has_filetype = sb->s_feature_incompat & EXT2_FEATURE_INCOMPAT_FILETYPE;
	}
	if (fs->inode_size < EXT2_GOOD_OLD_INODE_SIZE || fs->inode_size > bs ||
	    (fs->inode_size & (fs->inode_size - 1))) {
		log_err("ext2", "%s: bad inode size %u", name, fs->inode_size);
		return -EUCLEAN;
	}
	if (sb->s_blocks_count == 0 || (uint64_t)sb->s_blocks_count * bs > blockdev_size(fs->dev)) {
		log_err("ext2", "%s: %u blocks of %lu bytes do not fit the device (%lu bytes)", name,
			sb->s_blocks_count, (unsigned long)bs, (unsigned long)blockdev_size(fs->dev));
		return -EINVAL;
	}
	if (sb->s_first_data_block != (bs == 1024 ? 1u : 0u) ||
	    sb->s_first_data_block >= sb->s_blocks_count) {
		log_err("ext2", "%s: bad first data block %u", name, sb->s_first_data_block);
		return -EUCLEAN;
	}
	/* Group free counts are 16 bits wide: mke2fs caps groups at 65528 blocks. */
	if (sb->s_blocks_per_group < 8 || sb->s_blocks_per_group > 8 * bs ||
	    sb->s_blocks_per_group > 65528 || sb->s_blocks_per_group % 8 ||
	    sb->s_inodes_per_group == 0 || sb->s_inodes_per_group > 8 * bs ||
	    sb->s_inodes_per_group > 65535) {
		log_err("ext2", "%s: bad group geometry (%u blocks, %u inodes per group)", name,
			sb->s_blocks_per_group, sb->s_inodes_per_group);
		return -EUCLEAN;
	}
	groups = (sb->s_blocks_count - sb->s_first_data_block + sb->s_blocks_per_group - 1) /
		 sb->s_blocks_per_group;
	if ((uint64_t)sb->s_inodes_count != groups * sb->s_inodes_per_group) {
		log_err("ext2", "%s: %u inodes, but %lu groups of %u", name, sb->s_inodes_count,
			(unsigned long)groups, sb->s_inodes_per_group);
		return -EUCLEAN;
	}
	if (fs->first_ino < EXT2_GOOD_OLD_FIRST_INO || fs->first_ino > sb->s_inodes_count) {
		log_err("ext2", "%s: bad first inode %u", name, fs->first_ino);
		return -EUCLEAN;
	}
	fs->group_count = (uint32_t)groups;
	fs->gdt_blocks = (uint32_t)((groups * sizeof(struct ext2_group_desc) + bs - 1) / bs);
	fs->addrs_per_block = (uint32_t)(bs / 4);
	fs->inodes_per_block = (uint32_t)(bs / fs->inode_size);
	fs->itable_blocks = (uint32_t)(((uint64_t)sb->s_inodes_per_group * fs->inode_size + bs - 1) / bs);
	{
		uint64_t a = fs->addrs_per_block;

		fs->max_file_blocks = EXT2_NDIR_BLOCKS + a + a * a + a * a * a;
	}
	if (sb->s_first_data_block + 1 + (uint64_t)fs->gdt_blocks > sb->s_blocks_count ||
	    fs->itable_blocks > sb->s_blocks_per_group) {
		log_err("ext2", "%s: descriptors or inode tables do not fit (%u groups)", name,
			fs->group_count);
		return -EUCLEAN;
	}
	return 0;
}

/* Returns the first block of group g and the count of blocks it has. */
static void group_range(const struct ext2_fs *fs, uint32_t g, uint32_t *start, uint32_t *count)
{
	uint64_t first = fs->sb.s_first_data_block + (uint64_t)g * fs->sb.s_blocks_per_group;
	uint64_t end = first + fs->sb.s_blocks_per_group;

	if (end > fs->sb.s_blocks_count)
		end = fs->sb.s_blocks_count;
	*start = (uint32_t)first;
	*count = (uint32_t)(end - first);
}

/* Blocks at the start of group g taken by a superblock copy and descriptors. */
static uint32_t group_super_blocks(const struct ext2_fs *fs, uint32_t g)
{
	uint32_t n;

	if (!ext2_group_has_super(fs, g))
		return 0;
	n = 1 + fs->gdt_blocks;
	if (fs->sb.s_rev_level >= EXT2_DYNAMIC_REV &&
	    (fs->sb.s_feature_compat & EXT2_FEATURE_COMPAT_RESIZE_INODE))
		n += fs->sb.s_reserved_gdt_blocks;
	return n;
}

bool ext2_block_is_data(const struct ext2_fs *fs, uint32_t blk)
{
	const struct ext2_group_desc *gd;
	uint32_t g, start, count;

	if (blk < fs->sb.s_first_data_block || blk >= fs->sb.s_blocks_count)
		return false;
	g = (blk - fs->sb.s_first_data_block) / fs->sb.s_blocks_per_group;
	group_range(fs, g, &start, &count);
	gd = &fs->groups[g];
	if (blk - start < group_super_blocks(fs, g))
		return false;
	if (blk == gd->bg_block_bitmap || blk == gd->bg_inode_bitmap)
		return false;
	return blk < gd->bg_inode_table || blk - gd->bg_inode_table >= fs->itable_blocks;
}

/* Checks group g's descriptor: bitmaps and inode table inside the group, counts in range. */
static int check_group(struct ext2_fs *fs, uint32_t g)
{
	const struct ext2_group_desc *gd = &fs->groups[g];
	uint32_t start, count, meta;

	group_range(fs, g, &start, &count);
	meta = group_super_blocks(fs, g);
	if (meta > count) {
		log_err("ext2", "%s: group %u too small for its superblock copy", fs->dev->name, g);
		return -EUCLEAN;
	}
	if (gd->bg_block_bitmap < start + meta || gd->bg_block_bitmap - start >= count ||
	    gd->bg_inode_bitmap < start + meta || gd->bg_inode_bitmap - start >= count ||
	    gd->bg_block_bitmap == gd->bg_inode_bitmap) {
		log_err("ext2", "%s: group %u: bitmaps at blocks %u and %u overlap or are not in the group",
			fs->dev->name, g, gd->bg_block_bitmap, gd->bg_inode_bitmap);
		return -EUCLEAN;
	}
	if (gd->bg_inode_table < start + meta || gd->bg_inode_table - start >= count ||
	    count - (gd->bg_inode_table - start) < fs->itable_blocks ||
	    gd->bg_block_bitmap - gd->bg_inode_table < fs->itable_blocks ||
	    gd->bg_inode_bitmap - gd->bg_inode_table < fs->itable_blocks) {
		log_err("ext2", "%s: group %u: inode table at block %u (%u blocks) is not in the group",
			fs->dev->name, g, gd->bg_inode_table, fs->itable_blocks);
		return -EUCLEAN;
	}
	if (gd->bg_free_blocks_count > count || gd->bg_free_inodes_count > fs->sb.s_inodes_per_group) {
		log_err("ext2", "%s: group %u: free counts %u/%u exceed the group", fs->dev->name, g,
			gd->bg_free_blocks_count, gd->bg_free_inodes_count);
		return -EUCLEAN;
	}
	return 0;
}

/* Reads and checks the group descriptor table. */
static int load_groups(struct ext2_fs *fs)
{
	size_t bytes = (size_t)fs->group_count * sizeof(struct ext2_group_desc);
	uint8_t *dst;
	int err;

	fs->groups = kmalloc(bytes);
	dst = (uint8_t *)fs->groups;
	for (uint32_t i = 0; i < fs->gdt_blocks; i++) {
		size_t chunk = bytes - (size_t)i * fs->block_size;
		struct buf *b;

		if (chunk > fs->block_size)
			chunk = fs->block_size;
		err = bcache_get(fs->cache, fs->sb.s_first_data_block + 1 + i, &b);
		if (err)
			return err;
		memcpy(dst + (size_t)i * fs->block_size, b->data, chunk);
		bcache_put(b);
	}
	for (uint32_t g = 0; g < fs->group_count; g++) {
		err = check_group(fs, g);
		if (err)
			return err;
	}
	return 0;
}

/* Copies the superblock and descriptors into their blocks (and backup features). */
static int write_metadata(struct ext2_fs *fs)
{
	size_t bytes = (size_t)fs->group_count * sizeof(struct ext2_group_desc);
	uint32_t sb_block = fs->block_size == 1024 ? 1 : 0;
	uint32_t sb_offset = fs->block_size == 1024 ? 0 : EXT2_SUPER_OFFSET;
	struct buf *b;
	int err;

	fs->sb.s_wtime = (uint32_t)ext2_now(fs);
	err = bcache_get(fs->cache, sb_block, &b);
	if (err)
		return err;
	memcpy(b->data + sb_offset, &fs->sb, sizeof(fs->sb));
	bcache_mark_dirty(b);
	bcache_put(b);
	for (uint32_t i = 0; i < fs->gdt_blocks; i++) {
		size_t chunk = bytes - (size_t)i * fs->block_size;

		if (chunk > fs->block_size)
			chunk = fs->block_size;
		err = bcache_get(fs->cache, fs->sb.s_first_data_block + 1 + i, &b);
		if (err)
			return err;
		memcpy(b->data, (uint8_t *)fs->groups + (size_t)i * fs->block_size, chunk);
		bcache_mark_dirty(b);
		bcache_put(b);
	}
	/* Backups keep their own counts, but must agree on the features. */
	for (uint32_t g = 1; g < fs->group_count; g++) {
		struct ext2_super *backup;
		uint32_t start, count;

		if (!ext2_group_has_super(fs, g))
			continue;
		group_range(fs, g, &start, &count);
		err = bcache_get(fs->cache, start, &b);
		if (err)
			return err;
		backup = (struct ext2_super *)b->data;
		if (backup->s_magic == EXT2_MAGIC &&
		    backup->s_feature_ro_compat != fs->sb.s_feature_ro_compat) {
			backup->s_feature_ro_compat = fs->sb.s_feature_ro_compat;
			bcache_mark_dirty(b);
		}
		bcache_put(b);
	}
	fs->dirty = false;
	return 0;
}

/* Writes metadata and dirty blocks; the lock is held. */
static int sync_locked(struct ext2_fs *fs)
{
	int err = 0;

	if (fs->read_only)
		return 0;
	if (fs->dirty)
		err = write_metadata(fs);
	if (!err)
		err = bcache_sync(fs->cache);
	return err;
}

static void fs_free(struct ext2_fs *fs)
{
	if (fs->cache)
		bcache_destroy(fs->cache);
	kfree(fs->groups);
	kfree(fs);
}

int ext2_mount(struct blockdev *dev, unsigned flags, ext2_clock_fn clock, struct ext2_fs **out)
{
	struct ext2_fs *fs = kzalloc(sizeof(*fs));
	struct ext2_inode root;
	unsigned capacity;
	int err;

	fs->lock.spin = (struct spinlock)SPINLOCK_INIT("ext2");
	ext2_lock(fs); /* not shared yet, but the helpers check that it is held */
	fs->dev = dev;
	fs->flags = flags;
	fs->clock = clock;
	fs->read_only = (flags & EXT2_MOUNT_RDONLY) || dev->read_only;
	err = read_super(dev, &fs->sb);
	if (!err)
		err = check_super(fs);
	if (err)
		goto out_free;
	capacity = CACHE_BYTES / fs->block_size;
	fs->cache = bcache_create(dev, fs->block_size, capacity < 16 ? 16 : capacity);
	if (!fs->cache) {
		err = -EINVAL;
		goto out_free;
	}
	err = load_groups(fs);
	if (err)
		goto out_free;
	err = ext2_inode_get(fs, EXT2_ROOT_INO, &root);
	if (!err && (root.i_mode & EXT2_S_IFMT) != EXT2_S_IFDIR) {
		log_err("ext2", "%s: inode 2 (the root) is not a directory (mode %#o)", dev->name,
			root.i_mode);
		err = -EUCLEAN;
	}
	if (err)
		goto out_free;
	fs->state_at_mount = fs->sb.s_state;
	if (!fs->read_only) {
		if (!(fs->sb.s_state & EXT2_VALID_FS) || (fs->sb.s_state & EXT2_ERROR_FS))
			log_warn("ext2", "%s: mounting a filesystem that was not cleanly unmounted "
				 "or has errors: run e2fsck", dev->name);
		fs->sb.s_state &= (uint16_t)~EXT2_VALID_FS;
		fs->sb.s_mnt_count++;
		fs->sb.s_mtime = (uint32_t)ext2_now(fs);
		fs->dirty = true;
		err = sync_locked(fs);
		if (err)
			goto out_free;
	}
	ext2_unlock(fs);
	*out = fs;
	return 0;

out_free:
	ext2_unlock(fs);
	fs_free(fs); /* nothing is dirty yet: the cache goes without writing */
	return err;
}

int ext2_sync(struct ext2_fs *fs)
{
	int err;

	ext2_lock(fs);
	err = sync_locked(fs);
	ext2_unlock(fs);
	return err;
}

int ext2_unmount(struct ext2_fs *fs)
{
	int err = 0;

	ext2_lock(fs);
	if (!fs->read_only) {
		fs->sb.s_state = fs->state_at_mount;
		fs->dirty = true;
		err = sync_locked(fs);
	}
	ext2_unlock(fs);
	fs_free(fs);
	return err;
}

bool ext2_read_only(struct ext2_fs *fs)
{
	return fs->read_only;
}

int ext2_statfs(struct ext2_fs *fs, struct ext2_statfs *st)
{
	ext2_lock(fs);
	st->block_size = fs->block_size;
	st->blocks = fs->sb.s_blocks_count;
	st->free_blocks = fs->sb.s_free_blocks_count;
	st->inodes = fs->sb.s_inodes_count;
	st->free_inodes = fs->sb.s_free_inodes_count;
	st->name_max = EXT2_NAME_LEN;
	ext2_unlock(fs);
	return 0;
}
