/* Kernel printf: freestanding formatted output through a caller-supplied sink. */
#ifndef KERNEL_LIB_PRINTF_H
#define KERNEL_LIB_PRINTF_H

#include <stdarg.h>
#include <stddef.h>

/*
 * Receives one chunk of formatted output: len bytes at s, not NUL-terminated.
 * A literal run of the format arrives as one chunk; padding may arrive in
 * several. ctx is the pointer the caller handed to kvformat().
 */
typedef void (*kprintf_sink)(void *ctx, const char *s, size_t len);

/*
 * Supported: %d %i %u %x %X %o %p %s %c %%, flags - 0 # space +, width and
 * precision (also as *), length modifiers hh h l ll z j t. No %f, no %n, no
 * wide characters. Differences from C, all chosen to match glibc or be safe:
 *  - %p prints "0x" then minimal lowercase hex (glibc style, same as %#lx);
 *    a NULL pointer prints "(nil)".
 *  - %s of NULL prints "(null)" (the precision still truncates it).
 *  - An unknown conversion (e.g. %q, %n) is printed literally, flags and
 *    all, and consumes no argument except any '*' before it; a format that
 *    ends inside a conversion prints the partial text and stops.
 *  - A count beyond INT_MAX is reported as INT_MAX.
 */

/*
 * Formats fmt with the arguments in ap and hands the output to sink in
 * chunks. Returns the number of characters emitted.
 */
int kvformat(kprintf_sink sink, void *ctx, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/*
 * Formats into buf as C's vsnprintf: writes at most size bytes, always
 * NUL-terminated when size > 0 (buf may be NULL when size is 0). Returns the
 * length the full output has, excluding the NUL, even if truncated.
 */
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* Variadic form of kvsnprintf(). */
int ksnprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* KERNEL_LIB_PRINTF_H */
