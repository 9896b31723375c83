/* Monospaced bitmap fonts for the framebuffer console. */
#ifndef DEV_FONT_H
#define DEV_FONT_H

#include <stddef.h>
#include <stdint.h>

/*
 * A font with its own glyph for each code point in [first, first + count).
 * A glyph is height rows of bytes_per_row bytes; in each row the leftmost
 * pixel is the most significant bit of the first byte, set bits are ink.
 * glyphs holds those count glyphs in order, then one fallback glyph that
 * stands for every other code point.
 */
struct font {
	uint8_t width;		/* pixels, at least 1 */
	uint8_t height;		/* pixels, at least 1 */
	uint8_t bytes_per_row;	/* (width + 7) / 8 */
	uint32_t first;		/* first code point with its own glyph */
	uint32_t count;		/* glyphs before the fallback */
	const uint8_t *glyphs;	/* (count + 1) * height * bytes_per_row bytes */
};

/* The console font, generated at build time by tools/psf2c. */
extern const struct font font_default;

/* Bytes in one glyph bitmap. */
static inline size_t font_glyph_size(const struct font *font)
{
	return (size_t)font->height * font->bytes_per_row;
}

/* Returns the bitmap drawing codepoint, or the fallback glyph if the font
 * has none for it. */
static inline const uint8_t *font_glyph(const struct font *font, uint32_t codepoint)
{
	uint32_t index = font->count;

	if (codepoint >= font->first && codepoint - font->first < font->count)
		index = codepoint - font->first;
	return font->glyphs + index * font_glyph_size(font);
}

#endif
