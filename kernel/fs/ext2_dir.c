/* ext2 directories: checked entry walks, lookup, insertion, removal, iteration. */
#include "fs/ext2_internal.h"

#include "lib/errno.h"
#include "lib/string.h"
#include "log.h"

int ext2_check_name(const char *name, size_t len)
{
	if (len == 0)
		return -EINVAL;
	if (len > EXT2_NAME_LEN)
		return -ENAMETOOLONG;
	if (memchr(name, '/', len) || memchr(name, '\0', len))
		return -EINVAL;
	return 0;
}

uint8_t ext2_mode_to_ft(uint32_t mode)
{
	switch (mode & EXT2_S_IFMT) {
	case EXT2_S_IFREG: return EXT2_FT_REG_FILE;
	case EXT2_S_IFDIR: return EXT2_FT_DIR;
	case EXT2_S_IFCHR: return EXT2_FT_CHRDEV;
	case EXT2_S_IFBLK: return EXT2_FT_BLKDEV;
	case EXT2_S_IFIFO: return EXT2_FT_FIFO;
	case EXT2_S_IFSOCK: return EXT2_FT_SOCK;
	case EXT2_S_IFLNK: return EXT2_FT_SYMLINK;
	default: return EXT2_FT_UNKNOWN;
	}
}

/* An entry's length; 64 KiB blocks store a whole-block length as 0 or 65535. */
static uint32_t rec_len(const struct ext2_fs *fs, const struct ext2_dirent *d)
{
	if (fs->block_size == 65536 && (d->rec_len == 0 || d->rec_len == 65535))
		return 65536;
	return d->rec_len;
}

static void set_rec_len(const struct ext2_fs *fs, struct ext2_dirent *d, uint32_t len)
{
	d->rec_len = (uint16_t)(len == 65536 ? 65535 : len);
}

/* The name length; without the filetype feature it is a 16-bit field. */
static uint32_t name_len(const struct ext2_fs *fs, const struct ext2_dirent *d)
{
	return fs->has_filetype ? d->name_len : d->name_len | (uint32_t)d->file_type << 8;
}

static uint8_t entry_type(const struct ext2_fs *fs, const struct ext2_dirent *d)
{
	return fs->has_filetype ? d->file_type : EXT2_FT_UNKNOWN;
}

static struct ext2_dirent *entry_at(struct buf *b, uint32_t off)
{
	return (struct ext2_dirent *)(b->data + off);
}

/* Checks that the entries of a directory block tile it exactly and stay inside it. */
static int check_block(struct ext2_fs *fs, uint32_t dir, uint64_t lblk, struct buf *b)
{
	const char *why = NULL;
	uint32_t off = 0, bs = fs->block_size;

	while (off < bs) {
		const struct ext2_dirent *d = entry_at(b, off);
		uint32_t rec, nl;

		if (bs - off < sizeof(struct ext2_dirent)) {
			why = "entry header runs past the block";
			break;
		}
		rec = rec_len(fs, d);
		nl = name_len(fs, d);
		if (rec < sizeof(struct ext2_dirent) || rec % 4 || rec > bs - off)
			why = rec == 0 ? "zero rec_len" : "bad rec_len";
		else if (nl > EXT2_NAME_LEN)
			why = "name longer than 255 bytes";
		else if (sizeof(struct ext2_dirent) + nl > rec)
			why = "name runs past its entry";
		else if (d->inode > fs->sb.s_inodes_count)
			why = "inode number beyond the inode table";
		else if (d->inode && nl == 0)
			why = "empty name";
		if (why)
			break;
		off += rec;
	}
	if (!why)
		return 0;
	log_err("ext2", "directory inode %u, block %lu (%lu): %s at offset %u", dir,
		(unsigned long)lblk, (unsigned long)b->block, why, off);
	ext2_mark_error(fs);
	return -EUCLEAN;
}

/* Gets logical block lblk of directory dir, checked. A hole is corruption. */
static int dir_block(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *dir_in, uint64_t lblk,
		     struct buf **out)
{
	uint32_t pblk;
	int err = ext2_bmap(fs, dir, dir_in, lblk, false, &pblk, NULL);

	if (err)
		return err;
	if (pblk == 0) {
		log_err("ext2", "directory inode %u has a hole at block %lu", dir, (unsigned long)lblk);
		ext2_mark_error(fs);
		return -EUCLEAN;
	}
	err = bcache_get(fs->cache, pblk, out);
	if (err)
		return err;
	err = check_block(fs, dir, lblk, *out);
	if (err)
		bcache_put(*out);
	return err;
}

static uint64_t dir_blocks(const struct ext2_fs *fs, const struct ext2_inode *dir_in)
{
	return dir_in->i_size / fs->block_size;
}

/*
 * Shows each entry of directory dir, in order from the start of logical block
 * `first`, to visit, which sees block b (logical block lblk) and the entry's
 * offset off in it, and arg. Each block passes check_block before its entries
 * are shown. visit may change the entry (then it marks b dirty); it returns 0
 * to go on or a positive value to stop. Returns that value, 0 once every entry
 * was shown, or -EUCLEAN (logged) or -EIO from getting a block.
 */
static int dir_walk(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *dir_in, uint64_t first,
		    int (*visit)(struct ext2_fs *fs, struct buf *b, uint64_t lblk, uint32_t off,
				 void *arg),
		    void *arg)
{
	uint64_t n = dir_blocks(fs, dir_in);

	for (uint64_t lblk = first; lblk < n; lblk++) {
		struct buf *b;
		int ret = dir_block(fs, dir, dir_in, lblk, &b);

		if (ret)
			return ret;
		for (uint32_t off = 0; off < fs->block_size; off += rec_len(fs, entry_at(b, off))) {
			ret = visit(fs, b, lblk, off, arg);
			if (ret)
				break;
		}
		bcache_put(b);
		if (ret)
			return ret;
	}
	return 0;
}

struct find_arg {
	const char *name;
	size_t len;
	struct ext2_dir_slot *slot;
};

static int find_visit(struct ext2_fs *fs, struct buf *b, uint64_t lblk, uint32_t off, void *arg)
{
	const struct find_arg *f = arg;
	const struct ext2_dirent *d = entry_at(b, off);

	if (!d->inode || name_len(fs, d) != f->len || memcmp(d->name, f->name, f->len) != 0)
		return 0;
	*f->slot = (struct ext2_dir_slot){
		.lblk = lblk, .offset = off, .ino = d->inode, .type = entry_type(fs, d),
	};
	return 1;
}

int ext2_dir_find(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *dir_in, const char *name,
		  size_t len, struct ext2_dir_slot *slot)
{
	struct find_arg f = { .name = name, .len = len, .slot = slot };
	int ret = dir_walk(fs, dir, dir_in, 0, find_visit, &f);

	if (ret == 0)
		return -ENOENT;
	return ret < 0 ? ret : 0;
}

static void fill_entry(struct ext2_fs *fs, struct ext2_dirent *d, const char *name, size_t len,
		       uint32_t ino, uint8_t ft)
{
	d->inode = ino;
	d->name_len = (uint8_t)len;
	d->file_type = fs->has_filetype ? ft : 0;
	memcpy(d->name, name, len);
}

struct place_arg {
	const char *name;
	size_t len;
	uint32_t ino;
	uint8_t ft;
};

/* Puts the new entry into this entry's unused tail, or into it if free, when it has room. */
static int place_visit(struct ext2_fs *fs, struct buf *b, uint64_t lblk, uint32_t off, void *arg)
{
	const struct place_arg *p = arg;
	struct ext2_dirent *d = entry_at(b, off);
	uint32_t rec = rec_len(fs, d);
	uint32_t used = d->inode ? EXT2_DIRENT_SIZE(name_len(fs, d)) : 0;

	if (rec - used < EXT2_DIRENT_SIZE(p->len))
		return 0;
	if (used) {
		struct ext2_dirent *fresh = entry_at(b, off + used);

		set_rec_len(fs, d, used);
		set_rec_len(fs, fresh, rec - used);
		d = fresh;
	}
	fill_entry(fs, d, p->name, p->len, p->ino, p->ft);
	bcache_mark_dirty(b);
	return 1;
}

/* Puts the entry into a block of the directory with room. Returns 1 if placed, 0 if no room. */
static int place_entry(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *dir_in,
		       const char *name, size_t len, uint32_t ino, uint8_t ft)
{
	struct place_arg p = { .name = name, .len = len, .ino = ino, .ft = ft };

	return dir_walk(fs, dir, dir_in, 0, place_visit, &p);
}

int ext2_dir_add(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *dir_in, const char *name,
		 size_t len, uint32_t ino, uint8_t ft)
{
	int placed = place_entry(fs, dir, dir_in, name, len, ino, ft);

	if (placed < 0)
		return placed;
	if (!placed) {
		uint64_t lblk = dir_blocks(fs, dir_in);
		struct ext2_dirent *d;
		struct buf *b;
		uint32_t pblk;
		bool fresh;
		int err;

		if ((uint64_t)dir_in->i_size + fs->block_size > UINT32_MAX)
			return -ENOSPC;
		err = ext2_bmap(fs, dir, dir_in, lblk, true, &pblk, &fresh);
		if (!err && !fresh) {
			log_err("ext2", "directory inode %u: block %lu is mapped past the end", dir,
				(unsigned long)lblk);
			ext2_mark_error(fs);
			err = -EUCLEAN;
		}
		if (!err)
			err = bcache_get_zeroed(fs->cache, pblk, &b);
		if (err) {
			ext2_inode_store(fs, dir, dir_in); /* i_blocks may have changed */
			return err;
		}
		d = entry_at(b, 0);
		set_rec_len(fs, d, fs->block_size);
		fill_entry(fs, d, name, len, ino, ft);
		bcache_put(b);
		dir_in->i_size += fs->block_size;
	}
	/* The hash tree is not maintained: the directory becomes linear. */
	dir_in->i_flags &= ~(uint32_t)EXT2_INDEX_FL;
	ext2_inode_touch(fs, dir_in, false, true, true);
	return ext2_inode_store(fs, dir, dir_in);
}

int ext2_dir_remove(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *dir_in,
		    const struct ext2_dir_slot *slot)
{
	uint32_t prev = UINT32_MAX;
	struct buf *b;
	int err = dir_block(fs, dir, dir_in, slot->lblk, &b);

	if (err)
		return err;
	for (uint32_t off = 0; off < slot->offset; off += rec_len(fs, entry_at(b, off)))
		prev = off;
	/* Merging into the previous entry keeps a hash tree valid, so no index change. */
	if (prev != UINT32_MAX)
		set_rec_len(fs, entry_at(b, prev),
			    rec_len(fs, entry_at(b, prev)) + rec_len(fs, entry_at(b, slot->offset)));
	else
		entry_at(b, slot->offset)->inode = 0;
	bcache_mark_dirty(b);
	bcache_put(b);
	ext2_inode_touch(fs, dir_in, false, true, true);
	return ext2_inode_store(fs, dir, dir_in);
}

int ext2_dir_retarget(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *dir_in,
		      const struct ext2_dir_slot *slot, uint32_t ino, uint8_t ft)
{
	struct ext2_dirent *d;
	struct buf *b;
	int err = dir_block(fs, dir, dir_in, slot->lblk, &b);

	if (err)
		return err;
	d = entry_at(b, slot->offset);
	d->inode = ino;
	if (fs->has_filetype)
		d->file_type = ft;
	bcache_mark_dirty(b);
	bcache_put(b);
	ext2_inode_touch(fs, dir_in, false, true, true);
	return ext2_inode_store(fs, dir, dir_in);
}

static bool is_dot_or_dotdot(const struct ext2_fs *fs, const struct ext2_dirent *d)
{
	uint32_t nl = name_len(fs, d);

	return (nl == 1 && d->name[0] == '.') || (nl == 2 && d->name[0] == '.' && d->name[1] == '.');
}

static int in_use_visit(struct ext2_fs *fs, struct buf *b, uint64_t lblk, uint32_t off, void *arg)
{
	const struct ext2_dirent *d = entry_at(b, off);

	return d->inode && !is_dot_or_dotdot(fs, d);
}

int ext2_dir_is_empty(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *dir_in)
{
	int ret = dir_walk(fs, dir, dir_in, 0, in_use_visit, NULL);

	return ret < 0 ? ret : !ret;
}

int ext2_dir_init(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *dir_in, uint32_t parent)
{
	struct ext2_dirent *d;
	struct buf *b;
	uint32_t pblk;
	int err = ext2_bmap(fs, dir, dir_in, 0, true, &pblk, NULL);

	if (!err)
		err = bcache_get_zeroed(fs->cache, pblk, &b);
	if (err)
		return err;
	d = entry_at(b, 0);
	set_rec_len(fs, d, 12);
	fill_entry(fs, d, ".", 1, dir, EXT2_FT_DIR);
	d = entry_at(b, 12);
	set_rec_len(fs, d, fs->block_size - 12);
	fill_entry(fs, d, "..", 2, parent, EXT2_FT_DIR);
	bcache_put(b);
	dir_in->i_size = fs->block_size;
	return ext2_inode_store(fs, dir, dir_in);
}

struct next_arg {
	uint64_t *cookie;
	struct ext2_dir_entry *out;
};

static int next_visit(struct ext2_fs *fs, struct buf *b, uint64_t lblk, uint32_t off, void *arg)
{
	const struct next_arg *a = arg;
	const struct ext2_dirent *d = entry_at(b, off);
	uint64_t pos = lblk * fs->block_size + off;

	if (pos < *a->cookie || d->inode == 0)
		return 0;
	a->out->ino = d->inode;
	a->out->type = entry_type(fs, d);
	a->out->name_len = (uint8_t)name_len(fs, d);
	memcpy(a->out->name, d->name, a->out->name_len);
	a->out->name[a->out->name_len] = '\0';
	*a->cookie = pos + rec_len(fs, d);
	return 1;
}

int ext2_dir_next(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *dir_in, uint64_t *cookie,
		  struct ext2_dir_entry *out)
{
	struct next_arg a = { .cookie = cookie, .out = out };
	int ret = dir_walk(fs, dir, dir_in, *cookie / fs->block_size, next_visit, &a);

	if (ret == 0)
		*cookie = dir_blocks(fs, dir_in) * fs->block_size;
	return ret;
}
