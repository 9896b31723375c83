/* Physical and virtual addresses as distinct types, and the one conversion. */
#ifndef MM_ADDR_H
#define MM_ADDR_H

#include <stdbool.h>
#include <stdint.h>

#include "shared/boot_info.h"

/*
 * A physical address cannot be dereferenced; wrapping it in a struct makes
 * the compiler reject any mix-up with pointers or virtual addresses.
 * Virtual addresses that are not pointers (user addresses, page-table
 * arguments) are vaddr_t. Build them with PA()/VA(), read them with .pa/.va.
 */
typedef struct {
	uint64_t pa;
} paddr_t;

typedef struct {
	uint64_t va;
} vaddr_t;

#define PA(x) ((paddr_t){ (uint64_t)(x) })
#define VA(x) ((vaddr_t){ (uint64_t)(x) })

#define FRAME_SIZE  4096ull
#define FRAME_SHIFT 12

static inline paddr_t pa_add(paddr_t a, uint64_t off) { return PA(a.pa + off); }
static inline vaddr_t va_add(vaddr_t a, uint64_t off) { return VA(a.va + off); }
static inline bool pa_eq(paddr_t a, paddr_t b) { return a.pa == b.pa; }
static inline uint64_t pa_pfn(paddr_t a) { return a.pa >> FRAME_SHIFT; }
static inline paddr_t pfn_pa(uint64_t pfn) { return PA(pfn << FRAME_SHIFT); }
static inline bool pa_aligned(paddr_t a) { return (a.pa & (FRAME_SIZE - 1)) == 0; }
static inline bool va_aligned(vaddr_t a) { return (a.va & (FRAME_SIZE - 1)) == 0; }
static inline uint64_t align_down(uint64_t x, uint64_t a) { return x & ~(a - 1); }
static inline uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) & ~(a - 1); }

/*
 * The only conversions between physical memory and pointers: through the
 * direct map (all RAM at BOOT_DIRECT_MAP_VA + pa). Host unit tests supply
 * their own pair, over simulated memory.
 */
#ifdef HOST_TEST
void *phys_to_virt(paddr_t pa);
paddr_t virt_to_phys(const void *p);
#else
static inline void *phys_to_virt(paddr_t pa)
{
	return (void *)(uintptr_t)(BOOT_DIRECT_MAP_VA + pa.pa);
}

/* Only for pointers into the direct map (not the kernel image or stacks). */
static inline paddr_t virt_to_phys(const void *p)
{
	return PA((uint64_t)(uintptr_t)p - BOOT_DIRECT_MAP_VA);
}
#endif

#endif
