/* ACPI table discovery: RSDP -> XSDT/RSDT -> MADT, HPET, FADT and the DSDT's \_S5. */
#ifndef DEV_ACPI_H
#define DEV_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mm/addr.h"

/*
 * How the parser reaches physical memory: ACPI tables may lie where the
 * direct map does not reach. map() returns a pointer valid for len bytes at
 * pa, or NULL if that range is not accessible (the parser then logs and
 * skips the table). Pointers it returns must stay valid until acpi_parse()
 * returns; the parser never writes through them and keeps none afterwards.
 */
struct acpi_mem {
	const void *(*map)(void *arg, paddr_t pa, size_t len);
	void *arg;
};

/* Generic Address Structure (GAS), as the FADT and HPET tables hold it. */
struct acpi_gas {
	uint8_t space_id;    /* ACPI_GAS_* */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size; /* 0 undefined, 1 byte, 2 word, 3 dword, 4 qword */
	uint64_t address;
};

#define ACPI_GAS_MEMORY 0
#define ACPI_GAS_IO     1
#define ACPI_GAS_PCI    2 /* address: device << 32 | function << 16 | offset */

#define ACPI_MAX_CPUS      64
#define ACPI_MAX_IOAPICS   8
#define ACPI_MAX_OVERRIDES 16
#define ACPI_MAX_NMIS      8
#define ACPI_CPU_ALL       0xffffffffu /* nmis[].acpi_cpu: every processor */

/* MPS INTI flags of overrides and NMIs; "conforms" means the bus default. */
#define ACPI_POLARITY_MASK    0x3
#define ACPI_POLARITY_CONFORM 0x0
#define ACPI_POLARITY_HIGH    0x1
#define ACPI_POLARITY_LOW     0x3
#define ACPI_TRIGGER_MASK     0xc
#define ACPI_TRIGGER_CONFORM  0x0
#define ACPI_TRIGGER_EDGE     0x4
#define ACPI_TRIGGER_LEVEL    0xc

/* FADT IAPC_BOOT_ARCH bits. */
#define ACPI_BOOT_LEGACY_DEVICES 0x01
#define ACPI_BOOT_8042           0x02
#define ACPI_BOOT_NO_VGA         0x04
#define ACPI_BOOT_NO_MSI         0x08
#define ACPI_BOOT_NO_CMOS_RTC    0x20

/* PM1 control register: write SLP_TYP (bits 10-12) together with SLP_EN. */
#define ACPI_PM1_SCI_EN        0x0001
#define ACPI_PM1_SLP_TYP_SHIFT 10
#define ACPI_PM1_SLP_TYP_MASK  0x1c00
#define ACPI_PM1_SLP_EN        0x2000

struct acpi_cpu {
	uint32_t acpi_id, apic_id;
	bool enabled; /* false: online-capable or absent; do not start it */
};

struct acpi_ioapic {
	uint32_t id;
	uint64_t pa;
	uint32_t gsi_base;
};

struct acpi_override {
	uint8_t bus_irq; /* ISA IRQ 0-15 */
	uint32_t gsi;
	uint16_t flags;  /* ACPI_POLARITY_*, ACPI_TRIGGER_* */
};

struct acpi_nmi {
	uint32_t acpi_cpu; /* processor UID, or ACPI_CPU_ALL */
	uint8_t lint;      /* 0 or 1 */
	uint16_t flags;
};

struct acpi_info {
	bool present;       /* the rest is meaningful only if true */
	uint8_t revision;   /* RSDP revision: 0 (ACPI 1.0) or >= 2 */
	char oem_id[7];     /* from the RSDP, NUL-terminated */
	bool xsdt_used;     /* false: the 32-bit RSDT was walked */

	/* MADT. Without one (madt_present false) use the legacy PIC/PIT. */
	bool madt_present;
	uint64_t lapic_pa;  /* 64-bit override applied; 0 without a MADT */
	bool pic_present;   /* PCAT_COMPAT: 8259s present, mask them for the APIC */
	unsigned cpu_count; /* entries kept, enabled or not (one per APIC id) */
	struct acpi_cpu cpus[ACPI_MAX_CPUS];
	unsigned ioapic_count; /* 0: no IOAPIC, use the legacy PIC */
	struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
	unsigned override_count;
	struct acpi_override overrides[ACPI_MAX_OVERRIDES];
	unsigned nmi_count;
	struct acpi_nmi nmis[ACPI_MAX_NMIS];
	unsigned madt_dropped; /* entries beyond the ACPI_MAX_* limits */

	/* HPET (first timer block only). */
	bool hpet_present;
	uint64_t hpet_pa;
	uint8_t hpet_number;
	uint16_t hpet_min_tick;

	/* FADT. Port fields are 0 when absent; X_ fields win when valid. */
	bool fadt_present;
	bool hw_reduced;         /* HW_REDUCED_ACPI: no PM1 blocks, no SCI_EN */
	uint16_t sci_irq;
	uint32_t smi_cmd;        /* write acpi_enable here if SCI_EN is clear */
	uint8_t acpi_enable;
	uint32_t pm1a_cnt, pm1b_cnt; /* I/O ports, pm1b 0 if absent */
	uint32_t pm_timer_port;
	bool pm_timer_32bit;     /* TMR_VAL_EXT: 32-bit counter, else 24 */
	uint8_t century;         /* CMOS index of the century, 0 if none */
	uint16_t iapc_boot_arch; /* ACPI_BOOT_*; 0 in an ACPI 1.0 FADT */
	bool reset_supported;    /* reset_reg is valid: write reset_value */
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint64_t dsdt_pa;

	/* \_S5 from the DSDT: write (slp_typX << 10) | SLP_EN to pm1X_cnt. */
	bool s5_valid;
	uint8_t slp_typa, slp_typb;
};

/*
 * Finds and checks the RSDP at rsdp_pa, walks the XSDT (revision >= 2, if
 * valid) or the RSDT, and fills *out from the MADT, HPET, FADT and DSDT.
 * Every table is length-checked, then checksummed, before its contents are
 * read; a bad one is logged (module "acpi", naming the table and the check)
 * and ignored, so the matching fields keep their "absent" values.
 * Returns 0 when a root table was usable (out->present true), or -ENOENT
 * when there is no valid RSDP or root table (out is zeroed: fall back to
 * the legacy PIC/PIT layout).
 */
int acpi_parse(const struct acpi_mem *mem, paddr_t rsdp_pa, struct acpi_info *out);

/*
 * The GSI an ISA IRQ arrives on, applying the MADT's interrupt source
 * overrides (identity when none matches). *flags (if not NULL) gets the
 * override's polarity/trigger flags, or 0 (conforms: ISA edge, active high).
 */
uint32_t acpi_isa_irq_to_gsi(const struct acpi_info *info, uint8_t irq, uint16_t *flags);

/* The PM1 control bits that enter sleep type slp_typ (SLP_TYP | SLP_EN). */
static inline uint16_t acpi_pm1_sleep_bits(uint8_t slp_typ)
{
	return (uint16_t)(((slp_typ & 7u) << ACPI_PM1_SLP_TYP_SHIFT) | ACPI_PM1_SLP_EN);
}

#endif
