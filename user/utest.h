/* Reporting for the user tests that check one area at a time. */
#ifndef USER_UTEST_H
#define USER_UTEST_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/*
 * A test defines UTEST_PROG (its name) before including this file and sets
 * `area` as it goes. A failed expectation prints "<prog>: <area>: <what>"
 * (with what came instead) on stderr and counts in `failures`; the test
 * goes on and exits 1 at the end if any failed.
 */
#ifndef UTEST_PROG
#error "define UTEST_PROG before including utest.h"
#endif

static const char *area = "setup";
static int failures;

/* Records a failed expectation if !ok. Returns ok. */
static inline bool expect(bool ok, const char *what)
{
	if (!ok) {
		failures++;
		fprintf(stderr, "%s: %s: %s\n", UTEST_PROG, area, what);
	}
	return ok;
}

/* ret must not be -1; says errno otherwise. */
static inline bool expect_ok(long ret, const char *what)
{
	if (ret != -1)
		return true;
	failures++;
	fprintf(stderr, "%s: %s: %s: %s\n", UTEST_PROG, area, what, strerror(errno));
	return false;
}

/* ret must be want; says what came instead (and errno). */
static inline bool expect_ret(long ret, long want, const char *what)
{
	if (ret == want)
		return true;
	failures++;
	fprintf(stderr, "%s: %s: %s: returned %ld (%s), expected %ld\n", UTEST_PROG, area, what,
		ret, ret < 0 ? strerror(errno) : "-", want);
	return false;
}

/* ret must be -1 with errno err. */
static inline bool expect_errno(long ret, int err, const char *what)
{
	int got = errno;

	if (ret == -1 && got == err)
		return true;
	failures++;
	if (ret == -1)
		fprintf(stderr, "%s: %s: %s: errno %s, expected %s\n", UTEST_PROG, area, what,
			strerror(got), strerror(err));
	else
		fprintf(stderr, "%s: %s: %s: returned %ld, expected %s\n", UTEST_PROG, area, what,
			ret, strerror(err));
	return false;
}

#endif
