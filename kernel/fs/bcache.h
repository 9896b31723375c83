/* Buffer cache: fixed-size blocks of a block device, cached and written back. */
#ifndef FS_BCACHE_H
#define FS_BCACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "fs/blockdev.h"
#include "lib/list.h"

/*
 * A filesystem reads and writes its device only through a bcache: it gets
 * a block (reading it on a miss), looks at or changes buf->data, marks it
 * dirty if changed, and puts it back. Dirty blocks reach the device when
 * they are evicted or at bcache_sync. Unreferenced blocks are kept, least
 * recently used first out, up to the capacity given at creation; more are
 * allocated while every cached block is in use (a caller holds few at once).
 *
 * Locking: a bcache has no lock of its own. Its one owner (a mounted
 * filesystem) serialises every call under its own lock.
 */

struct bcache;

struct buf {
	uint64_t block;              /* block number, in units of the cache's block size */
	uint8_t *data;               /* block_size bytes */
	unsigned refs;               /* bcache_get holders */
	bool dirty;                  /* changed since read or last written back */
	struct bcache *cache;
	struct list_node hash_node;  /* in cache->buckets[block % BCACHE_BUCKETS] */
	struct list_node lru_node;   /* in cache->lru while refs == 0 */
};

#define BCACHE_BUCKETS 64

struct bcache {
	struct blockdev *dev;
	uint32_t block_size;         /* bytes: a multiple of dev->sector_size */
	uint32_t sectors_per_block;
	uint64_t block_count;        /* whole blocks on the device */
	unsigned buffers;            /* cached blocks, referenced or not */
	unsigned capacity;           /* buffers kept when unreferenced */
	struct list_node lru;        /* unreferenced blocks, least recently used first */
	struct list_node buckets[BCACHE_BUCKETS];
	uint64_t reads, writes;      /* device requests made, for tests and statistics */
};

/*
 * Returns a cache of block_size-byte blocks over dev (kmalloc'ed), keeping
 * up to `capacity` unreferenced blocks. block_size must be a power of two,
 * a multiple of the sector size, at most 64 KiB; NULL (after logging) if not.
 */
struct bcache *bcache_create(struct blockdev *dev, uint32_t block_size, unsigned capacity);

/*
 * Writes back every dirty block, then frees the cache. Every block must
 * have been put (panics otherwise: a leaked reference is a bug). Returns 0
 * or the first write error (the cache is freed anyway).
 */
int bcache_destroy(struct bcache *cache);

/*
 * Gets block `block`, reading it from the device on a miss. On success
 * *out holds a reference the caller must bcache_put. Returns 0, -EIO (after
 * logging) for a block past the device's end, or the device's read error.
 */
int bcache_get(struct bcache *cache, uint64_t block, struct buf **out);

/*
 * As bcache_get, but for a block the caller will overwrite completely: no
 * read; the data is zero-filled and the block already marked dirty.
 */
int bcache_get_zeroed(struct bcache *cache, uint64_t block, struct buf **out);

/* Marks b changed: it will be written back. */
static inline void bcache_mark_dirty(struct buf *b)
{
	b->dirty = true;
}

/* Drops a reference taken by bcache_get. */
void bcache_put(struct buf *b);

/* Writes back every dirty block and flushes the device. Returns 0 or the first error. */
int bcache_sync(struct bcache *cache);

#endif
