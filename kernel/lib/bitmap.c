/* Fixed-size bit arrays over 64-bit words: frame maps, ID allocators. */
#include "lib/bitmap.h"
#include "lib/string.h"
#include "panic.h"

#define ALL_ONES (~0ull)

static void check_bit(const char *fn, const struct bitmap *map, size_t bit)
{
	if (bit >= map->bits)
		panic("%s: bit %zu outside a %zu-bit map", fn, bit, map->bits);
}

static void check_range(const char *fn, const struct bitmap *map, size_t start, size_t count)
{
	if (start > map->bits || count > map->bits - start)
		panic("%s: bits [%zu, +%zu) outside a %zu-bit map", fn, start, count, map->bits);
}

/* Bits [lo, hi) of one word, 0 <= lo < hi <= 64. */
static uint64_t word_mask(size_t lo, size_t hi)
{
	uint64_t below_hi = hi == BITMAP_WORD_BITS ? ALL_ONES : (1ull << hi) - 1;

	return below_hi & (ALL_ONES << lo);
}

static void fill_range(struct bitmap *map, size_t start, size_t count, bool value)
{
	size_t end = start + count;

	while (start < end) {
		size_t word = start / BITMAP_WORD_BITS, word_base = word * BITMAP_WORD_BITS;
		size_t hi = end - word_base < BITMAP_WORD_BITS ? end - word_base : BITMAP_WORD_BITS;
		uint64_t mask = word_mask(start - word_base, hi);

		if (value)
			map->words[word] |= mask;
		else
			map->words[word] &= ~mask;
		start = word_base + hi;
	}
}

/* The first bit at or after `from` whose value XOR flip is 1, or map->bits. */
static size_t find_from(const struct bitmap *map, size_t from, uint64_t flip)
{
	size_t word = from / BITMAP_WORD_BITS, nwords = BITMAP_WORDS(map->bits);
	uint64_t w;

	if (from >= map->bits)
		return map->bits;
	w = (map->words[word] ^ flip) & (ALL_ONES << (from % BITMAP_WORD_BITS));
	for (;;) {
		if (w) {
			size_t bit = word * BITMAP_WORD_BITS + (size_t)__builtin_ctzll(w);

			/* a stray bit in the unused tail must not escape */
			return bit < map->bits ? bit : map->bits;
		}
		if (++word == nwords)
			return map->bits;
		w = map->words[word] ^ flip;
	}
}

void bitmap_init(struct bitmap *map, uint64_t *words, size_t bits)
{
	map->words = words;
	map->bits = bits;
	if (bits)
		memset(words, 0, BITMAP_WORDS(bits) * sizeof(uint64_t));
}

bool bitmap_test(const struct bitmap *map, size_t bit)
{
	check_bit(__func__, map, bit);
	return (map->words[bit / BITMAP_WORD_BITS] >> (bit % BITMAP_WORD_BITS)) & 1;
}

void bitmap_set(struct bitmap *map, size_t bit)
{
	check_bit(__func__, map, bit);
	map->words[bit / BITMAP_WORD_BITS] |= 1ull << (bit % BITMAP_WORD_BITS);
}

void bitmap_clear(struct bitmap *map, size_t bit)
{
	check_bit(__func__, map, bit);
	map->words[bit / BITMAP_WORD_BITS] &= ~(1ull << (bit % BITMAP_WORD_BITS));
}

void bitmap_set_range(struct bitmap *map, size_t start, size_t count)
{
	check_range(__func__, map, start, count);
	fill_range(map, start, count, true);
}

void bitmap_clear_range(struct bitmap *map, size_t start, size_t count)
{
	check_range(__func__, map, start, count);
	fill_range(map, start, count, false);
}

size_t bitmap_find_set(const struct bitmap *map, size_t from)
{
	if (from > map->bits)
		panic("bitmap_find_set: start %zu beyond a %zu-bit map", from, map->bits);
	return find_from(map, from, 0);
}

size_t bitmap_find_zero(const struct bitmap *map, size_t from)
{
	if (from > map->bits)
		panic("bitmap_find_zero: start %zu beyond a %zu-bit map", from, map->bits);
	return find_from(map, from, ALL_ONES);
}

size_t bitmap_count(const struct bitmap *map)
{
	size_t n = 0;

	for (size_t i = 0; i < BITMAP_WORDS(map->bits); i++)
		n += (size_t)__builtin_popcountll(map->words[i]);
	return n;
}
