/* Self-checks of the hand-off: W^X, guard page, direct map, memory map. */
#include <stdbool.h>
#include <stdint.h>

#include "arch/x86_64/cpu.h"
#include "boot.h"
#include "ktest.h"
#include "shared/paging.h"
#include "log.h"
#include "mm/bootcheck.h"
#include "mm/kstack.h"
#include "mm/addr.h"
#include "mm/physmap.h"
#include "shared/mem_class.h"
#include "shared/pte.h"

extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __data_end[];

static void *table_ptr(void *arg, uint64_t pa)
{
	return phys_to_virt(PA(pa));
}

/* The live page tables, read through the direct map. */
static struct paging_ctx live_tables(void)
{
	return (struct paging_ctx){ .pml4_pa = read_cr3() & PTE_ADDR_MASK, .table_ptr = table_ptr };
}

/* Counts pages of [lo, hi) whose mapping differs from want_flags (W, NX). */
static uint64_t check_range(const char *what, uint64_t lo, uint64_t hi, uint64_t want_flags,
			    uint64_t pa_base)
{
	struct paging_ctx t = live_tables();
	uint64_t bad = 0;

	for (uint64_t va = lo; va < hi; va += PAGE_SIZE) {
		uint64_t pa, flags;

		if (paging_translate(&t, va, &pa, &flags, NULL) ||
		    (flags & (PTE_WRITE | PTE_NX)) != want_flags ||
		    (pa_base != UINT64_MAX && pa != pa_base + (va - lo))) {
			if (!bad)
				log_err("selfcheck", "%s page %#lx is mapped wrongly", what,
					(unsigned long)va);
			bad++;
		}
	}
	return bad;
}

static bool check_kernel_wx(void)
{
	const struct boot_info *bi = boot_info();
	uint64_t text = (uint64_t)__text_start, rodata = (uint64_t)__rodata_start;
	uint64_t data = (uint64_t)__data_start;
	uint64_t nx = (rdmsr(MSR_EFER) & EFER_NXE) ? PTE_NX : 0;
	uint64_t bad;

	bad = check_range("text", text, (uint64_t)__text_end, 0,
			  bi->kernel_pa + (text - bi->kernel_va));
	bad += check_range("rodata", rodata, (uint64_t)__rodata_end, nx,
			   bi->kernel_pa + (rodata - bi->kernel_va));
	bad += check_range("data", data, (uint64_t)__data_end, PTE_WRITE | nx,
			   bi->kernel_pa + (data - bi->kernel_va));
	if (!nx)
		log_warn("selfcheck", "EFER.NXE is off: data is executable");
	log_info("selfcheck", "kernel W^X: %s (text %lu pages RX, rodata %lu R, data %lu RW%s)",
		 bad ? "FAILED" : "ok", (unsigned long)(((uint64_t)__text_end - text) / PAGE_SIZE),
		 (unsigned long)(((uint64_t)__rodata_end - rodata) / PAGE_SIZE),
		 (unsigned long)(((uint64_t)__data_end - data) / PAGE_SIZE), nx ? "+NX" : "");
	return bad == 0 && (read_cr0() & CR0_WP);
}

/* A stack: its pages mapped RW+NX, its guard page unmapped, rsp inside. */
static bool check_stack(const char *name, uint64_t guard, uint64_t bottom, uint64_t top)
{
	struct paging_ctx t = live_tables();
	uint64_t rsp = (uint64_t)__builtin_frame_address(0);
	bool guard_unmapped = paging_translate(&t, guard, NULL, NULL, NULL) != 0;
	uint64_t nx = (rdmsr(MSR_EFER) & EFER_NXE) ? PTE_NX : 0;
	uint64_t bad = check_range(name, bottom, top, PTE_WRITE | nx, UINT64_MAX);
	bool on_stack = rsp >= bottom && rsp < top;

	log_info("selfcheck", "%s stack [%#lx, %#lx): guard page %#lx %s, stack %s", name,
		 (unsigned long)bottom, (unsigned long)top, (unsigned long)guard,
		 guard_unmapped ? "unmapped (ok)" : "MAPPED", bad == 0 && on_stack ? "ok" : "FAILED");
	return guard_unmapped && bad == 0 && on_stack;
}

/* Every frame of every RAM region must appear at BOOT_DIRECT_MAP_VA + pa. */
static bool check_direct_map(void)
{
	size_t n;
	const struct boot_region *r = physmap_regions(&n);
	uint64_t nx = (rdmsr(MSR_EFER) & EFER_NXE) ? PTE_NX : 0, frames = 0, bad = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t lo = BOOT_DIRECT_MAP_VA + r[i].base_pa;

		if (!mem_class_is_ram(r[i].class))
			continue;
		bad += check_range("direct map", lo, lo + r[i].pages * PAGE_SIZE, PTE_WRITE | nx,
				   r[i].base_pa);
		frames += r[i].pages;
	}
	log_info("selfcheck", "direct map: %lu frames checked, %lu wrong: %s",
		 (unsigned long)frames, (unsigned long)bad, bad || !frames ? "FAILED" : "ok");
	return bad == 0 && frames > 0;
}

static bool check_page0(void)
{
	struct paging_ctx t = live_tables();
	bool ok = paging_translate(&t, 0, NULL, NULL, NULL) != 0;

	log_info("selfcheck", "page 0: %s", ok ? "unmapped (ok)" : "MAPPED");
	return ok;
}

/* The map must show the loader's allocations in their own classes. */
static bool check_memmap(void)
{
	const struct boot_info *bi = boot_info();
	static const uint32_t wanted[] = { MEM_FREE, MEM_KERNEL, MEM_RAMDISK, MEM_BOOT_PAGETABLES,
					   MEM_BOOT_STACK, MEM_BOOT_INFO, MEM_LOADER };
	size_t n;
	const struct boot_region *r = physmap_regions(&n);
	bool ok = n > 0;

	for (size_t w = 0; w < sizeof(wanted) / sizeof(wanted[0]); w++) {
		bool seen = false;

		for (size_t i = 0; i < n; i++)
			seen |= r[i].class == wanted[w];
		if (!seen)
			log_err("selfcheck", "memory map has no %s region", mem_class_name(wanted[w]));
		ok &= seen;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t end = r[i].base_pa + r[i].pages * PAGE_SIZE;

		if (bi->kernel_pa >= r[i].base_pa && bi->kernel_pa < end &&
		    (r[i].class != MEM_KERNEL || bi->kernel_pa + bi->kernel_pages * PAGE_SIZE > end)) {
			log_err("selfcheck", "kernel image is not wholly in a kernel region");
			ok = false;
		}
		if (bi->ramdisk_pa >= r[i].base_pa && bi->ramdisk_pa < end &&
		    (r[i].class != MEM_RAMDISK || bi->ramdisk_pa + bi->ramdisk_size > end)) {
			log_err("selfcheck", "ramdisk is not wholly in a ramdisk region");
			ok = false;
		}
	}
	log_info("selfcheck", "memory map: %zu regions, loader allocations classified: %s", n,
		 ok ? "ok" : "FAILED");
	return ok;
}

/* Result of bootcheck_run(), for the boot_handoff test. */
static bool handoff_ok;

bool bootcheck_run(void)
{
	const struct boot_info *bi = boot_info();
	bool ok = check_kernel_wx();

	ok &= check_stack("boot", bi->stack_guard_va, bi->stack_bottom_va, bi->stack_top_va);
	ok &= check_page0();
	ok &= check_direct_map();
	ok &= check_memmap();
	handoff_ok = ok;
	return ok;
}

bool bootcheck_current_stack(const struct kstack *s)
{
	return check_stack(s->name, s->guard_va, s->bottom_va, s->top_va);
}

/* The loader's hand-off, as bootcheck_run() found it at boot. */
KTEST(boot_handoff)
{
	KT_CHECK(handoff_ok);
}

/* The same properties of the kernel's own page tables, live. */
KTEST(kernel_wx)
{
	KT_CHECK(check_kernel_wx());
}

KTEST(page0_unmapped)
{
	KT_CHECK(check_page0());
}

KTEST(direct_map)
{
	KT_CHECK(check_direct_map());
}

/* Deliberate faults, run by name: the report is what the test looks at. */
KTEST_MANUAL(null_deref)
{
	volatile uint64_t *p = (volatile uint64_t *)0;

	KT_CHECK(*p == 0); /* must not get here */
}
