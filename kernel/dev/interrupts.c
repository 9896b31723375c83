/* The machine's interrupt hardware, set up from ACPI: PIC, local APIC, IOAPICs. */
#include <stddef.h>

#include <stdbool.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/ioapic.h"
#include "arch/x86_64/lapic.h"
#include "arch/x86_64/pic.h"
#include "boot.h"
#include "cmdline.h"
#include "lib/string.h"
#include "dev/interrupts.h"
#include "log.h"
#include "mm/vmm.h"
#include "shared/mem_class.h"
#include "mm/physmap.h"

#define MSR_APIC_BASE     0x1bu
#define DEFAULT_IOAPIC_PA 0xfec00000ull

static struct acpi_info acpi;
static bool use_pic; /* no IOAPIC: ISA interrupts through the 8259s */

/* ISA handlers when the PIC delivers them: the PIC needs its own EOI. */
static struct {
	irq_handler fn;
	void *arg;
} pic_handlers[16];

const struct acpi_info *interrupts_acpi(void)
{
	return &acpi;
}

/* ACPI tables live in RAM (direct map) or in reserved memory (mapped here). */
static const void *map_acpi_table(void *arg, paddr_t pa, size_t len)
{
	size_t n;
	const struct boot_region *r = physmap_regions(&n);

	if (len == 0 || pa.pa + len < pa.pa)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		uint64_t end = r[i].base_pa + r[i].pages * FRAME_SIZE;

		if (pa.pa >= r[i].base_pa && pa.pa + len <= end) {
			if (mem_class_is_ram(r[i].class))
				return phys_to_virt(pa);
			if (r[i].class == MEM_RESERVED || r[i].class == MEM_ACPI_NVS)
				return vmm_map_device(pa, len, 0);
		}
	}
	return NULL; /* not memory the firmware described: do not touch */
}

static void pic_trampoline(struct trap_frame *tf, void *arg)
{
	uint8_t irq = (uint8_t)(uintptr_t)arg;

	pic_handlers[irq].fn(tf, pic_handlers[irq].arg);
	pic_eoi(irq);
}

void interrupts_route_isa(uint8_t irq, irq_handler fn, void *arg, const char *name)
{
	uint16_t flags = 0;
	uint32_t gsi;

	if (use_pic) {
		pic_handlers[irq].fn = fn;
		pic_handlers[irq].arg = arg;
		irq_register(IRQ_ISA_BASE + irq, pic_trampoline, (void *)(uintptr_t)irq, name);
		pic_unmask(irq);
		return;
	}
	gsi = acpi.present ? acpi_isa_irq_to_gsi(&acpi, irq, &flags) : irq;
	irq_register(IRQ_ISA_BASE + irq, fn, arg, name);
	if (ioapic_route(gsi, IRQ_ISA_BASE + irq, lapic_id(),
			 (flags & ACPI_TRIGGER_MASK) == ACPI_TRIGGER_LEVEL,
			 (flags & ACPI_POLARITY_MASK) == ACPI_POLARITY_LOW))
		log_err("irq", "no IOAPIC serves GSI %u (ISA IRQ %u, %s)", gsi, irq, name);
	else
		log_info("irq", "ISA IRQ %u -> GSI %u -> vector %#x (%s)", irq, gsi,
			 IRQ_ISA_BASE + irq, name);
}

void interrupts_init(void)
{
	const struct acpi_mem mem = { map_acpi_table, NULL };
	const struct boot_info *bi = boot_info();
	paddr_t lapic_pa = PA(rdmsr(MSR_APIC_BASE) & ~0xfffull);

	if (!bi->acpi_rsdp_pa || acpi_parse(&mem, PA(bi->acpi_rsdp_pa), &acpi))
		log_warn("acpi", "no usable ACPI tables: legacy PIC and default addresses");
	pic_init(); /* remapped and masked either way */
	if (acpi.present && acpi.madt_present && acpi.lapic_pa)
		lapic_pa = PA(acpi.lapic_pa);
	lapic_init(lapic_pa);

	if (acpi.present && acpi.madt_present) {
		for (unsigned i = 0; i < acpi.ioapic_count; i++)
			ioapic_add(PA(acpi.ioapics[i].pa), acpi.ioapics[i].gsi_base,
				   acpi.ioapics[i].id);
	} else {
		ioapic_add(PA(DEFAULT_IOAPIC_PA), 0, 0);
	}
	if (cmdline_get("irq") && !strcmp(cmdline_get("irq"), "pic")) {
		log_info("irq", "irq=pic: ISA interrupts through the legacy PIC");
		use_pic = true;
		lapic_lint0_extint();
	} else if (ioapic_count() == 0) {
		log_warn("irq", "no IOAPIC: ISA interrupts through the legacy PIC");
		use_pic = true;
		lapic_lint0_extint(); /* the PIC reaches the CPU through LINT0 */
	}
}
