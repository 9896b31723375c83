/* kmalloc: general-purpose kernel memory in size classes and page runs. */
#ifndef MM_KMALLOC_H
#define MM_KMALLOC_H

#include <stddef.h>

#include "mm/slab.h"

/*
 * The infallible policy.
 *
 * Kernel allocations do not fail: kmalloc, kzalloc, kmalloc_array,
 * krealloc and slab_alloc never return NULL, and callers do not check.
 * When memory runs out the page provider panics with a message naming the
 * function that asked, e.g. "slab_pages_alloc: out of memory allocating
 * 8192 bytes for vfs_open": the allocation macros pass __func__ down as
 * `caller`. Running out of kernel memory is treated as fatal because
 * unwinding every allocation site would cost more than it saves on a
 * hobby kernel; the kernel keeps its own use bounded instead.
 *
 * Memory whose exhaustion a user can cause (user pages, page-cache growth)
 * must NOT come from here: it uses the fallible pmm_try_alloc and reports
 * -ENOMEM or calls the OOM killer.
 *
 * Requests that are bugs rather than exhaustion also panic, with a message
 * naming the caller: sizes above KMALLOC_MAX_SIZE (SIZE_MAX included) and
 * kmalloc_array products that overflow. Nothing ever wraps around.
 *
 * Layout. Requests up to KMALLOC_MAX_CACHED bytes come from slab caches of
 * 16, 32, ..., 2048 bytes (16-byte aligned); larger ones get a page-aligned
 * run of 2^order pages, whose size is kept in the page-owner map (slab.h).
 * kfree panics on a pointer kmalloc did not return (foreign, interior,
 * already freed run, object of a non-kmalloc cache); debug builds also
 * catch double frees, overruns and writes after free (see slab.c). An
 * overrun is caught at the end of the size class, not of the bytes asked
 * for, except for runs where the slack after the request is checked too.
 */

#define KMALLOC_MIN_ALIGN  16
#define KMALLOC_MAX_CACHED 2048
#define KMALLOC_MAX_SIZE   ((size_t)SLAB_PAGE_SIZE << SLAB_PAGES_MAX_ORDER) /* 4 MiB */

/*
 * Returns at least n bytes, never NULL, uninitialized (0x6b in debug
 * builds). kmalloc(0) returns a unique pointer that must not be
 * dereferenced but may be passed to kfree (it is a 16-byte object).
 */
void *kmalloc_caller(size_t n, const char *caller);
#define kmalloc(n) kmalloc_caller((n), __func__)

/* As kmalloc, with the n bytes zeroed. */
void *kzalloc_caller(size_t n, const char *caller);
#define kzalloc(n) kzalloc_caller((n), __func__)

/* As kmalloc(count * size), panicking if the product overflows. */
void *kmalloc_array_caller(size_t count, size_t size, const char *caller);
#define kmalloc_array(count, size) kmalloc_array_caller((count), (size), __func__)

/*
 * Resizes p (NULL: as kmalloc). Returns p itself if n fits in what p
 * already has (so krealloc(p, 0) returns p), else a new block holding p's
 * contents, p being freed. Never NULL.
 */
void *krealloc_caller(void *p, size_t n, const char *caller);
#define krealloc(p, n) krealloc_caller((p), (n), __func__)

/* Frees what kmalloc returned; NULL is ignored. Panics on anything else. */
void kfree(void *p);

/* The usable size of a block kmalloc returned (>= the size asked for). */
size_t ksize(const void *p);

#endif
