/* Names of error numbers, for log lines a person reads. */
#include "lib/errno.h"

const char *errno_name(int err)
{
	static const char *const names[] = {
		[EPERM] = "EPERM", [ENOENT] = "ENOENT", [ESRCH] = "ESRCH", [EINTR] = "EINTR",
		[EIO] = "EIO", [ENXIO] = "ENXIO", [E2BIG] = "E2BIG", [ENOEXEC] = "ENOEXEC",
		[EBADF] = "EBADF", [ECHILD] = "ECHILD", [EAGAIN] = "EAGAIN", [ENOMEM] = "ENOMEM",
		[EACCES] = "EACCES", [EFAULT] = "EFAULT", [EBUSY] = "EBUSY", [EEXIST] = "EEXIST",
		[EXDEV] = "EXDEV", [ENODEV] = "ENODEV", [ENOTDIR] = "ENOTDIR", [EISDIR] = "EISDIR",
		[EINVAL] = "EINVAL", [ENFILE] = "ENFILE", [EMFILE] = "EMFILE", [ENOTTY] = "ENOTTY",
		[EFBIG] = "EFBIG", [ENOSPC] = "ENOSPC", [ESPIPE] = "ESPIPE", [EROFS] = "EROFS",
		[EMLINK] = "EMLINK", [EPIPE] = "EPIPE", [ERANGE] = "ERANGE",
		[ENAMETOOLONG] = "ENAMETOOLONG", [ENOSYS] = "ENOSYS", [ENOTEMPTY] = "ENOTEMPTY",
		[ELOOP] = "ELOOP", [EOVERFLOW] = "EOVERFLOW", [ENOTSUP] = "ENOTSUP", [ETIMEDOUT] = "ETIMEDOUT",
		[EUCLEAN] = "EUCLEAN (corrupt filesystem)",
	};
	unsigned e = err < 0 ? 0u - (unsigned)err : (unsigned)err;

	return e < sizeof(names) / sizeof(names[0]) && names[e] ? names[e] : "unknown error";
}
