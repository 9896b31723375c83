/* The wall clock: the CMOS real-time clock read once at boot, then the monotonic clock. */
#ifndef DEV_RTC_H
#define DEV_RTC_H

#include <stdbool.h>
#include <stdint.h>

#include "fs/vfs.h" /* struct vtime */

/* What the clock starts at when the RTC is absent or says nonsense: 2000-01-01 00:00:00 UTC. */
#define RTC_FALLBACK_EPOCH 946684800

/*
 * Reads the CMOS RTC (taken to be UTC, as Linux and UEFI machines keep it
 * under a Unix-like OS) and records the wall-clock time of boot. Needs
 * time_init() and interrupts_init() (the FADT's century register and its
 * "no CMOS RTC" flag). Readings that are not plausible (see rtc_plausible)
 * are logged and the clock starts at RTC_FALLBACK_EPOCH. Logs the date.
 */
void rtc_init(void);

/* The wall-clock time now: the boot epoch + time_since_boot_ns(). Before
 * rtc_init() the boot epoch is RTC_FALLBACK_EPOCH. */
struct vtime rtc_now(void);

/* Seconds since the Unix epoch at time 0 of time_since_boot_ns(). */
int64_t rtc_boot_epoch(void);

/*
 * Seconds since 1970-01-01 00:00:00 UTC of a proleptic Gregorian date and
 * time (year: full year, mon 1-12, day 1-31, hour 0-23, min and sec 0-59).
 * Pure; fields are not checked (use rtc_plausible), but out-of-range
 * hours, minutes and seconds simply carry into the next unit.
 */
int64_t rtc_to_epoch(unsigned year, unsigned mon, unsigned day, unsigned hour, unsigned min,
		     unsigned sec);

/* True if the reading is a real calendar date and time with a year in
 * 2000-2199 (what a CMOS RTC can hold, century included, on a machine
 * built this century). */
bool rtc_plausible(unsigned year, unsigned mon, unsigned day, unsigned hour, unsigned min,
		   unsigned sec);

#endif
