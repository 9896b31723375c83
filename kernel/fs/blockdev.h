/* Block devices: the interface a ramdisk (and later a disk driver) implements. */
#ifndef FS_BLOCKDEV_H
#define FS_BLOCKDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct blockdev;

/*
 * A driver's operations. Requests are in whole sectors of the device's
 * sector_size; blockdev_read/blockdev_write check the range before calling
 * them, so a driver never sees a request past its end. Each returns 0 or a
 * negative errno (-EIO for a device error) and logs the failure itself.
 */
struct blockdev_ops {
	int (*read)(struct blockdev *dev, uint64_t sector, uint64_t count, void *buf);
	int (*write)(struct blockdev *dev, uint64_t sector, uint64_t count, const void *buf);
	int (*flush)(struct blockdev *dev); /* NULL: nothing to flush */
};

struct blockdev {
	const char *name;             /* for log lines, e.g. "ramdisk0" */
	uint32_t sector_size;         /* a power of two, 512..65536 */
	uint64_t sector_count;
	bool read_only;               /* writes fail with -EROFS */
	const struct blockdev_ops *ops;
	void *driver_data;            /* the driver's own state */
};

/* The device's size in bytes. */
static inline uint64_t blockdev_size(const struct blockdev *dev)
{
	return dev->sector_count * dev->sector_size;
}

/*
 * Reads count sectors starting at sector into buf. Returns 0, -EIO (after
 * logging) if the range is not inside the device, or the driver's error.
 * (Defined in bcache.c, the block layer's one way into drivers.)
 */
int blockdev_read(struct blockdev *dev, uint64_t sector, uint64_t count, void *buf);

/* As blockdev_read for a write; -EROFS on a read-only device. */
int blockdev_write(struct blockdev *dev, uint64_t sector, uint64_t count, const void *buf);

/* Makes completed writes durable. Returns 0 or the driver's error. */
int blockdev_flush(struct blockdev *dev);

#endif
