/* The name cache: (directory vnode, name) -> child vnode or "no such name", for path walks. */
#ifndef FS_NAMECACHE_H
#define FS_NAMECACHE_H

#include <stddef.h>
#include <stdint.h>

struct vnode;

/*
 * Only the VFS calls these (fs/vfs.c); the design, the invariants and the
 * invalidation rules are described at the top of namecache.c. Names are
 * 1..VFS_NAME_MAX bytes without '/', never "." or "..". A directory whose
 * mount has cache_names false is never cached: lookups miss and the other
 * calls do nothing.
 */

enum namecache_result {
	NAMECACHE_MISS,     /* ask the filesystem */
	NAMECACHE_HIT,      /* *out is the child, with a new reference */
	NAMECACHE_NEGATIVE, /* the name does not exist: -ENOENT */
};

/* Looks (dir, name) up. Needs a reference to dir, not its mount's lock. */
enum namecache_result namecache_lookup(struct vnode *dir, const char *name, size_t len,
				       struct vnode **out);

/*
 * The three calls that change entries need dir->mnt->lock held, the same
 * hold under which the filesystem answered or changed the name: that keeps
 * the cache of a mount equal to what its filesystem says whenever the lock
 * is free. Dropped entries release their vnodes only in namecache_reap().
 */

/* Records that name in dir is vn (NULL: does not exist), replacing any entry. */
void namecache_enter(struct vnode *dir, const char *name, size_t len, struct vnode *vn);
/* Forgets name in dir. */
void namecache_remove(struct vnode *dir, const char *name, size_t len);
/* Forgets every name in dir (dir was removed or replaced). */
void namecache_purge_dir(struct vnode *dir);

/*
 * Drops the vnode references of forgotten entries and evicts the least
 * recently used ones above the limit. Call with no mount lock held (the
 * last reference to a vnode may call its filesystem's inactive()).
 */
void namecache_reap(void);

struct namecache_stats {
	uint64_t hits, negative_hits, misses; /* lookups answered and not */
	uint64_t entries, limit, evictions;
};

void namecache_get_stats(struct namecache_stats *out);
/* Sets the most entries kept (at least 1) and returns the previous limit;
 * takes effect at the next namecache_reap(). For tests. */
size_t namecache_set_limit(size_t limit);

#endif
