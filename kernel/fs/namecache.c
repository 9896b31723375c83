/* The name cache: what path walks learned from filesystems, so the next walk need not ask. */
#include "fs/namecache.h"
#include "fs/vfs.h"
#include "lib/string.h"
#include "mm/kmalloc.h"
#include "panic.h"

/*
 * Design. An entry maps (directory vnode, name) to the vnode the
 * filesystem's lookup returned (a positive entry) or to nothing (a negative
 * entry: the name does not exist). Entries are found through a hash table
 * keyed on the directory vnode's address and the name; they also sit on
 * one LRU list (most recently used first) and on their directory's
 * vnode->names list. At most `limit` entries are kept (16,384 by default:
 * 2 MiB of entries with short names, plus the vnodes they keep alive);
 * namecache_reap() evicts from the LRU's tail.
 *
 * What is cached is the filesystem's own answer, below mount points and
 * symlinks: the VFS crosses into what is mounted on the vnode and reads
 * symlinks after every lookup, hit or miss, and checks search permission
 * on every directory itself. "." and ".." are never cached: the VFS
 * handles "." alone, and a directory's ".." changes when it moves.
 *
 * Invariants.
 *  1. An entry holds a reference to its directory and to its vnode. So a
 *     vnode named by an entry is never freed, and no other directory can
 *     take the address of one that entries are keyed on. vnode_put()
 *     panics if a directory dies with entries in it.
 *  2. The entries of a mount change only under that mount's mutex, the
 *     lock under which its filesystem answers lookups and changes names. A
 *     miss asks the filesystem and enters the answer before releasing the
 *     mutex; every namespace change enters or removes its names before
 *     releasing it. So whenever the mutex is free the cache agrees with the
 *     filesystem. A hit takes only namecache_lock: overtaking a change in
 *     progress is the same as having come just before it.
 *  3. Only filesystems whose names change solely through the VFS opt in
 *     (mount->cache_names: ext2). procfs does not (/proc/<pid> comes and
 *     goes with processes), nor does devfs (drivers register nodes at any
 *     time): their lookups always go to the filesystem.
 *
 * Invalidation, by the VFS (vfs.c), under the directory's mount mutex, for
 * the operation's outcome whether it succeeded or not:
 *  - create, mknod, mkdir, link: the new name enters, positive (replacing a
 *    negative entry); if the operation failed, the name is removed;
 *  - symlink, unlink: the name is removed;
 *  - rmdir: the name is removed, and so is every entry in the removed
 *    directory (negative ones: it was empty), which frees its vnode (a
 *    later lookup through a reference still held, such as a cwd, can enter
 *    negative names again; they keep it until evicted);
 *  - rename: both names are removed, and a directory it replaced is purged
 *    as for rmdir. Entries in a moved directory stay: they are keyed on its
 *    vnode, which a rename keeps, so old paths fail at the removed name
 *    while new ones find the same vnode and, under it, the same entries;
 *  - mount: nothing, since crossing happens after the lookup (there is no
 *    umount; it would have to purge the mount's entries, which pin its
 *    vnodes);
 *  - a vnode being freed: cannot happen while an entry names it (1); an
 *    evicted entry drops its references and the vnode goes with the last.
 *
 * Locking. namecache_lock protects the table, the LRU and dead lists, every
 * vnode's `names` list, `limit` and the counters. Lock order: mount mutex,
 * then namecache_lock, then vnode_cache_lock. Dropping an entry's last
 * reference to a vnode can call the filesystem's inactive(), which takes
 * the mount mutex: so entries dropped under a mount mutex wait on the dead
 * list until namecache_reap(), which runs with no lock held.
 */

#define NAMECACHE_BUCKETS       2048 /* a power of two */
#define NAMECACHE_DEFAULT_LIMIT 16384

struct nc_entry {
	struct list_node hash_node; /* in its bucket */
	struct list_node lru_node;  /* in lru, most recent first; or in dead */
	struct list_node dir_node;  /* in dir->names */
	struct vnode *dir;          /* referenced */
	struct vnode *vn;           /* referenced; NULL in a negative entry */
	uint32_t hash;
	uint16_t len;
	char name[];                /* len bytes, not terminated */
};

static struct spinlock namecache_lock = SPINLOCK_INIT("namecache");
static struct list_node buckets[NAMECACHE_BUCKETS];
static bool buckets_ready;
static struct list_node lru = LIST_INIT(lru);
static struct list_node dead = LIST_INIT(dead); /* dropped, references still held */
static struct namecache_stats stats = { .limit = NAMECACHE_DEFAULT_LIMIT };

static bool cacheable(const struct vnode *dir, const char *name, size_t len)
{
	bool dots = (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.');

	return dir->mnt->cache_names && !dots;
}

static uint32_t hash_name(const struct vnode *dir, const char *name, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a over the name, then the directory mixed in */

	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)name[i]) * 16777619u;
	return h ^ (uint32_t)((uintptr_t)dir >> 4) * 2654435761u;
}

static struct list_node *bucket_locked(uint32_t hash)
{
	if (!buckets_ready) {
		for (int i = 0; i < NAMECACHE_BUCKETS; i++)
			list_init(&buckets[i]);
		buckets_ready = true;
	}
	return &buckets[(hash ^ hash >> 16) & (NAMECACHE_BUCKETS - 1)];
}

static struct nc_entry *find_locked(const struct vnode *dir, const char *name, size_t len,
				    uint32_t hash)
{
	struct nc_entry *e;

	list_for_each_entry(e, bucket_locked(hash), hash_node)
		if (e->hash == hash && e->dir == dir && e->len == len && !memcmp(e->name, name, len))
			return e;
	return NULL;
}

/* Takes e out of the cache; its references go in namecache_reap(). */
static void drop_locked(struct nc_entry *e)
{
	list_remove(&e->hash_node);
	list_remove(&e->dir_node);
	list_remove(&e->lru_node);
	list_push_back(&dead, &e->lru_node);
	stats.entries--;
}

static void assert_mount_locked(const char *fn, struct vnode *dir)
{
	if (!mutex_held(&dir->mnt->lock))
		panic("%s: the %s mount of directory %lu is not locked", fn, dir->mnt->fstype,
		      (unsigned long)dir->ino);
}

enum namecache_result namecache_lookup(struct vnode *dir, const char *name, size_t len,
				       struct vnode **out)
{
	enum namecache_result r = NAMECACHE_MISS;
	struct nc_entry *e;
	uint32_t hash;

	if (!cacheable(dir, name, len))
		return NAMECACHE_MISS;
	hash = hash_name(dir, name, len);
	spin_lock(&namecache_lock);
	e = find_locked(dir, name, len, hash);
	if (!e) {
		stats.misses++;
	} else {
		list_remove(&e->lru_node);
		list_push_front(&lru, &e->lru_node);
		if (e->vn) {
			vnode_get(e->vn);
			*out = e->vn;
			r = NAMECACHE_HIT;
			stats.hits++;
		} else {
			r = NAMECACHE_NEGATIVE;
			stats.negative_hits++;
		}
	}
	spin_unlock(&namecache_lock);
	return r;
}

void namecache_enter(struct vnode *dir, const char *name, size_t len, struct vnode *vn)
{
	struct nc_entry *e, *old;

	if (!cacheable(dir, name, len))
		return;
	assert_mount_locked("namecache_enter", dir);
	e = kmalloc(sizeof(*e) + len);
	e->dir = dir;
	e->vn = vn;
	e->hash = hash_name(dir, name, len);
	e->len = (uint16_t)len;
	memcpy(e->name, name, len);
	vnode_get(dir);
	if (vn)
		vnode_get(vn);
	spin_lock(&namecache_lock);
	old = find_locked(dir, name, len, e->hash);
	if (old)
		drop_locked(old);
	list_push_back(bucket_locked(e->hash), &e->hash_node);
	list_push_front(&lru, &e->lru_node);
	list_push_back(&dir->names, &e->dir_node);
	stats.entries++;
	spin_unlock(&namecache_lock);
}

void namecache_remove(struct vnode *dir, const char *name, size_t len)
{
	struct nc_entry *e;

	if (!cacheable(dir, name, len))
		return;
	assert_mount_locked("namecache_remove", dir);
	spin_lock(&namecache_lock);
	e = find_locked(dir, name, len, hash_name(dir, name, len));
	if (e)
		drop_locked(e);
	spin_unlock(&namecache_lock);
}

void namecache_purge_dir(struct vnode *dir)
{
	struct nc_entry *e, *tmp;

	assert_mount_locked("namecache_purge_dir", dir);
	spin_lock(&namecache_lock);
	list_for_each_entry_safe(e, tmp, &dir->names, dir_node)
		drop_locked(e);
	spin_unlock(&namecache_lock);
}

void namecache_reap(void)
{
	for (;;) {
		struct list_node *n;
		struct nc_entry *e;

		spin_lock(&namecache_lock);
		while (stats.entries > stats.limit) {
			drop_locked(list_entry(lru.prev, struct nc_entry, lru_node));
			stats.evictions++;
		}
		n = list_first(&dead);
		if (n)
			list_remove(n);
		spin_unlock(&namecache_lock);
		if (!n)
			return;
		e = list_entry(n, struct nc_entry, lru_node);
		vnode_put(e->vn);
		vnode_put(e->dir);
		kfree(e);
	}
}

void namecache_get_stats(struct namecache_stats *out)
{
	spin_lock(&namecache_lock);
	*out = stats;
	spin_unlock(&namecache_lock);
}

size_t namecache_set_limit(size_t limit)
{
	size_t old;

	spin_lock(&namecache_lock);
	old = (size_t)stats.limit;
	stats.limit = limit ? limit : 1;
	spin_unlock(&namecache_lock);
	return old;
}
