/* Kernel threads: creation, exit, join; what the scheduler switches between. */
#ifndef SCHED_THREAD_H
#define SCHED_THREAD_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86_64/fpu.h"
#include "lib/list.h"
#include "sched/wait.h"

enum thread_state {
	THREAD_READY,    /* on a run queue */
	THREAD_RUNNING,  /* on a CPU */
	THREAD_BLOCKED,  /* on a wait queue and/or the sleep heap */
	THREAD_ZOMBIE,   /* exited; waits for thread_join() */
};

struct kstack;

struct thread {
	uint64_t saved_rsp;       /* while switched out (context_switch) */
	struct kstack *stack;     /* guard-paged kernel stack */
	char name[24];
	uint32_t tid;
	enum thread_state state;  /* run queue lock */
	bool on_cpu;              /* still running on its stack (run queue lock) */
	struct list_node run_node;  /* run queue (run queue lock) */
	struct list_node all_node;  /* all_threads (threads_lock) */
	uint64_t wake_at_ns;      /* sleep heap key (timer lock) */
	int32_t heap_index;       /* position in the sleep heap, -1 if absent */
	bool timed_out;           /* woken by the timer, not by a wake_up */
	int exit_code;
	struct wait_queue exited; /* thread_join() waits here */
	uint64_t switches;        /* times switched in */
	/* CPU time in TSC cycles, charged at every switch and system-call
	 * boundary (sched.c): since cpu_mark, the thread has run in user mode,
	 * or in the kernel if in_kernel (a system call; kernel threads always). */
	uint64_t cpu_mark, user_tsc, sys_tsc;
	bool in_kernel;
	void *proc;               /* struct process of a user thread, NULL for the kernel's */
	uint64_t fs_base;         /* user TLS pointer (arch_prctl ARCH_SET_FS) */
	uint64_t cr3;             /* page tables of its process; 0: the kernel's */
	struct fpu_state fpu;     /* user-visible x87/SSE state, saved eagerly */
};

/* A new READY thread running fn(arg) on a fresh KSTACK_PAGES stack. The
 * name is copied (truncated to 23 characters). Infallible. */
struct thread *thread_create(const char *name, void (*fn)(void *), void *arg);

/* Ends the calling thread; thread_join() returns `code`. */
__attribute__((noreturn)) void thread_exit(int code);

/* Waits for t to exit, frees it and its stack, returns its exit code.
 * Each thread is joined exactly once. */
int thread_join(struct thread *t);

/* The running thread. */
struct thread *thread_current(void);

/* Number of threads that exist (zombies included). */
unsigned thread_count(void);

#endif
