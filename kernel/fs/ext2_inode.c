/* ext2 inodes: loading and storing, time stamps and owners, block maps, file data, truncation. */
#include "fs/ext2_internal.h"

#include "lib/errno.h"
#include "lib/string.h"
#include "log.h"
#include "mm/kmalloc.h"

#define SECTORS(fs) ((fs)->block_size / 512)

/* Where inode ino lives: its inode-table block and byte offset there. */
static void inode_location(const struct ext2_fs *fs, uint32_t ino, uint32_t *blk, uint32_t *off)
{
	uint32_t g = (ino - 1) / fs->sb.s_inodes_per_group;
	uint32_t index = (ino - 1) % fs->sb.s_inodes_per_group;

	*blk = fs->groups[g].bg_inode_table + index / fs->inodes_per_block;
	*off = (index % fs->inodes_per_block) * fs->inode_size;
}

static size_t inode_copy_size(const struct ext2_fs *fs)
{
	return fs->inode_size < sizeof(struct ext2_inode) ? fs->inode_size : sizeof(struct ext2_inode);
}

int ext2_inode_load(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in)
{
	uint32_t blk, off;
	struct buf *b;
	int err;

	ext2_assert_locked(fs, __func__);
	if (ino == 0 || ino > fs->sb.s_inodes_count)
		return -EINVAL;
	inode_location(fs, ino, &blk, &off);
	err = bcache_get(fs->cache, blk, &b);
	if (err)
		return err;
	memset(in, 0, sizeof(*in));
	memcpy(in, b->data + off, inode_copy_size(fs));
	bcache_put(b);
	if (in->i_extra_isize > fs->inode_size - EXT2_GOOD_OLD_INODE_SIZE)
		in->i_extra_isize = 0; /* garbage: use no large-inode field */
	return 0;
}

static bool mode_type_ok(uint32_t mode)
{
	switch (mode & EXT2_S_IFMT) {
	case EXT2_S_IFREG: case EXT2_S_IFDIR: case EXT2_S_IFLNK: case EXT2_S_IFCHR:
	case EXT2_S_IFBLK: case EXT2_S_IFIFO: case EXT2_S_IFSOCK:
		return true;
	default:
		return false;
	}
}

uint64_t ext2_max_file_size(const struct ext2_fs *fs)
{
	if (fs->sb.s_rev_level == EXT2_GOOD_OLD_REV)
		return 0x7fffffff;
	return fs->max_file_blocks * fs->block_size;
}

int ext2_inode_get(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in)
{
	uint32_t type;
	int err = ext2_inode_load(fs, ino, in);

	if (err)
		return err;
	type = in->i_mode & EXT2_S_IFMT;
	if (in->i_mode == 0 || (in->i_links_count == 0 && in->i_dtime != 0)) {
		log_err("ext2", "inode %u is not in use", ino);
		goto corrupt;
	}
	if (!mode_type_ok(in->i_mode)) {
		log_err("ext2", "inode %u: bad mode %#o", ino, in->i_mode);
		goto corrupt;
	}
	if (type == EXT2_S_IFREG && ext2_inode_size(in) > ext2_max_file_size(fs)) {
		log_err("ext2", "inode %u: size %lu is larger than the block map allows", ino,
			(unsigned long)ext2_inode_size(in));
		goto corrupt;
	}
	if (type == EXT2_S_IFDIR && (in->i_size == 0 || in->i_size % fs->block_size)) {
		log_err("ext2", "inode %u: directory size %u is not a whole number of blocks", ino,
			in->i_size);
		goto corrupt;
	}
	/* Directories have no holes: a size beyond the blocks held is corrupt
	 * (and would make every walk of it long). */
	if (type == EXT2_S_IFDIR && in->i_size / 512 > in->i_blocks) {
		log_err("ext2", "inode %u: directory size %u exceeds its %u allocated sectors", ino,
			in->i_size, in->i_blocks);
		goto corrupt;
	}
	return 0;
corrupt:
	ext2_mark_error(fs);
	return -EUCLEAN;
}

/* Writes in into inode ino's on-disk slot, first zeroing the whole slot if clear_slot. */
static int inode_write(struct ext2_fs *fs, uint32_t ino, const struct ext2_inode *in,
		       bool clear_slot)
{
	uint32_t blk, off;
	struct buf *b;
	int err;

	inode_location(fs, ino, &blk, &off);
	err = bcache_get(fs->cache, blk, &b);
	if (err)
		return err;
	if (clear_slot)
		memset(b->data + off, 0, fs->inode_size);
	memcpy(b->data + off, in, inode_copy_size(fs));
	bcache_mark_dirty(b);
	bcache_put(b);
	return 0;
}

int ext2_inode_store(struct ext2_fs *fs, uint32_t ino, const struct ext2_inode *in)
{
	return inode_write(fs, ino, in, false);
}

int ext2_inode_store_new(struct ext2_fs *fs, uint32_t ino, const struct ext2_inode *in)
{
	return inode_write(fs, ino, in, true);
}

uint64_t ext2_inode_size(const struct ext2_inode *in)
{
	if ((in->i_mode & EXT2_S_IFMT) == EXT2_S_IFREG)
		return in->i_size | (uint64_t)in->i_size_high << 32;
	return in->i_size;
}

void ext2_inode_set_size(struct ext2_fs *fs, struct ext2_inode *in, uint64_t size)
{
	in->i_size = (uint32_t)size;
	if ((in->i_mode & EXT2_S_IFMT) == EXT2_S_IFREG) {
		in->i_size_high = (uint32_t)(size >> 32);
		if (size > 0x7fffffff)
			ext2_set_large_file(fs);
	}
}

/* True if the large-inode field at byte offset `offset` is valid in this inode. */
static bool has_extra_field(const struct ext2_inode *in, size_t offset)
{
	return offset + 4 <= EXT2_GOOD_OLD_INODE_SIZE + (size_t)in->i_extra_isize;
}

int64_t ext2_inode_time(const struct ext2_inode *in, uint32_t lo, size_t extra_offset)
{
	int64_t t = (int32_t)lo;
	uint32_t extra;

	if (has_extra_field(in, extra_offset)) {
		memcpy(&extra, (const uint8_t *)in + extra_offset, 4);
		t += (int64_t)(extra & 3) << 32;
	}
	return t;
}

void ext2_inode_set_time(struct ext2_inode *in, uint32_t *lo, size_t extra_offset, int64_t t)
{
	uint32_t extra;

	*lo = (uint32_t)t;
	if (has_extra_field(in, extra_offset)) {
		extra = (uint32_t)((t - (int32_t)(uint32_t)t) >> 32) & 3; /* epoch bits, 0 ns */
		memcpy((uint8_t *)in + extra_offset, &extra, 4);
	}
}

void ext2_inode_touch(struct ext2_fs *fs, struct ext2_inode *in, bool atime, bool mtime, bool ctime)
{
	int64_t now = ext2_now(fs);

	if (atime)
		ext2_inode_set_time(in, &in->i_atime, offsetof(struct ext2_inode, i_atime_extra), now);
	if (mtime)
		ext2_inode_set_time(in, &in->i_mtime, offsetof(struct ext2_inode, i_mtime_extra), now);
	if (ctime)
		ext2_inode_set_time(in, &in->i_ctime, offsetof(struct ext2_inode, i_ctime_extra), now);
}

/* Linux and the Hurd both keep the high 16 bits of the owner at the same place. */
uint32_t ext2_inode_uid(const struct ext2_fs *fs, const struct ext2_inode *in)
{
	return in->i_uid | (uint32_t)in->l_i_uid_high << 16;
}

uint32_t ext2_inode_gid(const struct ext2_fs *fs, const struct ext2_inode *in)
{
	return in->i_gid | (uint32_t)in->l_i_gid_high << 16;
}

void ext2_inode_set_owner(struct ext2_fs *fs, struct ext2_inode *in, uint32_t uid, uint32_t gid)
{
	in->i_uid = (uint16_t)uid;
	in->l_i_uid_high = (uint16_t)(uid >> 16);
	in->i_gid = (uint16_t)gid;
	in->l_i_gid_high = (uint16_t)(gid >> 16);
}

/*
 * The path to logical block lblk: indexes at each level (the first into
 * i_block) and the number of indirect levels. Returns false past the map.
 */
static bool map_path(const struct ext2_fs *fs, uint64_t lblk, uint32_t idx[4], unsigned *depth)
{
	uint64_t a = fs->addrs_per_block;

	if (lblk < EXT2_NDIR_BLOCKS) {
		idx[0] = (uint32_t)lblk, *depth = 0;
		return true;
	}
	lblk -= EXT2_NDIR_BLOCKS;
	if (lblk < a) {
		idx[0] = EXT2_IND_BLOCK, idx[1] = (uint32_t)lblk, *depth = 1;
		return true;
	}
	lblk -= a;
	if (lblk < a * a) {
		idx[0] = EXT2_DIND_BLOCK, idx[1] = (uint32_t)(lblk / a), idx[2] = (uint32_t)(lblk % a);
		*depth = 2;
		return true;
	}
	lblk -= a * a;
	if (lblk < a * a * a) {
		idx[0] = EXT2_TIND_BLOCK, idx[1] = (uint32_t)(lblk / (a * a));
		idx[2] = (uint32_t)(lblk / a % a), idx[3] = (uint32_t)(lblk % a);
		*depth = 3;
		return true;
	}
	return false;
}

/* A goal for a block hung at slots[i]: just after the nearest earlier block, else near `near`. */
static uint32_t alloc_goal(const uint32_t *slots, uint32_t i, uint32_t near)
{
	for (uint32_t k = 0; k < 16 && k < i; k++)
		if (slots[i - 1 - k])
			return slots[i - 1 - k] + 1;
	return near;
}

/* The first block of the inode's group, a goal when nothing else is known. */
static uint32_t inode_group_start(const struct ext2_fs *fs, uint32_t ino)
{
	uint32_t g = (ino - 1) / fs->sb.s_inodes_per_group;

	return fs->sb.s_first_data_block + g * fs->sb.s_blocks_per_group;
}

int ext2_bmap(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in, uint64_t lblk, bool create,
	      uint32_t *pblk, bool *fresh)
{
	struct buf *parent = NULL;
	uint32_t idx[4], *slots = in->i_block, blk = 0;
	unsigned depth;
	int err = 0;

	ext2_assert_locked(fs, __func__);
	*pblk = 0;
	if (fresh)
		*fresh = false;
	if (!map_path(fs, lblk, idx, &depth))
		return -EFBIG;
	for (unsigned level = 0; level <= depth; level++) {
		blk = slots[idx[level]];
		if (blk == 0) {
			uint32_t goal = alloc_goal(slots, idx[level],
						   parent ? (uint32_t)parent->block + 1 :
							    inode_group_start(fs, ino));

			if (!create)
				break;
			if ((uint64_t)in->i_blocks + SECTORS(fs) > UINT32_MAX) {
				err = -EFBIG;
				break;
			}
			err = ext2_alloc_block(fs, goal, &blk);
			if (err)
				break;
			if (level < depth) {
				struct buf *fresh_ind;

				err = bcache_get_zeroed(fs->cache, blk, &fresh_ind);
				if (err) {
					ext2_free_block(fs, ino, blk);
					break;
				}
				bcache_put(fresh_ind);
			} else if (fresh) {
				*fresh = true;
			}
			slots[idx[level]] = blk;
			if (parent)
				bcache_mark_dirty(parent);
			in->i_blocks += SECTORS(fs);
		} else if (!ext2_block_is_data(fs, blk)) {
			log_err("ext2", "inode %u: block %u (logical %lu, level %u) is out of range",
				ino, blk, (unsigned long)lblk, level);
			ext2_mark_error(fs);
			err = -EUCLEAN;
			break;
		}
		if (level == depth) {
			*pblk = blk;
			break;
		}
		if (parent)
			bcache_put(parent);
		parent = NULL;
		err = bcache_get(fs->cache, blk, &parent);
		if (err)
			break;
		slots = (uint32_t *)parent->data;
	}
	if (parent)
		bcache_put(parent);
	return err;
}

int64_t ext2_inode_read(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in, uint64_t off,
			void *buf, size_t n)
{
	uint64_t size = ext2_inode_size(in);
	uint8_t *dst = buf;
	size_t done = 0;

	if (off >= size)
		return 0;
	if (n > size - off)
		n = (size_t)(size - off);
	if (n > 0x40000000)
		n = 0x40000000;
	while (done < n) {
		uint64_t pos = off + done;
		uint32_t boff = (uint32_t)(pos % fs->block_size), pblk;
		size_t chunk = fs->block_size - boff;
		struct buf *b;
		int err;

		if (chunk > n - done)
			chunk = n - done;
		err = ext2_bmap(fs, ino, in, pos / fs->block_size, false, &pblk, NULL);
		if (err)
			return err;
		if (pblk == 0) {
			memset(dst + done, 0, chunk);
		} else {
			err = bcache_get(fs->cache, pblk, &b);
			if (err)
				return err;
			memcpy(dst + done, b->data + boff, chunk);
			bcache_put(b);
		}
		done += chunk;
	}
	return (int64_t)done;
}

/* Zeroes the bytes from `size` to the end of its block, so growing reads zeros there. */
static int zero_tail(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in, uint64_t size)
{
	uint32_t boff = (uint32_t)(size % fs->block_size), pblk;
	struct buf *b;
	int err;

	if (boff == 0)
		return 0;
	err = ext2_bmap(fs, ino, in, size / fs->block_size, false, &pblk, NULL);
	if (err || pblk == 0)
		return err;
	err = bcache_get(fs->cache, pblk, &b);
	if (err)
		return err;
	memset(b->data + boff, 0, fs->block_size - boff);
	bcache_mark_dirty(b);
	bcache_put(b);
	return 0;
}

int64_t ext2_inode_write(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in, uint64_t off,
			 const void *buf, size_t n)
{
	uint64_t size = ext2_inode_size(in), max = ext2_max_file_size(fs);
	const uint8_t *src = buf;
	size_t done = 0;
	int err = 0;

	if (n == 0)
		return 0;
	if (off >= max)
		return -EFBIG;
	if (n > max - off)
		n = (size_t)(max - off);
	if (n > 0x40000000)
		n = 0x40000000;
	if (off > size) {
		err = zero_tail(fs, ino, in, size);
		if (err)
			return err;
	}
	while (done < n) {
		uint64_t pos = off + done;
		uint32_t boff = (uint32_t)(pos % fs->block_size), pblk;
		size_t chunk = fs->block_size - boff;
		struct buf *b;
		bool fresh;

		if (chunk > n - done)
			chunk = n - done;
		err = ext2_bmap(fs, ino, in, pos / fs->block_size, true, &pblk, &fresh);
		if (!err) {
			if (fresh || chunk == fs->block_size)
				err = bcache_get_zeroed(fs->cache, pblk, &b);
			else
				err = bcache_get(fs->cache, pblk, &b);
		}
		if (err)
			break;
		memcpy(b->data + boff, src + done, chunk);
		bcache_mark_dirty(b);
		bcache_put(b);
		done += chunk;
	}
	if (off + done > size)
		ext2_inode_set_size(fs, in, off + done);
	if (done)
		ext2_inode_touch(fs, in, false, true, true);
	{
		int store_err = ext2_inode_store(fs, ino, in);

		if (!err)
			err = store_err;
	}
	if (done)
		return (int64_t)done;
	return err;
}

/* Work shared by the tree walk that frees blocks. */
struct trunc {
	struct ext2_fs *fs;
	uint32_t ino;
	struct ext2_inode *in;
	uint64_t keep;     /* logical blocks below this stay */
};

static void trunc_release(struct trunc *t, uint32_t blk)
{
	if (ext2_free_block(t->fs, t->ino, blk) && t->in->i_blocks >= SECTORS(t->fs))
		t->in->i_blocks -= SECTORS(t->fs);
}

/*
 * Frees what *slot maps past t->keep: the subtree of `level` indirect
 * levels covering logical blocks [base, base + span). Zeroes *slot if the
 * whole subtree goes. A corrupt pointer is logged and dropped. An
 * indirect block already free is not descended into, so each block is
 * visited at most once even when pointers repeat.
 */
static void trunc_tree(struct trunc *t, uint32_t *slot, unsigned level, uint64_t base, uint64_t span)
{
	uint64_t child_span = span / t->fs->addrs_per_block;
	bool whole = t->keep <= base;
	struct buf *b;
	uint32_t blk = *slot;

	if (blk == 0 || t->keep >= base + span)
		return;
	if (!ext2_block_is_data(t->fs, blk)) {
		log_err("ext2", "inode %u: dropping out-of-range block %u", t->ino, blk);
		ext2_mark_error(t->fs);
		*slot = 0;
		return;
	}
	if (level == 0) {
		trunc_release(t, blk);
		*slot = 0;
		return;
	}
	if (bcache_get(t->fs->cache, blk, &b))
		return;
	if (whole) {
		/* Free the indirect block first: a repeat of it is then "already free". */
		if (ext2_free_block(t->fs, t->ino, blk)) {
			if (t->in->i_blocks >= SECTORS(t->fs))
				t->in->i_blocks -= SECTORS(t->fs);
			for (uint32_t i = 0; i < t->fs->addrs_per_block; i++)
				trunc_tree(t, &((uint32_t *)b->data)[i], level - 1, base + i * child_span,
					   child_span);
		}
		*slot = 0;
	} else {
		for (uint32_t i = 0; i < t->fs->addrs_per_block; i++)
			trunc_tree(t, &((uint32_t *)b->data)[i], level - 1, base + i * child_span,
				   child_span);
		bcache_mark_dirty(b);
	}
	bcache_put(b);
}

/* Frees every block of the inode at or past logical block keep. */
static void free_blocks_from(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in, uint64_t keep)
{
	struct trunc t = { .fs = fs, .ino = ino, .in = in, .keep = keep };
	uint64_t a = fs->addrs_per_block, base = EXT2_NDIR_BLOCKS, span = a;

	for (uint32_t i = 0; i < EXT2_NDIR_BLOCKS; i++)
		trunc_tree(&t, &in->i_block[i], 0, i, 1);
	for (unsigned level = 1; level <= 3; level++) {
		trunc_tree(&t, &in->i_block[EXT2_IND_BLOCK + level - 1], level, base, span);
		base += span;
		span *= a;
	}
}

int ext2_inode_truncate(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in, uint64_t size)
{
	uint64_t old = ext2_inode_size(in);
	int err;

	if (size > ext2_max_file_size(fs))
		return -EFBIG;
	if (size < old) {
		free_blocks_from(fs, ino, in, (size + fs->block_size - 1) / fs->block_size);
		err = zero_tail(fs, ino, in, size);
	} else {
		err = zero_tail(fs, ino, in, old);
	}
	if (err)
		return err;
	ext2_inode_set_size(fs, in, size);
	ext2_inode_touch(fs, in, false, true, true);
	return ext2_inode_store(fs, ino, in);
}

/* Drops inode ino's extended-attribute block reference (blocks are shared, counted). */
static void release_xattr_block(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in)
{
	uint32_t blk = in->i_file_acl, *header;
	struct buf *b;

	if (blk == 0)
		return;
	in->i_file_acl = 0;
	if (!ext2_block_is_data(fs, blk)) {
		log_err("ext2", "inode %u: extended-attribute block %u is out of range", ino, blk);
		ext2_mark_error(fs);
		return;
	}
	if (bcache_get(fs->cache, blk, &b))
		return;
	header = (uint32_t *)b->data; /* h_magic, h_refcount, ... */
	if (header[0] != 0xea020000) {
		log_err("ext2", "inode %u: extended-attribute block %u has a bad magic", ino, blk);
		ext2_mark_error(fs);
	} else if (header[1] > 1) {
		header[1]--;
		bcache_mark_dirty(b);
	} else {
		trunc_release(&(struct trunc){ .fs = fs, .ino = ino, .in = in }, blk);
	}
	bcache_put(b);
}

/* True if the symlink keeps its target in i_block (no data block). */
static bool is_fast_symlink(const struct ext2_fs *fs, const struct ext2_inode *in)
{
	uint32_t xattr = in->i_file_acl ? SECTORS(fs) : 0;

	return in->i_blocks == xattr;
}

int ext2_inode_free(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in)
{
	uint32_t type = in->i_mode & EXT2_S_IFMT;

	if (type == EXT2_S_IFREG || type == EXT2_S_IFDIR ||
	    (type == EXT2_S_IFLNK && !is_fast_symlink(fs, in)))
		free_blocks_from(fs, ino, in, 0);
	release_xattr_block(fs, ino, in);
	in->i_links_count = 0;
	in->i_size = 0;
	in->i_size_high = 0;
	in->i_dtime = (uint32_t)ext2_now(fs);
	if (in->i_dtime == 0)
		in->i_dtime = 1; /* dtime 0 would mean "in use" */
	ext2_free_inode_bit(fs, ino, type == EXT2_S_IFDIR);
	return ext2_inode_store(fs, ino, in);
}

int ext2_inode_unlink(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in)
{
	if (in->i_links_count == 0) {
		log_err("ext2", "inode %u: link count already 0", ino);
		ext2_mark_error(fs);
	} else {
		in->i_links_count--;
	}
	ext2_inode_touch(fs, in, false, false, true);
	if (in->i_links_count == 0 && !(fs->flags & EXT2_MOUNT_DEFER_FREE))
		return ext2_inode_free(fs, ino, in);
	return ext2_inode_store(fs, ino, in);
}

int ext2_inode_readlink(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *in, char *buf,
			size_t size)
{
	uint32_t len = in->i_size;
	int64_t got;

	if (len == 0 || len >= fs->block_size || len > 4095) {
		log_err("ext2", "inode %u: bad symlink length %u", ino, len);
		goto corrupt;
	}
	if (is_fast_symlink(fs, in)) {
		if (len > EXT2_FAST_SYMLINK_MAX) {
			log_err("ext2", "inode %u: fast symlink of %u bytes", ino, len);
			goto corrupt;
		}
		memcpy(buf, in->i_block, size < len ? size : len);
		return (int)len;
	}
	{
		char *tmp = kmalloc(len);

		/* A slow symlink's target is data, read like a file's. */
		got = ext2_inode_read(fs, ino, in, 0, tmp, len);
		if (got == (int64_t)len)
			memcpy(buf, tmp, size < len ? size : len);
		kfree(tmp);
	}
	if (got < 0)
		return (int)got;
	if (got != (int64_t)len)
		goto corrupt;
	return (int)len;
corrupt:
	ext2_mark_error(fs);
	return -EUCLEAN;
}
