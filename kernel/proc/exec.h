/* execve: replacing a process's program with a static ELF executable. */
#ifndef PROC_EXEC_H
#define PROC_EXEC_H

#include "proc/process.h"

struct trap_frame;

#define EXEC_ARG_MAX (256 * 1024) /* bytes of argv + envp strings */
#define EXEC_ARGC_MAX 8192        /* argv and envp entries each */

/*
 * Arguments copied into the kernel: `count` NUL-terminated strings packed
 * into buf (argv first, then envp).
 */
struct exec_args {
	char *buf;
	size_t used;
	unsigned argc, envc;
};

/* Copies the user's argv and envp arrays. 0, -EFAULT, -E2BIG. */
int exec_args_from_user(struct exec_args *a, char *const *uargv, char *const *uenvp);
void exec_args_free(struct exec_args *a);

/*
 * Loads path into p: checks the ELF completely (static ET_EXEC or static-
 * PIE ET_DYN; PT_INTERP refused with -ENOEXEC), builds the new address
 * space, stack and auxv, and only then replaces the old image. On success
 * tf is set to enter the program (rip, rsp, cleared registers). On failure
 * p is unchanged. Returns 0, -ENOENT, -EACCES, -ENOEXEC, -ENOMEM, -E2BIG...
 */
int exec_load(struct process *p, const char *path, struct exec_args *args, struct trap_frame *tf);

/* The same with argv/envp arrays in kernel memory (init). */
int exec_kernel_args(struct process *p, const char *path, const char *const argv[],
		     const char *const envp[], struct trap_frame *tf);

#endif
