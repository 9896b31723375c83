/* libFuzzer harness: random firmware maps and carves must classify into a valid region list. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loader/memmap.h"
#include "shared/mem_class.h"

#define PAGE_SHIFT 12
#define MAX_FRAME (MEMMAP_MAX_PHYS_ADDR >> PAGE_SHIFT)
#define MAX_CARVES 7
#define CARVE_BYTES 17
#define NO_CLASS UINT32_MAX

#define CHECK(cond)                                                          \
	do {                                                                 \
		if (!(cond)) {                                               \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                            \
			abort();                                             \
		}                                                            \
	} while (0)

/* Frames [start, end) of a descriptor or carve as the contract defines them. */
struct frames {
	uint64_t start, end;
	uint32_t cls;
	int valid;
};

static uint64_t read_u64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Contract view of a descriptor: widened to whole frames, clamped at 2^52. */
static struct frames desc_frames(const struct memmap_efi_desc *d)
{
	struct frames f = { d->physical_start >> PAGE_SHIFT, 0, 0, 0 };
	unsigned __int128 end = (unsigned __int128)f.start + d->number_of_pages +
				((d->physical_start & 0xfff) != 0);

	f.valid = d->number_of_pages != 0 && f.start < MAX_FRAME;
	f.end = end > MAX_FRAME ? MAX_FRAME : (uint64_t)end;
	f.cls = memmap_class_of_efi_type(d->type, d->attribute);
	return f;
}

static struct frames carve_frames(const struct memmap_carve *c)
{
	struct frames f = { c->base_pa >> PAGE_SHIFT, 0, c->cls, 0 };
	unsigned __int128 end = (unsigned __int128)f.start + c->pages;

	f.valid = c->pages != 0 && f.start < MAX_FRAME;
	f.end = end > MAX_FRAME ? MAX_FRAME : (uint64_t)end;
	return f;
}

static int rank(uint32_t cls)
{
	static const uint32_t order[] = {
		MEM_FREE, MEM_LOADER, MEM_FIRMWARE_BOOT, MEM_ACPI_RECLAIM,
		MEM_UNACCEPTED, MEM_PERSISTENT, MEM_FIRMWARE_RUNTIME,
		MEM_ACPI_NVS, MEM_MMIO, MEM_RESERVED, MEM_BAD,
	};
	for (int i = 0; i < (int)(sizeof(order) / sizeof(order[0])); i++) {
		if (order[i] == cls)
			return i;
	}
	CHECK(!"firmware class without a rank");
	return -1;
}

/* Reference class of frame pos, or NO_CLASS if no descriptor covers it. */
static uint32_t reference_class(const struct frames *descs, size_t n,
				const struct frames *carves, size_t carve_count, uint64_t pos)
{
	uint32_t cls = NO_CLASS;

	for (size_t i = 0; i < n; i++) {
		if (descs[i].valid && descs[i].start <= pos && pos < descs[i].end &&
		    (cls == NO_CLASS || rank(descs[i].cls) > rank(cls)))
			cls = descs[i].cls;
	}
	for (size_t i = 0; cls != NO_CLASS && i < carve_count; i++) {
		if (carves[i].valid && carves[i].start <= pos && pos < carves[i].end)
			cls = carves[i].cls;
	}
	return cls;
}

/* Index of the first region whose end is above frame pos (count if none). */
static size_t region_after(const struct boot_region *out, size_t count, uint64_t pos)
{
	size_t lo = 0, hi = count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t end = (out[mid].base_pa >> PAGE_SHIFT) + out[mid].pages;

		if (end > pos)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void check_shape(const struct boot_region *out, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		CHECK(out[i].pages > 0);
		CHECK((out[i].base_pa & 0xfff) == 0);
		CHECK(out[i].class < MEM_CLASS_COUNT);
		CHECK(out[i].reserved == 0);
		CHECK((out[i].base_pa >> PAGE_SHIFT) + out[i].pages <= MAX_FRAME);
		if (i == 0)
			continue;
		uint64_t prev_end = out[i - 1].base_pa + (out[i - 1].pages << PAGE_SHIFT);
		CHECK(prev_end <= out[i].base_pa);
		CHECK(prev_end != out[i].base_pa || out[i - 1].class != out[i].class);
	}
}

/* Every elementary interval between input boundaries matches the reference. */
static void check_classes(const struct boot_region *out, size_t count,
			  const struct frames *descs, size_t n,
			  const struct frames *carves, size_t carve_count)
{
	uint64_t *points = malloc((2 * (n + carve_count) + 2) * sizeof(*points));
	size_t p = 0;

	CHECK(points != NULL);
	points[p++] = 0;
	points[p++] = MAX_FRAME;
	for (size_t i = 0; i < n; i++) {
		if (descs[i].valid) {
			points[p++] = descs[i].start;
			points[p++] = descs[i].end;
		}
	}
	for (size_t i = 0; i < carve_count; i++) {
		if (carves[i].valid) {
			points[p++] = carves[i].start;
			points[p++] = carves[i].end;
		}
	}
	qsort(points, p, sizeof(*points), compare_u64);
	for (size_t i = 0; i + 1 < p; i++) {
		uint64_t lo = points[i], hi = points[i + 1];
		if (lo == hi)
			continue;
		uint32_t want = reference_class(descs, n, carves, carve_count, lo);
		size_t r = region_after(out, count, lo);
		uint64_t base = r < count ? out[r].base_pa >> PAGE_SHIFT : MAX_FRAME;
		if (want == NO_CLASS) {
			CHECK(base >= hi);
			continue;
		}
		CHECK(r < count && base <= lo);
		CHECK(base + out[r].pages >= hi && out[r].class == want);
	}
	free(points);
}

/* Every byte of every non-empty descriptor below 2^52 lies in some region. */
static void check_bytes_covered(const struct boot_region *out, size_t count,
				const struct memmap_efi_desc *d)
{
	uint64_t pos = d->physical_start, end;

	if (d->number_of_pages == 0 || pos >= MEMMAP_MAX_PHYS_ADDR)
		return;
	end = d->number_of_pages >= (MEMMAP_MAX_PHYS_ADDR - pos) >> PAGE_SHIFT ?
		      MEMMAP_MAX_PHYS_ADDR : pos + (d->number_of_pages << PAGE_SHIFT);
	for (size_t r = region_after(out, count, pos >> PAGE_SHIFT); pos < end; r++) {
		CHECK(r < count && out[r].base_pa <= pos);
		pos = out[r].base_pa + (out[r].pages << PAGE_SHIFT);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct memmap_carve carves[MAX_CARVES];
	struct frames carve_view[MAX_CARVES];
	size_t desc_size, carve_count, n, count = 0, capacity;
	int small_world, expect_invalid = 0, rc;

	if (size < 2)
		return 0;
	desc_size = 40 + (data[0] & 31);
	small_world = data[1] & 8;
	carve_count = data[1] & 7;
	data += 2;
	size -= 2;
	if (size < carve_count * CARVE_BYTES)
		return 0;
	for (size_t i = 0; i < carve_count; i++, data += CARVE_BYTES, size -= CARVE_BYTES) {
		carves[i] = (struct memmap_carve){ read_u64(data), read_u64(data + 8),
						   data[16] % (MEM_CLASS_COUNT + 1) };
		if (small_world) {
			carves[i].base_pa = (carves[i].base_pa & 0xff) << PAGE_SHIFT;
			carves[i].pages &= 0xf;
		}
		carve_view[i] = carve_frames(&carves[i]);
		if (carves[i].cls >= MEM_CLASS_COUNT || (carves[i].base_pa & 0xfff))
			expect_invalid = 1;
		for (size_t j = 0; carve_view[i].valid && j < i; j++) {
			if (carve_view[j].valid && carve_view[i].start < carve_view[j].end &&
			    carve_view[j].start < carve_view[i].end)
				expect_invalid = 1;
		}
	}

	/* An exact-size copy, so ASan sees any read past the map. */
	uint8_t *map = malloc(size ? size : 1);
	n = size / desc_size;
	struct memmap_efi_desc *descs = malloc((n ? n : 1) * sizeof(*descs));
	struct frames *view = malloc((n ? n : 1) * sizeof(*view));
	CHECK(map && descs && view);
	memcpy(map, data, size);
	for (size_t i = 0; i < n; i++) {
		memcpy(&descs[i], map + i * desc_size, sizeof(descs[i]));
		if (small_world) {
			descs[i].physical_start &= 0xff000 | (descs[i].pad & 1 ? 0xfff : 0);
			descs[i].number_of_pages &= 0x1f;
			memcpy(map + i * desc_size, &descs[i], sizeof(descs[i]));
		}
		view[i] = desc_frames(&descs[i]);
	}

	capacity = memmap_capacity_needed(n, carve_count);
	struct boot_region *out = malloc((capacity ? capacity : 1) * sizeof(*out));
	CHECK(out != NULL);
	rc = memmap_classify(map, size, desc_size, carves, carve_count, out, capacity, &count);
	if (expect_invalid) {
		CHECK(rc == -MEMMAP_EINVAL);
		goto out_free;
	}
	CHECK(rc == 0 && count <= capacity);
	check_shape(out, count);
	check_classes(out, count, view, n, carve_view, carve_count);
	for (size_t i = 0; i < n; i++)
		check_bytes_covered(out, count, &descs[i]);
	for (size_t i = 0; i < count; i++)
		CHECK(strcmp(mem_class_name(out[i].class), "unknown") != 0);
	if (count > 0) {
		size_t again = 0;
		CHECK(memmap_classify(map, size, desc_size, carves, carve_count, out,
				      count - 1, &again) == -MEMMAP_ENOSPC);
		CHECK(again == count);
	}
out_free:
	free(out);
	free(view);
	free(descs);
	free(map);
	return 0;
}
