/* Ending the run: QEMU's isa-debug-exit status, else halt. */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/power.h"
#include "log.h"

#define DEBUG_EXIT_PORT    0xf4
#define DEBUG_EXIT_SUCCESS 0x10 /* QEMU exits (0x10 << 1) | 1 = 33 */
#define DEBUG_EXIT_FAILURE 0x11 /* QEMU exits 35 */

void power_off(bool success)
{
	outl(DEBUG_EXIT_PORT, success ? DEBUG_EXIT_SUCCESS : DEBUG_EXIT_FAILURE);
	kprintf("power: halted (%s); it is safe to turn the machine off\n",
		success ? "success" : "failure");
	halt_forever();
}
