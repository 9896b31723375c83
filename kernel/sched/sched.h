/* The scheduler: per-CPU run queues, round robin, preemption by the timer. */
#ifndef SCHED_SCHED_H
#define SCHED_SCHED_H

#include <stdbool.h>
#include <stdint.h>

struct thread;

struct thread;
struct kstack;

/* Time slice of a thread before the timer preempts it, when others wait. */
#define SCHED_SLICE_NS (10 * 1000 * 1000ull) /* 10 ms */

/* Makes the calling context (on `stack`) the thread "kmain" and creates
 * the idle thread. Interrupts must still be off. */
void sched_init(struct kstack *stack);

/* Gives up the CPU to the next ready thread, if any. */
void sched_yield(void);

/* Blocks the calling thread: its state must already be THREAD_BLOCKED
 * (set under the lock of whatever will wake it). Returns once woken. */
void sched_block(void);

/* Makes a blocked thread READY (no-op if it is not blocked). Callable from
 * interrupt handlers. */
void sched_wake(struct thread *t);

/* From the end of an interrupt handler: switch if a reschedule is due. */
void sched_preempt_point(void);

/* Asks for a reschedule at the next preempt point (timer: slice over). */
void sched_request_resched(void);

/* For the timer: does this CPU have threads waiting to run? When was the
 * running thread's slice started? */
bool sched_others_ready(void);
uint64_t sched_slice_start_ns(void);

/*
 * CPU time. A user thread's time is user time, except while it is marked
 * in the kernel (thread_set_in_kernel(true) ... (false), around a system
 * call; called with interrupts off), which is system time; interrupts and
 * page faults count as the mode they interrupted. Kernel threads have
 * system time only.
 */
void thread_set_in_kernel(bool in_kernel);
void thread_cpu_time(const struct thread *t, uint64_t *user_ns, uint64_t *sys_ns);
/* The 1, 5 and 15 minute load averages (fixed point, 11 fraction bits, as
 * Linux's), the threads running or ready now, and all threads. */
void sched_loadavg(uint64_t loads[3], unsigned *running, unsigned *threads);

/* The CPU time of all threads but the idle ones, user and system. */
void sched_cpu_totals(uint64_t *user_ns, uint64_t *sys_ns);
/* How long the idle thread has run: the idle of /proc/uptime and /proc/stat. */
uint64_t sched_idle_ns(void);

/* Context switches since boot. */
uint64_t sched_switch_count(void);

#endif
