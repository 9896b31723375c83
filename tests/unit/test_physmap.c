/* Host unit tests of the kernel's memory-map sanitiser, dump and boot-memory reclaim. */
#define _POSIX_C_SOURCE 200809L /* dup, dup2, fileno */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mm/addr.h"
#include "mm/physmap.h"
#include "mm/pmm.h"
#include "shared/mem_class.h"
#include "tests/unit/stubs_kernel.h"

#define R(base, pages, class) { (base), (pages), (class), 0 }
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define LIMIT36 (1ull << 36)

/* The region array is the only physical memory physmap reads: identity-map it. */
void *phys_to_virt(paddr_t pa)
{
	return (void *)(uintptr_t)pa.pa;
}

paddr_t virt_to_phys(const void *p)
{
	return PA((uintptr_t)p);
}

/* Fake frame allocator: records pmm_add_range calls; free = what was added. */
static struct { uint64_t base, frames; } added[64];
static size_t added_count;

void pmm_add_range(paddr_t base, uint64_t frames)
{
	if (added_count == ARRAY_LEN(added))
		fail_msg("pmm_add_range: too many calls");
	added[added_count].base = base.pa;
	added[added_count].frames = frames;
	added_count++;
}

void pmm_get_stats(struct pmm_stats *s)
{
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < added_count; i++)
		s->free += added[i].frames;
}

/*
 * Everything the code under test prints (kprintf and klog both go to the
 * stub's stdout) between capture_begin and capture_end.
 */
static char captured[1 << 16];
static FILE *capture_file;
static int saved_stdout = -1;

static void capture_begin(void)
{
	fflush(stdout);
	capture_file = tmpfile();
	assert_non_null(capture_file);
	saved_stdout = dup(STDOUT_FILENO);
	assert_true(saved_stdout >= 0);
	assert_true(dup2(fileno(capture_file), STDOUT_FILENO) >= 0);
}

static const char *capture_end(void)
{
	size_t n;

	fflush(stdout);
	dup2(saved_stdout, STDOUT_FILENO);
	close(saved_stdout);
	rewind(capture_file);
	n = fread(captured, 1, sizeof(captured) - 1, capture_file);
	captured[n] = '\0';
	fclose(capture_file);
	fputs(captured, stdout); /* still visible in the test's output */
	return captured;
}

static size_t count_occurrences(const char *text, const char *needle)
{
	size_t n = 0;

	for (const char *p = strstr(text, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

static struct boot_info bi;

/* Runs physmap_init over in[0..n) with a CPU of `bits` physical address bits; returns its log. */
static const char *init_map_bits(const struct boot_region *in, size_t n, unsigned bits)
{
	bi.regions_pa = (uint64_t)(uintptr_t)in;
	bi.region_count = (uint32_t)n;
	capture_begin();
	physmap_init(&bi, bits);
	return capture_end();
}

/* Runs physmap_init over in[0..n) with a 36-bit CPU; returns its log. */
static const char *init_map(const struct boot_region *in, size_t n)
{
	return init_map_bits(in, n, 36);
}

static void assert_regions(const struct boot_region *want, size_t n)
{
	size_t count;
	const struct boot_region *got = physmap_regions(&count);

	assert_int_equal(count, n);
	for (size_t i = 0; i < n; i++) {
		if (got[i].base_pa != want[i].base_pa || got[i].pages != want[i].pages ||
		    got[i].class != want[i].class)
			fail_msg("region %zu: got [%#lx, +%lu) %s, want [%#lx, +%lu) %s", i,
				 (unsigned long)got[i].base_pa, (unsigned long)got[i].pages,
				 mem_class_name(got[i].class), (unsigned long)want[i].base_pa,
				 (unsigned long)want[i].pages, mem_class_name(want[i].class));
	}
}

/*
 * The fixture of the sanitiser cases: runs physmap_init over in[0..n_in) with
 * a 36-bit CPU, checks that the map it makes is want[0..n_want) and that its
 * log holds each of the NULL-terminated lines (none if lines is NULL).
 * Returns the log for the case's own further checks.
 */
static const char *check_map(const struct boot_region *in, size_t n_in,
			     const struct boot_region *want, size_t n_want, const char *const *lines)
{
	const char *log = init_map(in, n_in);

	assert_regions(want, n_want);
	for (; lines && *lines; lines++)
		if (!strstr(log, *lines))
			fail_msg("the log lacks \"%s\"", *lines);
	return log;
}

/* Sets up the map in[0..n) (its log dropped), then reclaims boot memory; returns that log. */
static const char *reclaim_log(const struct boot_region *in, size_t n)
{
	init_map(in, n);
	capture_begin();
	physmap_reclaim_boot_memory();
	return capture_end();
}

static int reset(void **state)
{
	(void)state;
	added_count = 0;
	memset(&bi, 0, sizeof(bi));
	return 0;
}

/* A QEMU-like map: sorted, disjoint, with holes. */
static const struct boot_region good[] = {
	R(0x0, 0x9f, MEM_FREE),
	R(0x9f000, 0x61, MEM_RESERVED),
	R(0x100000, 0x700, MEM_FREE),
	R(0x800000, 0x8, MEM_ACPI_NVS),
	R(0x808000, 0x100, MEM_FIRMWARE_BOOT),
	R(0x1000000, 0x200, MEM_KERNEL),
	R(0xffc00000, 0x400, MEM_RESERVED),
};

static void test_sorted_map_passes_through(void **state)
{
	const char *log;

	(void)state;
	log = check_map(good, ARRAY_LEN(good), good, ARRAY_LEN(good), NULL);
	assert_null(strstr(log, "physmap:")); /* nothing to repair, nothing said */
}

static void test_unsorted_map_is_sorted(void **state)
{
	const struct boot_region shuffled[] = {
		good[4], good[0], good[6], good[2], good[1], good[5], good[3],
	};
	const char *log;

	(void)state;
	log = check_map(shuffled, ARRAY_LEN(shuffled), good, ARRAY_LEN(good), NULL);
	assert_int_equal(count_occurrences(log, "physmap: the loader's memory map is not sorted: sorting it"), 1);
	assert_int_equal(count_occurrences(log, "physmap:"), 1);
}

static void test_overlaps_are_clipped(void **state)
{
	static const struct boot_region in[] = {
		R(0x100000, 0x10, MEM_FREE),
		R(0x108000, 0x10, MEM_RESERVED),  /* overlaps by 8 pages: keeps the last 8 */
		R(0x110000, 0x4, MEM_ACPI_NVS),   /* inside what is left of the one before: dropped */
		R(0x200000, 0x10, MEM_KERNEL),
		R(0x204000, 0x2, MEM_LOADER),     /* inside the kernel: dropped */
		R(0x20f000, 0x2, MEM_LOADER),     /* overlaps the kernel's last page */
	};
	static const struct boot_region want[] = {
		R(0x100000, 0x10, MEM_FREE),
		R(0x110000, 0x8, MEM_RESERVED),
		R(0x200000, 0x10, MEM_KERNEL),
		R(0x210000, 0x1, MEM_LOADER),
	};
	static const char *const lines[] = {
		"physmap: region [0x108000, 0x118000) reserved overlaps [0x100000, 0x110000) free: clipped to start at 0x110000",
		"physmap: region [0x110000, 0x114000) acpi-nvs lies inside [0x110000, 0x118000) reserved: dropped",
		"physmap: region [0x204000, 0x206000) loader lies inside [0x200000, 0x210000) kernel: dropped",
		"physmap: region [0x20f000, 0x211000) loader overlaps [0x200000, 0x210000) kernel: clipped to start at 0x210000",
		NULL,
	};

	(void)state;
	assert_null(strstr(check_map(in, ARRAY_LEN(in), want, ARRAY_LEN(want), lines), "not sorted"));
}

/* An out-of-order entry that also overlaps: sorted first, then clipped. */
static void test_unsorted_and_overlapping(void **state)
{
	static const struct boot_region in[] = {
		R(0x300000, 0x10, MEM_FREE),
		R(0x100000, 0x201, MEM_RESERVED), /* ends one page into the next */
	};
	static const struct boot_region want[] = {
		R(0x100000, 0x201, MEM_RESERVED),
		R(0x301000, 0xf, MEM_FREE),
	};
	static const char *const lines[] = { "not sorted", "clipped to start at 0x301000", NULL };

	(void)state;
	check_map(in, ARRAY_LEN(in), want, ARRAY_LEN(want), lines);
}

static void test_bad_regions_are_dropped(void **state)
{
	static const struct boot_region in[] = {
		R(0x100000, 0, MEM_FREE),            /* empty */
		R(0x100000, 0x10, MEM_FREE),
		R(0x200000, 0x10, MEM_CLASS_COUNT),  /* unknown class */
		R(0x300000, 0x10, 0xffffffffu),
		R(0x400800, 0x10, MEM_FREE),         /* not page-aligned */
		R(0x500000, 0x10, MEM_FRAMEBUFFER),  /* the last valid class */
		R(0x600000, 0, MEM_KERNEL),
	};
	static const struct boot_region want[] = {
		R(0x100000, 0x10, MEM_FREE),
		R(0x500000, 0x10, MEM_FRAMEBUFFER),
	};
	static const char *const lines[] = {
		"physmap: region 0 [0x100000, +0 pages) class 0 is empty, misaligned or of no known class: dropped",
		"physmap: region 2 [0x200000, +16 pages) class 17 is",
		"physmap: region 3 [0x300000, +16 pages) class 4294967295 is",
		"physmap: region 4 [0x400800, +16 pages) class 0 is",
		"physmap: region 6 [0x600000, +0 pages) class 11 is",
		NULL,
	};
	const char *log;

	(void)state;
	log = check_map(in, ARRAY_LEN(in), want, ARRAY_LEN(want), lines);
	assert_int_equal(count_occurrences(log, "physmap: region "), 5);
	/* an empty region is not an overlap or an ordering problem */
	assert_null(strstr(log, "overlaps"));
	assert_null(strstr(log, "not sorted"));
}

static void test_beyond_physical_width(void **state)
{
	static const struct boot_region in[] = {
		R(0x100000, 0x10, MEM_FREE),
		R(LIMIT36 - 0x2000, 0x10, MEM_FREE),       /* crosses 2^36: 2 pages stay */
		R(LIMIT36, 0x1, MEM_RESERVED),             /* at the limit: dropped */
		R(0xfd00000000ull, 0x300000, MEM_MMIO),    /* the 1 TiB hole region: dropped */
		R(0xfffffffffffff000ull, 0x1, MEM_FREE),   /* its end would wrap: dropped */
	};
	static const struct boot_region want[] = {
		R(0x100000, 0x10, MEM_FREE),
		R(LIMIT36 - 0x2000, 0x2, MEM_FREE),
	};
	static const char *const lines[] = {
		"physmap: region 1 [0xfffffe000, +16 pages) free reaches past the CPU's physical address limit 0x1000000000: clipped there",
		"physmap: region 2 [0x1000000000, +1 pages) reserved lies beyond the CPU's 0x1000000000-byte physical address space: dropped",
		"physmap: region 3 [0xfd00000000, +3145728 pages) mmio lies beyond",
		"physmap: region 4 [0xfffffffffffff000, +1 pages) free lies beyond",
		NULL,
	};

	(void)state;
	check_map(in, ARRAY_LEN(in), want, ARRAY_LEN(want), lines);
}

/* A region whose end wraps around 2^64 is clipped at the limit, not trusted. */
static void test_wrapping_region_is_clipped(void **state)
{
	static const struct boot_region in[] = {
		R(0x100000, UINT64_MAX, MEM_RESERVED),
	};
	static const struct boot_region want[] = {
		R(0x100000, (LIMIT36 - 0x100000) / 4096, MEM_RESERVED),
	};
	static const char *const lines[] = { "clipped there", NULL };

	(void)state;
	check_map(in, ARRAY_LEN(in), want, ARRAY_LEN(want), lines);
}

static void test_odd_address_width_falls_back_to_52(void **state)
{
	static const struct boot_region in[] = {
		R(1ull << 40, 0x10, MEM_FREE),
		R(1ull << 52, 0x10, MEM_FREE),
	};
	const char *log;

	(void)state;
	log = init_map_bits(in, ARRAY_LEN(in), 0);
	assert_non_null(strstr(log, "physmap: CPU reports a 0-bit physical address width: assuming 52"));
	assert_regions(in, 1);

	init_map_bits(in, ARRAY_LEN(in), 40); /* with 40 bits both are beyond */
	assert_regions(NULL, 0);
}

static void test_empty_and_oversized_maps(void **state)
{
	static struct boot_region many[1030];
	static const char *const empty_lines[] = {
		"[err] physmap: the loader passed an empty memory map", NULL,
	};
	static const char *const oversized_lines[] = {
		"physmap: more than 1024 regions: region 1024 and the rest are ignored", NULL,
	};

	(void)state;
	check_map(good, 0, NULL, 0, empty_lines);

	for (size_t i = 0; i < ARRAY_LEN(many); i++)
		many[i] = (struct boot_region)R(0x100000 + i * 0x2000, 1, MEM_FREE);
	check_map(many, ARRAY_LEN(many), many, 1024, oversized_lines);
}

/* The reclaim of a hand-off map: which ranges go to the allocator, what stays. */
static void test_reclaim(void **state)
{
	static const struct boot_region in[] = {
		R(0x0, 0x9f, MEM_FREE),
		R(0x9f000, 0x61, MEM_RESERVED),
		R(0x100000, 0x100, MEM_FREE),
		R(0x200000, 0x10, MEM_FIRMWARE_BOOT),   /* merges with the free before it */
		R(0x210000, 0x20, MEM_LOADER),
		R(0x230000, 0x4, MEM_BOOT_PAGETABLES),
		R(0x234000, 0x10, MEM_BOOT_STACK),
		R(0x244000, 0x1, MEM_BOOT_INFO),
		R(0x245000, 0x100, MEM_KERNEL),
		R(0x345000, 0x200, MEM_RAMDISK),
		R(0x545000, 0x10, MEM_FIRMWARE_BOOT),
		R(0x555000, 0x8, MEM_ACPI_RECLAIM),
		R(0x55d000, 0x8, MEM_ACPI_NVS),
		R(0x565000, 0x20, MEM_FIRMWARE_RUNTIME),
		R(0x585000, 0x10, MEM_FIRMWARE_BOOT),   /* merges with the free after it */
		R(0x595000, 0x100, MEM_FREE),
		R(0x800000, 0x4, MEM_LOADER),           /* alone after a hole: stays alone */
	};
	static const struct { uint64_t base, frames; } want_added[] = {
		{ 0x200000, 0x10 }, { 0x210000, 0x20 }, { 0x230000, 0x4 }, { 0x234000, 0x10 },
		{ 0x244000, 0x1 }, { 0x545000, 0x10 }, { 0x585000, 0x10 }, { 0x800000, 0x4 },
	};
	static const struct boot_region want[] = {
		R(0x0, 0x9f, MEM_FREE),
		R(0x9f000, 0x61, MEM_RESERVED),
		R(0x100000, 0x100 + 0x10 + 0x20 + 0x4 + 0x10 + 0x1, MEM_FREE),
		R(0x245000, 0x100, MEM_KERNEL),
		R(0x345000, 0x200, MEM_RAMDISK),
		R(0x545000, 0x10, MEM_FREE),
		R(0x555000, 0x8, MEM_ACPI_RECLAIM),
		R(0x55d000, 0x8, MEM_ACPI_NVS),
		R(0x565000, 0x20, MEM_FIRMWARE_RUNTIME),
		R(0x585000, 0x110, MEM_FREE),
		R(0x800000, 0x4, MEM_FREE),
	};
	const char *log;

	(void)state;
	log = reclaim_log(in, ARRAY_LEN(in));
	assert_int_equal(added_count, ARRAY_LEN(want_added));
	for (size_t i = 0; i < added_count; i++) {
		assert_int_equal(added[i].base, want_added[i].base);
		assert_int_equal(added[i].frames, want_added[i].frames);
	}
	assert_regions(want, ARRAY_LEN(want));
	/* 0x69 frames reclaimed; conventional = 0x9f + 0x100 + 0x100 = 0x29f pages */
	assert_non_null(strstr(log, "physmap: reclaimed 420 KiB of firmware and loader memory"));
	assert_non_null(strstr(log, "pmm: 420 KiB free after reclaim: 15.6% of the 2684 KiB of conventional memory the firmware reported"));
}

/* Conventional memory is counted after sanitising: clipped pages do not count. */
static void test_conventional_counts_the_sanitised_map(void **state)
{
	static const struct boot_region in[] = {
		R(0x200000, 0x100, MEM_FREE),
		R(0x100000, 0x180, MEM_FREE),          /* unsorted; the one above loses 0x80 */
		R(0x300000, 0x100, MEM_FREE),
		R(0x300000, 0x100, MEM_FREE),          /* duplicate: dropped */
		R(LIMIT36 - 0x1000, 0x100, MEM_FREE),  /* clipped to 1 page */
		R(0x400000, 0, MEM_FREE),
	};
	const char *log;

	(void)state;
	log = reclaim_log(in, ARRAY_LEN(in));
	/* 0x180 + 0x80 + 0x100 + 1 = 0x301 pages = 3076 KiB */
	assert_non_null(strstr(log, "of the 3076 KiB of conventional memory"));
	assert_int_equal(added_count, 0);
}

/* The contract lines tools/memmap and the boot tests parse, byte for byte. */
static void test_print_format(void **state)
{
	static const struct boot_region in[] = {
		R(0x0, 0x9f, MEM_FREE),
		R(0x100000, 0x700, MEM_FIRMWARE_BOOT),
		R(0xd00000000ull, 1, MEM_MMIO),
		R(0xffc00000, 0x400, MEM_RESERVED),
	};
	static const char want[] =
		"memmap: begin boot\n"
		"memmap: 0x0000000000000000 0x000000000009f000 159 free\n"
		"memmap: 0x0000000000100000 0x0000000000800000 1792 firmware-boot\n"
		"memmap: 0x00000000ffc00000 0x0000000100000000 1024 reserved\n"
		"memmap: 0x0000000d00000000 0x0000000d00001000 1 mmio\n"
		"memmap: end\n";
	const char *log;

	(void)state;
	init_map(in, ARRAY_LEN(in)); /* unsorted on purpose: the dump is sorted */
	capture_begin();
	physmap_print("boot");
	log = capture_end();
	if (strncmp(log, want, strlen(want)) != 0)
		fail_msg("dump differs:\n%s\nwanted:\n%s", log, want);
	/* then the per-class totals, as log lines */
	assert_non_null(strstr(log + strlen(want), "physmap: free                  159 pages      636 KiB"));
	assert_non_null(strstr(log + strlen(want), "physmap: total                2976 pages    11904 KiB"));
	assert_null(strstr(log + strlen(want), "memmap:"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_sorted_map_passes_through, reset),
		cmocka_unit_test_setup(test_unsorted_map_is_sorted, reset),
		cmocka_unit_test_setup(test_overlaps_are_clipped, reset),
		cmocka_unit_test_setup(test_unsorted_and_overlapping, reset),
		cmocka_unit_test_setup(test_bad_regions_are_dropped, reset),
		cmocka_unit_test_setup(test_beyond_physical_width, reset),
		cmocka_unit_test_setup(test_wrapping_region_is_clipped, reset),
		cmocka_unit_test_setup(test_odd_address_width_falls_back_to_52, reset),
		cmocka_unit_test_setup(test_empty_and_oversized_maps, reset),
		cmocka_unit_test_setup(test_reclaim, reset),
		cmocka_unit_test_setup(test_conventional_counts_the_sanitised_map, reset),
		cmocka_unit_test_setup(test_print_format, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
