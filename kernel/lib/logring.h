/* A byte ring for the kernel log: what dmesg (the syslog system call) reads. */
#ifndef LIB_LOGRING_H
#define LIB_LOGRING_H

#include <stddef.h>
#include <stdint.h>

/*
 * Positions are byte counts since the ring was set up, so they never wrap
 * in practice (2^64 bytes) and "how much was lost" is a subtraction. The
 * ring keeps the last `size` bytes written; a position older than that
 * reads from the oldest whole line still kept.
 *
 * Two readers, as Linux's syslog has them:
 *  - the non-destructive one (dmesg) reads the newest bytes after the
 *    last clear;
 *  - the consuming one (klogd) reads from its own position on.
 * No locking here: the caller serialises.
 */
struct logring {
	char *buf;
	uint64_t size;		/* a power of two */
	uint64_t head;		/* bytes ever written; the next goes to buf[head % size] */
	uint64_t cleared;	/* position of the last clear */
	uint64_t consumed;	/* the consuming reader's position */
};

void logring_init(struct logring *r, char *buf, uint64_t size);
void logring_write(struct logring *r, const char *s, size_t n);

/* Bytes the consuming reader has not read yet. */
uint64_t logring_unread(const struct logring *r);

/* The newest whole lines after the last clear, at most max bytes of them
 * (a line longer than max is cut at its start); returns bytes copied. */
size_t logring_read_all(const struct logring *r, char *dst, size_t max);

/* Consumes up to max unread bytes into dst; returns bytes copied. */
size_t logring_consume(struct logring *r, char *dst, size_t max);

/* Hides everything written so far from logring_read_all (not from the
 * consuming reader, as on Linux). */
void logring_clear(struct logring *r);

#endif
