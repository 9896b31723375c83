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

#endif
