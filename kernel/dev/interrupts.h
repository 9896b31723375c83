/* The machine's interrupt hardware, set up from ACPI: PIC, local APIC, IOAPICs. */
#ifndef DEV_INTERRUPTS_H
#define DEV_INTERRUPTS_H

#include <stdint.h>

#include "arch/x86_64/irq.h"
#include "dev/acpi.h"

/*
 * Reads the ACPI tables (RSDP from boot_info), masks the legacy PIC,
 * enables the local APIC and the IOAPICs. Without a usable MADT or IOAPIC
 * it falls back to the legacy PIC for ISA interrupts (logged).
 */
void interrupts_init(void);

/* Routes ISA IRQ irq (0-15, ACPI overrides applied) to fn. */
void interrupts_route_isa(uint8_t irq, irq_handler fn, void *arg, const char *name);

/* What ACPI said (present == false without ACPI). */
const struct acpi_info *interrupts_acpi(void);

#endif
