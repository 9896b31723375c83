/* Host unit tests of the frame allocator over simulated physical memory. */
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
#include "mm/addr.h"
#include "mm/pmm.h"
#include "tests/unit/stubs_kernel.h"

#define MIB (1ull << 20)
#define GIB (1ull << 30)
#define R(base, pages, class) { (base), (pages), (class), 0 }

/*
 * Simulated physical memory: only [sim_base, sim_base + sim_size) exists.
 * phys_to_virt anywhere else fails the test, and ASan catches any access
 * past the buffer through a pointer it returned.
 */
static uint8_t *sim_mem;
static uint64_t sim_base, sim_size;

void *phys_to_virt(paddr_t pa)
{
	if (pa.pa < sim_base || pa.pa - sim_base >= sim_size)
		fail_msg("phys_to_virt(%#llx): no simulated memory there",
			 (unsigned long long)pa.pa);
	return sim_mem + (pa.pa - sim_base);
}

paddr_t virt_to_phys(const void *p)
{
	return PA(sim_base + (uint64_t)((const uint8_t *)p - sim_mem));
}

/* 64 MiB of RAM with holes, reserved and reclaimable regions. */
#define SIM_SIZE (64 * MIB)
static const struct boot_region map64[] = {
	R(0x0, 0x9f, MEM_FREE),             /* below 1 MiB: never managed */
	R(0x9f000, 0x61, MEM_RESERVED),
	R(0x100000, 0x700, MEM_FREE),       /* 1..8 MiB; frame info at its start */
	R(0x800000, 0x100, MEM_KERNEL),
	R(0x900000, 0x100, MEM_FIRMWARE_BOOT),
	R(0xa00000, 0x100, MEM_LOADER),
	/* hole at 11..12 MiB */
	R(0xc00000, 0x2400, MEM_FREE),      /* 12..48 MiB */
	R(0x3000000, 1, MEM_ACPI_NVS),
	R(0x3001000, 0xeff, MEM_FREE),      /* 48 MiB + 4 KiB .. 63 MiB */
	R(0x3f00000, 0x100, MEM_RAMDISK),
	R(0xfec00000, 1, MEM_MMIO),         /* not RAM: outside the frame-info span */
};
#define MAP64_FREE_FRAMES (0x700 + 0x2400 + 0xeff)
#define MAP64_META_FRAMES 33 /* 16384 frames * 8 bytes + 16384 bits */
#define MAP64_FRAMES (SIM_SIZE / FRAME_SIZE)

static struct pmm_stats initial;

static struct pmm_stats stats_now(void)
{
	struct pmm_stats s;

	pmm_get_stats(&s);
	return s;
}

/* Checks the counters agree with each other and returns them. */
static struct pmm_stats checked_stats(void)
{
	struct pmm_stats s = stats_now();
	uint64_t by_order = 0;

	for (unsigned o = 0; o <= PMM_MAX_ORDER; o++)
		by_order += s.free_by_order[o] << o;
	assert_int_equal(by_order, s.free);
	assert_int_equal(s.free + s.allocated, s.managed);
	return s;
}

static void assert_stats_initial(void)
{
	struct pmm_stats s = checked_stats();

	assert_memory_equal(&s, &initial, sizeof(s));
}

static bool in_free_region(uint64_t pa)
{
	for (size_t i = 0; i < sizeof(map64) / sizeof(map64[0]); i++)
		if (map64[i].class == MEM_FREE && pa >= map64[i].base_pa &&
		    pa < map64[i].base_pa + map64[i].pages * FRAME_SIZE)
			return true;
	return false;
}

static void tag(paddr_t pa)
{
	uint64_t t = pa.pa ^ 0x5a5a5a5a5a5a5a5aull;

	memcpy(phys_to_virt(pa), &t, sizeof(t));
}

static void check_tag(paddr_t pa)
{
	uint64_t t;

	memcpy(&t, phys_to_virt(pa), sizeof(t));
	assert_int_equal(t, pa.pa ^ 0x5a5a5a5a5a5a5a5aull);
}

static int group_setup(void **state)
{
	sim_mem = aligned_alloc(FRAME_SIZE, SIM_SIZE);
	return sim_mem ? 0 : -1;
}

static int group_teardown(void **state)
{
	free(sim_mem);
	return 0;
}

/* Fresh allocator over map64, with garbage in all of memory first. */
static int setup64(void **state)
{
	sim_base = 0;
	sim_size = SIM_SIZE;
	memset(sim_mem, 0xa5, SIM_SIZE);
	pmm_init(map64, sizeof(map64) / sizeof(map64[0]));
	initial = stats_now();
	return 0;
}

static void test_init_counts(void **state)
{
	struct pmm_stats s = checked_stats();

	assert_int_equal(s.metadata, MAP64_META_FRAMES);
	assert_int_equal(s.managed, MAP64_FREE_FRAMES - MAP64_META_FRAMES);
	assert_int_equal(s.free, s.managed);
	assert_int_equal(s.allocated, 0);
	/* 4..8 MiB, 12..48 MiB (9), 52..60 MiB (2) */
	assert_int_equal(s.free_by_order[PMM_MAX_ORDER], 12);
	assert_non_null(strstr(stub_last_log(), "pmm: "));
}

static void test_alloc_until_exhaustion(void **state)
{
	static paddr_t got[MAP64_FRAMES];
	static bool seen[MAP64_FRAMES];
	uint64_t n = 0;
	paddr_t pa;

	memset(seen, 0, sizeof(seen));
	while (pmm_try_alloc(0, &pa) == 0) {
		uint64_t pfn = pa_pfn(pa);

		assert_true(pa_aligned(pa));
		assert_true(pa.pa >= PMM_LOW_LIMIT + MAP64_META_FRAMES * FRAME_SIZE);
		assert_true(in_free_region(pa.pa));
		assert_false(seen[pfn]);
		seen[pfn] = true;
		assert_int_equal(pmm_refcount(pa), 1);
		tag(pa);
		got[n++] = pa;
	}
	assert_int_equal(pmm_try_alloc(0, &pa), -ENOMEM);
	assert_int_equal(pmm_try_alloc(PMM_MAX_ORDER, &pa), -ENOMEM);
	assert_int_equal(n, initial.managed);
	struct pmm_stats s = checked_stats();
	assert_int_equal(s.free, 0);
	assert_int_equal(s.allocated, n);
	for (uint64_t i = 0; i < n; i++) {
		check_tag(got[i]);
		pmm_free(got[i], 0);
	}
	assert_stats_initial(); /* everything merged back into the same blocks */
}

static void test_alloc_oom_panics(void **state)
{
	paddr_t pa;

	while (pmm_try_alloc(0, &pa) == 0)
		;
	expect_assert_failure(pmm_alloc(0));
	assert_string_equal(stub_last_panic(),
			    "pmm_alloc: out of memory (order 0) for test_alloc_oom_panics");
}

static void test_alignment(void **state)
{
	for (unsigned o = 0; o <= PMM_MAX_ORDER; o++) {
		paddr_t pa;

		assert_int_equal(pmm_try_alloc(o, &pa), 0);
		assert_int_equal(pa.pa % (FRAME_SIZE << o), 0);
		tag(pa);
		tag(pa_add(pa, (FRAME_SIZE << o) - FRAME_SIZE));
		assert_int_equal(stats_now().allocated, 1ull << o);
		pmm_free(pa, o);
		assert_stats_initial();
	}
	paddr_t pa = pmm_alloc(3);
	assert_int_equal(pa.pa % (8 * FRAME_SIZE), 0);
	pmm_free(pa, 3);
	assert_int_equal(pmm_try_alloc(PMM_MAX_ORDER + 1, &pa), -EINVAL);
	assert_stats_initial();
}

static void test_refcount(void **state)
{
	paddr_t pa = pmm_alloc(0);

	assert_int_equal(pmm_refcount(pa), 1);
	pmm_get(pa);
	assert_int_equal(pmm_refcount(pa), 2);
	pmm_put(pa);
	assert_int_equal(pmm_refcount(pa), 1);
	assert_int_equal(stats_now().allocated, 1);
	pmm_put(pa);
	assert_int_equal(pmm_refcount(pa), 0);
	assert_stats_initial();

	pa = pmm_alloc(2);
	pmm_get(pa);
	expect_assert_failure(pmm_free(pa, 2));
	assert_non_null(strstr(stub_last_panic(), "refcount is not 1"));
	pmm_put(pa);
	pmm_free(pa, 2);
	assert_stats_initial();
}

/* Runs call, which must panic with a message containing substr. */
#define expect_panic(call, substr)                                        \
	do {                                                              \
		expect_assert_failure(call);                              \
		if (!strstr(stub_last_panic(), (substr)))                 \
			fail_msg("panic \"%s\" lacks \"%s\"",             \
				 stub_last_panic(), (substr));            \
	} while (0)

static void test_free_panics(void **state)
{
	paddr_t a = pmm_alloc(0), b = pmm_alloc(2);

	expect_panic(pmm_free(PA(a.pa + 8), 0), "pmm_free: ");
	expect_panic(pmm_free(PA(a.pa + 8), 0), "not frame-aligned");
	expect_panic(pmm_free(PA(0), 0), "not managed");
	expect_panic(pmm_free(PA(0x9000), 0), "not managed");      /* below 1 MiB */
	expect_panic(pmm_free(PA(0x800000), 0), "not managed");    /* the kernel */
	expect_panic(pmm_free(PA(SIM_SIZE), 0), "not managed");    /* past the span */
	expect_panic(pmm_free(PA(PMM_LOW_LIMIT), 0), "not allocated"); /* frame info */
	expect_panic(pmm_free(b, 1), "size mismatch");
	expect_panic(pmm_free(b, 3), "not aligned to it");
	expect_panic(pmm_free(pa_add(b, FRAME_SIZE), 1), "not aligned to it");
	expect_panic(pmm_free(pa_add(b, FRAME_SIZE), 0), "not allocated");
	expect_panic(pmm_free(b, PMM_MAX_ORDER + 1), "bad size");
	pmm_free(a, 0);
	expect_panic(pmm_free(a, 0), "not allocated (double free?)");
	expect_panic(pmm_get(a), "pmm_get: ");
	expect_panic(pmm_put(a), "pmm_put: ");
	assert_int_equal(pmm_refcount(a), 0);
	assert_int_equal(pmm_refcount(PA(0)), 0);
	assert_int_equal(pmm_refcount(PA(a.pa + 8)), 0);
	pmm_free(b, 2); /* the panics left the allocator usable */
	assert_stats_initial();
}

static void test_add_range_reclaim(void **state)
{
	struct pmm_stats s;
	paddr_t pa;
	bool reclaimed_used = false;

	pmm_add_range(PA(0x900000), 0x100);             /* firmware-boot */
	s = checked_stats();
	assert_int_equal(s.managed, initial.managed + 0x100);
	assert_int_equal(s.free, initial.free + 0x100);
	assert_int_equal(s.free_by_order[8], initial.free_by_order[8] + 1);
	pmm_add_range(PA(0xa00000), 0x100);             /* loader */
	pmm_add_range(PA(0x9f000), 0x61);               /* below 1 MiB: kept out */
	s = checked_stats();
	assert_int_equal(s.managed, initial.managed + 0x200);
	assert_int_equal(s.metadata, initial.metadata);
	while (pmm_try_alloc(0, &pa) == 0)
		reclaimed_used |= pa.pa >= 0x900000 && pa.pa < 0xb00000;
	assert_true(reclaimed_used);
	assert_int_equal(stats_now().allocated, initial.managed + 0x200);
}

static void test_add_range_panics(void **state)
{
	struct pmm_stats s, after;

	pmm_add_range(PA(0x900000), 0x100);
	s = checked_stats();

	expect_panic(pmm_add_range(PA(0x900000), 0x100),
		     "pmm_add_range: 0x900000: range already managed");
	expect_panic(pmm_add_range(PA(0x9ff000), 2), "already managed");    /* one frame overlaps */
	expect_panic(pmm_add_range(PA(0xc00000), 1), "already managed");    /* free at boot */
	expect_panic(pmm_add_range(PA(0x100000), 1), "already managed");    /* frame info */
	expect_panic(pmm_add_range(PA(0x80000), 0x100), "already managed"); /* straddles 1 MiB */
	expect_panic(pmm_add_range(PA(0x3f00000), 0x101), "leaves the frame-info array");
	expect_panic(pmm_add_range(PA(0xfec00000), 1), "leaves the frame-info array");
	expect_panic(pmm_add_range(PA(0xa00800), 1), "not frame-aligned");
	after = checked_stats(); /* the panics changed nothing */
	assert_memory_equal(&after, &s, sizeof(s));
}

static void test_alloc_pages_exact(void **state)
{
	paddr_t pa, pa2, pa3;

	for (uint64_t n = 1; n <= 1ull << PMM_MAX_ORDER; n++) {
		uint64_t pow2 = 1;

		while (pow2 < n)
			pow2 <<= 1;
		assert_int_equal(pmm_try_alloc_pages(n, &pa), 0);
		assert_int_equal(pa.pa % (pow2 * FRAME_SIZE), 0);
		struct pmm_stats s = checked_stats();
		assert_int_equal(s.allocated, n);
		assert_int_equal(s.free, initial.free - n);
		for (uint64_t i = 0; i < n; i++)
			tag(pa_add(pa, i * FRAME_SIZE));
		for (uint64_t i = 0; i < n; i++)
			check_tag(pa_add(pa, i * FRAME_SIZE));
		pmm_free_pages(pa, n);
		assert_stats_initial();
	}
	assert_int_equal(pmm_try_alloc_pages(0, &pa), -EINVAL);
	assert_int_equal(pmm_try_alloc_pages((1ull << PMM_MAX_ORDER) + 1, &pa), -EINVAL);

	/* 5 pages: blocks of 4 + 1 allocated, the other 3 of the 8 freed (1 + 2). */
	assert_int_equal(pmm_try_alloc_pages(5, &pa), 0);
	assert_int_equal(pmm_try_alloc_pages(2, &pa2), 0);
	assert_int_equal(pa2.pa, pa.pa + 6 * FRAME_SIZE);
	assert_int_equal(pmm_try_alloc_pages(1, &pa3), 0);
	assert_int_equal(pa3.pa, pa.pa + 5 * FRAME_SIZE);
	expect_panic(pmm_free(pa_add(pa, FRAME_SIZE), 0), "not allocated");
	expect_panic(pmm_free_pages(pa, 6), "size mismatch");
	expect_panic(pmm_free_pages(pa, 3), "size mismatch");
	expect_panic(pmm_free_pages(pa, 0), "bad size");
	expect_panic(pmm_free_pages(PA(pa.pa + 1), 5), "not frame-aligned");
	expect_panic(pmm_free_pages(pa_add(pa, FRAME_SIZE), 2), "not aligned to it");
	pmm_free_pages(pa2, 2);
	pmm_free(pa3, 0);
	pmm_free_pages(pa, 5);
	assert_stats_initial();
}

static void test_fail_after(void **state)
{
	paddr_t pa[8];

	pmm_fail_after(3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(pmm_try_alloc(0, &pa[i]), 0);
	assert_int_equal(pmm_try_alloc(0, &pa[3]), -ENOMEM);
	assert_int_equal(pmm_try_alloc(0, &pa[3]), -ENOMEM);
	assert_int_equal(pmm_try_alloc_pages(5, &pa[3]), -ENOMEM);
	pa[3] = pmm_alloc(0); /* the kernel path ignores injection */
	assert_int_equal(stats_now().allocated, 4);
	pmm_fail_after(UINT64_MAX);
	assert_int_equal(pmm_try_alloc(0, &pa[4]), 0);
	pmm_fail_after(0);
	assert_int_equal(pmm_try_alloc(0, &pa[5]), -ENOMEM);
	pmm_fail_after(UINT64_MAX);
	for (int i = 0; i < 5; i++)
		pmm_free(pa[i], 0);
	assert_stats_initial();
}

/* xorshift64*: deterministic, good enough to pick operations. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

struct live {
	paddr_t pa;
	uint64_t pages;
	unsigned order; /* for a block from pmm_try_alloc; runs have pages != 1 << order */
	bool run;
	uint32_t refs;
};

static struct live lives[MAP64_FRAMES];
static size_t live_count;
static bool model_used[MAP64_FRAMES];
static uint64_t model_frames;

/* Records a new allocation in the model, failing on any frame already in use. */
static void model_add(paddr_t pa, uint64_t pages, unsigned order, bool run)
{
	for (uint64_t i = 0; i < pages; i++) {
		uint64_t pfn = pa_pfn(pa) + i;

		assert_true(pfn >= PMM_LOW_LIMIT / FRAME_SIZE + MAP64_META_FRAMES);
		assert_true(in_free_region(pfn * FRAME_SIZE));
		assert_false(model_used[pfn]);
		model_used[pfn] = true;
	}
	tag(pa);
	model_frames += pages;
	lives[live_count++] = (struct live){ pa, pages, order, run, 1 };
}

/* Drops one reference to lives[i]; frees it in the allocator and the model at zero. */
static void model_release(size_t i)
{
	struct live *l = &lives[i];

	check_tag(l->pa);
	if (l->refs > 1) {
		pmm_put(l->pa);
		l->refs--;
		return;
	}
	if (l->run)
		pmm_free_pages(l->pa, l->pages);
	else if (rng() & 1)
		pmm_free(l->pa, l->order);
	else
		pmm_put(l->pa);
	for (uint64_t p = 0; p < l->pages; p++)
		model_used[pa_pfn(l->pa) + p] = false;
	model_frames -= l->pages;
	*l = lives[--live_count];
}

static void assert_no_block_from(unsigned order)
{
	struct pmm_stats s = stats_now();

	for (unsigned o = order; o <= PMM_MAX_ORDER; o++)
		assert_int_equal(s.free_by_order[o], 0);
}

static void test_random_stress(void **state)
{
	unsigned failures = 0;

	memset(model_used, 0, sizeof(model_used));
	live_count = 0;
	model_frames = 0;
	for (int op = 0; op < 100000; op++) {
		/* Alternate 10k-op phases that fill memory and that drain it:
		 * percent limits for alloc, alloc_pages, release (rest: get). */
		static const unsigned fill[3] = { 40, 55, 90 }, drain[3] = { 20, 30, 90 };
		const unsigned *limit = (op / 10000) % 2 ? drain : fill;
		uint64_t choice = rng() % 100;
		paddr_t pa;

		if (choice < limit[0]) {
			unsigned order = (unsigned)__builtin_ctzll(rng() | 1ull << 40) / 2;

			if (order > 6)
				order = 6;
			if (pmm_try_alloc(order, &pa) == 0) {
				assert_int_equal(pa.pa % (FRAME_SIZE << order), 0);
				model_add(pa, 1ull << order, order, false);
			} else {
				assert_no_block_from(order);
				failures++;
			}
		} else if (choice < limit[1]) {
			uint64_t pages = 1 + rng() % 40;
			unsigned order = 0;

			while ((1ull << order) < pages)
				order++;
			if (pmm_try_alloc_pages(pages, &pa) == 0) {
				model_add(pa, pages, order, true);
			} else {
				assert_no_block_from(order);
				failures++;
			}
		} else if (choice < limit[2]) {
			if (live_count)
				model_release(rng() % live_count);
		} else if (live_count) {
			struct live *l = &lives[rng() % live_count];

			if (!l->run) {
				pmm_get(l->pa);
				l->refs++;
				assert_int_equal(pmm_refcount(l->pa), l->refs);
			}
		}
		struct pmm_stats s = op % 1000 ? stats_now() : checked_stats();
		assert_int_equal(s.allocated, model_frames);
		assert_int_equal(s.free, s.managed - model_frames);
	}
	assert_true(failures > 0); /* memory ran out at times: the -ENOMEM path ran */
	while (live_count)
		model_release(live_count - 1);
	assert_stats_initial();
}

/*
 * A 16 GiB guest (RAM at 1 MiB..2 GiB and 4..18 GiB) where only the frame
 * info exists as simulated memory, exactly as large as it must be: any
 * touch of a free frame fails the test (phys_to_virt) or trips ASan.
 */
static const struct boot_region map16g[] = {
	R(0x0, 0x9f, MEM_FREE),
	R(0x100000, 0x700, MEM_FREE),               /* 1..8 MiB: too small for frame info */
	R(0x800000, 0x800, MEM_KERNEL),
	R(0x1000000, 0x7e000, MEM_FREE),            /* 16..2032 MiB: frame info here */
	R(0x7f000000, 0x800, MEM_FIRMWARE_BOOT),    /* 2032..2040 MiB */
	R(0x7f800000, 0x400, MEM_ACPI_RECLAIM),
	R(0x7fc00000, 0x400, MEM_ACPI_NVS),
	R(0xfec00000, 1, MEM_MMIO),
	R(0x100000000, 0x380000, MEM_FREE),         /* 4..18 GiB */
};
#define MAP16G_SPAN (18 * GIB / FRAME_SIZE)
#define MAP16G_META_FRAMES ((MAP16G_SPAN * 8 + MAP16G_SPAN / 8 + FRAME_SIZE - 1) / FRAME_SIZE)

static void test_init_16g_sparse(void **state)
{
	uint8_t *meta = aligned_alloc(FRAME_SIZE, MAP16G_META_FRAMES * FRAME_SIZE);
	uint8_t *saved_mem = sim_mem;
	uint64_t blocks = 0;
	paddr_t pa;

	assert_non_null(meta);
	memset(meta, 0xa5, MAP16G_META_FRAMES * FRAME_SIZE);
	sim_mem = meta;
	sim_base = 16 * MIB;
	sim_size = MAP16G_META_FRAMES * FRAME_SIZE;
	pmm_init(map16g, sizeof(map16g) / sizeof(map16g[0]));

	struct pmm_stats s = checked_stats();
	assert_int_equal(s.metadata, MAP16G_META_FRAMES);
	assert_int_equal(s.managed + s.metadata, 0x700 + 0x7e000 + 0x380000);
	/* 4..8 MiB, 56..2032 MiB after the frame info, 4..18 GiB */
	assert_int_equal(s.free_by_order[PMM_MAX_ORDER], 1 + 494 + 3584);
	pmm_add_range(PA(0x7f000000), 0x800 + 0x400);   /* reclaim firmware-boot, ACPI */
	assert_int_equal(stats_now().managed, s.managed + 0xc00);
	while (pmm_try_alloc(PMM_MAX_ORDER, &pa) == 0) {
		assert_int_equal(pa.pa % (4 * MIB), 0);
		assert_true(pa.pa >= 4 * MIB && pa.pa + 4 * MIB <= 18 * GIB);
		blocks++;
	}
	assert_int_equal(blocks, 1 + 494 + 3584 + 3);
	pa = pmm_alloc(0);
	assert_true(pa.pa >= 52 * MIB && pa.pa < 56 * MIB);
	pmm_free(pa, 0);

	sim_mem = saved_mem;
	free(meta);
}

static void test_init_without_room_panics(void **state)
{
	static const struct boot_region tiny[] = {
		R(0x100000, 4, MEM_FREE),
		R(0x200000, 0x10000, MEM_KERNEL),
	};

	expect_panic(pmm_init(tiny, 2), "pmm_init: no free region above 1 MiB");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_init_counts, setup64),
		cmocka_unit_test_setup(test_alloc_until_exhaustion, setup64),
		cmocka_unit_test_setup(test_alloc_oom_panics, setup64),
		cmocka_unit_test_setup(test_alignment, setup64),
		cmocka_unit_test_setup(test_refcount, setup64),
		cmocka_unit_test_setup(test_free_panics, setup64),
		cmocka_unit_test_setup(test_add_range_reclaim, setup64),
		cmocka_unit_test_setup(test_add_range_panics, setup64),
		cmocka_unit_test_setup(test_alloc_pages_exact, setup64),
		cmocka_unit_test_setup(test_fail_after, setup64),
		cmocka_unit_test_setup(test_random_stress, setup64),
		cmocka_unit_test(test_init_16g_sparse),
		cmocka_unit_test(test_init_without_room_panics),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
