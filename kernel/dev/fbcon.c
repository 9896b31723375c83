/* Text console on a linear 32-bit framebuffer: cells, scrolling, colours, escapes. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/dev/fbcon.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/string.h"
#include "shared/boot_info.h"

#define CELL_NEVER 0xffffffffu	/* matches no cell: forces a redraw */

#define DEFAULT_FG 7
#define DEFAULT_BG 0
#define TAB_WIDTH 8
#define PARAM_MAX 9999
#define REPLACEMENT 0xfffd	/* drawn as the font's fallback glyph */

/* Escape parser states: after ESC, after ESC and intermediates, right after
 * ESC[ (where '?' may come), in the parameters of ESC[. */
enum { ESC_NONE, ESC_START, ESC_INTERMEDIATE, ESC_CSI_FIRST, ESC_CSI };

static const struct fbcon_pen default_pen = { .fg = DEFAULT_FG, .bg = DEFAULT_BG };

/* The 16 VGA colours as 0xRRGGBB, in ANSI order. */
static const uint32_t vga_colours[16] = {
	0x000000, 0xaa0000, 0x00aa00, 0xaa5500, 0x0000aa, 0xaa00aa, 0x00aaaa, 0xaaaaaa,
	0x555555, 0xff5555, 0x55ff55, 0xffff55, 0x5555ff, 0xff55ff, 0x55ffff, 0xffffff,
};

struct channel {
	uint32_t shift, bits;
};

static uint32_t make_cell(uint32_t codepoint, uint32_t fg, uint32_t bg)
{
	return codepoint | fg << FBCON_CELL_FG_SHIFT | bg << FBCON_CELL_BG_SHIFT;
}

static uint32_t blank_cell(void)
{
	return make_cell(' ', DEFAULT_FG, DEFAULT_BG);
}

/* Cell at screen position (row, col) in the text ring. */
static uint32_t *text_cell(struct fbcon *con, uint32_t row, uint32_t col)
{
	uint32_t ring_row = (con->top + row) % con->rows;

	return &con->text[(size_t)ring_row * con->cols + col];
}

/* Reads a channel from a mask. Returns false unless its bits are contiguous. */
static bool channel_of_mask(uint32_t mask, struct channel *ch)
{
	if (mask == 0)
		return false;
	ch->shift = 0;
	while (!(mask & 1u << ch->shift))
		ch->shift++;
	ch->bits = 0;
	while (ch->shift + ch->bits < 32 && mask & 1u << (ch->shift + ch->bits))
		ch->bits++;
	return ch->shift + ch->bits == 32 || mask >> (ch->shift + ch->bits) == 0;
}

/* Fills the red, green, blue channels for format. Returns false if unsupported. */
static bool channels_of_format(uint32_t format, uint32_t red_mask, uint32_t green_mask,
			       uint32_t blue_mask, struct channel ch[3])
{
	switch (format) {
	case BOOT_PIXEL_RGBX:
		red_mask = 0xffu, green_mask = 0xff00u, blue_mask = 0xff0000u;
		break;
	case BOOT_PIXEL_BGRX:
		red_mask = 0xff0000u, green_mask = 0xff00u, blue_mask = 0xffu;
		break;
	case BOOT_PIXEL_BITMASK:
		if ((red_mask & green_mask) || (red_mask & blue_mask) || (green_mask & blue_mask))
			return false;
		break;
	default:
		return false;
	}
	return channel_of_mask(red_mask, &ch[0]) && channel_of_mask(green_mask, &ch[1]) &&
	       channel_of_mask(blue_mask, &ch[2]);
}

/* The pixel value for 0xRRGGBB: each 8-bit component scaled to its channel. */
static uint32_t pixel_of_rgb(const struct channel ch[3], uint32_t rgb)
{
	uint32_t pixel = 0;

	for (int i = 0; i < 3; i++) {
		uint32_t v = rgb >> (16 - 8 * i) & 0xff;

		v = ch[i].bits >= 8 ? v << (ch[i].bits - 8) : v >> (8 - ch[i].bits);
		pixel |= v << ch[i].shift;
	}
	return pixel;
}

/* Draws cell at screen position (row, col): glyph, colours, underline or cursor. */
static void draw_cell(struct fbcon *con, uint32_t row, uint32_t col, uint32_t cell)
{
	const struct font *font = con->font;
	const uint8_t *bits = font_glyph(font, cell & FBCON_CELL_CHAR);
	uint32_t fg = con->palette[cell >> FBCON_CELL_FG_SHIFT & 15];
	uint32_t bg = con->palette[cell >> FBCON_CELL_BG_SHIFT & 15];
	uint32_t filled_rows = cell & FBCON_CELL_CURSOR ? (font->height + 7) / 8 :
			       cell & FBCON_CELL_UNDERLINE ? 1 : 0;
	uint32_t first_filled = font->height - filled_rows;	/* rows all in fg from here */
	uint8_t *line = con->fb + (size_t)row * font->height * con->pitch +
			(size_t)col * font->width * 4;

	for (uint32_t y = 0; y < font->height; y++) {
		uint32_t *pixel = (uint32_t *)(void *)line;

		for (uint32_t x = 0; x < font->width; x++) {
			bool ink = y >= first_filled || bits[x / 8] & 0x80 >> x % 8;

			pixel[x] = ink ? fg : bg;
		}
		line += con->pitch;
		bits += font->bytes_per_row;
	}
}

static void blank_cells(uint32_t *cells, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		cells[i] = blank_cell();
}

static void mark_dirty(struct fbcon *con, uint32_t first, uint32_t last)
{
	if (first < con->dirty_first)
		con->dirty_first = first;
	if (last > con->dirty_last)
		con->dirty_last = last;
}

/* Brings the screen up to date: redraws the cells of dirty rows (and the
 * cursor's old and new rows) whose contents differ from what is shown. */
static void flush(struct fbcon *con)
{
	mark_dirty(con, con->cursor_row_shown, con->cursor_row_shown);
	mark_dirty(con, con->row, con->row);
	for (uint32_t row = con->dirty_first; row <= con->dirty_last; row++) {
		uint32_t *shown = &con->shown[(size_t)row * con->cols];
		const uint32_t *text = text_cell(con, row, 0);

		for (uint32_t col = 0; col < con->cols; col++) {
			uint32_t want = text[col];

			if (row == con->row && col == con->col && !con->cursor_hidden)
				want |= FBCON_CELL_CURSOR;
			if (shown[col] != want) {
				draw_cell(con, row, col, want);
				shown[col] = want;
			}
		}
	}
	con->cursor_row_shown = con->row;
	con->dirty_first = con->rows;
	con->dirty_last = 0;
}

/* Moves to the start of the next line, scrolling the text up at the bottom. */
static void newline(struct fbcon *con)
{
	con->col = 0;
	con->wrap_pending = false;
	if (con->row + 1 < con->rows) {
		con->row++;
		return;
	}
	con->top = (con->top + 1) % con->rows;
	blank_cells(text_cell(con, con->rows - 1, 0), con->cols);
	mark_dirty(con, 0, con->rows - 1);
}

/* Puts codepoint at the cursor in the current colours and advances. */
static void put_char(struct fbcon *con, uint32_t codepoint)
{
	const struct fbcon_pen *pen = &con->pen;
	uint32_t fg = pen->bold && pen->fg < 8 ? pen->fg + 8u : pen->fg;
	uint32_t cell = pen->reverse ? make_cell(codepoint, pen->bg, fg) :
				       make_cell(codepoint, fg, pen->bg);

	if (con->wrap_pending)
		newline(con);
	*text_cell(con, con->row, con->col) = cell | (pen->underline ? FBCON_CELL_UNDERLINE : 0);
	mark_dirty(con, con->row, con->row);
	if (con->col + 1 < con->cols)
		con->col++;
	else
		con->wrap_pending = true;
}

/* Number of parameters of the escape sequence just ended. */
static uint32_t param_count(const struct fbcon *con)
{
	return con->esc_param < FBCON_ESC_PARAMS ? con->esc_param + 1u : FBCON_ESC_PARAMS;
}

/* Parameter i as a count or 1-based position: missing and 0 mean 1. */
static uint32_t param_or_one(const struct fbcon *con, uint32_t i)
{
	return con->esc_params[i] ? con->esc_params[i] : 1;
}

/* Applies the parameters of an ESC[...m sequence. */
static void apply_sgr(struct fbcon *con)
{
	struct fbcon_pen *pen = &con->pen;
	uint32_t count = param_count(con);

	for (uint32_t i = 0; i < count; i++) {
		uint32_t p = con->esc_params[i];

		if (p == 0) {
			*pen = default_pen;
		} else if (p == 1 || p == 22) {
			pen->bold = p == 1;
		} else if (p == 4 || p == 24) {
			pen->underline = p == 4;
		} else if (p == 7 || p == 27) {
			pen->reverse = p == 7;
		} else if (p >= 30 && p <= 37) {
			pen->fg = (uint8_t)(p - 30);
		} else if (p >= 40 && p <= 47) {
			pen->bg = (uint8_t)(p - 40);
		} else if (p >= 90 && p <= 97) {
			pen->fg = (uint8_t)(p - 90 + 8);
		} else if (p >= 100 && p <= 107) {
			pen->bg = (uint8_t)(p - 100 + 8);
		} else if (p == 39) {
			pen->fg = DEFAULT_FG;
		} else if (p == 49) {
			pen->bg = DEFAULT_BG;
		} else if ((p == 38 || p == 48) && i + 1 < count) {
			/* 256-colour (5;n) or RGB (2;r;g;b): unsupported, skip its arguments */
			i += con->esc_params[i + 1] == 5 ? 2 : con->esc_params[i + 1] == 2 ? 4 : 1;
		}
	}
}

/* Moves the cursor to (row, col), clamped to the screen; cancels a pending wrap. */
static void move_cursor(struct fbcon *con, int64_t row, int64_t col)
{
	con->row = row < 0 ? 0 : row >= con->rows ? con->rows - 1 : (uint32_t)row;
	con->col = col < 0 ? 0 : col >= con->cols ? con->cols - 1 : (uint32_t)col;
	con->wrap_pending = false;
}

/* Blanks the cells from screen position from up to, not including, to;
 * positions count cells row by row (row * cols + col). */
static void erase_span(struct fbcon *con, uint32_t from, uint32_t to)
{
	if (from >= to)
		return;
	for (uint32_t row = from / con->cols; row <= (to - 1) / con->cols; row++) {
		uint32_t start = row * con->cols;
		uint32_t first = from > start ? from - start : 0;
		uint32_t end = to < start + con->cols ? to - start : con->cols;

		blank_cells(text_cell(con, row, first), end - first);
	}
	mark_dirty(con, from / con->cols, (to - 1) / con->cols);
}

/* ESC[n J (whole screen) or K (cursor's line): 0 from the cursor on, 1 up to
 * and including it, 2 all; other modes do nothing. */
static void erase(struct fbcon *con, uint32_t mode, bool whole_screen)
{
	uint32_t pos = con->row * con->cols + con->col;
	uint32_t start = whole_screen ? 0 : con->row * con->cols;
	uint32_t end = whole_screen ? con->rows * con->cols : start + con->cols;

	if (mode == 0)
		erase_span(con, pos, end);
	else if (mode == 1)
		erase_span(con, start, pos + 1);
	else if (mode == 2)
		erase_span(con, start, end);
}

/* ESC[n P (delete) or @ (insert): shifts the rest of the cursor's line left
 * or right by n cells, blanks filling in. */
static void shift_chars(struct fbcon *con, uint32_t n, bool insert)
{
	uint32_t *cells = text_cell(con, con->row, 0);
	uint32_t room = con->cols - con->col;

	if (n > room)
		n = room;
	if (insert) {
		memmove(&cells[con->col + n], &cells[con->col], (room - n) * sizeof(*cells));
		blank_cells(&cells[con->col], n);
	} else {
		memmove(&cells[con->col], &cells[con->col + n], (room - n) * sizeof(*cells));
		blank_cells(&cells[con->cols - n], n);
	}
	mark_dirty(con, con->row, con->row);
}

/* ESC[n L (insert) or M (delete): moves the lines from the cursor's down
 * by n, or up by n, blank lines filling in. */
static void shift_lines(struct fbcon *con, uint32_t n, bool insert)
{
	uint32_t room = con->rows - con->row;
	size_t bytes = (size_t)con->cols * sizeof(uint32_t);

	if (n > room)
		n = room;
	for (uint32_t i = 0; i < room - n; i++) {
		/* inserting copies bottom up, deleting top down: no row is read after it is written */
		uint32_t dst = insert ? con->rows - 1 - i : con->row + i;
		uint32_t src = insert ? dst - n : dst + n;

		memcpy(text_cell(con, dst, 0), text_cell(con, src, 0), bytes);
	}
	for (uint32_t i = 0; i < n; i++)
		blank_cells(text_cell(con, insert ? con->row + i : con->rows - 1 - i, 0), con->cols);
	mark_dirty(con, con->row, con->rows - 1);
}

static void save_cursor(struct fbcon *con)
{
	con->saved_row = con->row;
	con->saved_col = con->col;
	con->saved_pen = con->pen;
}

static void restore_cursor(struct fbcon *con)
{
	move_cursor(con, con->saved_row, con->saved_col);
	con->pen = con->saved_pen;
}

/* ESC c: the state of a new console, on a blank screen. */
static void reset(struct fbcon *con)
{
	con->pen = default_pen;
	con->cursor_hidden = false;
	move_cursor(con, 0, 0);
	save_cursor(con);
	erase(con, 2, true);
}

/* ESC[?...h or l: DEC private modes; only 25 (cursor shown) is acted on. */
static void apply_private_mode(struct fbcon *con, uint8_t final)
{
	for (uint32_t i = 0; i < param_count(con); i++)
		if (con->esc_params[i] == 25 && (final == 'h' || final == 'l'))
			con->cursor_hidden = final == 'l';
}

/* Acts on a complete CSI sequence ending in final (see fbcon_write()). */
static void apply_csi(struct fbcon *con, uint8_t final)
{
	uint32_t n = param_or_one(con, 0);
	int64_t row = con->row, col = con->col;

	switch (final) {
	case 'A':
		move_cursor(con, row - n, col);
		break;
	case 'B':
		move_cursor(con, row + n, col);
		break;
	case 'C':
		move_cursor(con, row, col + n);
		break;
	case 'D':
		move_cursor(con, row, col - n);
		break;
	case 'G':
		move_cursor(con, row, (int64_t)n - 1);
		break;
	case 'd':
		move_cursor(con, (int64_t)n - 1, col);
		break;
	case 'H':
	case 'f':
		move_cursor(con, (int64_t)n - 1, (int64_t)param_or_one(con, 1) - 1);
		break;
	case 'J':
	case 'K':
		con->wrap_pending = false;
		erase(con, con->esc_params[0], final == 'J');
		break;
	case 'X':
		con->wrap_pending = false;
		erase_span(con, con->row * con->cols + con->col,
			   con->row * con->cols + (n < con->cols - con->col ? con->col + n : con->cols));
		break;
	case 'P':
	case '@':
		con->wrap_pending = false;
		shift_chars(con, n, final == '@');
		break;
	case 'L':
	case 'M':
		con->wrap_pending = false;
		shift_lines(con, n, final == 'L');
		break;
	case 'm':
		apply_sgr(con);
		break;
	case 's':
		save_cursor(con);
		break;
	case 'u':
		restore_cursor(con);
		break;
	}
}

static void start_csi(struct fbcon *con)
{
	con->esc_state = ESC_CSI_FIRST;
	con->esc_param = 0;
	con->esc_private = false;
	con->esc_ignore = false;
	for (int i = 0; i < FBCON_ESC_PARAMS; i++)
		con->esc_params[i] = 0;
}

/* Feeds c to an escape sequence that is not (yet) a CSI sequence. */
static void parse_plain_escape(struct fbcon *con, uint8_t c)
{
	bool first = con->esc_state == ESC_START;

	con->esc_state = c < 0x30 ? ESC_INTERMEDIATE : ESC_NONE;
	if (!first)
		return;		/* ESC ( B, ESC # 8, ...: not acted on */
	if (c == '[')
		start_csi(con);
	else if (c == '7')
		save_cursor(con);
	else if (c == '8')
		restore_cursor(con);
	else if (c == 'c')
		reset(con);
}

/*
 * Feeds c to the escape sequence being parsed. Returns true if c belongs to
 * it, false if c is a control or non-ASCII byte, which abandons the
 * sequence and is then handled as ordinary input.
 */
static bool parse_escape(struct fbcon *con, uint8_t c)
{
	if (c < 0x20 || c >= 0x7f) {
		con->esc_state = ESC_NONE;
		return false;
	}
	if (con->esc_state < ESC_CSI_FIRST) {
		parse_plain_escape(con, c);
		return true;
	}
	if (con->esc_state == ESC_CSI_FIRST) {
		con->esc_state = ESC_CSI;
		if (c == '?') {
			con->esc_private = true;
			return true;
		}
	}
	if (c >= '0' && c <= '9') {
		if (con->esc_param < FBCON_ESC_PARAMS) {
			uint16_t *p = &con->esc_params[con->esc_param];

			*p = *p > PARAM_MAX / 10 ? PARAM_MAX : (uint16_t)(*p * 10 + (c - '0'));
		}
	} else if (c == ';') {
		if (con->esc_param < FBCON_ESC_PARAMS)
			con->esc_param++;
	} else if (c >= 0x40) {
		/* final byte */
		con->esc_state = ESC_NONE;
		if (con->esc_private && !con->esc_ignore)
			apply_private_mode(con, c);
		else if (!con->esc_ignore)
			apply_csi(con, c);
	} else {
		/* private marker after the start, ':' or intermediate byte: not a sequence we act on */
		con->esc_ignore = true;
	}
	return true;
}

/* Handles one input byte. */
static void put_byte(struct fbcon *con, uint8_t c)
{
	if (con->esc_state != ESC_NONE && parse_escape(con, c))
		return;
	if (con->utf8_left > 0 && (c & 0xc0) == 0x80) {
		con->utf8_left--;
		return;
	}
	con->utf8_left = 0;
	switch (c) {
	case '\n':
		newline(con);
		break;
	case '\r':
		con->col = 0;
		con->wrap_pending = false;
		break;
	case '\t':
		if (!con->wrap_pending) {
			uint32_t stop = (con->col / TAB_WIDTH + 1) * TAB_WIDTH;

			con->col = stop < con->cols ? stop : con->cols - 1;
		}
		break;
	case '\b':
		if (con->wrap_pending)
			con->wrap_pending = false;
		else if (con->col > 0)
			con->col--;
		break;
	case 0x1b:
		con->esc_state = ESC_START;
		break;
	default:
		if (c >= 0x20 && c < 0x7f) {
			put_char(con, c);
		} else if (c >= 0x80) {
			/* one fallback glyph per UTF-8 character, or per stray byte */
			put_char(con, REPLACEMENT);
			con->utf8_left = c >= 0xf8 ? 0 : c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
		}
		break;
	}
}

size_t fbcon_cells_needed(uint32_t width, uint32_t height, const struct font *font)
{
	if (!font || font->width == 0 || font->height == 0)
		return 0;
	return 2 * (size_t)(width / font->width) * (height / font->height);
}

static bool glyph_is_blank(const struct font *font, uint32_t codepoint)
{
	const uint8_t *bits = font_glyph(font, codepoint);

	for (uint32_t i = 0; i < font->height * font->bytes_per_row; i++)
		if (bits[i])
			return false;
	return true;
}

int fbcon_init(struct fbcon *con, void *fb, uint32_t width, uint32_t height,
	       uint32_t pitch_bytes, uint32_t format, uint32_t red_mask,
	       uint32_t green_mask, uint32_t blue_mask, const struct font *font,
	       uint32_t *cells, size_t cell_capacity)
{
	struct channel ch[3];
	size_t needed = fbcon_cells_needed(width, height, font);
	bool space_blank;

	if (!con || !fb || (uintptr_t)fb % 4 != 0 || !cells || needed == 0)
		return -EINVAL;
	if (!font->glyphs || font->bytes_per_row != (font->width + 7) / 8)
		return -EINVAL;
	if (!channels_of_format(format, red_mask, green_mask, blue_mask, ch))
		return -EINVAL;
	if (pitch_bytes % 4 != 0 || pitch_bytes < (uint64_t)width * 4)
		return -EINVAL;
	if (width / font->width < FBCON_MIN_COLS || height / font->height < FBCON_MIN_ROWS)
		return -EINVAL;
	if (cell_capacity < needed)
		return -EINVAL;

	*con = (struct fbcon){
		.fb = fb,
		.pitch = pitch_bytes,
		.cols = width / font->width,
		.rows = height / font->height,
		.font = font,
		.pen = default_pen,
		.saved_pen = default_pen,
	};
	con->text = cells;
	con->shown = cells + needed / 2;
	for (int i = 0; i < 16; i++)
		con->palette[i] = pixel_of_rgb(ch, vga_colours[i]);
	/* Clear everything, margins no cell covers included. A blank cell then
	 * shows as drawn, if the font's space is blank; flush() draws the rest. */
	space_blank = glyph_is_blank(font, ' ');
	for (size_t i = 0; i < needed / 2; i++) {
		con->text[i] = blank_cell();
		con->shown[i] = space_blank ? blank_cell() : CELL_NEVER;
	}
	for (uint32_t y = 0; y < height; y++) {
		uint32_t *pixel = (uint32_t *)(void *)(con->fb + (size_t)y * pitch_bytes);

		if (con->palette[DEFAULT_BG] == 0) {
			memset(pixel, 0, (size_t)width * 4);
			continue;
		}
		for (uint32_t x = 0; x < width; x++)
			pixel[x] = con->palette[DEFAULT_BG];
	}
	mark_dirty(con, 0, con->rows - 1);
	flush(con);
	return 0;
}

void fbcon_write(struct fbcon *con, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put_byte(con, (uint8_t)s[i]);
	flush(con);
}

static struct fbcon *registered;

void fbcon_register(struct fbcon *con)
{
	registered = con;
}

bool fbcon_console_size(uint32_t *cols, uint32_t *rows)
{
	if (!registered)
		return false;
	*cols = registered->cols;
	*rows = registered->rows;
	return true;
}

void fbcon_console_write(const char *s, size_t n)
{
	if (registered)
		fbcon_write(registered, s, n);
}

struct console fbcon_console = {
	.name = "fbcon",
	.write = fbcon_console_write,
	.colour = true,
};
