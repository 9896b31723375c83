/* Host unit tests for the slab caches and kmalloc, including the debug-heap detections. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mm/kmalloc.h"
#include "mm/slab.h"

/* Defined in stubs_heap.c. */
extern jmp_buf *heap_test_panic_jmp;
extern char heap_test_panic_msg[512];
extern long heap_test_page_budget;
extern size_t heap_test_page_allocs;
extern size_t heap_test_page_frees;
extern void *heap_test_last_freed;
extern unsigned heap_test_last_freed_order;

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Runs `statement`, which must panic with a message containing `substring`
 * (the stub panic longjmps back here). The heap code unlocks before its
 * panics, so the caches stay usable afterwards.
 */
#define EXPECT_PANIC(substring, statement)                                           \
	do {                                                                         \
		jmp_buf jump_;                                                       \
		heap_test_panic_msg[0] = '\0';                                       \
		heap_test_panic_jmp = &jump_;                                        \
		if (setjmp(jump_) == 0) {                                            \
			statement;                                                   \
			heap_test_panic_jmp = NULL;                                  \
			fail_msg("%s:%d: no panic, wanted one saying \"%s\"",        \
				 __FILE__, __LINE__, substring);                     \
		}                                                                    \
		if (!strstr(heap_test_panic_msg, substring))                         \
			fail_msg("%s:%d: panic \"%s\" does not say \"%s\"", __FILE__, \
				 __LINE__, heap_test_panic_msg, substring);          \
	} while (0)

#define ASSERT_PANIC_SAID(substring) assert_non_null(strstr(heap_test_panic_msg, substring))

/* Debug-heap detections are only checked in builds that have them. */
static void require_debug_heap(void)
{
#ifndef KERNEL_DEBUG_HEAP
	skip();
#endif
}

/* Blocks the tests abandon on purpose, kept reachable for LeakSanitizer. */
static void *abandoned[16];
static size_t abandoned_count;

static void abandon(void *p)
{
	assert_true(abandoned_count < ARRAY_LEN(abandoned));
	abandoned[abandoned_count++] = p;
}

static unsigned char pattern_byte(uint32_t seed, size_t k)
{
	return (unsigned char)(seed * 31u + k * 7u + (k >> 8));
}

static void fill_pattern(void *p, size_t n, uint32_t seed)
{
	for (size_t k = 0; k < n; k++)
		((unsigned char *)p)[k] = pattern_byte(seed, k);
}

static bool pattern_intact(const void *p, size_t n, uint32_t seed)
{
	for (size_t k = 0; k < n; k++)
		if (((const unsigned char *)p)[k] != pattern_byte(seed, k))
			return false;
	return true;
}

/* The size class kmalloc(n) must use, for n <= KMALLOC_MAX_CACHED. */
static size_t class_size(size_t n)
{
	size_t c = 16;

	while (c < n)
		c *= 2;
	return c;
}

static int compare_pointers(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)*(void *const *)a, y = (uintptr_t)*(void *const *)b;

	return (x > y) - (x < y);
}

/* Deterministic pseudo-random numbers (xorshift32). */
static uint32_t rng_state = 2463534242u;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* ------------------------------------------------------------ kmalloc */

static void test_kmalloc_every_size_class(void **state)
{
	(void)state;
	for (size_t n = 0; n <= KMALLOC_MAX_CACHED; n++) {
		void *p = kmalloc(n);

		assert_non_null(p);
		assert_int_equal(ksize(p), class_size(n));
		fill_pattern(p, n, (uint32_t)n);
		assert_true(pattern_intact(p, n, (uint32_t)n));
		kfree(p);
	}
}

static void test_kmalloc_class_objects_coexist(void **state)
{
	void *p[8][40];

	(void)state;
	for (size_t c = 0; c < 8; c++)
		for (size_t i = 0; i < 40; i++) {
			p[c][i] = kmalloc((size_t)16 << c);
			fill_pattern(p[c][i], (size_t)16 << c, (uint32_t)(c * 100 + i));
		}
	for (size_t c = 0; c < 8; c++)
		for (size_t i = 0; i < 40; i++) {
			assert_true(pattern_intact(p[c][i], (size_t)16 << c, (uint32_t)(c * 100 + i)));
			kfree(p[c][i]);
		}
}

static void test_kmalloc_zero_is_unique_and_freeable(void **state)
{
	void *a = kmalloc(0), *b = kmalloc(0);

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	kfree(a);
	kfree(b);
	kfree(NULL);
}

static void test_kmalloc_alignment(void **state)
{
	static const size_t sizes[] = { 1, 7, 16, 24, 100, 1000, 2048, 2049, 4096, 70000 };

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(sizes); i++) {
		void *p = kmalloc(sizes[i]);

		assert_int_equal((uintptr_t)p % KMALLOC_MIN_ALIGN, 0);
		if (sizes[i] > KMALLOC_MAX_CACHED)
			assert_int_equal((uintptr_t)p % SLAB_PAGE_SIZE, 0);
		kfree(p);
	}
}

static void test_kzalloc_zeroes(void **state)
{
	static const size_t sizes[] = { 1, 16, 100, 512, 2048, 5000, 40000 };

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(sizes); i++) {
		unsigned char *dirty = kmalloc(sizes[i]), *p;

		memset(dirty, 0xff, sizes[i]);
		kfree(dirty);
		p = kzalloc(sizes[i]);
		for (size_t k = 0; k < sizes[i]; k++)
			assert_int_equal(p[k], 0);
		kfree(p);
	}
}

static void test_kmalloc_big_allocations_use_page_runs(void **state)
{
	static const size_t sizes[] = { 2049, 4095, 4096, 4097, 8192, 100000, KMALLOC_MAX_SIZE };

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(sizes); i++) {
		size_t frees = heap_test_page_frees;
		unsigned order = 0;
		char *p = kmalloc(sizes[i]);

		while (((size_t)SLAB_PAGE_SIZE << order) < sizes[i])
			order++;
		assert_int_equal((uintptr_t)p % SLAB_PAGE_SIZE, 0);
		assert_int_equal(ksize(p), sizes[i]);
		memset(p, 0x77, sizes[i]);
		kfree(p);
		assert_int_equal(heap_test_page_frees, frees + 1);
		assert_ptr_equal(heap_test_last_freed, p);
		assert_int_equal(heap_test_last_freed_order, order);
	}
}

static void test_krealloc_keeps_contents(void **state)
{
	char *p = krealloc(NULL, 10), *q;

	(void)state;
	fill_pattern(p, 10, 5);
	q = krealloc(p, 12); /* same 16-byte class */
	assert_ptr_equal(q, p);
	q = krealloc(p, 100);
	assert_true(pattern_intact(q, 10, 5));
	fill_pattern(q, 100, 6);
	p = krealloc(q, 9000);
	assert_true(pattern_intact(p, 100, 6));
	assert_ptr_equal(krealloc(p, 5), p);
	assert_ptr_equal(krealloc(p, 0), p);
	kfree(p);
}

static void test_oversized_requests_panic(void **state)
{
	(void)state;
	EXPECT_PANIC("KMALLOC_MAX_SIZE", (void)kmalloc(SIZE_MAX));
	ASSERT_PANIC_SAID(__func__);
	EXPECT_PANIC("KMALLOC_MAX_SIZE", (void)kzalloc(KMALLOC_MAX_SIZE + 1));
	EXPECT_PANIC("overflows", (void)kmalloc_array(SIZE_MAX / 2, 3));
	ASSERT_PANIC_SAID(__func__);
	EXPECT_PANIC("KMALLOC_MAX_SIZE", (void)krealloc(kmalloc(8), SIZE_MAX - 4));
}

/* Random sizes and frees: every block keeps its pattern until freed. */
static void test_stress_random_sizes(void **state)
{
	enum { SLOTS = 1024, OPS = 50000 };
	static void *slot[SLOTS];
	static size_t size[SLOTS];
	static uint32_t seed[SLOTS];

	(void)state;
	for (uint32_t op = 0; op < OPS; op++) {
		uint32_t i = rng() % SLOTS, r = rng();

		if (slot[i]) {
			assert_true(pattern_intact(slot[i], size[i], seed[i]));
			kfree(slot[i]);
			slot[i] = NULL;
			continue;
		}
		size[i] = r % 20 == 0 ? rng() % 20000 : rng() % (KMALLOC_MAX_CACHED + 1);
		seed[i] = op;
		slot[i] = r % 7 == 0 ? kzalloc(size[i]) : kmalloc(size[i]);
		assert_true(ksize(slot[i]) >= size[i]);
		fill_pattern(slot[i], size[i], seed[i]);
	}
	for (size_t i = 0; i < SLOTS; i++) {
		if (!slot[i])
			continue;
		assert_true(pattern_intact(slot[i], size[i], seed[i]));
		kfree(slot[i]);
		slot[i] = NULL;
	}
}

/* --------------------------------------------------------------- slabs */

static void test_slab_alloc_free_with_patterns(void **state)
{
	struct slab_cache *c = slab_cache_create("test-basic", 40, 8);
	struct slab_stats st;
	static void *objs[1000];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(objs); i++) {
		objs[i] = slab_alloc(c);
		fill_pattern(objs[i], 40, (uint32_t)i);
	}
	slab_cache_stats(c, &st);
	assert_int_equal(st.objects_in_use, ARRAY_LEN(objs));
	for (size_t i = 0; i < ARRAY_LEN(objs); i++) {
		assert_true(pattern_intact(objs[i], 40, (uint32_t)i));
		slab_free(c, objs[i]);
	}
	slab_cache_stats(c, &st);
	assert_int_equal(st.objects_in_use, 0);
}

static void test_slab_alignment(void **state)
{
	static const size_t aligns[] = { 0, 1, 8, 16, 64, 256, 4096 };
	static const size_t sizes[] = { 1, 24, 100, 3000 };

	(void)state;
	for (size_t a = 0; a < ARRAY_LEN(aligns); a++)
		for (size_t s = 0; s < ARRAY_LEN(sizes); s++) {
			struct slab_cache *c = slab_cache_create("test-align", sizes[s], aligns[a]);
			size_t want = aligns[a] < 8 ? 8 : aligns[a];
			void *p[20];

			for (size_t i = 0; i < ARRAY_LEN(p); i++) {
				p[i] = slab_alloc(c);
				assert_int_equal((uintptr_t)p[i] % want, 0);
				memset(p[i], 0x11, sizes[s]);
			}
			for (size_t i = 0; i < ARRAY_LEN(p); i++)
				slab_free(c, p[i]);
		}
}

static void test_slab_objects_never_overlap(void **state)
{
	static const size_t sizes[] = { 8, 48, 200, 1500, 5000 };
	static void *p[2000];

	(void)state;
	for (size_t s = 0; s < ARRAY_LEN(sizes); s++) {
		struct slab_cache *c = slab_cache_create("test-overlap", sizes[s], 8);

		for (size_t i = 0; i < ARRAY_LEN(p); i++)
			p[i] = slab_alloc(c);
		qsort(p, ARRAY_LEN(p), sizeof(p[0]), compare_pointers);
		for (size_t i = 0; i + 1 < ARRAY_LEN(p); i++)
			assert_true((uintptr_t)p[i] + sizes[s] <= (uintptr_t)p[i + 1]);
		for (size_t i = 0; i < ARRAY_LEN(p); i++)
			slab_free(c, p[i]);
	}
}

static void test_slab_stats(void **state)
{
	struct slab_cache *c = slab_cache_create("test-stats", 100, 8);
	struct slab_stats st;
	void *first, **objs;
	size_t n;

	(void)state;
	slab_cache_stats(c, &st);
	assert_string_equal(st.name, "test-stats");
	assert_int_equal(st.object_size, 100);
	assert_int_equal(st.slabs, 0);
	assert_int_equal(st.pages, 0);
	assert_true(st.objects_per_slab >= 8);

	n = st.objects_per_slab + 1;
	objs = calloc(n, sizeof(*objs));
	first = slab_alloc(c);
	slab_cache_stats(c, &st);
	assert_int_equal(st.slabs, 1);
	assert_int_equal(st.objects_in_use, 1);
	slab_free(c, first);
	for (size_t i = 0; i < n; i++)
		objs[i] = slab_alloc(c);
	slab_cache_stats(c, &st);
	assert_int_equal(st.objects_in_use, n);
	assert_int_equal(st.slabs, 2);
	assert_int_equal(st.pages, 2 * st.pages_per_slab);
	for (size_t i = 0; i < n; i++)
		slab_free(c, objs[i]);
	free(objs);
}

static void test_empty_slabs_beyond_one_go_back(void **state)
{
	struct slab_cache *c = slab_cache_create("test-reclaim", 256, 8);
	struct slab_stats st;
	size_t n, frees, allocs;
	void **objs;

	(void)state;
	slab_cache_stats(c, &st);
	n = 10 * st.objects_per_slab;
	objs = calloc(n, sizeof(*objs));
	for (size_t i = 0; i < n; i++)
		objs[i] = slab_alloc(c);
	slab_cache_stats(c, &st);
	assert_int_equal(st.slabs, 10);

	frees = heap_test_page_frees;
	for (size_t i = 0; i < n; i++)
		slab_free(c, objs[i]);
	slab_cache_stats(c, &st);
	assert_int_equal(heap_test_page_frees - frees, 9);
	assert_int_equal(st.slabs, 1);
	assert_int_equal(st.pages, st.pages_per_slab);
	assert_int_equal(st.objects_in_use, 0);

	allocs = heap_test_page_allocs; /* the kept slab serves the next ones */
	for (size_t i = 0; i < st.objects_per_slab; i++)
		objs[i] = slab_alloc(c);
	assert_int_equal(heap_test_page_allocs, allocs);
	for (size_t i = 0; i < st.objects_per_slab; i++)
		slab_free(c, objs[i]);
	free(objs);
}

static void test_many_caches(void **state)
{
	static char names[300][16];

	(void)state;
	for (size_t i = 0; i < ARRAY_LEN(names); i++) {
		struct slab_cache *c;
		void *p;

		snprintf(names[i], sizeof(names[i]), "many-%zu", i);
		c = slab_cache_create(names[i], 8 + i, 8);
		p = slab_alloc(c);
		memset(p, 0x22, 8 + i);
		slab_free(c, p);
	}
}

static void test_cache_create_rejects_bad_arguments(void **state)
{
	(void)state;
	EXPECT_PANIC("slab_cache_create", (void)slab_cache_create("bad", 0, 8));
	EXPECT_PANIC("slab_cache_create", (void)slab_cache_create("bad", 64, 24));
	EXPECT_PANIC("slab_cache_create", (void)slab_cache_create("bad", 64, 8192));
	EXPECT_PANIC("slab_cache_create", (void)slab_cache_create("bad", 1 << 20, 8));
	EXPECT_PANIC("slab_cache_create", (void)slab_cache_create("bad", SIZE_MAX, 8));
}

/* -------------------------------------------------- misuse detections */

static void test_double_free_detected(void **state)
{
	struct slab_cache *c;
	void *p, *q;

	(void)state;
	require_debug_heap();
	c = slab_cache_create("test-double", 64, 8);
	p = slab_alloc(c);
	slab_free(c, p);
	EXPECT_PANIC("slab: double free of", slab_free(c, p));
	ASSERT_PANIC_SAID("test-double");

	q = kmalloc(100);
	kfree(q);
	EXPECT_PANIC("double free", kfree(q));
	ASSERT_PANIC_SAID("kmalloc-128");
}

static void test_overrun_by_one_byte_detected(void **state)
{
	struct slab_cache *c;
	char *p, *q, *r;

	(void)state;
	require_debug_heap();
	c = slab_cache_create("test-overrun", 40, 8);
	p = slab_alloc(c);
	q = kmalloc(32);
	r = kmalloc(5000);
	p[40] = 0;
	EXPECT_PANIC("slab: buffer overrun after object", slab_free(c, p));
	ASSERT_PANIC_SAID("test-overrun");
	q[32] = 0;
	EXPECT_PANIC("slab: buffer overrun after object", kfree(q));
	ASSERT_PANIC_SAID("kmalloc-32");
	r[5000] = 0; /* past the request, inside the run's last page */
	EXPECT_PANIC("buffer overrun after", kfree(r));
	abandon(r);
}

static void test_use_after_free_write_detected(void **state)
{
	struct slab_cache *c;
	char *p;

	(void)state;
	require_debug_heap();
	c = slab_cache_create("test-uaf", 64, 8);
	p = slab_alloc(c);
	slab_free(c, p);
	p[20] = 1;
	EXPECT_PANIC("use after free", (void)slab_alloc(c));
	ASSERT_PANIC_SAID("test-uaf");
}

static void test_use_after_free_link_write_detected(void **state)
{
	struct slab_cache *c;
	char *p;

	(void)state;
	require_debug_heap();
	c = slab_cache_create("test-uaf-link", 64, 8);
	p = slab_alloc(c);
	slab_free(c, p);
	memset(p, 0x41, 8);
	EXPECT_PANIC("use after free", (void)slab_alloc(c));
	ASSERT_PANIC_SAID("test-uaf-link");
}

static void test_fresh_objects_are_poisoned(void **state)
{
	unsigned char *p;

	(void)state;
	require_debug_heap();
	p = kmalloc(64);
	for (size_t k = 0; k < 64; k++)
		assert_int_equal(p[k], 0x6b);
	kfree(p);
}

static void test_kfree_foreign_pointers_detected(void **state)
{
	int on_stack = 0;
	static int in_data;
	void *from_libc = malloc(64);

	(void)state;
	EXPECT_PANIC("not returned by kmalloc", kfree(&on_stack));
	EXPECT_PANIC("not returned by kmalloc", kfree(&in_data));
	EXPECT_PANIC("not returned by kmalloc", kfree(from_libc));
	free(from_libc);
}

static void test_kfree_interior_pointers_detected(void **state)
{
	char *p = kmalloc(64), *r = kmalloc(10000);

	(void)state;
	EXPECT_PANIC("not the start of an object", kfree(p + 8));
	EXPECT_PANIC("not the start of an object", kfree(p - 16));
	EXPECT_PANIC("not returned by kmalloc", kfree(r + 16));
	EXPECT_PANIC("not returned by kmalloc", kfree(r + SLAB_PAGE_SIZE));
	kfree(p);
	kfree(r);
	EXPECT_PANIC("not returned by kmalloc", kfree(r)); /* a run freed twice */
}

static void test_wrong_cache_detected(void **state)
{
	struct slab_cache *a = slab_cache_create("test-a", 32, 8);
	struct slab_cache *b = slab_cache_create("test-b", 32, 8);
	void *p = slab_alloc(a);
	int on_stack;

	(void)state;
	EXPECT_PANIC("belongs to cache test-a", slab_free(b, p));
	EXPECT_PANIC("not to kmalloc", kfree(p));
	EXPECT_PANIC("is not a slab object", slab_free(a, &on_stack));
	slab_free(a, p);
}

/* ------------------------------------------------------------ exhaustion */

static void test_exhaustion_in_slab_alloc_names_caller(void **state)
{
	struct slab_cache *c = slab_cache_create("test-oom", 64, 8);

	(void)state;
	heap_test_page_budget = 0;
	EXPECT_PANIC("out of memory", (void)slab_alloc(c));
	heap_test_page_budget = -1;
	ASSERT_PANIC_SAID("test_exhaustion_in_slab_alloc_names_caller");
	slab_free(c, slab_alloc(c)); /* the cache still works */
}

static void test_exhaustion_in_kmalloc_run_names_caller(void **state)
{
	(void)state;
	heap_test_page_budget = 0;
	EXPECT_PANIC("out of memory allocating 131072 bytes", (void)kmalloc(100000));
	heap_test_page_budget = -1;
	ASSERT_PANIC_SAID("test_exhaustion_in_kmalloc_run_names_caller");
}

static void *class_hog[4096];
static volatile size_t class_hog_count;

static void test_exhaustion_in_kmalloc_class_names_caller(void **state)
{
	(void)state;
	class_hog_count = 0;
	heap_test_page_budget = 0;
	EXPECT_PANIC("out of memory", while (class_hog_count < ARRAY_LEN(class_hog)) {
		void *p = kmalloc(1500);
		class_hog[class_hog_count] = p;
		class_hog_count++;
	});
	heap_test_page_budget = -1;
	ASSERT_PANIC_SAID("test_exhaustion_in_kmalloc_class_names_caller");
	for (size_t i = 0; i < class_hog_count; i++)
		kfree(class_hog[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kmalloc_every_size_class),
		cmocka_unit_test(test_kmalloc_class_objects_coexist),
		cmocka_unit_test(test_kmalloc_zero_is_unique_and_freeable),
		cmocka_unit_test(test_kmalloc_alignment),
		cmocka_unit_test(test_kzalloc_zeroes),
		cmocka_unit_test(test_kmalloc_big_allocations_use_page_runs),
		cmocka_unit_test(test_krealloc_keeps_contents),
		cmocka_unit_test(test_oversized_requests_panic),
		cmocka_unit_test(test_stress_random_sizes),
		cmocka_unit_test(test_slab_alloc_free_with_patterns),
		cmocka_unit_test(test_slab_alignment),
		cmocka_unit_test(test_slab_objects_never_overlap),
		cmocka_unit_test(test_slab_stats),
		cmocka_unit_test(test_empty_slabs_beyond_one_go_back),
		cmocka_unit_test(test_many_caches),
		cmocka_unit_test(test_cache_create_rejects_bad_arguments),
		cmocka_unit_test(test_double_free_detected),
		cmocka_unit_test(test_overrun_by_one_byte_detected),
		cmocka_unit_test(test_use_after_free_write_detected),
		cmocka_unit_test(test_use_after_free_link_write_detected),
		cmocka_unit_test(test_fresh_objects_are_poisoned),
		cmocka_unit_test(test_kfree_foreign_pointers_detected),
		cmocka_unit_test(test_kfree_interior_pointers_detected),
		cmocka_unit_test(test_wrong_cache_detected),
		cmocka_unit_test(test_exhaustion_in_slab_alloc_names_caller),
		cmocka_unit_test(test_exhaustion_in_kmalloc_run_names_caller),
		cmocka_unit_test(test_exhaustion_in_kmalloc_class_names_caller),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
