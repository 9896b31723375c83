/* Page allocations of the loader, remembered so they can be classified or undone. */
#include <efi.h>
#include <efilib.h>

#include "loader/alloc.h"
#include "loader/console.h"

#define ALLOC_MAX 64

/* Every range the loader owns; index < alloc_count. Not freed on success. */
static struct memmap_carve allocs[ALLOC_MAX];
static bool alloc_owned[ALLOC_MAX]; /* false: noted only, not ours to free */
static size_t alloc_count;

static int alloc_record(uint64_t base_pa, uint64_t pages, uint32_t cls, bool owned)
{
	if (alloc_count == ALLOC_MAX)
		return -1;
	allocs[alloc_count] = (struct memmap_carve){ base_pa, pages, cls };
	alloc_owned[alloc_count++] = owned;
	return 0;
}

uint64_t alloc_pages(uint64_t pages, uint32_t cls, const char *what)
{
	EFI_PHYSICAL_ADDRESS pa = 0;
	EFI_STATUS st;

	if (alloc_count == ALLOC_MAX) {
		console_error("%s: more than %d loader allocations", what, ALLOC_MAX);
		return 0;
	}
	st = uefi_call_wrapper(BS->AllocatePages, 4, AllocateAnyPages, EfiLoaderData, pages, &pa);
	if (EFI_ERROR(st) || pa == 0) {
		console_error("%s: cannot allocate %lu pages (EFI status %#lx)",
			      what, (unsigned long)pages, (unsigned long)st);
		return 0;
	}
	__builtin_memset((void *)(uintptr_t)pa, 0, pages * 4096);
	alloc_record(pa, pages, cls, true);
	return pa;
}

int alloc_note(uint64_t base_pa, uint64_t pages, uint32_t cls)
{
	return alloc_record(base_pa, pages, cls, false);
}

void alloc_free_all(void)
{
	while (alloc_count > 0) {
		alloc_count--;
		if (alloc_owned[alloc_count])
			uefi_call_wrapper(BS->FreePages, 2, allocs[alloc_count].base_pa,
					  allocs[alloc_count].pages);
	}
}

const struct memmap_carve *alloc_carves(size_t *count)
{
	*count = alloc_count;
	return allocs;
}
