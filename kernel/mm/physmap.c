/* The classified physical memory map the loader handed over. */
#include <stdbool.h>

#include "lib/string.h"
#include "log.h"
#include "mm/physmap.h"
#include "mm/addr.h"
#include "mm/pmm.h"
#include "shared/mem_class.h"

#define PHYSMAP_MAX 1024

static struct boot_region regions[PHYSMAP_MAX];
static size_t region_count;
static uint64_t conventional_pages; /* MEM_FREE at hand-off: what firmware called conventional */

void physmap_init(const struct boot_info *bi)
{
	const struct boot_region *in = phys_to_virt(PA(bi->regions_pa));
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
		if (r.class == MEM_FREE)
			conventional_pages += r.pages;
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

static bool reclaimable(uint32_t cls)
{
	return cls == MEM_FIRMWARE_BOOT || cls == MEM_LOADER || cls == MEM_BOOT_PAGETABLES ||
	       cls == MEM_BOOT_STACK || cls == MEM_BOOT_INFO;
}

/* Merges neighbours of one class after classes changed. */
static void merge_regions(void)
{
	size_t out = 0;

	for (size_t i = 0; i < region_count; i++) {
		struct boot_region *last = out ? &regions[out - 1] : NULL;

		if (last && last->class == regions[i].class &&
		    last->base_pa + last->pages * FRAME_SIZE == regions[i].base_pa)
			last->pages += regions[i].pages;
		else
			regions[out++] = regions[i];
	}
	region_count = out;
}

void physmap_reclaim_boot_memory(void)
{
	struct pmm_stats st;
	uint64_t pages = 0, permille;

	for (size_t i = 0; i < region_count; i++) {
		if (!reclaimable(regions[i].class))
			continue;
		pmm_add_range(PA(regions[i].base_pa), regions[i].pages);
		regions[i].class = MEM_FREE;
		pages += regions[i].pages;
	}
	merge_regions();
	pmm_get_stats(&st);
	permille = conventional_pages ? st.free * 1000 / conventional_pages : 0;
	log_info("physmap", "reclaimed %lu KiB of firmware and loader memory",
		 (unsigned long)pages * 4);
	log_info("pmm", "%lu KiB free after reclaim: %lu.%lu%% of the %lu KiB of conventional memory the firmware reported",
		 (unsigned long)st.free * 4, (unsigned long)(permille / 10),
		 (unsigned long)(permille % 10), (unsigned long)conventional_pages * 4);
}
