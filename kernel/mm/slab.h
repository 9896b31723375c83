/* Slab caches: fixed-size kernel objects carved out of contiguous pages. */
#ifndef MM_SLAB_H
#define MM_SLAB_H

#include <stddef.h>
#include <stdint.h>

/*
 * Heap debugging (poisoning, redzones, double-free detection) is on unless
 * the build defines KERNEL_DEBUG_HEAP_OFF. See slab.c for what it checks.
 */
#ifndef KERNEL_DEBUG_HEAP_OFF
#define KERNEL_DEBUG_HEAP 1
#endif

#define SLAB_PAGE_SIZE 4096u

/* The largest order slab_pages_alloc must support (4 MiB, like the pmm). */
#define SLAB_PAGES_MAX_ORDER 10

/*
 * The page provider, implemented outside this module (the kernel on its
 * frame allocator and direct map, host tests on aligned_alloc).
 *
 * slab_pages_alloc returns 2^order contiguous, writable 4 KiB pages,
 * 4 KiB-aligned (2^order alignment is NOT guaranteed), contents undefined.
 * It never returns NULL: on exhaustion it panics with a message naming
 * `caller` and the size, e.g.
 *   "slab_pages_alloc: out of memory allocating 8192 bytes for vfs_open".
 * slab_pages_free takes back exactly what one slab_pages_alloc returned.
 */
void *slab_pages_alloc(unsigned order, const char *caller);
void slab_pages_free(void *p, unsigned order);

struct slab_cache; /* opaque; lives forever once created */

struct slab_stats {
	const char *name;
	size_t object_size;      /* usable bytes per object */
	size_t objects_per_slab;
	size_t pages_per_slab;
	size_t objects_in_use;
	size_t slabs;            /* slabs held, the one kept empty included */
	size_t pages;            /* pages held: slabs * pages_per_slab */
};

/*
 * Creates a cache of `size`-byte objects aligned to `align` (a power of two
 * up to SLAB_PAGE_SIZE; 0 means 8). `name` must outlive the cache. Panics
 * on a bad size or alignment (a programming error); never returns NULL.
 */
struct slab_cache *slab_cache_create(const char *name, size_t size, size_t align);

/*
 * Returns a free object of the cache, never NULL (see kmalloc.h for the
 * infallible policy). Contents are undefined (0x6b bytes in debug builds).
 * `caller` is named if the page provider runs out.
 */
void *slab_alloc_caller(struct slab_cache *c, const char *caller);
#define slab_alloc(c) slab_alloc_caller((c), __func__)

/*
 * Returns obj to the cache it came from. Panics if obj is not an object of
 * `c` (a foreign pointer, an interior pointer, another cache's object), and
 * in debug builds on a double free or a write past the object's end.
 */
void slab_free(struct slab_cache *c, void *obj);

/* Fills *out with a consistent snapshot of the cache's counters. */
void slab_cache_stats(struct slab_cache *c, struct slab_stats *out);

/*
 * For kmalloc: the cache whose slab holds the page containing p, or NULL if
 * that page belongs to no slab. Reads no memory near p.
 */
struct slab_cache *slab_cache_of(const void *p);

/*
 * The page-owner map: one word per heap page, 0 for pages the heap does not
 * own. Slabs store their (page-aligned) header address in every page they
 * span; kmalloc stores odd values in the first page of its page runs.
 * slab_owner_set records `owner` for `npages` pages from the page-aligned
 * `pages`; recording a non-zero owner may allocate map nodes (naming
 * `caller` on exhaustion), recording 0 never allocates. Only the current
 * owner of a page may change its word. slab_owner_get is lock-free.
 */
void slab_owner_set(const void *pages, size_t npages, uintptr_t owner, const char *caller);
uintptr_t slab_owner_get(const void *p);

#endif
