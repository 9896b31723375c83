/* Ramdisk: a block device whose sectors are a range of memory. */
#include "fs/ramdisk.h"

#include "lib/errno.h"
#include "lib/string.h"
#include "log.h"

static int ramdisk_read(struct blockdev *dev, uint64_t sector, uint64_t count, void *buf)
{
	struct ramdisk *rd = dev->driver_data;

	memcpy(buf, rd->base + sector * RAMDISK_SECTOR_SIZE, count * RAMDISK_SECTOR_SIZE);
	return 0;
}

static int ramdisk_write(struct blockdev *dev, uint64_t sector, uint64_t count, const void *buf)
{
	struct ramdisk *rd = dev->driver_data;

	memcpy(rd->base + sector * RAMDISK_SECTOR_SIZE, buf, count * RAMDISK_SECTOR_SIZE);
	return 0;
}

static const struct blockdev_ops ramdisk_ops = {
	.read = ramdisk_read,
	.write = ramdisk_write,
	.flush = NULL,
};

int ramdisk_init(struct ramdisk *rd, const char *name, void *base, uint64_t size, bool read_only)
{
	if (size < RAMDISK_SECTOR_SIZE) {
		log_err("ramdisk", "%s: %lu bytes is smaller than one sector", name, (unsigned long)size);
		return -EINVAL;
	}
	rd->base = base;
	rd->size = size / RAMDISK_SECTOR_SIZE * RAMDISK_SECTOR_SIZE;
	rd->dev = (struct blockdev){
		.name = name,
		.sector_size = RAMDISK_SECTOR_SIZE,
		.sector_count = size / RAMDISK_SECTOR_SIZE,
		.read_only = read_only,
		.ops = &ramdisk_ops,
		.driver_data = rd,
	};
	return 0;
}
