/* kmalloc: power-of-two size classes on slab caches, larger requests as page runs. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/string.h"
#include "mm/kmalloc.h"
#include "mm/slab.h"
#include "panic.h"
#include "sched/spinlock.h"

#ifdef KERNEL_DEBUG_HEAP
#define KMALLOC_DEBUG 1
#else
#define KMALLOC_DEBUG 0
#endif

#define KMALLOC_CLASSES 8    /* 16 << 0 ... 16 << 7 == KMALLOC_MAX_CACHED */
#define RUN_REDZONE     0xbb /* debug: the slack after a run's n bytes */

/*
 * A run's first page has owner word (n << 1) | 1 in the page-owner map, n
 * being the bytes asked for; odd, so never taken for a slab header. Runs
 * record only their first page: any other address in them is not a heap
 * pointer as far as kfree is concerned.
 */

static const char *const class_names[KMALLOC_CLASSES] = {
	"kmalloc-16",  "kmalloc-32",  "kmalloc-64",   "kmalloc-128",
	"kmalloc-256", "kmalloc-512", "kmalloc-1024", "kmalloc-2048",
};

/* Serializes creating the classes on first use; taken before the provider's locks. */
static struct spinlock classes_lock = SPINLOCK_INIT("kmalloc_classes");
static bool classes_ready; /* atomic; once set, classes[] is filled and read-only */
static struct slab_cache *classes[KMALLOC_CLASSES];

/* The size-class cache for n <= KMALLOC_MAX_CACHED bytes. */
static struct slab_cache *class_for(size_t n)
{
	unsigned i = n <= 16 ? 0 : 60 - (unsigned)__builtin_clzll(n - 1);

	if (!__atomic_load_n(&classes_ready, __ATOMIC_ACQUIRE)) {
		spin_lock(&classes_lock);
		if (!classes_ready) {
			for (unsigned k = 0; k < KMALLOC_CLASSES; k++)
				classes[k] = slab_cache_create(class_names[k], (size_t)16 << k,
							       KMALLOC_MIN_ALIGN);
			__atomic_store_n(&classes_ready, true, __ATOMIC_RELEASE);
		}
		spin_unlock(&classes_lock);
	}
	return classes[i];
}

/* Panics (as `who`) unless c, the cache holding p, is one of the classes. */
static void check_class(struct slab_cache *c, const void *p, const char *who)
{
	struct slab_stats st;

	if (__atomic_load_n(&classes_ready, __ATOMIC_ACQUIRE))
		for (unsigned k = 0; k < KMALLOC_CLASSES; k++)
			if (classes[k] == c)
				return;
	slab_cache_stats(c, &st);
	panic("%s: %p belongs to slab cache %s, not to kmalloc", who, p, st.name);
}

static unsigned run_order(size_t n)
{
	unsigned order = 0;

	while (((size_t)SLAB_PAGE_SIZE << order) < n)
		order++;
	return order;
}

/* The bytes asked for when the run starting at p was made, or 0 if no live
 * run starts at p. */
static size_t run_size(const void *p)
{
	uintptr_t owner;

	if ((uintptr_t)p % SLAB_PAGE_SIZE)
		return 0;
	owner = slab_owner_get(p);
	return owner & 1 ? owner >> 1 : 0;
}

static void *run_alloc(size_t n, const char *caller)
{
	unsigned order;
	char *p;

	if (n > KMALLOC_MAX_SIZE)
		panic("kmalloc: %s asked for %zu bytes, more than KMALLOC_MAX_SIZE (%zu)", caller, n,
		      KMALLOC_MAX_SIZE);
	order = run_order(n);
	p = slab_pages_alloc(order, caller);
	if (KMALLOC_DEBUG)
		memset(p + n, RUN_REDZONE, ((size_t)SLAB_PAGE_SIZE << order) - n);
	slab_owner_set(p, 1, (uintptr_t)n << 1 | 1, caller);
	return p;
}

static void run_free(void *p, size_t n)
{
	unsigned order = run_order(n);
	const unsigned char *slack = (const unsigned char *)p + n;

	for (size_t k = 0; KMALLOC_DEBUG && k < ((size_t)SLAB_PAGE_SIZE << order) - n; k++)
		if (slack[k] != RUN_REDZONE)
			panic("kfree: buffer overrun after %p (%zu bytes) at offset %zu", p, n, n + k);
	slab_owner_set(p, 1, 0, NULL);
	slab_pages_free(p, order);
}

void *kmalloc_caller(size_t n, const char *caller)
{
	if (n <= KMALLOC_MAX_CACHED)
		return slab_alloc_caller(class_for(n), caller);
	return run_alloc(n, caller);
}

void *kzalloc_caller(size_t n, const char *caller)
{
	void *p = kmalloc_caller(n, caller);

	memset(p, 0, n);
	return p;
}

void *kmalloc_array_caller(size_t count, size_t size, const char *caller)
{
	size_t n;

	if (__builtin_mul_overflow(count, size, &n))
		panic("kmalloc_array: %s asked for %zu * %zu bytes, which overflows", caller, count,
		      size);
	return kmalloc_caller(n, caller);
}

void *krealloc_caller(void *p, size_t n, const char *caller)
{
	size_t have;
	void *q;

	if (!p)
		return kmalloc_caller(n, caller);
	have = ksize(p);
	if (n <= have)
		return p;
	q = kmalloc_caller(n, caller);
	memcpy(q, p, have);
	kfree(p);
	return q;
}

void kfree(void *p)
{
	struct slab_cache *c;
	size_t n;

	if (!p)
		return;
	c = slab_cache_of(p);
	if (c) {
		check_class(c, p, "kfree");
		slab_free(c, p);
		return;
	}
	n = run_size(p);
	if (!n)
		panic("kfree: %p was not returned by kmalloc (or was already freed)", p);
	run_free(p, n);
}

size_t ksize(const void *p)
{
	struct slab_cache *c = slab_cache_of(p);
	struct slab_stats st;
	size_t n;

	if (c) {
		check_class(c, p, "ksize");
		slab_cache_stats(c, &st);
		return st.object_size;
	}
	n = run_size(p);
	if (!n)
		panic("ksize: %p was not returned by kmalloc", p);
	return n;
}
