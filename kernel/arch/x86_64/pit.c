/* The 8254 PIT: a fixed 1.193182 MHz reference for calibration, and a fallback timer. */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/pit.h"

#define PIT_CH0_DATA  0x40
#define PIT_CH2_DATA  0x42
#define PIT_COMMAND   0x43
#define PIT_GATE_PORT 0x61 /* bit 0: gate 2, bit 1: speaker, bit 5: OUT2 */

void pit_ch2_start(uint16_t ticks)
{
	outb(PIT_GATE_PORT, (inb(PIT_GATE_PORT) & ~0x02) | 0x01);
	outb(PIT_COMMAND, 0xb0); /* channel 2, lo/hi byte, mode 0 */
	outb(PIT_CH2_DATA, ticks & 0xff);
	outb(PIT_CH2_DATA, ticks >> 8);
}

bool pit_ch2_done(void)
{
	return inb(PIT_GATE_PORT) & 0x20;
}

void pit_ch0_oneshot(uint16_t ticks)
{
	outb(PIT_COMMAND, 0x30); /* channel 0, lo/hi byte, mode 0 */
	outb(PIT_CH0_DATA, ticks & 0xff);
	outb(PIT_CH0_DATA, ticks >> 8);
}

void pit_ch0_periodic(uint16_t ticks)
{
	outb(PIT_COMMAND, 0x34); /* channel 0, lo/hi byte, mode 2 */
	outb(PIT_CH0_DATA, ticks & 0xff);
	outb(PIT_CH0_DATA, ticks >> 8);
}
