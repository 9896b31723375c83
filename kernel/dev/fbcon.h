/* Text console on a linear 32-bit framebuffer (the GOP framebuffer). */
#ifndef DEV_FBCON_H
#define DEV_FBCON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/dev/console.h"
#include "kernel/dev/font.h"

#define FBCON_MIN_COLS 8	/* smaller screens are refused */
#define FBCON_MIN_ROWS 2
#define FBCON_ESC_PARAMS 8	/* numeric parameters kept per escape sequence */

/* A text cell: code point, colour indexes, underline, and (in shown only) the cursor. */
#define FBCON_CELL_CHAR 0xffffu
#define FBCON_CELL_FG_SHIFT 16	/* 4 bits */
#define FBCON_CELL_BG_SHIFT 20	/* 4 bits */
#define FBCON_CELL_CURSOR (1u << 24)
#define FBCON_CELL_UNDERLINE (1u << 25)

/* How new text is drawn: the SGR state. */
struct fbcon_pen {
	uint8_t fg, bg;		/* colour indexes, 0..15 */
	bool bold;		/* brighten fg colours 0..7 */
	bool reverse;		/* swap fg and bg */
	bool underline;
};

/*
 * One console. Every field is private to fbcon.c; tests may read them.
 * The text lives in cells (a ring of rows, so scrolling moves no text),
 * and a second array records what each screen cell shows now, so redraws
 * only write the pixels that change and never read the framebuffer, which
 * is very slow to read on real hardware.
 */
struct fbcon {
	uint8_t *fb;		/* pixel (0, 0) */
	uint32_t pitch;		/* bytes per scan line */
	uint32_t cols, rows;	/* text cells on screen */
	const struct font *font;
	uint32_t palette[16];	/* colour index -> pixel value */
	uint32_t *text;		/* rows * cols cells; screen row 0 is ring row top */
	uint32_t *shown;	/* rows * cols cells as drawn, in screen order */
	uint32_t top;		/* ring row shown as screen row 0 */
	uint32_t row, col;	/* cursor: where the next character goes */
	bool wrap_pending;	/* the last column is written: wrap before the next */
	uint32_t cursor_row_shown; /* screen row where the cursor is drawn */
	uint32_t dirty_first, dirty_last; /* screen rows to redraw; none if first > last */
	bool cursor_hidden;	/* ESC[?25l */
	struct fbcon_pen pen;	/* for new text */
	struct fbcon_pen saved_pen; /* ESC 7 and ESC[s save the pen and the cursor */
	uint32_t saved_row, saved_col;
	uint8_t utf8_left;	/* continuation bytes to skip after a UTF-8 lead byte */
	uint8_t esc_state;	/* escape parser state (fbcon.c) */
	uint8_t esc_param;	/* index of the parameter being read */
	bool esc_private;	/* CSI sequence started with '?' (DEC private modes) */
	bool esc_ignore;	/* CSI sequence we do not act on */
	uint16_t esc_params[FBCON_ESC_PARAMS];
};

/*
 * Cells fbcon_init() needs for a width x height pixel screen in font (two
 * per text position), or 0 if the font is unusable.
 */
size_t fbcon_cells_needed(uint32_t width, uint32_t height, const struct font *font);

/*
 * Sets up con on the framebuffer at fb (virtual address, 4-byte aligned):
 * width x height pixels of 32 bits, pitch_bytes per scan line (a multiple
 * of 4, at least width * 4; the bytes beyond width * 4 are never touched).
 * format is an enum boot_pixel_format; the masks are used for
 * BOOT_PIXEL_BITMASK only and must be contiguous and disjoint. cells is
 * caller storage for fbcon_cells_needed() cells, owned by con from now on.
 * Clears the screen and shows the cursor at the top left.
 * Returns 0, or -EINVAL (and touches nothing) for an unsupported format or
 * font, a screen smaller than FBCON_MIN_COLS x FBCON_MIN_ROWS cells, or too
 * few cells.
 */
int fbcon_init(struct fbcon *con, void *fb, uint32_t width, uint32_t height,
	       uint32_t pitch_bytes, uint32_t format, uint32_t red_mask,
	       uint32_t green_mask, uint32_t blue_mask, const struct font *font,
	       uint32_t *cells, size_t cell_capacity);

/*
 * Draws n bytes of text at the cursor, understanding the subset of the
 * Linux console (TERM=linux) that busybox's line editing and vi use:
 *
 *   \n (down a line, to its start), \r, \t (stops every 8 columns), \b;
 *   ESC 7 / ESC 8 and ESC[s / ESC[u   save / restore cursor and pen;
 *   ESC c                             reset: default pen, cursor shown, clear;
 *   ESC[n A B C D                     cursor up, down, forward, back;
 *   ESC[n G, ESC[n d, ESC[r;c H or f  column, row, position (1-based);
 *   ESC[n J, ESC[n K                  erase in display, in line: 0 from the
 *                                     cursor, 1 up to it, 2 all;
 *   ESC[n X, ESC[n P, ESC[n @         erase, delete, insert blank characters;
 *   ESC[n L, ESC[n M                  insert, delete lines (the cursor stays);
 *   ESC[?25l, ESC[?25h                hide, show the cursor;
 *   ESC[...m (SGR)                    0 reset, 1 bright, 22, 4 / 24 underline,
 *                                     7 / 27 reverse, 30-37, 39, 40-47, 49,
 *                                     90-97, 100-107.
 *
 * A missing or 0 count means 1; positions are clamped to the screen.
 * Erased, inserted and scrolled-in cells are blanks in the default colours.
 * Every cursor movement and edit cancels a pending wrap (the cursor stays
 * on the last column after writing it, until the next character), as on
 * Linux; \b there only cancels it, so the next character overwrites that
 * column, where Linux would step back one more. Printable ASCII is
 * drawn; any other byte >= 0x80 or UTF-8 character draws the fallback
 * glyph. Everything else is ignored: other control characters and escape
 * sequences, scroll regions (ESC[r), the alternate screen (ESC[?1049h) and
 * the reports a terminal sends back (ESC[6n asks where the cursor is: this
 * console only draws, so such a question goes unanswered, and programs fall
 * back to their defaults). Parameters saturate at 9999; past the 8th they
 * are dropped. Wraps long lines and scrolls; the screen is up to date on
 * return. Not reentrant: callers serialize.
 */
void fbcon_write(struct fbcon *con, const char *s, size_t n);

/* Makes con (an initialized console, or NULL for none) the one that
 * fbcon_console_write() draws on. */
void fbcon_register(struct fbcon *con);

/* The registered console's size in text cells; false if there is none. */
bool fbcon_console_size(uint32_t *cols, uint32_t *rows);

/* Writes to the registered console; does nothing before fbcon_register(). */
void fbcon_console_write(const char *s, size_t n);

/* For console_register(), once fbcon_register() has been called. It draws
 * colours, so the kernel log shows errors in red and warnings in yellow. */
extern struct console fbcon_console;

#endif
