/* The kernel heap's page provider: frames from the PMM, seen through the direct map. */
#include "mm/addr.h"
#include "mm/pmm.h"
#include "mm/slab.h"

/* Infallible like every kernel allocation: pmm_alloc_caller panics with
 * "pmm_alloc: out of memory (order N) for <caller>". */
void *slab_pages_alloc(unsigned order, const char *caller)
{
	return phys_to_virt(pmm_alloc_caller(order, caller));
}

void slab_pages_free(void *p, unsigned order)
{
	pmm_free(virt_to_phys(p), order);
}
