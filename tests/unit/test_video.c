/* Host unit tests of the loader's video mode choice: video=, EDID, fallbacks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "loader/video.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Shaped like OVMF's QemuVideo list, with a blt-only mode thrown in. */
static const struct video_mode qemu_modes[] = {
	{ 1280, 800, true }, { 640, 480, true }, { 800, 600, true }, { 1024, 768, true },
	{ 1280, 1024, true }, { 1920, 1080, true }, { 2560, 1600, false }, { 1920, 1200, true },
};

static void assert_requested(const char *cmdline, int ret, uint32_t w, uint32_t h)
{
	uint32_t width = 7, height = 7;

	assert_int_equal(video_requested(cmdline, &width, &height), ret);
	assert_int_equal(width, w);
	assert_int_equal(height, h);
}

static void test_video_option(void **state)
{
	assert_requested("", 0, 7, 7);
	assert_requested("init=/bin/sh log=debug", 0, 7, 7);
	assert_requested("video=800x600", 1, 800, 600);
	assert_requested("log=debug  video=1920x1080 -- poweroff", 1, 1920, 1080);
	assert_requested("video=800x600 video=1024x768", 1, 1024, 768); /* the last wins */
	assert_requested("-- video=800x600", 0, 7, 7);                 /* init's argument */
	assert_requested("xvideo=800x600", 0, 7, 7);
	for (const char *const *bad = (const char *const[]){
		     "video=", "video=800", "video=800x", "video=x600", "video=800x600x", "video=0x600",
		     "video=800X600", "video=800x600@60", "video=99999999999x1", "video=-800x600",
		     NULL };
	     *bad; bad++)
		assert_requested(*bad, -22, 7, 7);
}

/* A valid EDID base block whose first detailed timing is w x h. */
static void make_edid(uint8_t edid[128], uint32_t w, uint32_t h)
{
	static const uint8_t header[8] = { 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0 };
	uint8_t sum = 0;

	memset(edid, 0, 128);
	memcpy(edid, header, 8);
	edid[54] = 0x01, edid[55] = 0x1d;	/* pixel clock */
	edid[56] = w & 0xff;
	edid[58] = (uint8_t)((w >> 8) << 4 | 0x0a);	/* low nibble: blanking, not size */
	edid[59] = h & 0xff;
	edid[61] = (uint8_t)((h >> 8) << 4 | 0x05);
	for (int i = 0; i < 127; i++)
		sum = (uint8_t)(sum + edid[i]);
	edid[127] = (uint8_t)-sum;
}

static void test_edid_preferred(void **state)
{
	uint8_t edid[256];
	uint32_t w = 0, h = 0;

	make_edid(edid, 1920, 1080);
	assert_true(video_edid_preferred(edid, 128, &w, &h));
	assert_int_equal(w, 1920);
	assert_int_equal(h, 1080);
	make_edid(edid, 3840, 2160);
	assert_true(video_edid_preferred(edid, 256, &w, &h));
	assert_int_equal(w, 3840);
	assert_int_equal(h, 2160);

	assert_false(video_edid_preferred(NULL, 128, &w, &h));
	assert_false(video_edid_preferred(edid, 127, &w, &h));
	edid[100] ^= 1; /* checksum */
	assert_false(video_edid_preferred(edid, 128, &w, &h));
	make_edid(edid, 800, 600);
	edid[1] = 0; /* header */
	assert_false(video_edid_preferred(edid, 128, &w, &h));
	make_edid(edid, 800, 600);
	edid[54] = edid[55] = 0, edid[127] = (uint8_t)(edid[127] + 0x1e); /* no timing */
	assert_false(video_edid_preferred(edid, 128, &w, &h));
	assert_int_equal(w, 3840); /* untouched by failures */
}

static void assert_choice(struct video_choice c, size_t mode, enum video_reason reason)
{
	assert_int_equal(c.mode, mode);
	assert_int_equal(c.reason, reason);
}

static void test_choose(void **state)
{
	const struct video_mode *m = qemu_modes;
	size_t n = N(qemu_modes);

	/* video= exact, even over a preferred size */
	assert_choice(video_choose(m, n, 0, 1024, 768, 1920, 1080), 3, VIDEO_REQUESTED);
	/* no such mode, or only blt-only: the default policy */
	assert_choice(video_choose(m, n, 0, 1234, 567, 0, 0), 0, VIDEO_CURRENT);
	assert_choice(video_choose(m, n, 0, 2560, 1600, 0, 0), 0, VIDEO_CURRENT);
	assert_choice(video_choose(m, n, 2, 1234, 567, 1920, 1080), 5, VIDEO_PREFERRED);
	/* EDID: exact, else the largest that fits, else keep */
	assert_choice(video_choose(m, n, 0, 0, 0, 1920, 1080), 5, VIDEO_PREFERRED);
	assert_choice(video_choose(m, n, 0, 0, 0, 1900, 1200), 4, VIDEO_FITS);
	assert_choice(video_choose(m, n, 0, 0, 0, 2560, 1600), 7, VIDEO_FITS);
	assert_choice(video_choose(m, n, 3, 0, 0, 320, 200), 3, VIDEO_CURRENT);
	/* no EDID: keep a reasonable current mode */
	assert_choice(video_choose(m, n, 2, 0, 0, 0, 0), 2, VIDEO_CURRENT);
}

static void test_choose_unusable_current(void **state)
{
	const struct video_mode small[] = { { 320, 200, true }, { 800, 600, true },
					    { 1024, 768, true }, { 1024, 768, true } };
	const struct video_mode blt[] = { { 1024, 768, false }, { 640, 480, true } };
	const struct video_mode none[] = { { 1024, 768, false }, { 0, 0, false } };

	assert_choice(video_choose(small, N(small), 0, 0, 0, 0, 0), 2, VIDEO_LARGEST);
	assert_choice(video_choose(blt, N(blt), 0, 0, 0, 0, 0), 1, VIDEO_LARGEST);
	assert_choice(video_choose(none, N(none), 0, 0, 0, 0, 0), 0, VIDEO_CURRENT);
	for (int r = VIDEO_REQUESTED; r <= VIDEO_LARGEST; r++)
		assert_string_not_equal(video_reason_name((enum video_reason)r), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_video_option),
		cmocka_unit_test(test_edid_preferred),
		cmocka_unit_test(test_choose),
		cmocka_unit_test(test_choose_unusable_current),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
