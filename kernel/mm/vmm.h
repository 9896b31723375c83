/* The kernel's address space: its page tables and the TLB-flush discipline. */
#ifndef MM_VMM_H
#define MM_VMM_H

#include <stdint.h>

#include "mm/addr.h"
#include "shared/pte.h"

/*
 * Kernel virtual area (one PML4 slot, 512 GiB at BOOT_KERNEL_AREA_VA):
 *   +0            guard page of the loader's boot stack, then the stack
 *   +1 GiB        kernel stacks (kstack.c): fixed slots, guard page first
 *   +256 GiB      device mappings and other vmm_alloc_va() ranges
 */
#define KVA_STACKS     (BOOT_KERNEL_AREA_VA + (1ull << 30))
#define KVA_STACKS_END (BOOT_KERNEL_AREA_VA + (256ull << 30))
#define KVA_DYNAMIC    KVA_STACKS_END
#define KVA_END        (BOOT_KERNEL_AREA_VA + (512ull << 30))

/*
 * A TLB-flush obligation: the virtual range [start, end) whose stale
 * translations must be invalidated before the change is relied upon (and,
 * for an unmap, before the old frames are reused). Every function that
 * changes page tables returns one; the compiler rejects ignoring it.
 */
struct tlb_flush {
	uint64_t start, end;
};
#define MUST_FLUSH __attribute__((warn_unused_result))

/* Invalidates the range: invlpg page by page when short, else everything
 * (global entries included). Consumes the obligation. */
void tlb_flush(struct tlb_flush f);

/* One obligation covering both. */
struct tlb_flush tlb_flush_merge(struct tlb_flush a, struct tlb_flush b);

/*
 * Builds the kernel's own page tables from the physical map (kernel image
 * W^X, direct map of all RAM, the boot stack with its guard page), switches
 * to them and sets up the PAT (PTE_PWT alone selects write-combining).
 * Needs pmm_init(). Afterwards the loader's tables are unused.
 */
void vmm_init(void);

/*
 * Maps `pages` frames from pa at va in the kernel half with leaf flags
 * (PTE_WRITE, PTE_NX, PTE_GLOBAL, PTE_PWT, PTE_PCD; PTE_NX is dropped on
 * CPUs without NX). Page tables come from the frame allocator (infallible).
 * Mapping over an existing mapping is a kernel bug: it panics.
 */
MUST_FLUSH struct tlb_flush vmm_map(vaddr_t va, paddr_t pa, uint64_t pages, uint64_t flags);

/* Unmaps `pages` 4 KiB pages at va; every page must be mapped (else panic).
 * The frames are not freed: flush first, then free them. */
MUST_FLUSH struct tlb_flush vmm_unmap(vaddr_t va, uint64_t pages);

/* Changes the leaf flags of `pages` mapped 4 KiB pages at va. */
MUST_FLUSH struct tlb_flush vmm_protect(vaddr_t va, uint64_t pages, uint64_t flags);

/* Looks va up in the kernel tables: 0 with pa and leaf flags, or -ENOENT. */
int vmm_translate(vaddr_t va, paddr_t *pa, uint64_t *flags);

/* The kernel's own PML4 (kernel threads run on it). */
uint64_t vmm_kernel_root(void);

/* Reserves `pages` pages of kernel virtual space (never given back). */
vaddr_t vmm_alloc_va(uint64_t pages);

/* Maps device memory (e.g. the framebuffer) into the kernel area and
 * returns its address; `cache` is 0 (uncached) or PTE_PWT (write-combining). */
void *vmm_map_device(paddr_t pa, uint64_t size, uint64_t cache);

#endif
