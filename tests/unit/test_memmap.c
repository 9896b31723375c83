/* Host unit tests of the loader's memory-map classification and the class names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "loader/memmap.h"
#include "shared/mem_class.h"

#define PAGE 4096ull
#define MAX_DESCS 700
#define MAX_REGIONS 2048

/* A descriptor as a test writes it; build_map() lays it out like firmware. */
struct test_desc {
	uint32_t type;
	uint64_t start_pa;
	uint64_t pages;
	uint64_t attribute;
};

static uint8_t map_buffer[MAX_DESCS * 64 + 64];
static struct boot_region regions[MAX_REGIONS];

/* Writes descs at stride desc_size from buf, padding and unused fields garbage. */
static size_t build_map(uint8_t *buf, size_t desc_size, const struct test_desc *descs,
			size_t count)
{
	memset(buf, 0xa5, count * desc_size);
	for (size_t i = 0; i < count; i++) {
		struct memmap_efi_desc desc = {
			.type = descs[i].type,
			.pad = 0xdeadbeef,
			.physical_start = descs[i].start_pa,
			.virtual_start = 0x1234567812345678ull,
			.number_of_pages = descs[i].pages,
			.attribute = descs[i].attribute,
		};
		memcpy(buf + i * desc_size, &desc, sizeof(desc));
	}
	return count * desc_size;
}

/* Classifies descs (stride desc_size) with carves into regions[]; returns the error. */
static int classify_with(size_t desc_size, const struct test_desc *descs, size_t count,
			 const struct memmap_carve *carves, size_t carve_count,
			 size_t *region_count)
{
	size_t size = build_map(map_buffer, desc_size, descs, count);

	memset(regions, 0x5a, sizeof(regions));
	return memmap_classify(map_buffer, size, desc_size, carves, carve_count,
			       regions, MAX_REGIONS, region_count);
}

/* Same with the common 48-byte stride; asserts success and returns the count. */
static size_t classify(const struct test_desc *descs, size_t count,
		       const struct memmap_carve *carves, size_t carve_count)
{
	size_t region_count = 0;

	assert_int_equal(classify_with(48, descs, count, carves, carve_count,
				       &region_count), 0);
	return region_count;
}

static void assert_region(size_t index, uint64_t base_pa, uint64_t pages, uint32_t cls)
{
	assert_int_equal(regions[index].base_pa, base_pa);
	assert_int_equal(regions[index].pages, pages);
	assert_string_equal(mem_class_name(regions[index].class), mem_class_name(cls));
	assert_int_equal(regions[index].reserved, 0);
}

static void test_class_names(void **state)
{
	static const char *const expected[MEM_CLASS_COUNT] = {
		"free", "firmware-boot", "firmware-runtime", "acpi-reclaim",
		"acpi-nvs", "mmio", "reserved", "bad", "persistent", "unaccepted",
		"loader", "kernel", "ramdisk", "boot-pagetables", "boot-stack",
		"boot-info", "framebuffer",
	};
	(void)state;
	for (uint32_t cls = 0; cls < MEM_CLASS_COUNT; cls++)
		assert_string_equal(mem_class_name(cls), expected[cls]);
	assert_string_equal(mem_class_name(MEM_CLASS_COUNT), "unknown");
	assert_string_equal(mem_class_name(UINT32_MAX), "unknown");
}

static void test_usable_after_boot(void **state)
{
	(void)state;
	for (uint32_t cls = 0; cls < MEM_CLASS_COUNT; cls++) {
		bool usable = cls == MEM_FREE || cls == MEM_FIRMWARE_BOOT ||
			      cls == MEM_LOADER;
		assert_int_equal(mem_class_is_usable_after_boot(cls), usable);
	}
	assert_false(mem_class_is_usable_after_boot(MEM_ACPI_RECLAIM));
	assert_false(mem_class_is_usable_after_boot(MEM_CLASS_COUNT));
	assert_false(mem_class_is_usable_after_boot(UINT32_MAX));
}

static void test_efi_type_mapping(void **state)
{
	static const uint32_t expected[] = {
		MEM_RESERVED, MEM_LOADER, MEM_LOADER, MEM_FIRMWARE_BOOT,
		MEM_FIRMWARE_BOOT, MEM_FIRMWARE_RUNTIME, MEM_FIRMWARE_RUNTIME,
		MEM_FREE, MEM_BAD, MEM_ACPI_RECLAIM, MEM_ACPI_NVS, MEM_MMIO,
		MEM_MMIO, MEM_RESERVED, MEM_PERSISTENT, MEM_UNACCEPTED,
	};
	(void)state;
	for (uint32_t type = 0; type < 16; type++)
		assert_int_equal(memmap_class_of_efi_type(type, 0), expected[type]);
	assert_int_equal(memmap_class_of_efi_type(16, 0), MEM_RESERVED);
	assert_int_equal(memmap_class_of_efi_type(0x6fffffff, 0), MEM_RESERVED);
	assert_int_equal(memmap_class_of_efi_type(0x70000000, 0), MEM_RESERVED);
	assert_int_equal(memmap_class_of_efi_type(0x7fffffff, 0), MEM_RESERVED);
	assert_int_equal(memmap_class_of_efi_type(0x80000000, 0), MEM_LOADER);
	assert_int_equal(memmap_class_of_efi_type(0xffffffff, 0), MEM_LOADER);
}

static void test_runtime_attribute(void **state)
{
	const uint64_t rt = MEMMAP_EFI_MEMORY_RUNTIME | 0xf; /* with cache bits */
	(void)state;
	assert_int_equal(memmap_class_of_efi_type(MEMMAP_EFI_CONVENTIONAL, rt), MEM_FIRMWARE_RUNTIME);
	assert_int_equal(memmap_class_of_efi_type(MEMMAP_EFI_BOOT_SERVICES_DATA, rt), MEM_FIRMWARE_RUNTIME);
	assert_int_equal(memmap_class_of_efi_type(MEMMAP_EFI_LOADER_CODE, rt), MEM_FIRMWARE_RUNTIME);
	assert_int_equal(memmap_class_of_efi_type(0x80000001, rt), MEM_FIRMWARE_RUNTIME);
	assert_int_equal(memmap_class_of_efi_type(MEMMAP_EFI_MMIO, rt), MEM_MMIO);
	assert_int_equal(memmap_class_of_efi_type(MEMMAP_EFI_RESERVED, rt), MEM_RESERVED);
	assert_int_equal(memmap_class_of_efi_type(MEMMAP_EFI_ACPI_NVS, rt), MEM_ACPI_NVS);
	assert_int_equal(memmap_class_of_efi_type(MEMMAP_EFI_CONVENTIONAL, 0xf), MEM_FREE);
}

static void test_runtime_attribute_in_map(void **state)
{
	const struct test_desc map[] = {
		{ MEMMAP_EFI_CONVENTIONAL, 0x0, 4, 0 },
		{ MEMMAP_EFI_BOOT_SERVICES_DATA, 0x4000, 2, MEMMAP_EFI_MEMORY_RUNTIME },
		{ MEMMAP_EFI_RUNTIME_SERVICES_CODE, 0x6000, 2, MEMMAP_EFI_MEMORY_RUNTIME },
	};
	(void)state;
	assert_int_equal(classify(map, 3, NULL, 0), 2);
	assert_region(0, 0x0, 4, MEM_FREE);
	assert_region(1, 0x4000, 4, MEM_FIRMWARE_RUNTIME);
}

static void test_oem_and_os_types_in_map(void **state)
{
	const struct test_desc map[] = {
		{ 0x70000005, 0x0, 1, 0 },
		{ 0x80000000, 0x1000, 1, 0 },
		{ MEMMAP_EFI_LOADER_DATA, 0x2000, 1, 0 },
		{ 0x12345, 0x3000, 1, 0 },
	};
	(void)state;
	assert_int_equal(classify(map, 4, NULL, 0), 3);
	assert_region(0, 0x0, 1, MEM_RESERVED);
	assert_region(1, 0x1000, 2, MEM_LOADER);
	assert_region(2, 0x3000, 1, MEM_RESERVED);
}

static void test_empty_map(void **state)
{
	size_t count = 99;
	(void)state;
	assert_int_equal(memmap_classify(NULL, 0, 48, NULL, 0, NULL, 0, &count), 0);
	assert_int_equal(count, 0);
	assert_int_equal(memmap_classify(map_buffer, 47, 48, NULL, 0, NULL, 0, &count), 0);
	assert_int_equal(count, 0);
}

static void test_invalid_arguments(void **state)
{
	const struct test_desc map[] = { { MEMMAP_EFI_CONVENTIONAL, 0, 1, 0 } };
	size_t size = build_map(map_buffer, 48, map, 1);
	size_t count = 77;
	(void)state;
	assert_int_equal(memmap_classify(map_buffer, size, 39, NULL, 0, regions, 4, &count), -MEMMAP_EINVAL);
	assert_int_equal(memmap_classify(map_buffer, size, 0, NULL, 0, regions, 4, &count), -MEMMAP_EINVAL);
	assert_int_equal(memmap_classify(map_buffer, size, 48, NULL, 0, regions, 4, NULL), -MEMMAP_EINVAL);
	assert_int_equal(memmap_classify(NULL, size, 48, NULL, 0, regions, 4, &count), -MEMMAP_EINVAL);
	assert_int_equal(memmap_classify(map_buffer, size, 48, NULL, 1, regions, 4, &count), -MEMMAP_EINVAL);
	assert_int_equal(memmap_classify(map_buffer, size, 48, NULL, 0, NULL, 4, &count), -MEMMAP_EINVAL);
	assert_int_equal(count, 77);
}

static void test_invalid_carves(void **state)
{
	const struct test_desc map[] = { { MEMMAP_EFI_LOADER_DATA, 0, 16, 0 } };
	const struct memmap_carve unaligned[] = { { 0x1800, 1, MEM_KERNEL } };
	const struct memmap_carve bad_class[] = { { 0x1000, 1, MEM_CLASS_COUNT } };
	const struct memmap_carve overlapping[] = {
		{ 0x1000, 4, MEM_KERNEL }, { 0x4000, 2, MEM_RAMDISK },
	};
	const struct memmap_carve touching[] = {
		{ 0x1000, 3, MEM_KERNEL }, { 0x4000, 2, MEM_RAMDISK },
		{ 0x5000, 0, MEM_BOOT_STACK }, /* empty: never overlaps */
	};
	size_t count = 0;
	(void)state;
	assert_int_equal(classify_with(48, map, 1, unaligned, 1, &count), -MEMMAP_EINVAL);
	assert_int_equal(classify_with(48, map, 1, bad_class, 1, &count), -MEMMAP_EINVAL);
	assert_int_equal(classify_with(48, map, 1, overlapping, 2, &count), -MEMMAP_EINVAL);
	assert_int_equal(classify_with(48, map, 1, touching, 3, &count), 0);
	assert_int_equal(count, 4);
}

static void test_sorts_unsorted_map(void **state)
{
	const struct test_desc map[] = {
		{ MEMMAP_EFI_ACPI_NVS, 0x9000, 1, 0 },
		{ MEMMAP_EFI_CONVENTIONAL, 0x0, 2, 0 },
		{ MEMMAP_EFI_MMIO, 0xfee00000, 1, 0 },
		{ MEMMAP_EFI_BOOT_SERVICES_CODE, 0x4000, 3, 0 },
	};
	(void)state;
	assert_int_equal(classify(map, 4, NULL, 0), 4);
	assert_region(0, 0x0, 2, MEM_FREE);
	assert_region(1, 0x4000, 3, MEM_FIRMWARE_BOOT);
	assert_region(2, 0x9000, 1, MEM_ACPI_NVS);
	assert_region(3, 0xfee00000, 1, MEM_MMIO);
}

static void test_merges_adjacent_equal_classes(void **state)
{
	const struct test_desc map[] = {
		{ MEMMAP_EFI_BOOT_SERVICES_DATA, 0x3000, 1, 0 },
		{ MEMMAP_EFI_CONVENTIONAL, 0x0, 1, 0 },
		{ MEMMAP_EFI_CONVENTIONAL, 0x1000, 1, 0 },
		{ MEMMAP_EFI_BOOT_SERVICES_CODE, 0x2000, 1, 0 },
		{ MEMMAP_EFI_LOADER_CODE, 0x4000, 1, 0 },
		{ MEMMAP_EFI_LOADER_DATA, 0x5000, 2, 0 },
	};
	(void)state;
	assert_int_equal(classify(map, 6, NULL, 0), 3);
	assert_region(0, 0x0, 2, MEM_FREE);
	assert_region(1, 0x2000, 2, MEM_FIRMWARE_BOOT);
	assert_region(2, 0x4000, 3, MEM_LOADER);
}

static void test_no_merge_across_gap(void **state)
{
	const struct test_desc map[] = {
		{ MEMMAP_EFI_CONVENTIONAL, 0x0, 1, 0 },
		{ MEMMAP_EFI_CONVENTIONAL, 0x2000, 1, 0 },
	};
	(void)state;
	assert_int_equal(classify(map, 2, NULL, 0), 2);
	assert_region(0, 0x0, 1, MEM_FREE);
	assert_region(1, 0x2000, 1, MEM_FREE);
}

static void test_carve_middle_of_loader_data(void **state)
{
	const struct test_desc map[] = { { MEMMAP_EFI_LOADER_DATA, 0x100000, 16, 0 } };
	const struct memmap_carve carves[] = { { 0x104000, 4, MEM_KERNEL } };
	(void)state;
	assert_int_equal(classify(map, 1, carves, 1), 3);
	assert_region(0, 0x100000, 4, MEM_LOADER);
	assert_region(1, 0x104000, 4, MEM_KERNEL);
	assert_region(2, 0x108000, 8, MEM_LOADER);
}

static void test_carve_middle_of_conventional(void **state)
{
	const struct test_desc map[] = { { MEMMAP_EFI_CONVENTIONAL, 0x200000, 10, 0 } };
	const struct memmap_carve carves[] = { { 0x205000, 1, MEM_BOOT_PAGETABLES } };
	(void)state;
	assert_int_equal(classify(map, 1, carves, 1), 3);
	assert_region(0, 0x200000, 5, MEM_FREE);
	assert_region(1, 0x205000, 1, MEM_BOOT_PAGETABLES);
	assert_region(2, 0x206000, 4, MEM_FREE);
}

static void test_carve_at_start_and_end(void **state)
{
	const struct test_desc map[] = { { MEMMAP_EFI_LOADER_DATA, 0x10000, 8, 0 } };
	const struct memmap_carve carves[] = {
		{ 0x16000, 2, MEM_RAMDISK }, { 0x10000, 3, MEM_BOOT_STACK },
	};
	(void)state;
	assert_int_equal(classify(map, 1, carves, 2), 3);
	assert_region(0, 0x10000, 3, MEM_BOOT_STACK);
	assert_region(1, 0x13000, 3, MEM_LOADER);
	assert_region(2, 0x16000, 2, MEM_RAMDISK);
}

static void test_carve_whole_descriptor(void **state)
{
	const struct test_desc map[] = {
		{ MEMMAP_EFI_LOADER_DATA, 0x10000, 2, 0 },
		{ MEMMAP_EFI_LOADER_DATA, 0x12000, 2, 0 },
	};
	const struct memmap_carve carves[] = {
		{ 0x10000, 2, MEM_KERNEL }, { 0x12000, 2, MEM_KERNEL },
	};
	(void)state;
	assert_int_equal(classify(map, 2, carves, 2), 1);
	assert_region(0, 0x10000, 4, MEM_KERNEL);
}

static void test_carve_spanning_two_descriptors(void **state)
{
	const struct test_desc map[] = {
		{ MEMMAP_EFI_CONVENTIONAL, 0x20000, 4, 0 },
		{ MEMMAP_EFI_LOADER_DATA, 0x10000, 16, 0 },
	};
	const struct memmap_carve carves[] = { { 0x1e000, 4, MEM_RAMDISK } };
	(void)state;
	assert_int_equal(classify(map, 2, carves, 1), 3);
	assert_region(0, 0x10000, 14, MEM_LOADER);
	assert_region(1, 0x1e000, 4, MEM_RAMDISK);
	assert_region(2, 0x22000, 2, MEM_FREE);
}

static void test_carve_across_gap_keeps_gap(void **state)
{
	const struct test_desc map[] = {
		{ MEMMAP_EFI_LOADER_DATA, 0x10000, 2, 0 },
		{ MEMMAP_EFI_LOADER_DATA, 0x14000, 2, 0 },
	};
	const struct memmap_carve carves[] = { { 0x11000, 4, MEM_BOOT_INFO } };
	(void)state;
	assert_int_equal(classify(map, 2, carves, 1), 4);
	assert_region(0, 0x10000, 1, MEM_LOADER);
	assert_region(1, 0x11000, 1, MEM_BOOT_INFO);
	assert_region(2, 0x14000, 1, MEM_BOOT_INFO);
	assert_region(3, 0x15000, 1, MEM_LOADER);
}

static void test_carve_outside_map_ignored(void **state)
{
	const struct test_desc map[] = { { MEMMAP_EFI_CONVENTIONAL, 0x100000, 4, 0 } };
	const struct memmap_carve carves[] = {
		{ 0x80000000, 256, MEM_FRAMEBUFFER },
		{ 0x0, 0x100, MEM_KERNEL },
		{ 0xfffffffffffff000ull, UINT64_MAX, MEM_RAMDISK },
	};
	(void)state;
	assert_int_equal(classify(map, 1, carves, 3), 1);
	assert_region(0, 0x100000, 4, MEM_FREE);
}

static void test_framebuffer_inside_mmio(void **state)
{
	const struct test_desc map[] = { { MEMMAP_EFI_MMIO, 0x80000000, 0x1000, 0 } };
	const struct memmap_carve carves[] = { { 0x80000000, 0x300, MEM_FRAMEBUFFER } };
	(void)state;
	assert_int_equal(classify(map, 1, carves, 1), 2);
	assert_region(0, 0x80000000, 0x300, MEM_FRAMEBUFFER);
	assert_region(1, 0x80300000, 0xd00, MEM_MMIO);
}

static void test_600_descriptors(void **state)
{
	static struct test_desc map[600];
	(void)state;
	for (size_t i = 0; i < 600; i++) {
		size_t slot = 599 - i; /* reverse order */
		map[i] = (struct test_desc){
			.type = slot % 2 ? MEMMAP_EFI_CONVENTIONAL : MEMMAP_EFI_BOOT_SERVICES_DATA,
			.start_pa = slot * 2 * PAGE,
			.pages = 2,
		};
	}
	assert_int_equal(classify(map, 600, NULL, 0), 600);
	for (size_t i = 0; i < 600; i++)
		assert_region(i, i * 2 * PAGE, 2, i % 2 ? MEM_FREE : MEM_FIRMWARE_BOOT);
}

static void test_desc_size_48_and_56_with_garbage(void **state)
{
	const struct test_desc map[] = {
		{ MEMMAP_EFI_ACPI_RECLAIM, 0x7000, 1, 0 },
		{ MEMMAP_EFI_CONVENTIONAL, 0x0, 7, 0 },
	};
	const size_t sizes[] = { 40, 48, 56, 64 };
	size_t count = 0;
	(void)state;
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(classify_with(sizes[i], map, 2, NULL, 0, &count), 0);
		assert_int_equal(count, 2);
		assert_region(0, 0x0, 7, MEM_FREE);
		assert_region(1, 0x7000, 1, MEM_ACPI_RECLAIM);
	}
}

static void test_unaligned_buffer_and_partial_tail(void **state)
{
	const struct test_desc map[] = {
		{ MEMMAP_EFI_CONVENTIONAL, 0x0, 3, 0 },
		{ MEMMAP_EFI_ACPI_NVS, 0x3000, 1, 0 },
	};
	static uint8_t raw[2 * 48 + 32];
	size_t size = build_map(raw + 3, 48, map, 2);
	size_t count = 0;
	(void)state;
	/* 20 extra bytes of a cut-off third descriptor must be ignored. */
	memset(raw + 3 + size, 0x07, 20);
	assert_int_equal(memmap_classify(raw + 3, size + 20, 48, NULL, 0, regions,
					 MAX_REGIONS, &count), 0);
	assert_int_equal(count, 2);
	assert_region(0, 0x0, 3, MEM_FREE);
	assert_region(1, 0x3000, 1, MEM_ACPI_NVS);
}

static void test_zero_page_descriptors_skipped(void **state)
{
	const struct test_desc map[] = {
		{ MEMMAP_EFI_CONVENTIONAL, 0x0, 1, 0 },
		{ MEMMAP_EFI_UNUSABLE, 0x1000, 0, 0 },
		{ MEMMAP_EFI_RESERVED, 0x0, 0, 0 },
		{ MEMMAP_EFI_CONVENTIONAL, 0x1000, 1, 0 },
	};
	(void)state;
	assert_int_equal(classify(map, 4, NULL, 0), 1);
	assert_region(0, 0x0, 2, MEM_FREE);
}

static void test_overflowing_descriptor_clamped(void **state)
{
	const uint64_t top = MEMMAP_MAX_PHYS_ADDR;
	const struct test_desc map[] = {
		{ MEMMAP_EFI_RESERVED, top - 2 * PAGE, UINT64_MAX, 0 },
		{ MEMMAP_EFI_RESERVED, 0xfffffffffffff000ull, 16, 0 },
		{ MEMMAP_EFI_MMIO, top, 1, 0 },
		{ MEMMAP_EFI_CONVENTIONAL, 0x0, 1, 0 },
		{ MEMMAP_EFI_MMIO, top - 8 * PAGE, 4, 0 },
	};
	(void)state;
	assert_int_equal(classify(map, 5, NULL, 0), 3);
	assert_region(0, 0x0, 1, MEM_FREE);
	assert_region(1, top - 8 * PAGE, 4, MEM_MMIO);
	assert_region(2, top - 2 * PAGE, 2, MEM_RESERVED);
}

static void test_unaligned_descriptor_widened(void **state)
{
	const struct test_desc map[] = {
		{ MEMMAP_EFI_ACPI_NVS, 0x1800, 1, 0 },
		{ MEMMAP_EFI_CONVENTIONAL, 0x0, 4, 0 },
	};
	(void)state;
	assert_int_equal(classify(map, 2, NULL, 0), 3);
	assert_region(0, 0x0, 1, MEM_FREE);
	assert_region(1, 0x1000, 2, MEM_ACPI_NVS);
	assert_region(2, 0x3000, 1, MEM_FREE);
}

static void test_overlapping_firmware_descriptors(void **state)
{
	const struct test_desc map[] = {
		{ MEMMAP_EFI_CONVENTIONAL, 0x0, 16, 0 },
		{ MEMMAP_EFI_RESERVED, 0x4000, 2, 0 },
		{ MEMMAP_EFI_CONVENTIONAL, 0x0, 16, 0 }, /* duplicate */
		{ MEMMAP_EFI_ACPI_NVS, 0xe000, 4, 0 },   /* sticks out */
	};
	uint64_t total = 0;
	size_t count;
	(void)state;
	count = classify(map, 4, NULL, 0);
	assert_int_equal(count, 4);
	assert_region(0, 0x0, 4, MEM_FREE);
	assert_region(1, 0x4000, 2, MEM_RESERVED);
	assert_region(2, 0x6000, 8, MEM_FREE);
	assert_region(3, 0xe000, 4, MEM_ACPI_NVS);
	for (size_t i = 0; i < count; i++)
		total += regions[i].pages;
	assert_int_equal(total, 18);
}

static void test_restrictiveness_order(void **state)
{
	static const uint32_t order[] = { /* least to most restrictive */
		MEMMAP_EFI_CONVENTIONAL, MEMMAP_EFI_LOADER_DATA,
		MEMMAP_EFI_BOOT_SERVICES_DATA, MEMMAP_EFI_ACPI_RECLAIM,
		MEMMAP_EFI_UNACCEPTED, MEMMAP_EFI_PERSISTENT,
		MEMMAP_EFI_RUNTIME_SERVICES_DATA, MEMMAP_EFI_ACPI_NVS,
		MEMMAP_EFI_MMIO, MEMMAP_EFI_RESERVED, MEMMAP_EFI_UNUSABLE,
	};
	const size_t n = sizeof(order) / sizeof(order[0]);
	(void)state;
	for (size_t lo = 0; lo < n; lo++) {
		for (size_t hi = lo + 1; hi < n; hi++) {
			const struct test_desc map[] = {
				{ order[hi], 0x2000, 1, 0 },
				{ order[lo], 0x1000, 3, 0 },
			};
			uint32_t lo_cls = memmap_class_of_efi_type(order[lo], 0);
			uint32_t hi_cls = memmap_class_of_efi_type(order[hi], 0);

			assert_int_equal(classify(map, 2, NULL, 0), 3);
			assert_region(0, 0x1000, 1, lo_cls);
			assert_region(1, 0x2000, 1, hi_cls);
			assert_region(2, 0x3000, 1, lo_cls);
		}
	}
}

static void test_enospc_reports_needed_count(void **state)
{
	const struct test_desc map[] = {
		{ MEMMAP_EFI_CONVENTIONAL, 0x0, 1, 0 },
		{ MEMMAP_EFI_ACPI_NVS, 0x1000, 1, 0 },
		{ MEMMAP_EFI_CONVENTIONAL, 0x2000, 1, 0 },
	};
	size_t size = build_map(map_buffer, 48, map, 3);
	struct boot_region small[2];
	size_t count = 0;
	(void)state;
	assert_int_equal(memmap_classify(map_buffer, size, 48, NULL, 0, small, 2, &count),
			 -MEMMAP_ENOSPC);
	assert_int_equal(count, 3);
	assert_int_equal(small[1].base_pa, 0x1000);
	assert_int_equal(memmap_classify(map_buffer, size, 48, NULL, 0, NULL, 0, &count),
			 -MEMMAP_ENOSPC);
	assert_int_equal(count, 3);
}

static void test_capacity_needed_values(void **state)
{
	(void)state;
	assert_int_equal(memmap_capacity_needed(0, 0), 0);
	assert_int_equal(memmap_capacity_needed(3, 2), 10);
	assert_int_equal(memmap_capacity_needed(SIZE_MAX, 1), SIZE_MAX);
	assert_int_equal(memmap_capacity_needed(SIZE_MAX / 2, 1), SIZE_MAX);
}

/* Small random world for the property test: every class per page. */
#define WORLD_PAGES 96
#define NO_CLASS UINT32_MAX

static uint64_t lcg_state = 0x853c49e6748fea9bull;

static uint32_t lcg_next(uint32_t bound)
{
	lcg_state = lcg_state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(lcg_state >> 33) % bound;
}

/* Independent restrictiveness order for the reference model. */
static int reference_rank(uint32_t cls)
{
	static const uint32_t order[] = {
		MEM_FREE, MEM_LOADER, MEM_FIRMWARE_BOOT, MEM_ACPI_RECLAIM,
		MEM_UNACCEPTED, MEM_PERSISTENT, MEM_FIRMWARE_RUNTIME, MEM_ACPI_NVS,
		MEM_MMIO, MEM_RESERVED, MEM_BAD,
	};
	for (int i = 0; i < (int)(sizeof(order) / sizeof(order[0])); i++) {
		if (order[i] == cls)
			return i;
	}
	fail_msg("class %u has no rank", cls);
	return -1;
}

/* Builds a random map and carves, classifies with the exact bound, checks against a page model. */
static void property_round(void)
{
	static const uint32_t types[] = { 0, 1, 2, 3, 4, 5, 6, 7, 7, 7, 8, 9, 10,
					  11, 12, 13, 14, 15, 99, 0x70000001, 0x80000002 };
	struct test_desc descs[24];
	struct memmap_carve carves[6];
	uint32_t model[WORLD_PAGES];
	size_t desc_count = lcg_next(24), carve_count = 0;
	size_t desc_size = 40 + 8 * lcg_next(4);
	size_t capacity, count = 0;
	uint64_t page = 0, covered = 0, total = 0;
	struct boot_region *out;

	for (size_t p = 0; p < WORLD_PAGES; p++)
		model[p] = NO_CLASS;
	for (size_t i = 0; i < desc_count; i++) {
		uint64_t start = lcg_next(WORLD_PAGES - 16), pages = lcg_next(16);
		uint64_t offset = lcg_next(8) == 0 ? 1 + lcg_next(4095) : 0;
		uint32_t cls;

		descs[i] = (struct test_desc){
			.type = types[lcg_next(sizeof(types) / sizeof(types[0]))],
			.start_pa = start * PAGE + offset,
			.pages = pages,
			.attribute = lcg_next(6) == 0 ? MEMMAP_EFI_MEMORY_RUNTIME : 0,
		};
		cls = memmap_class_of_efi_type(descs[i].type, descs[i].attribute);
		for (uint64_t p = start; pages && p < start + pages + (offset != 0); p++) {
			if (model[p] == NO_CLASS || reference_rank(cls) > reference_rank(model[p]))
				model[p] = cls;
		}
	}
	while (carve_count < 6 && page < WORLD_PAGES) {
		uint64_t start = page + lcg_next(20), pages = lcg_next(10);

		carves[carve_count++] = (struct memmap_carve){
			.base_pa = start * PAGE, .pages = pages,
			.cls = MEM_KERNEL + lcg_next(MEM_CLASS_COUNT - MEM_KERNEL),
		};
		for (uint64_t p = start; p < start + pages && p < WORLD_PAGES; p++) {
			if (model[p] != NO_CLASS)
				model[p] = carves[carve_count - 1].cls;
		}
		page = start + pages;
	}

	capacity = memmap_capacity_needed(desc_count, carve_count);
	out = malloc((capacity ? capacity : 1) * sizeof(*out));
	assert_non_null(out);
	size_t size = build_map(map_buffer, desc_size, descs, desc_count);
	assert_int_equal(memmap_classify(map_buffer, size, desc_size, carves, carve_count,
					 out, capacity, &count), 0);
	assert_true(count <= capacity);

	for (size_t i = 0; i < count; i++) {
		assert_true(out[i].pages > 0);
		assert_int_equal(out[i].base_pa % PAGE, 0);
		if (i > 0) {
			uint64_t prev_end = out[i - 1].base_pa + out[i - 1].pages * PAGE;
			assert_true(prev_end <= out[i].base_pa);
			assert_false(prev_end == out[i].base_pa && out[i - 1].class == out[i].class);
		}
		for (uint64_t p = 0; p < out[i].pages; p++) {
			uint64_t frame = out[i].base_pa / PAGE + p;
			assert_true(frame < WORLD_PAGES);
			assert_int_equal(out[i].class, model[frame]);
		}
		total += out[i].pages;
	}
	for (size_t p = 0; p < WORLD_PAGES; p++)
		covered += model[p] != NO_CLASS;
	assert_int_equal(total, covered);
	free(out);
}

static void test_capacity_needed_property(void **state)
{
	(void)state;
	for (int round = 0; round < 5000; round++)
		property_round();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_class_names),
		cmocka_unit_test(test_usable_after_boot),
		cmocka_unit_test(test_efi_type_mapping),
		cmocka_unit_test(test_runtime_attribute),
		cmocka_unit_test(test_runtime_attribute_in_map),
		cmocka_unit_test(test_oem_and_os_types_in_map),
		cmocka_unit_test(test_empty_map),
		cmocka_unit_test(test_invalid_arguments),
		cmocka_unit_test(test_invalid_carves),
		cmocka_unit_test(test_sorts_unsorted_map),
		cmocka_unit_test(test_merges_adjacent_equal_classes),
		cmocka_unit_test(test_no_merge_across_gap),
		cmocka_unit_test(test_carve_middle_of_loader_data),
		cmocka_unit_test(test_carve_middle_of_conventional),
		cmocka_unit_test(test_carve_at_start_and_end),
		cmocka_unit_test(test_carve_whole_descriptor),
		cmocka_unit_test(test_carve_spanning_two_descriptors),
		cmocka_unit_test(test_carve_across_gap_keeps_gap),
		cmocka_unit_test(test_carve_outside_map_ignored),
		cmocka_unit_test(test_framebuffer_inside_mmio),
		cmocka_unit_test(test_600_descriptors),
		cmocka_unit_test(test_desc_size_48_and_56_with_garbage),
		cmocka_unit_test(test_unaligned_buffer_and_partial_tail),
		cmocka_unit_test(test_zero_page_descriptors_skipped),
		cmocka_unit_test(test_overflowing_descriptor_clamped),
		cmocka_unit_test(test_unaligned_descriptor_widened),
		cmocka_unit_test(test_overlapping_firmware_descriptors),
		cmocka_unit_test(test_restrictiveness_order),
		cmocka_unit_test(test_enospc_reports_needed_count),
		cmocka_unit_test(test_capacity_needed_values),
		cmocka_unit_test(test_capacity_needed_property),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
