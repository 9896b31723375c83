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

/* Memory at or above 2^bits does not exist on this CPU (the CPUID width, 32..52). */
static uint64_t phys_limit(unsigned bits)
{
	if (bits < 32 || bits > 52) {
		log_warn("physmap", "CPU reports a %u-bit physical address width: assuming 52", bits);
		bits = 52;
	}
	return 1ull << bits;
}

/*
 * Appends input region i if it is usable, clipped below limit; logs and
 * drops it otherwise. Returns false once the table is full.
 */
static bool adopt_region(uint32_t i, struct boot_region r, uint64_t limit)
{
	if (r.pages == 0 || r.class >= MEM_CLASS_COUNT || !pa_aligned(PA(r.base_pa))) {
		log_warn("physmap", "region %u [%#lx, +%lu pages) class %u is empty, misaligned or of no known class: dropped",
			 i, (unsigned long)r.base_pa, (unsigned long)r.pages, r.class);
		return true;
	}
	if (r.base_pa >= limit) {
		log_warn("physmap", "region %u [%#lx, +%lu pages) %s lies beyond the CPU's %#lx-byte physical address space: dropped",
			 i, (unsigned long)r.base_pa, (unsigned long)r.pages,
			 mem_class_name(r.class), (unsigned long)limit);
		return true;
	}
	if (r.pages > (limit - r.base_pa) / FRAME_SIZE) {
		log_warn("physmap", "region %u [%#lx, +%lu pages) %s reaches past the CPU's physical address limit %#lx: clipped there",
			 i, (unsigned long)r.base_pa, (unsigned long)r.pages,
			 mem_class_name(r.class), (unsigned long)limit);
		r.pages = (limit - r.base_pa) / FRAME_SIZE;
	}
	if (region_count == PHYSMAP_MAX) {
		log_warn("physmap", "more than %d regions: region %u and the rest are ignored",
			 PHYSMAP_MAX, i);
		return false;
	}
	regions[region_count++] = r;
	return true;
}

/* Sorts the table by base address (insertion sort: stable, boot-time only). */
static void sort_regions(void)
{
	bool sorted = true;

	for (size_t i = 1; i < region_count && sorted; i++)
		sorted = regions[i - 1].base_pa <= regions[i].base_pa;
	if (sorted)
		return;
	log_warn("physmap", "the loader's memory map is not sorted: sorting it");
	for (size_t i = 1; i < region_count; i++) {
		struct boot_region r = regions[i];
		size_t j = i;

		for (; j > 0 && regions[j - 1].base_pa > r.base_pa; j--)
			regions[j] = regions[j - 1];
		regions[j] = r;
	}
}

/*
 * In a sorted table, cuts each region that overlaps the one kept before it
 * down to the part after that one's end; drops it if nothing is left.
 */
static void clip_overlaps(void)
{
	size_t out = 0;

	for (size_t i = 0; i < region_count; i++) {
		struct boot_region r = regions[i];
		const struct boot_region *prev = out ? &regions[out - 1] : NULL;
		uint64_t prev_end = prev ? prev->base_pa + prev->pages * FRAME_SIZE : 0;
		uint64_t end = r.base_pa + r.pages * FRAME_SIZE;

		if (prev && r.base_pa < prev_end) {
			if (end <= prev_end) {
				log_warn("physmap", "region [%#lx, %#lx) %s lies inside [%#lx, %#lx) %s: dropped",
					 (unsigned long)r.base_pa, (unsigned long)end,
					 mem_class_name(r.class), (unsigned long)prev->base_pa,
					 (unsigned long)prev_end, mem_class_name(prev->class));
				continue;
			}
			log_warn("physmap", "region [%#lx, %#lx) %s overlaps [%#lx, %#lx) %s: clipped to start at %#lx",
				 (unsigned long)r.base_pa, (unsigned long)end, mem_class_name(r.class),
				 (unsigned long)prev->base_pa, (unsigned long)prev_end,
				 mem_class_name(prev->class), (unsigned long)prev_end);
			r.pages = (end - prev_end) / FRAME_SIZE;
			r.base_pa = prev_end;
		}
		regions[out++] = r;
	}
	region_count = out;
}

void physmap_init(const struct boot_info *bi, unsigned phys_addr_bits)
{
	const struct boot_region *in = phys_to_virt(PA(bi->regions_pa));
	uint64_t limit = phys_limit(phys_addr_bits);

	region_count = 0;
	conventional_pages = 0;
	if (bi->region_count == 0)
		log_err("physmap", "the loader passed an empty memory map");
	for (uint32_t i = 0; i < bi->region_count; i++)
		if (!adopt_region(i, in[i], limit))
			break;
	sort_regions();
	clip_overlaps();
	for (size_t i = 0; i < region_count; i++)
		if (regions[i].class == MEM_FREE)
			conventional_pages += regions[i].pages;
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
