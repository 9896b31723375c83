/* Ending the run: QEMU's isa-debug-exit status, else halt. */
#ifndef ARCH_X86_64_POWER_H
#define ARCH_X86_64_POWER_H

#include <stdbool.h>

/*
 * Under QEMU with isa-debug-exit at port 0xf4, exits with status 33
 * (success) or 35 (failure). Elsewhere the write is harmless and the CPU
 * halts with a message (ACPI power-off comes with the ACPI driver).
 */
__attribute__((noreturn)) void power_off(bool success);

#endif
