/* In-kernel tests of the frame allocator, the kernel page tables and the heap. */
#include <stdint.h>

#include "ktest.h"
#include "lib/errno.h"
#include "lib/string.h"
#include "mm/addr.h"
#include "mm/kmalloc.h"
#include "mm/pmm.h"
#include "mm/vmm.h"

KTEST(pmm_alloc_free_refcount)
{
	struct pmm_stats before, after;
	paddr_t f, big;

	pmm_get_stats(&before);
	KT_CHECK(pmm_try_alloc(0, &f) == 0);
	KT_CHECK(pmm_refcount(f) == 1);
	pmm_get(f);
	KT_CHECK(pmm_refcount(f) == 2);
	pmm_put(f);
	KT_CHECK(pmm_refcount(f) == 1);
	pmm_put(f); /* the last reference frees it */
	KT_CHECK(pmm_try_alloc(3, &big) == 0);
	KT_CHECK((big.pa & (8 * FRAME_SIZE - 1)) == 0); /* naturally aligned */
	memset(phys_to_virt(big), 0x5a, 8 * FRAME_SIZE);
	pmm_free(big, 3);
	pmm_get_stats(&after);
	KT_CHECK(after.free == before.free);
}

/* Takes every free frame (chained through the frames themselves), then
 * gives them all back: the allocator must be exactly where it started. */
KTEST(pmm_exhaustion)
{
	struct pmm_stats before, empty, after;
	uint64_t taken = 0;
	paddr_t head = PA(0), f;

	pmm_get_stats(&before);
	while (pmm_try_alloc(0, &f) == 0) {
		*(uint64_t *)phys_to_virt(f) = head.pa;
		head = f;
		taken++;
	}
	pmm_get_stats(&empty);
	KT_CHECK(empty.free == 0);
	KT_CHECK(taken == before.free);
	while (head.pa) {
		paddr_t next = PA(*(uint64_t *)phys_to_virt(head));

		pmm_free(head, 0);
		head = next;
	}
	pmm_get_stats(&after);
	KT_CHECK(after.free == before.free);
	KT_CHECK(after.free_by_order[PMM_MAX_ORDER] == before.free_by_order[PMM_MAX_ORDER]);
}

/* Remapping a page must be visible at once: the flush obligation works.
 * (Without the flush, QEMU's TLB would still show the first frame.) */
KTEST(vmm_map_unmap_protect_flush)
{
	vaddr_t va = vmm_alloc_va(1);
	paddr_t a = pmm_alloc(0), b = pmm_alloc(0), pa;
	volatile uint64_t *p = (volatile uint64_t *)va.va;
	uint64_t flags;

	*(uint64_t *)phys_to_virt(a) = 0xaaaa;
	*(uint64_t *)phys_to_virt(b) = 0xbbbb;
	KT_CHECK(vmm_translate(va, NULL, NULL) == -ENOENT);
	tlb_flush(vmm_map(va, a, 1, PTE_WRITE | PTE_NX));
	KT_CHECK(*p == 0xaaaa);
	tlb_flush(vmm_unmap(va, 1));
	tlb_flush(vmm_map(va, b, 1, PTE_WRITE | PTE_NX));
	KT_CHECK(*p == 0xbbbb);
	*p = 0xcccc;
	KT_CHECK(*(uint64_t *)phys_to_virt(b) == 0xcccc);
	tlb_flush(vmm_protect(va, 1, PTE_NX));
	KT_CHECK(vmm_translate(va, &pa, &flags) == 0);
	KT_CHECK(pa_eq(pa, b) && !(flags & PTE_WRITE));
	tlb_flush(vmm_unmap(va, 1));
	KT_CHECK(vmm_translate(va, NULL, NULL) == -ENOENT);
	pmm_free(a, 0);
	pmm_free(b, 0);
}

static uint32_t lcg(uint32_t *state)
{
	*state = *state * 1664525u + 1013904223u;
	return *state >> 8;
}

/* Random sizes and frees; each block carries a pattern checked before it
 * is freed, so any overlap between live blocks is caught. */
KTEST(heap_stress)
{
	enum { SLOTS = 256, ROUNDS = 20000 };
	static uint8_t *blocks[SLOTS];
	static uint32_t sizes[SLOTS];
	uint32_t seed = 12345;
	bool intact = true;

	for (int round = 0; round < ROUNDS; round++) {
		uint32_t i = lcg(&seed) % SLOTS;

		if (blocks[i]) {
			for (uint32_t j = 0; j < sizes[i]; j++)
				intact &= blocks[i][j] == (uint8_t)(i + j);
			kfree(blocks[i]);
			blocks[i] = NULL;
			continue;
		}
		sizes[i] = lcg(&seed) % 8 == 0 ? lcg(&seed) % 20000 : lcg(&seed) % 600;
		blocks[i] = kmalloc(sizes[i]);
		for (uint32_t j = 0; j < sizes[i]; j++)
			blocks[i][j] = (uint8_t)(i + j);
	}
	for (int i = 0; i < SLOTS; i++) {
		for (uint32_t j = 0; blocks[i] && j < sizes[i]; j++)
			intact &= blocks[i][j] == (uint8_t)(i + j);
		kfree(blocks[i]);
		blocks[i] = NULL;
	}
	KT_CHECK(intact);
}
