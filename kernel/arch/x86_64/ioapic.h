/* IOAPICs: routing global system interrupts (GSIs) to vectors. */
#ifndef ARCH_X86_64_IOAPIC_H
#define ARCH_X86_64_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/addr.h"

/* Maps an IOAPIC serving GSIs from gsi_base and masks all its inputs.
 * Returns the number of inputs, or 0 (logged) if it looks absent. */
unsigned ioapic_add(paddr_t pa, uint32_t gsi_base, uint32_t id);

/* Routes gsi to vector on the CPU with local APIC id dest, unmasked.
 * Returns 0, or -ENOENT if no IOAPIC serves gsi. */
int ioapic_route(uint32_t gsi, uint8_t vector, uint32_t dest, bool level, bool active_low);

/* Masks gsi again. */
void ioapic_mask(uint32_t gsi);

/* Number of IOAPICs added. */
unsigned ioapic_count(void);

#endif
