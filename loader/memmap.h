/* Turns the UEFI memory map and the loader's own allocations into boot regions. */
#ifndef LOADER_MEMMAP_H
#define LOADER_MEMMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/boot_info.h"

/* Negative returns of memmap_classify(), with Linux's errno values. */
#define MEMMAP_EINVAL 22
#define MEMMAP_ENOSPC 28

/* UEFI memory types (EFI_MEMORY_TYPE) that the classifier distinguishes. */
enum memmap_efi_type {
	MEMMAP_EFI_RESERVED = 0,
	MEMMAP_EFI_LOADER_CODE = 1,
	MEMMAP_EFI_LOADER_DATA = 2,
	MEMMAP_EFI_BOOT_SERVICES_CODE = 3,
	MEMMAP_EFI_BOOT_SERVICES_DATA = 4,
	MEMMAP_EFI_RUNTIME_SERVICES_CODE = 5,
	MEMMAP_EFI_RUNTIME_SERVICES_DATA = 6,
	MEMMAP_EFI_CONVENTIONAL = 7,
	MEMMAP_EFI_UNUSABLE = 8,
	MEMMAP_EFI_ACPI_RECLAIM = 9,
	MEMMAP_EFI_ACPI_NVS = 10,
	MEMMAP_EFI_MMIO = 11,
	MEMMAP_EFI_MMIO_PORT_SPACE = 12,
	MEMMAP_EFI_PAL_CODE = 13,
	MEMMAP_EFI_PERSISTENT = 14,
	MEMMAP_EFI_UNACCEPTED = 15,
};
#define MEMMAP_EFI_OEM_FIRST 0x70000000u /* 0x70000000..0x7fffffff: OEM */
#define MEMMAP_EFI_OS_FIRST  0x80000000u /* 0x80000000..0xffffffff: OS loader */

#define MEMMAP_EFI_MEMORY_RUNTIME (1ull << 63) /* attribute: needed at runtime */

#define MEMMAP_EFI_DESC_MIN_SIZE 40u
#define MEMMAP_MAX_PHYS_ADDR (1ull << 52) /* architectural limit; map clamped here */

/*
 * Mirror of EFI_MEMORY_DESCRIPTOR (UEFI 2.x, version 1). The firmware's
 * descriptors are desc_size bytes apart, often 48: never index an array of
 * this struct over the firmware buffer.
 */
struct memmap_efi_desc {
	uint32_t type; /* enum memmap_efi_type or an OEM/OS value */
	uint32_t pad;
	uint64_t physical_start; /* 4 KiB aligned by the UEFI spec */
	uint64_t virtual_start;
	uint64_t number_of_pages; /* 4 KiB pages */
	uint64_t attribute;
};
_Static_assert(sizeof(struct memmap_efi_desc) == 40, "EFI descriptor layout");

/*
 * One of the loader's own allocations (kernel, ramdisk, page tables, boot
 * stack, boot info) or the framebuffer. base_pa must be 4 KiB aligned and
 * cls a valid enum mem_class. A carve overrides the firmware class wherever
 * it overlaps a descriptor; its parts outside every descriptor are dropped.
 * Carves must not overlap each other. pages == 0 is an empty carve.
 */
struct memmap_carve {
	uint64_t base_pa;
	uint64_t pages;
	uint32_t cls; /* enum mem_class */
};

/*
 * Returns the enum mem_class for a descriptor of UEFI type efi_type with
 * attribute bits attribute. Unknown and OEM types are reserved, OS-loader
 * types (>= 0x80000000) are loader. EFI_MEMORY_RUNTIME turns a RAM-like
 * class (free, firmware-boot, loader) into firmware-runtime.
 */
uint32_t memmap_class_of_efi_type(uint32_t efi_type, uint64_t attribute);

/*
 * Returns how many boot_region entries memmap_classify() may need for a map
 * of descriptor_count descriptors and carve_count carves: 2 * (sum), which
 * bounds the number of distinct boundaries. Saturates at SIZE_MAX.
 */
size_t memmap_capacity_needed(size_t descriptor_count, size_t carve_count);

/*
 * Classifies the firmware map fw_map (map_size bytes, one descriptor every
 * desc_size bytes, any alignment; a trailing partial descriptor is ignored)
 * overlaid with carves, into out[0..capacity).
 *
 * The result is sorted by base, non-overlapping, and adjacent regions
 * (end == next base) of the same class are merged. Every byte of every
 * non-empty descriptor below MEMMAP_MAX_PHYS_ADDR is covered exactly once:
 * a descriptor not 4 KiB aligned is widened to whole pages, one reaching
 * past 2^52 (or 2^64) is clamped, zero-page ones are skipped. Where firmware
 * descriptors overlap, the more restrictive class wins, from least to most:
 *   free < loader < firmware-boot < acpi-reclaim < unaccepted < persistent
 *   < firmware-runtime < acpi-nvs < mmio < reserved < bad.
 * Carves then override that class where they overlap.
 *
 * Does not allocate and never fails for lack of room if capacity >=
 * memmap_capacity_needed(map_size / desc_size, carve_count).
 *
 * Returns 0 and sets *out_count to the number of regions written.
 * Returns -MEMMAP_ENOSPC if more than capacity regions are needed: out holds
 * the first capacity of them and *out_count the number needed.
 * Returns -MEMMAP_EINVAL, without touching out or *out_count, if
 * desc_size < 40, a pointer is NULL while its count is not zero, or a carve
 * is unaligned, has an invalid class or overlaps another carve.
 */
int memmap_classify(const void *fw_map, size_t map_size, size_t desc_size,
		    const struct memmap_carve *carves, size_t carve_count,
		    struct boot_region *out, size_t capacity, size_t *out_count);

#endif /* LOADER_MEMMAP_H */
