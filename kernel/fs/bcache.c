/* Block layer: range-checked device requests, and the buffer cache over them (hash, LRU, write-back). */
#include "fs/bcache.h"

#include "lib/errno.h"
#include "lib/string.h"
#include "log.h"
#include "mm/kmalloc.h"
#include "panic.h"

/* Returns true if [sector, sector + count) lies inside dev. */
static bool blockdev_range_ok(const struct blockdev *dev, uint64_t sector, uint64_t count)
{
	return count <= dev->sector_count && sector <= dev->sector_count - count;
}

int blockdev_read(struct blockdev *dev, uint64_t sector, uint64_t count, void *buf)
{
	if (!blockdev_range_ok(dev, sector, count)) {
		log_err("blockdev", "%s: read of sectors [%lu, +%lu) past the end (%lu sectors)",
			dev->name, (unsigned long)sector, (unsigned long)count,
			(unsigned long)dev->sector_count);
		return -EIO;
	}
	return dev->ops->read(dev, sector, count, buf);
}

int blockdev_write(struct blockdev *dev, uint64_t sector, uint64_t count, const void *buf)
{
	if (dev->read_only)
		return -EROFS;
	if (!blockdev_range_ok(dev, sector, count)) {
		log_err("blockdev", "%s: write of sectors [%lu, +%lu) past the end (%lu sectors)",
			dev->name, (unsigned long)sector, (unsigned long)count,
			(unsigned long)dev->sector_count);
		return -EIO;
	}
	return dev->ops->write(dev, sector, count, buf);
}

int blockdev_flush(struct blockdev *dev)
{
	return dev->ops->flush ? dev->ops->flush(dev) : 0;
}

struct bcache *bcache_create(struct blockdev *dev, uint32_t block_size, unsigned capacity)
{
	struct bcache *cache;

	if (block_size < dev->sector_size || block_size > 65536 ||
	    (block_size & (block_size - 1)) || block_size % dev->sector_size) {
		log_err("bcache", "%s: block size %u does not fit sectors of %u bytes", dev->name,
			block_size, dev->sector_size);
		return NULL;
	}
	cache = kzalloc(sizeof(*cache));
	cache->dev = dev;
	cache->block_size = block_size;
	cache->sectors_per_block = block_size / dev->sector_size;
	cache->block_count = dev->sector_count / cache->sectors_per_block;
	cache->capacity = capacity ? capacity : 1;
	list_init(&cache->lru);
	for (unsigned i = 0; i < BCACHE_BUCKETS; i++)
		list_init(&cache->buckets[i]);
	return cache;
}

/* Writes b to the device if dirty. Returns 0 or the device's error (b stays dirty). */
static int buf_write_back(struct buf *b)
{
	struct bcache *cache = b->cache;
	int err;

	if (!b->dirty)
		return 0;
	err = blockdev_write(cache->dev, b->block * cache->sectors_per_block,
			     cache->sectors_per_block, b->data);
	if (err) {
		log_err("bcache", "%s: writing block %lu failed (%d)", cache->dev->name,
			(unsigned long)b->block, err);
		return err;
	}
	cache->writes++;
	b->dirty = false;
	return 0;
}

static void buf_free(struct buf *b)
{
	list_remove(&b->hash_node);
	list_remove(&b->lru_node);
	b->cache->buffers--;
	kfree(b->data);
	kfree(b);
}

static struct buf *bcache_find(struct bcache *cache, uint64_t block)
{
	struct list_node *head = &cache->buckets[block % BCACHE_BUCKETS];

	for (struct list_node *n = head->next; n != head; n = n->next) {
		struct buf *b = container_of(n, struct buf, hash_node);

		if (b->block == block)
			return b;
	}
	return NULL;
}

/* Frees unreferenced blocks, oldest first, until the cache is under capacity. */
static void bcache_shrink(struct bcache *cache)
{
	struct list_node *n = cache->lru.next;

	while (cache->buffers >= cache->capacity && n != &cache->lru) {
		struct buf *b = container_of(n, struct buf, lru_node);

		n = n->next;
		if (buf_write_back(b) == 0)
			buf_free(b);
	}
}

/*
 * Looks block up; on a miss makes a new buffer for it, filled from the
 * device if `read`, else zeroed. Returns 0 with a reference in *out.
 */
static int bcache_lookup(struct bcache *cache, uint64_t block, bool read, struct buf **out)
{
	struct buf *b;
	int err;

	if (block >= cache->block_count) {
		log_err("bcache", "%s: block %lu is past the end (%lu blocks)", cache->dev->name,
			(unsigned long)block, (unsigned long)cache->block_count);
		return -EIO;
	}
	b = bcache_find(cache, block);
	if (b) {
		if (b->refs++ == 0)
			list_remove(&b->lru_node);
		*out = b;
		return 0;
	}
	bcache_shrink(cache);
	b = kmalloc(sizeof(*b));
	b->data = kmalloc(cache->block_size);
	b->block = block;
	b->refs = 1;
	b->dirty = false;
	b->cache = cache;
	list_init(&b->lru_node);
	if (read) {
		err = blockdev_read(cache->dev, block * cache->sectors_per_block,
				    cache->sectors_per_block, b->data);
		if (err) {
			log_err("bcache", "%s: reading block %lu failed (%d)", cache->dev->name,
				(unsigned long)block, err);
			kfree(b->data);
			kfree(b);
			return err;
		}
		cache->reads++;
	} else {
		memset(b->data, 0, cache->block_size);
	}
	list_push_back(&cache->buckets[block % BCACHE_BUCKETS], &b->hash_node);
	cache->buffers++;
	*out = b;
	return 0;
}

int bcache_get(struct bcache *cache, uint64_t block, struct buf **out)
{
	return bcache_lookup(cache, block, true, out);
}

int bcache_get_zeroed(struct bcache *cache, uint64_t block, struct buf **out)
{
	int err = bcache_lookup(cache, block, false, out);

	if (err)
		return err;
	memset((*out)->data, 0, cache->block_size);
	(*out)->dirty = true;
	return 0;
}

void bcache_put(struct buf *b)
{
	if (b->refs == 0)
		panic("bcache_put: block %lu was not held", (unsigned long)b->block);
	if (--b->refs == 0)
		list_push_back(&b->cache->lru, &b->lru_node);
}

int bcache_sync(struct bcache *cache)
{
	int first_err = 0;

	for (unsigned i = 0; i < BCACHE_BUCKETS; i++) {
		struct list_node *head = &cache->buckets[i];

		for (struct list_node *n = head->next; n != head; n = n->next) {
			int err = buf_write_back(container_of(n, struct buf, hash_node));

			if (err && !first_err)
				first_err = err;
		}
	}
	if (!first_err)
		first_err = blockdev_flush(cache->dev);
	return first_err;
}

int bcache_destroy(struct bcache *cache)
{
	int err = bcache_sync(cache);

	for (unsigned i = 0; i < BCACHE_BUCKETS; i++) {
		struct list_node *head = &cache->buckets[i];

		while (!list_empty(head)) {
			struct buf *b = container_of(head->next, struct buf, hash_node);

			if (b->refs)
				panic("bcache_destroy: block %lu still held (%u references)",
				      (unsigned long)b->block, b->refs);
			buf_free(b);
		}
	}
	kfree(cache);
	return err;
}
