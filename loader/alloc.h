/* Page allocations of the loader, remembered so they can be classified or undone. */
#ifndef LOADER_ALLOC_H
#define LOADER_ALLOC_H

#include <stddef.h>
#include <stdint.h>

#include "loader/memmap.h"

/*
 * Allocates `pages` zeroed 4 KiB pages anywhere in memory as EfiLoaderData
 * and records them under `cls` (enum mem_class), so the classified memory
 * map shows them as kernel, ramdisk, boot-pagetables, ... Returns the
 * physical address, or 0 after printing a loader error naming `what`.
 */
uint64_t alloc_pages(uint64_t pages, uint32_t cls, const char *what);

/* Returns every recorded allocation to the firmware (error path). */
void alloc_free_all(void);

/* The recorded allocations, as carves for memmap_classify(). */
const struct memmap_carve *alloc_carves(size_t *count);

/* Records a range the loader did not allocate (the framebuffer). */
int alloc_note(uint64_t base_pa, uint64_t pages, uint32_t cls);

#endif
