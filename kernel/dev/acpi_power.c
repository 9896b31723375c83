/* ACPI power-off (sleep state S5) and reset, from what the FADT and DSDT said. */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/power.h"
#include "dev/acpi_power.h"
#include "dev/interrupts.h"
#include "log.h"
#include "mm/addr.h"

/* Some firmware starts in legacy mode: SCI_EN is set by writing acpi_enable
 * to the SMI command port. Bounded: a firmware that never answers is given up. */
static void enable_acpi_mode(const struct acpi_info *a)
{
	if (a->hw_reduced || (inw((uint16_t)a->pm1a_cnt) & ACPI_PM1_SCI_EN) || !a->smi_cmd ||
	    !a->acpi_enable)
		return;
	outb((uint16_t)a->smi_cmd, a->acpi_enable);
	for (int i = 0; i < 3000000 && !(inw((uint16_t)a->pm1a_cnt) & ACPI_PM1_SCI_EN); i++)
		cpu_relax();
}

static void acpi_off(void)
{
	const struct acpi_info *a = interrupts_acpi();
	uint16_t v;

	kprintf("power: ACPI S5 power-off\n");
	enable_acpi_mode(a);
	v = inw((uint16_t)a->pm1a_cnt) & ~ACPI_PM1_SLP_TYP_MASK;
	outw((uint16_t)a->pm1a_cnt, v | acpi_pm1_sleep_bits(a->slp_typa));
	if (a->pm1b_cnt) {
		v = inw((uint16_t)a->pm1b_cnt) & ~ACPI_PM1_SLP_TYP_MASK;
		outw((uint16_t)a->pm1b_cnt, v | acpi_pm1_sleep_bits(a->slp_typb));
	}
	for (volatile int i = 0; i < 100000000; i++) /* the power goes now, or never */
		;
	kprintf("power: ACPI S5 did not cut the power\n");
}

static void acpi_reset(void)
{
	const struct acpi_info *a = interrupts_acpi();

	if (a->reset_reg.space_id == ACPI_GAS_IO)
		outb((uint16_t)a->reset_reg.address, a->reset_value);
	else if (a->reset_reg.space_id == ACPI_GAS_MEMORY)
		*(volatile uint8_t *)phys_to_virt(PA(a->reset_reg.address)) = a->reset_value;
	for (volatile int i = 0; i < 10000000; i++)
		;
}

void acpi_power_init(void)
{
	const struct acpi_info *a = interrupts_acpi();
	bool can_off = a->present && a->fadt_present && a->s5_valid && a->pm1a_cnt && !a->hw_reduced;
	bool can_reset = a->present && a->reset_supported &&
			 (a->reset_reg.space_id == ACPI_GAS_IO || a->reset_reg.space_id == ACPI_GAS_MEMORY);

	power_set_methods(can_off ? acpi_off : NULL, can_reset ? acpi_reset : NULL);
	log_info("power", "power-off: %s; reset: %s", can_off ? "ACPI S5" : "none (halt)",
		 can_reset ? "ACPI reset register" : "8042, then triple fault");
}
