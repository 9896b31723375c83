/* Error numbers: Linux's values, since they cross to user space unchanged. */
#ifndef LIB_ERRNO_H
#define LIB_ERRNO_H

#define EPERM    1
#define ENOENT   2
#define EIO      5
#define E2BIG    7
#define ENOEXEC  8
#define ENOMEM   12
#define EFAULT   14
#define EEXIST   17
#define ENOTDIR  20
#define EISDIR   21
#define EINVAL   22
#define EFBIG    27
#define ENOSPC   28
#define EROFS    30
#define EMLINK   31
#define ERANGE   34
#define ENAMETOOLONG 36
#define ENOSYS   38
#define ENOTEMPTY 39
#define ELOOP    40
#define ETIMEDOUT 110
#define EUCLEAN  117

#endif
