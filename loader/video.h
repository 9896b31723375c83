/* Choosing the GOP video mode: video=WxH, the monitor's EDID, the firmware's choice. Pure C. */
#ifndef LOADER_VIDEO_H
#define LOADER_VIDEO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Modes smaller than this are not "reasonable" to keep by default. */
#define VIDEO_MIN_WIDTH  640
#define VIDEO_MIN_HEIGHT 480

/* One GOP mode as QueryMode described it. */
struct video_mode {
	uint32_t width, height;
	bool linear; /* has a linear 32-bit framebuffer (not blt-only), and QueryMode worked */
};

/* Why video_choose() picked its mode. */
enum video_reason {
	VIDEO_REQUESTED, /* exactly the video=WxH size */
	VIDEO_PREFERRED, /* exactly the monitor's preferred size (EDID) */
	VIDEO_FITS,      /* the largest mode not exceeding the preferred size */
	VIDEO_CURRENT,   /* the firmware's current mode, kept */
	VIDEO_LARGEST,   /* the largest linear mode: the current one was unusable */
};

struct video_choice {
	size_t mode;             /* index into the modes array (= GOP mode number) */
	enum video_reason reason;
};

/*
 * Finds video=WxH in cmdline (space-separated options; the words after
 * "--" belong to init and are not looked at). Returns 1 and sets *width
 * and *height for a well-formed value, 0 if there is no video= option,
 * -22 (EINVAL) if its value is not two positive decimal numbers joined by
 * 'x' (then *width and *height are untouched). The last video= wins.
 */
int video_requested(const char *cmdline, uint32_t *width, uint32_t *height);

/*
 * Reads the preferred size from an EDID block: the first detailed timing
 * descriptor of the 128-byte base block. Returns false for a block that is
 * too short, has a bad header or checksum, or has no detailed timing.
 */
bool video_edid_preferred(const uint8_t *edid, size_t size, uint32_t *width, uint32_t *height);

/*
 * Picks a mode among n (n >= 1; current < n is the firmware's mode).
 * A requested size (want_w, want_h non-zero) that a linear mode has exactly
 * wins. Otherwise, with a preferred size (pref_w, pref_h non-zero): the
 * linear mode of exactly that size, else the largest linear mode no wider
 * and no taller, else the current mode. Without one: the current mode if
 * it is linear and at least VIDEO_MIN_WIDTH x VIDEO_MIN_HEIGHT, else the
 * largest linear mode, else the current mode. "Largest" compares areas,
 * then widths; among equal modes the lowest index wins.
 */
struct video_choice video_choose(const struct video_mode *modes, size_t n, size_t current,
				 uint32_t want_w, uint32_t want_h, uint32_t pref_w,
				 uint32_t pref_h);

/* A word for reason, for log lines ("requested", "preferred", ...). */
const char *video_reason_name(enum video_reason reason);

#endif
