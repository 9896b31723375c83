/* procfs: kernel state as generated text files under /proc. */
#ifndef FS_PROCFS_H
#define FS_PROCFS_H

#include <stddef.h>
#include <stdint.h>

#include "fs/vfs.h"

/*
 * Files, generated in full when opened (so one open sees one consistent
 * snapshot, however it is read) and freed at the last close:
 *
 *   meminfo  Linux format: MemTotal (managed frames), MemFree, MemAvailable
 *            (= MemFree: there are no caches to drop yet), Buffers, Cached,
 *            SwapTotal, SwapFree ... in kB
 *   memmap   the classified physical map, one "memmap: <base> <end> <pages>
 *            <class>" line per region, as in the boot log
 *   uptime   "<seconds>.<hundredths> <idle seconds>.<hundredths>"; idle time
 *            is not accounted yet and reads 0.00
 *   mounts   "<source> <path> <fstype> rw|ro 0 0" per mount, in mount order
 *   version  one line naming the kernel and its compiler
 *   cpuinfo  the boot CPU: vendor, family, model, TSC MHz, address sizes, flags
 *
 * and, once the process layer calls procfs_set_process_hooks(), the symlink
 * self and a directory per pid holding status, stat, cmdline (text the
 * hooks produce) and the symlink exe. Until then those names give -ENOENT.
 *
 * Vnodes come from the VFS vnode cache; everything about a vnode is in its
 * inode number (no per-vnode data). Sizes read as 0, as on Linux.
 */

/* Text being generated: the hooks append to it. */
struct procfs_buf {
	char *data; /* kmalloc'd, not NUL-terminated */
	size_t len, cap;
};

/* Appends formatted text / n raw bytes (cmdline's NULs). Output past
 * PROCFS_FILE_MAX is dropped. */
#define PROCFS_FILE_MAX (1024 * 1024)
void procfs_printf(struct procfs_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void procfs_write(struct procfs_buf *b, const void *data, size_t n);

enum procfs_pid_file {
	PROCFS_PID_STATUS,  /* Linux /proc/<pid>/status: "Name:\t...\nState:\t...\nPid:\t..." */
	PROCFS_PID_STAT,    /* Linux /proc/<pid>/stat: one line, "pid (comm) state ppid ..." */
	PROCFS_PID_CMDLINE, /* the arguments, each followed by a NUL */
};

enum procfs_pid_link {
	PROCFS_PID_EXE,     /* the path of the executable */
};

/* Pids procfs can show: 1..PROCFS_PID_MAX (they are part of inode numbers). */
#define PROCFS_PID_MAX ((1 << 27) - 1)

/*
 * What the process layer provides. procfs calls these from a thread that
 * may sleep, sometimes with the /proc mount's mutex held (lock order: that
 * mutex before any process lock). A pid that does not exist (or no longer
 * does) gives -ESRCH or -ENOENT; procfs reports both as -ENOENT.
 */
struct procfs_process_hooks {
	/* The calling thread's pid, or -ESRCH for a kernel thread. */
	int (*self)(void);
	/* The smallest live pid greater than `after` (after >= 0), or -ESRCH
	 * if there is none: listings of /proc walk the pids with it. */
	int (*next_pid)(int after);
	/* 0 and the owner's uid/gid (for the pid's directory and files) if
	 * pid is alive, else -ESRCH. */
	int (*owner)(int pid, uint32_t *uid, uint32_t *gid);
	/* Appends file `which` of pid to out. Returns 0 or -ESRCH. */
	int (*show)(int pid, enum procfs_pid_file which, struct procfs_buf *out);
	/* Writes the target of link `which` to buf (at most size bytes, not
	 * terminated); returns its full length, or -ESRCH / -ENOENT. */
	int (*readlink)(int pid, enum procfs_pid_link which, char *buf, size_t size);
	/* The pid handed out last. */
	int (*last_pid)(void);
};

/* Installs the hooks (all members non-NULL; the struct must stay valid;
 * NULL removes them) and returns the previous ones (tests swap in fakes).
 * Without hooks, /proc has no self and no pid directories. */
const struct procfs_process_hooks *procfs_set_process_hooks(const struct procfs_process_hooks *hooks);

/* A new procfs mount (fstype and source "proc") for vfs_mount(m, "/proc"). */
struct mount *procfs_create(void);

#endif
