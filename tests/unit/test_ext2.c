/* ext2 driver, buffer cache and ramdisk: targeted tests on images made by mke2fs, crafted damage, and the e2fsprogs corpus. */
#define _DEFAULT_SOURCE /* mkdtemp, popen */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fs/bcache.h"
#include "fs/ext2_internal.h"
#include "fs/ramdisk.h"
#include "lib/errno.h"
#include "tests/unit/stubs_kernel.h"

static char workdir[256];
static int64_t fake_now = 1700000000;

static int64_t test_clock(void)
{
	return fake_now;
}

/* An image in memory with its ramdisk. */
struct image {
	uint8_t *data;
	size_t size;
	struct ramdisk rd;
};

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void image_read_file(struct image *img, const char *path)
{
	FILE *f = fopen(path, "rb");

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	img->size = (size_t)ftell(f);
	fseek(f, 0, SEEK_SET);
	img->data = malloc(img->size);
	assert_int_equal(fread(img->data, 1, img->size, f), img->size);
	fclose(f);
	assert_int_equal(ramdisk_init(&img->rd, "test", img->data, img->size, false), 0);
}

static void image_write_file(const struct image *img, const char *path)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(img->data, 1, img->size, f), img->size);
	fclose(f);
}

/*
 * Makes an image with mke2fs from a small tree: /dir/file (3 KiB of
 * pattern), /dir/sub/, /link -> dir/file, /big (300 KiB: indirect blocks).
 */
static void make_image(struct image *img, const char *mkfs_opts)
{
	char src[300], path[300];

	snprintf(src, sizeof(src), "%s/src", workdir);
	assert_int_equal(sh("rm -rf %s && mkdir -p %s/dir/sub && "
			    "head -c 3072 /dev/zero | tr '\\0' 'q' > %s/dir/file && "
			    "head -c 307200 /dev/zero | tr '\\0' 'b' > %s/big && ln -s dir/file %s/link",
			    src, src, src, src, src), 0);
	snprintf(path, sizeof(path), "%s/img", workdir);
	assert_int_equal(sh("rm -f %s && mke2fs -q -F -t ext2 %s -d %s %s 4M >/dev/null 2>&1", path,
			    mkfs_opts, src, path), 0);
	image_read_file(img, path);
}

static void image_free(struct image *img)
{
	free(img->data);
}

/* Runs e2fsck -fn on the image's current bytes; returns its exit code. */
static int fsck(const struct image *img)
{
	char path[300];

	snprintf(path, sizeof(path), "%s/check.img", workdir);
	image_write_file(img, path);
	return sh("e2fsck -fn %s >/dev/null 2>&1", path);
}

static struct ext2_super *super_of(struct image *img)
{
	return (struct ext2_super *)(img->data + EXT2_SUPER_OFFSET);
}

static struct ext2_fs *mount_ok(struct image *img, unsigned flags)
{
	struct ext2_fs *fs = NULL;

	assert_int_equal(ext2_mount(ramdisk_dev(&img->rd), flags, test_clock, &fs), 0);
	return fs;
}

static uint32_t lookup(struct ext2_fs *fs, uint32_t dir, const char *name)
{
	uint32_t ino = 0;

	assert_int_equal(ext2_lookup(fs, dir, name, strlen(name), &ino), 0);
	return ino;
}

/* The physical block of logical block lblk of inode ino. */
static uint32_t block_of(struct ext2_fs *fs, uint32_t ino, uint64_t lblk)
{
	struct ext2_inode in;
	uint32_t pblk;

	ext2_lock(fs);
	assert_int_equal(ext2_inode_load(fs, ino, &in), 0);
	assert_int_equal(ext2_bmap(fs, ino, &in, lblk, false, &pblk, NULL), 0);
	ext2_unlock(fs);
	return pblk;
}

/* Where inode ino's bytes are in the image. */
static struct ext2_inode *raw_inode(struct image *img, struct ext2_fs *fs, uint32_t ino)
{
	uint32_t g = (ino - 1) / fs->sb.s_inodes_per_group, i = (ino - 1) % fs->sb.s_inodes_per_group;

	return (struct ext2_inode *)(img->data + (size_t)fs->groups[g].bg_inode_table * fs->block_size +
				     (size_t)i * fs->inode_size);
}

static int setup(void **state)
{
	snprintf(workdir, sizeof(workdir), "/tmp/test_ext2.XXXXXX");
	return mkdtemp(workdir) ? 0 : -1;
}

static int teardown(void **state)
{
	sh("rm -rf %s", workdir);
	return 0;
}

/* ------------------------------------------------------------ block layer */

static void test_ramdisk_checks_ranges(void **state)
{
	uint8_t mem[4096 + 100], buf[1024];
	struct ramdisk rd;

	assert_int_equal(ramdisk_init(&rd, "rd", mem, 100, false), -EINVAL);
	assert_int_equal(ramdisk_init(&rd, "rd", mem, sizeof(mem), true), 0);
	assert_int_equal(rd.dev.sector_count, 8); /* the partial tail sector is not used */
	assert_int_equal(blockdev_read(&rd.dev, 6, 2, buf), 0);
	assert_int_equal(blockdev_read(&rd.dev, 7, 2, buf), -EIO);
	assert_int_equal(blockdev_read(&rd.dev, UINT64_MAX, 2, buf), -EIO);
	assert_int_equal(blockdev_write(&rd.dev, 0, 1, buf), -EROFS);
}

static void test_bcache_caches_and_writes_back(void **state)
{
	static uint8_t mem[64 * 1024];
	struct ramdisk rd;
	struct bcache *c;
	struct buf *b, *b2;

	memset(mem, 0x11, sizeof(mem));
	assert_int_equal(ramdisk_init(&rd, "rd", mem, sizeof(mem), false), 0);
	assert_null(bcache_create(&rd.dev, 768, 4));
	c = bcache_create(&rd.dev, 2048, 4);
	assert_non_null(c);
	assert_int_equal(bcache_get(c, 32, &b), -EIO); /* 32 blocks of 2 KiB: 0..31 */
	assert_int_equal(bcache_get(c, 3, &b), 0);
	assert_int_equal(b->data[0], 0x11);
	b->data[0] = 0x22;
	bcache_mark_dirty(b);
	assert_int_equal(bcache_get(c, 3, &b2), 0);
	assert_ptr_equal(b, b2); /* one buffer per block */
	bcache_put(b2);
	bcache_put(b);
	assert_int_equal(mem[3 * 2048], 0x11); /* not yet written */
	for (uint64_t i = 10; i < 20; i++) { /* evicts block 3, writing it back */
		assert_int_equal(bcache_get(c, i, &b), 0);
		bcache_put(b);
	}
	assert_int_equal(mem[3 * 2048], 0x22);
	assert_true(c->buffers <= 5);
	assert_int_equal(bcache_get_zeroed(c, 5, &b), 0);
	assert_int_equal(b->data[100], 0);
	bcache_put(b);
	assert_int_equal(mem[5 * 2048 + 100], 0x11);
	assert_int_equal(bcache_sync(c), 0);
	assert_int_equal(mem[5 * 2048 + 100], 0);
	assert_int_equal(bcache_destroy(c), 0);
}

/* ------------------------------------------------------------ mounting */

static void test_mount_reads_a_mke2fs_image(void **state)
{
	static const char *const opts[] = {
		"-b 1024 -I 128", "-b 2048 -I 256", "-b 4096 -O ^filetype", "-b 1024 -r 0",
		"-b 4096 -O ^dir_index,^sparse_super,^resize_inode",
	};

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		struct image img;
		struct ext2_fs *fs;
		struct ext2_stat st;
		char buf[4000], target[64];
		uint32_t dir, file;

		make_image(&img, opts[i]);
		fs = mount_ok(&img, EXT2_MOUNT_RDONLY);
		dir = lookup(fs, ext2_root_ino(), "dir");
		file = lookup(fs, dir, "file");
		assert_int_equal(lookup(fs, dir, ".."), ext2_root_ino());
		assert_int_equal(ext2_stat(fs, file, &st), 0);
		assert_int_equal(st.size, 3072);
		assert_int_equal(st.mode & EXT2_S_IFMT, EXT2_S_IFREG);
		assert_int_equal(ext2_read(fs, file, 3000, buf, sizeof(buf)), 72);
		assert_int_equal(buf[71], 'q');
		assert_int_equal(ext2_read(fs, file, 3072, buf, 10), 0);
		assert_int_equal(ext2_readlink(fs, lookup(fs, ext2_root_ino(), "link"), target,
					       sizeof(target)), 8);
		assert_memory_equal(target, "dir/file", 8);
		assert_int_equal(ext2_read(fs, dir, 0, buf, 10), -EISDIR);
		assert_int_equal(ext2_write(fs, file, 0, "x", 1), -EROFS);
		assert_int_equal(ext2_unmount(fs), 0);
		image_free(&img);
	}
}

static void test_mount_rejects_bad_superblocks(void **state)
{
	struct image img;
	struct ext2_fs *fs = NULL;
	struct ext2_super saved;

	make_image(&img, "-b 1024");
	saved = *super_of(&img);
	super_of(&img)->s_magic = 0x1234;
	assert_int_equal(ext2_mount(ramdisk_dev(&img.rd), 0, NULL, &fs), -EINVAL);
	assert_non_null(strstr(stub_last_log(), "bad magic"));
	*super_of(&img) = saved;
	super_of(&img)->s_rev_level = 2;
	assert_int_equal(ext2_mount(ramdisk_dev(&img.rd), 0, NULL, &fs), -EINVAL);
	*super_of(&img) = saved;
	super_of(&img)->s_log_block_size = 7; /* 128 KiB */
	assert_int_equal(ext2_mount(ramdisk_dev(&img.rd), 0, NULL, &fs), -EINVAL);
	*super_of(&img) = saved;
	super_of(&img)->s_blocks_count = 4097; /* one block more than the 4 MiB image */
	assert_int_equal(ext2_mount(ramdisk_dev(&img.rd), 0, NULL, &fs), -EINVAL);
	assert_non_null(strstr(stub_last_log(), "do not fit the device"));
	*super_of(&img) = saved;
	super_of(&img)->s_inodes_count += 8;
	assert_int_equal(ext2_mount(ramdisk_dev(&img.rd), 0, NULL, &fs), -EUCLEAN);
	*super_of(&img) = saved;
	super_of(&img)->s_inodes_per_group = 0;
	assert_int_equal(ext2_mount(ramdisk_dev(&img.rd), 0, NULL, &fs), -EUCLEAN);
	*super_of(&img) = saved;
	super_of(&img)->s_inode_size = 100;
	assert_int_equal(ext2_mount(ramdisk_dev(&img.rd), 0, NULL, &fs), -EUCLEAN);
	*super_of(&img) = saved;
	super_of(&img)->s_first_data_block = 0; /* 1 KiB blocks start at 1 */
	assert_int_equal(ext2_mount(ramdisk_dev(&img.rd), 0, NULL, &fs), -EUCLEAN);
	*super_of(&img) = saved;
	/* Too small a device for the superblock at all. */
	{
		struct ramdisk tiny;

		assert_int_equal(ramdisk_init(&tiny, "tiny", img.data, 1536, false), 0);
		assert_int_equal(ext2_mount(ramdisk_dev(&tiny), 0, NULL, &fs), -EINVAL);
	}
	/* A group descriptor pointing outside its group. */
	{
		struct ext2_group_desc *gd = (struct ext2_group_desc *)(img.data + 2048);

		gd[0].bg_inode_table = 999999;
		assert_int_equal(ext2_mount(ramdisk_dev(&img.rd), 0, NULL, &fs), -EUCLEAN);
		assert_non_null(strstr(stub_last_log(), "group 0"));
	}
	image_free(&img);
}

static void test_features_by_the_rules(void **state)
{
	struct image img;
	struct ext2_fs *fs = NULL;
	uint8_t *before;

	make_image(&img, "-b 1024");
	/* Unknown INCOMPAT (e.g. extents): refused. */
	super_of(&img)->s_feature_incompat |= 0x40;
	assert_int_equal(ext2_mount(ramdisk_dev(&img.rd), 0, NULL, &fs), -EINVAL);
	assert_non_null(strstr(stub_last_log(), "incompatible"));
	super_of(&img)->s_feature_incompat &= ~0x40u;
	/* Unknown RO_COMPAT (e.g. huge_file): read-only, and nothing written. */
	super_of(&img)->s_feature_ro_compat |= 0x8;
	before = malloc(img.size);
	memcpy(before, img.data, img.size);
	fs = mount_ok(&img, 0);
	assert_true(ext2_read_only(fs));
	{
		struct ext2_new_inode attr = { .mode = EXT2_S_IFREG | 0644 };

		assert_int_equal(ext2_create(fs, ext2_root_ino(), "x", 1, &attr, NULL), -EROFS);
	}
	assert_int_equal(ext2_unmount(fs), 0);
	assert_memory_equal(before, img.data, img.size);
	super_of(&img)->s_feature_ro_compat &= ~0x8u;
	/* Unknown COMPAT: ignored, read-write. */
	super_of(&img)->s_feature_compat |= 0x4000;
	fs = mount_ok(&img, 0);
	assert_false(ext2_read_only(fs));
	assert_int_equal(ext2_unmount(fs), 0);
	free(before);
	image_free(&img);
}

static void test_clean_state_across_mounts(void **state)
{
	struct image img;
	struct ext2_fs *fs;
	uint16_t mounts;

	make_image(&img, "-b 4096");
	mounts = super_of(&img)->s_mnt_count;
	assert_true(super_of(&img)->s_state & EXT2_VALID_FS);
	fs = mount_ok(&img, 0);
	assert_false(super_of(&img)->s_state & EXT2_VALID_FS); /* written at mount */
	assert_int_equal(super_of(&img)->s_mnt_count, mounts + 1);
	assert_int_equal(ext2_unmount(fs), 0);
	assert_int_equal(super_of(&img)->s_state, EXT2_VALID_FS);
	assert_int_equal(super_of(&img)->s_wtime, (uint32_t)fake_now);
	assert_int_equal(fsck(&img), 0);
	image_free(&img);
}

/* ------------------------------------------------------------ writing */

static void test_operations_and_e2fsck(void **state)
{
	static const char *const opts[] = { "-b 1024 -I 128", "-b 4096 -I 256", "-b 1024 -r 0",
					    "-b 2048 -O ^filetype" };

	for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		struct ext2_new_inode reg = { .mode = EXT2_S_IFREG | 0640, .uid = 70000, .gid = 5 };
		struct ext2_new_inode dir = { .mode = EXT2_S_IFDIR | 0755 };
		struct ext2_new_inode dev = { .mode = EXT2_S_IFCHR | 0600, .rdev = (5 << 8) | 1 };
		struct ext2_new_inode bigdev = { .mode = EXT2_S_IFBLK | 0600, .rdev = (300 << 8) | 7 | (4000 << 12) };
		struct ext2_statfs before, after;
		struct ext2_dir_entry e;
		struct ext2_stat st;
		struct image img;
		struct ext2_fs *fs;
		uint32_t a, d, d2, s, n;
		uint64_t cookie = 0;
		char buf[8192], target[300];
		int entries = 0;

		make_image(&img, opts[i]);
		fs = mount_ok(&img, 0);
		ext2_statfs(fs, &before);
		fake_now = 1800000000;
		assert_int_equal(ext2_create(fs, ext2_root_ino(), "a", 1, &reg, &a), 0);
		assert_int_equal(ext2_create(fs, ext2_root_ino(), "a", 1, &reg, NULL), -EEXIST);
		assert_int_equal(ext2_create(fs, ext2_root_ino(), "d", 1, &dir, &d), 0);
		assert_int_equal(ext2_create(fs, d, "d2", 2, &dir, &d2), 0);
		assert_int_equal(ext2_create(fs, d, "null", 4, &dev, &n), 0);
		assert_int_equal(ext2_create(fs, d, "bigdev", 6, &bigdev, NULL), 0);
		assert_int_equal(ext2_create(fs, d, "bad/name", 8, &reg, NULL), -EINVAL);
		assert_int_equal(ext2_symlink(fs, d, "s", 1, "x/y", 3, 0, 0, &s), 0);
		memset(target, 't', sizeof(target));
		assert_int_equal(ext2_symlink(fs, d, "slow", 4, target, 300, 0, 0, NULL), 0);
		memset(buf, 'w', sizeof(buf));
		assert_int_equal(ext2_write(fs, a, 0, buf, sizeof(buf)), (int64_t)sizeof(buf));
		assert_int_equal(ext2_write(fs, a, 100000, "tail", 4), 4); /* hole in between */
		assert_int_equal(ext2_read(fs, a, 50000, buf, 10), 10);
		assert_int_equal(buf[0], 0);
		assert_int_equal(ext2_truncate(fs, a, 5000), 0);
		assert_int_equal(ext2_truncate(fs, a, 9000), 0); /* grows with zeros, not old bytes */
		assert_int_equal(ext2_read(fs, a, 4990, buf, 20), 20);
		assert_int_equal(buf[9], 'w');
		assert_int_equal(buf[10], 0);
		assert_int_equal(ext2_link(fs, a, d2, "hard", 4), 0);
		assert_int_equal(ext2_link(fs, d, d2, "dirlink", 7), -EPERM);
		assert_int_equal(ext2_rename(fs, d, "s", 1, d2, "s_moved", 7), 0);
		assert_int_equal(ext2_rename(fs, ext2_root_ino(), "d", 1, d2, "x", 1), -EINVAL);
		assert_int_equal(ext2_rename(fs, d, "d2", 2, ext2_root_ino(), "d2", 2), 0);
		assert_int_equal(ext2_rmdir(fs, ext2_root_ino(), "d2", 2), -ENOTEMPTY);
		assert_int_equal(ext2_rename(fs, d2, "hard", 4, ext2_root_ino(), "a", 1), 0); /* same inode */
		assert_int_equal(ext2_stat(fs, a, &st), 0);
		assert_int_equal(st.nlink, 2);
		assert_int_equal(st.uid, 70000);
		assert_int_equal(st.size, 9000);
		assert_int_equal(st.mtime, 1800000000);
		assert_int_equal(ext2_stat(fs, n, &st), 0);
		assert_int_equal(st.rdev, (5 << 8) | 1);
		assert_int_equal(ext2_stat(fs, lookup(fs, d, "bigdev"), &st), 0);
		assert_int_equal(st.rdev, bigdev.rdev);
		{
			struct ext2_setattr attr = { .valid = EXT2_SET_MODE | EXT2_SET_MTIME | EXT2_SET_GID,
						     .mode = 04711, .mtime = 12345, .gid = 99 };

			assert_int_equal(ext2_setattr(fs, a, &attr), 0);
			assert_int_equal(ext2_stat(fs, a, &st), 0);
			assert_int_equal(st.mode, EXT2_S_IFREG | 04711);
			assert_int_equal(st.mtime, 12345);
			assert_int_equal(st.gid, 99);
			assert_int_equal(st.uid, 70000);
		}
		while (ext2_readdir(fs, d2, &cookie, &e) == 1)
			entries++;
		assert_int_equal(entries, 4); /* . .. hard s_moved */
		assert_int_equal(ext2_readlink(fs, lookup(fs, d, "slow"), buf, sizeof(buf)), 300);
		assert_memory_equal(buf, target, 300);
		assert_int_equal(ext2_unmount(fs), 0);
		assert_int_equal(fsck(&img), 0);

		/* Take it all down again: the free counts come back exactly. */
		fs = mount_ok(&img, 0);
		assert_int_equal(ext2_unlink(fs, d2, "hard", 4), 0);
		assert_int_equal(ext2_unlink(fs, d2, "s_moved", 7), 0);
		assert_int_equal(ext2_rmdir(fs, ext2_root_ino(), "d2", 2), 0);
		assert_int_equal(ext2_unlink(fs, d, "null", 4), 0);
		assert_int_equal(ext2_unlink(fs, d, "bigdev", 6), 0);
		assert_int_equal(ext2_unlink(fs, d, "slow", 4), 0);
		assert_int_equal(ext2_unlink(fs, ext2_root_ino(), "d", 1), -EISDIR);
		assert_int_equal(ext2_rmdir(fs, ext2_root_ino(), "d", 1), 0);
		assert_int_equal(ext2_unlink(fs, ext2_root_ino(), "a", 1), 0);
		ext2_statfs(fs, &after);
		assert_int_equal(after.free_blocks, before.free_blocks);
		assert_int_equal(after.free_inodes, before.free_inodes);
		assert_int_equal(ext2_unmount(fs), 0);
		assert_int_equal(fsck(&img), 0);
		image_free(&img);
	}
}

static void test_deferred_free_and_evict(void **state)
{
	struct ext2_new_inode reg = { .mode = EXT2_S_IFREG | 0644 };
	struct ext2_statfs before, mid, after;
	struct image img;
	struct ext2_fs *fs;
	char buf[16];
	uint32_t ino;

	make_image(&img, "-b 1024");
	fs = mount_ok(&img, EXT2_MOUNT_DEFER_FREE);
	ext2_statfs(fs, &before);
	assert_int_equal(ext2_create(fs, ext2_root_ino(), "open", 4, &reg, &ino), 0);
	assert_int_equal(ext2_write(fs, ino, 0, "still here", 10), 10);
	assert_int_equal(ext2_unlink(fs, ext2_root_ino(), "open", 4), 0);
	assert_int_equal(ext2_lookup(fs, ext2_root_ino(), "open", 4, &ino), -ENOENT);
	assert_int_equal(ext2_read(fs, ino, 0, buf, sizeof(buf)), 10); /* still readable by number */
	ext2_statfs(fs, &mid);
	assert_true(mid.free_inodes < before.free_inodes);
	assert_int_equal(ext2_evict(fs, ino), 0);
	ext2_statfs(fs, &after);
	assert_int_equal(after.free_inodes, before.free_inodes);
	assert_int_equal(after.free_blocks, before.free_blocks);
	{
		struct ext2_stat st;

		assert_int_equal(ext2_stat(fs, ino, &st), -EUCLEAN); /* freed now */
	}
	assert_int_equal(ext2_unmount(fs), 0);
	assert_int_equal(fsck(&img), 0);
	image_free(&img);
}

static void test_directory_growth_and_65536_byte_blocks(void **state)
{
	static const char *const opts[] = { "-b 1024", "-b 65536 -I 256 -N 2048" };

	for (size_t i = 0; i < 2; i++) {
		struct ext2_new_inode reg = { .mode = EXT2_S_IFREG | 0644 };
		struct ext2_new_inode dir = { .mode = EXT2_S_IFDIR | 0755 };
		struct image img;
		struct ext2_fs *fs;
		char name[256];
		uint32_t d;
		char path[300];

		snprintf(path, sizeof(path), "%s/img", workdir);
		assert_int_equal(sh("rm -rf %s/e && mkdir %s/e && rm -f %s && mke2fs -q -F -t ext2 %s "
				    "-d %s/e %s 64M >/dev/null 2>&1", workdir, workdir, path, opts[i],
				    workdir, path), 0);
		image_read_file(&img, path);
		fs = mount_ok(&img, 0);
		assert_int_equal(ext2_create(fs, ext2_root_ino(), "many", 4, &dir, &d), 0);
		for (int k = 0; k < 600; k++) {
			int n = snprintf(name, sizeof(name), "entry_%d_%.*s", k, k % 200,
					 "lllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll"
					 "lllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll"
					 "lllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll");

			assert_int_equal(ext2_create(fs, d, name, (size_t)n, &reg, NULL), 0);
		}
		for (int k = 0; k < 600; k += 3) {
			int n = snprintf(name, sizeof(name), "entry_%d_%.*s", k, k % 200,
					 "lllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll"
					 "lllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll"
					 "lllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllllll");

			assert_int_equal(ext2_unlink(fs, d, name, (size_t)n), 0);
		}
		memset(name, 'z', 255);
		assert_int_equal(ext2_create(fs, d, name, 255, &reg, NULL), 0);
		assert_int_equal(ext2_create(fs, d, name, 256, &reg, NULL), -ENAMETOOLONG);
		assert_int_equal(ext2_unmount(fs), 0);
		assert_int_equal(fsck(&img), 0);
		image_free(&img);
	}
}

/* ------------------------------------------------------------ damage */

static void test_corrupt_directory_entries(void **state)
{
	static const struct { const char *what; size_t field; uint32_t value; } damage[] = {
		{ "zero rec_len", offsetof(struct ext2_dirent, rec_len), 0 },
		{ "bad rec_len", offsetof(struct ext2_dirent, rec_len), 13 },
		{ "name runs past", offsetof(struct ext2_dirent, name_len), 250 },
		{ "beyond the inode table", offsetof(struct ext2_dirent, inode), 0x7fffffff },
	};

	for (size_t i = 0; i < sizeof(damage) / sizeof(damage[0]); i++) {
		struct image img;
		struct ext2_fs *fs;
		uint8_t *blk;
		uint32_t ino, dir;

		make_image(&img, "-b 1024");
		fs = mount_ok(&img, EXT2_MOUNT_RDONLY);
		dir = lookup(fs, ext2_root_ino(), "dir");
		blk = img.data + (size_t)block_of(fs, dir, 0) * 1024;
		assert_int_equal(ext2_unmount(fs), 0);
		/* The third entry ("file" or "sub"), after "." (12) and ".." (12). */
		if (damage[i].field == offsetof(struct ext2_dirent, rec_len))
			*(uint16_t *)(blk + 24 + damage[i].field) = (uint16_t)damage[i].value;
		else if (damage[i].field == offsetof(struct ext2_dirent, name_len))
			blk[24 + damage[i].field] = (uint8_t)damage[i].value, blk[24 + 4] = 16;
		else
			*(uint32_t *)(blk + 24) = damage[i].value;
		fs = mount_ok(&img, 0);
		assert_int_equal(ext2_lookup(fs, dir, "zzz", 3, &ino), -EUCLEAN);
		assert_non_null(strstr(stub_last_log(), damage[i].what));
		{
			char want[64];

			snprintf(want, sizeof(want), "directory inode %u", dir);
			assert_non_null(strstr(stub_last_log(), want));
		}
		assert_int_equal(ext2_unmount(fs), 0);
		assert_true(super_of(&img)->s_state & EXT2_ERROR_FS); /* remembered on disk */
		image_free(&img);
	}
}

static void test_corrupt_inodes(void **state)
{
	struct image img;
	struct ext2_fs *fs;
	struct ext2_stat st;
	struct ext2_inode *raw;
	uint32_t big, file;
	char buf[64];

	make_image(&img, "-b 1024");
	fs = mount_ok(&img, 0);
	big = lookup(fs, ext2_root_ino(), "big");
	file = lookup(fs, lookup(fs, ext2_root_ino(), "dir"), "file");
	assert_int_equal(ext2_stat(fs, 0, &st), -EINVAL);
	assert_int_equal(ext2_stat(fs, fs->sb.s_inodes_count + 1, &st), -EINVAL);
	/* A block number past the filesystem. */
	raw = raw_inode(&img, fs, file);
	raw->i_block[1] = 0x7ffffff0;
	assert_int_equal(ext2_unmount(fs), 0); /* nothing cached of that inode's block? reload below */
	fs = mount_ok(&img, 0);
	assert_int_equal(ext2_read(fs, file, 1024, buf, 10), -EUCLEAN);
	assert_non_null(strstr(stub_last_log(), "inode"));
	assert_non_null(strstr(stub_last_log(), "2147483632"));
	assert_int_equal(ext2_truncate(fs, file, 0), 0); /* frees what it can, drops the bad pointer */
	/* An indirect block that points to itself: bounded, no hang. */
	raw = raw_inode(&img, fs, big);
	assert_int_equal(ext2_unmount(fs), 0);
	{
		uint32_t ind = raw->i_block[EXT2_IND_BLOCK];
		uint32_t *ptrs = (uint32_t *)(img.data + (size_t)ind * 1024);

		ptrs[5] = ind;
		raw->i_block[EXT2_DIND_BLOCK] = ind; /* and the double-indirect reuses it too */
		raw->i_size = 12 * 1024 + 256 * 1024 + 256 * 1024 * 3;
	}
	fs = mount_ok(&img, 0);
	{
		char *all = malloc(raw->i_size);

		assert_true(ext2_read(fs, big, 0, all, raw->i_size) != 0);
		free(all);
	}
	assert_int_equal(ext2_truncate(fs, big, 0), 0);
	/* Huge sizes, bad modes, unused inodes. */
	raw = raw_inode(&img, fs, file);
	assert_int_equal(ext2_unmount(fs), 0);
	raw->i_size_high = 0xffffffff;
	fs = mount_ok(&img, EXT2_MOUNT_RDONLY);
	assert_int_equal(ext2_stat(fs, file, &st), -EUCLEAN);
	assert_non_null(strstr(stub_last_log(), "size"));
	assert_int_equal(ext2_unmount(fs), 0);
	raw->i_size_high = 0;
	raw->i_mode = 0xf1ff;
	fs = mount_ok(&img, EXT2_MOUNT_RDONLY);
	assert_int_equal(ext2_stat(fs, file, &st), -EUCLEAN);
	assert_non_null(strstr(stub_last_log(), "bad mode"));
	assert_int_equal(ext2_stat(fs, fs->sb.s_inodes_count, &st), -EUCLEAN); /* never used */
	assert_non_null(strstr(stub_last_log(), "not in use"));
	assert_int_equal(ext2_unmount(fs), 0);
	image_free(&img);
}

static void test_rename_detects_dotdot_loops(void **state)
{
	struct image img;
	struct ext2_fs *fs;
	uint32_t dir, sub;
	uint8_t *blk;

	make_image(&img, "-b 1024");
	fs = mount_ok(&img, EXT2_MOUNT_RDONLY);
	dir = lookup(fs, ext2_root_ino(), "dir");
	sub = lookup(fs, dir, "sub");
	blk = img.data + (size_t)block_of(fs, dir, 0) * 1024;
	assert_int_equal(ext2_unmount(fs), 0);
	*(uint32_t *)(blk + 12) = sub; /* dir/.. -> dir/sub, whose .. is dir: a loop */
	fs = mount_ok(&img, 0);
	assert_int_equal(ext2_rename(fs, ext2_root_ino(), "big", 3, sub, "big", 3), 0);
	{
		struct ext2_new_inode d = { .mode = EXT2_S_IFDIR | 0700 };
		uint32_t other;

		assert_int_equal(ext2_create(fs, ext2_root_ino(), "other", 5, &d, &other), 0);
		assert_int_equal(ext2_rename(fs, ext2_root_ino(), "other", 5, sub, "o", 1), -EUCLEAN);
		assert_non_null(strstr(stub_last_log(), "loops"));
	}
	assert_int_equal(ext2_unmount(fs), 0);
	image_free(&img);
}

/* ------------------------------------------------------------ the corpus */

/* Reads a .gz file through gzip -dc. */
static bool gunzip(const char *path, struct image *img)
{
	char cmd[512];
	FILE *p;
	size_t cap = 1 << 20, n;

	snprintf(cmd, sizeof(cmd), "gzip -dc '%s'", path);
	p = popen(cmd, "r");
	if (!p)
		return false;
	img->data = malloc(cap);
	img->size = 0;
	while ((n = fread(img->data + img->size, 1, cap - img->size, p)) > 0) {
		img->size += n;
		if (img->size == cap)
			img->data = realloc(img->data, cap *= 2);
	}
	pclose(p);
	return ramdisk_init(&img->rd, "corpus", img->data, img->size, false) == 0;
}

/* Walks the tree: every entry stat'ed, files read (a bounded amount), links read. */
static void walk(struct ext2_fs *fs, uint32_t dir, int depth, int *budget)
{
	static char buf[65536];
	struct ext2_dir_entry e;
	uint64_t cookie = 0;
	int rc;

	while (depth < 32 && *budget > 0 && (rc = ext2_readdir(fs, dir, &cookie, &e)) == 1) {
		struct ext2_stat st;

		(*budget)--;
		if (ext2_stat(fs, e.ino, &st) != 0 || e.name[0] == '.')
			continue;
		if ((st.mode & EXT2_S_IFMT) == EXT2_S_IFREG)
			ext2_read(fs, e.ino, 0, buf, sizeof(buf));
		else if ((st.mode & EXT2_S_IFMT) == EXT2_S_IFLNK)
			ext2_readlink(fs, e.ino, buf, sizeof(buf));
		else if ((st.mode & EXT2_S_IFMT) == EXT2_S_IFDIR)
			walk(fs, e.ino, depth + 1, budget);
	}
}

static bool is_clean_error(int err)
{
	return err == 0 || err == -EINVAL || err == -EUCLEAN || err == -EIO || err == -ENOSPC ||
	       err == -ENOENT || err == -EEXIST || err == -ENOTDIR || err == -EISDIR ||
	       err == -ENOTEMPTY || err == -EROFS || err == -EMLINK || err == -EPERM;
}

static void test_corpus_images_fail_cleanly(void **state)
{
	const char *dirname = "tests/data/ext2-bad";
	DIR *d = opendir(dirname);
	struct dirent *de;
	int images = 0, mounted = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		struct ext2_new_inode dir = { .mode = EXT2_S_IFDIR | 0755 };
		struct ext2_new_inode reg = { .mode = EXT2_S_IFREG | 0644 };
		char path[512], data[5000];
		struct ext2_fs *fs = NULL;
		struct image img;
		int err, budget = 5000;
		uint32_t a = 0, f = 0;

		if (!strstr(de->d_name, ".img.gz"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dirname, de->d_name);
		assert_true(gunzip(path, &img));
		images++;
		printf("corpus: %s\n", de->d_name);
		err = ext2_mount(ramdisk_dev(&img.rd), EXT2_MOUNT_RDONLY, test_clock, &fs);
		assert_true(err == 0 || err == -EINVAL || err == -EUCLEAN || err == -EIO);
		if (err) {
			assert_non_null(strstr(stub_last_log(), "ext2"));
			image_free(&img);
			continue;
		}
		mounted++;
		walk(fs, ext2_root_ino(), 0, &budget);
		assert_int_equal(ext2_unmount(fs), 0);
		/* Now read-write: a few changes, each a clean success or error. */
		err = ext2_mount(ramdisk_dev(&img.rd), 0, test_clock, &fs);
		assert_int_equal(err, 0);
		memset(data, 'd', sizeof(data));
		err = ext2_create(fs, ext2_root_ino(), "new_dir", 7, &dir, &a);
		assert_true(is_clean_error(err));
		if (!err) {
			err = ext2_create(fs, a, "f", 1, &reg, &f);
			assert_true(is_clean_error(err));
			if (!err) {
				assert_true(ext2_write(fs, f, 0, data, sizeof(data)) != 0);
				assert_true(ext2_write(fs, f, 1 << 20, data, sizeof(data)) != 0);
				assert_true(is_clean_error(ext2_truncate(fs, f, 100)));
			}
			assert_true(is_clean_error(ext2_rename(fs, ext2_root_ino(), "new_dir", 7,
							      ext2_root_ino(), "lost+found", 10)));
		}
		assert_true(is_clean_error(ext2_unlink(fs, ext2_root_ino(), "lost+found", 10)));
		budget = 5000;
		walk(fs, ext2_root_ino(), 0, &budget);
		assert_true(is_clean_error(ext2_unmount(fs)));
		image_free(&img);
	}
	closedir(d);
	assert_int_equal(images, 36);
	assert_true(mounted >= 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ramdisk_checks_ranges),
		cmocka_unit_test(test_bcache_caches_and_writes_back),
		cmocka_unit_test(test_mount_reads_a_mke2fs_image),
		cmocka_unit_test(test_mount_rejects_bad_superblocks),
		cmocka_unit_test(test_features_by_the_rules),
		cmocka_unit_test(test_clean_state_across_mounts),
		cmocka_unit_test(test_operations_and_e2fsck),
		cmocka_unit_test(test_deferred_free_and_evict),
		cmocka_unit_test(test_directory_growth_and_65536_byte_blocks),
		cmocka_unit_test(test_corrupt_directory_entries),
		cmocka_unit_test(test_corrupt_inodes),
		cmocka_unit_test(test_rename_detects_dotdot_loops),
		cmocka_unit_test(test_corpus_images_fail_cleanly),
	};

	return cmocka_run_group_tests_name("ext2", tests, setup, teardown);
}
