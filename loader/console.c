/* Loader messages on the firmware console (which OVMF mirrors on COM1). */
#include <efi.h>
#include <efilib.h>
#include <stdarg.h>

#include "kernel/lib/printf.h"
#include "loader/console.h"

/* Text is collected as UCS-2 and written a chunk at a time, "\n" as "\r\n". */
struct con_buf {
	CHAR16 text[128];
	unsigned len;
};

static void con_flush(struct con_buf *b)
{
	b->text[b->len] = 0;
	if (b->len)
		uefi_call_wrapper(ST->ConOut->OutputString, 2, ST->ConOut, b->text);
	b->len = 0;
}

static void con_put(struct con_buf *b, CHAR16 c)
{
	if (b->len + 1 >= sizeof(b->text) / sizeof(b->text[0]))
		con_flush(b);
	b->text[b->len++] = c;
}

static void con_sink(void *ctx, const char *s, size_t len)
{
	struct con_buf *b = ctx;

	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\n')
			con_put(b, L'\r');
		/* Only printable ASCII reaches the firmware console. */
		con_put(b, (s[i] == '\n' || (s[i] >= 0x20 && s[i] < 0x7f)) ? (CHAR16)s[i] : L'?');
	}
}

static void con_vline(const char *prefix, const char *fmt, va_list ap)
{
	struct con_buf b = { .len = 0 };
	size_t n = 0;

	while (prefix[n])
		n++;
	con_sink(&b, prefix, n);
	kvformat(con_sink, &b, fmt, ap);
	con_sink(&b, "\n", 1);
	con_flush(&b);
}

void console_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	con_vline("loader: ", fmt, ap);
	va_end(ap);
}

void console_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	con_vline("loader: error: ", fmt, ap);
	va_end(ap);
}
