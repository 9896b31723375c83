/* Ending the run: QEMU's isa-debug-exit status, ACPI power-off, resets. */
#include <stddef.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/power.h"
#include "log.h"

#define DEBUG_EXIT_PORT    0xf4
#define DEBUG_EXIT_SUCCESS 0x10 /* QEMU exits (0x10 << 1) | 1 = 33 */
#define DEBUG_EXIT_FAILURE 0x11 /* QEMU exits 35 */
#define KBC_STATUS         0x64
#define KBC_RESET          0xfe

static void (*platform_off)(void);
static void (*platform_reset)(void);

void power_set_methods(void (*off)(void), void (*reset)(void))
{
	platform_off = off;
	platform_reset = reset;
}

void power_off(bool success)
{
	__asm__ volatile("cli");
	outl(DEBUG_EXIT_PORT, success ? DEBUG_EXIT_SUCCESS : DEBUG_EXIT_FAILURE);
	if (platform_off)
		platform_off();
	kprintf("power: halted (%s); it is safe to turn the machine off\n",
		success ? "success" : "failure");
	halt_forever();
}

void power_reboot(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) no_idt = { 0, 0 };

	__asm__ volatile("cli");
	if (platform_reset)
		platform_reset();
	/* The 8042's output port pulses the CPU's reset line. */
	for (int i = 0; i < 100000 && (inb(KBC_STATUS) & 2); i++)
		cpu_relax();
	outb(KBC_STATUS, KBC_RESET);
	for (volatile int i = 0; i < 10000000; i++)
		;
	/* Last resort: a fault with no IDT is a triple fault, i.e. a reset. */
	kprintf("power: reset by triple fault\n");
	__asm__ volatile("lidt %0; int3" : : "m"(no_idt));
	halt_forever();
}
