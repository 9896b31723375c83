/* Time events: the calibrated LAPIC timer (or the PIT), sleeps, deadlines. */
#ifndef SCHED_TIMER_H
#define SCHED_TIMER_H

#include <stdint.h>

struct thread;

/*
 * Calibrates the local APIC timer against the PIT (logging
 * "timer: lapic base <hz> Hz, tsc <hz> Hz (calibrated against PIT)"),
 * and picks the event source: TSC-deadline, else LAPIC one-shot, else the
 * PIT on IRQ 0 when the LAPIC timer does not count plausibly.
 */
void timer_init(void);

/* Sleeps the calling thread until time_since_boot_ns() >= deadline_ns. */
void timer_sleep_until(uint64_t deadline_ns);
void timer_sleep_ns(uint64_t ns);

/* Puts a thread on / takes it off the sleep heap (wait.c's timeouts). */
void timer_add_sleeper(struct thread *t, uint64_t deadline_ns);
void timer_remove_sleeper(struct thread *t);

/* Re-programs the event source for the next deadline (earliest sleeper,
 * or the end of the running thread's slice when others wait). With
 * nothing to wait for, the timer stays off: the system is tickless. */
void timer_rearm(void);

/* The measured LAPIC timer base frequency (Hz), 0 if unused. */
uint64_t timer_lapic_hz(void);

/* Timer interrupts taken since boot. */
uint64_t timer_interrupts(void);

#endif
