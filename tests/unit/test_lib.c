/* Host unit tests of the small kernel libraries: lists, bitmaps, once-cells. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/bitmap.h"
#include "lib/list.h"
#include "lib/once.h"
#include "tests/unit/stubs_kernel.h"

/* Runs call, which must panic with a message starting with prefix. */
#define expect_panic(call, prefix)                                               \
	do {                                                                      \
		expect_assert_failure(call);                                      \
		assert_true(strncmp(stub_last_panic(), (prefix), strlen(prefix)) == 0); \
	} while (0)

/* ---------------------------------------------------------------- list */

struct item {
	int value;
	struct list_node node;
};

/* Checks head holds exactly values[0..n) in order, walking both directions. */
static void assert_list(struct list_node *head, const int *values, size_t n)
{
	struct item *it;
	size_t i = 0;

	list_for_each_entry(it, head, node) {
		assert_true(i < n);
		assert_int_equal(it->value, values[i]);
		i++;
	}
	assert_int_equal(i, n);
	for (struct list_node *p = head->prev; p != head; p = p->prev) {
		assert_true(i > 0);
		assert_int_equal(list_entry(p, struct item, node)->value, values[--i]);
	}
	assert_int_equal(i, 0);
	assert_int_equal(list_empty(head), n == 0);
}

static void test_list_empty(void **state)
{
	struct list_node head = LIST_INIT(head);
	struct list_node other;

	(void)state;
	assert_true(list_empty(&head));
	assert_null(list_first(&head));
	assert_list(&head, NULL, 0);
	list_init(&other);
	assert_true(list_empty(&other));
	assert_ptr_equal(other.next, &other);
	assert_ptr_equal(other.prev, &other);
}

static void test_list_push_pop(void **state)
{
	struct list_node head = LIST_INIT(head);
	struct item a = { .value = 1 }, b = { .value = 2 }, c = { .value = 3 };
	struct list_node *n;

	(void)state;
	list_push_back(&head, &b.node);
	list_push_front(&head, &a.node);
	list_push_back(&head, &c.node);
	assert_list(&head, (const int[]){ 1, 2, 3 }, 3);

	/* pop from the front: first + remove */
	n = list_first(&head);
	assert_ptr_equal(list_entry(n, struct item, node), &a);
	list_remove(n);
	assert_list(&head, (const int[]){ 2, 3 }, 2);
	n = list_first(&head);
	list_remove(n);
	n = list_first(&head);
	assert_ptr_equal(list_entry(n, struct item, node), &c);
	list_remove(n);
	assert_list(&head, NULL, 0);
	assert_null(list_first(&head));
}

static void test_list_remove(void **state)
{
	struct list_node head = LIST_INIT(head);
	struct item it[4] = { { .value = 0 }, { .value = 1 }, { .value = 2 }, { .value = 3 } };

	(void)state;
	for (int i = 0; i < 4; i++)
		list_push_back(&head, &it[i].node);
	list_remove(&it[2].node);                   /* middle */
	assert_list(&head, (const int[]){ 0, 1, 3 }, 3);
	assert_ptr_equal(it[2].node.next, &it[2].node); /* points at itself */
	list_remove(&it[2].node);                   /* a second remove is harmless */
	assert_list(&head, (const int[]){ 0, 1, 3 }, 3);
	list_remove(&it[3].node);                   /* last */
	list_remove(&it[0].node);                   /* first */
	assert_list(&head, (const int[]){ 1 }, 1);
	list_push_front(&head, &it[2].node);        /* a removed node can be reused */
	assert_list(&head, (const int[]){ 2, 1 }, 2);
}

static void test_list_safe_iteration_removing(void **state)
{
	struct list_node head = LIST_INIT(head), odd = LIST_INIT(odd);
	struct item it[7], *pos, *tmp;
	int visited = 0;

	(void)state;
	for (int i = 0; i < 7; i++) {
		it[i].value = i;
		list_push_back(&head, &it[i].node);
	}
	list_for_each_entry_safe(pos, tmp, &head, node) {
		visited++;
		if (pos->value % 2) {
			list_remove(&pos->node);
			list_push_back(&odd, &pos->node); /* moving it elsewhere is fine too */
		}
	}
	assert_int_equal(visited, 7);
	assert_list(&head, (const int[]){ 0, 2, 4, 6 }, 4);
	assert_list(&odd, (const int[]){ 1, 3, 5 }, 3);

	visited = 0;
	list_for_each_entry_safe(pos, tmp, &head, node) {
		list_remove(&pos->node);
		visited++;
	}
	assert_int_equal(visited, 4);
	assert_list(&head, NULL, 0);

	list_for_each_entry_safe(pos, tmp, &head, node)
		fail_msg("iterated over an empty list");
}

/* ---------------------------------------------------------------- bitmap */

#define MAP_BITS 200 /* four words, the last one partly used */

static uint64_t words[BITMAP_WORDS(MAP_BITS)];
static struct bitmap map;

static int setup_map(void **state)
{
	(void)state;
	memset(words, 0xa5, sizeof(words)); /* bitmap_init must clear this */
	bitmap_init(&map, words, MAP_BITS);
	return 0;
}

static void test_bitmap_init(void **state)
{
	static uint64_t static_words[BITMAP_WORDS(65)];
	struct bitmap s = BITMAP_INIT(static_words, 65);

	(void)state;
	assert_int_equal(BITMAP_WORDS(0), 0);
	assert_int_equal(BITMAP_WORDS(1), 1);
	assert_int_equal(BITMAP_WORDS(64), 1);
	assert_int_equal(BITMAP_WORDS(65), 2);
	assert_int_equal(sizeof(words), 4 * sizeof(uint64_t));
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(words[i], 0);
	assert_int_equal(bitmap_count(&map), 0);
	assert_int_equal(s.bits, 65);
	bitmap_set(&s, 64);
	assert_int_equal(static_words[1], 1);
}

static void test_bitmap_single_bits(void **state)
{
	static const size_t bits[] = { 0, 1, 62, 63, 64, 65, 127, 128, 191, 192, 199 };

	(void)state;
	for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		size_t b = bits[i];

		assert_false(bitmap_test(&map, b));
		bitmap_set(&map, b);
		assert_true(bitmap_test(&map, b));
		assert_int_equal(words[b / 64], 1ull << (b % 64)); /* the right word and bit */
		assert_int_equal(bitmap_count(&map), 1);
		bitmap_set(&map, b);                                /* idempotent */
		assert_int_equal(bitmap_count(&map), 1);
		if (b > 0)
			assert_false(bitmap_test(&map, b - 1));
		if (b + 1 < MAP_BITS)
			assert_false(bitmap_test(&map, b + 1));
		bitmap_clear(&map, b);
		assert_false(bitmap_test(&map, b));
		assert_int_equal(bitmap_count(&map), 0);
		bitmap_clear(&map, b);
		assert_int_equal(bitmap_count(&map), 0);
	}
}

/* Checks exactly bits [start, start + count) are set, bit by bit. */
static void assert_only_range(size_t start, size_t count)
{
	for (size_t b = 0; b < MAP_BITS; b++)
		assert_int_equal(bitmap_test(&map, b), b >= start && b < start + count);
	assert_int_equal(bitmap_count(&map), count);
}

static void test_bitmap_ranges(void **state)
{
	static const struct { size_t start, count; } ranges[] = {
		{ 0, 0 }, { 5, 0 }, { 200, 0 }, { 0, 1 }, { 0, 64 }, { 63, 1 }, { 63, 2 },
		{ 63, 3 }, { 64, 1 }, { 64, 64 }, { 1, 126 }, { 60, 70 }, { 10, 180 },
		{ 0, 200 }, { 199, 1 }, { 128, 72 }, { 65, 135 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		size_t start = ranges[i].start, count = ranges[i].count;

		bitmap_set_range(&map, start, count);
		assert_only_range(start, count);
		assert_int_equal(words[3] >> (MAP_BITS - 192), 0); /* the tail stays 0 */
		bitmap_clear_range(&map, start, count);
		assert_only_range(0, 0);

		/* clear_range inside a full map leaves the rest */
		bitmap_set_range(&map, 0, MAP_BITS);
		bitmap_clear_range(&map, start, count);
		assert_int_equal(bitmap_count(&map), MAP_BITS - count);
		for (size_t b = 0; b < MAP_BITS; b++)
			assert_int_equal(bitmap_test(&map, b), b < start || b >= start + count);
		bitmap_clear_range(&map, 0, MAP_BITS);
	}
}

static void test_bitmap_find(void **state)
{
	(void)state;
	/* empty map */
	assert_int_equal(bitmap_find_set(&map, 0), MAP_BITS);
	assert_int_equal(bitmap_find_set(&map, 150), MAP_BITS);
	assert_int_equal(bitmap_find_zero(&map, 0), 0);
	assert_int_equal(bitmap_find_zero(&map, 63), 63);
	assert_int_equal(bitmap_find_zero(&map, 64), 64);
	assert_int_equal(bitmap_find_zero(&map, 199), 199);
	assert_int_equal(bitmap_find_zero(&map, MAP_BITS), MAP_BITS);
	assert_int_equal(bitmap_find_set(&map, MAP_BITS), MAP_BITS);

	/* set bits around the word boundaries */
	bitmap_set(&map, 63);
	bitmap_set(&map, 64);
	bitmap_set(&map, 65);
	bitmap_set(&map, 199);
	assert_int_equal(bitmap_find_set(&map, 0), 63);
	assert_int_equal(bitmap_find_set(&map, 63), 63);
	assert_int_equal(bitmap_find_set(&map, 64), 64);
	assert_int_equal(bitmap_find_set(&map, 65), 65);
	assert_int_equal(bitmap_find_set(&map, 66), 199); /* skips two empty words */
	assert_int_equal(bitmap_find_set(&map, 199), 199);
	assert_int_equal(bitmap_find_zero(&map, 63), 66);
	assert_int_equal(bitmap_find_zero(&map, 62), 62);

	/* full map */
	bitmap_set_range(&map, 0, MAP_BITS);
	assert_int_equal(bitmap_find_zero(&map, 0), MAP_BITS); /* not a tail bit */
	assert_int_equal(bitmap_find_zero(&map, 198), MAP_BITS);
	assert_int_equal(bitmap_find_set(&map, 0), 0);
	assert_int_equal(bitmap_count(&map), MAP_BITS);
	bitmap_clear(&map, 64);
	bitmap_clear(&map, 191);
	bitmap_clear(&map, 192);
	assert_int_equal(bitmap_find_zero(&map, 0), 64);
	assert_int_equal(bitmap_find_zero(&map, 64), 64);
	assert_int_equal(bitmap_find_zero(&map, 65), 191);
	assert_int_equal(bitmap_find_zero(&map, 192), 192);
	assert_int_equal(bitmap_find_zero(&map, 193), MAP_BITS);
	assert_int_equal(bitmap_find_set(&map, 191), 193);

	/* the usual walk visits every set bit once */
	bitmap_clear_range(&map, 0, MAP_BITS);
	for (size_t b = 3; b < MAP_BITS; b += 7)
		bitmap_set(&map, b);
	size_t seen = 0;
	for (size_t b = bitmap_find_set(&map, 0); b < MAP_BITS; b = bitmap_find_set(&map, b + 1)) {
		assert_int_equal(b % 7, 3);
		seen++;
	}
	assert_int_equal(seen, bitmap_count(&map));
}

/* A word-sized map has no tail; a 65-bit one has a 63-bit tail. */
static void test_bitmap_exact_word_sizes(void **state)
{
	uint64_t w64[1], w65[2];
	struct bitmap m64, m65;

	(void)state;
	bitmap_init(&m64, w64, 64);
	bitmap_set_range(&m64, 0, 64);
	assert_int_equal(w64[0], UINT64_MAX);
	assert_int_equal(bitmap_find_zero(&m64, 0), 64);
	assert_int_equal(bitmap_count(&m64), 64);
	expect_panic(bitmap_set(&m64, 64), "bitmap_set: bit 64 outside a 64-bit map");

	bitmap_init(&m65, w65, 65);
	bitmap_set_range(&m65, 0, 65);
	assert_int_equal(w65[1], 1);
	assert_int_equal(bitmap_find_zero(&m65, 0), 65);
	assert_int_equal(bitmap_count(&m65), 65);
	bitmap_clear(&m65, 64);
	assert_int_equal(bitmap_find_zero(&m65, 0), 64);

	struct bitmap empty;
	bitmap_init(&empty, NULL, 0);
	assert_int_equal(bitmap_find_set(&empty, 0), 0);
	assert_int_equal(bitmap_find_zero(&empty, 0), 0);
	assert_int_equal(bitmap_count(&empty), 0);
	bitmap_set_range(&empty, 0, 0);
	expect_panic(bitmap_test(&empty, 0), "bitmap_test:");
}

static void test_bitmap_out_of_range_panics(void **state)
{
	(void)state;
	expect_panic(bitmap_test(&map, MAP_BITS), "bitmap_test: bit 200 outside a 200-bit map");
	expect_panic(bitmap_set(&map, MAP_BITS), "bitmap_set: bit 200");
	expect_panic(bitmap_clear(&map, SIZE_MAX), "bitmap_clear:");
	expect_panic(bitmap_set_range(&map, 199, 2), "bitmap_set_range: bits [199, +2)");
	expect_panic(bitmap_set_range(&map, 201, 0), "bitmap_set_range:");
	expect_panic(bitmap_set_range(&map, 1, SIZE_MAX), "bitmap_set_range:"); /* wraps */
	expect_panic(bitmap_clear_range(&map, 0, 201), "bitmap_clear_range:");
	expect_panic(bitmap_clear_range(&map, SIZE_MAX, 2), "bitmap_clear_range:");
	expect_panic(bitmap_find_set(&map, MAP_BITS + 1), "bitmap_find_set: start 201");
	expect_panic(bitmap_find_zero(&map, SIZE_MAX), "bitmap_find_zero:");
	assert_int_equal(bitmap_count(&map), 0); /* nothing was written */
}

/* ---------------------------------------------------------------- once */

struct config {
	int a, b;
};

static void test_once_set_get(void **state)
{
	ONCE_CELL(struct config) cell = ONCE_CELL_INIT("test-config");
	const struct config *c;

	(void)state;
	assert_false(once_done(&cell.once));
	once_set(&cell, ((struct config){ 4, 2 }));
	assert_true(once_done(&cell.once));
	c = once_get(&cell);
	assert_int_equal(c->a, 4);
	assert_int_equal(c->b, 2);
	assert_ptr_equal(once_get(&cell), c); /* the same storage every time */
}

static void test_once_begin_end(void **state)
{
	struct once o = ONCE_INIT("in-place");
	int data[3] = { 0 };

	(void)state;
	once_begin(&o);
	assert_false(once_done(&o));
	expect_panic(once_check(&o), "once_check: in-place read before it was initialised");
	for (int i = 0; i < 3; i++)
		data[i] = i + 1;
	once_end(&o);
	once_check(&o);
	assert_int_equal(data[2], 3);
}

static void test_once_double_init_panics(void **state)
{
	ONCE_CELL(int) cell = ONCE_CELL_INIT("answer");
	struct once running = ONCE_INIT("running");

	(void)state;
	once_set(&cell, 42);
	expect_panic(once_set(&cell, 43), "once_begin: answer initialised a second time");
	assert_int_equal(*once_get(&cell), 42); /* the first value stays */

	once_begin(&running); /* re-entered while running */
	expect_panic(once_begin(&running), "once_begin: running initialised a second time");
	once_end(&running);
	expect_panic(once_end(&running), "once_end: running was not being initialised");
}

static void test_once_read_before_init_panics(void **state)
{
	ONCE_CELL(int) cell = ONCE_CELL_INIT("early");
	struct once never = ONCE_INIT("never");

	(void)state;
	expect_panic((void)once_get(&cell), "once_check: early read before it was initialised");
	expect_panic(once_check(&never), "once_check: never read before");
	expect_panic(once_end(&never), "once_end: never was not being initialised");
	assert_false(once_done(&never));
	once_set(&cell, 7); /* a failed read does not block the initialisation */
	assert_int_equal(*once_get(&cell), 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_empty),
		cmocka_unit_test(test_list_push_pop),
		cmocka_unit_test(test_list_remove),
		cmocka_unit_test(test_list_safe_iteration_removing),
		cmocka_unit_test_setup(test_bitmap_init, setup_map),
		cmocka_unit_test_setup(test_bitmap_single_bits, setup_map),
		cmocka_unit_test_setup(test_bitmap_ranges, setup_map),
		cmocka_unit_test_setup(test_bitmap_find, setup_map),
		cmocka_unit_test(test_bitmap_exact_word_sizes),
		cmocka_unit_test_setup(test_bitmap_out_of_range_panics, setup_map),
		cmocka_unit_test(test_once_set_get),
		cmocka_unit_test(test_once_begin_end),
		cmocka_unit_test(test_once_double_init_panics),
		cmocka_unit_test(test_once_read_before_init_panics),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
