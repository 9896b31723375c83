/* Freestanding printf-style formatting for the kernel (subset in printf.h). */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/lib/printf.h"

enum {
	FLAG_LEFT = 1 << 0,	/* '-': pad on the right */
	FLAG_ZERO = 1 << 1,	/* '0': pad numbers with zeros */
	FLAG_ALT = 1 << 2,	/* '#': 0x prefix or leading octal 0 */
	FLAG_SPACE = 1 << 3,	/* ' ': space before a non-negative number */
	FLAG_PLUS = 1 << 4,	/* '+': plus before a non-negative number */
};

enum length { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_J, LEN_T };

struct spec {
	unsigned flags;
	int width;		/* minimum field width, 0 if none */
	int precision;		/* -1 if none */
	enum length length;
	char conv;		/* conversion character, '\0' if fmt ended */
};

struct out {
	kprintf_sink sink;
	void *ctx;
	size_t count;		/* characters emitted so far */
};

#define PAD_RUN 32
#define INT_LIMIT 0x7fffffff

/* Length of s, but at most max (max < 0 means no limit); reads no further. */
static size_t str_nlen(const char *s, int max)
{
	size_t len = 0;

	while ((max < 0 || len < (size_t)max) && s[len] != '\0')
		len++;
	return len;
}

static void out_emit(struct out *out, const char *s, size_t len)
{
	if (len == 0)
		return;
	out->sink(out->ctx, s, len);
	out->count += len;
}

/* Emits n copies of c (' ' or '0') in runs of at most PAD_RUN characters. */
static void out_pad(struct out *out, char c, size_t n)
{
	static const char spaces[PAD_RUN + 1] = "                                ";
	static const char zeros[PAD_RUN + 1] = "00000000000000000000000000000000";
	const char *run = c == '0' ? zeros : spaces;

	while (n > 0) {
		size_t chunk = n < PAD_RUN ? n : PAD_RUN;
		out_emit(out, run, chunk);
		n -= chunk;
	}
}

/*
 * Emits one field: prefix, zeros leading zeros, then body, padded to
 * spec->width with spaces (left or right), or with more zeros after the
 * prefix when zero_pad is set.
 */
static void emit_field(struct out *out, const struct spec *spec,
		       const char *prefix, size_t prefix_len, size_t zeros,
		       const char *body, size_t body_len, bool zero_pad)
{
	size_t total = prefix_len + zeros + body_len;
	size_t pad = (size_t)spec->width > total ? spec->width - total : 0;

	if (zero_pad && !(spec->flags & FLAG_LEFT)) {
		zeros += pad;
		pad = 0;
	}
	if (!(spec->flags & FLAG_LEFT))
		out_pad(out, ' ', pad);
	out_emit(out, prefix, prefix_len);
	out_pad(out, '0', zeros);
	out_emit(out, body, body_len);
	if (spec->flags & FLAG_LEFT)
		out_pad(out, ' ', pad);
}

/*
 * Formats value (the magnitude; negative says a '-' belongs before it) for
 * an integer conversion: d, i, u, x, X, o or p.
 */
static void format_integer(struct out *out, const struct spec *spec,
			   uintmax_t value, bool negative)
{
	const char *alphabet = spec->conv == 'X' ? "0123456789ABCDEF"
						 : "0123456789abcdef";
	unsigned base = 10;
	char digits[24];	/* 22 octal digits cover 64 bits */
	char *end = digits + sizeof(digits);
	char *p = end;
	const char *prefix = "";
	int precision = spec->precision < 0 ? 1 : spec->precision;
	size_t zeros;
	bool is_signed = spec->conv == 'd' || spec->conv == 'i';

	if (spec->conv == 'o')
		base = 8;
	else if (spec->conv == 'x' || spec->conv == 'X' || spec->conv == 'p')
		base = 16;
	for (; value != 0; value /= base)
		*--p = alphabet[value % base];
	zeros = (size_t)precision > (size_t)(end - p) ? precision - (end - p) : 0;

	if (negative)
		prefix = "-";
	else if (is_signed && (spec->flags & FLAG_PLUS))
		prefix = "+";
	else if (is_signed && (spec->flags & FLAG_SPACE))
		prefix = " ";
	else if (spec->conv == 'p' || ((spec->flags & FLAG_ALT) && p != end &&
				      base == 16))
		prefix = spec->conv == 'X' ? "0X" : "0x";
	if (base == 8 && (spec->flags & FLAG_ALT) && zeros == 0)
		zeros = 1;	/* digits never start with 0, so add one */

	emit_field(out, spec, prefix, str_nlen(prefix, -1), zeros, p, end - p,
		   (spec->flags & FLAG_ZERO) && spec->precision < 0);
}

/* Fetch the next argument of the integer type length names, widened. */
static intmax_t fetch_signed(va_list *ap, enum length length)
{
	switch (length) {
	case LEN_HH: return (signed char)va_arg(*ap, int);
	case LEN_H: return (short)va_arg(*ap, int);
	case LEN_L: return va_arg(*ap, long);
	case LEN_LL: return va_arg(*ap, long long);
	case LEN_Z: /* the signed type of size_t is ptrdiff_t's size on x86_64 */
	case LEN_T: return va_arg(*ap, ptrdiff_t);
	case LEN_J: return va_arg(*ap, intmax_t);
	default: return va_arg(*ap, int);
	}
}

static uintmax_t fetch_unsigned(va_list *ap, enum length length)
{
	switch (length) {
	case LEN_HH: return (unsigned char)va_arg(*ap, unsigned int);
	case LEN_H: return (unsigned short)va_arg(*ap, unsigned int);
	case LEN_L: return va_arg(*ap, unsigned long);
	case LEN_LL: return va_arg(*ap, unsigned long long);
	case LEN_Z:
	case LEN_T: return va_arg(*ap, size_t);
	case LEN_J: return va_arg(*ap, uintmax_t);
	default: return va_arg(*ap, unsigned int);
	}
}

/* Returns the FLAG_* bit for flag character c, or 0 if c is not a flag. */
static unsigned flag_of(char c)
{
	switch (c) {
	case '-': return FLAG_LEFT;
	case '0': return FLAG_ZERO;
	case '#': return FLAG_ALT;
	case ' ': return FLAG_SPACE;
	case '+': return FLAG_PLUS;
	default: return 0;
	}
}

/*
 * Reads a field width or precision at *fmt and advances past it: '*' takes
 * an int argument from ap, digits are decimal saturating at INT_LIMIT, and
 * anything else reads as 0.
 */
static int parse_count(const char **fmt, va_list *ap)
{
	int n = 0;

	if (**fmt == '*') {
		(*fmt)++;
		return va_arg(*ap, int);
	}
	for (; **fmt >= '0' && **fmt <= '9'; (*fmt)++)
		n = n > (INT_LIMIT - 9) / 10 ? INT_LIMIT : n * 10 + (**fmt - '0');
	return n;
}

/*
 * Parses the conversion spec after a '%' at fmt into spec, taking '*'
 * arguments from ap. Returns a pointer to the conversion character (which is
 * the terminating NUL if the format ends early).
 */
static const char *parse_spec(const char *fmt, struct spec *spec, va_list *ap)
{
	*spec = (struct spec){ .precision = -1 };
	for (; flag_of(*fmt) != 0; fmt++)
		spec->flags |= flag_of(*fmt);
	spec->width = parse_count(&fmt, ap);
	if (spec->width < 0) {	/* a negative '*' width means '-' */
		spec->flags |= FLAG_LEFT;
		spec->width = spec->width < -INT_LIMIT ? INT_LIMIT : -spec->width;
	}
	if (*fmt == '.') {
		fmt++;
		spec->precision = parse_count(&fmt, ap);
		if (spec->precision < 0)	/* as if omitted */
			spec->precision = -1;
	}
	switch (*fmt) {
	case 'h': spec->length = fmt[1] == 'h' ? LEN_HH : LEN_H; break;
	case 'l': spec->length = fmt[1] == 'l' ? LEN_LL : LEN_L; break;
	case 'z': spec->length = LEN_Z; break;
	case 'j': spec->length = LEN_J; break;
	case 't': spec->length = LEN_T; break;
	}
	if (spec->length == LEN_HH || spec->length == LEN_LL)
		fmt += 2;
	else if (spec->length != LEN_NONE)
		fmt++;
	spec->conv = *fmt;
	return fmt;
}

/*
 * Formats the conversion whose '%' is at pct. Returns the position in the
 * format just after it (the NUL if the format ended inside it).
 */
static const char *format_one(struct out *out, const char *pct, va_list *ap)
{
	struct spec spec;
	const char *conv = parse_spec(pct + 1, &spec, ap);
	const char *s;
	char c;
	intmax_t sval;

	switch (spec.conv) {
	case 'd': case 'i':
		sval = fetch_signed(ap, spec.length);
		format_integer(out, &spec, sval < 0 ? 0 - (uintmax_t)sval
						    : (uintmax_t)sval, sval < 0);
		break;
	case 'u': case 'x': case 'X': case 'o':
		format_integer(out, &spec, fetch_unsigned(ap, spec.length), false);
		break;
	case 'p':
		s = va_arg(*ap, const char *);
		if (s != NULL)
			format_integer(out, &spec, (uintptr_t)s, false);
		else
			emit_field(out, &spec, "", 0, 0, "(nil)", 5, false);
		break;
	case 's':
		s = va_arg(*ap, const char *);
		if (s == NULL)
			s = "(null)";
		emit_field(out, &spec, "", 0, 0, s, str_nlen(s, spec.precision),
			   false);
		break;
	case 'c':
		c = (char)va_arg(*ap, int);
		emit_field(out, &spec, "", 0, 0, &c, 1, false);
		break;
	case '%':
		out_emit(out, "%", 1);
		break;
	case '\0':
		out_emit(out, pct, conv - pct);
		return conv;
	default:
		out_emit(out, pct, conv + 1 - pct);
		break;
	}
	return conv + 1;
}

int kvformat(kprintf_sink sink, void *ctx, const char *fmt, va_list ap)
{
	struct out out = { .sink = sink, .ctx = ctx, .count = 0 };
	va_list args;

	va_copy(args, ap);	/* lets helpers share one va_list by pointer */
	while (*fmt != '\0') {
		const char *run = fmt;

		while (*fmt != '\0' && *fmt != '%')
			fmt++;
		out_emit(&out, run, fmt - run);
		if (*fmt == '%')
			fmt = format_one(&out, fmt, &args);
	}
	va_end(args);
	return out.count > INT_LIMIT ? INT_LIMIT : (int)out.count;
}

struct buf_sink {
	char *buf;
	size_t size;
	size_t len;		/* full output length so far, even past size */
};

/* Copies what still fits before the byte reserved for the NUL. */
static void buf_sink_write(void *ctx, const char *s, size_t len)
{
	struct buf_sink *b = ctx;
	size_t room = b->len + 1 < b->size ? b->size - 1 - b->len : 0;

	for (size_t i = 0; i < len && i < room; i++)
		b->buf[b->len + i] = s[i];
	b->len += len;
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct buf_sink b = { .buf = buf, .size = size, .len = 0 };
	int n = kvformat(buf_sink_write, &b, fmt, ap);

	if (size > 0)
		buf[b.len < size ? b.len : size - 1] = '\0';
	return n;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
