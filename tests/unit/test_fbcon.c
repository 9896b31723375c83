/* Host unit tests for the framebuffer console, drawing into a malloc'd framebuffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kernel/dev/fbcon.h"
#include "kernel/dev/font.h"
#include "kernel/lib/errno.h"
#include "shared/boot_info.h"

#define SENTINEL 0xa5	/* fill byte; padding must keep it */
#define PAD 20		/* bytes of padding after each scan line */

/* 10 x 4 cells of the 8x16 default font plus a 3 and 5 pixel margin. */
#define TEST_COLS 10
#define TEST_ROWS 4

/* Palette entries as 0xRRGGBB, like fbcon's. */
#define RGB_GREY 0xaaaaaau
#define RGB_BLACK 0x000000u

struct screen {
	uint8_t *mem;
	uint32_t width, height, pitch;
	uint32_t *cells;
	struct fbcon con;
};

static int screen_open_format(struct screen *s, uint32_t width, uint32_t height, uint32_t format,
			      uint32_t r, uint32_t g, uint32_t b)
{
	size_t ncells = fbcon_cells_needed(width, height, &font_default);

	s->width = width;
	s->height = height;
	s->pitch = width * 4 + PAD;
	s->mem = malloc((size_t)s->pitch * height);
	s->cells = malloc((ncells ? ncells : 1) * sizeof(uint32_t));
	assert_non_null(s->mem);
	assert_non_null(s->cells);
	memset(s->mem, SENTINEL, (size_t)s->pitch * height);
	return fbcon_init(&s->con, s->mem, width, height, s->pitch, format, r, g, b,
			  &font_default, s->cells, ncells);
}

/* The usual screen: TEST_COLS x TEST_ROWS cells in RGBX, with margins. */
static void screen_open(struct screen *s)
{
	assert_int_equal(screen_open_format(s, TEST_COLS * 8 + 3, TEST_ROWS * 16 + 5,
					    BOOT_PIXEL_RGBX, 0, 0, 0), 0);
}

/* Fails if any padding byte past width * 4 on a scan line was written. */
static void assert_padding_intact(const struct screen *s)
{
	for (uint32_t y = 0; y < s->height; y++)
		for (uint32_t i = s->width * 4; i < s->pitch; i++)
			if (s->mem[(size_t)y * s->pitch + i] != SENTINEL)
				fail_msg("padding byte %u of line %u was written", i, y);
}

static void screen_close(struct screen *s)
{
	assert_padding_intact(s);
	free(s->mem);
	free(s->cells);
}

static uint32_t pixel_at(const struct screen *s, uint32_t x, uint32_t y)
{
	uint32_t v;

	memcpy(&v, s->mem + (size_t)y * s->pitch + (size_t)x * 4, 4);
	return v;
}

static void write_str(struct screen *s, const char *text)
{
	fbcon_write(&s->con, text, strlen(text));
}

/*
 * Fails unless screen cell (row, col) shows the glyph of codepoint with fg
 * ink on bg (pixel values), its bottom filled_rows rows all fg.
 */
static void assert_cell_rows(const struct screen *s, uint32_t row, uint32_t col,
			     uint32_t codepoint, uint32_t fg, uint32_t bg, uint32_t filled_rows)
{
	const struct font *f = &font_default;
	const uint8_t *bits = font_glyph(f, codepoint);
	uint32_t underline = f->height - filled_rows;

	for (uint32_t y = 0; y < f->height; y++) {
		for (uint32_t x = 0; x < f->width; x++) {
			bool ink = y >= underline || (bits[y * f->bytes_per_row + x / 8] & 0x80 >> x % 8);
			uint32_t want = ink ? fg : bg;
			uint32_t got = pixel_at(s, col * f->width + x, row * f->height + y);

			if (got != want)
				fail_msg("cell (%u, %u) U+%04X pixel (%u, %u): want %#x, got %#x",
					 row, col, codepoint, x, y, want, got);
		}
	}
}

/* assert_cell_rows() with the cursor (the bottom height/8 rounded up rows) if cursor. */
static void assert_cell(const struct screen *s, uint32_t row, uint32_t col, uint32_t codepoint,
			uint32_t fg, uint32_t bg, bool cursor)
{
	assert_cell_rows(s, row, col, codepoint, fg, bg,
			 cursor ? (font_default.height + 7) / 8 : 0);
}

/* Whether the cursor is drawn at screen cell (row, col). */
static bool cursor_at(const struct screen *s, uint32_t row, uint32_t col)
{
	return row == s->con.row && col == s->con.col && !s->con.cursor_hidden;
}

/* Fails unless screen row shows text (then blanks) in the default colours. */
static void assert_row(const struct screen *s, uint32_t row, const char *text)
{
	const struct fbcon *con = &s->con;
	size_t len = strlen(text);

	for (uint32_t col = 0; col < con->cols; col++)
		assert_cell(s, row, col, col < len ? (uint8_t)text[col] : ' ', con->palette[7],
			    con->palette[0], cursor_at(s, row, col));
}

/* Fails unless every pixel of every cell matches the text cells. */
static void assert_screen_matches_cells(const struct screen *s)
{
	const struct fbcon *con = &s->con;

	for (uint32_t row = 0; row < con->rows; row++) {
		for (uint32_t col = 0; col < con->cols; col++) {
			uint32_t ring = (con->top + row) % con->rows;
			uint32_t cell = con->text[ring * con->cols + col];
			uint32_t filled = cursor_at(s, row, col) ? (font_default.height + 7) / 8 :
					  cell & FBCON_CELL_UNDERLINE ? 1 : 0;

			assert_cell_rows(s, row, col, cell & FBCON_CELL_CHAR,
					 con->palette[cell >> FBCON_CELL_FG_SHIFT & 15],
					 con->palette[cell >> FBCON_CELL_BG_SHIFT & 15], filled);
		}
	}
}

static void assert_cursor(const struct screen *s, uint32_t row, uint32_t col)
{
	assert_int_equal(s->con.row, row);
	assert_int_equal(s->con.col, col);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 32);
}

static void test_cells_needed(void **state)
{
	struct font bad = font_default;

	assert_int_equal(fbcon_cells_needed(83, 69, &font_default), 2 * TEST_COLS * TEST_ROWS);
	assert_int_equal(fbcon_cells_needed(1920, 1080, &font_default), 2 * 240 * 67);
	bad.width = 0;
	assert_int_equal(fbcon_cells_needed(1920, 1080, &bad), 0);
	assert_int_equal(fbcon_cells_needed(1920, 1080, NULL), 0);
}

/* Tries fbcon_init with one thing wrong; fails unless -EINVAL and nothing written. */
static void assert_rejected(uint32_t width, uint32_t height, int32_t pitch_delta, size_t fb_offset,
			    uint32_t format, uint32_t r, uint32_t g, uint32_t b,
			    const struct font *font, long cells_delta)
{
	uint32_t pitch = (uint32_t)((int32_t)width * 4 + pitch_delta);
	size_t size = (size_t)pitch * height + 8;
	uint8_t *mem = malloc(size);
	size_t needed = fbcon_cells_needed(width, height, &font_default);
	uint32_t *cells = calloc(needed + 8, sizeof(uint32_t));
	struct fbcon con;

	memset(mem, SENTINEL, size);
	assert_int_equal(fbcon_init(&con, mem + fb_offset, width, height, pitch, format, r, g, b,
				    font, cells, (size_t)((long)needed + cells_delta)),
			 -EINVAL);
	for (size_t i = 0; i < size; i++)
		if (mem[i] != SENTINEL)
			fail_msg("rejected fbcon_init wrote byte %zu", i);
	free(mem);
	free(cells);
}

static void test_init_rejects(void **state)
{
	struct font bad = font_default;

	/* a valid call for reference */
	struct screen s;
	screen_open(&s);
	screen_close(&s);

	assert_rejected(83, 69, 0, 0, BOOT_PIXEL_NONE, 0, 0, 0, &font_default, 0);
	assert_rejected(83, 69, 0, 0, 99, 0, 0, 0, &font_default, 0);
	/* bitmask: missing, overlapping and split masks */
	assert_rejected(83, 69, 0, 0, BOOT_PIXEL_BITMASK, 0, 0xff00, 0xff, &font_default, 0);
	assert_rejected(83, 69, 0, 0, BOOT_PIXEL_BITMASK, 0xff0000, 0x1ff00, 0xff, &font_default, 0);
	assert_rejected(83, 69, 0, 0, BOOT_PIXEL_BITMASK, 0xf0f000, 0xff, 0xf000000, &font_default, 0);
	/* pitch below width * 4, pitch not a multiple of 4, misaligned framebuffer */
	assert_rejected(83, 69, -4, 0, BOOT_PIXEL_RGBX, 0, 0, 0, &font_default, 0);
	assert_rejected(83, 69, 2, 0, BOOT_PIXEL_RGBX, 0, 0, 0, &font_default, 0);
	assert_rejected(83, 69, 4, 2, BOOT_PIXEL_RGBX, 0, 0, 0, &font_default, 0);
	/* tiny screens: 7 columns, 1 row, nothing at all */
	assert_rejected(8 * FBCON_MIN_COLS - 1, 69, 0, 0, BOOT_PIXEL_RGBX, 0, 0, 0, &font_default, 0);
	assert_rejected(83, 16 * FBCON_MIN_ROWS - 1, 0, 0, BOOT_PIXEL_RGBX, 0, 0, 0, &font_default, 0);
	assert_rejected(1, 1, 0, 0, BOOT_PIXEL_RGBX, 0, 0, 0, &font_default, 0);
	/* one cell short */
	assert_rejected(83, 69, 0, 0, BOOT_PIXEL_RGBX, 0, 0, 0, &font_default, -1);
	/* broken fonts */
	assert_rejected(83, 69, 0, 0, BOOT_PIXEL_RGBX, 0, 0, 0, NULL, 0);
	bad.bytes_per_row = 2;
	assert_rejected(83, 69, 0, 0, BOOT_PIXEL_RGBX, 0, 0, 0, &bad, 0);
	bad = font_default;
	bad.glyphs = NULL;
	assert_rejected(83, 69, 0, 0, BOOT_PIXEL_RGBX, 0, 0, 0, &bad, 0);
}

static void test_init_clears_screen(void **state)
{
	struct screen s;

	screen_open(&s);
	assert_int_equal(s.con.cols, TEST_COLS);
	assert_int_equal(s.con.rows, TEST_ROWS);
	assert_cursor(&s, 0, 0);
	for (uint32_t y = 0; y < s.height; y++)
		for (uint32_t x = 0; x < s.width; x++)
			if ((x >= 8 || y >= 16) && pixel_at(&s, x, y) != 0)
				fail_msg("pixel (%u, %u) not cleared", x, y);
	/* the cursor: an underline at the top left */
	assert_cell(&s, 0, 0, ' ', s.con.palette[7], s.con.palette[0], true);
	assert_screen_matches_cells(&s);
	screen_close(&s);
}

/*
 * Writes a bright red 'A' on blue in the given format and fails unless the
 * cell's pixels are the glyph in red_ink on blue_bg (raw pixel values).
 */
static void check_format(uint32_t format, uint32_t r, uint32_t g, uint32_t b, uint32_t red_ink,
			 uint32_t blue_bg)
{
	struct screen s;

	assert_int_equal(screen_open_format(&s, 83, 69, format, r, g, b), 0);
	write_str(&s, "\x1b[91;44mA");
	assert_cell(&s, 0, 0, 'A', red_ink, blue_bg, false);
	assert_cell(&s, 0, 1, ' ', s.con.palette[7], 0, true);
	screen_close(&s);
}

static void test_format_rgbx(void **state)
{
	/* bright red 0xff5555: bytes ff 55 55 00; blue 0x0000aa: 00 00 aa 00 */
	check_format(BOOT_PIXEL_RGBX, 0, 0, 0, 0x005555ffu, 0x00aa0000u);
}

static void test_format_bgrx(void **state)
{
	check_format(BOOT_PIXEL_BGRX, 0, 0, 0, 0x00ff5555u, 0x000000aau);
}

static void test_format_bitmask(void **state)
{
	/* 8 bits per channel, red in the top byte */
	check_format(BOOT_PIXEL_BITMASK, 0xff000000u, 0xff0000u, 0xff00u, 0xff555500u, 0x0000aa00u);
	/* 10 bits per channel (2:10:10:10), 8-bit values scaled up */
	check_format(BOOT_PIXEL_BITMASK, 0x3ff00000u, 0xffc00u, 0x3ffu,
		     0x3fcu << 20 | 0x154u << 10 | 0x154u, 0x2a8u);
	/* 5:6:5 channels in the low half of a 32-bit pixel */
	check_format(BOOT_PIXEL_BITMASK, 0xf800u, 0x7e0u, 0x1fu,
		     0x1fu << 11 | 0x15u << 5 | 0xau, 0x15u);
}

static void test_newline_and_wrap(void **state)
{
	struct screen s;

	screen_open(&s);
	write_str(&s, "ab\ncd");
	assert_row(&s, 0, "ab");
	assert_row(&s, 1, "cd");
	assert_cursor(&s, 1, 2);

	/* exactly one row: the cursor stays on its last column... */
	write_str(&s, "\r0123456789");
	assert_row(&s, 1, "0123456789");
	assert_cursor(&s, 1, TEST_COLS - 1);
	/* ...and a newline then adds no blank line */
	write_str(&s, "\nx");
	assert_row(&s, 2, "x");
	/* a longer line wraps */
	write_str(&s, "\r0123456789AB");
	assert_row(&s, 2, "0123456789");
	assert_row(&s, 3, "AB");
	assert_cursor(&s, 3, 2);
	assert_screen_matches_cells(&s);
	screen_close(&s);
}

static void test_scroll(void **state)
{
	struct screen s;

	screen_open(&s);
	write_str(&s, "line0\nline1 long\nline2\nline3");
	assert_cursor(&s, 3, 5);
	write_str(&s, "\nline4");
	/* The top row now shows what was the second line, drawn from the cells. */
	assert_row(&s, 0, "line1 long");
	assert_row(&s, 1, "line2");
	assert_row(&s, 2, "line3");
	assert_row(&s, 3, "line4");
	assert_cursor(&s, 3, 5);

	/* many scrolls in one write, and wrapping at the bottom */
	write_str(&s, "\na\nb\nc\nd\ne\n0123456789wrapped");
	assert_row(&s, 0, "d");
	assert_row(&s, 1, "e");
	assert_row(&s, 2, "0123456789");
	assert_row(&s, 3, "wrapped");
	assert_cursor(&s, 3, 7);
	screen_close(&s);
}

static void test_unchanged_cells_not_redrawn(void **state)
{
	struct screen s;
	uint32_t marker = 0x12345678;

	screen_open(&s);
	write_str(&s, "hello\nhellp\n");
	/* scribble on the 'e' in row 0 and the 'h' in row 1: neither should change again */
	memcpy(s.mem + 8 * 4 + 3 * s.pitch, &marker, 4);
	memcpy(s.mem + 18 * s.pitch, &marker, 4);
	write_str(&s, "x\n");	/* scrolls nothing, changes row 2 only */
	assert_int_equal(pixel_at(&s, 8, 3), marker);
	write_str(&s, "q\n");	/* scrolls: row 0 'hello' -> 'hellp', row 1 'hellp' -> 'x' */
	assert_int_equal(pixel_at(&s, 8, 3), marker);
	assert_int_not_equal(pixel_at(&s, 0, 18), marker);
	screen_close(&s);
}

static void test_tabs_backspace_return(void **state)
{
	struct screen s;

	screen_open(&s);
	write_str(&s, "a\tb");
	assert_cursor(&s, 0, 9);
	assert_row(&s, 0, "a       b");
	write_str(&s, "\t");	/* the last column: tabs stop there */
	assert_cursor(&s, 0, 9);
	write_str(&s, "\rab\tc\t\t");
	assert_cursor(&s, 0, 9);
	write_str(&s, "\nabc\b\bX");
	assert_row(&s, 1, "aXc");
	assert_cursor(&s, 1, 2);
	write_str(&s, "\b\b\b\b\bY");	/* stops at column 0 */
	assert_row(&s, 1, "YXc");
	write_str(&s, "\n0123456789\bZ");	/* backspace over the last column */
	assert_row(&s, 2, "012345678Z");
	write_str(&s, "\rQ");
	assert_row(&s, 2, "Q12345678Z");
	assert_screen_matches_cells(&s);
	screen_close(&s);
}

static void test_sgr_colours(void **state)
{
	struct screen s;
	const uint32_t *pal;

	screen_open(&s);
	pal = s.con.palette;
	assert_int_equal(pal[0], 0);
	assert_int_equal(pal[7], 0x00aaaaaau);	/* RGBX grey */
	write_str(&s, "\x1b[31mR\x1b[0mN\x1b[1mB\x1b[44mb\x1b[92mG\x1b[1;31mr\x1b[m.");
	assert_cell(&s, 0, 0, 'R', pal[1], pal[0], false);
	assert_cell(&s, 0, 1, 'N', pal[7], pal[0], false);
	assert_cell(&s, 0, 2, 'B', pal[15], pal[0], false);
	assert_cell(&s, 0, 3, 'b', pal[15], pal[4], false);
	assert_cell(&s, 0, 4, 'G', pal[10], pal[4], false);
	assert_cell(&s, 0, 5, 'r', pal[9], pal[4], false);
	assert_cell(&s, 0, 6, '.', pal[7], pal[0], false);
	write_str(&s, "\r\x1b[33;45;1mx\x1b[22my\x1b[39mz\x1b[49;104mw\x1b[;32mv");
	assert_cell(&s, 0, 0, 'x', pal[11], pal[5], false);
	assert_cell(&s, 0, 1, 'y', pal[3], pal[5], false);
	assert_cell(&s, 0, 2, 'z', pal[7], pal[5], false);
	assert_cell(&s, 0, 3, 'w', pal[7], pal[12], false);
	assert_cell(&s, 0, 4, 'v', pal[2], pal[0], false);
	/* 256-colour and RGB arguments are skipped, not read as SGR codes */
	write_str(&s, "\r\x1b[0;38;5;31;48;2;1;41;3mx\x1b[38;5;1;4;34mz\x1b[m");
	assert_cell(&s, 0, 0, 'x', pal[7], pal[0], false);
	assert_cell_rows(&s, 0, 1, 'z', pal[4], pal[0], 1);	/* 4: underlined */
	/* a new line scrolled in is blank in the default colours */
	write_str(&s, "\x1b[41m\n\n\n\n");
	assert_row(&s, 3, "");
	screen_close(&s);
}

static void test_escapes_swallowed(void **state)
{
	struct screen s;

	screen_open(&s);
	write_str(&s, "a\x1b[6nb\x1b[?1049hc\x1b(Bd\x1b#8e\x1b[31;<1m\x1b[1 q\x1b[>c");
	assert_row(&s, 0, "abcde");	/* <1m: private marker, not acted on */
	write_str(&s, "\x1b[99;1000000000;31mf");	/* huge parameter saturates */
	assert_cell(&s, 0, 5, 'f', s.con.palette[1], 0, false);
	write_str(&s, "\x1b[0m\ng\x1b[31\nh");	/* a control ends the sequence and acts */
	assert_row(&s, 1, "g");
	assert_row(&s, 2, "h");
	write_str(&s, "\x1b\x1b[32mi\x1b[2;3;5;6;8;9;10;11;31mj\x1b[0m");
	assert_cell(&s, 2, 1, 'i', s.con.palette[2], 0, false);
	assert_cell(&s, 2, 2, 'j', s.con.palette[2], 0, false);	/* 31 was the 9th */
	/* sequences split across writes */
	write_str(&s, "\x1b");
	write_str(&s, "[3");
	write_str(&s, "3mk\x1b[0m");
	assert_cell(&s, 2, 3, 'k', s.con.palette[3], 0, false);
	assert_screen_matches_cells(&s);
	screen_close(&s);
}

static void test_non_ascii_fallback(void **state)
{
	struct screen s;
	const uint32_t *pal;

	screen_open(&s);
	pal = s.con.palette;
	/* é, €, a stray continuation byte, 0xff; controls, DEL and NUL draw nothing */
	fbcon_write(&s.con, "\xc3\xa9|\xe2\x82\xac|\x80|\xff\a\x7f\0|\xc3z", 16);
	for (uint32_t col = 0; col < 8; col += 2) {
		assert_cell(&s, 0, col, 0xfffd, pal[7], pal[0], false);
		assert_cell(&s, 0, col + 1, '|', pal[7], pal[0], false);
	}
	/* a truncated UTF-8 character is one fallback; the next ASCII byte prints */
	assert_cell(&s, 0, 8, 0xfffd, pal[7], pal[0], false);
	assert_cell(&s, 0, 9, 'z', pal[7], pal[0], true);
	assert_true(memcmp(font_glyph(&font_default, 0xfffd), font_glyph(&font_default, 'A'),
			   16) != 0);
	screen_close(&s);
}

/* Fills the 10 x 4 test screen with distinct letters (no scrolling); the
 * cursor ends on the last cell, a wrap pending. */
static void fill(struct screen *s)
{
	write_str(s, "\x1b[Habcdefghij" "klmnopqrst" "ABCDEFGHIJ" "KLMNOPQRST");
}

static void test_cursor_movement(void **state)
{
	struct screen s;
	static const struct {
		const char *input;
		uint32_t row, col;
	} moves[] = {
		{ "\x1b[3;5H", 2, 4 },	{ "\x1b[A", 1, 4 },	  { "\x1b[0A", 0, 4 },
		{ "\x1b[5A", 0, 4 },	{ "\x1b[2B", 2, 4 },	  { "\x1b[9999B", 3, 4 },
		{ "\x1b[3C", 3, 7 },	{ "\x1b[C", 3, 8 },	  { "\x1b[99C", 3, 9 },
		{ "\x1b[4D", 3, 5 },	{ "\x1b[D", 3, 4 },	  { "\x1b[0D", 3, 3 },
		{ "\x1b[99D", 3, 0 },	{ "\x1b[7G", 3, 6 },	  { "\x1b[G", 3, 0 },
		{ "\x1b[50G", 3, 9 },	{ "\x1b[0G", 3, 0 },	  { "\x1b[2d", 1, 0 },
		{ "\x1b[H", 0, 0 },	{ "\x1b[4;10f", 3, 9 },	  { "\x1b[;3H", 0, 2 },
		{ "\x1b[2H", 1, 0 },	{ "\x1b[0;0H", 0, 0 },	  { "\x1b[1000000;70000H", 3, 9 },
		{ "\x1b[2;3H", 1, 2 },	{ "\x1b[;;;;;;;;;;;;;5H", 0, 0 },
	};

	screen_open(&s);
	for (size_t i = 0; i < sizeof(moves) / sizeof(moves[0]); i++) {
		write_str(&s, moves[i].input);
		if (s.con.row != moves[i].row || s.con.col != moves[i].col)
			fail_msg("move %zu: cursor (%u, %u), want (%u, %u)", i, s.con.row,
				 s.con.col, moves[i].row, moves[i].col);
		assert_screen_matches_cells(&s);	/* the cursor is drawn there, and only there */
	}
	write_str(&s, "\x1b[4;9Hxy");
	assert_row(&s, 3, "        xy");
	assert_cursor(&s, 3, 9);
	screen_close(&s);
}

/* Writing the last column leaves a wrap pending; moving or editing cancels
 * it, so the next character lands on the row the cursor is on. */
static void test_moves_cancel_pending_wrap(void **state)
{
	struct screen s;

	screen_open(&s);
	write_str(&s, "0123456789");
	assert_true(s.con.wrap_pending);
	write_str(&s, "\x1b[DA");	/* back from the last column, not from past it */
	assert_row(&s, 0, "01234567A9");
	write_str(&s, "B\x1b[CC");
	assert_row(&s, 0, "01234567AC");
	write_str(&s, "\x1b[KD");
	assert_row(&s, 0, "01234567AD");
	write_str(&s, "\x1b[1;10HE");
	assert_row(&s, 0, "01234567AE");
	write_str(&s, "\x1b[PF\x1b[@G\x1b[XH\x1b[JI");
	assert_row(&s, 0, "01234567AI");
	assert_row(&s, 1, "");
	assert_cursor(&s, 0, 9);
	write_str(&s, "J");
	assert_row(&s, 1, "J");
	assert_cursor(&s, 1, 1);
	screen_close(&s);
}

static void test_erase_display(void **state)
{
	struct screen s;

	screen_open(&s);
	fill(&s);
	write_str(&s, "\x1b[2;4H\x1b[J");
	assert_row(&s, 0, "abcdefghij");
	assert_row(&s, 1, "klm");
	assert_row(&s, 2, "");
	assert_row(&s, 3, "");
	assert_cursor(&s, 1, 3);
	fill(&s);
	write_str(&s, "\x1b[3;5H\x1b[1J");	/* up to and including the cursor */
	assert_row(&s, 0, "");
	assert_row(&s, 1, "");
	assert_row(&s, 2, "     FGHIJ");
	assert_row(&s, 3, "KLMNOPQRST");
	assert_cursor(&s, 2, 4);
	fill(&s);
	write_str(&s, "\x1b[3J\x1b[4J\x1b[9999J\x1b[?2J");	/* not modes we act on */
	assert_row(&s, 3, "KLMNOPQRST");
	assert_row(&s, 0, "abcdefghij");
	write_str(&s, "\x1b[2;2H\x1b[2J");
	for (uint32_t row = 0; row < TEST_ROWS; row++)
		assert_row(&s, row, "");
	assert_cursor(&s, 1, 1);
	/* on a scrolled screen (the ring's top row is not screen row 0) */
	write_str(&s, "\x1b[Hx\ny\nz\nw\nv");
	assert_int_not_equal(s.con.top, 0);
	write_str(&s, "\x1b[2;1H\x1b[0J");
	assert_row(&s, 0, "y");
	assert_row(&s, 1, "");
	assert_row(&s, 3, "");
	assert_screen_matches_cells(&s);
	screen_close(&s);
}

static void test_erase_line_and_chars(void **state)
{
	struct screen s;

	screen_open(&s);
	fill(&s);
	write_str(&s, "\x1b[1;4H\x1b[K\x1b[2;4H\x1b[1K\x1b[3;4H\x1b[2K\x1b[4;4H\x1b[3K");
	assert_row(&s, 0, "abc");
	assert_row(&s, 1, "    opqrst");
	assert_row(&s, 2, "");
	assert_row(&s, 3, "KLMNOPQRST");
	assert_cursor(&s, 3, 3);
	fill(&s);
	write_str(&s, "\x1b[1;3H\x1b[3X\x1b[2;8H\x1b[99X\x1b[3;1H\x1b[X\x1b[4;10H\x1b[0X");
	assert_row(&s, 0, "ab   fghij");
	assert_row(&s, 1, "klmnopq");
	assert_row(&s, 2, " BCDEFGHIJ");
	assert_row(&s, 3, "KLMNOPQRS");
	assert_cursor(&s, 3, 9);
	assert_screen_matches_cells(&s);
	screen_close(&s);
}

static void test_insert_delete_chars(void **state)
{
	struct screen s;

	screen_open(&s);
	fill(&s);
	write_str(&s, "\x1b[1;3H\x1b[2P");
	assert_row(&s, 0, "abefghij");
	assert_cursor(&s, 0, 2);
	write_str(&s, "\x1b[2;3H\x1b[3@");
	assert_row(&s, 1, "kl   mnopq");
	write_str(&s, "\x1b[3;9H\x1b[99P\x1b[4;9H\x1b[99@");
	assert_row(&s, 2, "ABCDEFGH");
	assert_row(&s, 3, "KLMNOPQR");
	write_str(&s, "\x1b[1;1H\x1b[0@");
	assert_row(&s, 0, " abefghij");
	write_str(&s, "\x1b[P");
	assert_row(&s, 0, "abefghij");
	write_str(&s, "\x1b[2;10H\x1b[P\x1b[3;10H\x1b[@");	/* the last column */
	assert_row(&s, 1, "kl   mnop");
	assert_cursor(&s, 2, 9);
	assert_screen_matches_cells(&s);
	screen_close(&s);
}

static void test_insert_delete_lines(void **state)
{
	struct screen s;

	screen_open(&s);
	fill(&s);
	write_str(&s, "\x1b[2;5H\x1b[L");
	assert_row(&s, 0, "abcdefghij");
	assert_row(&s, 1, "");
	assert_row(&s, 2, "klmnopqrst");
	assert_row(&s, 3, "ABCDEFGHIJ");
	assert_cursor(&s, 1, 4);	/* the cursor stays, as on Linux */
	write_str(&s, "\x1b[2M");
	assert_row(&s, 0, "abcdefghij");
	assert_row(&s, 1, "ABCDEFGHIJ");
	assert_row(&s, 2, "");
	assert_row(&s, 3, "");
	write_str(&s, "\x1b[H\x1b[99L");
	for (uint32_t row = 0; row < TEST_ROWS; row++)
		assert_row(&s, row, "");
	/* on a scrolled screen */
	write_str(&s, "a\nb\nc\nd\ne");
	assert_int_not_equal(s.con.top, 0);
	write_str(&s, "\x1b[1;1H\x1b[M");
	assert_row(&s, 0, "c");
	assert_row(&s, 2, "e");
	assert_row(&s, 3, "");
	write_str(&s, "\x1b[2;1H\x1b[2L");
	assert_row(&s, 0, "c");
	assert_row(&s, 1, "");
	assert_row(&s, 2, "");
	assert_row(&s, 3, "d");
	write_str(&s, "\x1b[0M\x1b[4;1H\x1b[9999M");
	assert_row(&s, 0, "c");
	assert_row(&s, 1, "");
	assert_row(&s, 2, "d");
	assert_row(&s, 3, "");
	assert_screen_matches_cells(&s);
	screen_close(&s);
}

static void test_sgr_reverse_underline(void **state)
{
	struct screen s;
	const uint32_t *pal;

	screen_open(&s);
	pal = s.con.palette;
	write_str(&s, "\x1b[7mR\x1b[27mN\x1b[31;44;7mr\x1b[1mb\x1b[0;4mU\x1b[24mu\x1b[4;7mv\x1b[m.");
	assert_cell(&s, 0, 0, 'R', pal[0], pal[7], false);
	assert_cell(&s, 0, 1, 'N', pal[7], pal[0], false);
	assert_cell(&s, 0, 2, 'r', pal[4], pal[1], false);
	assert_cell(&s, 0, 3, 'b', pal[4], pal[9], false);	/* bright applies to the fg colour */
	assert_cell_rows(&s, 0, 4, 'U', pal[7], pal[0], 1);
	assert_cell(&s, 0, 5, 'u', pal[7], pal[0], false);
	assert_cell_rows(&s, 0, 6, 'v', pal[0], pal[7], 1);
	assert_cell(&s, 0, 7, '.', pal[7], pal[0], false);
	/* erasing in reverse video blanks in the default colours */
	write_str(&s, "\x1b[7m\x1b[2K\x1b[m");
	assert_row(&s, 0, "");
	assert_screen_matches_cells(&s);
	screen_close(&s);
}

static void test_cursor_hide_show(void **state)
{
	struct screen s;

	screen_open(&s);
	write_str(&s, "ab\x1b[?25l");
	assert_cell(&s, 0, 2, ' ', s.con.palette[7], 0, false);
	write_str(&s, "\x1b[?25h");
	assert_cell(&s, 0, 2, ' ', s.con.palette[7], 0, true);
	write_str(&s, "\x1b[?1;25lc");	/* several modes at once; hidden as it moves */
	assert_true(s.con.cursor_hidden);
	assert_cell(&s, 0, 3, ' ', s.con.palette[7], 0, false);
	write_str(&s, "\x1b[25h\x1b[1?25h\x1b[?25x\x1b[?1049h");	/* none of these show it */
	assert_true(s.con.cursor_hidden);
	write_str(&s, "\x1b[?25h");
	assert_row(&s, 0, "abc");
	assert_screen_matches_cells(&s);
	screen_close(&s);
}

static void test_save_restore_cursor(void **state)
{
	struct screen s;
	const uint32_t *pal;

	screen_open(&s);
	pal = s.con.palette;
	write_str(&s, "\x1b" "8");	/* nothing saved: the top left, default colours */
	assert_cursor(&s, 0, 0);
	write_str(&s, "\x1b[2;3H\x1b[31;7m\x1b" "7\x1b[0m\x1b[4;9Hz\x1b" "8q");
	assert_cell(&s, 1, 2, 'q', pal[0], pal[1], false);
	assert_cursor(&s, 1, 3);
	write_str(&s, "\x1b[m\x1b[1;1H\x1b[s\x1b[3;3H\x1b[u");
	assert_cursor(&s, 0, 0);
	/* saved with a wrap pending: restored on the last column, no wrap pending */
	write_str(&s, "0123456789\x1b" "7\x1b[HX\x1b" "8Y");
	assert_row(&s, 0, "X12345678Y");
	assert_cursor(&s, 0, 9);
	assert_true(s.con.wrap_pending);
	write_str(&s, "\x1b#8\x1b(8");	/* DECALN and a character set: not restores */
	assert_cursor(&s, 0, 9);
	assert_screen_matches_cells(&s);
	screen_close(&s);
}

static void test_reset(void **state)
{
	struct screen s;

	screen_open(&s);
	write_str(&s, "\x1b[31;7;4m\x1b[?25lhello\x1b[3;3H\x1b" "7\x1b" "c");
	for (uint32_t row = 0; row < TEST_ROWS; row++)
		assert_row(&s, row, "");
	assert_cursor(&s, 0, 0);
	assert_false(s.con.cursor_hidden);
	write_str(&s, "\x1b[2;2H\x1b" "8ok");
	assert_row(&s, 0, "ok");	/* default colours, and the saved cursor is reset */
	screen_close(&s);
}

/*
 * Regression: busybox's line editing (recorded from busybox 1.35 ash with
 * "/ # " as the prompt) left stale text on the screen when it redrew a line.
 */
static void test_busybox_line_editing(void **state)
{
	struct screen s;
	static const char session[] =
		/* echo one; Up, Ctrl+A, 5 x Right, X, End, Y, 2 x Left, Backspace, Delete, Enter */
		"/ # \x1b[6necho one\r\none\r\n/ # \x1b[6n"
		"\r/ # echo one\x1b[J\x1b[8Decho Xone\b\b\boneY\b\b\beY\x1b[J\b\bY\x1b[J\bY\r\n"
		"XoY\r\n/ # \x1b[6n"
		/* a line longer than the screen: Ctrl+A, Right, Z, End, Ctrl+U */
		"echo aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\r\naaaaaaaaa"
		"\r\x1b[1A\x1b[4Ce"
		"Zcho aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\r\naaaaaaaaaa\r\x1b[1A\x1b[6C";
	static const char ctrl_e_ctrl_u[] =
		"cho aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\r\naaaaaaaaaa\x1b[1A\r/ # \x1b[J";

	assert_int_equal(screen_open_format(&s, 40 * 8, 8 * 16, BOOT_PIXEL_RGBX, 0, 0, 0), 0);
	write_str(&s, session);
	assert_row(&s, 0, "/ # echo one");
	assert_row(&s, 1, "one");
	assert_row(&s, 2, "/ # echo XoY");
	assert_row(&s, 3, "XoY");
	assert_row(&s, 4, "/ # eZcho aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	assert_row(&s, 5, "aaaaaaaaaa");
	assert_cursor(&s, 4, 6);
	write_str(&s, ctrl_e_ctrl_u);
	assert_row(&s, 4, "/ # ");
	assert_row(&s, 5, "");
	assert_cursor(&s, 4, 4);
	assert_screen_matches_cells(&s);
	screen_close(&s);
}

/* Regression: busybox vi's screen (recorded from busybox 1.35 vi: it
 * positions with ESC[r;cH, erases with ESC[K and ESC[J, and shows messages
 * in reverse video) was unreadable. */
static void test_busybox_vi_screen(void **state)
{
	struct screen s;
	const uint32_t *pal;

	screen_open(&s);
	pal = s.con.palette;
	write_str(&s, "old text\r\nmore\r\n$ vi f");
	write_str(&s, "\x1b[?1049h\x1b[H\x1b[J\x1b[1;1H1\x1b[2;1H2\x1b[3;1H3\x1b[1;1H"
		      "\x1b[4;1H\x1b[K- f 1/3\x1b[1;1H");
	assert_row(&s, 0, "1");
	assert_row(&s, 1, "2");
	assert_row(&s, 2, "3");
	assert_row(&s, 3, "- f 1/3");
	assert_cursor(&s, 0, 0);
	write_str(&s, "\x1b[4;1H\x1b[K\x1b[7m'q' bad\x1b[m\x1b[2;1H");
	assert_cell(&s, 3, 0, '\'', pal[0], pal[7], false);
	assert_cell(&s, 3, 6, 'd', pal[0], pal[7], false);
	assert_cell(&s, 3, 7, ' ', pal[7], pal[0], false);
	write_str(&s, "\x1b[4;1H\x1b[K- f 2/3\x1b[2;1H\x1b[4;1H\x1b[K\x1b[?1049l");
	assert_row(&s, 3, "");
	assert_cursor(&s, 3, 0);
	assert_screen_matches_cells(&s);
	screen_close(&s);
}

/* Overlong parameters, too many of them and stray bytes are harmless. */
static void test_overlong_parameters(void **state)
{
	struct screen s;
	static char buf[20000];
	size_t n = 0;

	screen_open(&s);
	buf[n++] = '\x1b';
	buf[n++] = '[';
	for (int i = 0; i < 5000; i++)
		buf[n++] = '9';
	for (int i = 0; i < 5000; i++)
		buf[n++] = ';';
	for (int i = 0; i < 5000; i++)
		buf[n++] = (char)('0' + i % 10);
	buf[n++] = 'B';
	fbcon_write(&s.con, buf, n);
	assert_cursor(&s, TEST_ROWS - 1, 0);
	for (const char *finals = "ABCDGHJKLMPX@dfmsu"; *finals; finals++) {
		buf[n - 1] = *finals;
		fbcon_write(&s.con, buf, n);
		assert_true(s.con.row < TEST_ROWS && s.con.col < TEST_COLS);
	}
	assert_true(s.con.pen.fg < 16 && s.con.pen.bg < 16);
	assert_screen_matches_cells(&s);
	screen_close(&s);
}

/* Random input, heavy in escape sequence bytes, in random-sized writes. */
static void fuzz_screen(struct screen *s, size_t total)
{
	static const char alphabet[] = "\x1b\x1b\x1b[[[;;;0123456789mmm?:Hx\n\r\t\b\xc3\xa9\x80"
				       "ABCDGJKLMPX@dfsu78chl#(";
	char buf[97];

	for (size_t done = 0; done < total;) {
		size_t n = rng() % sizeof(buf);

		for (size_t i = 0; i < n; i++)
			buf[i] = rng() % 4 ? alphabet[rng() % (sizeof(alphabet) - 1)] : (char)rng();
		fbcon_write(&s->con, buf, n);
		done += n;
		if (s->con.row >= s->con.rows || s->con.col >= s->con.cols)
			fail_msg("cursor (%u, %u) out of range", s->con.row, s->con.col);
		assert_true(s->con.pen.fg < 16 && s->con.pen.bg < 16);
		assert_true(s->con.saved_row < s->con.rows && s->con.saved_col < s->con.cols);
		assert_true(s->con.esc_param <= FBCON_ESC_PARAMS);
		assert_true(s->con.top < s->con.rows);
	}
	assert_screen_matches_cells(s);
	/* the margins right of and below the cells keep the background */
	for (uint32_t y = 0; y < s->height; y++)
		for (uint32_t x = 0; x < s->width; x++)
			if ((x >= s->con.cols * 8 || y >= s->con.rows * 16) && pixel_at(s, x, y) != 0)
				fail_msg("margin pixel (%u, %u) written", x, y);
}

static void test_fuzz(void **state)
{
	struct screen s;

	/* the smallest screen accepted, with odd margins */
	assert_int_equal(screen_open_format(&s, 8 * FBCON_MIN_COLS + 7, 16 * FBCON_MIN_ROWS + 1,
					    BOOT_PIXEL_BGRX, 0, 0, 0),
			 0);
	fuzz_screen(&s, 100000);
	screen_close(&s);
	screen_open(&s);
	fuzz_screen(&s, 100000);
	screen_close(&s);
}

static void test_console_glue(void **state)
{
	struct screen s;

	fbcon_console_write("ignored", 7);	/* nothing registered yet */
	screen_open(&s);
	fbcon_register(&s.con);
	assert_string_equal(fbcon_console.name, "fbcon");
	fbcon_console.write("hi\nthere", 8);
	assert_row(&s, 0, "hi");
	assert_row(&s, 1, "there");
	fbcon_register(NULL);
	fbcon_console_write("more", 4);
	assert_row(&s, 1, "there");
	screen_close(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cells_needed),
		cmocka_unit_test(test_init_rejects),
		cmocka_unit_test(test_init_clears_screen),
		cmocka_unit_test(test_format_rgbx),
		cmocka_unit_test(test_format_bgrx),
		cmocka_unit_test(test_format_bitmask),
		cmocka_unit_test(test_newline_and_wrap),
		cmocka_unit_test(test_scroll),
		cmocka_unit_test(test_unchanged_cells_not_redrawn),
		cmocka_unit_test(test_tabs_backspace_return),
		cmocka_unit_test(test_sgr_colours),
		cmocka_unit_test(test_escapes_swallowed),
		cmocka_unit_test(test_non_ascii_fallback),
		cmocka_unit_test(test_cursor_movement),
		cmocka_unit_test(test_moves_cancel_pending_wrap),
		cmocka_unit_test(test_erase_display),
		cmocka_unit_test(test_erase_line_and_chars),
		cmocka_unit_test(test_insert_delete_chars),
		cmocka_unit_test(test_insert_delete_lines),
		cmocka_unit_test(test_sgr_reverse_underline),
		cmocka_unit_test(test_cursor_hide_show),
		cmocka_unit_test(test_save_restore_cursor),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_busybox_line_editing),
		cmocka_unit_test(test_busybox_vi_screen),
		cmocka_unit_test(test_overlong_parameters),
		cmocka_unit_test(test_fuzz),
		cmocka_unit_test(test_console_glue),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
