/* Builds x86_64 4-level page tables in memory reached through caller callbacks. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/paging.h"

/* Entry flags of a table pointer; the leaf below decides the permissions. */
#define PAGING_TABLE_FLAGS (PTE_PRESENT | PTE_WRITE)

static pte_t *paging_table(const struct paging_ctx *ctx, uint64_t table_pa)
{
	return ctx->table_ptr(ctx->arg, table_pa);
}

/*
 * Takes one page from alloc_table, zeroes it and counts it.
 * Returns its pa, or 0 when the allocator is empty.
 */
static uint64_t paging_new_table(struct paging_ctx *ctx)
{
	uint64_t table_pa = ctx->alloc_table(ctx->arg);
	pte_t *table;

	if (table_pa == 0)
		return 0;
	table = paging_table(ctx, table_pa);
	for (unsigned i = 0; i < PT_ENTRIES; i++)
		table[i] = 0;
	ctx->tables_allocated++;
	return table_pa;
}

/*
 * The page-table walker. Descends from the PML4 towards the entry for va
 * at level *level and returns a pointer to the entry where it stopped,
 * storing that entry's level in *level. It stops early at a leaf (a huge
 * page covering va) and, when table_flags is 0, at an entry that is not
 * present.
 * With table_flags nonzero it creates every missing table on the way with
 * those flags and ORs them into the existing table pointers it passes;
 * then it returns NULL if alloc_table runs dry. With table_flags 0 it
 * writes nothing, so callers holding a const ctx may use it.
 */
static pte_t *paging_walk(struct paging_ctx *ctx, uint64_t va, unsigned *level,
			  uint64_t table_flags)
{
	pte_t *table = paging_table(ctx, ctx->pml4_pa);

	for (unsigned at = PT_LEVELS;; at--) {
		pte_t *entry = &table[pt_index(va, at)];

		if (at == *level || pte_is_leaf(*entry, at) ||
		    (!pte_is_present(*entry) && table_flags == 0)) {
			*level = at;
			return entry;
		}
		if (!pte_is_present(*entry)) {
			uint64_t table_pa = paging_new_table(ctx);

			if (table_pa == 0)
				return NULL;
			*entry = table_pa;
		}
		*entry |= table_flags;
		table = paging_table(ctx, *entry & PTE_ADDR_MASK);
	}
}

/*
 * Level of the largest page that can map va to pa with `remaining` bytes
 * left: both addresses aligned to it and the page no bigger than remaining.
 */
static unsigned paging_leaf_level(const struct paging_ctx *ctx, uint64_t va,
				  uint64_t pa, uint64_t remaining)
{
	unsigned level = ctx->allow_1g ? 3 : 2;

	for (; level > 1; level--) {
		uint64_t size = pt_level_size(level);

		if (((va | pa) & (size - 1)) == 0 && remaining >= size)
			break;
	}
	return level;
}

/*
 * Checks the arguments of paging_map against the contract in paging.h.
 * Returns true when they are acceptable.
 */
static bool paging_args_valid(uint64_t va, uint64_t pa, uint64_t size,
			      uint64_t flags)
{
	uint64_t last = va + size - 1;

	if (((va | pa | size) & (PAGE_SIZE - 1)) != 0 || size == 0)
		return false;
	if ((flags & ~PAGING_LEAF_FLAGS) != 0)
		return false;
	if (!pt_va_is_canonical(va) || !pt_va_is_canonical(last) || last < va ||
	    ((va ^ last) >> 63) != 0)
		return false;
	return pa < PTE_PA_LIMIT && size <= PTE_PA_LIMIT - pa;
}

/*
 * One pass of paging_map over the range, step by step as paging_leaf_level
 * chooses. With commit false it only looks for an existing mapping and
 * changes nothing; with commit true it installs the leaves, expecting the
 * range to be free (a check pass ran first).
 * Returns 0, -PAGING_EEXIST or -PAGING_ENOMEM.
 */
static int paging_map_pass(struct paging_ctx *ctx, uint64_t va, uint64_t pa,
			   uint64_t size, uint64_t flags, bool commit)
{
	uint64_t table_flags = PAGING_TABLE_FLAGS | (flags & PTE_USER);

	while (size > 0) {
		unsigned level = paging_leaf_level(ctx, va, pa, size);
		unsigned at = level;
		uint64_t step = pt_level_size(level);
		pte_t *entry = paging_walk(ctx, va, &at, commit ? table_flags : 0);

		if (entry == NULL)
			return -PAGING_ENOMEM;
		/* Present here means: a leaf or table at `level`, or a huge
		 * page above it; the walk stops above only at those or holes. */
		if (pte_is_present(*entry))
			return -PAGING_EEXIST;
		if (commit)
			*entry = pa | flags | PTE_PRESENT | (level > 1 ? PTE_HUGE : 0);
		va += step;
		pa += step;
		size -= step;
	}
	return 0;
}

int paging_init(struct paging_ctx *ctx)
{
	if (ctx->alloc_table == NULL || ctx->table_ptr == NULL)
		return -PAGING_EINVAL;
	ctx->tables_allocated = 0;
	ctx->pml4_pa = paging_new_table(ctx);
	return ctx->pml4_pa == 0 ? -PAGING_ENOMEM : 0;
}

int paging_map(struct paging_ctx *ctx, uint64_t va, uint64_t pa, uint64_t size,
	       uint64_t flags)
{
	int err;

	if (!paging_args_valid(va, pa, size, flags))
		return -PAGING_EINVAL;
	err = paging_map_pass(ctx, va, pa, size, flags, false);
	if (err != 0)
		return err;
	return paging_map_pass(ctx, va, pa, size, flags, true);
}

int paging_translate(const struct paging_ctx *ctx, uint64_t va, uint64_t *pa,
		     uint64_t *flags, uint64_t *page_size)
{
	unsigned level = 1;
	uint64_t addr_mask, size;
	pte_t entry;

	if (!pt_va_is_canonical(va))
		return -PAGING_EINVAL;
	/* A walk with table_flags 0 writes nothing through ctx. */
	entry = *paging_walk((struct paging_ctx *)ctx, va, &level, 0);
	if (!pte_is_present(entry))
		return -PAGING_ENOENT;
	addr_mask = pte_leaf_addr_mask(level);
	size = pt_level_size(level);
	if (pa != NULL)
		*pa = (entry & addr_mask) | (va & (size - 1));
	if (flags != NULL)
		*flags = entry & ~addr_mask;
	if (page_size != NULL)
		*page_size = size;
	return 0;
}

/* The present 4 KiB leaf for va, or NULL with *err set. */
static pte_t *paging_leaf_4k(struct paging_ctx *ctx, uint64_t va, int *err)
{
	unsigned level = 1;
	pte_t *entry;

	*err = -PAGING_EINVAL;
	if ((va & (PAGE_SIZE - 1)) != 0 || !pt_va_is_canonical(va))
		return NULL;
	entry = paging_walk(ctx, va, &level, 0);
	if (!pte_is_present(*entry)) {
		*err = -PAGING_ENOENT;
		return NULL;
	}
	return level == 1 ? entry : NULL;
}

int paging_unmap(struct paging_ctx *ctx, uint64_t va, uint64_t *old_pa)
{
	int err;
	pte_t *entry = paging_leaf_4k(ctx, va, &err);

	if (entry == NULL)
		return err;
	if (old_pa != NULL)
		*old_pa = *entry & PTE_ADDR_MASK;
	*entry = 0;
	return 0;
}

int paging_protect(struct paging_ctx *ctx, uint64_t va, uint64_t flags)
{
	int err;
	pte_t *entry;

	if ((flags & ~PAGING_LEAF_FLAGS) != 0)
		return -PAGING_EINVAL;
	entry = paging_leaf_4k(ctx, va, &err);
	if (entry == NULL)
		return err;
	*entry = (*entry & PTE_ADDR_MASK) | flags | PTE_PRESENT;
	return 0;
}

/* First va of entry i in the table at `level` that starts at base. */
static uint64_t paging_entry_va(uint64_t base, unsigned i, unsigned level)
{
	uint64_t va = base + i * pt_level_size(level);

	if (level == PT_LEVELS && i >= PT_ENTRIES / 2)
		va |= 0xffff000000000000ull; /* sign-extend the upper half */
	return va;
}

/*
 * The entries [*first, *last] of the table at `level` starting at base
 * that overlap [start, end), a non-empty range of canonical addresses
 * overlapping the table, so that walks look only at those.
 */
static void paging_index_range(uint64_t base, unsigned level, uint64_t start, uint64_t end,
			       unsigned *first, unsigned *last)
{
	uint64_t table_last = base + PT_ENTRIES * pt_level_size(level) - 1;

	*first = level == PT_LEVELS || start > base ? pt_index(start, level) : 0;
	*last = level == PT_LEVELS || end - 1 < table_last ? pt_index(end - 1, level) :
							     PT_ENTRIES - 1;
}

/* Visits the leaves of the table at `level` that covers `base`. */
static void visit_table(struct paging_ctx *ctx, uint64_t table_pa, unsigned level, uint64_t base,
			uint64_t start, uint64_t end,
			void (*fn)(void *, uint64_t, pte_t *, unsigned), void *arg)
{
	pte_t *table = paging_table(ctx, table_pa);
	unsigned first, last;

	paging_index_range(base, level, start, end, &first, &last);
	for (unsigned i = first; i <= last; i++) {
		uint64_t va = paging_entry_va(base, i, level);

		if (!pte_is_present(table[i]))
			continue;
		if (pte_is_leaf(table[i], level))
			fn(arg, va, &table[i], level);
		else
			visit_table(ctx, table[i] & PTE_ADDR_MASK, level - 1, va, start, end, fn, arg);
	}
}

void paging_for_each_leaf(struct paging_ctx *ctx, uint64_t start, uint64_t end,
			  void (*fn)(void *arg, uint64_t va, pte_t *entry, unsigned level),
			  void *arg)
{
	if (start < end)
		visit_table(ctx, ctx->pml4_pa, PT_LEVELS, 0, start, end, fn, arg);
}

/* What paging_clone_range passes down its walk. */
struct paging_clone {
	struct paging_ctx *dst, *src;
	uint64_t start, end;
	paging_clone_fn fn;
	void *arg;
};

/*
 * One dst table on the clone's path: known (table), or still to be made
 * below entry `index` of the level above when a leaf first needs it.
 */
struct clone_level {
	struct clone_level *up; /* NULL at the PML4 */
	pte_t *table;           /* NULL until made */
	unsigned index;         /* of the entry in up->table pointing here */
	pte_t src_slot;         /* src's entry there: its flags are copied */
	unsigned level;
};

/*
 * Makes the dst table of `at`, and any missing above it, linking each into
 * its parent. Returns 0, -PAGING_ENOMEM or -PAGING_EEXIST (a dst leaf where
 * a table goes).
 */
static int clone_dst_table(struct paging_ctx *dst, struct clone_level *at)
{
	pte_t *slot;
	int err;

	if (at->table != NULL)
		return 0;
	err = clone_dst_table(dst, at->up);
	if (err != 0)
		return err;
	slot = &at->up->table[at->index];
	if (pte_is_leaf(*slot, at->level + 1))
		return -PAGING_EEXIST;
	if (!pte_is_present(*slot)) {
		uint64_t table_pa = paging_new_table(dst);

		if (table_pa == 0)
			return -PAGING_ENOMEM;
		*slot = table_pa;
	}
	*slot |= at->src_slot & (PAGING_TABLE_FLAGS | PTE_USER);
	at->table = paging_table(dst, *slot & PTE_ADDR_MASK);
	return 0;
}

/*
 * Clones the leaves below the src table at src_pa, which covers base and
 * whose dst counterpart is `at`. Returns 0 or paging_clone_range's error.
 */
static int clone_table(struct paging_clone *c, uint64_t src_pa, struct clone_level *at,
		       uint64_t base)
{
	pte_t *src_table = paging_table(c->src, src_pa);
	unsigned first, last;
	int err = 0;

	paging_index_range(base, at->level, c->start, c->end, &first, &last);
	for (unsigned i = first; i <= last && err == 0; i++) {
		pte_t *entry = &src_table[i];
		uint64_t va = paging_entry_va(base, i, at->level);

		if (!pte_is_present(*entry))
			continue;
		if (pte_is_leaf(*entry, at->level)) {
			if (at->table == NULL)
				err = clone_dst_table(c->dst, at);
			if (err == 0)
				at->table[i] = c->fn(c->arg, va, entry, at->level);
		} else {
			struct clone_level below = { at, NULL, i, *entry, at->level - 1 };

			err = clone_table(c, *entry & PTE_ADDR_MASK, &below, va);
		}
	}
	return err;
}

int paging_clone_range(struct paging_ctx *dst, struct paging_ctx *src, uint64_t start,
		       uint64_t end, paging_clone_fn fn, void *arg)
{
	struct paging_clone c = { dst, src, start, end, fn, arg };
	struct clone_level root = { NULL, paging_table(dst, dst->pml4_pa), 0, 0, PT_LEVELS };

	if (start >= end)
		return 0;
	return clone_table(&c, src->pml4_pa, &root, 0);
}

static void free_below(struct paging_ctx *ctx, uint64_t table_pa, unsigned level,
		       void (*free_table)(void *, uint64_t), void *arg)
{
	pte_t *table = paging_table(ctx, table_pa);

	if (level > 1)
		for (unsigned i = 0; i < PT_ENTRIES; i++)
			if (pte_is_present(table[i]) && !pte_is_leaf(table[i], level))
				free_below(ctx, table[i] & PTE_ADDR_MASK, level - 1, free_table, arg);
	free_table(arg, table_pa);
}

void paging_free_subtrees(struct paging_ctx *ctx, unsigned first, unsigned last,
			  void (*free_table)(void *arg, uint64_t pa), void *arg)
{
	pte_t *pml4 = paging_table(ctx, ctx->pml4_pa);

	for (unsigned i = first; i <= last && i < PT_ENTRIES; i++) {
		if (pte_is_present(pml4[i]) && !pte_is_leaf(pml4[i], PT_LEVELS))
			free_below(ctx, pml4[i] & PTE_ADDR_MASK, PT_LEVELS - 1, free_table, arg);
		pml4[i] = 0;
	}
}
