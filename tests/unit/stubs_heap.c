/* Host stand-ins for the heap's kernel services: catchable panics, stdout logs, pages from aligned_alloc. */
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "log.h"
#include "mm/slab.h"
#include "panic.h"

/*
 * Shared with test_slab.c, which declares them again (there is no header
 * for test-only stubs).
 */
jmp_buf *heap_test_panic_jmp;        /* armed: panic() longjmps here instead of failing */
char heap_test_panic_msg[512];       /* the last panic's message */
long heap_test_page_budget = -1;     /* provider calls left before "out of memory"; -1: never */
size_t heap_test_page_allocs;        /* slab_pages_alloc calls that returned */
size_t heap_test_page_frees;         /* slab_pages_free calls */
void *heap_test_last_freed;          /* the last slab_pages_free arguments */
unsigned heap_test_last_freed_order;

/*
 * Records the message; if a test armed heap_test_panic_jmp, disarms it and
 * jumps there, otherwise fails the running test.
 */
void panic(const char *fmt, ...)
{
	jmp_buf *jump = heap_test_panic_jmp;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(heap_test_panic_msg, sizeof(heap_test_panic_msg), fmt, ap);
	va_end(ap);
	heap_test_panic_jmp = NULL;
	if (jump) {
		printf("panic (expected): %s\n", heap_test_panic_msg);
		longjmp(*jump, 1);
	}
	fail_msg("unexpected panic: %s", heap_test_panic_msg);
	abort();
}

void klog(enum log_level level, const char *module, const char *fmt, ...)
{
	va_list ap;

	printf("[%d] %s: ", (int)level, module);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
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

/* Pages from aligned_alloc, filled with 0xa5 (contents are undefined). */
void *slab_pages_alloc(unsigned order, const char *caller)
{
	size_t bytes = (size_t)SLAB_PAGE_SIZE << order;
	void *p;

	if (order > SLAB_PAGES_MAX_ORDER)
		panic("slab_pages_alloc: order %u is too large (for %s)", order, caller);
	if (heap_test_page_budget == 0)
		panic("slab_pages_alloc: out of memory allocating %zu bytes for %s", bytes, caller);
	if (heap_test_page_budget > 0)
		heap_test_page_budget--;
	p = aligned_alloc(SLAB_PAGE_SIZE, bytes);
	if (!p)
		panic("slab_pages_alloc: out of memory allocating %zu bytes for %s", bytes, caller);
	memset(p, 0xa5, bytes);
	heap_test_page_allocs++;
	return p;
}

/* Fails the test unless p is what slab_pages_alloc(order) returned. */
void slab_pages_free(void *p, unsigned order)
{
	if (!p || (uintptr_t)p % SLAB_PAGE_SIZE ||
	    malloc_usable_size(p) < ((size_t)SLAB_PAGE_SIZE << order))
		fail_msg("slab_pages_free(%p, %u): not a block of that order", p, order);
	heap_test_page_frees++;
	heap_test_last_freed = p;
	heap_test_last_freed_order = order;
	free(p);
}
