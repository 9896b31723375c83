/* Ending the run: QEMU's isa-debug-exit status, ACPI power-off, resets. */
#ifndef ARCH_X86_64_POWER_H
#define ARCH_X86_64_POWER_H

#include <stdbool.h>

/*
 * Powers the machine off. Under QEMU with isa-debug-exit at port 0xf4 it
 * exits with status 33 (success) or 35 (failure) at once. Otherwise it uses
 * the platform's method (ACPI S5, registered by the ACPI code), and if that
 * does not cut the power, halts with a message saying it is safe to turn
 * the machine off.
 */
__attribute__((noreturn)) void power_off(bool success);

/* Restarts the machine: ACPI reset register, then the 8042 keyboard
 * controller's reset line, then a triple fault. */
__attribute__((noreturn)) void power_reboot(void);

/* The platform's power-off and reset methods (each returns only if it
 * failed). Set by the ACPI code; NULL means none. */
void power_set_methods(void (*off)(void), void (*reset)(void));

#endif
