/* RTC date conversion: known Unix times, leap years, 2038 and beyond, century ends; plausibility. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "arch/x86_64/time.h"
#include "dev/interrupts.h"
#include "dev/rtc.h"

/* rtc.c's hardware side is linked but not run: these satisfy it. */
static uint64_t fake_ns;
static struct acpi_info fake_acpi;

uint64_t time_since_boot_ns(void)
{
	return fake_ns;
}

const struct acpi_info *interrupts_acpi(void)
{
	return &fake_acpi;
}

struct known {
	unsigned y, mo, d, h, mi, s;
	int64_t epoch;
};

/* Expected values from Python's calendar.timegm. */
static const struct known known[] = {
	{ 1970, 1, 1, 0, 0, 0, 0 },
	{ 1969, 12, 31, 23, 59, 59, -1 },
	{ 1900, 3, 1, 0, 0, 0, -2203891200 },
	{ 2000, 1, 1, 0, 0, 0, 946684800 },           /* RTC_FALLBACK_EPOCH */
	{ 2000, 2, 29, 12, 34, 56, 951827696 },       /* 2000: divisible by 400, leap */
	{ 2000, 3, 1, 0, 0, 0, 951868800 },
	{ 2004, 2, 29, 23, 59, 59, 1078099199 },
	{ 2023, 11, 14, 22, 13, 20, 1700000000 },
	{ 2024, 1, 1, 0, 0, 0, 1704067200 },
	{ 2038, 1, 19, 3, 14, 7, 2147483647 },        /* the last 32-bit second */
	{ 2038, 1, 19, 3, 14, 8, 2147483648 },
	{ 2099, 12, 31, 23, 59, 59, 4102444799 },     /* end of the century */
	{ 2100, 1, 1, 0, 0, 0, 4102444800 },
	{ 2100, 2, 28, 0, 0, 0, 4107456000 },
	{ 2100, 3, 1, 0, 0, 0, 4107542400 },          /* 2100 is not a leap year */
	{ 2106, 2, 7, 6, 28, 16, 4294967296 },        /* past unsigned 32 bits */
	{ 2199, 12, 31, 23, 59, 59, 7258118399 },
	{ 2400, 2, 29, 0, 0, 0, 13574563200 },
};

static void test_known_dates(void **state)
{
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		const struct known *k = &known[i];

		assert_int_equal(rtc_to_epoch(k->y, k->mo, k->d, k->h, k->mi, k->s), k->epoch);
	}
}

/* Every day from 1970 to 2200 is exactly 86400 s after the one before. */
static void test_days_are_contiguous(void **state)
{
	static const unsigned mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int64_t expect = 0;

	for (unsigned y = 1970; y < 2200; y++) {
		bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

		for (unsigned m = 1; m <= 12; m++) {
			unsigned last = mdays[m - 1] + (m == 2 && leap);

			for (unsigned d = 1; d <= last; d++) {
				assert_int_equal(rtc_to_epoch(y, m, d, 0, 0, 0), expect);
				assert_true(rtc_plausible(y, m, d, 0, 0, 0) == (y >= 2000));
				expect += 86400;
			}
			assert_false(rtc_plausible(y, m, last + 1, 0, 0, 0));
		}
	}
}

/* Out-of-range fields carry instead of indexing outside tables. */
static void test_carries(void **state)
{
	assert_int_equal(rtc_to_epoch(2023, 13, 1, 0, 0, 0), rtc_to_epoch(2024, 1, 1, 0, 0, 0));
	assert_int_equal(rtc_to_epoch(2024, 0, 1, 0, 0, 0), rtc_to_epoch(2023, 12, 1, 0, 0, 0));
	assert_int_equal(rtc_to_epoch(2024, 1, 1, 24, 0, 0), rtc_to_epoch(2024, 1, 2, 0, 0, 0));
	assert_int_equal(rtc_to_epoch(2024, 1, 1, 0, 0, 60), rtc_to_epoch(2024, 1, 1, 0, 1, 0));
	assert_int_equal(rtc_to_epoch(2024, 1, 32, 0, 0, 0), rtc_to_epoch(2024, 2, 1, 0, 0, 0));
	assert_int_equal(rtc_to_epoch(2024, 255, 1, 0, 0, 0), rtc_to_epoch(2045, 3, 1, 0, 0, 0));
}

static void test_plausible(void **state)
{
	assert_true(rtc_plausible(2000, 1, 1, 0, 0, 0));
	assert_true(rtc_plausible(2024, 2, 29, 23, 59, 59));
	assert_true(rtc_plausible(2199, 12, 31, 23, 59, 59));
	assert_false(rtc_plausible(1999, 12, 31, 23, 59, 59)); /* year < 2000 */
	assert_false(rtc_plausible(2200, 1, 1, 0, 0, 0));
	assert_false(rtc_plausible(2024, 0, 1, 0, 0, 0));      /* month 0 */
	assert_false(rtc_plausible(2024, 13, 1, 0, 0, 0));
	assert_false(rtc_plausible(2024, 1, 0, 0, 0, 0));      /* day 0 */
	assert_false(rtc_plausible(2023, 2, 29, 0, 0, 0));
	assert_false(rtc_plausible(2100, 2, 29, 0, 0, 0));
	assert_false(rtc_plausible(2024, 4, 31, 0, 0, 0));
	assert_false(rtc_plausible(2024, 1, 1, 24, 0, 0));
	assert_false(rtc_plausible(2024, 1, 1, 0, 60, 0));
	assert_false(rtc_plausible(2024, 1, 1, 0, 0, 60));
	assert_false(rtc_plausible(2165, 0xff, 0xff, 0xff, 0xff, 0xff)); /* bad BCD decodes to 0xff */
}

/* rtc_now before rtc_init: the fallback epoch plus the monotonic clock. */
static void test_now_before_init(void **state)
{
	struct vtime t;

	fake_ns = 1500000000ull;
	t = rtc_now();
	assert_int_equal(t.sec, RTC_FALLBACK_EPOCH + 1);
	assert_int_equal(t.nsec, 500000000);
	assert_int_equal(rtc_boot_epoch(), RTC_FALLBACK_EPOCH);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_dates),
		cmocka_unit_test(test_days_are_contiguous),
		cmocka_unit_test(test_carries),
		cmocka_unit_test(test_plausible),
		cmocka_unit_test(test_now_before_init),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
