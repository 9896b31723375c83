/* The wall clock: the CMOS RTC read once at boot, carried forward by the TSC clock. */
#include "dev/rtc.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/time.h"
#include "dev/acpi.h"
#include "dev/interrupts.h"
#include "log.h"
#include "sched/spinlock.h"

#define CMOS_INDEX 0x70 /* bit 7 would mask NMIs: we leave it clear */
#define CMOS_DATA  0x71

#define RTC_SECONDS  0x00
#define RTC_MINUTES  0x02
#define RTC_HOURS    0x04
#define RTC_DAY      0x07
#define RTC_MONTH    0x08
#define RTC_YEAR     0x09
#define RTC_STATUS_A 0x0a
#define RTC_STATUS_B 0x0b
#define RTC_A_UIP    0x80 /* an update is in progress: the time registers are changing */
#define RTC_B_24H    0x02 /* hours count 0-23; else 1-12 with bit 7 meaning PM */
#define RTC_B_BINARY 0x04 /* binary values; else BCD */
#define RTC_HOUR_PM  0x80

#define UIP_WAIT_LIMIT 1000000 /* polls of status A: well over a second */
#define READ_ATTEMPTS  10      /* pairs of readings that must agree */
#define NS_PER_SEC     1000000000ll

static const unsigned month_days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

/* Protects the CMOS index/data port pair. */
static struct spinlock cmos_lock = SPINLOCK_INIT("cmos");

/* Wall-clock nanoseconds at time 0 of time_since_boot_ns(); written once by
 * rtc_init(), read with atomic loads. Good until the year 2262. */
static int64_t boot_epoch_ns = RTC_FALLBACK_EPOCH * NS_PER_SEC;

/* Floor division for the calendar arithmetic (years before 1970 are negative). */
static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static bool is_leap(int64_t year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

/* Leap years in [1, year): the Gregorian rule projected backwards. */
static int64_t leaps_before(int64_t year)
{
	int64_t y = year - 1;

	return floor_div(y, 4) - floor_div(y, 100) + floor_div(y, 400);
}

int64_t rtc_to_epoch(unsigned year, unsigned mon, unsigned day, unsigned hour, unsigned min,
		     unsigned sec)
{
	/* Months outside 1-12 carry into the year, so the table index is safe. */
	int64_t m0 = (int64_t)mon - 1;
	int64_t y = (int64_t)year + floor_div(m0, 12);
	unsigned m = (unsigned)(m0 - floor_div(m0, 12) * 12);
	int64_t days = 365 * (y - 1970) + leaps_before(y) - leaps_before(1970);

	for (unsigned i = 0; i < m; i++)
		days += month_days[i];
	if (m >= 2 && is_leap(y))
		days++;
	days += (int64_t)day - 1;
	return ((days * 24 + hour) * 60 + min) * 60 + sec;
}

bool rtc_plausible(unsigned year, unsigned mon, unsigned day, unsigned hour, unsigned min,
		   unsigned sec)
{
	unsigned last_day;

	if (year < 2000 || year > 2199 || mon < 1 || mon > 12)
		return false;
	last_day = month_days[mon - 1] + (mon == 2 && is_leap(year));
	return day >= 1 && day <= last_day && hour <= 23 && min <= 59 && sec <= 59;
}

static uint8_t cmos_read(uint8_t reg)
{
	uint8_t v;

	spin_lock(&cmos_lock);
	outb(CMOS_INDEX, reg);
	v = inb(CMOS_DATA);
	spin_unlock(&cmos_lock);
	return v;
}

/* The raw registers of one reading. */
struct rtc_raw {
	uint8_t sec, min, hour, day, mon, year, century;
};

/* Waits until no update is in progress; false if the RTC never settles. */
static bool wait_update_done(void)
{
	for (int i = 0; i < UIP_WAIT_LIMIT; i++) {
		if (!(cmos_read(RTC_STATUS_A) & RTC_A_UIP))
			return true;
		cpu_relax();
	}
	return false;
}

static bool read_once(struct rtc_raw *r, uint8_t century_reg)
{
	if (!wait_update_done())
		return false;
	r->sec = cmos_read(RTC_SECONDS);
	r->min = cmos_read(RTC_MINUTES);
	r->hour = cmos_read(RTC_HOURS);
	r->day = cmos_read(RTC_DAY);
	r->mon = cmos_read(RTC_MONTH);
	r->year = cmos_read(RTC_YEAR);
	r->century = century_reg ? cmos_read(century_reg) : 0;
	return true;
}

/* Reads until two readings in a row agree (an update may land between
 * registers even after UIP was clear). Returns false if they never do. */
static bool read_stable(struct rtc_raw *out, uint8_t century_reg)
{
	struct rtc_raw a, b;

	if (!read_once(&a, century_reg))
		return false;
	for (int i = 0; i < READ_ATTEMPTS; i++) {
		if (!read_once(&b, century_reg))
			return false;
		if (a.sec == b.sec && a.min == b.min && a.hour == b.hour && a.day == b.day &&
		    a.mon == b.mon && a.year == b.year && a.century == b.century) {
			*out = b;
			return true;
		}
		a = b;
	}
	return false;
}

/* A register value in the RTC's encoding; 0xff (never plausible) for bad BCD. */
static unsigned decode(uint8_t v, bool binary)
{
	if (binary)
		return v;
	if ((v & 0x0f) > 9 || (v >> 4) > 9)
		return 0xff;
	return (v >> 4) * 10u + (v & 0x0f);
}

/* The FADT's century register index, or 0 if it has none worth trusting. */
static uint8_t century_register(void)
{
	const struct acpi_info *acpi = interrupts_acpi();

	if (!acpi->present || !acpi->fadt_present || acpi->century == 0)
		return 0;
	if (acpi->century <= RTC_STATUS_B || acpi->century >= 0x80) {
		log_warn("rtc", "FADT century register %#x is not a CMOS data byte: ignored",
			 acpi->century);
		return 0;
	}
	return acpi->century;
}

/* Reads the RTC into seconds since the epoch; false (logged) if unusable. */
static bool read_epoch(int64_t *out)
{
	const struct acpi_info *acpi = interrupts_acpi();
	uint8_t century_reg = century_register(), status_b;
	unsigned year, mon, day, hour, min, sec, century;
	struct rtc_raw r;
	bool binary;

	if (acpi->present && acpi->fadt_present && (acpi->iapc_boot_arch & ACPI_BOOT_NO_CMOS_RTC)) {
		log_warn("rtc", "the FADT says there is no CMOS RTC");
		return false;
	}
	if (!read_stable(&r, century_reg)) {
		log_warn("rtc", "no stable reading (update always in progress or values changing)");
		return false;
	}
	status_b = cmos_read(RTC_STATUS_B);
	binary = status_b & RTC_B_BINARY;
	sec = decode(r.sec, binary);
	min = decode(r.min, binary);
	hour = decode(r.hour & ~RTC_HOUR_PM, binary);
	day = decode(r.day, binary);
	mon = decode(r.mon, binary);
	year = decode(r.year, binary);
	if (!(status_b & RTC_B_24H) && hour <= 12) {
		hour %= 12; /* 12 AM is 0, 12 PM is 12 */
		if (r.hour & RTC_HOUR_PM)
			hour += 12;
	}
	century = century_reg ? decode(r.century, binary) : 20;
	if (century == 0xff)
		century = 0;
	year += century * 100;
	if (!rtc_plausible(year, mon, day, hour, min, sec)) {
		log_warn("rtc", "implausible reading %04u-%02u-%02u %02u:%02u:%02u "
			 "(status B %#x, century register %#x)", year, mon, day, hour, min, sec,
			 status_b, century_reg);
		return false;
	}
	log_info("rtc", "%04u-%02u-%02u %02u:%02u:%02u UTC", year, mon, day, hour, min, sec);
	*out = rtc_to_epoch(year, mon, day, hour, min, sec);
	return true;
}

void rtc_init(void)
{
	int64_t epoch;

	if (!read_epoch(&epoch)) {
		epoch = RTC_FALLBACK_EPOCH;
		log_warn("rtc", "starting the clock at 2000-01-01 00:00:00 UTC");
	}
	__atomic_store_n(&boot_epoch_ns, epoch * NS_PER_SEC - (int64_t)time_since_boot_ns(),
			 __ATOMIC_RELEASE);
}

struct vtime rtc_now(void)
{
	int64_t ns = __atomic_load_n(&boot_epoch_ns, __ATOMIC_ACQUIRE) +
		     (int64_t)time_since_boot_ns();

	return (struct vtime){ .sec = floor_div(ns, NS_PER_SEC),
			       .nsec = (uint32_t)(ns - floor_div(ns, NS_PER_SEC) * NS_PER_SEC) };
}

int64_t rtc_boot_epoch(void)
{
	return floor_div(__atomic_load_n(&boot_epoch_ns, __ATOMIC_ACQUIRE), NS_PER_SEC);
}
