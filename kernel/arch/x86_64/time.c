/* Boot-time clock: the TSC, calibrated against the PIT. */
#include <stdbool.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/pit.h"
#include "arch/x86_64/time.h"
#include "lib/median.h"
#include "log.h"

/*
 * Five windows of 2 ms and their median: an interrupted window (an SMI on
 * a PC, the host descheduling QEMU) is an outlier the median drops, and
 * the PIT's tick (838 ns) is 0.04% of a window. 10 ms of boot instead of
 * the 50 ms one long window took.
 */
#define CALIBRATE_WINDOWS 5
#define CALIBRATE_US    2000
#define CALIBRATE_TICKS (PIT_HZ / (1000000 / CALIBRATE_US))
#define CALIBRATE_GIVE_UP_TSC (1ull << 36) /* ~20 s even at 3 GHz */

static uint64_t tsc_zero, tsc_hz;
static uint64_t ns_mult; /* ns = (delta * ns_mult) >> 32 */

/* Counts TSC cycles over CALIBRATE_TICKS of the PIT; 0 if it never ends. */
static uint64_t measure_window(void)
{
	uint64_t t0, t;

	pit_ch2_start(CALIBRATE_TICKS);
	t0 = rdtsc();
	do {
		t = rdtsc();
		if (t - t0 > CALIBRATE_GIVE_UP_TSC)
			return 0;
	} while (!pit_ch2_done());
	return t - t0;
}

void time_init(uint64_t zero_tsc)
{
	uint64_t cycles[CALIBRATE_WINDOWS];

	tsc_zero = zero_tsc;
	for (int i = 0; i < CALIBRATE_WINDOWS; i++) {
		cycles[i] = measure_window();
		if (cycles[i] == 0) {
			log_warn("time", "PIT channel 2 did not count: no timestamps");
			return;
		}
	}
	tsc_hz = median_u64(cycles, CALIBRATE_WINDOWS) * (1000000 / CALIBRATE_US);
	ns_mult = (1000000000ull << 32) / tsc_hz;
	log_info("time", "tsc %lu Hz (the median of %d windows of %d us against the PIT)",
		 (unsigned long)tsc_hz, CALIBRATE_WINDOWS, CALIBRATE_US);
}

uint64_t time_tsc_to_ns(uint64_t cycles)
{
	return (uint64_t)(((unsigned __int128)cycles * ns_mult) >> 32);
}

uint64_t time_since_boot_ns(void)
{
	return time_tsc_to_ns(rdtsc() - tsc_zero);
}

uint64_t time_tsc_hz(void)
{
	return tsc_hz;
}
