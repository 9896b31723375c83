/* The local APIC: interrupt acknowledgement and the per-CPU timer. */
#ifndef ARCH_X86_64_LAPIC_H
#define ARCH_X86_64_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/addr.h"

/*
 * Enables this CPU's local APIC: x2APIC mode when the CPU has it, else the
 * xAPIC registers at pa (mapped uncached). Spurious and error vectors set,
 * timer and LINT0 masked, LINT1 as NMI. EOIs go to it from now on.
 */
void lapic_init(paddr_t pa);

uint32_t lapic_id(void);

/* Lets the legacy PIC deliver through LINT0 (virtual wire), when there
 * is no IOAPIC. */
void lapic_lint0_extint(void);
void lapic_eoi(void);

/*
 * Measures the timer's input clock (divider 1) against PIT channel 2 over
 * `window_ms`, together with the TSC. Returns the timer base in Hz, or 0
 * if the timer did not count plausibly (the caller falls back to the PIT).
 * tsc_hz receives the TSC frequency over the same window.
 */
uint64_t lapic_timer_measure(unsigned window_ms, uint64_t *tsc_hz);

/* Timer modes, all raising `vector`. */
void lapic_timer_oneshot(uint8_t vector, uint32_t count);   /* divider 1 */
void lapic_timer_periodic(uint8_t vector, uint32_t count);
void lapic_timer_deadline(uint8_t vector, uint64_t tsc);    /* TSC-deadline mode */
void lapic_timer_stop(void);

#endif
