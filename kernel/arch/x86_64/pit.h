/* The 8254 PIT: a fixed 1.193182 MHz reference for calibration, and a fallback timer. */
#ifndef ARCH_X86_64_PIT_H
#define ARCH_X86_64_PIT_H

#include <stdbool.h>
#include <stdint.h>

#define PIT_HZ 1193182u

/* Starts channel 2 counting `ticks` (1..65535) down; its gate is on and
 * the speaker off. pit_ch2_done() turns true when the count ends. */
void pit_ch2_start(uint16_t ticks);
bool pit_ch2_done(void);

/* Channel 0 (ISA IRQ 0): one interrupt after `ticks` (mode 0), or one
 * every `ticks` (mode 2). */
void pit_ch0_oneshot(uint16_t ticks);
void pit_ch0_periodic(uint16_t ticks);

#endif
