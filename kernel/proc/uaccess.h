/* Copies between kernel and user memory that fail with -EFAULT instead of crashing. */
#ifndef PROC_UACCESS_H
#define PROC_UACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define USER_SPACE_END 0x0000800000000000ull /* first non-canonical address */

struct trap_frame;

/* True if [p, p + n) lies wholly in the user half. */
static inline bool user_range_ok(const void *p, size_t n)
{
	uint64_t a = (uint64_t)(uintptr_t)p;

	return a < USER_SPACE_END && n <= USER_SPACE_END - a;
}

/*
 * Copy n bytes to / from user memory. 0, or -EFAULT if the range is not in
 * the user half or a page of it cannot be accessed (after the page-fault
 * handler had its chance to map it). With SMAP on, user memory is only
 * reachable inside these routines (stac/clac around the copy).
 */
int copy_to_user(void *user_dst, const void *src, size_t n);
int copy_from_user(void *dst, const void *user_src, size_t n);

/* Copies a NUL-terminated string of at most max bytes (terminator included).
 * Returns its length, -EFAULT, or -ENAMETOOLONG if no NUL came within max. */
long strncpy_from_user(char *dst, const char *user_src, size_t max);

/* Called by the page-fault handler for a kernel-mode fault it could not
 * resolve: if the fault hit a user copy, makes that copy return -EFAULT
 * and returns true. */
bool uaccess_fixup(struct trap_frame *tf);

#endif
