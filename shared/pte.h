/* x86_64 4-level page-table entry bits and address helpers, shared by loader and kernel. */
#ifndef SHARED_PTE_H
#define SHARED_PTE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Levels are numbered as the hardware walks them, root first:
 *   4 = PML4, 3 = PDPT (1 GiB leaves), 2 = PD (2 MiB leaves), 1 = PT (4 KiB).
 * pt_* helpers describe the geometry of virtual addresses; pte_* helpers
 * interpret the bits of one entry.
 */
typedef uint64_t pte_t;

#define PT_LEVELS  4u
#define PT_ENTRIES 512u

#define PAGE_SHIFT   12u
#define PAGE_SIZE    4096ull
#define PAGE_SIZE_2M (1ull << 21)
#define PAGE_SIZE_1G (1ull << 30)

#define PTE_PRESENT  (1ull << 0)
#define PTE_WRITE    (1ull << 1)
#define PTE_USER     (1ull << 2)
#define PTE_PWT      (1ull << 3)  /* write-through */
#define PTE_PCD      (1ull << 4)  /* cache disable */
#define PTE_ACCESSED (1ull << 5)
#define PTE_DIRTY    (1ull << 6)  /* leaves only */
#define PTE_HUGE     (1ull << 7)  /* PS: entry at level 2 or 3 is a leaf */
#define PTE_PAT      (1ull << 7)  /* PAT index bit in a level-1 leaf */
#define PTE_GLOBAL   (1ull << 8)  /* leaves only */
#define PTE_PAT_HUGE (1ull << 12) /* PAT index bit in a level-2/3 leaf */
#define PTE_NX       (1ull << 63) /* needs EFER.NXE */

/* Physical address field of a table pointer or a 4 KiB leaf: bits 12..51. */
#define PTE_ADDR_MASK 0x000ffffffffff000ull
/* Physical addresses the format can express lie below this limit. */
#define PTE_PA_LIMIT  (1ull << 52)

/* Number of low va bits below the index of `level` (12, 21, 30, 39). */
static inline unsigned pt_level_shift(unsigned level)
{
	return PAGE_SHIFT + 9u * (level - 1u);
}

/* Bytes covered by one entry at `level` (4 KiB, 2 MiB, 1 GiB, 512 GiB). */
static inline uint64_t pt_level_size(unsigned level)
{
	return 1ull << pt_level_shift(level);
}

/* Index (0..511) of the entry for va in its table at `level` (1..4). */
static inline unsigned pt_index(uint64_t va, unsigned level)
{
	return (unsigned)(va >> pt_level_shift(level)) & (PT_ENTRIES - 1u);
}

/* True when bits 63..47 of va are all equal (48-bit virtual addresses). */
static inline bool pt_va_is_canonical(uint64_t va)
{
	uint64_t top = va >> 47;

	return top == 0 || top == 0x1ffff;
}

static inline bool pte_is_present(pte_t pte)
{
	return (pte & PTE_PRESENT) != 0;
}

/*
 * True when pte, found at `level`, maps memory rather than pointing to a
 * table: any present level-1 entry, or a level-2/3 entry with PS set.
 * Bit 7 means PAT at level 1 and is reserved at level 4.
 */
static inline bool pte_is_leaf(pte_t pte, unsigned level)
{
	if (!pte_is_present(pte))
		return false;
	return level == 1 || (level <= 3 && (pte & PTE_HUGE));
}

/*
 * Address field of a leaf at `level`. A 2 MiB or 1 GiB leaf keeps PAT in
 * bit 12 and reserved zeros up to its alignment, so its field is narrower.
 */
static inline uint64_t pte_leaf_addr_mask(unsigned level)
{
	return PTE_ADDR_MASK & ~(pt_level_size(level) - 1u);
}

#endif /* SHARED_PTE_H */
