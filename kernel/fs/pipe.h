/* Pipes: a 64 KiB ring between a read end and a write end. */
#ifndef FS_PIPE_H
#define FS_PIPE_H

#include "fs/vfs.h"

/*
 * A new pipe: two open files on one FIFO vnode (flags: O_NONBLOCK).
 * Reads block until data or end of file (no writer left); writes block
 * until room, are atomic up to PIPE_BUF (4096) bytes, and fail with EPIPE
 * plus SIGPIPE once no reader is left. Returns 0.
 */
int pipe_create(uint32_t flags, struct file **read_end, struct file **write_end);

#endif
