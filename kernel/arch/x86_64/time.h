/* Boot-time clock: the TSC, calibrated against the PIT. */
#ifndef ARCH_X86_64_TIME_H
#define ARCH_X86_64_TIME_H

#include <stdint.h>

/*
 * Measures the TSC frequency against PIT channel 2 over a 50 ms window.
 * `zero_tsc` is the TSC value that counts as time 0 (the loader's hand-off).
 * If the PIT never finishes the window, the clock reads 0 and a warning says so.
 */
void time_init(uint64_t zero_tsc);

/* Nanoseconds since time 0; 0 before time_init. */
uint64_t time_since_boot_ns(void);

/* TSC cycles as nanoseconds (0 before calibration). */
uint64_t time_tsc_to_ns(uint64_t cycles);

/* The measured TSC frequency in Hz, 0 if unknown. */
uint64_t time_tsc_hz(void);

#endif
