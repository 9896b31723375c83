/* The classified physical memory map the loader handed over. */
#include <stdbool.h>

#include "lib/string.h"
#include "log.h"
#include "mm/physmap.h"
#include "mm/direct.h"
#include "shared/mem_class.h"

#define PHYSMAP_MAX 1024

static struct boot_region regions[PHYSMAP_MAX];
static size_t region_count;

void physmap_init(const struct boot_info *bi)
{
	const struct boot_region *in = phys_to_virt(bi->regions_pa);
	uint64_t prev_end = 0;

	if (bi->region_count == 0)
		log_err("physmap", "the loader passed an empty memory map");
	for (uint32_t i = 0; i < bi->region_count; i++) {
		struct boot_region r = in[i];
		uint64_t end = r.base_pa + r.pages * 4096;

		if (r.pages == 0 || end < r.base_pa || r.class >= MEM_CLASS_COUNT) {
			log_warn("physmap", "region %u [%#lx, +%lu pages) class %u is invalid: skipped",
				 i, (unsigned long)r.base_pa, (unsigned long)r.pages, r.class);
			continue;
		}
		if (region_count && r.base_pa < prev_end) {
			log_warn("physmap", "region %u at %#lx overlaps or precedes the one before (ends %#lx): skipped",
				 i, (unsigned long)r.base_pa, (unsigned long)prev_end);
			continue;
		}
		if (region_count == PHYSMAP_MAX) {
			log_warn("physmap", "more than %d regions: the rest are ignored", PHYSMAP_MAX);
			break;
		}
		regions[region_count++] = r;
		prev_end = end;
	}
}

const struct boot_region *physmap_regions(size_t *count)
{
	*count = region_count;
	return regions;
}

void physmap_print(const char *label)
{
	uint64_t totals[MEM_CLASS_COUNT] = { 0 }, all = 0;

	kprintf("memmap: begin %s\n", label);
	for (size_t i = 0; i < region_count; i++) {
		const struct boot_region *r = &regions[i];

		kprintf("memmap: 0x%016lx 0x%016lx %lu %s\n", (unsigned long)r->base_pa,
			(unsigned long)(r->base_pa + r->pages * 4096), (unsigned long)r->pages,
			mem_class_name(r->class));
		totals[r->class] += r->pages;
		all += r->pages;
	}
	kprintf("memmap: end\n");
	for (int c = 0; c < MEM_CLASS_COUNT; c++)
		if (totals[c])
			log_info("physmap", "%-16s %8lu pages %8lu KiB", mem_class_name((uint32_t)c),
				 (unsigned long)totals[c], (unsigned long)totals[c] * 4);
	log_info("physmap", "%-16s %8lu pages %8lu KiB", "total", (unsigned long)all,
		 (unsigned long)all * 4);
}
