/* Fixed-size bit arrays over 64-bit words: frame maps, ID allocators. */
#ifndef LIB_BITMAP_H
#define LIB_BITMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BITMAP_WORD_BITS 64

/* Words needed for `bits` bits: size the storage with it. */
#define BITMAP_WORDS(bits) (((bits) + BITMAP_WORD_BITS - 1) / BITMAP_WORD_BITS)

/*
 * A map of `bits` bits, bit i at words[i / 64] bit (i % 64). The caller owns
 * the storage (BITMAP_WORDS(bits) words). Bits past `bits` in the last word
 * are kept 0. No lock: callers serialise changes to one map.
 */
struct bitmap {
	uint64_t *words;
	size_t bits;
};

/* A static map over a zeroed array: static struct bitmap m = BITMAP_INIT(w, 100); */
#define BITMAP_INIT(word_array, nbits) { (word_array), (nbits) }

/* Makes map use `words` (BITMAP_WORDS(bits) of them) and clears every bit. */
void bitmap_init(struct bitmap *map, uint64_t *words, size_t bits);

/*
 * Single bits. Precondition: bit < map->bits; anything else is a caller bug
 * and panics with the function's name.
 */
bool bitmap_test(const struct bitmap *map, size_t bit);
void bitmap_set(struct bitmap *map, size_t bit);
void bitmap_clear(struct bitmap *map, size_t bit);

/*
 * Sets / clears bits [start, start + count). count 0 does nothing.
 * Panics if the range does not fit in the map (start + count > map->bits).
 */
void bitmap_set_range(struct bitmap *map, size_t start, size_t count);
void bitmap_clear_range(struct bitmap *map, size_t start, size_t count);

/*
 * Returns the index of the first set / clear bit at or after `from`, or
 * map->bits if there is none. from == map->bits is allowed (returns
 * map->bits, so "find the next after i" loops end cleanly); from >
 * map->bits panics.
 */
size_t bitmap_find_set(const struct bitmap *map, size_t from);
size_t bitmap_find_zero(const struct bitmap *map, size_t from);

/* Returns how many bits are set. */
size_t bitmap_count(const struct bitmap *map);

#endif
