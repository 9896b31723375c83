/* kmalloc and friends for host builds: the C library's malloc, with the kernel's never-NULL promise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/kmalloc.h"

static void *checked(void *p, size_t n, const char *caller)
{
	if (!p) {
		fprintf(stderr, "kmalloc: out of memory allocating %zu bytes for %s\n", n, caller);
		abort();
	}
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

void *kmalloc_array_caller(size_t count, size_t size, const char *caller)
{
	if (size && count > SIZE_MAX / size) {
		fprintf(stderr, "kmalloc_array: %zu * %zu overflows (for %s)\n", count, size, caller);
		abort();
	}
	return kmalloc_caller(count * size, caller);
}

void *krealloc_caller(void *p, size_t n, const char *caller)
{
	return checked(realloc(p, n ? n : 1), n, caller);
}

void kfree(void *p)
{
	free(p);
}
