/* Host unit tests of the loader's page-table builder against simulated physical memory. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "shared/paging.h"
#include "shared/boot_info.h"

/* Simulated RAM: page tables live in SIM_PAGES pages starting at SIM_BASE. */
#define SIM_BASE  0x100000ull
#define SIM_PAGES 4096u

#define KERNEL_PA 0x1000000ull   /* 2 MiB-aligned physical load address */
#define STACK_PA  0x3000000ull
#define TRAMPOLINE_PA 0x8000ull  /* identity-mapped hand-off page */
#define DIRECT_MAP_SIZE (5 * PAGE_SIZE_1G)

struct sim_ram {
	uint8_t *mem;
	unsigned next;   /* pages handed out so far */
	unsigned budget; /* pages alloc_table may still hand out */
};

struct fixture {
	struct sim_ram ram;
	struct paging_ctx ctx;
};

/* Hands out pages in order, filled with garbage that paging must clear. */
static uint64_t sim_alloc(void *arg)
{
	struct sim_ram *ram = arg;

	if (ram->budget == 0 || ram->next == SIM_PAGES)
		return 0;
	ram->budget--;
	memset(ram->mem + (uint64_t)ram->next * PAGE_SIZE, 0xa5, PAGE_SIZE);
	return SIM_BASE + (uint64_t)ram->next++ * PAGE_SIZE;
}

/* Fails the test for any pa that is not a page alloc_table handed out. */
static void *sim_table_ptr(void *arg, uint64_t pa)
{
	struct sim_ram *ram = arg;

	if (pa < SIM_BASE || (pa & (PAGE_SIZE - 1)) != 0 ||
	    (pa - SIM_BASE) / PAGE_SIZE >= ram->next)
		fail_msg("table_ptr: pa %#llx is not an allocated table",
			 (unsigned long long)pa);
	return ram->mem + (pa - SIM_BASE);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->ram.mem = calloc(SIM_PAGES, PAGE_SIZE);
	assert_non_null(f->ram.mem);
	f->ram.budget = SIM_PAGES;
	f->ctx.alloc_table = sim_alloc;
	f->ctx.table_ptr = sim_table_ptr;
	f->ctx.arg = &f->ram;
	f->ctx.allow_1g = true;
	assert_int_equal(paging_init(&f->ctx), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	free(f->ram.mem);
	free(f);
	return 0;
}

/* Raw entry for va at `level` in the tree at root_pa, found independently
 * of paging_walk. */
static pte_t *sim_entry_in(struct fixture *f, uint64_t root_pa, uint64_t va, unsigned level)
{
	pte_t *table = sim_table_ptr(&f->ram, root_pa);

	for (unsigned at = PT_LEVELS; at > level; at--) {
		pte_t entry = table[pt_index(va, at)];

		assert_true(pte_is_present(entry) && !pte_is_leaf(entry, at));
		table = sim_table_ptr(&f->ram, entry & PTE_ADDR_MASK);
	}
	return &table[pt_index(va, level)];
}

static pte_t *sim_entry(struct fixture *f, uint64_t va, unsigned level)
{
	return sim_entry_in(f, f->ctx.pml4_pa, va, level);
}

/* Asserts va maps to pa with `page_size` pages and returns the leaf flags. */
static uint64_t expect_mapped(struct fixture *f, uint64_t va, uint64_t pa,
			      uint64_t page_size)
{
	uint64_t got_pa = 0, flags = 0, got_size = 0;

	assert_int_equal(paging_translate(&f->ctx, va, &got_pa, &flags, &got_size), 0);
	assert_int_equal(got_pa, pa);
	assert_int_equal(got_size, page_size);
	assert_true(flags & PTE_PRESENT);
	assert_int_equal((flags & PTE_HUGE) != 0, page_size != PAGE_SIZE);
	return flags;
}

static void expect_unmapped(struct fixture *f, uint64_t va)
{
	assert_int_equal(paging_translate(&f->ctx, va, NULL, NULL, NULL),
			 -PAGING_ENOENT);
}

static void map_ok(struct fixture *f, uint64_t va, uint64_t pa, uint64_t size,
		   uint64_t flags)
{
	assert_int_equal(paging_map(&f->ctx, va, pa, size, flags), 0);
}

static void test_errno_values_are_linux(void **state)
{
	(void)state;
	assert_int_equal(PAGING_ENOENT, ENOENT);
	assert_int_equal(PAGING_ENOMEM, ENOMEM);
	assert_int_equal(PAGING_EEXIST, EEXIST);
	assert_int_equal(PAGING_EINVAL, EINVAL);
}

static void test_pte_helpers(void **state)
{
	uint64_t va = 0xffffffff80201000ull;

	(void)state;
	assert_int_equal(pt_index(va, 4), 511);
	assert_int_equal(pt_index(va, 3), 510);
	assert_int_equal(pt_index(va, 2), 1);
	assert_int_equal(pt_index(va, 1), 1);
	assert_int_equal(pt_level_size(1), PAGE_SIZE);
	assert_int_equal(pt_level_size(2), PAGE_SIZE_2M);
	assert_int_equal(pt_level_size(3), PAGE_SIZE_1G);
	assert_true(pt_va_is_canonical(0x00007fffffffffffull));
	assert_true(pt_va_is_canonical(0xffff800000000000ull));
	assert_false(pt_va_is_canonical(0x0000800000000000ull));
	assert_false(pt_va_is_canonical(0xffff7fffffffffffull));
	assert_int_equal(pte_leaf_addr_mask(1), PTE_ADDR_MASK);
	assert_int_equal(pte_leaf_addr_mask(2), 0x000fffffffe00000ull);
	assert_int_equal(pte_leaf_addr_mask(3), 0x000fffffc0000000ull);
	assert_false(pte_is_leaf(PTE_PRESENT | PTE_HUGE, 4));
	assert_true(pte_is_leaf(PTE_PRESENT | PTE_PAT, 1));
	assert_false(pte_is_leaf(PTE_HUGE, 2));
}

static void test_init_allocates_zeroed_pml4(void **state)
{
	struct fixture *f = *state;
	pte_t *pml4 = sim_table_ptr(&f->ram, f->ctx.pml4_pa);

	assert_int_equal(f->ctx.pml4_pa, SIM_BASE);
	assert_int_equal(f->ctx.tables_allocated, 1);
	for (unsigned i = 0; i < PT_ENTRIES; i++)
		assert_int_equal(pml4[i], 0);
	expect_unmapped(f, 0);
	expect_unmapped(f, BOOT_KERNEL_IMAGE_VA);
}

static void test_init_without_memory_is_enomem(void **state)
{
	struct fixture *f = *state;

	f->ram.budget = 0;
	assert_int_equal(paging_init(&f->ctx), -PAGING_ENOMEM);
	assert_int_equal(f->ctx.tables_allocated, 0);
	f->ctx.alloc_table = NULL;
	assert_int_equal(paging_init(&f->ctx), -PAGING_EINVAL);
}

struct segment {
	uint64_t offset; /* from the image base, virtual and physical */
	uint64_t size;
	uint64_t flags;
};

/* text 2 MiB + 12 KiB (one 2 MiB page + 4 KiB ones), rodata, data + bss. */
static const struct segment kernel_segments[] = {
	{ 0x000000, 0x203000, PTE_GLOBAL },                      /* RX */
	{ 0x203000, 0x005000, PTE_GLOBAL | PTE_NX },             /* R  */
	{ 0x208000, 0x013000, PTE_GLOBAL | PTE_WRITE | PTE_NX }, /* RW */
};
#define KERNEL_END_OFFSET 0x21b000ull

static void map_kernel_image(struct fixture *f)
{
	for (size_t i = 0; i < sizeof(kernel_segments) / sizeof(kernel_segments[0]); i++) {
		const struct segment *s = &kernel_segments[i];

		map_ok(f, BOOT_KERNEL_IMAGE_VA + s->offset, KERNEL_PA + s->offset,
		       s->size, s->flags);
	}
}

static void test_kernel_image_segments_are_w_xor_x(void **state)
{
	struct fixture *f = *state;

	map_kernel_image(f);
	/* PML4 + PDPT + PD + one PT for the 4 KiB tail. */
	assert_int_equal(f->ctx.tables_allocated, 4);
	for (size_t i = 0; i < sizeof(kernel_segments) / sizeof(kernel_segments[0]); i++) {
		const struct segment *s = &kernel_segments[i];

		for (uint64_t off = s->offset; off < s->offset + s->size; off += PAGE_SIZE) {
			uint64_t size = off < PAGE_SIZE_2M ? PAGE_SIZE_2M : PAGE_SIZE;
			uint64_t flags = expect_mapped(f, BOOT_KERNEL_IMAGE_VA + off,
						       KERNEL_PA + off, size);
			uint64_t mask = PTE_WRITE | PTE_NX | PTE_USER | PTE_GLOBAL;

			assert_int_equal(flags & mask, s->flags);
			assert_false((flags & PTE_WRITE) && !(flags & PTE_NX));
		}
	}
	expect_unmapped(f, BOOT_KERNEL_IMAGE_VA + KERNEL_END_OFFSET);
	expect_unmapped(f, BOOT_KERNEL_IMAGE_VA - PAGE_SIZE);
}

static void map_boot_stack(struct fixture *f)
{
	map_ok(f, BOOT_KERNEL_AREA_VA + PAGE_SIZE, STACK_PA,
	       BOOT_STACK_PAGES * PAGE_SIZE, PTE_WRITE | PTE_NX);
}

static void test_boot_stack_has_unmapped_guard(void **state)
{
	struct fixture *f = *state;
	uint64_t bottom = BOOT_KERNEL_AREA_VA + PAGE_SIZE;
	uint64_t top = bottom + BOOT_STACK_PAGES * PAGE_SIZE;

	map_boot_stack(f);
	for (uint64_t va = bottom; va < top; va += PAGE_SIZE) {
		uint64_t flags = expect_mapped(f, va, STACK_PA + (va - bottom), PAGE_SIZE);

		assert_int_equal(flags & (PTE_WRITE | PTE_NX | PTE_USER), PTE_WRITE | PTE_NX);
	}
	expect_unmapped(f, BOOT_KERNEL_AREA_VA);             /* guard page */
	expect_unmapped(f, BOOT_KERNEL_AREA_VA + PAGE_SIZE - 1);
	expect_unmapped(f, top);
	expect_mapped(f, top - 8, STACK_PA + BOOT_STACK_PAGES * PAGE_SIZE - 8, PAGE_SIZE);
}

/* Every frame of the first 64 MiB, then a stride, maps to direct map + pa. */
static void expect_direct_map(struct fixture *f, uint64_t end, uint64_t page_size)
{
	for (uint64_t pa = 0; pa < end; pa += pa < (64ull << 20) ? PAGE_SIZE : 0x1001000) {
		uint64_t flags = expect_mapped(f, BOOT_DIRECT_MAP_VA + pa, pa, page_size);

		assert_int_equal(flags & (PTE_WRITE | PTE_NX | PTE_USER), PTE_WRITE | PTE_NX);
	}
	expect_mapped(f, BOOT_DIRECT_MAP_VA + end - 1, end - 1, page_size);
	expect_unmapped(f, BOOT_DIRECT_MAP_VA + end);
}

static void test_direct_map_uses_1g_pages(void **state)
{
	struct fixture *f = *state;

	map_ok(f, BOOT_DIRECT_MAP_VA, 0, DIRECT_MAP_SIZE, PTE_WRITE | PTE_NX);
	assert_int_equal(f->ctx.tables_allocated, 2); /* PML4 + PDPT */
	expect_direct_map(f, DIRECT_MAP_SIZE, PAGE_SIZE_1G);
}

static void test_direct_map_uses_2m_pages_without_1g(void **state)
{
	struct fixture *f = *state;

	f->ctx.allow_1g = false;
	map_ok(f, BOOT_DIRECT_MAP_VA, 0, DIRECT_MAP_SIZE, PTE_WRITE | PTE_NX);
	assert_int_equal(f->ctx.tables_allocated, 7); /* PML4 + PDPT + 5 PDs */
	expect_direct_map(f, DIRECT_MAP_SIZE, PAGE_SIZE_2M);
}

/* Page size paging_map must pick for the odd range below. */
static uint64_t odd_range_page_size(uint64_t pa)
{
	if (pa >= 0x180000000ull && pa < 0x1c0000000ull)
		return PAGE_SIZE_1G;
	if (pa >= 0x1c0000000ull && pa < 0x1c0400000ull)
		return PAGE_SIZE_2M;
	return PAGE_SIZE;
}

static void test_direct_map_odd_range_edges_use_4k(void **state)
{
	struct fixture *f = *state;
	uint64_t start = 0x17fe03000ull, end = 0x1c0405000ull;

	map_ok(f, BOOT_DIRECT_MAP_VA, 0, DIRECT_MAP_SIZE, PTE_WRITE | PTE_NX);
	map_ok(f, BOOT_DIRECT_MAP_VA + start, start, end - start, PTE_WRITE | PTE_NX);
	/* 2 for the 5 GiB, then a PD and a PT at each edge. */
	assert_int_equal(f->ctx.tables_allocated, 6);
	for (uint64_t pa = start; pa < end;) {
		uint64_t size = odd_range_page_size(pa);

		expect_mapped(f, BOOT_DIRECT_MAP_VA + pa, pa, size);
		pa += size == PAGE_SIZE_1G ? 0x3001000 : PAGE_SIZE;
	}
	expect_unmapped(f, BOOT_DIRECT_MAP_VA + start - PAGE_SIZE);
	expect_unmapped(f, BOOT_DIRECT_MAP_VA + end);
	expect_mapped(f, BOOT_DIRECT_MAP_VA + DIRECT_MAP_SIZE - PAGE_SIZE,
		      DIRECT_MAP_SIZE - PAGE_SIZE, PAGE_SIZE_1G);
}

static void test_alignment_of_both_addresses_decides_page_size(void **state)
{
	struct fixture *f = *state;
	uint64_t va = 0xffff900000000000ull; /* 1 GiB-aligned */

	/* pa only 4 KiB-aligned: 4 KiB pages throughout, two PTs. */
	map_ok(f, va, 0x40001000ull, 4ull << 20, PTE_NX);
	assert_int_equal(f->ctx.tables_allocated, 5);
	for (uint64_t off = 0; off < (4ull << 20); off += PAGE_SIZE)
		expect_mapped(f, va + off, 0x40001000ull + off, PAGE_SIZE);
	/* pa only 2 MiB-aligned: 2 MiB pages even though 1 GiB is allowed. */
	va += PAGE_SIZE_1G;
	map_ok(f, va, 0x80200000ull, PAGE_SIZE_1G, PTE_NX);
	expect_mapped(f, va, 0x80200000ull, PAGE_SIZE_2M);
	expect_mapped(f, va + PAGE_SIZE_1G - 1, 0x80200000ull + PAGE_SIZE_1G - 1,
		      PAGE_SIZE_2M);
}

static void test_translate_keeps_page_offset(void **state)
{
	struct fixture *f = *state;
	uint64_t pa, flags, size;

	map_ok(f, 0x40000000ull, 0x80000000ull, PAGE_SIZE_1G, 0);
	map_ok(f, 0x200000ull, 0x600000ull, PAGE_SIZE_2M, 0);
	map_ok(f, 0x1000ull, 0x5000ull, PAGE_SIZE, 0);
	expect_mapped(f, 0x40000000ull + 0x12345678, 0x80000000ull + 0x12345678, PAGE_SIZE_1G);
	expect_mapped(f, 0x200000ull + 0x1abcde, 0x600000ull + 0x1abcde, PAGE_SIZE_2M);
	expect_mapped(f, 0x1fffull, 0x5fffull, PAGE_SIZE);
	assert_int_equal(paging_translate(&f->ctx, 0x1234, &pa, NULL, NULL), 0);
	assert_int_equal(pa, 0x5234);
	assert_int_equal(paging_translate(&f->ctx, 0x1234, NULL, &flags, &size), 0);
	assert_int_equal(flags, PTE_PRESENT);
	assert_int_equal(size, PAGE_SIZE);
}

static void test_translate_unmapped_or_noncanonical(void **state)
{
	struct fixture *f = *state;

	map_ok(f, 0x1000ull, 0x5000ull, PAGE_SIZE, 0);
	expect_unmapped(f, 0);      /* same PT, empty entry */
	expect_unmapped(f, 0x200000ull); /* same PD, empty entry */
	expect_unmapped(f, BOOT_DIRECT_MAP_VA + 0x1000); /* empty PML4 entry */
	assert_int_equal(paging_translate(&f->ctx, 0x0000800000001000ull, NULL, NULL, NULL),
			 -PAGING_EINVAL);
}

static void test_double_map_is_eexist_and_changes_nothing(void **state)
{
	struct fixture *f = *state;
	uint64_t va = 0xffff900000400000ull;
	uint64_t tables;

	map_ok(f, va, 0x100000000ull, 2 * PAGE_SIZE, PTE_NX);
	tables = f->ctx.tables_allocated;
	assert_int_equal(paging_map(&f->ctx, va, 0x100000000ull, 2 * PAGE_SIZE, PTE_NX),
			 -PAGING_EEXIST);
	/* Overlap at the end only: the free head must not be mapped either. */
	assert_int_equal(paging_map(&f->ctx, va - PAGE_SIZE, 0x200000000ull, 2 * PAGE_SIZE, 0),
			 -PAGING_EEXIST);
	/* Overlap at the end, head in tables that do not exist yet. */
	assert_int_equal(paging_map(&f->ctx, va - PAGE_SIZE_1G, 0, PAGE_SIZE_1G + PAGE_SIZE, 0),
			 -PAGING_EEXIST);
	expect_unmapped(f, va - PAGE_SIZE);
	expect_unmapped(f, va - PAGE_SIZE_1G);
	assert_int_equal(f->ctx.tables_allocated, tables);
	expect_mapped(f, va + PAGE_SIZE, 0x100001000ull, PAGE_SIZE);
}

static void test_map_into_huge_page_is_eexist(void **state)
{
	struct fixture *f = *state;
	uint64_t va2m = 0xffffa00000200000ull, va1g = 0xffffa00040000000ull;

	map_ok(f, va2m, 0x200000ull, PAGE_SIZE_2M, PTE_WRITE | PTE_NX);
	map_ok(f, va1g, 0x40000000ull, PAGE_SIZE_1G, PTE_WRITE | PTE_NX);
	assert_int_equal(paging_map(&f->ctx, va2m + 0x5000, 0x5000, PAGE_SIZE, 0),
			 -PAGING_EEXIST);
	assert_int_equal(paging_map(&f->ctx, va1g + PAGE_SIZE_2M, 0, PAGE_SIZE_2M, 0),
			 -PAGING_EEXIST);
	assert_int_equal(paging_map(&f->ctx, va1g + 0x7000, 0x7000, PAGE_SIZE, 0),
			 -PAGING_EEXIST);
	/* Starts in a free page just below the 2 MiB page. */
	assert_int_equal(paging_map(&f->ctx, va2m - PAGE_SIZE, 0, 2 * PAGE_SIZE, 0),
			 -PAGING_EEXIST);
	expect_unmapped(f, va2m - PAGE_SIZE);
	expect_mapped(f, va2m + 0x5000, 0x205000ull, PAGE_SIZE_2M);
	expect_mapped(f, va1g + 0x7000, 0x40007000ull, PAGE_SIZE_1G);
}

static void test_huge_page_over_table_is_eexist(void **state)
{
	struct fixture *f = *state;
	uint64_t va = 0xffffb00000000000ull; /* 1 GiB-aligned */
	uint64_t tables;

	map_ok(f, va + PAGE_SIZE_2M + 0x3000, 0x3000, PAGE_SIZE, 0);
	tables = f->ctx.tables_allocated;
	/* A 2 MiB page where a PT is, a 1 GiB page where a PD is. */
	assert_int_equal(paging_map(&f->ctx, va + PAGE_SIZE_2M, 0, PAGE_SIZE_2M, 0),
			 -PAGING_EEXIST);
	assert_int_equal(paging_map(&f->ctx, va, 0, PAGE_SIZE_1G, 0), -PAGING_EEXIST);
	assert_int_equal(f->ctx.tables_allocated, tables);
	expect_unmapped(f, va);
	/* The free 2 MiB next to the PT is still usable as a huge page. */
	map_ok(f, va, 0, PAGE_SIZE_2M, 0);
	expect_mapped(f, va + 0x1000, 0x1000, PAGE_SIZE_2M);
}

static void test_invalid_arguments_are_einval(void **state)
{
	struct fixture *f = *state;
	const struct {
		uint64_t va, pa, size, flags;
	} bad[] = {
		{ 0x1001, 0, PAGE_SIZE, 0 },                  /* va misaligned */
		{ 0x1000, 0x10, PAGE_SIZE, 0 },               /* pa misaligned */
		{ 0x1000, 0, 0x1800, 0 },                     /* size misaligned */
		{ 0x1000, 0, 0, 0 },                          /* empty */
		{ 0x0000800000000000ull, 0, PAGE_SIZE, 0 },   /* non-canonical */
		{ 0xffff7ffffffff000ull, 0, PAGE_SIZE, 0 },   /* non-canonical */
		{ 0x00007ffffffff000ull, 0, 2 * PAGE_SIZE, 0 }, /* into the hole */
		{ 0x00007ffffffff000ull, 0, 0xffff000000002000ull, 0 }, /* across it */
		{ 0xfffffffffffff000ull, 0, 2 * PAGE_SIZE, 0 }, /* wraps */
		{ 0x1000, PTE_PA_LIMIT, PAGE_SIZE, 0 },        /* pa too high */
		{ 0x1000, PTE_PA_LIMIT - PAGE_SIZE, 2 * PAGE_SIZE, 0 },
		{ 0x1000, 0, PAGE_SIZE, PTE_HUGE },            /* not a leaf flag */
		{ 0x1000, 0, PAGE_SIZE, PTE_ACCESSED | PTE_DIRTY },
		{ 0x1000, 0, PAGE_SIZE, 0x5000 },              /* address bits */
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(paging_map(&f->ctx, bad[i].va, bad[i].pa, bad[i].size,
					    bad[i].flags), -PAGING_EINVAL);
	assert_int_equal(f->ctx.tables_allocated, 1);
	expect_unmapped(f, 0x1000);
	expect_unmapped(f, 0x00007ffffffff000ull);
	expect_unmapped(f, 0xfffffffffffff000ull);
}

static void test_address_space_limits_are_mappable(void **state)
{
	struct fixture *f = *state;

	map_ok(f, 0xfffffffffffff000ull, 0x7000, PAGE_SIZE, 0);
	map_ok(f, 0x00007fffc0000000ull, PTE_PA_LIMIT - PAGE_SIZE_1G, PAGE_SIZE_1G, 0);
	map_ok(f, 0xffff800000000000ull, PTE_PA_LIMIT - PAGE_SIZE, PAGE_SIZE, PTE_PRESENT);
	expect_mapped(f, 0xffffffffffffffffull, 0x7fffull, PAGE_SIZE);
	expect_mapped(f, 0x00007fffffffffffull, PTE_PA_LIMIT - 1, PAGE_SIZE_1G);
	expect_mapped(f, 0xffff800000000fffull, PTE_PA_LIMIT - 1, PAGE_SIZE);
}

static void test_out_of_memory_is_enomem(void **state)
{
	struct fixture *f = *state;
	uint64_t va = 0xffffc00000200000ull;

	f->ram.budget = 2; /* the page needs PDPT, PD and PT */
	assert_int_equal(paging_map(&f->ctx, va, 0x9000, PAGE_SIZE, PTE_NX), -PAGING_ENOMEM);
	assert_int_equal(f->ctx.tables_allocated, 3);
	expect_unmapped(f, va);
	/* Documented: partial tables stay, and a retry with memory completes. */
	f->ram.budget = 1;
	map_ok(f, va, 0x9000, PAGE_SIZE, PTE_NX);
	assert_int_equal(f->ctx.tables_allocated, 4);
	/* A neighbour in the same PT needs no memory at all. */
	map_ok(f, va + PAGE_SIZE, 0xa000, PAGE_SIZE, PTE_NX);
	expect_mapped(f, va + PAGE_SIZE, 0xa000, PAGE_SIZE);
	assert_int_equal(paging_map(&f->ctx, va + PAGE_SIZE_2M, 0, PAGE_SIZE, 0),
			 -PAGING_ENOMEM);
}

static void test_trampoline_identity_page_coexists(void **state)
{
	struct fixture *f = *state;
	uint64_t flags;

	map_kernel_image(f);
	map_boot_stack(f);
	map_ok(f, BOOT_DIRECT_MAP_VA, 0, DIRECT_MAP_SIZE, PTE_WRITE | PTE_NX);
	map_ok(f, TRAMPOLINE_PA, TRAMPOLINE_PA, PAGE_SIZE, 0);
	/* image 3 + stack 3 + direct map 1 + identity 3, plus the PML4 */
	assert_int_equal(f->ctx.tables_allocated, 11);
	flags = expect_mapped(f, TRAMPOLINE_PA + 0x10, TRAMPOLINE_PA + 0x10, PAGE_SIZE);
	assert_int_equal(flags & (PTE_WRITE | PTE_NX | PTE_USER), 0);
	expect_unmapped(f, TRAMPOLINE_PA - PAGE_SIZE);
	expect_unmapped(f, TRAMPOLINE_PA + PAGE_SIZE);
	expect_mapped(f, BOOT_DIRECT_MAP_VA + TRAMPOLINE_PA, TRAMPOLINE_PA, PAGE_SIZE_1G);
	expect_mapped(f, BOOT_KERNEL_IMAGE_VA + 0x208000, KERNEL_PA + 0x208000, PAGE_SIZE);
	expect_mapped(f, BOOT_KERNEL_AREA_VA + PAGE_SIZE, STACK_PA, PAGE_SIZE);
	expect_unmapped(f, BOOT_KERNEL_AREA_VA);
}

static void test_table_entries_leave_permissions_to_leaf(void **state)
{
	struct fixture *f = *state;
	uint64_t kernel_va = 0x10000000ull, user_va = 0x10001000ull;

	map_ok(f, kernel_va, 0x7000, PAGE_SIZE, PTE_NX);
	for (unsigned level = 4; level > 1; level--)
		assert_int_equal(*sim_entry(f, kernel_va, level) & ~PTE_ADDR_MASK,
				 PTE_PRESENT | PTE_WRITE);
	/* A user page in the same PT opens the path; the kernel leaf stays. */
	map_ok(f, user_va, 0x8000, PAGE_SIZE, PTE_USER | PTE_WRITE | PTE_NX);
	for (unsigned level = 4; level > 1; level--)
		assert_int_equal(*sim_entry(f, user_va, level) & ~PTE_ADDR_MASK,
				 PTE_PRESENT | PTE_WRITE | PTE_USER);
	assert_int_equal(expect_mapped(f, kernel_va, 0x7000, PAGE_SIZE) & PTE_USER, 0);
	assert_int_equal(expect_mapped(f, user_va, 0x8000, PAGE_SIZE) &
			 (PTE_USER | PTE_WRITE | PTE_NX), PTE_USER | PTE_WRITE | PTE_NX);
	/* Kernel half stays supervisor at every level. */
	map_ok(f, BOOT_KERNEL_IMAGE_VA, KERNEL_PA, PAGE_SIZE_2M, PTE_GLOBAL);
	for (unsigned level = 4; level > 2; level--)
		assert_int_equal(*sim_entry(f, BOOT_KERNEL_IMAGE_VA, level) & ~PTE_ADDR_MASK,
				 PTE_PRESENT | PTE_WRITE);
	assert_int_equal(*sim_entry(f, BOOT_KERNEL_IMAGE_VA, 2),
			 KERNEL_PA | PTE_PRESENT | PTE_HUGE | PTE_GLOBAL);
}

static void test_cache_flags_are_kept(void **state)
{
	struct fixture *f = *state;
	uint64_t fb_flags = PTE_WRITE | PTE_NX | PTE_PCD | PTE_PWT;

	map_ok(f, BOOT_DIRECT_MAP_VA + 0xfd000000ull, 0xfd000000ull, 0x300000, fb_flags);
	assert_int_equal(expect_mapped(f, BOOT_DIRECT_MAP_VA + 0xfd000000ull, 0xfd000000ull,
				       PAGE_SIZE_2M) & fb_flags, fb_flags);
	assert_int_equal(expect_mapped(f, BOOT_DIRECT_MAP_VA + 0xfd200000ull, 0xfd200000ull,
				       PAGE_SIZE) & fb_flags, fb_flags);
}

/* In a 2 MiB / 1 GiB leaf bit 12 is PAT, not part of the address. */
static void test_huge_leaf_pat_bit_is_not_address(void **state)
{
	struct fixture *f = *state;
	uint64_t va2m = 0xffffd00000000000ull, va1g = 0xffffd00040000000ull;
	uint64_t flags;

	map_ok(f, va2m, 0x600000ull, PAGE_SIZE_2M, PTE_NX);
	map_ok(f, va1g, 0xc0000000ull, PAGE_SIZE_1G, PTE_NX);
	*sim_entry(f, va2m, 2) |= PTE_PAT_HUGE;
	*sim_entry(f, va1g, 3) |= PTE_PAT_HUGE;
	flags = expect_mapped(f, va2m + 0x2345, 0x602345ull, PAGE_SIZE_2M);
	assert_int_equal(flags, PTE_PRESENT | PTE_HUGE | PTE_PAT_HUGE | PTE_NX);
	flags = expect_mapped(f, va1g + 0x2345, 0xc0002345ull, PAGE_SIZE_1G);
	assert_int_equal(flags, PTE_PRESENT | PTE_HUGE | PTE_PAT_HUGE | PTE_NX);
}

static void test_unmap_returns_frame_and_leaves_neighbours(void **state)
{
	struct fixture *f = *state;
	uint64_t va = 0xffffc00000010000ull, old = 0;

	map_ok(f, va, 0x200000ull, 3 * PAGE_SIZE, PTE_WRITE | PTE_NX);
	assert_int_equal(paging_unmap(&f->ctx, va + PAGE_SIZE, &old), 0);
	assert_int_equal(old, 0x201000ull);
	assert_int_equal(paging_translate(&f->ctx, va + PAGE_SIZE, NULL, NULL, NULL),
			 -PAGING_ENOENT);
	expect_mapped(f, va, 0x200000ull, PAGE_SIZE);
	expect_mapped(f, va + 2 * PAGE_SIZE, 0x202000ull, PAGE_SIZE);
	assert_int_equal(paging_unmap(&f->ctx, va + PAGE_SIZE, NULL), -PAGING_ENOENT);
	/* the page can be mapped again afterwards */
	map_ok(f, va + PAGE_SIZE, 0x300000ull, PAGE_SIZE, PTE_NX);
	expect_mapped(f, va + PAGE_SIZE, 0x300000ull, PAGE_SIZE);
}

static void test_unmap_and_protect_refuse_huge_and_bad_addresses(void **state)
{
	struct fixture *f = *state;

	map_ok(f, BOOT_DIRECT_MAP_VA, 0, PAGE_SIZE_2M, PTE_WRITE | PTE_NX);
	assert_int_equal(paging_unmap(&f->ctx, BOOT_DIRECT_MAP_VA + PAGE_SIZE, NULL),
			 -PAGING_EINVAL);
	assert_int_equal(paging_protect(&f->ctx, BOOT_DIRECT_MAP_VA, PTE_NX), -PAGING_EINVAL);
	expect_mapped(f, BOOT_DIRECT_MAP_VA, 0, PAGE_SIZE_2M);
	assert_int_equal(paging_unmap(&f->ctx, 0xffffc00000000123ull, NULL), -PAGING_EINVAL);
	assert_int_equal(paging_unmap(&f->ctx, 0x0000800000000000ull, NULL), -PAGING_EINVAL);
	assert_int_equal(paging_protect(&f->ctx, 0xffffc00000000000ull, PTE_NX), -PAGING_ENOENT);
}

static void test_protect_changes_only_flags(void **state)
{
	struct fixture *f = *state;
	uint64_t va = 0xffffc00000020000ull, flags = 0, pa = 0;

	map_ok(f, va, 0x400000ull, PAGE_SIZE, PTE_WRITE | PTE_NX);
	assert_int_equal(paging_protect(&f->ctx, va, PTE_NX | PTE_GLOBAL), 0);
	assert_int_equal(paging_translate(&f->ctx, va, &pa, &flags, NULL), 0);
	assert_int_equal(pa, 0x400000ull);
	assert_int_equal(flags, PTE_PRESENT | PTE_NX | PTE_GLOBAL);
	assert_int_equal(paging_protect(&f->ctx, va, PTE_HUGE), -PAGING_EINVAL);
}

/* ---- paging_clone_range ---------------------------------------------------- */

/* A clone target drawing tables from the fixture's simulated RAM. */
static struct paging_ctx clone_target(struct fixture *f)
{
	struct paging_ctx dst = f->ctx;

	assert_int_equal(paging_init(&dst), 0);
	return dst;
}

/* What the test callbacks saw. */
struct clone_log {
	unsigned calls;
	uint64_t last_va;     /* leaves must come in address order */
	bool clear_write;     /* take WRITE away in both, as fork does for COW */
};

static pte_t clone_leaf(void *arg, uint64_t va, pte_t *src_entry, unsigned level)
{
	struct clone_log *log = arg;

	(void)level;
	if (log->calls++ > 0)
		assert_true(va > log->last_va);
	log->last_va = va;
	if (log->clear_write)
		*src_entry &= ~PTE_WRITE;
	return *src_entry;
}

/* Asserts va translates the same way through both contexts, mapped or not. */
static void expect_same_translation(struct paging_ctx *a, struct paging_ctx *b, uint64_t va)
{
	uint64_t pa_a = 0, pa_b = 0, flags_a = 0, flags_b = 0, size_a = 0, size_b = 0;
	int err = paging_translate(a, va, &pa_a, &flags_a, &size_a);

	assert_int_equal(paging_translate(b, va, &pa_b, &flags_b, &size_b), err);
	assert_int_equal(pa_a, pa_b);
	assert_int_equal(flags_a, flags_b);
	assert_int_equal(size_a, size_b);
}

static void count_leaf(void *arg, uint64_t va, pte_t *entry, unsigned level)
{
	(void)va, (void)entry, (void)level;
	++*(unsigned *)arg;
}

static unsigned leaves_between(struct paging_ctx *ctx, uint64_t start, uint64_t end)
{
	unsigned n = 0;

	paging_for_each_leaf(ctx, start, end, count_leaf, &n);
	return n;
}

static unsigned leaves_in(struct paging_ctx *ctx)
{
	return leaves_between(ctx, 0, UINT64_MAX & ~(PAGE_SIZE - 1));
}

static const uint64_t sparse_vas[] = {
	0x1000ull, 0x1ff000ull, 0x40203000ull, 0x00007ffffffff000ull,
	0xffff800000001000ull, 0xfffffffffffff000ull,
};
#define SPARSE_2M 0x80000000ull  /* a 2 MiB leaf */
#define SPARSE_1G 0x4000000000ull /* a 1 GiB leaf */

static void map_sparse(struct fixture *f)
{
	for (size_t i = 0; i < sizeof(sparse_vas) / sizeof(sparse_vas[0]); i++)
		map_ok(f, sparse_vas[i], 0x10000000ull + i * PAGE_SIZE, PAGE_SIZE,
		       PTE_USER | PTE_WRITE | (i % 2 ? PTE_NX : 0));
	map_ok(f, SPARSE_2M, 0x600000ull, PAGE_SIZE_2M, PTE_WRITE);
	map_ok(f, SPARSE_1G, 0xc0000000ull, PAGE_SIZE_1G, PTE_NX);
}

static void test_clone_sparse_range_translates_identically(void **state)
{
	struct fixture *f = *state;
	struct paging_ctx dst = clone_target(f);
	struct clone_log log = { 0 };
	uint64_t src_tables;

	map_sparse(f);
	src_tables = f->ctx.tables_allocated;
	assert_int_equal(paging_clone_range(&dst, &f->ctx, 0, 0xfffffffffffff000ull,
					    clone_leaf, &log), 0);
	/* The last page, fffffffffffff000, starts at the range's end. */
	assert_int_equal(log.calls, 7);
	assert_int_equal(paging_translate(&dst, 0xfffffffffffff000ull, NULL, NULL, NULL),
			 -PAGING_ENOENT);
	/* Each src table but the last page's three has a leaf in the range. */
	assert_int_equal(dst.tables_allocated, src_tables - 3);
	for (size_t i = 0; i + 1 < sizeof(sparse_vas) / sizeof(sparse_vas[0]); i++)
		for (int64_t d = -1; d <= 1; d++)
			expect_same_translation(&f->ctx, &dst, sparse_vas[i] + d * PAGE_SIZE);
	expect_same_translation(&f->ctx, &dst, SPARSE_2M + 0x12345);
	expect_same_translation(&f->ctx, &dst, SPARSE_2M + PAGE_SIZE_2M);
	expect_same_translation(&f->ctx, &dst, SPARSE_1G + 0x1234567);
	/* Table entries copy the src's flags: the user bit opens the user paths. */
	for (unsigned level = 4; level > 1; level--)
		assert_int_equal(*sim_entry_in(f, dst.pml4_pa, 0x1000, level) & ~PTE_ADDR_MASK,
				 PTE_PRESENT | PTE_WRITE | PTE_USER);
	assert_int_equal(*sim_entry_in(f, dst.pml4_pa, SPARSE_1G, 4) & ~PTE_ADDR_MASK,
			 *sim_entry(f, SPARSE_1G, 4) & ~PTE_ADDR_MASK);
}

static void test_clone_callback_changes_land_in_both(void **state)
{
	struct fixture *f = *state;
	struct paging_ctx dst = clone_target(f);
	struct clone_log log = { .clear_write = true };
	uint64_t va = 0x400000ull, flags;

	map_ok(f, va, 0x20000000ull, 3 * PAGE_SIZE, PTE_USER | PTE_WRITE | PTE_NX);
	assert_int_equal(paging_clone_range(&dst, &f->ctx, va, va + 3 * PAGE_SIZE, clone_leaf,
					    &log), 0);
	assert_int_equal(log.calls, 3);
	for (uint64_t off = 0; off < 3 * PAGE_SIZE; off += PAGE_SIZE) {
		flags = expect_mapped(f, va + off, 0x20000000ull + off, PAGE_SIZE);
		assert_int_equal(flags, PTE_PRESENT | PTE_USER | PTE_NX);
		expect_same_translation(&f->ctx, &dst, va + off);
	}
}

static void test_clone_allocates_each_table_once(void **state)
{
	struct fixture *f = *state;
	struct paging_ctx dst = clone_target(f);
	struct clone_log log = { 0 };
	uint64_t va = 0x7fc0000000ull; /* a PT's worth, then an empty PT */

	map_ok(f, va, 0x30000000ull, PAGE_SIZE_2M, PTE_USER | PTE_NX);
	/* 4 KiB leaves (pa only 4 KiB-aligned): one full PT. */
	map_ok(f, va + PAGE_SIZE_2M, 0x30001000ull, PAGE_SIZE_2M, PTE_USER | PTE_NX);
	map_ok(f, va + 2 * PAGE_SIZE_2M, 0x30000000ull, PAGE_SIZE, PTE_USER);
	assert_int_equal(paging_unmap(&f->ctx, va + 2 * PAGE_SIZE_2M, NULL), 0);
	/* Two calls over neighbouring ranges share dst's PML4, PDPT and PD. */
	assert_int_equal(paging_clone_range(&dst, &f->ctx, va, va + PAGE_SIZE_2M + 0x5000,
					    clone_leaf, &log), 0);
	assert_int_equal(dst.tables_allocated, 4);
	log.calls = 0;
	assert_int_equal(paging_clone_range(&dst, &f->ctx, va + PAGE_SIZE_2M + 0x5000,
					    va + PAGE_SIZE_1G, clone_leaf, &log), 0);
	/* The empty PT left by the unmap is not copied. */
	assert_int_equal(dst.tables_allocated, 4);
	assert_int_equal(log.calls, 512 - 5);
	assert_int_equal(leaves_in(&dst), 1 + 512);
	expect_same_translation(&f->ctx, &dst, va + PAGE_SIZE_2M + 0x4fff);
	expect_same_translation(&f->ctx, &dst, va + PAGE_SIZE_2M + 0x5000);
}

static void count_free(void *arg, uint64_t pa)
{
	(void)pa;
	++*(unsigned *)arg;
}

static void test_clone_out_of_memory_midway_keeps_trees_consistent(void **state)
{
	struct fixture *f = *state;
	struct paging_ctx dst = clone_target(f);
	struct clone_log log = { .clear_write = true };
	unsigned freed = 0;

	map_ok(f, 0x1000ull, 0x10000000ull, 4 * PAGE_SIZE, PTE_USER | PTE_WRITE);
	map_ok(f, 0x40001000ull, 0x20000000ull, PAGE_SIZE, PTE_USER | PTE_WRITE); /* new PD */
	map_ok(f, 0x8000001000ull, 0x30000000ull, PAGE_SIZE, PTE_USER | PTE_WRITE);
	f->ram.budget = 4; /* PDPT, PD, PT, then the second PD and PT */
	assert_int_equal(paging_clone_range(&dst, &f->ctx, 0, 0x0000800000000000ull, clone_leaf,
					    &log), -PAGING_ENOMEM);
	assert_int_equal(dst.tables_allocated, 5);
	/* fn ran for exactly the leaves dst holds; the rest are untouched. */
	assert_int_equal(log.calls, 4);
	assert_int_equal(leaves_in(&dst), 4);
	expect_same_translation(&f->ctx, &dst, 0x4000ull);
	assert_int_equal(expect_mapped(f, 0x40001000ull, 0x20000000ull, PAGE_SIZE) & PTE_WRITE,
			 PTE_WRITE);
	assert_int_equal(expect_mapped(f, 0x1000ull, 0x10000000ull, PAGE_SIZE) & PTE_WRITE, 0);
	/* Every table taken is reachable from dst's root. */
	paging_free_subtrees(&dst, 0, PT_ENTRIES - 1, count_free, &freed);
	assert_int_equal(freed, dst.tables_allocated - 1);
}

static void test_clone_respects_unaligned_range(void **state)
{
	struct fixture *f = *state;
	struct paging_ctx dst = clone_target(f);
	struct clone_log log = { 0 };
	uint64_t pt_edge = 0x200000ull, pml4_edge = 0x8000000000ull;

	map_ok(f, pt_edge - 3 * PAGE_SIZE, 0x10000000ull, 6 * PAGE_SIZE, PTE_USER);
	map_ok(f, pml4_edge - 2 * PAGE_SIZE, 0x20000000ull, 4 * PAGE_SIZE, PTE_USER);
	assert_int_equal(paging_clone_range(&dst, &f->ctx, pt_edge - 2 * PAGE_SIZE,
					    pt_edge + 2 * PAGE_SIZE, clone_leaf, &log), 0);
	assert_int_equal(paging_clone_range(&dst, &f->ctx, pml4_edge - PAGE_SIZE,
					    pml4_edge + PAGE_SIZE, clone_leaf, &log), 0);
	assert_int_equal(log.calls, 4 + 2);
	for (uint64_t va = pt_edge - 2 * PAGE_SIZE; va < pt_edge + 2 * PAGE_SIZE; va += PAGE_SIZE)
		expect_same_translation(&f->ctx, &dst, va);
	expect_same_translation(&f->ctx, &dst, pml4_edge - PAGE_SIZE);
	expect_same_translation(&f->ctx, &dst, pml4_edge);
	assert_int_equal(paging_translate(&dst, pt_edge - 3 * PAGE_SIZE, NULL, NULL, NULL),
			 -PAGING_ENOENT);
	assert_int_equal(paging_translate(&dst, pt_edge + 2 * PAGE_SIZE, NULL, NULL, NULL),
			 -PAGING_ENOENT);
	assert_int_equal(paging_translate(&dst, pml4_edge - 2 * PAGE_SIZE, NULL, NULL, NULL),
			 -PAGING_ENOENT);
	assert_int_equal(paging_translate(&dst, pml4_edge + PAGE_SIZE, NULL, NULL, NULL),
			 -PAGING_ENOENT);
	assert_int_equal(leaves_in(&dst), 6);
	/* paging_for_each_leaf bounds its walk the same way. */
	assert_int_equal(leaves_between(&f->ctx, pt_edge - 2 * PAGE_SIZE, pt_edge + 2 * PAGE_SIZE), 4);
	assert_int_equal(leaves_between(&f->ctx, pml4_edge - PAGE_SIZE, pml4_edge + PAGE_SIZE), 2);
	assert_int_equal(leaves_between(&f->ctx, pml4_edge, pml4_edge + PAGE_SIZE_1G), 2);
	/* Empty and reversed ranges do nothing. */
	assert_int_equal(paging_clone_range(&dst, &f->ctx, pt_edge, pt_edge, clone_leaf, &log), 0);
	assert_int_equal(paging_clone_range(&dst, &f->ctx, pt_edge, 0, clone_leaf, &log), 0);
	assert_int_equal(log.calls, 6);
}

static void test_clone_over_dst_huge_page_is_eexist(void **state)
{
	struct fixture *f = *state;
	struct paging_ctx dst = clone_target(f);
	struct clone_log log = { 0 };

	map_ok(f, 0x203000ull, 0x10000000ull, PAGE_SIZE, PTE_USER);
	assert_int_equal(paging_map(&dst, 0x200000ull, 0x600000ull, PAGE_SIZE_2M, 0), 0);
	assert_int_equal(paging_clone_range(&dst, &f->ctx, 0, PAGE_SIZE_1G, clone_leaf, &log),
			 -PAGING_EEXIST);
	assert_int_equal(log.calls, 0);
}

#define PAGING_TEST(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errno_values_are_linux),
		cmocka_unit_test(test_pte_helpers),
		PAGING_TEST(test_init_allocates_zeroed_pml4),
		PAGING_TEST(test_init_without_memory_is_enomem),
		PAGING_TEST(test_kernel_image_segments_are_w_xor_x),
		PAGING_TEST(test_boot_stack_has_unmapped_guard),
		PAGING_TEST(test_direct_map_uses_1g_pages),
		PAGING_TEST(test_direct_map_uses_2m_pages_without_1g),
		PAGING_TEST(test_direct_map_odd_range_edges_use_4k),
		PAGING_TEST(test_alignment_of_both_addresses_decides_page_size),
		PAGING_TEST(test_translate_keeps_page_offset),
		PAGING_TEST(test_translate_unmapped_or_noncanonical),
		PAGING_TEST(test_double_map_is_eexist_and_changes_nothing),
		PAGING_TEST(test_map_into_huge_page_is_eexist),
		PAGING_TEST(test_huge_page_over_table_is_eexist),
		PAGING_TEST(test_invalid_arguments_are_einval),
		PAGING_TEST(test_address_space_limits_are_mappable),
		PAGING_TEST(test_out_of_memory_is_enomem),
		PAGING_TEST(test_trampoline_identity_page_coexists),
		PAGING_TEST(test_table_entries_leave_permissions_to_leaf),
		PAGING_TEST(test_cache_flags_are_kept),
		PAGING_TEST(test_huge_leaf_pat_bit_is_not_address),
		PAGING_TEST(test_unmap_returns_frame_and_leaves_neighbours),
		PAGING_TEST(test_unmap_and_protect_refuse_huge_and_bad_addresses),
		PAGING_TEST(test_protect_changes_only_flags),
		PAGING_TEST(test_clone_sparse_range_translates_identically),
		PAGING_TEST(test_clone_callback_changes_land_in_both),
		PAGING_TEST(test_clone_allocates_each_table_once),
		PAGING_TEST(test_clone_out_of_memory_midway_keeps_trees_consistent),
		PAGING_TEST(test_clone_respects_unaligned_range),
		PAGING_TEST(test_clone_over_dst_huge_page_is_eexist),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
