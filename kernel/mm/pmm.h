/* The physical memory manager: 4 KiB frames, reference-counted, in buddy blocks. */
#ifndef MM_PMM_H
#define MM_PMM_H

#include <stddef.h>
#include <stdint.h>

#include "mm/addr.h"
#include "shared/boot_info.h"

/* Blocks are 2^order frames, naturally aligned; the largest is 4 MiB. */
#define PMM_MAX_ORDER 10

/* Frames below 1 MiB are never managed (legacy BIOS area; SMP trampolines). */
#define PMM_LOW_LIMIT 0x100000ull

/* Physical memory at or above 1 TiB is ignored (frame-info links are 28 bits). */
#define PMM_PFN_LIMIT (1ull << 28)

/* Counters, in frames unless noted; managed == free + allocated. */
struct pmm_stats {
	uint64_t managed;   /* frames the allocator hands out or holds free */
	uint64_t free;
	uint64_t allocated;
	uint64_t metadata;  /* frames holding the allocator's own frame-info array */
	uint64_t free_by_order[PMM_MAX_ORDER + 1]; /* free blocks (not frames) per order */
};

/*
 * Builds the allocator from the loader's map and hands it every MEM_FREE
 * frame at or above 1 MiB. The frame info (8 bytes per frame plus one bit,
 * up to the end of the highest RAM-class region, so that pmm_add_range can
 * reclaim them later) takes frames at the start of the first MEM_FREE
 * region above 1 MiB with room, through phys_to_virt; it is the only memory
 * written, free frames are never touched. Panics if no region fits it or
 * if MEM_FREE regions overlap. Logs a "pmm:" summary line.
 */
void pmm_init(const struct boot_region *regions, size_t count);

/*
 * Reclaim: hands [base, base + frames * 4 KiB) to the allocator (e.g.
 * firmware-boot or loader memory once nothing in it is needed). The part
 * below 1 MiB is silently kept out. Panics if base is not frame-aligned,
 * if the range leaves the frame-info array's span (only RAM-class regions
 * of the boot map are covered), or if any frame is already managed.
 */
void pmm_add_range(paddr_t base, uint64_t frames);

/*
 * Fallible allocation (user memory): a block of 2^order frames aligned to
 * its size, with refcount 1, not zeroed. Returns 0 and sets *out, -ENOMEM
 * if no block is free (or pmm_fail_after says so), -EINVAL if order >
 * PMM_MAX_ORDER.
 */
int pmm_try_alloc(unsigned order, paddr_t *out);

/*
 * Infallible allocation (kernel memory): as pmm_try_alloc, but panics
 * "pmm_alloc: out of memory (order N) for <caller>". Ignores pmm_fail_after.
 */
paddr_t pmm_alloc_caller(unsigned order, const char *caller);
#define pmm_alloc(order) pmm_alloc_caller((order), __func__)

/*
 * Frees a block from pmm_try_alloc/pmm_alloc with the order it was
 * allocated with. Panics if pa is not frame-aligned, not managed, not the
 * start of an allocated block (double free), if order differs, or if the
 * refcount is not 1 (use pmm_put for shared frames).
 */
void pmm_free(paddr_t pa, unsigned order);

/*
 * Contiguous allocation of exactly `pages` frames (1 .. 2^PMM_MAX_ORDER),
 * aligned to the next power of two; the rounding tail goes back to the
 * free lists at once (5 pages take 5 frames, not 8). Internally the pages
 * are split into power-of-two blocks, so release them only with
 * pmm_free_pages(pa, pages), never frame by frame. Returns 0, -ENOMEM
 * (counts as one fallible allocation for pmm_fail_after) or -EINVAL.
 */
int pmm_try_alloc_pages(uint64_t pages, paddr_t *out);

/* Frees what pmm_try_alloc_pages(pages) returned; panics like pmm_free. */
void pmm_free_pages(paddr_t pa, uint64_t pages);

/*
 * Reference counts of allocated blocks (COW, the shared zero frame): get
 * adds one, put drops one and frees the block at zero. Both panic unless
 * frame starts an allocated block. pmm_refcount returns 0 for a frame that
 * does not start an allocated block.
 */
void pmm_get(paddr_t frame);
void pmm_put(paddr_t frame);
uint32_t pmm_refcount(paddr_t frame);

/* A consistent snapshot of the counters. */
void pmm_get_stats(struct pmm_stats *s);

/*
 * Fault injection for tests: the first n fallible allocations from now on
 * succeed (if memory allows), the later ones fail with -ENOMEM until
 * pmm_fail_after(UINT64_MAX) switches injection off (the default).
 */
void pmm_fail_after(uint64_t n);

#endif
