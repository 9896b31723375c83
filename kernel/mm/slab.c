/* Slab caches: fixed-size objects in page runs, found again through a page-owner map. */
#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/list.h"
#include "lib/string.h"
#include "mm/addr.h"
#include "mm/slab.h"
#include "panic.h"
#include "sched/spinlock.h"

/*
 * A slab is 2^order contiguous pages: a struct slab header, then per_slab
 * objects `stride` bytes apart. Runs are not aligned to their size, so an
 * object finds its slab through the page-owner map (every page of a slab
 * maps to the header), never by masking its address. Free objects are
 * linked through their first word, each slab's list holding its own.
 * A cache keeps partial, full and empty slabs; at most one empty slab is
 * kept, others go back to the provider at once.
 *
 * Every free checks, in O(1), that the pointer is at an object's start in a
 * slab page of the same cache. With KERNEL_DEBUG_HEAP, in addition:
 *  - a redzone (>= 8 bytes of 0xbb) after each object is checked on free;
 *  - a free object is poisoned with 0x6b except its link word; on reuse the
 *    poison is checked and the link must name a free object of the slab;
 *  - a bitmap in the header says which objects are handed out (double free).
 * These panics unlock first, leaving the cache usable (host tests go on).
 *
 * Cache locks are leaves: no other lock is taken and the provider is never
 * called while one is held (slabs are built and freed outside the lock).
 */

#ifdef KERNEL_DEBUG_HEAP
#define SLAB_DEBUG 1
#else
#define SLAB_DEBUG 0
#endif

#define SLAB_MAX_ORDER   4   /* slabs are at most 64 KiB */
#define SLAB_MAX_OBJECTS 256 /* per slab; the size of the debug bitmap */
#define POISON_FREE      0x6b
#define POISON_REDZONE   0xbb
#define REDZONE_MIN      8

struct slab {
	struct list_node link; /* on its cache's partial, full or empty list */
	struct slab_cache *cache;
	void *free;            /* first free object, NULL when full */
	size_t in_use;
	uint64_t handed_out[SLAB_MAX_OBJECTS / 64]; /* debug: bit i = object i is allocated */
};

struct slab_cache {
	/* Protects the three lists, the slabs on them (headers, free lists,
	 * bitmaps, the poison of their free objects) and the two counters. */
	struct spinlock lock;
	struct list_node partial, full, empty;
	size_t in_use; /* objects handed out */
	size_t slabs;  /* slabs on the lists */
	/* Set at creation, read-only afterwards. */
	const char *name;
	size_t size;   /* usable bytes per object (the redzone starts here) */
	size_t stride; /* object, redzone and padding */
	size_t first;  /* offset of object 0 from the slab start */
	unsigned order, per_slab; /* a slab: 2^order pages, per_slab objects */
};

/* The cache whose objects are the other caches; laid out on first use. */
static struct slab_cache cache_cache = {
	.lock = SPINLOCK_INIT("slab_cache"),
	.name = "slab_cache",
	.partial = LIST_INIT(cache_cache.partial), .full = LIST_INIT(cache_cache.full),
	.empty = LIST_INIT(cache_cache.empty),
};

/* The offset of the first byte of p[0, n) that is not `byte`, or n. */
static size_t first_mismatch(const void *p, unsigned char byte, size_t n)
{
	const unsigned char *bytes = p;
	size_t k;

	for (k = 0; k < n && bytes[k] == byte; k++)
		;
	return k;
}

/*
 * The page-owner map: a radix tree over 48-bit addresses, 9 bits a level
 * like a page table, one word per 4 KiB page in the leaves. Nodes are pages
 * from the provider, never freed (a leaf covers 2 MiB). Lock-free: nodes are
 * published with compare-and-swap, a page's word written only by its owner.
 */
#define MAP_BITS   9
#define MAP_FANOUT (1u << MAP_BITS)
#define MAP_LEVELS 4

static uintptr_t owner_root[MAP_FANOUT];

static unsigned map_index(uintptr_t addr, unsigned level)
{
	return (addr >> (12 + MAP_BITS * (MAP_LEVELS - 1 - level))) & (MAP_FANOUT - 1);
}

/* The map word of addr's page; missing nodes are created if `create`, else
 * the result is NULL. */
static uintptr_t *owner_word(uintptr_t addr, bool create, const char *caller)
{
	uintptr_t *node = owner_root;

	for (unsigned level = 0; level < MAP_LEVELS - 1; level++) {
		uintptr_t *slot = &node[map_index(addr, level)];
		uintptr_t child = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

		if (!child) {
			if (!create)
				return NULL;
			void *fresh = slab_pages_alloc(0, caller);
			memset(fresh, 0, SLAB_PAGE_SIZE);
			if (__atomic_compare_exchange_n(slot, &child, (uintptr_t)fresh, false,
							__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
				child = (uintptr_t)fresh;
			else
				slab_pages_free(fresh, 0); /* lost the race; child is the winner's */
		}
		node = (uintptr_t *)child;
	}
	return &node[map_index(addr, MAP_LEVELS - 1)];
}

void slab_owner_set(const void *pages, size_t npages, uintptr_t owner, const char *caller)
{
	uintptr_t addr = (uintptr_t)pages;

	for (size_t i = 0; i < npages; i++, addr += SLAB_PAGE_SIZE) {
		uintptr_t *word = owner_word(addr, owner != 0, caller);

		if (word) /* clearing a page never recorded finds no leaf */
			__atomic_store_n(word, owner, __ATOMIC_RELEASE);
	}
}

uintptr_t slab_owner_get(const void *p)
{
	uintptr_t *word = owner_word((uintptr_t)p, false, NULL);

	return word ? __atomic_load_n(word, __ATOMIC_ACQUIRE) : 0;
}

/* The slab holding p's page, or NULL (slab headers are page-aligned, other
 * owners' values are not). */
static struct slab *slab_of(const void *p)
{
	uintptr_t owner = slab_owner_get(p);

	return owner && owner % SLAB_PAGE_SIZE == 0 ? (struct slab *)owner : NULL;
}

struct slab_cache *slab_cache_of(const void *p)
{
	struct slab *s = slab_of(p);

	return s ? s->cache : NULL;
}

/* The index of obj in s, or -1 if obj is not the start of one of its objects. */
static long object_index(const struct slab_cache *c, const struct slab *s, const void *obj)
{
	uintptr_t off = (uintptr_t)obj - (uintptr_t)s;

	if (off < c->first || (off - c->first) % c->stride)
		return -1;
	off = (off - c->first) / c->stride;
	return off < c->per_slab ? (long)off : -1;
}

static bool bit_test(const uint64_t *map, long i) { return map[i / 64] >> (i % 64) & 1; }
static void bit_flip(uint64_t *map, long i) { map[i / 64] ^= (uint64_t)1 << (i % 64); }

/* Gets a new slab for c from the provider (which panics when out), maps its
 * pages and links every object (poisoned, redzoned in debug builds) into
 * its free list. The slab is on no list yet. */
static struct slab *slab_create(struct slab_cache *c, const char *caller)
{
	struct slab *s = slab_pages_alloc(c->order, caller);
	void **link = &s->free;

	memset(s, 0, sizeof(*s));
	list_init(&s->link);
	s->cache = c;
	for (size_t i = 0; i < c->per_slab; i++) {
		char *obj = (char *)s + c->first + i * c->stride;

		if (SLAB_DEBUG) {
			memset(obj, POISON_FREE, c->size);
			memset(obj + c->size, POISON_REDZONE, c->stride - c->size);
		}
		*link = obj;
		link = (void **)obj;
	}
	*link = NULL;
	slab_owner_set(s, (size_t)1 << c->order, (uintptr_t)s, caller);
	return s;
}

/* Puts s on the list its fill level calls for. Returns NULL, or s if it is
 * an empty slab beyond the one kept: s is then on no list and the caller
 * must give it back after unlocking. */
static struct slab *slab_relist(struct slab_cache *c, struct slab *s)
{
	if (!spin_held(&c->lock))
		panic("slab_relist: cache %s is not locked", c->name);
	list_remove(&s->link);
	if (s->in_use == c->per_slab)
		list_push_front(&c->full, &s->link);
	else if (s->in_use > 0)
		list_push_front(&c->partial, &s->link);
	else if (list_empty(&c->empty))
		list_push_front(&c->empty, &s->link);
	else {
		c->slabs--;
		return s;
	}
	return NULL;
}

/* Debug, cache locked: panics, after unlocking, unless obj (the head of s's
 * free list) is a free object of s left untouched since it was freed. */
static void check_free_object(struct slab_cache *c, struct slab *s, void *obj)
{
	void *next = *(void **)obj;
	long i = next ? object_index(c, s, next) : 0;
	size_t bad = sizeof(void *) + first_mismatch((char *)obj + sizeof(void *), POISON_FREE,
						     c->size - sizeof(void *));

	if (next && (i < 0 || bit_test(s->handed_out, i))) {
		spin_unlock(&c->lock);
		panic("slab: use after free: free object %p in cache %s was overwritten (link %p)",
		      obj, c->name, next);
	}
	if (bad < c->size) {
		spin_unlock(&c->lock);
		panic("slab: use after free: object %p in cache %s was written at offset %zu after it was freed",
		      obj, c->name, bad);
	}
}

/* Debug, cache locked: panics, after unlocking, if object i (obj) of s is
 * not handed out or its redzone was overwritten. */
static void check_live_object(struct slab_cache *c, struct slab *s, long i, void *obj)
{
	size_t redzone = c->stride - c->size;

	if (!bit_test(s->handed_out, i)) {
		spin_unlock(&c->lock);
		panic("slab: double free of %p in cache %s", obj, c->name);
	}
	if (first_mismatch((char *)obj + c->size, POISON_REDZONE, redzone) < redzone) {
		spin_unlock(&c->lock);
		panic("slab: buffer overrun after object %p in cache %s", obj, c->name);
	}
}

void *slab_alloc_caller(struct slab_cache *c, const char *caller)
{
	struct slab *s;
	void *obj;

	spin_lock(&c->lock);
	while (list_empty(&c->partial) && list_empty(&c->empty)) {
		spin_unlock(&c->lock);
		s = slab_create(c, caller);
		spin_lock(&c->lock);
		list_push_front(&c->empty, &s->link);
		c->slabs++;
	}
	s = list_entry(list_first(list_empty(&c->partial) ? &c->empty : &c->partial),
		       struct slab, link);
	obj = s->free;
	if (SLAB_DEBUG) {
		check_free_object(c, s, obj);
		bit_flip(s->handed_out, object_index(c, s, obj));
	}
	s->free = *(void **)obj;
	s->in_use++;
	c->in_use++;
	slab_relist(c, s); /* returns NULL: s is not empty */
	spin_unlock(&c->lock);
	if (SLAB_DEBUG)
		memset(obj, POISON_FREE, sizeof(void *));
	return obj;
}

void slab_free(struct slab_cache *c, void *obj)
{
	struct slab *s = slab_of(obj);
	long i;

	if (!s)
		panic("slab: %p freed to cache %s is not a slab object", obj, c->name);
	if (s->cache != c)
		panic("slab: %p freed to cache %s belongs to cache %s", obj, c->name, s->cache->name);
	i = object_index(c, s, obj);
	if (i < 0)
		panic("slab: %p freed to cache %s is not the start of an object", obj, c->name);

	spin_lock(&c->lock);
	if (SLAB_DEBUG) {
		check_live_object(c, s, i, obj);
		bit_flip(s->handed_out, i);
		memset((char *)obj + sizeof(void *), POISON_FREE, c->size - sizeof(void *));
	}
	*(void **)obj = s->free;
	s->free = obj;
	s->in_use--;
	c->in_use--;
	s = slab_relist(c, s);
	spin_unlock(&c->lock);
	if (s) {
		slab_owner_set(s, (size_t)1 << c->order, 0, NULL);
		slab_pages_free(s, c->order);
	}
}

void slab_cache_stats(struct slab_cache *c, struct slab_stats *out)
{
	spin_lock(&c->lock);
	*out = (struct slab_stats){
		.name = c->name, .object_size = c->size, .objects_per_slab = c->per_slab,
		.pages_per_slab = (size_t)1 << c->order, .objects_in_use = c->in_use,
		.slabs = c->slabs, .pages = c->slabs << c->order,
	};
	spin_unlock(&c->lock);
}

/*
 * Fills in c's layout: the smallest slab order that wastes at most 1/8 of
 * the slab, else the least wasteful order. `align` is a power of two from 8
 * to 4096, size at most 64 KiB. Returns false if no slab fits one object.
 */
static bool cache_layout(struct slab_cache *c, size_t size, size_t align)
{
	size_t best_waste = 0, best_bytes = 1;

	c->per_slab = 0;
	c->size = size < sizeof(void *) ? sizeof(void *) : size;
	c->stride = align_up(c->size + (SLAB_DEBUG ? REDZONE_MIN : 0), align);
	c->first = align_up(sizeof(struct slab), align);
	for (unsigned order = 0; order <= SLAB_MAX_ORDER; order++) {
		size_t bytes = (size_t)SLAB_PAGE_SIZE << order, n, waste;

		if (c->first + c->stride > bytes)
			continue;
		n = (bytes - c->first) / c->stride;
		n = n > SLAB_MAX_OBJECTS ? SLAB_MAX_OBJECTS : n;
		waste = bytes - n * c->stride;
		if (!c->per_slab || waste * best_bytes < best_waste * bytes) {
			c->order = order;
			c->per_slab = (unsigned)n;
			best_waste = waste;
			best_bytes = bytes;
		}
		if (waste * 8 <= bytes)
			break;
	}
	return c->per_slab > 0;
}

struct slab_cache *slab_cache_create(const char *name, size_t size, size_t align)
{
	struct slab_cache layout = { 0 }, *c;
	size_t a = align < sizeof(void *) ? sizeof(void *) : align;

	if (!name || !size || size > ((size_t)SLAB_PAGE_SIZE << SLAB_MAX_ORDER) ||
	    (align & (align - 1)) || align > SLAB_PAGE_SIZE || !cache_layout(&layout, size, a))
		panic("slab_cache_create: no slab layout for %zu-byte objects aligned to %zu (cache %s)",
		      size, align, name ? name : "(null)");

	spin_lock(&cache_cache.lock);
	if (!cache_cache.per_slab)
		cache_layout(&cache_cache, sizeof(struct slab_cache), alignof(struct slab_cache));
	spin_unlock(&cache_cache.lock);

	c = slab_alloc_caller(&cache_cache, "slab_cache_create");
	*c = layout;
	c->lock = (struct spinlock)SPINLOCK_INIT(name);
	c->name = name;
	list_init(&c->partial);
	list_init(&c->full);
	list_init(&c->empty);
	return c;
}
