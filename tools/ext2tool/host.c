/* Kernel services for ext2tool: logs on stderr, panic as abort, kmalloc as malloc. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "mm/kmalloc.h"
#include "panic.h"
#include "tools/ext2tool/ext2tool.h"

int ext2tool_verbose; /* 1: info lines too (EXT2TOOL_VERBOSE=1) */

void klog(enum log_level level, const char *module, const char *fmt, ...)
{
	static const char *const names[] = { "error: ", "warning: ", "", "" };
	va_list ap;

	if (level > LOG_WARN && !ext2tool_verbose)
		return;
	fprintf(stderr, "ext2tool: %s: %s", module, names[level & 3]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void kprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

void kvprintf(const char *fmt, va_list ap)
{
	vfprintf(stderr, fmt, ap);
}

void panic(const char *fmt, ...)
{
	va_list ap;

	fputs("panic: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

static void *checked(void *p, size_t n, const char *caller)
{
	if (!p)
		panic("kmalloc: out of memory allocating %zu bytes for %s", n, caller);
	return p;
}

void *kmalloc_caller(size_t n, const char *caller)
{
	return checked(malloc(n ? n : 1), n, caller);
}

void *kzalloc_caller(size_t n, const char *caller)
{
	return checked(calloc(1, n ? n : 1), n, caller);
}

void kfree(void *p)
{
	free(p);
}
