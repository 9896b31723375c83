/* User address-space regions: the mapping metadata mmap, faults, fork and exec consult. */
#ifndef MM_VMREGION_H
#define MM_VMREGION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/list.h"

/*
 * A vm_map holds the regions of one user address space: disjoint,
 * page-aligned, non-empty [start, end) ranges in an AVL tree keyed by
 * start (height <= 1.44 log2(n + 2), so every lookup visits O(log n)
 * regions, worst case) and, in the same order, a list (neighbours and
 * iteration in O(1)). Page tables are built from these regions on demand;
 * this module only keeps the bookkeeping and never touches page tables,
 * frames or files itself.
 *
 * Ownership. The map owns every region in it. Region structs come from the
 * caller (kernel: a slab cache; tests: malloc) and go back through
 * ops->free_region. A region with a non-NULL `file` holds one reference on
 * it: the caller hands that reference over with the region, the map takes
 * another (ops->file_get) for each piece a split or clone creates, and
 * drops one (ops->file_put) just before it frees a region struct.
 *
 * Reserve, then commit (architecture.md, "Memory rules"). Nothing here
 * allocates. Operations that may need new structs (munmap, mprotect,
 * mmap MAP_FIXED, fork) go in three steps, under the address-space lock:
 *   1. vmr_unmap_prepare / vmr_protect_prepare validate the range and say
 *      in reserve->needed how many spare structs the commit will use
 *      (at most VMR_RESERVE_MAX);
 *   2. the caller allocates them (vmr_reserve_fill); if that fails, it
 *      calls vmr_reserve_release and returns: nothing has changed;
 *   3. vmr_unmap_commit / vmr_protect_commit cannot fail: they use exactly
 *      the reserved structs and hand any left over to ops->free_region.
 * The map must not change between prepare and commit; a commit that finds
 * its reserve short panics (a kernel bug, never a user error).
 * vmr_clone (fork) allocates as it copies and undoes everything on failure.
 *
 * Locking: none inside. The owner's address-space lock protects the map
 * and every region in it; callbacks run with that lock held and must not
 * touch the map.
 */

#define VMR_READ  0x1u
#define VMR_WRITE 0x2u
#define VMR_EXEC  0x4u

#define VMR_SHARED 0x1u /* MAP_SHARED (else private, copy-on-write) */
#define VMR_ANON   0x2u /* anonymous memory (else file-backed) */
#define VMR_STACK  0x4u /* the main thread's stack */
#define VMR_HEAP   0x8u /* the brk heap */

struct vm_region {
	uint64_t start, end;    /* page-aligned, start < end, [start, end) */
	uint32_t prot;          /* VMR_READ | VMR_WRITE | VMR_EXEC */
	uint32_t flags;         /* VMR_SHARED, VMR_ANON, VMR_STACK, VMR_HEAP */
	void *file;             /* opaque, reference-counted; NULL if none */
	uint64_t file_offset;   /* offset in `file` of the byte at `start` */

	/* Private to vmregion.c. */
	struct vm_region *left, *right; /* AVL children */
	int height;                     /* of the subtree; a leaf is 1 */
	struct list_node link;          /* in vm_map.regions, sorted by start */
};

/* Hooks the map calls; each may be NULL (nothing to do). Shared by all maps. */
struct vmr_ops {
	void (*free_region)(struct vm_region *region); /* file already put */
	void (*file_get)(void *file);                  /* file is never NULL */
	void (*file_put)(void *file);                  /* file is never NULL */
};

struct vm_map {
	struct vm_region *root;     /* AVL tree keyed by start */
	struct list_node regions;   /* the same regions, sorted by start */
	size_t count;               /* regions in the map */
	const struct vmr_ops *ops;
};

/* The most spare structs one prepared operation needs (mprotect inside a region). */
#define VMR_RESERVE_MAX 2

/* Spare region structs for one prepared operation; see "Reserve, then commit". */
struct vmr_reserve {
	unsigned needed;                          /* set by prepare */
	struct vm_region *spare[VMR_RESERVE_MAX]; /* filled by the caller */
};

/*
 * Callback conventions: `alloc(ctx)` returns one region struct (contents
 * undefined) or NULL. `each_piece(ctx, piece)` describes one piece leaving
 * the map: a temporary copy whose start, end and file_offset are those of
 * the piece, valid during the call only.
 */

/* Makes `map` empty, using `ops` from now on (NULL: no hooks). */
void vmr_init(struct vm_map *map, const struct vmr_ops *ops);

/* The region containing addr, or NULL. O(log n). */
struct vm_region *vmr_find(const struct vm_map *map, uint64_t addr);

/* The lowest region with end > addr, or NULL. O(log n). */
struct vm_region *vmr_first_ending_after(const struct vm_map *map, uint64_t addr);

/* The number of regions vmr_find(map, addr) visits (for tests and profiling). */
unsigned vmr_lookup_cost(const struct vm_map *map, uint64_t addr);

/* Internal to the iterators below: the region of a list node, NULL for the head. */
static inline struct vm_region *vmr_region_of(const struct vm_map *map,
					      const struct list_node *node)
{
	return node == &map->regions ? NULL : list_entry(node, struct vm_region, link);
}

/* In-order iteration: the lowest / highest region, or NULL if the map is empty;
 * the region after / before `region`, or NULL. O(1). */
static inline struct vm_region *vmr_first(const struct vm_map *map)
{
	return vmr_region_of(map, map->regions.next);
}

static inline struct vm_region *vmr_last(const struct vm_map *map)
{
	return vmr_region_of(map, map->regions.prev);
}

static inline struct vm_region *vmr_next(const struct vm_map *map,
					 const struct vm_region *region)
{
	return vmr_region_of(map, region->link.next);
}

static inline struct vm_region *vmr_prev(const struct vm_map *map,
					 const struct vm_region *region)
{
	return vmr_region_of(map, region->link.prev);
}

/*
 * Finds a free [*out, *out + size) inside [lo, hi) with *out a multiple of
 * align: the lowest such range, or with `topdown` the highest (the mmap
 * area below the stack). size must be a non-zero multiple of the page size
 * and align a power of two >= the page size. Returns 0, -ENOMEM if no gap
 * fits, -EINVAL for a bad size or align. O(log n + k), k regions skipped.
 */
int vmr_find_gap(const struct vm_map *map, uint64_t size, uint64_t lo, uint64_t hi,
		 uint64_t align, bool topdown, uint64_t *out);

/*
 * Adds `region` (start, end, prot, flags, file, file_offset set; its file
 * reference moves to the map). Does not merge: call vmr_merge_neighbours
 * when the caller no longer needs the pointer. Returns 0, -EINVAL if the
 * range is empty or not page-aligned, -EEXIST if it overlaps a region
 * (then nothing changed). O(log n).
 */
int vmr_insert(struct vm_map *map, struct vm_region *region);

/* Takes `region` out of the map without freeing it: the caller owns it
 * again, with its file reference (e.g. to undo a vmr_insert). O(log n). */
void vmr_remove(struct vm_map *map, struct vm_region *region);

/*
 * True if a and b (a just below b) could be one region: adjacent, same
 * prot and flags, same file with contiguous offsets. Shared regions with
 * no file never merge (nothing shows they share memory). Since flags must
 * match, a VMR_STACK or VMR_HEAP region never merges with an ordinary
 * mapping; pieces of the same stack or heap do merge back.
 */
bool vmr_can_merge(const struct vm_region *a, const struct vm_region *b);

/*
 * Merges `region` with its previous and next regions where vmr_can_merge
 * allows, freeing the absorbed structs. Returns the region that now covers
 * region's old range (region itself or its predecessor). O(log n).
 */
struct vm_region *vmr_merge_neighbours(struct vm_map *map, struct vm_region *region);

/*
 * Step 1 of munmap (and of mmap MAP_FIXED): validates [start, end) (page-
 * aligned, start < end) and sets r->needed: 1 if the range lies strictly
 * inside one region, else 0. Holes in the range are fine. Clears r->spare.
 * Returns 0 or -EINVAL. O(log n).
 */
int vmr_unmap_prepare(const struct vm_map *map, uint64_t start, uint64_t end,
		      struct vmr_reserve *r);

/*
 * Step 1 of mprotect: validates [start, end) as above and sets r->needed
 * (0..2: one per region cut at start or end whose prot changes). Returns
 * 0, -EINVAL, or -ENOMEM if part of the range is not mapped (Linux's
 * answer; nothing will change). Clears r->spare. O(log n + k).
 */
int vmr_protect_prepare(const struct vm_map *map, uint64_t start, uint64_t end,
			uint32_t new_prot, struct vmr_reserve *r);

/* Step 2: allocates the r->needed spares with alloc(ctx). Returns 0, or
 * -ENOMEM after releasing what it got (then r is empty again). */
int vmr_reserve_fill(const struct vm_map *map, struct vmr_reserve *r,
		     struct vm_region *(*alloc)(void *ctx), void *ctx);

/* Hands every spare in r to ops->free_region and empties r. */
void vmr_reserve_release(const struct vm_map *map, struct vmr_reserve *r);

/*
 * Step 3 of munmap: removes [start, end) from the map, cutting regions at
 * start and end. Calls each_piece(ctx, piece) for every removed piece, in
 * address order, so the caller can unmap its pages; then frees regions
 * left empty. Releases unused spares. Cannot fail; panics if the reserve
 * is short (the map changed since prepare).
 */
void vmr_unmap_commit(struct vm_map *map, uint64_t start, uint64_t end,
		      struct vmr_reserve *r,
		      void (*each_piece)(void *ctx, const struct vm_region *piece), void *ctx);

/*
 * Step 3 of mprotect: sets prot to new_prot on all of [start, end) (which
 * prepare found fully mapped), cutting regions at start and end, then
 * merges every region in and around the range that vmr_can_merge allows.
 * Releases unused spares. Cannot fail; panics if the reserve is short.
 * The caller then updates the page tables of [start, end).
 */
void vmr_protect_commit(struct vm_map *map, uint64_t start, uint64_t end,
			uint32_t new_prot, struct vmr_reserve *r);

/*
 * fork: copies every region of src into dst (empty, initialised with its
 * ops), taking a file reference per copy. Returns 0, or -ENOMEM if alloc
 * fails; then dst is empty again (copies freed, references dropped) and
 * src was never changed. O(n log n).
 */
int vmr_clone(struct vm_map *dst, const struct vm_map *src,
	      struct vm_region *(*alloc)(void *ctx), void *ctx);

/* exit/exec: calls each_piece(ctx, region) for every region in address order
 * (if non-NULL), then drops its file and frees it. Leaves map empty. */
void vmr_destroy(struct vm_map *map,
		 void (*each_piece)(void *ctx, const struct vm_region *piece), void *ctx);

/*
 * Consistency check (tests; debug kernels): regions valid, sorted and
 * disjoint, the tree a balanced search tree with correct heights holding
 * exactly the listed regions, count right. Logs the first problem found
 * and returns false, or returns true. O(n).
 */
bool vmr_check(const struct vm_map *map);

#endif
