/* The classified physical memory map the loader handed over. */
#ifndef MM_PHYSMAP_H
#define MM_PHYSMAP_H

#include <stddef.h>
#include <stdint.h>

#include "shared/boot_info.h"

/*
 * Adopts the loader's region array (reached through the direct map) and
 * checks it: regions must be sorted, non-overlapping and non-empty. Bad
 * entries are logged and dropped so later users can rely on the order.
 */
void physmap_init(const struct boot_info *bi);

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
