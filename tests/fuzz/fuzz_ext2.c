/* libFuzzer harness: ext2 mount, tree walk and reads, then writes, on any bytes as an image. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fs/ext2.h"
#include "fs/ext2_disk.h"
#include "fs/ramdisk.h"
#include "log.h"
#include "panic.h"

/* Kernel services: logs are dropped; a panic is a crash libFuzzer reports. */
void klog(enum log_level level, const char *module, const char *fmt, ...)
{
}

void kprintf(const char *fmt, ...)
{
}

void kvprintf(const char *fmt, va_list ap)
{
}

void panic(const char *fmt, ...)
{
	__builtin_trap();
}

static int64_t fixed_clock(void)
{
	return 1700000000;
}

/* Anything else than success or a clean error is a bug. */
static void check_rc(int64_t rc)
{
	if (rc < -4095)
		__builtin_trap();
}

/* Walks the tree below dir, bounded by depth and an entry budget; reads a little of each file. */
static void walk(struct ext2_fs *fs, uint32_t dir, int depth, int *budget)
{
	static uint8_t buf[16384];
	struct ext2_dir_entry e;
	uint64_t cookie = 0, last = 0;
	int rc;

	while (depth < 12 && *budget > 0 && (rc = ext2_readdir(fs, dir, &cookie, &e)) == 1) {
		struct ext2_stat st;
		uint32_t again;

		if (cookie <= last) /* a cookie always moves forward */
			__builtin_trap();
		last = cookie;
		(*budget)--;
		if (e.name_len == 0 || e.name[e.name_len] != '\0')
			__builtin_trap();
		if (ext2_stat(fs, e.ino, &st) != 0)
			continue;
		check_rc(ext2_lookup(fs, dir, e.name, e.name_len, &again));
		if (e.name[0] == '.' && (e.name_len == 1 || (e.name_len == 2 && e.name[1] == '.')))
			continue;
		switch (st.mode & EXT2_S_IFMT) {
		case EXT2_S_IFREG:
			check_rc(ext2_read(fs, e.ino, 0, buf, sizeof(buf)));
			if (st.size > 100)
				check_rc(ext2_read(fs, e.ino, st.size - 100, buf, sizeof(buf)));
			break;
		case EXT2_S_IFLNK: {
			int n = ext2_readlink(fs, e.ino, (char *)buf, sizeof(buf));

			if (n > 4095)
				__builtin_trap();
			break;
		}
		case EXT2_S_IFDIR:
			walk(fs, e.ino, depth + 1, budget);
			break;
		}
	}
}

/* Changes that exercise allocation, directory updates and freeing of whatever the image holds. */
static void mutate(struct ext2_fs *fs)
{
	static const char data[6000] = { 1, 2, 3 };
	struct ext2_new_inode dir = { .mode = EXT2_S_IFDIR | 0755 };
	struct ext2_new_inode reg = { .mode = EXT2_S_IFREG | 0644 };
	struct ext2_dir_entry e;
	uint64_t cookie = 0;
	uint32_t d = 0, f = 0, root = ext2_root_ino();
	char target[200];
	int victims = 0;

	/* Remove or shrink what is already there: frees hostile block trees. */
	while (victims < 4 && ext2_readdir(fs, root, &cookie, &e) == 1) {
		struct ext2_stat st;

		if (e.name[0] == '.' || ext2_stat(fs, e.ino, &st) != 0)
			continue;
		victims++;
		if ((st.mode & EXT2_S_IFMT) == EXT2_S_IFREG)
			check_rc(ext2_truncate(fs, e.ino, st.size / 3));
		if ((st.mode & EXT2_S_IFMT) == EXT2_S_IFDIR)
			check_rc(ext2_rmdir(fs, root, e.name, e.name_len));
		else
			check_rc(ext2_unlink(fs, root, e.name, e.name_len));
	}
	check_rc(ext2_create(fs, root, "fz_dir", 6, &dir, &d));
	if (d) {
		check_rc(ext2_create(fs, d, "fz_file", 7, &reg, &f));
		if (f) {
			check_rc(ext2_write(fs, f, 0, data, sizeof(data)));
			check_rc(ext2_write(fs, f, 300000, data, sizeof(data)));
			check_rc(ext2_link(fs, f, root, "fz_link", 7));
			check_rc(ext2_truncate(fs, f, 1000));
		}
		memset(target, 'T', sizeof(target));
		check_rc(ext2_symlink(fs, d, "fz_sym", 6, target, sizeof(target), 0, 0, NULL));
		check_rc(ext2_rename(fs, root, "fz_dir", 6, root, "fz_moved", 8));
		check_rc(ext2_rename(fs, root, "fz_link", 7, root, "lost+found", 10));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ext2_fs *fs;
	struct ramdisk rd;
	uint8_t *image;
	int budget = 1000;

	if (size < 2048)
		return 0;
	/* A private, exactly-sized copy: writes may change it, ASan guards its ends. */
	image = malloc(size);
	memcpy(image, data, size);
	if (ramdisk_init(&rd, "fuzz", image, size, false) != 0)
		__builtin_trap();
	if (ext2_mount(ramdisk_dev(&rd), EXT2_MOUNT_RDONLY, fixed_clock, &fs) == 0) {
		walk(fs, ext2_root_ino(), 0, &budget);
		if (ext2_unmount(fs) != 0 || memcmp(image, data, size) != 0)
			__builtin_trap(); /* a read-only mount never writes */
		if (ext2_mount(ramdisk_dev(&rd), 0, fixed_clock, &fs) == 0) {
			mutate(fs);
			budget = 300;
			walk(fs, ext2_root_ino(), 0, &budget);
			check_rc(ext2_unmount(fs));
		}
	}
	free(image);
	return 0;
}
