/* Host unit tests of the address-space region map: lookups, gaps, range ops, fork, a model-checked stress run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/errno.h"
#include "mm/vmregion.h"
#include "tests/unit/stubs_kernel.h"

#define PAGE 4096ull
#define BASE 0x10000ull
#define P(n) (BASE + (uint64_t)(n) * PAGE) /* address of page n of the test area */
#define RW (VMR_READ | VMR_WRITE)
#define RX (VMR_READ | VMR_EXEC)

/* ------------------------------------------------ counted allocations */

static long live_structs;   /* region structs allocated and not yet freed */
static long allocs_left;    /* region_alloc fails when this reaches 0; < 0: never */

struct fake_file {
	long refs;
};
static struct fake_file file_a, file_b;

static struct vm_region *region_alloc(void *ctx)
{
	struct vm_region *region;

	if (allocs_left == 0)
		return NULL;
	if (allocs_left > 0)
		allocs_left--;
	region = malloc(sizeof(*region));
	assert_non_null(region);
	memset(region, 0xa5, sizeof(*region)); /* contents undefined */
	live_structs++;
	return region;
}

static void region_free(struct vm_region *region)
{
	assert_true(live_structs > 0);
	live_structs--;
	free(region);
}

static void test_file_get(void *file)
{
	((struct fake_file *)file)->refs++;
}

static void test_file_put(void *file)
{
	struct fake_file *f = file;

	assert_true(f->refs > 1); /* the test itself always keeps one */
	f->refs--;
}

static const struct vmr_ops test_ops = {
	.free_region = region_free,
	.file_get = test_file_get,
	.file_put = test_file_put,
};

static struct vm_map map;

static int setup(void **state)
{
	live_structs = 0;
	allocs_left = -1;
	file_a.refs = file_b.refs = 1;
	vmr_init(&map, &test_ops);
	return 0;
}

/* Every test ends with a consistent map, and destroying it balances everything. */
static int teardown(void **state)
{
	assert_true(vmr_check(&map));
	vmr_destroy(&map, NULL, NULL);
	assert_int_equal(map.count, 0);
	assert_null(vmr_first(&map));
	assert_int_equal(live_structs, 0);
	assert_int_equal(file_a.refs, 1);
	assert_int_equal(file_b.refs, 1);
	return 0;
}

/* Inserts a new region; a file reference is taken for it, as the kernel would. */
static int try_add(uint64_t start, uint64_t end, uint32_t prot, uint32_t flags,
		   struct fake_file *file, uint64_t offset, struct vm_region **out)
{
	struct vm_region *region = region_alloc(NULL);
	int err;

	*region = (struct vm_region){ .start = start, .end = end, .prot = prot, .flags = flags,
				      .file = file, .file_offset = offset };
	if (file)
		file->refs++;
	err = vmr_insert(&map, region);
	if (err) {
		if (file)
			file->refs--;
		region_free(region);
	} else if (out) {
		*out = region;
	}
	return err;
}

static struct vm_region *add(uint64_t start, uint64_t end, uint32_t prot, uint32_t flags)
{
	struct vm_region *region = NULL;

	assert_int_equal(try_add(start, end, prot, flags, NULL, 0, &region), 0);
	return region;
}

static struct vm_region *add_file(uint64_t start, uint64_t end, uint32_t prot, uint32_t flags,
				  struct fake_file *file, uint64_t offset)
{
	struct vm_region *region = NULL;

	assert_int_equal(try_add(start, end, prot, flags, file, offset, &region), 0);
	return region;
}

/* Pieces handed to the unmap/destroy callback. */
#define MAX_PIECES 64
static struct vm_region pieces[MAX_PIECES];
static int piece_count;

static void record_piece(void *ctx, const struct vm_region *piece)
{
	assert_true(piece_count < MAX_PIECES);
	pieces[piece_count++] = *piece;
}

/* munmap as the kernel does it; returns the number of spares prepare asked for. */
static unsigned unmap(uint64_t start, uint64_t end)
{
	struct vmr_reserve reserve;

	piece_count = 0;
	assert_int_equal(vmr_unmap_prepare(&map, start, end, &reserve), 0);
	assert_int_equal(vmr_reserve_fill(&map, &reserve, region_alloc, NULL), 0);
	vmr_unmap_commit(&map, start, end, &reserve, record_piece, NULL);
	assert_true(vmr_check(&map));
	return reserve.needed;
}

/* mprotect as the kernel does it; returns the prepare error or 0, spares in *needed. */
static int protect(uint64_t start, uint64_t end, uint32_t prot, unsigned *needed)
{
	struct vmr_reserve reserve;
	int err;

	err = vmr_protect_prepare(&map, start, end, prot, &reserve);
	if (err)
		return err;
	if (needed)
		*needed = reserve.needed;
	err = vmr_reserve_fill(&map, &reserve, region_alloc, NULL);
	if (err)
		return err;
	vmr_protect_commit(&map, start, end, prot, &reserve);
	assert_true(vmr_check(&map));
	return 0;
}

static void expect_region(const struct vm_region *region, uint64_t start, uint64_t end,
			  uint32_t prot)
{
	assert_non_null(region);
	assert_int_equal(region->start, start);
	assert_int_equal(region->end, end);
	assert_int_equal(region->prot, prot);
}

/* ------------------------------------------------ insert, find, iterate */

static void test_empty_map(void **state)
{
	uint64_t out;

	assert_true(vmr_check(&map));
	assert_null(vmr_first(&map));
	assert_null(vmr_last(&map));
	assert_null(vmr_find(&map, P(0)));
	assert_null(vmr_first_ending_after(&map, 0));
	assert_int_equal(vmr_find_gap(&map, PAGE, P(0), P(4), PAGE, false, &out), 0);
	assert_int_equal(out, P(0));
}

static void test_insert_and_find(void **state)
{
	struct vm_region *a = add(P(0), P(2), VMR_READ, VMR_ANON);
	struct vm_region *b = add(P(4), P(5), RW, VMR_ANON);
	struct vm_region *c = add(P(8), P(16), RX, VMR_ANON);

	assert_int_equal(map.count, 3);
	assert_ptr_equal(vmr_find(&map, P(0)), a);
	assert_ptr_equal(vmr_find(&map, P(2) - 1), a);
	assert_null(vmr_find(&map, P(2)));
	assert_null(vmr_find(&map, P(0) - 1));
	assert_ptr_equal(vmr_find(&map, P(4) + 123), b);
	assert_null(vmr_find(&map, P(5)));
	assert_ptr_equal(vmr_find(&map, P(15)), c);
	assert_null(vmr_find(&map, P(16)));
	assert_null(vmr_find(&map, UINT64_MAX));

	assert_ptr_equal(vmr_first_ending_after(&map, 0), a);
	assert_ptr_equal(vmr_first_ending_after(&map, P(1)), a);
	assert_ptr_equal(vmr_first_ending_after(&map, P(2)), b);
	assert_ptr_equal(vmr_first_ending_after(&map, P(6)), c);
	assert_null(vmr_first_ending_after(&map, P(16)));
}

static void test_insert_overlap_refused(void **state)
{
	add(P(4), P(8), RW, VMR_ANON);
	add(P(12), P(14), RW, VMR_ANON);

	assert_int_equal(try_add(P(4), P(8), RW, VMR_ANON, NULL, 0, NULL), -EEXIST);
	assert_int_equal(try_add(P(3), P(5), RW, VMR_ANON, NULL, 0, NULL), -EEXIST);
	assert_int_equal(try_add(P(7), P(9), RW, VMR_ANON, NULL, 0, NULL), -EEXIST);
	assert_int_equal(try_add(P(5), P(6), RW, VMR_ANON, NULL, 0, NULL), -EEXIST);
	assert_int_equal(try_add(P(0), P(20), RW, VMR_ANON, NULL, 0, NULL), -EEXIST);
	assert_int_equal(try_add(P(8), P(13), RW, VMR_ANON, NULL, 0, NULL), -EEXIST);
	assert_int_equal(map.count, 2);
	assert_true(vmr_check(&map));
	/* Touching is not overlapping. */
	add(P(8), P(12), VMR_READ, VMR_ANON);
	add(P(0), P(4), VMR_READ, VMR_ANON);
	assert_int_equal(map.count, 4);
}

static void test_insert_invalid(void **state)
{
	assert_int_equal(try_add(P(1), P(1), RW, VMR_ANON, NULL, 0, NULL), -EINVAL);
	assert_int_equal(try_add(P(2), P(1), RW, VMR_ANON, NULL, 0, NULL), -EINVAL);
	assert_int_equal(try_add(P(1) + 1, P(2), RW, VMR_ANON, NULL, 0, NULL), -EINVAL);
	assert_int_equal(try_add(P(1), P(2) - 8, RW, VMR_ANON, NULL, 0, NULL), -EINVAL);
	assert_int_equal(try_add(UINT64_MAX - PAGE + 1, 0, RW, VMR_ANON, NULL, 0, NULL), -EINVAL);
	assert_int_equal(map.count, 0);
}

static void test_iteration_order(void **state)
{
	static const int order[] = { 7, 2, 9, 0, 5, 3, 8, 1, 6, 4 };
	const struct vm_region *region;
	int n = 0;

	for (int i = 0; i < 10; i++)
		add(P(order[i] * 2), P(order[i] * 2 + 1), RW, VMR_ANON);
	for (region = vmr_first(&map); region; region = vmr_next(&map, region))
		assert_int_equal(region->start, P(2 * n++));
	assert_int_equal(n, 10);
	for (region = vmr_last(&map); region; region = vmr_prev(&map, region))
		assert_int_equal(region->start, P(2 * --n));
	assert_int_equal(n, 0);
}

static void test_remove_returns_ownership(void **state)
{
	struct vm_region *a = add(P(0), P(1), RW, VMR_ANON);
	struct vm_region *b = add_file(P(1), P(2), RW, 0, &file_a, 0);

	vmr_remove(&map, b);
	assert_int_equal(map.count, 1);
	assert_null(vmr_find(&map, P(1)));
	assert_int_equal(file_a.refs, 2); /* still the caller's */
	file_a.refs--;
	region_free(b);
	vmr_remove(&map, a);
	region_free(a);
	assert_int_equal(map.count, 0);
	assert_true(vmr_check(&map));
}

/* ------------------------------------------------------------ gap search */

static void test_gap_bottom_up(void **state)
{
	uint64_t out;

	/* Holes: [1,2) one page, [3,5) two, [6,9) three, then free from 10. */
	add(P(0), P(1), RW, VMR_ANON);
	add(P(2), P(3), RW, VMR_ANON);
	add(P(5), P(6), RW, VMR_ANON);
	add(P(9), P(10), RW, VMR_ANON);

	assert_int_equal(vmr_find_gap(&map, PAGE, P(0), P(64), PAGE, false, &out), 0);
	assert_int_equal(out, P(1));
	assert_int_equal(vmr_find_gap(&map, 2 * PAGE, P(0), P(64), PAGE, false, &out), 0);
	assert_int_equal(out, P(3));
	assert_int_equal(vmr_find_gap(&map, 3 * PAGE, P(0), P(64), PAGE, false, &out), 0);
	assert_int_equal(out, P(6));
	assert_int_equal(vmr_find_gap(&map, 4 * PAGE, P(0), P(64), PAGE, false, &out), 0);
	assert_int_equal(out, P(10));
	/* lo inside a region or a hole. */
	assert_int_equal(vmr_find_gap(&map, PAGE, P(2), P(64), PAGE, false, &out), 0);
	assert_int_equal(out, P(3));
	assert_int_equal(vmr_find_gap(&map, PAGE, P(4), P(64), PAGE, false, &out), 0);
	assert_int_equal(out, P(4));
	/* Unaligned lo rounds up. */
	assert_int_equal(vmr_find_gap(&map, PAGE, P(1) + 5, P(64), PAGE, false, &out), 0);
	assert_int_equal(out, P(3));
	/* A gap that ends exactly at hi fits; one page more does not. */
	assert_int_equal(vmr_find_gap(&map, 3 * PAGE, P(3), P(9), PAGE, false, &out), 0);
	assert_int_equal(out, P(6));
	assert_int_equal(vmr_find_gap(&map, 4 * PAGE, P(0), P(13), PAGE, false, &out), -ENOMEM);
	assert_int_equal(vmr_find_gap(&map, 4 * PAGE, P(0), P(14), PAGE, false, &out), 0);
	assert_int_equal(out, P(10));
}

static void test_gap_top_down(void **state)
{
	uint64_t out;

	add(P(0), P(1), RW, VMR_ANON);
	add(P(2), P(3), RW, VMR_ANON);
	add(P(5), P(6), RW, VMR_ANON);
	add(P(9), P(10), RW, VMR_ANON);

	assert_int_equal(vmr_find_gap(&map, PAGE, P(0), P(10), PAGE, true, &out), 0);
	assert_int_equal(out, P(8));
	assert_int_equal(vmr_find_gap(&map, 3 * PAGE, P(0), P(10), PAGE, true, &out), 0);
	assert_int_equal(out, P(6));
	assert_int_equal(vmr_find_gap(&map, 2 * PAGE, P(0), P(6), PAGE, true, &out), 0);
	assert_int_equal(out, P(3));
	assert_int_equal(vmr_find_gap(&map, 2 * PAGE, P(0), P(5), PAGE, true, &out), 0);
	assert_int_equal(out, P(3));
	assert_int_equal(vmr_find_gap(&map, 4 * PAGE, P(0), P(10), PAGE, true, &out), -ENOMEM);
	assert_int_equal(vmr_find_gap(&map, 4 * PAGE, P(0), P(20), PAGE, true, &out), 0);
	assert_int_equal(out, P(16));
	/* hi inside a region; unaligned hi. */
	assert_int_equal(vmr_find_gap(&map, PAGE, P(0), P(6) - 8, PAGE, true, &out), 0);
	assert_int_equal(out, P(4));
	/* The gap must not go below lo. */
	assert_int_equal(vmr_find_gap(&map, 2 * PAGE, P(4), P(6), PAGE, true, &out), -ENOMEM);
	assert_int_equal(vmr_find_gap(&map, PAGE, P(1), P(2), PAGE, true, &out), 0);
	assert_int_equal(out, P(1));
}

static void test_gap_alignment(void **state)
{
	const uint64_t align = 16 * PAGE;
	uint64_t out;

	add(P(0), P(1), RW, VMR_ANON);      /* BASE is 16-page aligned */
	add(P(17), P(20), RW, VMR_ANON);

	assert_int_equal(vmr_find_gap(&map, PAGE, P(0), P(64), align, false, &out), 0);
	assert_int_equal(out, P(16)); /* fits before P(17) */
	assert_int_equal(vmr_find_gap(&map, 2 * PAGE, P(0), P(64), align, false, &out), 0);
	assert_int_equal(out, P(32));
	assert_int_equal(vmr_find_gap(&map, PAGE, P(0), P(64), align, true, &out), 0);
	assert_int_equal(out, P(48));
	assert_int_equal(vmr_find_gap(&map, 16 * PAGE, P(0), P(48), align, true, &out), 0);
	assert_int_equal(out, P(32));
	assert_int_equal(vmr_find_gap(&map, 2 * PAGE, P(0), P(33), align, false, &out), -ENOMEM);
	assert_int_equal(vmr_find_gap(&map, 2 * PAGE, P(1), P(17), align, true, &out), -ENOMEM);
	assert_int_equal(vmr_find_gap(&map, 2 * PAGE, P(1), P(17), 2 * PAGE, true, &out), 0);
	assert_int_equal(out, P(14));
	assert_int_equal(vmr_find_gap(&map, 2 * PAGE, P(1), P(17), 2 * PAGE, false, &out), 0);
	assert_int_equal(out, P(2));
}

static void test_gap_errors(void **state)
{
	uint64_t out;

	add(P(0), P(64), RW, VMR_ANON);
	assert_int_equal(vmr_find_gap(&map, PAGE, P(0), P(64), PAGE, false, &out), -ENOMEM);
	assert_int_equal(vmr_find_gap(&map, PAGE, P(0), P(64), PAGE, true, &out), -ENOMEM);
	assert_int_equal(vmr_find_gap(&map, 0, P(0), P(128), PAGE, false, &out), -EINVAL);
	assert_int_equal(vmr_find_gap(&map, PAGE + 1, P(0), P(128), PAGE, false, &out), -EINVAL);
	assert_int_equal(vmr_find_gap(&map, PAGE, P(0), P(128), 3 * PAGE, false, &out), -EINVAL);
	assert_int_equal(vmr_find_gap(&map, PAGE, P(0), P(128), 512, false, &out), -EINVAL);
	/* Empty or inverted windows, and no wrap at the top of the address space. */
	assert_int_equal(vmr_find_gap(&map, PAGE, P(70), P(70), PAGE, false, &out), -ENOMEM);
	assert_int_equal(vmr_find_gap(&map, PAGE, P(80), P(70), PAGE, true, &out), -ENOMEM);
	assert_int_equal(vmr_find_gap(&map, PAGE, P(80), P(70), PAGE, false, &out), -ENOMEM);
	assert_int_equal(vmr_find_gap(&map, 2 * PAGE, 0, PAGE, PAGE, true, &out), -ENOMEM);
	assert_int_equal(vmr_find_gap(&map, PAGE, UINT64_MAX - 10, UINT64_MAX, 1ull << 40, false,
				      &out), -ENOMEM);
	assert_int_equal(vmr_find_gap(&map, PAGE, P(0), UINT64_MAX, PAGE, true, &out), 0);
	assert_int_equal(out, 0xffffffffffffe000ull);
}

/* ------------------------------------------------------------- merging */

static void test_merge_anonymous(void **state)
{
	struct vm_region *a = add(P(0), P(2), RW, VMR_ANON);
	struct vm_region *c = add(P(3), P(5), RW, VMR_ANON);
	struct vm_region *b = add(P(2), P(3), RW, VMR_ANON);

	assert_int_equal(map.count, 3);
	assert_ptr_equal(vmr_merge_neighbours(&map, b), a);
	assert_int_equal(map.count, 1);
	assert_int_equal(live_structs, 1);
	expect_region(vmr_first(&map), P(0), P(5), RW);
	(void)c;

	/* Different prot or not adjacent: no merge. */
	b = add(P(5), P(6), VMR_READ, VMR_ANON);
	assert_ptr_equal(vmr_merge_neighbours(&map, b), b);
	b = add(P(7), P(8), VMR_READ, VMR_ANON);
	assert_ptr_equal(vmr_merge_neighbours(&map, b), b);
	assert_int_equal(map.count, 3);
}

static void test_merge_rules(void **state)
{
	struct vm_region *heap = add(P(0), P(2), RW, VMR_ANON | VMR_HEAP);
	struct vm_region *plain = add(P(2), P(3), RW, VMR_ANON);
	struct vm_region *stack;

	assert_false(vmr_can_merge(heap, plain));
	assert_ptr_equal(vmr_merge_neighbours(&map, plain), plain);
	/* Heap grown by brk merges with the heap. */
	vmr_remove(&map, plain);
	region_free(plain);
	plain = add(P(2), P(4), RW, VMR_ANON | VMR_HEAP);
	assert_ptr_equal(vmr_merge_neighbours(&map, plain), heap);
	expect_region(heap, P(0), P(4), RW);

	stack = add(P(10), P(12), RW, VMR_ANON | VMR_STACK);
	plain = add(P(9), P(10), RW, VMR_ANON);
	assert_ptr_equal(vmr_merge_neighbours(&map, plain), plain);
	assert_ptr_equal(vmr_merge_neighbours(&map, stack), stack);

	/* Shared anonymous memory without an object never merges. */
	plain = add(P(20), P(21), RW, VMR_ANON | VMR_SHARED);
	add(P(21), P(22), RW, VMR_ANON | VMR_SHARED);
	assert_ptr_equal(vmr_merge_neighbours(&map, plain), plain);
	assert_int_equal(map.count, 5);
}

static void test_merge_file_offsets(void **state)
{
	struct vm_region *a = add_file(P(0), P(2), RX, 0, &file_a, 0x3000);
	struct vm_region *b = add_file(P(2), P(3), RX, 0, &file_a, 0x5000);
	struct vm_region *c = add_file(P(3), P(4), RX, 0, &file_a, 0x9000);
	struct vm_region *d = add_file(P(4), P(5), RX, 0, &file_b, 0xa000);

	assert_int_equal(file_a.refs, 4);
	assert_true(vmr_can_merge(a, b));
	assert_false(vmr_can_merge(b, c)); /* offset not contiguous */
	assert_false(vmr_can_merge(c, d)); /* other file */
	assert_ptr_equal(vmr_merge_neighbours(&map, b), a);
	expect_region(a, P(0), P(3), RX);
	assert_int_equal(a->file_offset, 0x3000);
	assert_int_equal(file_a.refs, 3);
	assert_ptr_equal(vmr_merge_neighbours(&map, c), c);
	assert_ptr_equal(vmr_merge_neighbours(&map, d), d);
	assert_int_equal(map.count, 3);
}

/* ------------------------------------------------------------- munmap */

static void test_unmap_middle(void **state)
{
	add_file(P(0), P(10), RW, 0, &file_a, 0x100000);

	assert_int_equal(unmap(P(3), P(5)), 1);
	assert_int_equal(map.count, 2);
	assert_int_equal(live_structs, 2);
	assert_int_equal(file_a.refs, 3);
	assert_int_equal(piece_count, 1);
	expect_region(&pieces[0], P(3), P(5), RW);
	assert_int_equal(pieces[0].file_offset, 0x100000 + 3 * PAGE);
	assert_ptr_equal(pieces[0].file, &file_a);
	expect_region(vmr_first(&map), P(0), P(3), RW);
	assert_int_equal(vmr_first(&map)->file_offset, 0x100000);
	expect_region(vmr_last(&map), P(5), P(10), RW);
	assert_int_equal(vmr_last(&map)->file_offset, 0x100000 + 5 * PAGE);
	assert_null(vmr_find(&map, P(4)));
}

static void test_unmap_spanning(void **state)
{
	add(P(0), P(4), VMR_READ, VMR_ANON);
	add(P(4), P(6), RW, VMR_ANON);
	add(P(8), P(10), RX, VMR_ANON);
	add_file(P(10), P(16), VMR_READ, 0, &file_b, 0);

	/* Cuts the first and last at both ends, removes the two in between. */
	assert_int_equal(unmap(P(2), P(12)), 0);
	assert_int_equal(piece_count, 4);
	expect_region(&pieces[0], P(2), P(4), VMR_READ);
	expect_region(&pieces[1], P(4), P(6), RW);
	expect_region(&pieces[2], P(8), P(10), RX);
	expect_region(&pieces[3], P(10), P(12), VMR_READ);
	assert_int_equal(pieces[3].file_offset, 0);
	assert_int_equal(map.count, 2);
	assert_int_equal(live_structs, 2);
	assert_int_equal(file_b.refs, 2);
	expect_region(vmr_first(&map), P(0), P(2), VMR_READ);
	expect_region(vmr_last(&map), P(12), P(16), VMR_READ);
	assert_int_equal(vmr_last(&map)->file_offset, 2 * PAGE);
}

static void test_unmap_partial_ends(void **state)
{
	add(P(0), P(8), RW, VMR_ANON);

	assert_int_equal(unmap(P(0), P(2)), 0);
	expect_region(vmr_first(&map), P(2), P(8), RW);
	assert_int_equal(unmap(P(6), P(9)), 0);
	expect_region(vmr_first(&map), P(2), P(6), RW);
	assert_int_equal(piece_count, 1);
	expect_region(&pieces[0], P(6), P(8), RW);
	assert_int_equal(map.count, 1);
	assert_int_equal(live_structs, 1);
}

static void test_unmap_exact_and_holes(void **state)
{
	add(P(0), P(2), RW, VMR_ANON);
	add(P(4), P(6), RW, VMR_ANON);

	assert_int_equal(unmap(P(2), P(4)), 0);
	assert_int_equal(piece_count, 0);
	assert_int_equal(map.count, 2);
	assert_int_equal(unmap(P(4), P(6)), 0);
	assert_int_equal(piece_count, 1);
	assert_int_equal(map.count, 1);
	assert_int_equal(live_structs, 1);
	assert_int_equal(unmap(P(0), P(100)), 0);
	assert_int_equal(map.count, 0);
	assert_int_equal(live_structs, 0);
}

static void test_unmap_invalid(void **state)
{
	struct vmr_reserve reserve;

	assert_int_equal(vmr_unmap_prepare(&map, P(2), P(2), &reserve), -EINVAL);
	assert_int_equal(vmr_unmap_prepare(&map, P(3), P(2), &reserve), -EINVAL);
	assert_int_equal(vmr_unmap_prepare(&map, P(2) + 1, P(3), &reserve), -EINVAL);
	assert_int_equal(vmr_unmap_prepare(&map, P(2), P(3) + 1, &reserve), -EINVAL);
}

/* The kernel's reserve allocation fails: nothing changed, nothing leaked. */
static void test_unmap_allocation_fails(void **state)
{
	struct vmr_reserve reserve;

	add_file(P(0), P(10), RW, 0, &file_a, 0);
	assert_int_equal(vmr_unmap_prepare(&map, P(3), P(5), &reserve), 0);
	assert_int_equal(reserve.needed, 1);
	allocs_left = 0;
	assert_int_equal(vmr_reserve_fill(&map, &reserve, region_alloc, NULL), -ENOMEM);
	assert_null(reserve.spare[0]);
	assert_int_equal(map.count, 1);
	assert_int_equal(live_structs, 1);
	assert_int_equal(file_a.refs, 2);
	expect_region(vmr_first(&map), P(0), P(10), RW);
}

/* A commit whose reserve is short is a kernel bug: it panics before changing anything. */
static void test_commit_without_reserve_panics(void **state)
{
	struct vmr_reserve reserve;

	add(P(0), P(10), RW, VMR_ANON);
	assert_int_equal(vmr_unmap_prepare(&map, P(3), P(5), &reserve), 0);
	expect_assert_failure(vmr_unmap_commit(&map, P(3), P(5), &reserve, NULL, NULL));
	assert_non_null(strstr(stub_last_panic(), "vmr_unmap_commit: reserve short"));
	assert_int_equal(map.count, 1);
	expect_region(vmr_first(&map), P(0), P(10), RW);
}

/* Extra spares (e.g. from a caller that always reserves two) are handed back. */
static void test_unused_spares_released(void **state)
{
	struct vmr_reserve reserve;

	add(P(0), P(10), RW, VMR_ANON);
	assert_int_equal(vmr_unmap_prepare(&map, P(0), P(5), &reserve), 0);
	assert_int_equal(reserve.needed, 0);
	reserve.needed = VMR_RESERVE_MAX;
	assert_int_equal(vmr_reserve_fill(&map, &reserve, region_alloc, NULL), 0);
	assert_int_equal(live_structs, 1 + VMR_RESERVE_MAX);
	vmr_unmap_commit(&map, P(0), P(5), &reserve, NULL, NULL);
	assert_int_equal(live_structs, 1);
	assert_null(reserve.spare[0]);
}

/* mmap(MAP_FIXED) over existing regions: unmap the range, insert, merge. */
static void test_map_fixed_replaces(void **state)
{
	struct vmr_reserve reserve;
	struct vm_region *region;

	add(P(0), P(10), RW, VMR_ANON);
	assert_int_equal(vmr_unmap_prepare(&map, P(4), P(6), &reserve), 0);
	assert_int_equal(vmr_reserve_fill(&map, &reserve, region_alloc, NULL), 0);
	region = region_alloc(NULL);
	vmr_unmap_commit(&map, P(4), P(6), &reserve, NULL, NULL);
	*region = (struct vm_region){ .start = P(4), .end = P(6), .prot = RW, .flags = VMR_ANON };
	assert_int_equal(vmr_insert(&map, region), 0);
	region = vmr_merge_neighbours(&map, region);
	expect_region(region, P(0), P(10), RW);
	assert_int_equal(map.count, 1);
	assert_int_equal(live_structs, 1);
}

/* ------------------------------------------------------------ mprotect */

static void test_protect_middle(void **state)
{
	unsigned needed = 99;

	add_file(P(0), P(10), RW, 0, &file_a, 0x40000);
	assert_int_equal(protect(P(3), P(5), VMR_READ, &needed), 0);
	assert_int_equal(needed, 2);
	assert_int_equal(map.count, 3);
	assert_int_equal(live_structs, 3);
	assert_int_equal(file_a.refs, 4);
	expect_region(vmr_find(&map, P(2)), P(0), P(3), RW);
	expect_region(vmr_find(&map, P(3)), P(3), P(5), VMR_READ);
	expect_region(vmr_find(&map, P(5)), P(5), P(10), RW);
	assert_int_equal(vmr_find(&map, P(3))->file_offset, 0x40000 + 3 * PAGE);
	assert_int_equal(vmr_find(&map, P(5))->file_offset, 0x40000 + 5 * PAGE);

	/* Restoring the original protection merges back to one region. */
	assert_int_equal(protect(P(3), P(5), RW, &needed), 0);
	assert_int_equal(needed, 0);
	assert_int_equal(map.count, 1);
	assert_int_equal(live_structs, 1);
	assert_int_equal(file_a.refs, 2);
	expect_region(vmr_first(&map), P(0), P(10), RW);
	assert_int_equal(vmr_first(&map)->file_offset, 0x40000);
}

static void test_protect_edges_and_span(void **state)
{
	unsigned needed;

	add(P(0), P(4), VMR_READ, VMR_ANON);
	add(P(4), P(6), RW, VMR_ANON);
	add(P(6), P(10), VMR_READ, VMR_ANON);

	/* Start and end inside regions whose prot changes: two cuts. */
	assert_int_equal(protect(P(2), P(8), RX, &needed), 0);
	assert_int_equal(needed, 2);
	assert_int_equal(map.count, 3);
	expect_region(vmr_find(&map, P(2)), P(2), P(8), RX);
	/* Everything read-only again: one region. */
	assert_int_equal(protect(P(0), P(10), VMR_READ, &needed), 0);
	assert_int_equal(needed, 0);
	assert_int_equal(map.count, 1);
	assert_int_equal(live_structs, 1);
	expect_region(vmr_first(&map), P(0), P(10), VMR_READ);
	/* Cutting at one end only. */
	assert_int_equal(protect(P(0), P(3), RW, &needed), 0);
	assert_int_equal(needed, 1);
	assert_int_equal(protect(P(7), P(10), RW, &needed), 0);
	assert_int_equal(needed, 1);
	assert_int_equal(map.count, 3);
	assert_int_equal(live_structs, 3);
}

static void test_protect_same_prot_is_noop(void **state)
{
	unsigned needed;

	add(P(0), P(4), RW, VMR_ANON | VMR_SHARED);
	assert_int_equal(protect(P(1), P(3), RW, &needed), 0);
	assert_int_equal(needed, 0);
	assert_int_equal(map.count, 1);
	assert_int_equal(live_structs, 1);
}

static void test_protect_unmapped_fails(void **state)
{
	struct vmr_reserve reserve;

	add(P(0), P(2), RW, VMR_ANON);
	add(P(3), P(5), RW, VMR_ANON);
	assert_int_equal(protect(P(1), P(4), VMR_READ, NULL), -ENOMEM);
	assert_int_equal(protect(P(5), P(6), VMR_READ, NULL), -ENOMEM);
	assert_int_equal(protect(P(4), P(6), VMR_READ, NULL), -ENOMEM);
	assert_int_equal(protect(P(0) - PAGE, P(1), VMR_READ, NULL), -ENOMEM);
	assert_int_equal(protect(P(0), P(0), VMR_READ, NULL), -EINVAL);
	assert_int_equal(protect(P(0), P(1), 0x80, NULL), -EINVAL);
	assert_int_equal(vmr_protect_prepare(&map, P(1), P(4), VMR_READ, &reserve), -ENOMEM);
	assert_int_equal(reserve.needed, 0);
	assert_int_equal(map.count, 2);
	expect_region(vmr_first(&map), P(0), P(2), RW);
	expect_region(vmr_last(&map), P(3), P(5), RW);
}

static void test_protect_allocation_fails(void **state)
{
	struct vmr_reserve reserve;

	add(P(0), P(10), RW, VMR_ANON);
	assert_int_equal(vmr_protect_prepare(&map, P(3), P(5), VMR_READ, &reserve), 0);
	assert_int_equal(reserve.needed, 2);
	allocs_left = 1; /* the second spare fails */
	assert_int_equal(vmr_reserve_fill(&map, &reserve, region_alloc, NULL), -ENOMEM);
	assert_null(reserve.spare[0]);
	assert_null(reserve.spare[1]);
	assert_int_equal(live_structs, 1);
	expect_region(vmr_first(&map), P(0), P(10), RW);
}

/* ---------------------------------------------------- fork, exit, check */

static void test_file_refcounts_balanced(void **state)
{
	add_file(P(0), P(8), RW, 0, &file_a, 0);
	add_file(P(8), P(16), RW, VMR_SHARED, &file_b, 0);
	assert_int_equal(protect(P(2), P(4), VMR_READ, NULL), 0);
	assert_int_equal(protect(P(10), P(12), VMR_READ, NULL), 0);
	assert_int_equal(file_a.refs, 1 + 3);
	assert_int_equal(file_b.refs, 1 + 3);
	unmap(P(1), P(3)); /* trims two regions, removes none */
	assert_int_equal(file_a.refs, 1 + 3);
	unmap(P(6), P(11));
	assert_int_equal(file_a.refs, 1 + 3);
	assert_int_equal(file_b.refs, 1 + 2);
	assert_int_equal(live_structs, (long)map.count);
	/* teardown checks that destroy brings both back to 1 */
}

/* Snapshot of a map's public fields, to prove it did not change. */
struct snapshot {
	size_t count;
	struct vm_region regions[16];
};

static void take_snapshot(const struct vm_map *m, struct snapshot *s)
{
	const struct vm_region *region;

	memset(s, 0, sizeof(*s));
	for (region = vmr_first(m); region; region = vmr_next(m, region)) {
		assert_true(s->count < 16);
		/* Field by field: padding and the private fields stay zero. */
		s->regions[s->count].start = region->start;
		s->regions[s->count].end = region->end;
		s->regions[s->count].prot = region->prot;
		s->regions[s->count].flags = region->flags;
		s->regions[s->count].file = region->file;
		s->regions[s->count].file_offset = region->file_offset;
		s->count++;
	}
}

static void assert_snapshot_equal(const struct snapshot *a, const struct snapshot *b)
{
	assert_int_equal(a->count, b->count);
	assert_memory_equal(a->regions, b->regions, sizeof(a->regions));
}

static void build_fork_source(void)
{
	add(P(0), P(2), RX, 0);
	add_file(P(2), P(5), VMR_READ, 0, &file_a, 0x2000);
	add(P(6), P(7), RW, VMR_ANON | VMR_HEAP);
	add_file(P(9), P(12), RW, VMR_SHARED, &file_b, 0);
	add(P(20), P(24), RW, VMR_ANON | VMR_STACK);
}

static void test_clone(void **state)
{
	struct snapshot before, after, copy;
	struct vm_map child;

	build_fork_source();
	take_snapshot(&map, &before);
	vmr_init(&child, &test_ops);
	assert_int_equal(vmr_clone(&child, &map, region_alloc, NULL), 0);
	assert_true(vmr_check(&child));
	take_snapshot(&map, &after);
	take_snapshot(&child, &copy);
	assert_snapshot_equal(&before, &after);
	assert_snapshot_equal(&before, &copy);
	assert_int_equal(file_a.refs, 3);
	assert_int_equal(file_b.refs, 3);
	assert_int_equal(live_structs, 10);

	/* The copies are independent. */
	assert_int_equal(protect(P(2), P(3), RW, NULL), 0);
	assert_int_equal(vmr_find(&child, P(2))->prot, VMR_READ);
	vmr_destroy(&child, NULL, NULL);
	assert_int_equal(file_a.refs, 3);
	assert_int_equal(file_b.refs, 2);
	assert_true(vmr_check(&map));
}

static void test_clone_fails_at_every_point(void **state)
{
	struct snapshot before, after;
	struct vm_map child;
	long live;

	build_fork_source();
	take_snapshot(&map, &before);
	live = live_structs;
	for (long fail_at = 0; fail_at < (long)map.count; fail_at++) {
		vmr_init(&child, &test_ops);
		allocs_left = fail_at;
		assert_int_equal(vmr_clone(&child, &map, region_alloc, NULL), -ENOMEM);
		assert_int_equal(child.count, 0);
		assert_null(vmr_first(&child));
		assert_true(vmr_check(&child));
		take_snapshot(&map, &after);
		assert_snapshot_equal(&before, &after);
		assert_int_equal(live_structs, live);
		assert_int_equal(file_a.refs, 2);
		assert_int_equal(file_b.refs, 2);
	}
	allocs_left = -1;
	vmr_init(&child, &test_ops);
	assert_int_equal(vmr_clone(&child, &map, region_alloc, NULL), 0);
	vmr_destroy(&child, NULL, NULL);
	assert_int_equal(live_structs, live);
}

static void test_clone_empty(void **state)
{
	struct vm_map child;

	vmr_init(&child, &test_ops);
	allocs_left = 0;
	assert_int_equal(vmr_clone(&child, &map, region_alloc, NULL), 0);
	assert_int_equal(child.count, 0);
}

static void test_destroy_calls_back_in_order(void **state)
{
	build_fork_source();
	piece_count = 0;
	vmr_destroy(&map, record_piece, NULL);
	assert_int_equal(piece_count, 5);
	expect_region(&pieces[0], P(0), P(2), RX);
	expect_region(&pieces[1], P(2), P(5), VMR_READ);
	assert_ptr_equal(pieces[1].file, &file_a);
	expect_region(&pieces[4], P(20), P(24), RW);
	assert_int_equal(map.count, 0);
	assert_int_equal(live_structs, 0);
	assert_int_equal(file_a.refs, 1);
	assert_int_equal(file_b.refs, 1);
	assert_true(vmr_check(&map));
}

static void test_check_detects_corruption(void **state)
{
	struct vm_region *a, *b;

	a = add(P(0), P(1), RW, VMR_ANON);
	b = add(P(2), P(3), RW, VMR_ANON);
	add(P(4), P(5), RW, VMR_ANON);
	assert_true(vmr_check(&map));

	map.count++;
	assert_false(vmr_check(&map));
	map.count--;
	b->end = P(2);
	assert_false(vmr_check(&map));
	b->end = P(3);
	a->end = P(3);
	assert_false(vmr_check(&map));
	a->end = P(1);
	b->height++;
	assert_false(vmr_check(&map));
	b->height--;
	assert_true(vmr_check(&map));
}

/* ------------------------------------------------- randomised stress */

#define STRESS_PAGES 64
#define STRESS_OPS 10000

/* What one page should look like. */
struct model_page {
	bool mapped;
	uint32_t prot, flags;
	struct fake_file *file;
	uint64_t offset;
};

static struct model_page model[STRESS_PAGES];
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

/* Whether page i + 1 can share a region with page i, decided from the model alone. */
static bool model_continues(int i)
{
	const struct model_page *a = &model[i], *b = &model[i + 1];

	if (!a->mapped || !b->mapped || a->prot != b->prot || a->flags != b->flags ||
	    a->file != b->file)
		return false;
	return a->file ? a->offset + PAGE == b->offset : !(a->flags & VMR_SHARED);
}

static void check_against_model(void)
{
	size_t runs = 0;
	long refs_a = 1, refs_b = 1;
	const struct vm_region *region;

	assert_true(vmr_check(&map));
	for (int i = 0; i < STRESS_PAGES; i++) {
		region = vmr_find(&map, P(i));
		if (!model[i].mapped) {
			assert_null(region);
			continue;
		}
		assert_non_null(region);
		assert_int_equal(region->prot, model[i].prot);
		assert_int_equal(region->flags, model[i].flags);
		assert_ptr_equal(region->file, model[i].file);
		if (region->file)
			assert_int_equal(region->file_offset + (P(i) - region->start), model[i].offset);
		if (i == 0 || !model_continues(i - 1))
			runs++;
	}
	/* Minimal: exactly one region per maximal run of compatible pages. */
	assert_int_equal(map.count, runs);
	assert_int_equal(live_structs, (long)map.count);
	for (region = vmr_first(&map); region; region = vmr_next(&map, region)) {
		refs_a += region->file == &file_a;
		refs_b += region->file == &file_b;
	}
	assert_int_equal(file_a.refs, refs_a);
	assert_int_equal(file_b.refs, refs_b);
}

/* One random mmap(MAP_FIXED) of [lo, hi); allocations may fail (then nothing changes). */
static void stress_map(int lo, int hi)
{
	static const uint32_t flag_choices[] = { VMR_ANON, VMR_ANON, VMR_ANON | VMR_HEAP, 0,
						 VMR_SHARED };
	uint32_t flags = flag_choices[rng() % 5], prot = (uint32_t)(rng() % 8);
	struct fake_file *file = NULL;
	uint64_t offset = 0;
	struct vmr_reserve reserve;
	struct vm_region *region;

	if (!(flags & VMR_ANON)) {
		file = rng() % 2 ? &file_a : &file_b;
		offset = rng() % 4 ? (uint64_t)lo * PAGE : (rng() % 8) * PAGE;
	}
	allocs_left = rng() % 16 == 0 ? (long)(rng() % 2) : -1;
	assert_int_equal(vmr_unmap_prepare(&map, P(lo), P(hi), &reserve), 0);
	if (vmr_reserve_fill(&map, &reserve, region_alloc, NULL)) {
		allocs_left = -1;
		return;
	}
	region = region_alloc(NULL);
	allocs_left = -1;
	if (!region) {
		vmr_reserve_release(&map, &reserve);
		return;
	}
	vmr_unmap_commit(&map, P(lo), P(hi), &reserve, NULL, NULL);
	*region = (struct vm_region){ .start = P(lo), .end = P(hi), .prot = prot,
				      .flags = flags, .file = file, .file_offset = offset };
	if (file)
		file->refs++;
	assert_int_equal(vmr_insert(&map, region), 0);
	vmr_merge_neighbours(&map, region);
	for (int i = lo; i < hi; i++)
		model[i] = (struct model_page){ true, prot, flags, file,
						offset + (uint64_t)(i - lo) * PAGE };
}

static void stress_unmap(int lo, int hi)
{
	struct vmr_reserve reserve;

	allocs_left = rng() % 16 == 0 ? 0 : -1;
	assert_int_equal(vmr_unmap_prepare(&map, P(lo), P(hi), &reserve), 0);
	if (vmr_reserve_fill(&map, &reserve, region_alloc, NULL) == 0) {
		vmr_unmap_commit(&map, P(lo), P(hi), &reserve, NULL, NULL);
		for (int i = lo; i < hi; i++)
			model[i].mapped = false;
	}
	allocs_left = -1;
}

static void stress_protect(int lo, int hi)
{
	uint32_t prot = (uint32_t)(rng() % 8);
	bool mapped = true;
	int err;

	for (int i = lo; i < hi; i++)
		mapped = mapped && model[i].mapped;
	allocs_left = rng() % 16 == 0 ? (long)(rng() % 2) : -1;
	err = protect(P(lo), P(hi), prot, NULL);
	allocs_left = -1;
	if (!mapped) {
		assert_int_equal(err, -ENOMEM);
		return;
	}
	if (err == 0)
		for (int i = lo; i < hi; i++)
			model[i].prot = prot;
	else
		assert_int_equal(err, -ENOMEM);
}

static void test_random_stress(void **state)
{
	memset(model, 0, sizeof(model));
	for (int op = 0; op < STRESS_OPS; op++) {
		int lo = (int)(rng() % STRESS_PAGES);
		int hi = lo + 1 + (int)(rng() % (rng() % 4 ? 8 : STRESS_PAGES));

		if (hi > STRESS_PAGES)
			hi = STRESS_PAGES;
		switch (rng() % 3) {
		case 0: stress_map(lo, hi); break;
		case 1: stress_unmap(lo, hi); break;
		default: stress_protect(lo, hi); break;
		}
		check_against_model();
	}
}

/* ------------------------------------------------- O(log n) lookups */

#define PERF_REGIONS 100000

/* Lookups visit at most the AVL bound 1.44 log2(n + 2) regions, well under 4 log2(n). */
static void assert_lookups_logarithmic(const struct vm_map *m, uint64_t first, uint64_t last)
{
	unsigned limit = 0, worst = 0, cost;
	double log2n = 0;

	for (size_t n = m->count; n > 1; n >>= 1)
		log2n += 1;
	limit = (unsigned)(1.45 * (log2n + 1)) + 1;
	assert_true(limit < 4 * log2n);
	for (uint64_t addr = first; addr < last; addr += PAGE) {
		cost = vmr_lookup_cost(m, addr);
		worst = cost > worst ? cost : worst;
	}
	assert_true(worst <= limit);
}

static void test_lookup_cost_100k(void **state)
{
	struct vm_region *regions = calloc(PERF_REGIONS, sizeof(*regions));
	const uint64_t top = P(2 * PERF_REGIONS);
	struct vmr_reserve reserve;
	struct vm_map big;

	assert_non_null(regions);
	vmr_init(&big, NULL); /* no ops: the test owns the array */
	/* Ascending inserts: the worst case for an unbalanced tree. */
	for (int i = 0; i < PERF_REGIONS; i++) {
		regions[i] = (struct vm_region){ .start = P(2 * i), .end = P(2 * i + 1),
						 .prot = RW, .flags = VMR_ANON };
		assert_int_equal(vmr_insert(&big, &regions[i]), 0);
	}
	assert_int_equal(big.count, PERF_REGIONS);
	assert_true(vmr_check(&big));
	assert_lookups_logarithmic(&big, P(0), top);
	assert_ptr_equal(vmr_find(&big, P(2 * 777)), &regions[777]);
	assert_null(vmr_find(&big, P(2 * 777 + 1)));

	/* Remove the lower half, one by one, and look again. */
	for (int i = 0; i < PERF_REGIONS / 2; i++) {
		assert_int_equal(vmr_unmap_prepare(&big, P(2 * i), P(2 * i + 1), &reserve), 0);
		vmr_unmap_commit(&big, P(2 * i), P(2 * i + 1), &reserve, NULL, NULL);
	}
	assert_int_equal(big.count, PERF_REGIONS / 2);
	assert_true(vmr_check(&big));
	assert_lookups_logarithmic(&big, P(0), top);
	vmr_destroy(&big, NULL, NULL);
	free(regions);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_empty_map),
		T(test_insert_and_find),
		T(test_insert_overlap_refused),
		T(test_insert_invalid),
		T(test_iteration_order),
		T(test_remove_returns_ownership),
		T(test_gap_bottom_up),
		T(test_gap_top_down),
		T(test_gap_alignment),
		T(test_gap_errors),
		T(test_merge_anonymous),
		T(test_merge_rules),
		T(test_merge_file_offsets),
		T(test_unmap_middle),
		T(test_unmap_spanning),
		T(test_unmap_partial_ends),
		T(test_unmap_exact_and_holes),
		T(test_unmap_invalid),
		T(test_unmap_allocation_fails),
		T(test_commit_without_reserve_panics),
		T(test_unused_spares_released),
		T(test_map_fixed_replaces),
		T(test_protect_middle),
		T(test_protect_edges_and_span),
		T(test_protect_same_prot_is_noop),
		T(test_protect_unmapped_fails),
		T(test_protect_allocation_fails),
		T(test_file_refcounts_balanced),
		T(test_clone),
		T(test_clone_fails_at_every_point),
		T(test_clone_empty),
		T(test_destroy_calls_back_in_order),
		T(test_check_detects_corruption),
		T(test_random_stress),
		T(test_lookup_cost_100k),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
