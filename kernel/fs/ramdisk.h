/* Ramdisk: a block device over a range of memory (the loader's ext2 image). */
#ifndef FS_RAMDISK_H
#define FS_RAMDISK_H

#include <stdbool.h>
#include <stdint.h>

#include "fs/blockdev.h"

#define RAMDISK_SECTOR_SIZE 512u

struct ramdisk {
	struct blockdev dev;
	uint8_t *base; /* the memory, mapped for the whole life of the device */
	uint64_t size; /* bytes: sector_count * 512 (a partial last sector is not used) */
};

/*
 * Makes rd a block device of 512-byte sectors over [base, base + size).
 * The memory must stay mapped and owned by the ramdisk while it is in use;
 * in the kernel that is the loader's `ramdisk` region, which the frame
 * allocator never hands out (pass its direct-map address). Bytes past the
 * last whole sector are ignored. Returns 0, or -EINVAL if size < 512.
 */
int ramdisk_init(struct ramdisk *rd, const char *name, void *base, uint64_t size, bool read_only);

/* The ramdisk's block device (for bcache_create, ext2_mount). */
static inline struct blockdev *ramdisk_dev(struct ramdisk *rd)
{
	return &rd->dev;
}

#endif
