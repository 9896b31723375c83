/* x86_64 4-level page tables: the loader builds the first ones, the kernel edits its own. */
#ifndef SHARED_PAGING_H
#define SHARED_PAGING_H

#include <stdbool.h>
#include <stdint.h>

#include "shared/pte.h"

/* Linux errno values; functions return them negated. */
#define PAGING_ENOENT 2
#define PAGING_ENOMEM 12
#define PAGING_EEXIST 17
#define PAGING_EINVAL 22

/* Leaf flags paging_map accepts; anything else is -PAGING_EINVAL. */
#define PAGING_LEAF_FLAGS \
	(PTE_PRESENT | PTE_WRITE | PTE_USER | PTE_PWT | PTE_PCD | PTE_GLOBAL | PTE_NX)

/*
 * One address space under construction. The caller fills in the callbacks,
 * arg and allow_1g, then calls paging_init. Nothing here is locked: the
 * loader builds the tables on one CPU before hand-off.
 */
struct paging_ctx {
	uint64_t pml4_pa; /* root table, allocated by paging_init */
	/* Returns the pa of a 4 KiB-aligned page below PTE_PA_LIMIT, or 0 when
	 * out of memory. The contents may be garbage: paging zeroes the page. */
	uint64_t (*alloc_table)(void *arg);
	/* Returns a pointer through which this code reads and writes the table
	 * at pa (identity in the loader, simulated RAM in tests). Never fails
	 * for a pa that alloc_table returned. */
	void *(*table_ptr)(void *arg, uint64_t pa);
	void *arg;             /* passed to both callbacks */
	bool allow_1g;         /* CPU has 1 GiB pages (CPUID pdpe1gb) */
	uint64_t tables_allocated; /* tables taken from alloc_table, PML4 included */
};

/*
 * Allocates and zeroes the PML4 and resets tables_allocated to 1.
 * Returns 0, -PAGING_EINVAL if a callback is missing, or -PAGING_ENOMEM.
 */
int paging_init(struct paging_ctx *ctx);

/*
 * Maps [va, va + size) to [pa, pa + size) with leaf flags `flags` (a subset
 * of PAGING_LEAF_FLAGS; PTE_PRESENT is implied). Each step uses the largest
 * page (1 GiB only if allow_1g, 2 MiB, 4 KiB) to which both va and pa are
 * aligned and that fits in what remains. Table entries on the way are
 * PRESENT|WRITE, plus USER when the leaf is user, so the leaf decides.
 *
 * Returns 0, or:
 *  -PAGING_EINVAL: va, pa or size not 4 KiB-aligned, size 0, flags outside
 *     PAGING_LEAF_FLAGS, va non-canonical or the range crossing the
 *     canonical hole or wrapping, pa + size beyond PTE_PA_LIMIT;
 *  -PAGING_EEXIST: some page of the range is already mapped, by a leaf or
 *     a huge page covering it, or a table sits where a huge page would go;
 *  -PAGING_ENOMEM: alloc_table returned 0.
 * Arguments and overlaps are checked before anything changes: on EINVAL
 * and EEXIST the tables are untouched. On ENOMEM part of the range may be
 * mapped and the tables taken stay in place (nothing is ever freed); the
 * loader treats it as fatal and aborts the boot.
 */
int paging_map(struct paging_ctx *ctx, uint64_t va, uint64_t pa, uint64_t size,
	       uint64_t flags);

/*
 * Looks up va. On success returns 0 and stores, through each non-NULL
 * pointer: the physical address of va (page offset included), the leaf's
 * bits outside its address field (PTE_PRESENT, PTE_HUGE for 2 MiB / 1 GiB
 * leaves, PTE_PAT_HUGE if set, ...), and the page size in bytes.
 * Returns -PAGING_ENOENT if va is not mapped, -PAGING_EINVAL if it is not
 * canonical.
 */
int paging_translate(const struct paging_ctx *ctx, uint64_t va, uint64_t *pa,
		     uint64_t *flags, uint64_t *page_size);

/*
 * Unmaps the 4 KiB page at va. Returns 0 and the physical address it
 * mapped (through old_pa if not NULL); -PAGING_ENOENT if va is not mapped;
 * -PAGING_EINVAL if va is unaligned, non-canonical or inside a huge page
 * (huge pages are not split). Tables left empty are kept. The caller
 * flushes the TLB.
 */
int paging_unmap(struct paging_ctx *ctx, uint64_t va, uint64_t *old_pa);

/*
 * Replaces the leaf flags of the 4 KiB page at va with `flags` (a subset of
 * PAGING_LEAF_FLAGS). Same errors as paging_unmap. The caller flushes the TLB.
 */
int paging_protect(struct paging_ctx *ctx, uint64_t va, uint64_t flags);

/*
 * Calls fn(arg, va, entry, level) for every present leaf whose page starts
 * in [start, end) (level 1: 4 KiB, 2: 2 MiB, 3: 1 GiB), in address order,
 * skipping absent tables whole. fn may rewrite *entry (the caller flushes
 * the TLB). start and end must be page-aligned and canonical-ordered.
 */
void paging_for_each_leaf(struct paging_ctx *ctx, uint64_t start, uint64_t end,
			  void (*fn)(void *arg, uint64_t va, pte_t *entry, unsigned level),
			  void *arg);

/*
 * Decides the clone's entry for the present leaf *src_entry at va (level 1:
 * 4 KiB, 2: 2 MiB, 3: 1 GiB): returns the entry dst gets, or 0 to leave the
 * page unmapped there. It may rewrite *src_entry (the caller flushes the
 * TLB). It cannot fail: it runs only once dst has the table to hold it.
 */
typedef pte_t (*paging_clone_fn)(void *arg, uint64_t va, pte_t *src_entry, unsigned level);

/*
 * Copies the leaves of src overlapping [start, end) into dst in one walk
 * of both trees, as fn decides each one. A dst table is allocated (once,
 * with the flags of the src entry pointing to its counterpart) just before
 * the first leaf below it is handed to fn, so src subtrees that are absent
 * or hold no leaf in the range cost dst nothing; dst tables that already
 * exist are reused. start and end must be page-aligned and canonical-
 * ordered; dst must have nothing mapped in [start, end).
 *
 * Returns 0, or:
 *  -PAGING_ENOMEM: dst's alloc_table ran dry. The leaves fn was called for
 *     keep their entries in both trees, fn was not called for any other,
 *     and every table taken is linked into dst, so freeing dst's tables
 *     (paging_free_subtrees) frees them all;
 *  -PAGING_EEXIST: dst has a huge page where a table is needed.
 */
int paging_clone_range(struct paging_ctx *dst, struct paging_ctx *src, uint64_t start,
		       uint64_t end, paging_clone_fn fn, void *arg);

/*
 * Frees every table below PML4 entries [first, last] through
 * free_table(arg, pa) and clears those entries. The leaves' frames are
 * the caller's business (visit them first).
 */
void paging_free_subtrees(struct paging_ctx *ctx, unsigned first, unsigned last,
			  void (*free_table)(void *arg, uint64_t pa), void *arg);

#endif /* SHARED_PAGING_H */
