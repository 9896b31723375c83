/* The direct map: the one place physical addresses become pointers. */
#ifndef MM_DIRECT_H
#define MM_DIRECT_H

#include <stdint.h>

#include "shared/boot_info.h"

static inline void *phys_to_virt(uint64_t pa)
{
	return (void *)(uintptr_t)(BOOT_DIRECT_MAP_VA + pa);
}

static inline uint64_t virt_to_phys_direct(const void *va)
{
	return (uint64_t)(uintptr_t)va - BOOT_DIRECT_MAP_VA;
}

#endif
