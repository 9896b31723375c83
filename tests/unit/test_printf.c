/* Host unit tests for the kernel printf, checked byte-for-byte against the host's snprintf. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kernel/lib/printf.h"

/* The tables below pass formats as variables; both sides see the same ones. */
#pragma clang diagnostic ignored "-Wformat-nonliteral"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Formats the same arguments with the host snprintf and ksnprintf and fails
 * unless the return values and the bytes written (NUL included) match. The
 * kernel buffer starts as garbage so a missing NUL shows.
 */
#define CHECK_SAME(...)                                                      \
	do {                                                                 \
		char want_[512], got_[512];                                  \
		memset(got_, 'X', sizeof(got_));                             \
		int want_n_ = snprintf(want_, sizeof(want_), __VA_ARGS__);   \
		int got_n_ = ksnprintf(got_, sizeof(got_), __VA_ARGS__);     \
		if (want_n_ != got_n_ ||                                     \
		    memcmp(want_, got_, (size_t)want_n_ + 1) != 0)           \
			fail_msg("%s:%d: want [%s] (%d), got [%s] (%d)",      \
				 __FILE__, __LINE__, want_, want_n_, got_,    \
				 got_n_);                                     \
	} while (0)

/* Formats taking one int. */
static const char *const int_formats[] = {
	"%d", "%i", "%5d", "%-5d", "%05d", "%+d", "% d", "%+05d", "% 05d",
	"%.3d", "%8.3d", "%-8.3d", "%08.3d", "%.0d", "%+.0d", "% .0d", "%3.0d",
	"%-+8d", "%0-6d", "%+ d", "%u", "%5u", "%+u", "% u", "%.0u", "%x",
	"%X", "%o", "%#x", "%#X", "%#o", "%#8x", "%#08x", "%-#8x", "%#.5x",
	"%#.0x", "%#.0o", "%.0x", "%.0o", "%08X", "%#5o", "%#05o", "%#.4o",
	"%hhd", "%hd", "%hhu", "%hu", "%hhx", "%hx", "%hho", "%#hhX",
	"[%12.10o]", "%1d", "%2i", "<%d>",
};

static const int int_values[] = {
	0, 1, -1, 7, 8, 9, 10, 42, -42, 127, 128, -128, 255, 256, 4095,
	65535, 65536, -32768, 0x12345678, INT_MAX, INT_MIN, INT_MIN + 1,
};

/* Formats taking one 64-bit integer (l, ll, j, z, t all are on x86_64). */
static const char *const wide_formats[] = {
	"%ld", "%lld", "%jd", "%zd", "%td", "%li", "%lu", "%llu", "%ju",
	"%zu", "%tu", "%lx", "%llX", "%jx", "%zx", "%tx", "%lo", "%llo",
	"%#lx", "%#llo", "%+lld", "% ld", "%25lld", "%-25lld|", "%025lld",
	"%.20lld", "%30.22llo", "%#024llx", "%-#24llX|", "%.0ld", "%+.0lld",
};

static const long long wide_values[] = {
	0, 1, -1, 42, -42, INT_MAX, INT_MIN, (long long)INT_MAX + 1,
	(long long)INT_MIN - 1, 0x123456789abcdef0LL, 1000000000000LL,
	INT64_MAX, INT64_MIN, INT64_MIN + 1, (long long)UINT32_MAX,
};

/* Formats taking one string. */
static const char *const string_formats[] = {
	"%s", "%10s", "%-10s", "%.3s", "%10.3s", "%-10.3s|", "%.0s", "%.20s",
	"%1s", "%.1s", "%40s", "%-40s|", "[%s]", "%s%s",
};

static const char *const string_values[] = {
	"", "a", "hello", "hello world, a longer string", "%d not a format",
};

/* Formats taking one char. */
static const char *const char_formats[] = {
	"%c", "%5c", "%-5c|", "%1c", "[%c]", "%c%c",
};

static const int char_values[] = { 'a', 'Z', ' ', '%', '~', 0x7f, 0x80, 0xff };

static void test_int_table(void **state)
{
	(void)state;
	for (size_t f = 0; f < ARRAY_LEN(int_formats); f++)
		for (size_t v = 0; v < ARRAY_LEN(int_values); v++)
			CHECK_SAME(int_formats[f], int_values[v]);
}

static void test_wide_table(void **state)
{
	(void)state;
	for (size_t f = 0; f < ARRAY_LEN(wide_formats); f++)
		for (size_t v = 0; v < ARRAY_LEN(wide_values); v++)
			CHECK_SAME(wide_formats[f], wide_values[v]);
}

static void test_string_table(void **state)
{
	(void)state;
	for (size_t f = 0; f < ARRAY_LEN(string_formats); f++)
		for (size_t v = 0; v < ARRAY_LEN(string_values); v++)
			CHECK_SAME(string_formats[f], string_values[v],
				   string_values[v]);
}

static void test_char_table(void **state)
{
	(void)state;
	for (size_t f = 0; f < ARRAY_LEN(char_formats); f++)
		for (size_t v = 0; v < ARRAY_LEN(char_values); v++)
			CHECK_SAME(char_formats[f], char_values[v],
				   char_values[v]);
}

static void test_literal_only(void **state)
{
	(void)state;
	CHECK_SAME("%s", "");
	CHECK_SAME("plain text, no conversions");
	CHECK_SAME("100%% sure, %%%% twice");
}

static void test_mixed_arguments(void **state)
{
	(void)state;
	CHECK_SAME("%s=%d (%#x) %c %lu%%", "count", 42, 42U, 'k', 7UL);
	CHECK_SAME("%d %ld %lld %hhd %hd %zu", 1, 2L, 3LL, (signed char)4,
		   (short)5, (size_t)6);
	CHECK_SAME("[%5s|%-5d|%05x]", "ab", -3, 0xbeefU);
}

static void test_int64_min(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(ksnprintf(buf, sizeof(buf), "%lld", (long long)INT64_MIN), 20);
	assert_string_equal(buf, "-9223372036854775808");
	ksnprintf(buf, sizeof(buf), "%jd", INTMAX_MIN);
	assert_string_equal(buf, "-9223372036854775808");
	CHECK_SAME("%lld %llu %llx", (long long)INT64_MIN, (unsigned long long)INT64_MIN,
		   (unsigned long long)INT64_MIN);
}

static void test_unsigned_extremes(void **state)
{
	(void)state;
	CHECK_SAME("%u %x %o", UINT_MAX, UINT_MAX, UINT_MAX);
	CHECK_SAME("%llu %llx %llo %#llo", ULLONG_MAX, ULLONG_MAX, ULLONG_MAX,
		   ULLONG_MAX);
	CHECK_SAME("%zu %zx", SIZE_MAX, SIZE_MAX);
	CHECK_SAME("%ju", UINTMAX_MAX);
	CHECK_SAME("%hhu %hu", (unsigned char)255, (unsigned short)65535);
}

static void test_length_truncation(void **state)
{
	(void)state;
	/* hh and h must narrow an int argument that does not fit. */
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wformat"
	CHECK_SAME("%hhd %hhu %hhx", 300, 300, 300);
	CHECK_SAME("%hd %hu %hx", 70000, 70000, 70000);
	CHECK_SAME("%hhd %hd", -129, -32769);
#pragma clang diagnostic pop
}

static void test_alt_zero(void **state)
{
	char buf[16];

	(void)state;
	ksnprintf(buf, sizeof(buf), "%#x", 0U);
	assert_string_equal(buf, "0");
	ksnprintf(buf, sizeof(buf), "%#o", 0U);
	assert_string_equal(buf, "0");
	ksnprintf(buf, sizeof(buf), "%#o", 8U);
	assert_string_equal(buf, "010");
	ksnprintf(buf, sizeof(buf), "%#.0o", 0U);
	assert_string_equal(buf, "0");
	CHECK_SAME("%#x %#X %#o %#.0x|", 0U, 0U, 0U, 0U);
}

static void test_star_width(void **state)
{
	(void)state;
	CHECK_SAME("%*d|", 6, 42);
	CHECK_SAME("%*d|", -6, 42);
	CHECK_SAME("%*d|", 0, 42);
	CHECK_SAME("%-*d|", -6, 42);
	CHECK_SAME("%0*d|", 6, -42);
	CHECK_SAME("%*s|", 8, "abc");
	CHECK_SAME("%*s|", -8, "abc");
	CHECK_SAME("%*c|", 3, 'x');
}

static void test_star_precision(void **state)
{
	(void)state;
	CHECK_SAME("%.*d|", 5, 42);
	CHECK_SAME("%.*d|", 0, 0);
	CHECK_SAME("%.*d|", -1, 0);
	CHECK_SAME("%08.*d|", -1, 42);
	CHECK_SAME("%.*s|", 2, "abcdef");
	CHECK_SAME("%.*s|", -1, "abcdef");
	CHECK_SAME("%*.*s|", 6, 2, "abcdef");
	CHECK_SAME("%*.*x|", -9, 4, 0xabU);
}

static void test_wide_padding(void **state)
{
	(void)state;
	/* Wider than the formatter's internal padding run. */
	CHECK_SAME("%300d|", 7);
	CHECK_SAME("%-300s|", "left");
	CHECK_SAME("%0200x", 0xabcU);
	CHECK_SAME("%.250d", -1);
}

static void test_string_precision_stops_reading(void **state)
{
	char raw[3] = { 'a', 'b', 'c' };	/* no NUL on purpose */
	char buf[16];

	(void)state;
	assert_int_equal(ksnprintf(buf, sizeof(buf), "%.3s", raw), 3);
	assert_string_equal(buf, "abc");
	assert_int_equal(ksnprintf(buf, sizeof(buf), "%.2s|", raw), 3);
	assert_string_equal(buf, "ab|");
}

static void test_null_string(void **state)
{
	char buf[32];
	const char *null_str = NULL;

	(void)state;
	assert_int_equal(ksnprintf(buf, sizeof(buf), "%s", null_str), 6);
	assert_string_equal(buf, "(null)");
	ksnprintf(buf, sizeof(buf), "[%10s]", null_str);
	assert_string_equal(buf, "[    (null)]");
	ksnprintf(buf, sizeof(buf), "[%-8s]", null_str);
	assert_string_equal(buf, "[(null)  ]");
}

static void test_pointer(void **state)
{
	int x;
	char buf[64];

	(void)state;
	CHECK_SAME("%p", (void *)&x);
	CHECK_SAME("%p", (void *)0x1);
	CHECK_SAME("%p", (void *)0xdeadbeef);
	CHECK_SAME("%p", (void *)UINTPTR_MAX);
	CHECK_SAME("[%20p]", (void *)0xabc);
	CHECK_SAME("[%-20p]", (void *)0xabc);
	ksnprintf(buf, sizeof(buf), "%p", (void *)0xffffffff80001000);
	assert_string_equal(buf, "0xffffffff80001000");
	ksnprintf(buf, sizeof(buf), "%p", (void *)0x10);
	assert_string_equal(buf, "0x10");
}

static void test_null_pointer(void **state)
{
	char buf[32];

	(void)state;
	assert_int_equal(ksnprintf(buf, sizeof(buf), "%p", NULL), 5);
	assert_string_equal(buf, "(nil)");
	ksnprintf(buf, sizeof(buf), "[%8p]", NULL);
	assert_string_equal(buf, "[   (nil)]");
	CHECK_SAME("%p", NULL);
	CHECK_SAME("[%8p|%-8p]", NULL, NULL);
}

static void test_size_zero(void **state)
{
	char buf[4] = { 'Q', 'Q', 'Q', 'Q' };

	(void)state;
	assert_int_equal(ksnprintf(buf, 0, "hello %d", 42), 8);
	assert_memory_equal(buf, "QQQQ", 4);
	assert_int_equal(ksnprintf(NULL, 0, "hello %s", "world"), 11);
}

static void test_size_one(void **state)
{
	char buf[4] = { 'Q', 'Q', 'Q', 'Q' };

	(void)state;
	assert_int_equal(ksnprintf(buf, 1, "hello"), 5);
	assert_int_equal(buf[0], '\0');
	assert_int_equal(buf[1], 'Q');
}

static void test_exact_fit(void **state)
{
	char buf[8];

	(void)state;
	memset(buf, 'Q', sizeof(buf));
	assert_int_equal(ksnprintf(buf, 6, "%s", "hello"), 5);
	assert_string_equal(buf, "hello");
	assert_int_equal(buf[6], 'Q');
}

static void test_one_short(void **state)
{
	char buf[8];

	(void)state;
	memset(buf, 'Q', sizeof(buf));
	assert_int_equal(ksnprintf(buf, 5, "%s", "hello"), 5);
	assert_string_equal(buf, "hell");
	assert_int_equal(buf[5], 'Q');
}

static void test_truncation_matches_host(void **state)
{
	const char *fmt = "%s-%05d-%#x-%-6s|";
	char want[64], got[64];

	(void)state;
	for (size_t size = 0; size <= 40; size++) {
		memset(want, 'Q', sizeof(want));
		memset(got, 'Q', sizeof(got));
		int want_n = snprintf(want, size, fmt, "abc", -12, 255U, "de");
		int got_n = ksnprintf(got, size, fmt, "abc", -12, 255U, "de");
		assert_int_equal(got_n, want_n);
		assert_memory_equal(got, want, sizeof(want));
	}
}

static void test_truncation_inside_padding(void **state)
{
	char buf[8];

	(void)state;
	assert_int_equal(ksnprintf(buf, sizeof(buf), "%100d", 5), 100);
	assert_string_equal(buf, "       ");
	assert_int_equal(ksnprintf(buf, sizeof(buf), "%-100d", 5), 100);
	assert_string_equal(buf, "5      ");
}

/* Wraps kvsnprintf so the va_list path is tested on its own. */
static int call_kvsnprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int call_kvsnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

static void test_kvsnprintf(void **state)
{
	char buf[32];

	(void)state;
	assert_int_equal(call_kvsnprintf(buf, sizeof(buf), "%s:%d", "x", 9), 3);
	assert_string_equal(buf, "x:9");
	assert_int_equal(call_kvsnprintf(buf, 3, "%d", 123456), 6);
	assert_string_equal(buf, "12");
}

/* A sink that records every chunk it receives, in order. */
struct recorder {
	char text[1024];
	size_t len;
	size_t chunks;
	size_t chunk_len[64];
};

static void recorder_sink(void *ctx, const char *s, size_t len)
{
	struct recorder *r = ctx;

	assert_true(len > 0);
	assert_true(r->len + len < sizeof(r->text));
	memcpy(r->text + r->len, s, len);
	r->len += len;
	r->text[r->len] = '\0';
	if (r->chunks < ARRAY_LEN(r->chunk_len))
		r->chunk_len[r->chunks] = len;
	r->chunks++;
}

static int record(struct recorder *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int record(struct recorder *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	memset(r, 0, sizeof(*r));
	va_start(ap, fmt);
	n = kvformat(recorder_sink, r, fmt, ap);
	va_end(ap);
	return n;
}

static void test_sink_literal_is_one_chunk(void **state)
{
	struct recorder r;

	(void)state;
	assert_int_equal(record(&r, "a literal run of text"), 21);
	assert_int_equal(r.chunks, 1);
	assert_string_equal(r.text, "a literal run of text");
}

static void test_sink_chunks_around_conversions(void **state)
{
	struct recorder r;

	(void)state;
	assert_int_equal(record(&r, "abc%ddef%sxyz", 12345, "str"), 17);
	assert_string_equal(r.text, "abc12345defstrxyz");
	assert_int_equal(r.chunks, 5);
	assert_int_equal(r.chunk_len[0], 3);
	assert_int_equal(r.chunk_len[1], 5);
	assert_int_equal(r.chunk_len[2], 3);
	assert_int_equal(r.chunk_len[3], 3);
	assert_int_equal(r.chunk_len[4], 3);
}

static void test_sink_padding_chunks(void **state)
{
	struct recorder r;

	(void)state;
	assert_int_equal(record(&r, "%100d", -7), 100);
	assert_int_equal(r.len, 100);
	assert_true(r.chunks <= 8);
	assert_string_equal(r.text + 98, "-7");
}

static void test_sink_return_matches_total(void **state)
{
	struct recorder r;
	size_t sum = 0;

	(void)state;
	int n = record(&r, "%s %5d %-#10x %c %%", "x", 3, 0x1fU, 'q');
	for (size_t i = 0; i < r.chunks; i++)
		sum += r.chunk_len[i];
	assert_int_equal(n, (int)sum);
	assert_int_equal(n, (int)strlen(r.text));
}

static void test_sink_empty_format(void **state)
{
	struct recorder r;

	(void)state;
	assert_int_equal(record(&r, "%s", ""), 0);
	assert_int_equal(r.chunks, 0);
}

/* Deliberately malformed formats from here on. */
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wformat"
#pragma clang diagnostic ignored "-Wformat-invalid-specifier"
#pragma clang diagnostic ignored "-Wformat-extra-args"

static void test_unknown_conversion(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(ksnprintf(buf, sizeof(buf), "%q"), 2);
	assert_string_equal(buf, "%q");
	assert_int_equal(ksnprintf(buf, sizeof(buf), "a%5qb"), 5);
	assert_string_equal(buf, "a%5qb");
	ksnprintf(buf, sizeof(buf), "%-08.3lq|");
	assert_string_equal(buf, "%-08.3lq|");
}

static void test_unknown_conversion_keeps_arguments(void **state)
{
	char buf[64];

	(void)state;
	/* The unknown conversion consumes nothing, so 42 goes to the %d. */
	ksnprintf(buf, sizeof(buf), "%y %d %w", 42);
	assert_string_equal(buf, "%y 42 %w");
}

static void test_percent_n_is_not_supported(void **state)
{
	char buf[32];
	int written = -1;

	(void)state;
	ksnprintf(buf, sizeof(buf), "ab%ncd", &written);
	assert_string_equal(buf, "ab%ncd");
	assert_int_equal(written, -1);
}

static void test_float_is_not_supported(void **state)
{
	char buf[32];

	(void)state;
	ksnprintf(buf, sizeof(buf), "%f|%d", 7);
	assert_string_equal(buf, "%f|7");
}

/* Formats the heap copy of fmt so ASan catches any read past its NUL. */
static void check_exact_format(const char *fmt, const char *want)
{
	size_t len = strlen(fmt) + 1;
	char *copy = malloc(len);
	char buf[32];

	assert_non_null(copy);
	memcpy(copy, fmt, len);
	assert_int_equal(ksnprintf(buf, sizeof(buf), copy, 1, 2), (int)strlen(want));
	assert_string_equal(buf, want);
	free(copy);
}

static void test_format_ends_inside_conversion(void **state)
{
	(void)state;
	check_exact_format("%", "%");
	check_exact_format("abc%", "abc%");
	check_exact_format("x%-", "x%-");
	check_exact_format("%08", "%08");
	check_exact_format("%.", "%.");
	check_exact_format("%5.3", "%5.3");
	check_exact_format("%l", "%l");
	check_exact_format("%ll", "%ll");
	check_exact_format("%h", "%h");
	check_exact_format("%hh", "%hh");
	check_exact_format("%d%", "1%");
}

#pragma clang diagnostic pop

static void test_huge_width_saturates(void **state)
{
	char buf[8];

	(void)state;
	/* Digits beyond int range must not overflow; only the prefix is kept. */
	assert_int_equal(ksnprintf(buf, sizeof(buf), "%.99999999999999999999d|", 0) > 0, 1);
	assert_string_equal(buf, "0000000");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_int_table),
		cmocka_unit_test(test_wide_table),
		cmocka_unit_test(test_string_table),
		cmocka_unit_test(test_char_table),
		cmocka_unit_test(test_literal_only),
		cmocka_unit_test(test_mixed_arguments),
		cmocka_unit_test(test_int64_min),
		cmocka_unit_test(test_unsigned_extremes),
		cmocka_unit_test(test_length_truncation),
		cmocka_unit_test(test_alt_zero),
		cmocka_unit_test(test_star_width),
		cmocka_unit_test(test_star_precision),
		cmocka_unit_test(test_wide_padding),
		cmocka_unit_test(test_string_precision_stops_reading),
		cmocka_unit_test(test_null_string),
		cmocka_unit_test(test_pointer),
		cmocka_unit_test(test_null_pointer),
		cmocka_unit_test(test_size_zero),
		cmocka_unit_test(test_size_one),
		cmocka_unit_test(test_exact_fit),
		cmocka_unit_test(test_one_short),
		cmocka_unit_test(test_truncation_matches_host),
		cmocka_unit_test(test_truncation_inside_padding),
		cmocka_unit_test(test_kvsnprintf),
		cmocka_unit_test(test_sink_literal_is_one_chunk),
		cmocka_unit_test(test_sink_chunks_around_conversions),
		cmocka_unit_test(test_sink_padding_chunks),
		cmocka_unit_test(test_sink_return_matches_total),
		cmocka_unit_test(test_sink_empty_format),
		cmocka_unit_test(test_unknown_conversion),
		cmocka_unit_test(test_unknown_conversion_keeps_arguments),
		cmocka_unit_test(test_percent_n_is_not_supported),
		cmocka_unit_test(test_float_is_not_supported),
		cmocka_unit_test(test_format_ends_inside_conversion),
		cmocka_unit_test(test_huge_width_saturates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
