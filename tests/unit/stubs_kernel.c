/* Kernel services for host unit tests: panic as a cmocka failure, logs on stdout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "log.h"
#include "panic.h"
#include "tests/unit/stubs_kernel.h"

static char panic_message[512];
static char log_line[512];

const char *stub_last_panic(void)
{
	return panic_message;
}

const char *stub_last_log(void)
{
	return log_line;
}

void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(panic_message, sizeof(panic_message), fmt, ap);
	va_end(ap);
	mock_assert(0, panic_message, __FILE__, __LINE__);
	abort(); /* not reached: mock_assert jumps out */
}

void klog(enum log_level level, const char *module, const char *fmt, ...)
{
	static const char *const names[] = { "err", "warn", "info", "debug" };
	va_list ap;
	int n;

	n = snprintf(log_line, sizeof(log_line), "%s: ", module);
	va_start(ap, fmt);
	vsnprintf(log_line + n, sizeof(log_line) - (size_t)n, fmt, ap);
	va_end(ap);
	printf("[%s] %s\n", (unsigned)level < 4 ? names[level] : "?", log_line);
}

void kvprintf(const char *fmt, va_list ap)
{
	vprintf(fmt, ap);
}

void kprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}
