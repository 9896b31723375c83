/* Choosing the GOP video mode: video=WxH, the monitor's EDID, the firmware's choice. */
#include "loader/video.h"

#define EINVAL 22
#define SIZE_MAX_PIXELS 65535u /* more than any GOP mode; bounds the parse */

#define EDID_BLOCK        128
#define EDID_DTD_OFFSET   54    /* first detailed timing descriptor */

/* Parses a decimal number of 1..SIZE_MAX_PIXELS at *p, advancing *p. */
static bool parse_dimension(const char **p, uint32_t *out)
{
	uint32_t v = 0;
	const char *s = *p;

	if (*s < '0' || *s > '9')
		return false;
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (uint32_t)(*s++ - '0');
		if (v > SIZE_MAX_PIXELS)
			return false;
	}
	*p = s;
	*out = v;
	return v != 0;
}

/* True if the word [s, end) starts with prefix. */
static bool word_starts_with(const char *s, const char *end, const char *prefix)
{
	while (*prefix) {
		if (s == end || *s != *prefix)
			return false;
		s++, prefix++;
	}
	return true;
}

int video_requested(const char *cmdline, uint32_t *width, uint32_t *height)
{
	const char *p = cmdline, *value = NULL, *value_end = NULL;
	uint32_t w, h;

	while (*p) {
		const char *word = p, *end;

		while (*p && *p != ' ')
			p++;
		end = p;
		while (*p == ' ')
			p++;
		if (end - word == 2 && word[0] == '-' && word[1] == '-')
			break; /* init's arguments */
		if (word_starts_with(word, end, "video=")) {
			value = word + 6;
			value_end = end;
		}
	}
	if (!value)
		return 0;
	p = value;
	if (!parse_dimension(&p, &w) || *p++ != 'x' || !parse_dimension(&p, &h) || p != value_end)
		return -EINVAL;
	*width = w;
	*height = h;
	return 1;
}

bool video_edid_preferred(const uint8_t *edid, size_t size, uint32_t *width, uint32_t *height)
{
	static const uint8_t header[8] = { 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0 };
	const uint8_t *dtd;
	uint8_t sum = 0;
	uint32_t w, h;

	if (!edid || size < EDID_BLOCK)
		return false;
	for (int i = 0; i < 8; i++)
		if (edid[i] != header[i])
			return false;
	for (int i = 0; i < EDID_BLOCK; i++)
		sum = (uint8_t)(sum + edid[i]);
	if (sum != 0)
		return false;
	dtd = edid + EDID_DTD_OFFSET;
	if (dtd[0] == 0 && dtd[1] == 0)
		return false; /* pixel clock 0: a display descriptor, not a timing */
	w = dtd[2] | (uint32_t)(dtd[4] & 0xf0) << 4;
	h = dtd[5] | (uint32_t)(dtd[7] & 0xf0) << 4;
	if (w == 0 || h == 0)
		return false;
	*width = w;
	*height = h;
	return true;
}

/* True if a is a larger mode than b: area first, then width. */
static bool larger(const struct video_mode *a, const struct video_mode *b)
{
	uint64_t area_a = (uint64_t)a->width * a->height, area_b = (uint64_t)b->width * b->height;

	return area_a != area_b ? area_a > area_b : a->width > b->width;
}

/* The largest linear mode no larger than max_w x max_h (0: no limit), or n if none. */
static size_t largest_within(const struct video_mode *modes, size_t n, uint32_t max_w,
			     uint32_t max_h)
{
	size_t best = n;

	for (size_t i = 0; i < n; i++) {
		const struct video_mode *m = &modes[i];

		if (!m->linear || (max_w && (m->width > max_w || m->height > max_h)))
			continue;
		if (best == n || larger(m, &modes[best]))
			best = i;
	}
	return best;
}

/* The first linear mode of exactly w x h, or n if none. */
static size_t exact(const struct video_mode *modes, size_t n, uint32_t w, uint32_t h)
{
	for (size_t i = 0; i < n; i++)
		if (modes[i].linear && modes[i].width == w && modes[i].height == h)
			return i;
	return n;
}

struct video_choice video_choose(const struct video_mode *modes, size_t n, size_t current,
				 uint32_t want_w, uint32_t want_h, uint32_t pref_w,
				 uint32_t pref_h)
{
	const struct video_mode *cur = &modes[current];
	size_t i;

	if (want_w && want_h && (i = exact(modes, n, want_w, want_h)) < n)
		return (struct video_choice){ i, VIDEO_REQUESTED };
	if (pref_w && pref_h) {
		if ((i = exact(modes, n, pref_w, pref_h)) < n)
			return (struct video_choice){ i, VIDEO_PREFERRED };
		if ((i = largest_within(modes, n, pref_w, pref_h)) < n)
			return (struct video_choice){ i, VIDEO_FITS };
		return (struct video_choice){ current, VIDEO_CURRENT };
	}
	if (cur->linear && cur->width >= VIDEO_MIN_WIDTH && cur->height >= VIDEO_MIN_HEIGHT)
		return (struct video_choice){ current, VIDEO_CURRENT };
	if ((i = largest_within(modes, n, 0, 0)) < n)
		return (struct video_choice){ i, VIDEO_LARGEST };
	return (struct video_choice){ current, VIDEO_CURRENT };
}

const char *video_reason_name(enum video_reason reason)
{
	switch (reason) {
	case VIDEO_REQUESTED:
		return "as video= asks";
	case VIDEO_PREFERRED:
		return "the monitor's preferred size (EDID)";
	case VIDEO_FITS:
		return "the largest mode within the monitor's preferred size (EDID)";
	case VIDEO_CURRENT:
		return "the firmware's current mode";
	case VIDEO_LARGEST:
		return "the largest mode (the current one is unusable)";
	}
	return "?";
}
