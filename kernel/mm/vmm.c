/* The kernel's address space: its page tables and the TLB-flush discipline. */
#include <stdbool.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpufeature.h"
#include "boot.h"
#include "lib/errno.h"
#include "log.h"
#include "mm/physmap.h"
#include "mm/pmm.h"
#include "mm/vmm.h"
#include "panic.h"
#include "sched/spinlock.h"
#include "shared/mem_class.h"
#include "shared/paging.h"

#define MSR_PAT         0x277u
#define PAT_WC_AT_PWT   0x0007040600070106ull /* PA1 = write-combining */
#define CR4_PGE         (1ull << 7)
#define FLUSH_PAGE_LIMIT 32 /* beyond this, flush everything */

extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __data_end[];

static struct spinlock vmm_lock = SPINLOCK_INIT("vmm"); /* kernel_tables, next_dynamic_va */
static struct paging_ctx kernel_tables;
static uint64_t next_dynamic_va = KVA_DYNAMIC;
static uint64_t leaf_mask = ~0ull; /* clears PTE_NX on CPUs without NX */

static uint64_t alloc_table(void *arg)
{
	return pmm_alloc(0).pa;
}

static void *table_ptr(void *arg, uint64_t pa)
{
	return phys_to_virt(PA(pa));
}

void tlb_flush(struct tlb_flush f)
{
	if (f.end <= f.start)
		return;
	if ((f.end - f.start) / FRAME_SIZE <= FLUSH_PAGE_LIMIT) {
		for (uint64_t va = f.start; va < f.end; va += FRAME_SIZE)
			invlpg(va);
		return;
	}
	/* Toggling CR4.PGE drops every translation, global ones included. */
	uint64_t cr4 = read_cr4();

	if (cr4 & CR4_PGE) {
		write_cr4(cr4 & ~CR4_PGE);
		write_cr4(cr4);
	} else {
		write_cr3(read_cr3());
	}
}

struct tlb_flush tlb_flush_merge(struct tlb_flush a, struct tlb_flush b)
{
	if (a.end <= a.start)
		return b;
	if (b.end <= b.start)
		return a;
	return (struct tlb_flush){ a.start < b.start ? a.start : b.start,
				   a.end > b.end ? a.end : b.end };
}

/* Maps without locking or flushing: vmm_init and the locked wrappers. */
static void map_locked(uint64_t va, uint64_t pa, uint64_t size, uint64_t flags, const char *what)
{
	int err = paging_map(&kernel_tables, va, pa, size, flags & leaf_mask);

	if (err)
		panic("vmm_map: cannot map %s [%#lx, %#lx) to %#lx: error %d", what,
		      (unsigned long)va, (unsigned long)(va + size), (unsigned long)pa, err);
}

static void map_image_section(const char *lo, const char *hi, uint64_t flags, const char *what)
{
	const struct boot_info *bi = boot_info();
	uint64_t va = (uint64_t)lo;

	map_locked(va, bi->kernel_pa + (va - bi->kernel_va), (uint64_t)(hi - lo),
		   flags | PTE_GLOBAL, what);
}

/* Every RAM region, neighbours of any RAM class coalesced for large pages. */
static void map_direct(void)
{
	size_t n;
	const struct boot_region *r = physmap_regions(&n);

	for (size_t i = 0; i < n; i++) {
		uint64_t base = r[i].base_pa, end = base + r[i].pages * FRAME_SIZE;

		if (!mem_class_is_ram(r[i].class))
			continue;
		while (i + 1 < n && mem_class_is_ram(r[i + 1].class) && r[i + 1].base_pa == end) {
			i++;
			end = r[i].base_pa + r[i].pages * FRAME_SIZE;
		}
		map_locked(BOOT_DIRECT_MAP_VA + base, base, end - base,
			   PTE_WRITE | PTE_NX | PTE_GLOBAL, "direct map");
	}
}

/* The loader's boot stack stays where it is until kmain leaves it. */
static void map_boot_stack(void)
{
	const struct boot_info *bi = boot_info();
	struct paging_ctx loader_tables = { .pml4_pa = read_cr3() & PTE_ADDR_MASK,
					    .table_ptr = table_ptr };

	for (uint64_t va = bi->stack_bottom_va; va < bi->stack_top_va; va += FRAME_SIZE) {
		uint64_t pa;

		if (paging_translate(&loader_tables, va, &pa, NULL, NULL))
			panic("vmm_init: boot stack page %#lx is not mapped", (unsigned long)va);
		map_locked(va, pa, FRAME_SIZE, PTE_WRITE | PTE_NX | PTE_GLOBAL, "boot stack");
	}
}

void vmm_init(void)
{
	const struct cpu_features *cpu = cpu_features();

	if (!cpu->nx)
		leaf_mask = ~PTE_NX;
	kernel_tables = (struct paging_ctx){ .alloc_table = alloc_table, .table_ptr = table_ptr,
					     .allow_1g = cpu->pdpe1gb };
	if (paging_init(&kernel_tables))
		panic("vmm_init: no frame for the PML4");
	map_image_section(__text_start, __text_end, 0, "kernel text");
	map_image_section(__rodata_start, __rodata_end, PTE_NX, "kernel rodata");
	map_image_section(__data_start, __data_end, PTE_WRITE | PTE_NX, "kernel data");
	map_direct();
	map_boot_stack();
	if (cpu->pat)
		wrmsr(MSR_PAT, PAT_WC_AT_PWT);
	write_cr3(kernel_tables.pml4_pa);
	tlb_flush((struct tlb_flush){ 0, ~0ull }); /* the loader's global entries too */
	log_info("vmm", "kernel page tables at %#lx: %lu tables, %s pages in the direct map",
		 (unsigned long)kernel_tables.pml4_pa, (unsigned long)kernel_tables.tables_allocated,
		 cpu->pdpe1gb ? "1 GiB" : "2 MiB");
}

struct tlb_flush vmm_map(vaddr_t va, paddr_t pa, uint64_t pages, uint64_t flags)
{
	spin_lock(&vmm_lock);
	map_locked(va.va, pa.pa, pages * FRAME_SIZE, flags, "range");
	spin_unlock(&vmm_lock);
	/* Not-present entries are never cached, but paging-structure caches
	 * may be: flushing the new range keeps the rule simple. */
	return (struct tlb_flush){ va.va, va.va + pages * FRAME_SIZE };
}

struct tlb_flush vmm_unmap(vaddr_t va, uint64_t pages)
{
	spin_lock(&vmm_lock);
	for (uint64_t i = 0; i < pages; i++) {
		int err = paging_unmap(&kernel_tables, va.va + i * FRAME_SIZE, NULL);

		if (err)
			panic("vmm_unmap: page %#lx: error %d", (unsigned long)(va.va + i * FRAME_SIZE),
			      err);
	}
	spin_unlock(&vmm_lock);
	return (struct tlb_flush){ va.va, va.va + pages * FRAME_SIZE };
}

struct tlb_flush vmm_protect(vaddr_t va, uint64_t pages, uint64_t flags)
{
	spin_lock(&vmm_lock);
	for (uint64_t i = 0; i < pages; i++) {
		int err = paging_protect(&kernel_tables, va.va + i * FRAME_SIZE, flags & leaf_mask);

		if (err)
			panic("vmm_protect: page %#lx: error %d",
			      (unsigned long)(va.va + i * FRAME_SIZE), err);
	}
	spin_unlock(&vmm_lock);
	return (struct tlb_flush){ va.va, va.va + pages * FRAME_SIZE };
}

int vmm_translate(vaddr_t va, paddr_t *pa, uint64_t *flags)
{
	uint64_t raw_pa = 0;
	int err;

	spin_lock(&vmm_lock);
	err = paging_translate(&kernel_tables, va.va, &raw_pa, flags, NULL);
	spin_unlock(&vmm_lock);
	if (err)
		return -ENOENT;
	if (pa)
		*pa = PA(raw_pa);
	return 0;
}

vaddr_t vmm_alloc_va(uint64_t pages)
{
	uint64_t va;

	spin_lock(&vmm_lock);
	va = next_dynamic_va;
	if (pages > (KVA_END - va) / FRAME_SIZE)
		panic("vmm_alloc_va: kernel virtual area exhausted (%lu pages asked)",
		      (unsigned long)pages);
	next_dynamic_va += (pages + 1) * FRAME_SIZE; /* one unmapped page between ranges */
	spin_unlock(&vmm_lock);
	return VA(va);
}

void *vmm_map_device(paddr_t pa, uint64_t size, uint64_t cache)
{
	uint64_t base = align_down(pa.pa, FRAME_SIZE);
	uint64_t pages = (align_up(pa.pa + size, FRAME_SIZE) - base) / FRAME_SIZE;
	vaddr_t va = vmm_alloc_va(pages);

	tlb_flush(vmm_map(va, PA(base), pages,
			  PTE_WRITE | PTE_NX | PTE_GLOBAL | (cache ? cache : PTE_PCD)));
	return (void *)(uintptr_t)(va.va + (pa.pa - base));
}

uint64_t vmm_kernel_root(void)
{
	return kernel_tables.pml4_pa;
}
