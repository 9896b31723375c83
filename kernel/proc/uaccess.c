/* Copies between kernel and user memory that fail with -EFAULT instead of crashing. */
#include "arch/x86_64/cpufeature.h"
#include "arch/x86_64/trap.h"
#include "lib/errno.h"
#include "proc/uaccess.h"

long uaccess_copy(void *dst, const void *src, size_t n);
long uaccess_copy_nosmap(void *dst, const void *src, size_t n);
long uaccess_strncpy(char *dst, const char *src, size_t max, uint64_t smap);
extern char uaccess_copy_fault[], uaccess_copy_fault_tail[], uaccess_copy_fixup[];
extern char uaccess_copy_nosmap_fault[], uaccess_copy_nosmap_fault_tail[],
	uaccess_copy_nosmap_fixup[];
extern char uaccess_strncpy_fault[], uaccess_strncpy_fixup[];

/* The instructions that may fault on user memory, and where to resume. */
static const struct {
	const char *fault, *fixup;
} fixups[] = {
	{ uaccess_copy_fault, uaccess_copy_fixup },
	{ uaccess_copy_fault_tail, uaccess_copy_fixup },
	{ uaccess_copy_nosmap_fault, uaccess_copy_nosmap_fixup },
	{ uaccess_copy_nosmap_fault_tail, uaccess_copy_nosmap_fixup },
	{ uaccess_strncpy_fault, uaccess_strncpy_fixup },
};

static long copy(void *dst, const void *src, size_t n)
{
	return cpu_features()->smap ? uaccess_copy(dst, src, n) : uaccess_copy_nosmap(dst, src, n);
}

int copy_to_user(void *user_dst, const void *src, size_t n)
{
	if (!user_range_ok(user_dst, n))
		return -EFAULT;
	return (int)copy(user_dst, src, n);
}

int copy_from_user(void *dst, const void *user_src, size_t n)
{
	if (!user_range_ok(user_src, n))
		return -EFAULT;
	return (int)copy(dst, user_src, n);
}

long strncpy_from_user(char *dst, const char *user_src, size_t max)
{
	long n;
	uint64_t a = (uint64_t)(uintptr_t)user_src;

	if (max == 0 || a >= USER_SPACE_END)
		return -EFAULT;
	if (max > USER_SPACE_END - a) /* stop at the end of the user half */
		max = USER_SPACE_END - a;
	n = uaccess_strncpy(dst, user_src, max, cpu_features()->smap);
	if (n < 0)
		return n;
	if ((size_t)n == max)
		return a + max == USER_SPACE_END ? -EFAULT : -ENAMETOOLONG;
	return n;
}

bool uaccess_fixup(struct trap_frame *tf)
{
	for (unsigned i = 0; i < sizeof(fixups) / sizeof(fixups[0]); i++) {
		if (tf->rip == (uint64_t)fixups[i].fault) {
			tf->rip = (uint64_t)fixups[i].fixup;
			return true;
		}
	}
	return false;
}
