/* The kernel's own symbol table, embedded at build time for backtraces. */
#include <stddef.h>

#include "ksym.h"

extern char __text_start[], __text_end[];

const char *ksym_lookup(uint64_t addr, uint64_t *offset)
{
	uint32_t lo = 0, hi = ksym_count;

	if (addr < (uint64_t)__text_start || addr >= (uint64_t)__text_end || ksym_count == 0 ||
	    addr < ksym_addrs[0])
		return NULL;
	/* The last symbol at or below addr. */
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (ksym_addrs[mid] <= addr)
			lo = mid;
		else
			hi = mid;
	}
	*offset = addr - ksym_addrs[lo];
	return &ksym_names[ksym_name_offsets[lo]];
}
