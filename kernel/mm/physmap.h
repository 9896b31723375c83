/* The classified physical memory map the loader handed over. */
#ifndef MM_PHYSMAP_H
#define MM_PHYSMAP_H

#include <stddef.h>
#include <stdint.h>

#include "shared/boot_info.h"

/*
 * Copies the loader's region array (reached through the direct map) and
 * sanitises the copy so later users can rely on it: sorted by base, no
 * overlaps, no empty regions, nothing at or above 2^phys_addr_bits (the
 * CPU's physical address width; outside 32..52 it is taken as 52). Each
 * repair is logged with a "physmap" warning: an unsorted map is sorted;
 * a region overlapping the one before is clipped to start at its end (or
 * dropped if it lies inside it); a region crossing the address limit is
 * clipped there, one wholly above it dropped; empty, misaligned and
 * unknown-class regions are dropped; entries past PHYSMAP_MAX (1024) are
 * ignored. Never fails; may be called again (it starts over).
 */
void physmap_init(const struct boot_info *bi, unsigned phys_addr_bits);

/* The checked regions. */
const struct boot_region *physmap_regions(size_t *count);

/* Prints "memmap: begin <label>", one "memmap:" line per region,
 * "memmap: end", then per-class totals as physmap log lines. */
void physmap_print(const char *label);

/*
 * Gives the frame allocator the memory nothing needs after boot: firmware
 * boot-services memory and the loader's (image, page tables, boot stack,
 * boot info). Preconditions: the kernel runs on its own page tables and
 * stack, and boot_info has been copied. Keeps the kernel image, the ramdisk
 * and all firmware-runtime/ACPI memory. Logs what the free memory now is as
 * a share of the conventional memory the firmware reported.
 */
void physmap_reclaim_boot_memory(void);

#endif
