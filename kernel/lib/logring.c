/* A byte ring for the kernel log (see logring.h). */
#include "lib/logring.h"

void logring_init(struct logring *r, char *buf, uint64_t size)
{
	r->buf = buf;
	r->size = size;
	r->head = r->cleared = r->consumed = 0;
}

static char byte_at(const struct logring *r, uint64_t pos)
{
	return r->buf[pos & (r->size - 1)];
}

/* The first position after pos that starts a line, or head. */
static uint64_t after_newline(const struct logring *r, uint64_t pos)
{
	while (pos < r->head && byte_at(r, pos) != '\n')
		pos++;
	return pos < r->head ? pos + 1 : pos;
}

/* The first position at or after pos that starts a line, or head; the
 * byte before pos must still be in the ring. */
static uint64_t next_line(const struct logring *r, uint64_t pos)
{
	if (pos == 0 || byte_at(r, pos - 1) == '\n')
		return pos;
	return after_newline(r, pos);
}

/* Where a reader that stopped at pos goes on: pos itself, or the oldest
 * whole line still kept if the ring has overwritten pos since. */
static uint64_t oldest_from(const struct logring *r, uint64_t pos)
{
	if (r->head > r->size && pos < r->head - r->size)
		return after_newline(r, r->head - r->size); /* the byte before is gone */
	return pos;
}

static void copy_out(const struct logring *r, uint64_t from, char *dst, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = byte_at(r, from + i);
}

void logring_write(struct logring *r, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		r->buf[r->head++ & (r->size - 1)] = s[i];
}

uint64_t logring_unread(const struct logring *r)
{
	return r->head - oldest_from(r, r->consumed);
}

size_t logring_read_all(const struct logring *r, char *dst, size_t max)
{
	uint64_t from = oldest_from(r, r->cleared);

	if (r->head - from > max) {
		uint64_t cut = next_line(r, r->head - max);

		/* a single line longer than max: its newest max bytes */
		from = cut < r->head ? cut : r->head - max;
	}
	copy_out(r, from, dst, (size_t)(r->head - from));
	return (size_t)(r->head - from);
}

size_t logring_consume(struct logring *r, char *dst, size_t max)
{
	uint64_t from = oldest_from(r, r->consumed);
	size_t n = r->head - from < max ? (size_t)(r->head - from) : max;

	copy_out(r, from, dst, n);
	r->consumed = from + n;
	return n;
}

void logring_clear(struct logring *r)
{
	r->cleared = r->head;
}
