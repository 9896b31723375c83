/* ext2 allocation: block and inode bitmaps, with group and superblock free counts kept in step. */
#include "fs/ext2_internal.h"

#include "lib/errno.h"
#include "lib/string.h"
#include "log.h"

/* The first block of group g and its block count. */
static void group_blocks(const struct ext2_fs *fs, uint32_t g, uint32_t *start, uint32_t *count)
{
	uint64_t first = fs->sb.s_first_data_block + (uint64_t)g * fs->sb.s_blocks_per_group;
	uint64_t end = first + fs->sb.s_blocks_per_group;

	if (end > fs->sb.s_blocks_count)
		end = fs->sb.s_blocks_count;
	*start = (uint32_t)first;
	*count = (uint32_t)(end - first);
}

/*
 * Finds a clear bit among the first nbits of bitmap block bitmap_blk,
 * looking from bit `from` to the end and then from 0, and sets it.
 * Returns 0 with *bit, -ENOSPC (all set), -EIO.
 */
static int bitmap_take(struct ext2_fs *fs, uint32_t bitmap_blk, uint32_t nbits, uint32_t from,
		       uint32_t *bit)
{
	struct buf *b;
	int err = bcache_get(fs->cache, bitmap_blk, &b);

	if (err)
		return err;
	if (from >= nbits)
		from = 0;
	for (uint32_t pass = 0; pass < 2; pass++) {
		uint32_t lo = pass == 0 ? from : 0, hi = pass == 0 ? nbits : from;

		for (uint32_t i = lo; i < hi; i++) {
			if (i % 8 == 0 && hi - i >= 8 && b->data[i / 8] == 0xff) {
				i += 7;
				continue;
			}
			if (!(b->data[i / 8] & (1u << (i % 8)))) {
				b->data[i / 8] |= (uint8_t)(1u << (i % 8));
				bcache_mark_dirty(b);
				bcache_put(b);
				*bit = i;
				return 0;
			}
		}
	}
	bcache_put(b);
	return -ENOSPC;
}

/* Clears bit `bit` of bitmap block bitmap_blk. Returns 1 if it was set, 0 if not, -EIO. */
static int bitmap_clear(struct ext2_fs *fs, uint32_t bitmap_blk, uint32_t bit)
{
	struct buf *b;
	int err = bcache_get(fs->cache, bitmap_blk, &b);
	uint8_t mask = (uint8_t)(1u << (bit % 8));
	int was_set;

	if (err)
		return err;
	was_set = (b->data[bit / 8] & mask) != 0;
	if (was_set) {
		b->data[bit / 8] &= (uint8_t)~mask;
		bcache_mark_dirty(b);
	}
	bcache_put(b);
	return was_set;
}

/* Counts a block of group g taken (delta -1) or given back (+1). */
static void count_blocks(struct ext2_fs *fs, uint32_t g, int delta)
{
	fs->groups[g].bg_free_blocks_count = (uint16_t)(fs->groups[g].bg_free_blocks_count + delta);
	fs->sb.s_free_blocks_count = (uint32_t)(fs->sb.s_free_blocks_count + delta);
	fs->dirty = true;
}

int ext2_alloc_block(struct ext2_fs *fs, uint32_t goal, uint32_t *blk)
{
	uint32_t g0, start, count, bit;
	int err;

	ext2_assert_locked(fs, __func__);
	if (goal < fs->sb.s_first_data_block || goal >= fs->sb.s_blocks_count)
		goal = fs->sb.s_first_data_block;
	g0 = (goal - fs->sb.s_first_data_block) / fs->sb.s_blocks_per_group;
	for (uint32_t k = 0; k < fs->group_count; k++) {
		uint32_t g = (g0 + k) % fs->group_count;
		uint32_t from;

		group_blocks(fs, g, &start, &count);
		from = k == 0 ? goal - start : 0;
		/* Each round takes one bit, so this ends within count rounds. */
		while (fs->groups[g].bg_free_blocks_count > 0) {
			err = bitmap_take(fs, fs->groups[g].bg_block_bitmap, count, from, &bit);
			if (err == -ENOSPC) {
				log_err("ext2", "group %u: %u free blocks counted, none in bitmap block %u",
					g, fs->groups[g].bg_free_blocks_count,
					fs->groups[g].bg_block_bitmap);
				ext2_mark_error(fs);
				break;
			}
			if (err)
				return err;
			count_blocks(fs, g, -1);
			if (ext2_block_is_data(fs, start + bit)) {
				*blk = start + bit;
				return 0;
			}
			log_err("ext2", "group %u: metadata block %u was marked free", g, start + bit);
			ext2_mark_error(fs);
		}
	}
	return -ENOSPC;
}

bool ext2_free_block(struct ext2_fs *fs, uint32_t ino, uint32_t blk)
{
	uint32_t g, start, count;
	int was_set;

	if (!ext2_block_is_data(fs, blk)) {
		log_err("ext2", "inode %u: not freeing block %u: not a data block", ino, blk);
		ext2_mark_error(fs);
		return false;
	}
	g = (blk - fs->sb.s_first_data_block) / fs->sb.s_blocks_per_group;
	group_blocks(fs, g, &start, &count);
	was_set = bitmap_clear(fs, fs->groups[g].bg_block_bitmap, blk - start);
	if (was_set < 0)
		return false;
	if (!was_set) {
		log_err("ext2", "inode %u: block %u was already free", ino, blk);
		ext2_mark_error(fs);
		return false;
	}
	count_blocks(fs, g, +1);
	return true;
}

/* The group for a new inode: directories spread out, files stay near their parent. */
static uint32_t pick_inode_group(struct ext2_fs *fs, uint32_t parent, bool dir)
{
	uint32_t pg = (parent - 1) / fs->sb.s_inodes_per_group;
	uint32_t best = fs->group_count;

	if (pg >= fs->group_count)
		pg = 0;
	if (!dir) {
		for (uint32_t k = 0; k < fs->group_count; k++) {
			uint32_t g = (pg + k) % fs->group_count;

			if (fs->groups[g].bg_free_inodes_count > 0)
				return g;
		}
		return pg;
	}
	/* A directory: the group with the most free blocks among those with
	 * at least an average share of free inodes. */
	{
		uint32_t avg = fs->sb.s_free_inodes_count / fs->group_count;

		for (uint32_t k = 0; k < fs->group_count; k++) {
			uint32_t g = (pg + k) % fs->group_count;
			const struct ext2_group_desc *gd = &fs->groups[g];

			if (gd->bg_free_inodes_count == 0 || gd->bg_free_inodes_count < avg)
				continue;
			if (best == fs->group_count ||
			    gd->bg_free_blocks_count > fs->groups[best].bg_free_blocks_count)
				best = g;
		}
	}
	return best == fs->group_count ? pg : best;
}

int ext2_alloc_inode(struct ext2_fs *fs, uint32_t parent, bool dir, uint32_t *ino)
{
	uint32_t g0 = pick_inode_group(fs, parent, dir), ipg = fs->sb.s_inodes_per_group, bit;
	int err;

	for (uint32_t k = 0; k < fs->group_count; k++) {
		uint32_t g = (g0 + k) % fs->group_count;
		struct ext2_group_desc *gd = &fs->groups[g];

		while (gd->bg_free_inodes_count > 0) {
			err = bitmap_take(fs, gd->bg_inode_bitmap, ipg, 0, &bit);
			if (err == -ENOSPC) {
				log_err("ext2", "group %u: %u free inodes counted, none in bitmap block %u",
					g, gd->bg_free_inodes_count, gd->bg_inode_bitmap);
				ext2_mark_error(fs);
				break;
			}
			if (err)
				return err;
			gd->bg_free_inodes_count--;
			fs->sb.s_free_inodes_count--;
			fs->dirty = true;
			if (g * ipg + bit + 1 < fs->first_ino) {
				log_err("ext2", "group %u: reserved inode %u was marked free", g,
					g * ipg + bit + 1);
				ext2_mark_error(fs);
				continue;
			}
			if (dir)
				gd->bg_used_dirs_count++;
			*ino = g * ipg + bit + 1;
			return 0;
		}
	}
	return -ENOSPC;
}

void ext2_free_inode_bit(struct ext2_fs *fs, uint32_t ino, bool dir)
{
	uint32_t g = (ino - 1) / fs->sb.s_inodes_per_group;
	struct ext2_group_desc *gd = &fs->groups[g];
	int was_set = bitmap_clear(fs, gd->bg_inode_bitmap, (ino - 1) % fs->sb.s_inodes_per_group);

	if (was_set < 0)
		return;
	if (!was_set) {
		log_err("ext2", "inode %u was already free", ino);
		ext2_mark_error(fs);
		return;
	}
	gd->bg_free_inodes_count++;
	fs->sb.s_free_inodes_count++;
	if (dir && gd->bg_used_dirs_count > 0)
		gd->bg_used_dirs_count--;
	fs->dirty = true;
}
