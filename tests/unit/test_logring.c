/* The kernel log ring: newest whole lines, overwriting, clear, the consuming reader. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lib/logring.h"

static char storage[64];
static struct logring ring;
static char out[256];

static int setup(void **state)
{
	(void)state;
	memset(storage, '#', sizeof(storage));
	logring_init(&ring, storage, sizeof(storage));
	return 0;
}

static void put(const char *s)
{
	logring_write(&ring, s, strlen(s));
}

static const char *read_all(size_t max)
{
	size_t n = logring_read_all(&ring, out, max);

	out[n] = 0;
	return out;
}

static void empty_ring_reads_nothing(void **state)
{
	(void)state;
	assert_string_equal(read_all(sizeof(out)), "");
	assert_int_equal(logring_unread(&ring), 0);
	assert_int_equal(logring_consume(&ring, out, sizeof(out)), 0);
}

static void reads_everything_that_fits(void **state)
{
	(void)state;
	put("one\n");
	put("two\nthr");
	put("ee\n");
	assert_string_equal(read_all(sizeof(out)), "one\ntwo\nthree\n");
	/* a smaller buffer gets the newest whole lines */
	assert_string_equal(read_all(9), "three\n");
	assert_string_equal(read_all(10), "two\nthree\n");
	/* a line longer than the buffer: its newest bytes */
	assert_string_equal(read_all(3), "ee\n");
}

static void overwritten_lines_are_dropped_whole(void **state)
{
	char line[32];

	(void)state;
	for (int i = 0; i < 20; i++) {
		snprintf(line, sizeof(line), "line %02d\n", i); /* 8 bytes */
		put(line);
	}
	/* 160 bytes written into 64: 96..159 are kept, which is lines 12..19,
	 * but the ring cannot know that 95 was a newline: 12 goes too */
	assert_string_equal(read_all(sizeof(out)),
			    "line 13\nline 14\nline 15\nline 16\nline 17\nline 18\nline 19\n");
	put("partial line 20 overwrites"); /* 26 bytes: 12..14 go, 15 is cut */
	assert_string_equal(read_all(sizeof(out)),
			    "line 16\nline 17\nline 18\nline 19\npartial line 20 overwrites");
}

static void clear_hides_old_lines_from_read_all_only(void **state)
{
	(void)state;
	put("before\n");
	logring_clear(&ring);
	assert_string_equal(read_all(sizeof(out)), "");
	put("after\n");
	assert_string_equal(read_all(sizeof(out)), "after\n");
	assert_int_equal(logring_unread(&ring), 13);
}

static void consuming_reader_takes_each_byte_once(void **state)
{
	(void)state;
	put("abc\ndef\n");
	assert_int_equal(logring_consume(&ring, out, 5), 5);
	assert_memory_equal(out, "abc\nd", 5);
	assert_int_equal(logring_unread(&ring), 3);
	assert_int_equal(logring_consume(&ring, out, sizeof(out)), 3);
	assert_memory_equal(out, "ef\n", 3);
	assert_int_equal(logring_unread(&ring), 0);
	/* a reader left behind by the writer resumes at the oldest whole line */
	for (int i = 0; i < 10; i++)
		put("0123456\n");
	put("last\n");
	/* 93 bytes written, 29..92 kept: 29 is inside a line, 32 starts one */
	assert_int_equal(logring_unread(&ring), 61);
	assert_int_equal(logring_consume(&ring, out, sizeof(out)), 61);
	assert_memory_equal(out, "0123456\n", 8);
	assert_memory_equal(out + 56, "last\n", 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(empty_ring_reads_nothing, setup),
		cmocka_unit_test_setup(reads_everything_that_fits, setup),
		cmocka_unit_test_setup(overwritten_lines_are_dropped_whole, setup),
		cmocka_unit_test_setup(clear_hides_old_lines_from_read_all_only, setup),
		cmocka_unit_test_setup(consuming_reader_takes_each_byte_once, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
