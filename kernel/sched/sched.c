/* The scheduler: per-CPU run queues, round robin, preemption by the timer. */
#include <stddef.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/irq.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/time.h"
#include "lib/string.h"
#include "log.h"
#include "mm/kmalloc.h"
#include "mm/kstack.h"
#include "mm/vmm.h"
#include "panic.h"
#include "sched/sched.h"
#include "sched/thread.h"
#include "sched/timer.h"

#define CPUS_MAX 1 /* one run queue per CPU; only the boot CPU runs today */

/*
 * Lock order: a wait queue's lock, then the timer lock, then a run queue
 * lock. A run queue lock is held across context_switch() with interrupts
 * off: the thread that switches in releases it (finish_switch).
 */
struct runqueue {
	struct spinlock lock;    /* everything here; state/on_cpu/run_node of its threads */
	struct list_node ready;  /* READY threads, run in order */
	struct thread *current;
	struct thread *idle;
	struct thread *last;     /* the thread switched away from, for finish_switch */
	bool need_resched;
	uint64_t slice_start_ns;
	uint64_t switches;
};

static struct runqueue runqueues[CPUS_MAX];
static bool sched_running;

/* threads_lock protects all_threads, thread_total and next_tid. */
static struct spinlock threads_lock = SPINLOCK_INIT("threads");
static struct list_node all_threads = LIST_INIT(all_threads);
static unsigned thread_total;
static uint32_t next_tid = 1;

void context_switch(uint64_t *save_rsp, uint64_t load_rsp);
void thread_entry(void);
void thread_start(void (*fn)(void *), void *arg);

static struct runqueue *this_rq(void)
{
	return &runqueues[this_cpu()->id];
}

struct thread *thread_current(void)
{
	return this_rq()->current;
}

/* The first thing a thread does after being switched in, with the run
 * queue lock it inherited from the thread that switched away: that thread
 * is now off its stack. */
static void finish_switch(struct runqueue *rq)
{
	if (rq->last) {
		rq->last->on_cpu = false;
		rq->last = NULL;
	}
}

/*
 * Load averages as Linux keeps them: every 5 s, each of the 1, 5 and 15
 * minute averages decays towards the number of threads running or ready,
 * in fixed point with 11 bits of fraction. Tickless, so the 5 s samples
 * are taken late, at the next scheduler event or read: the count cannot
 * have changed in between, as only those events change it. rq->lock held.
 */
#define LOAD_FSHIFT    11
#define LOAD_FIXED_1   (1ull << LOAD_FSHIFT)
#define LOAD_PERIOD_NS 5000000000ull
static const uint64_t load_exp[3] = { 1884, 2014, 2037 }; /* 2^11 / e^(5 s / 1, 5, 15 min) */
static uint64_t load_avg[3], load_next_ns = LOAD_PERIOD_NS;

static unsigned nr_running(const struct runqueue *rq)
{
	const struct list_node *n;
	unsigned count = rq->current != rq->idle;

	for (n = rq->ready.next; n != &rq->ready; n = n->next)
		count++;
	return count;
}

static void load_advance(const struct runqueue *rq, uint64_t now_ns)
{
	uint64_t n;

	if (now_ns < load_next_ns)
		return;
	n = nr_running(rq) * LOAD_FIXED_1;
	if (now_ns - load_next_ns > 1000 * LOAD_PERIOD_NS) { /* long idle: all settled */
		for (int i = 0; i < 3; i++)
			load_avg[i] = n;
		load_next_ns = now_ns + LOAD_PERIOD_NS;
		return;
	}
	for (; load_next_ns <= now_ns; load_next_ns += LOAD_PERIOD_NS)
		for (int i = 0; i < 3; i++)
			load_avg[i] = (load_avg[i] * load_exp[i] + n * (LOAD_FIXED_1 - load_exp[i])) >>
				      LOAD_FSHIFT;
}

void sched_loadavg(uint64_t loads[3], unsigned *running, unsigned *threads)
{
	struct runqueue *rq = this_rq();
	uint64_t flags = irq_save();

	spin_lock_raw(&rq->lock);
	load_advance(rq, time_since_boot_ns());
	for (int i = 0; i < 3; i++)
		loads[i] = load_avg[i];
	*running = nr_running(rq);
	spin_unlock_raw(&rq->lock);
	*threads = __atomic_load_n(&thread_total, __ATOMIC_RELAXED);
	irq_restore(flags);
}

/* All threads' CPU time but the idle threads', for /proc/stat. */
static uint64_t total_user_tsc, total_sys_tsc;

/* Whether t's time now counts as system time: in a system call, or a
 * kernel thread. */
static bool in_system_time(const struct thread *t)
{
	return t->in_kernel || !t->proc;
}

/* Charges t's time since its mark to user or system time. Interrupts
 * off; t is the running thread. */
static void charge(struct thread *t, uint64_t now)
{
	uint64_t ran = now - t->cpu_mark;

	if (in_system_time(t)) {
		t->sys_tsc += ran;
		if (t != this_rq()->idle)
			total_sys_tsc += ran;
	} else {
		t->user_tsc += ran;
		total_user_tsc += ran;
	}
	t->cpu_mark = now;
}

void sched_cpu_totals(uint64_t *user_ns, uint64_t *sys_ns)
{
	uint64_t flags = irq_save();

	charge(this_rq()->current, rdtsc()); /* bring the running thread's part in */
	*user_ns = time_tsc_to_ns(total_user_tsc);
	*sys_ns = time_tsc_to_ns(total_sys_tsc);
	irq_restore(flags);
}

void thread_set_in_kernel(bool in_kernel)
{
	struct thread *t = this_rq()->current;

	charge(t, rdtsc());
	t->in_kernel = in_kernel;
}

void thread_cpu_time(const struct thread *t, uint64_t *user_ns, uint64_t *sys_ns)
{
	struct runqueue *rq = this_rq();
	uint64_t flags = irq_save(), user, sys;

	spin_lock_raw(&rq->lock);
	user = t->user_tsc;
	sys = t->sys_tsc;
	if (t == rq->current) { /* the part since the mark, not yet charged */
		if (in_system_time(t))
			sys += rdtsc() - t->cpu_mark;
		else
			user += rdtsc() - t->cpu_mark;
	}
	spin_unlock_raw(&rq->lock);
	irq_restore(flags);
	*user_ns = time_tsc_to_ns(user);
	*sys_ns = time_tsc_to_ns(sys);
}

uint64_t sched_idle_ns(void)
{
	uint64_t user, sys;

	thread_cpu_time(this_rq()->idle, &user, &sys);
	return user + sys;
}

/* Picks the next thread and switches to it. rq->lock held, interrupts off;
 * returns with both still so, possibly much later. */
static void schedule_locked(struct runqueue *rq)
{
	struct thread *prev = rq->current, *next = rq->idle;
	struct list_node *n;
	uint64_t now = rdtsc();

	uint64_t now_ns = time_since_boot_ns();

	charge(prev, now);
	load_advance(rq, now_ns);
	rq->need_resched = false;
	if (prev->state == THREAD_RUNNING && prev != rq->idle) {
		prev->state = THREAD_READY;
		list_push_back(&rq->ready, &prev->run_node);
	}
	n = list_first(&rq->ready);
	if (n) {
		list_remove(n);
		next = list_entry(n, struct thread, run_node);
	}
	next->state = THREAD_RUNNING;
	next->cpu_mark = now;
	rq->slice_start_ns = now_ns;
	if (next == prev)
		return;
	next->on_cpu = true;
	next->switches++;
	rq->switches++;
	rq->current = next;
	rq->last = prev;
	this_cpu()->tss.rsp[0] = next->stack->top_va; /* interrupts from user mode */
	this_cpu()->syscall_rsp = next->stack->top_va; /* syscall_entry */
	if (next->fs_base != prev->fs_base)
		wrmsr(MSR_FS_BASE, next->fs_base);
	if (next->cr3 != prev->cr3) /* 0: the kernel's tables */
		write_cr3(next->cr3 ? next->cr3 : vmm_kernel_root());
	fpu_save(&prev->fpu);
	fpu_restore(&next->fpu);
	context_switch(&prev->saved_rsp, next->saved_rsp);
	finish_switch(rq); /* we are back, holding the lock our predecessor took */
}

/* Runs the scheduler if `force` or a reschedule is pending. */
static void reschedule(bool force)
{
	struct runqueue *rq = this_rq();
	uint64_t flags = irq_save();

	spin_lock_raw(&rq->lock);
	if (force || rq->need_resched)
		schedule_locked(rq);
	spin_unlock_raw(&rq->lock);
	timer_rearm();
	irq_restore(flags);
}

void sched_yield(void)
{
	reschedule(true);
}

void sched_block(void)
{
	struct runqueue *rq = this_rq();
	struct thread *self = rq->current;
	uint64_t flags = irq_save();

	spin_lock_raw(&rq->lock);
	if (self->state == THREAD_BLOCKED) {
		schedule_locked(rq);
	} else if (self->state == THREAD_READY) {
		/* Woken before it could switch away: it is still running. */
		list_remove(&self->run_node);
		self->state = THREAD_RUNNING;
	}
	spin_unlock_raw(&rq->lock);
	timer_rearm();
	irq_restore(flags);
}

void sched_preempt_point(void)
{
	if (sched_running && this_rq()->need_resched)
		reschedule(false);
}

void sched_request_resched(void)
{
	this_rq()->need_resched = true;
}

void sched_wake(struct thread *t)
{
	struct runqueue *rq = &runqueues[0]; /* the thread's CPU, once there are several */
	uint64_t flags = irq_save();
	bool woke = false;

	spin_lock_raw(&rq->lock);
	load_advance(rq, time_since_boot_ns());
	if (t->state == THREAD_BLOCKED) {
		t->state = THREAD_READY;
		list_push_back(&rq->ready, &t->run_node);
		if (rq->current == rq->idle)
			rq->need_resched = true;
		woke = true;
	}
	spin_unlock_raw(&rq->lock);
	if (woke)
		timer_rearm(); /* the running thread's slice now matters */
	irq_restore(flags);
}

bool sched_others_ready(void)
{
	return !list_empty(&this_rq()->ready);
}

uint64_t sched_slice_start_ns(void)
{
	return this_rq()->slice_start_ns;
}

uint64_t sched_switch_count(void)
{
	return this_rq()->switches;
}

/* Called from thread_entry (switch.asm) on the new thread's stack. */
void thread_start(void (*fn)(void *), void *arg)
{
	struct runqueue *rq = this_rq();

	finish_switch(rq);
	spin_unlock_raw(&rq->lock);
	timer_rearm();
	irq_enable();
	fn(arg);
	thread_exit(0);
}

static struct thread *thread_alloc(const char *name)
{
	struct thread *t = kzalloc(sizeof(*t));
	size_t n = strnlen(name, sizeof(t->name) - 1);

	memcpy(t->name, name, n);
	t->name[n] = 0;
	t->heap_index = -1;
	wait_queue_init(&t->exited, "thread-exit");
	fpu_state_init(&t->fpu);
	spin_lock(&threads_lock);
	t->tid = next_tid++;
	list_push_back(&all_threads, &t->all_node);
	thread_total++;
	spin_unlock(&threads_lock);
	return t;
}

struct thread *thread_create(const char *name, void (*fn)(void *), void *arg)
{
	struct thread *t = thread_alloc(name);
	uint64_t *sp;

	t->stack = kstack_alloc(t->name, KSTACK_PAGES);
	/* The frame context_switch pops: r15 r14 r13 r12 rbx rbp, then "returns"
	 * into thread_entry with fn in r12 and arg in r13. */
	sp = (uint64_t *)t->stack->top_va;
	*--sp = 0;                      /* alignment: rsp % 16 == 8 at thread_entry's call */
	*--sp = (uint64_t)thread_entry;
	*--sp = 0;                      /* rbp */
	*--sp = 0;                      /* rbx */
	*--sp = (uint64_t)fn;           /* r12 */
	*--sp = (uint64_t)arg;          /* r13 */
	*--sp = 0;                      /* r14 */
	*--sp = 0;                      /* r15 */
	t->saved_rsp = (uint64_t)sp;
	t->state = THREAD_BLOCKED;
	sched_wake(t);
	return t;
}

void thread_exit(int code)
{
	struct thread *self = thread_current();
	struct runqueue *rq = this_rq();

	if (self == rq->idle)
		panic("thread_exit: the idle thread cannot exit");
	irq_disable();
	self->exit_code = code;
	spin_lock_raw(&rq->lock);
	self->state = THREAD_ZOMBIE;
	spin_unlock_raw(&rq->lock);
	wake_up_all(&self->exited);
	spin_lock_raw(&rq->lock);
	schedule_locked(rq);
	panic("thread_exit: a zombie was scheduled");
}

static bool has_exited(void *arg)
{
	struct thread *t = arg;

	return t->state == THREAD_ZOMBIE && !t->on_cpu;
}

int thread_join(struct thread *t)
{
	int code;

	if (t == thread_current())
		panic("thread_join: %s joins itself", t->name);
	wait_until(&t->exited, has_exited, t);
	code = t->exit_code;
	spin_lock(&threads_lock);
	list_remove(&t->all_node);
	thread_total--;
	spin_unlock(&threads_lock);
	kstack_free(t->stack);
	kfree(t);
	return code;
}

unsigned thread_count(void)
{
	return thread_total;
}

/* Halts until an interrupt; runs whatever the interrupt made ready. */
static void idle_loop(void *unused)
{
	for (;;) {
		__asm__ volatile("sti; hlt; cli" : : : "memory");
		reschedule(false);
	}
}

void sched_init(struct kstack *stack)
{
	struct runqueue *rq = &runqueues[0];
	struct thread *self = thread_alloc("kmain"), *idle;

	rq->lock = (struct spinlock)SPINLOCK_INIT("runqueue");
	list_init(&rq->ready);
	self->stack = stack;
	self->state = THREAD_RUNNING;
	self->on_cpu = true;
	self->cpu_mark = rdtsc(); /* its CPU time counts from here */
	rq->current = self;
	idle = thread_create("idle", idle_loop, NULL);
	/* idle never waits on the ready list: it runs only when nothing else can */
	spin_lock(&rq->lock);
	list_remove(&idle->run_node);
	spin_unlock(&rq->lock);
	rq->idle = idle;
	sched_running = true;
	log_info("sched", "round robin, %llu ms slices; idle thread %u", SCHED_SLICE_NS / 1000000,
		 idle->tid);
}
