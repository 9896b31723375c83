/* What the file system calls share (sys_fs.c, sys_fs_path.c). */
#ifndef PROC_SYS_FS_H
#define PROC_SYS_FS_H

#include <stdbool.h>

struct file;
struct process;

/*
 * The open file at fd with a new reference. Returns 0, or -EBADF if fd is
 * not open, or was opened with O_PATH and path_ok is false (O_PATH files
 * only serve as handles: fstat, dup, fchdir, *at() directories).
 */
int sys_get_file(struct process *p, int fd, bool path_ok, struct file **out);

#endif
