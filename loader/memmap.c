/* Turns the UEFI memory map and the loader's own allocations into boot regions. */
#include "loader/memmap.h"

/*
 * Method: a sweep over page frame numbers that needs no sorting and no
 * scratch memory. At each frame it scans every descriptor and carve for the
 * class there and for the next frame where the class may change, emits that
 * piece, and merges it into the previous one when they touch and match.
 * O((descriptors + carves)^2), a few milliseconds for 2000 descriptors.
 */

#define MEMMAP_PAGE_SHIFT 12
#define MEMMAP_PAGE_MASK  0xfffull
#define MEMMAP_MAX_PFN    (MEMMAP_MAX_PHYS_ADDR >> MEMMAP_PAGE_SHIFT)
#define MEMMAP_NO_FRAME   UINT64_MAX

/* Frames [start, end) of one descriptor or carve, with its class. */
struct memmap_range {
	uint64_t start;
	uint64_t end;
	uint32_t cls;
};

/* What the sweep sees at one frame: its class and where that may change. */
struct memmap_cursor {
	bool covered; /* some descriptor holds the frame */
	uint32_t cls;
	uint64_t next; /* next boundary after the frame, or MEMMAP_NO_FRAME */
};

/* Output being built: regions are stored while they fit, always counted. */
struct memmap_output {
	struct boot_region *regions;
	size_t capacity;
	size_t count;
	bool has_pending;
	struct memmap_range pending; /* last region, still growing */
};

static const uint8_t memmap_efi_classes[] = {
	[MEMMAP_EFI_RESERVED] = MEM_RESERVED,
	[MEMMAP_EFI_LOADER_CODE] = MEM_LOADER,
	[MEMMAP_EFI_LOADER_DATA] = MEM_LOADER,
	[MEMMAP_EFI_BOOT_SERVICES_CODE] = MEM_FIRMWARE_BOOT,
	[MEMMAP_EFI_BOOT_SERVICES_DATA] = MEM_FIRMWARE_BOOT,
	[MEMMAP_EFI_RUNTIME_SERVICES_CODE] = MEM_FIRMWARE_RUNTIME,
	[MEMMAP_EFI_RUNTIME_SERVICES_DATA] = MEM_FIRMWARE_RUNTIME,
	[MEMMAP_EFI_CONVENTIONAL] = MEM_FREE,
	[MEMMAP_EFI_UNUSABLE] = MEM_BAD,
	[MEMMAP_EFI_ACPI_RECLAIM] = MEM_ACPI_RECLAIM,
	[MEMMAP_EFI_ACPI_NVS] = MEM_ACPI_NVS,
	[MEMMAP_EFI_MMIO] = MEM_MMIO,
	[MEMMAP_EFI_MMIO_PORT_SPACE] = MEM_MMIO,
	[MEMMAP_EFI_PAL_CODE] = MEM_RESERVED,
	[MEMMAP_EFI_PERSISTENT] = MEM_PERSISTENT,
	[MEMMAP_EFI_UNACCEPTED] = MEM_UNACCEPTED,
};

/* Rank of each firmware class when descriptors overlap: higher wins. */
static const uint8_t memmap_restrictiveness[MEM_CLASS_COUNT] = {
	[MEM_FREE] = 0,
	[MEM_LOADER] = 1,
	[MEM_FIRMWARE_BOOT] = 2,
	[MEM_ACPI_RECLAIM] = 3,
	[MEM_UNACCEPTED] = 4,
	[MEM_PERSISTENT] = 5,
	[MEM_FIRMWARE_RUNTIME] = 6,
	[MEM_ACPI_NVS] = 7,
	[MEM_MMIO] = 8,
	[MEM_RESERVED] = 9,
	[MEM_BAD] = 10,
};

uint32_t memmap_class_of_efi_type(uint32_t efi_type, uint64_t attribute)
{
	uint32_t cls = MEM_RESERVED;

	if (efi_type < sizeof(memmap_efi_classes))
		cls = memmap_efi_classes[efi_type];
	else if (efi_type >= MEMMAP_EFI_OS_FIRST)
		cls = MEM_LOADER;
	if ((attribute & MEMMAP_EFI_MEMORY_RUNTIME) &&
	    (cls == MEM_FREE || cls == MEM_FIRMWARE_BOOT || cls == MEM_LOADER))
		return MEM_FIRMWARE_RUNTIME;
	return cls;
}

size_t memmap_capacity_needed(size_t descriptor_count, size_t carve_count)
{
	size_t total = descriptor_count + carve_count;

	if (total < descriptor_count || total > SIZE_MAX / 2)
		return SIZE_MAX;
	return 2 * total;
}

/* Returns the frame end of a range of pages starting at frame start, clamped. */
static uint64_t memmap_clamped_end(uint64_t start, uint64_t pages)
{
	if (pages >= MEMMAP_MAX_PFN - start)
		return MEMMAP_MAX_PFN;
	return start + pages;
}

/*
 * Reads descriptor index of the firmware map into *range, widened to whole
 * frames and clamped to MEMMAP_MAX_PFN. Returns false if it covers nothing.
 */
static bool memmap_read_desc(const uint8_t *map, size_t desc_size, size_t index,
			     struct memmap_range *range)
{
	struct memmap_efi_desc desc;

	__builtin_memcpy(&desc, map + index * desc_size, sizeof(desc));
	range->start = desc.physical_start >> MEMMAP_PAGE_SHIFT;
	if (desc.number_of_pages == 0 || range->start >= MEMMAP_MAX_PFN)
		return false;
	range->end = memmap_clamped_end(range->start, desc.number_of_pages);
	if ((desc.physical_start & MEMMAP_PAGE_MASK) && range->end < MEMMAP_MAX_PFN)
		range->end++;
	range->cls = memmap_class_of_efi_type(desc.type, desc.attribute);
	return true;
}

/* Reads a carve into *range, clamped. Returns false if it covers nothing. */
static bool memmap_read_carve(const struct memmap_carve *carve,
			      struct memmap_range *range)
{
	range->start = carve->base_pa >> MEMMAP_PAGE_SHIFT;
	if (carve->pages == 0 || range->start >= MEMMAP_MAX_PFN)
		return false;
	range->end = memmap_clamped_end(range->start, carve->pages);
	range->cls = carve->cls;
	return true;
}

/* Returns 0 if every carve is aligned, of a valid class and disjoint from the others. */
static int memmap_check_carves(const struct memmap_carve *carves, size_t count)
{
	struct memmap_range a, b;

	for (size_t i = 0; i < count; i++) {
		if (carves[i].cls >= MEM_CLASS_COUNT ||
		    (carves[i].base_pa & MEMMAP_PAGE_MASK))
			return -MEMMAP_EINVAL;
		if (!memmap_read_carve(&carves[i], &a))
			continue;
		for (size_t j = 0; j < i; j++) {
			if (memmap_read_carve(&carves[j], &b) &&
			    a.start < b.end && b.start < a.end)
				return -MEMMAP_EINVAL;
		}
	}
	return 0;
}

/* Folds range into the cursor at frame pos: a later start or end bounds next. */
static bool memmap_cursor_hits(struct memmap_cursor *cursor,
			       const struct memmap_range *range, uint64_t pos)
{
	if (range->start > pos) {
		if (range->start < cursor->next)
			cursor->next = range->start;
		return false;
	}
	if (range->end <= pos)
		return false;
	if (range->end < cursor->next)
		cursor->next = range->end;
	return true;
}

/*
 * Returns the firmware class at frame pos (the most restrictive covering
 * descriptor) and the next frame after pos where any descriptor starts or
 * ends. If nothing covers pos, next is the next descriptor start.
 */
static struct memmap_cursor memmap_scan_descs(const uint8_t *map, size_t desc_size,
					      size_t desc_count, uint64_t pos)
{
	struct memmap_cursor cursor = { .covered = false, .cls = MEM_FREE,
					.next = MEMMAP_NO_FRAME };
	struct memmap_range range;

	for (size_t i = 0; i < desc_count; i++) {
		if (!memmap_read_desc(map, desc_size, i, &range) ||
		    !memmap_cursor_hits(&cursor, &range, pos))
			continue;
		if (!cursor.covered || memmap_restrictiveness[range.cls] >
					       memmap_restrictiveness[cursor.cls])
			cursor.cls = range.cls;
		cursor.covered = true;
	}
	return cursor;
}

/* Overrides the cursor's class with a carve covering pos and bounds next by carves. */
static void memmap_apply_carves(const struct memmap_carve *carves, size_t count,
				uint64_t pos, struct memmap_cursor *cursor)
{
	struct memmap_range range;

	for (size_t i = 0; i < count; i++) {
		if (memmap_read_carve(&carves[i], &range) &&
		    memmap_cursor_hits(cursor, &range, pos))
			cursor->cls = range.cls;
	}
}

/* Moves the pending region to the output array if it fits, counting it anyway. */
static void memmap_flush(struct memmap_output *output)
{
	struct memmap_range *pending = &output->pending;

	if (!output->has_pending)
		return;
	if (output->count < output->capacity) {
		output->regions[output->count] = (struct boot_region){
			.base_pa = pending->start << MEMMAP_PAGE_SHIFT,
			.pages = pending->end - pending->start,
			.class = pending->cls,
			.reserved = 0,
		};
	}
	output->count++;
	output->has_pending = false;
}

/* Appends frames [start, end) of class cls, merging into the pending region. */
static void memmap_emit(struct memmap_output *output, uint64_t start,
			uint64_t end, uint32_t cls)
{
	struct memmap_range *pending = &output->pending;

	if (output->has_pending && pending->end == start && pending->cls == cls) {
		pending->end = end;
		return;
	}
	memmap_flush(output);
	*pending = (struct memmap_range){ .start = start, .end = end, .cls = cls };
	output->has_pending = true;
}

int memmap_classify(const void *fw_map, size_t map_size, size_t desc_size,
		    const struct memmap_carve *carves, size_t carve_count,
		    struct boot_region *out, size_t capacity, size_t *out_count)
{
	struct memmap_output output = { .regions = out, .capacity = capacity };
	struct memmap_cursor cursor;
	size_t desc_count;
	uint64_t pos = 0;
	int err;

	if (desc_size < MEMMAP_EFI_DESC_MIN_SIZE || out_count == NULL ||
	    (fw_map == NULL && map_size >= desc_size) ||
	    (carves == NULL && carve_count != 0) ||
	    (out == NULL && capacity != 0))
		return -MEMMAP_EINVAL;
	err = memmap_check_carves(carves, carve_count);
	if (err)
		return err;

	desc_count = map_size / desc_size;
	for (;;) {
		cursor = memmap_scan_descs(fw_map, desc_size, desc_count, pos);
		if (cursor.covered) {
			memmap_apply_carves(carves, carve_count, pos, &cursor);
			memmap_emit(&output, pos, cursor.next, cursor.cls);
		} else if (cursor.next == MEMMAP_NO_FRAME) {
			break;
		}
		pos = cursor.next;
	}
	memmap_flush(&output);
	*out_count = output.count;
	return output.count > capacity ? -MEMMAP_ENOSPC : 0;
}
