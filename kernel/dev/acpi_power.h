/* ACPI power-off (sleep state S5) and reset, from what the FADT and DSDT said. */
#ifndef DEV_ACPI_POWER_H
#define DEV_ACPI_POWER_H

/* Registers ACPI's power-off and reset with power_off()/power_reboot(),
 * if the tables describe them. Call after interrupts_init(). */
void acpi_power_init(void);

#endif
