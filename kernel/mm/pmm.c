/* The physical memory manager: a buddy allocator over a frame-info array. */

/*
 * Design. Each frame from pfn 0 to the end of the highest RAM-class region
 * has an 8-byte struct pmm_frame; the array and a bitmap of owned frames
 * fill frames at the start of the first MEM_FREE region with room. Zeroing
 * them is pmm_init's only work proportional to RAM; free frames themselves
 * are never written, here or anywhere else in this file.
 *
 * Free memory is kept in blocks of 2^order frames (4 KiB .. 4 MiB) aligned
 * to their size, on one list per order linked by 28-bit pfns in the block's
 * first ("head") frame-info entry; a struct list_node would triple the
 * entry. Other entries are FRAME_NONE. Alloc takes the smallest block that
 * fits and frees what it does not need; free merges a block with its buddy
 * (pfn ^ 2^order) while that is a free head of the same order: O(orders)
 * each. A new range is freed as its largest aligned blocks; a run of n
 * frames is allocated as blocks of descending order (n's binary digits).
 *
 * Owned bits (managed frames and metadata) are set once, never cleared, so
 * a frame handed over twice is caught. Frames below 1 MiB are never managed:
 * the BIOS area stays untouched, pfn 0 is never handed out, and the SMP
 * trampoline can have a page there. Panics caused by a caller come after
 * pmm_lock is released.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/errno.h"
#include "lib/string.h"
#include "log.h"
#include "mm/addr.h"
#include "mm/pmm.h"
#include "panic.h"
#include "sched/spinlock.h"

enum frame_state { FRAME_NONE, FRAME_FREE, FRAME_ALLOCATED };

struct pmm_frame {
	uint32_t next : 28;         /* FRAME_FREE: next free block of this order (pfn, 0 ends) */
	uint32_t order : 4;         /* heads: the block is 2^order frames */
	uint32_t prev_or_refs : 30; /* FRAME_FREE: previous block (pfn, 0 if first); else refs */
	uint32_t state : 2;         /* enum frame_state; FRAME_NONE unless a block head */
};
_Static_assert(sizeof(struct pmm_frame) == 8, "struct pmm_frame must stay 8 bytes");

#define REFS_MAX ((1u << 30) - 1)
#define LOW_PFN  (PMM_LOW_LIMIT >> FRAME_SHIFT)
#define MAX_RUN  (1ull << PMM_MAX_ORDER)

/* pmm_lock, a leaf lock (none is taken under it), protects the free lists, the
 * entries of frames[] and owned[], the counters and fail_budget. The pointers
 * frames and owned and the bound span are set by pmm_init alone. */
static struct spinlock pmm_lock = SPINLOCK_INIT("pmm");
static struct pmm_frame *frames;               /* frame info of pfns [0, span) */
static uint64_t *owned;                        /* one bit per pfn: managed or metadata */
static uint64_t span;
static uint32_t free_head[PMM_MAX_ORDER + 1]; /* first free block per order (pfn, 0 = none) */
static struct pmm_stats stats;
static uint64_t fail_budget = UINT64_MAX;      /* fallible allocations left; MAX = no limit */

static void assert_locked(const char *fn)
{
	if (!spin_held(&pmm_lock))
		panic("%s: pmm_lock not held", fn);
}

/* Releases pmm_lock and panics: fn's caller passed pa, which is wrong because `why`. */
__attribute__((noreturn)) static void unlock_panic(const char *fn, paddr_t pa, const char *why)
{
	spin_unlock(&pmm_lock);
	panic("%s: %#lx: %s", fn, (unsigned long)pa.pa, why);
}

/* Classes the frame-info array covers: RAM, usable now or after reclaim. */
static const uint32_t ram_classes =
	1u << MEM_FREE | 1u << MEM_FIRMWARE_BOOT | 1u << MEM_FIRMWARE_RUNTIME |
	1u << MEM_ACPI_RECLAIM | 1u << MEM_ACPI_NVS | 1u << MEM_LOADER | 1u << MEM_KERNEL |
	1u << MEM_RAMDISK | 1u << MEM_BOOT_PAGETABLES | 1u << MEM_BOOT_STACK | 1u << MEM_BOOT_INFO;

/* The whole frames of r at or above 1 MiB and below limit as [*start, *end); false if none. */
static bool region_pfns(const struct boot_region *r, uint64_t limit, uint64_t *start, uint64_t *end)
{
	uint64_t s = align_up(r->base_pa, FRAME_SIZE) >> FRAME_SHIFT;
	uint64_t base = r->base_pa >> FRAME_SHIFT;

	*start = s < LOW_PFN ? LOW_PFN : s;
	*end = r->pages >= limit - (base < limit ? base : limit) ? limit : base + r->pages;
	return *start < *end;
}

/* Tests the owned bits of [pfn, end) and, if mark, sets them. Returns true if any was set. */
static bool owned_range(uint64_t pfn, uint64_t end, bool mark)
{
	bool any = false;

	while (pfn < end) {
		unsigned bit = pfn % 64;
		uint64_t n = end - pfn < 64 - bit ? end - pfn : 64 - bit;
		uint64_t mask = (n == 64 ? ~0ull : (1ull << n) - 1) << bit;

		any |= (owned[pfn / 64] & mask) != 0;
		if (mark)
			owned[pfn / 64] |= mask;
		pfn += n;
	}
	return any;
}

static void free_list_push(uint64_t pfn, unsigned order)
{
	uint32_t first = free_head[order];

	frames[pfn] = (struct pmm_frame){ .next = first, .order = order, .state = FRAME_FREE };
	if (first)
		frames[first].prev_or_refs = pfn;
	free_head[order] = pfn;
	stats.free_by_order[order]++;
}

/* Unlinks the free block at pfn; its entry becomes FRAME_NONE. */
static void free_list_remove(uint64_t pfn)
{
	struct pmm_frame *f = &frames[pfn];

	if (f->prev_or_refs)
		frames[f->prev_or_refs].next = f->next;
	else
		free_head[f->order] = f->next;
	if (f->next)
		frames[f->next].prev_or_refs = f->prev_or_refs;
	stats.free_by_order[f->order]--;
	*f = (struct pmm_frame){ 0 };
}

/* Frees the block at pfn (counted as allocated), merging it with free buddies. */
static void free_block(uint64_t pfn, unsigned order)
{
	assert_locked("free_block");
	stats.allocated -= 1ull << order;
	stats.free += 1ull << order;
	frames[pfn] = (struct pmm_frame){ 0 };
	while (order < PMM_MAX_ORDER) {
		uint64_t buddy = pfn ^ (1ull << order);

		if (buddy >= span || frames[buddy].state != FRAME_FREE ||
		    frames[buddy].order != order)
			break;
		free_list_remove(buddy);
		pfn &= ~(1ull << order);
		order++;
	}
	free_list_push(pfn, order);
}

/* The order of the largest naturally aligned block that starts at pfn and ends by end. */
static unsigned block_order(uint64_t pfn, uint64_t end)
{
	unsigned o = 0;

	while (o < PMM_MAX_ORDER && !(pfn & (1ull << o)) && pfn + (2ull << o) <= end)
		o++;
	return o;
}

/* Frees [pfn, end), counted as allocated, as the largest aligned blocks. */
static void release_range(uint64_t pfn, uint64_t end)
{
	for (unsigned o; pfn < end; pfn += 1ull << o) {
		o = block_order(pfn, end);
		free_block(pfn, o);
	}
}

/* Makes the unowned frames [start, end) managed and free. */
static void add_frames(uint64_t start, uint64_t end)
{
	owned_range(start, end, true);
	stats.managed += end - start;
	stats.allocated += end - start;
	release_range(start, end);
}

/* pmm_fail_after's verdict on one more fallible allocation: true = fail it. */
static bool inject_failure(void)
{
	if (fail_budget == 0)
		return true;
	if (fail_budget != UINT64_MAX)
		fail_budget--;
	return false;
}

/* The order of the smallest block that holds `pages` (>= 1) frames. */
static unsigned run_order(uint64_t pages)
{
	return pages > 1 ? 64 - (unsigned)__builtin_clzll(pages - 1) : 0;
}

/* Takes `pages` (1 .. MAX_RUN) frames aligned to the next power of two, as
 * allocated blocks of descending order with refcount 1. Returns the first
 * pfn; 0 if no block is large enough or pmm_fail_after fails a fallible one. */
static uint64_t alloc_run(uint64_t pages, bool fallible)
{
	unsigned order = run_order(pages), found, o;
	uint64_t pfn;

	spin_lock(&pmm_lock);
	for (found = order; found <= PMM_MAX_ORDER && !free_head[found]; found++)
		;
	if ((fallible && inject_failure()) || found > PMM_MAX_ORDER) {
		spin_unlock(&pmm_lock);
		return 0;
	}
	pfn = free_head[found];
	free_list_remove(pfn);
	stats.free -= 1ull << found;
	stats.allocated += 1ull << found;
	for (uint64_t p = pfn; p < pfn + pages; p += 1ull << o) {
		o = block_order(p, pfn + pages);
		frames[p] = (struct pmm_frame){ .order = o, .prev_or_refs = 1,
						.state = FRAME_ALLOCATED };
	}
	release_range(pfn + pages, pfn + (1ull << found));
	spin_unlock(&pmm_lock);
	return pfn;
}

/* Why pa is not the first frame of an allocated block, or NULL if it is. */
static const char *check_allocated(paddr_t pa)
{
	uint64_t pfn = pa_pfn(pa);

	if (!pa_aligned(pa))
		return "not frame-aligned";
	if (pfn >= span || !(owned[pfn / 64] & (1ull << (pfn % 64))))
		return "not managed";
	if (frames[pfn].state != FRAME_ALLOCATED)
		return "not allocated (double free?)";
	return NULL;
}

/* Takes pmm_lock and returns the entry of the allocated block at pa, or panics as fn. */
static struct pmm_frame *lock_allocated(const char *fn, paddr_t pa)
{
	const char *why;

	spin_lock(&pmm_lock);
	why = check_allocated(pa);
	if (why)
		unlock_panic(fn, pa, why);
	return &frames[pa_pfn(pa)];
}

/* Frees a run from alloc_run(pages) after checking all its blocks (else panics as fn). */
static void free_run(const char *fn, paddr_t pa, uint64_t pages)
{
	uint64_t pfn = pa_pfn(pa), end = pfn + pages;
	unsigned o;

	spin_lock(&pmm_lock);
	if (pages == 0 || pages > MAX_RUN || (pfn & ((1ull << run_order(pages)) - 1)))
		unlock_panic(fn, pa, "bad size or not aligned to it");
	for (uint64_t p = pfn; p < end; p += 1ull << o) {
		paddr_t at = p == pfn ? pa : pfn_pa(p);
		const char *why = check_allocated(at);

		o = block_order(p, end);
		if (!why && frames[p].order != o)
			why = "size mismatch";
		if (!why && frames[p].prev_or_refs != 1)
			why = "refcount is not 1";
		if (why)
			unlock_panic(fn, at, why);
	}
	release_range(pfn, end); /* the same blocks, as alloc_run cut them */
	spin_unlock(&pmm_lock);
}

void pmm_init(const struct boot_region *regions, size_t count)
{
	uint64_t top = 0, meta_start = 0, meta_bytes, meta_frames, s, e;

	for (size_t i = 0; i < count; i++)
		if (regions[i].class < 32 && (ram_classes >> regions[i].class & 1) &&
		    region_pfns(&regions[i], PMM_PFN_LIMIT, &s, &e) && e > top)
			top = e;
	if (top == PMM_PFN_LIMIT)
		log_warn("pmm", "RAM at or above %#llx is ignored", PMM_PFN_LIMIT << FRAME_SHIFT);
	meta_bytes = top * sizeof(struct pmm_frame) + align_up(top, 64) / 8;
	meta_frames = align_up(meta_bytes, FRAME_SIZE) >> FRAME_SHIFT;
	for (size_t i = 0; i < count && !meta_start; i++)
		if (regions[i].class == MEM_FREE && region_pfns(&regions[i], top, &s, &e) &&
		    e - s >= meta_frames)
			meta_start = s;
	if (!meta_start)
		panic("pmm_init: no free region above 1 MiB holds %lu frames of frame info",
		      (unsigned long)meta_frames);

	spin_lock(&pmm_lock);
	span = top;
	frames = phys_to_virt(pfn_pa(meta_start));
	owned = (uint64_t *)(frames + top);
	memset(frames, 0, meta_bytes);
	memset(free_head, 0, sizeof(free_head));
	stats = (struct pmm_stats){ .metadata = meta_frames };
	fail_budget = UINT64_MAX;
	owned_range(meta_start, meta_start + meta_frames, true);
	for (size_t i = 0; i < count; i++) {
		if (regions[i].class != MEM_FREE || !region_pfns(&regions[i], top, &s, &e))
			continue;
		if (s == meta_start)
			s += meta_frames;
		if (owned_range(s, e, false))
			unlock_panic("pmm_init", pfn_pa(s), "free regions overlap");
		add_frames(s, e);
	}
	spin_unlock(&pmm_lock);
	log_info("pmm", "%lu KiB free; frame info for [0, %#lx) takes %lu KiB at %#lx",
		 (unsigned long)(stats.managed * 4), (unsigned long)(top << FRAME_SHIFT),
		 (unsigned long)(meta_frames * 4), (unsigned long)(meta_start << FRAME_SHIFT));
}

void pmm_add_range(paddr_t base, uint64_t count)
{
	uint64_t start = pa_pfn(base) < LOW_PFN ? LOW_PFN : pa_pfn(base);
	uint64_t end = count > UINT64_MAX - pa_pfn(base) ? UINT64_MAX : pa_pfn(base) + count;

	spin_lock(&pmm_lock);
	if (!pa_aligned(base))
		unlock_panic("pmm_add_range", base, "not frame-aligned");
	if (end > span)
		unlock_panic("pmm_add_range", base, "range leaves the frame-info array");
	if (start < end && owned_range(start, end, false))
		unlock_panic("pmm_add_range", base, "range already managed");
	if (start < end)
		add_frames(start, end);
	spin_unlock(&pmm_lock);
}

int pmm_try_alloc(unsigned order, paddr_t *out)
{
	return order > PMM_MAX_ORDER ? -EINVAL : pmm_try_alloc_pages(1ull << order, out);
}

paddr_t pmm_alloc_caller(unsigned order, const char *caller)
{
	uint64_t pfn = order > PMM_MAX_ORDER ? 0 : alloc_run(1ull << order, false);

	if (!pfn)
		panic("pmm_alloc: out of memory (order %u) for %s", order, caller);
	return pfn_pa(pfn);
}

void pmm_free(paddr_t pa, unsigned order)
{
	free_run("pmm_free", pa, order > PMM_MAX_ORDER ? 0 : 1ull << order);
}

int pmm_try_alloc_pages(uint64_t pages, paddr_t *out)
{
	uint64_t pfn;

	if (pages == 0 || pages > MAX_RUN)
		return -EINVAL;
	pfn = alloc_run(pages, true);
	if (pfn)
		*out = pfn_pa(pfn);
	return pfn ? 0 : -ENOMEM;
}

void pmm_free_pages(paddr_t pa, uint64_t pages)
{
	free_run("pmm_free_pages", pa, pages);
}

void pmm_get(paddr_t frame)
{
	struct pmm_frame *f = lock_allocated("pmm_get", frame);

	if (f->prev_or_refs == REFS_MAX)
		unlock_panic("pmm_get", frame, "refcount overflow");
	f->prev_or_refs++;
	spin_unlock(&pmm_lock);
}

void pmm_put(paddr_t frame)
{
	struct pmm_frame *f = lock_allocated("pmm_put", frame);

	if (--f->prev_or_refs == 0)
		free_block(pa_pfn(frame), f->order);
	spin_unlock(&pmm_lock);
}

uint32_t pmm_refcount(paddr_t frame)
{
	uint32_t refs;

	spin_lock(&pmm_lock);
	refs = check_allocated(frame) ? 0 : frames[pa_pfn(frame)].prev_or_refs;
	spin_unlock(&pmm_lock);
	return refs;
}

void pmm_get_stats(struct pmm_stats *s)
{
	spin_lock(&pmm_lock);
	*s = stats;
	spin_unlock(&pmm_lock);
}

void pmm_fail_after(uint64_t n)
{
	spin_lock(&pmm_lock);
	fail_budget = n;
	spin_unlock(&pmm_lock);
}
