/* System calls about signals: dispositions, masks, sigreturn, waiting, alarms. */
#include "arch/x86_64/time.h"
#include "arch/x86_64/trap.h"
#include "lib/errno.h"
#include "proc/process.h"
#include "proc/signal.h"
#include "proc/syscall.h"
#include "proc/uaccess.h"
#include "sched/spinlock.h"
#include "sched/thread.h"
#include "sched/wait.h"

#define SIGSET_SIZE 8 /* the kernel's sigset_t: 64 signals */
#define UNBLOCKABLE (SIG_BIT(SIGKILL) | SIG_BIT(SIGSTOP))
#define NS_PER_SEC  1000000000ull
#define NS_PER_USEC 1000ull

SYSCALL(13, rt_sigaction)
{
	struct process *p = proc_current();
	struct k_sigaction act, old;
	int sig = (int)a0;

	if (sig <= 0 || sig >= NSIG || a3 != SIGSET_SIZE)
		return -EINVAL;
	if (a1 && (sig == SIGKILL || sig == SIGSTOP))
		return -EINVAL;
	if (a1 && copy_from_user(&act, (const void *)a1, sizeof(act)))
		return -EFAULT;
	old = signal_get_action(p, sig);
	if (a2 && copy_to_user((void *)a2, &old, sizeof(old)))
		return -EFAULT;
	if (a1)
		signal_set_action(p, sig, &act);
	return 0;
}

SYSCALL(14, rt_sigprocmask)
{
	enum { SIG_BLOCK = 0, SIG_UNBLOCK = 1, SIG_SETMASK = 2 };
	struct process *p = proc_current();
	uint64_t set, old = p->sigmask;

	if (a3 != SIGSET_SIZE)
		return -EINVAL;
	if (a1) {
		if (copy_from_user(&set, (const void *)a1, sizeof(set)))
			return -EFAULT;
		switch (a0) {
		case SIG_BLOCK: set |= old; break;
		case SIG_UNBLOCK: set = old & ~set; break;
		case SIG_SETMASK: break;
		default: return -EINVAL;
		}
	}
	if (a2 && copy_to_user((void *)a2, &old, sizeof(old)))
		return -EFAULT;
	if (a1)
		signal_set_mask(p, set); /* a signal it unblocks is delivered on the way out */
	return 0;
}

/* Called by the handler's sa_restorer (`mov $15, %eax; syscall`). */
SYSCALL(15, rt_sigreturn)
{
	return signal_sigreturn(tf);
}

SYSCALL(127, rt_sigpending)
{
	uint64_t set = signal_blocked_pending(proc_current());

	if (a1 > SIGSET_SIZE)
		return -EINVAL;
	return copy_to_user((void *)a0, &set, a1);
}

/* Sleeps until a signal is delivered: -EINTR, never restarted after a
 * handler. The old mask comes back with the handler's sigreturn. */
SYSCALL(130, rt_sigsuspend)
{
	struct process *p = proc_current();
	uint64_t mask;

	if (a1 != SIGSET_SIZE)
		return -EINVAL;
	if (copy_from_user(&mask, (const void *)a0, sizeof(mask)))
		return -EFAULT;
	signal_suspend_mask(p, mask);
	while (!signal_pending(p))
		signal_wait(p, 0, UINT64_MAX);
	return -EINTR;
}

SYSCALL(34, pause)
{
	struct process *p = proc_current();

	while (!signal_pending(p))
		signal_wait(p, 0, UINT64_MAX);
	return -EINTR;
}

SYSCALL(131, sigaltstack)
{
	struct process *p = proc_current();
	struct signal_stack new_ss, old_ss;
	int err;

	if (a0 && copy_from_user(&new_ss, (const void *)a0, sizeof(new_ss)))
		return -EFAULT;
	err = signal_altstack(p, tf->rsp, a0 ? &new_ss : NULL, &old_ss);
	if (err)
		return err;
	return a1 ? copy_to_user((void *)a1, &old_ss, sizeof(old_ss)) : 0;
}

struct timespec64 {
	int64_t sec, nsec;
};

/* rt_sigtimedwait(set, info, timeout, sigsetsize): takes a pending signal
 * of set (normally blocked), waiting for one up to timeout (NULL: no
 * limit). The signal number, -EAGAIN on timeout, -EINTR if another
 * signal came. */
SYSCALL(128, rt_sigtimedwait)
{
	struct process *p = proc_current();
	uint64_t set, deadline = UINT64_MAX;
	struct signal_info info;
	int sig;

	if (a3 != SIGSET_SIZE)
		return -EINVAL;
	if (copy_from_user(&set, (const void *)a0, sizeof(set)))
		return -EFAULT;
	set &= ~UNBLOCKABLE;
	if (a2) {
		struct timespec64 ts;

		if (copy_from_user(&ts, (const void *)a2, sizeof(ts)))
			return -EFAULT;
		if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= (int64_t)NS_PER_SEC)
			return -EINVAL;
		deadline = ts.sec > 100000000000ll ? UINT64_MAX - 1
						  : time_since_boot_ns() + (uint64_t)ts.sec * NS_PER_SEC +
							    (uint64_t)ts.nsec;
	}
	for (;;) {
		sig = signal_dequeue(p, set, &info);
		if (sig) {
			if (a1 && signal_copy_siginfo((void *)a1, sig, &info))
				return -EFAULT;
			return sig;
		}
		if (signal_pending(p))
			return -EINTR;
		if (deadline != UINT64_MAX && time_since_boot_ns() >= deadline)
			return -EAGAIN;
		signal_wait(p, set, deadline);
	}
}

/* ---- ITIMER_REAL and alarm ------------------------------------------------------------ */

/*
 * One kernel thread, started by the first alarm, sleeps until the
 * earliest ITIMER_REAL deadline of all processes and sends SIGALRM
 * (SI_KERNEL). itimer_lock protects every process's itimer_real_ns and
 * itimer_real_interval_ns; lock order: proc_lock, then itimer_lock. A
 * change bumps itimer_generation and wakes the thread to re-scan.
 */
static struct spinlock itimer_lock = SPINLOCK_INIT("itimer");
static struct wait_queue itimer_wq = WAIT_QUEUE_INIT(itimer_wq, "itimer");
static uint64_t itimer_generation;
static bool itimer_started;

struct itimer_scan {
	uint64_t now, next;
};

/* proc_for_each callback (proc_lock held): fires p's timer if due and
 * records the earliest deadline still set. */
static void itimer_check(struct process *p, void *ctx)
{
	struct itimer_scan *s = ctx;
	struct signal_info info = { .code = SI_KERNEL };
	bool fire = false;

	if (p->state != PROC_ALIVE)
		return;
	spin_lock(&itimer_lock);
	if (p->itimer_real_ns && p->itimer_real_ns <= s->now) {
		fire = true;
		p->itimer_real_ns = 0;
		if (p->itimer_real_interval_ns)
			p->itimer_real_ns = s->now + p->itimer_real_interval_ns;
	}
	if (p->itimer_real_ns && p->itimer_real_ns < s->next)
		s->next = p->itimer_real_ns;
	spin_unlock(&itimer_lock);
	if (fire)
		signal_send_info(p, SIGALRM, &info);
}

static bool itimer_changed(void *arg)
{
	return __atomic_load_n(&itimer_generation, __ATOMIC_ACQUIRE) != *(uint64_t *)arg;
}

static void itimer_thread(void *arg)
{
	for (;;) {
		uint64_t gen = __atomic_load_n(&itimer_generation, __ATOMIC_ACQUIRE);
		struct itimer_scan s = { time_since_boot_ns(), UINT64_MAX };

		proc_for_each(itimer_check, &s);
		if (s.next == UINT64_MAX)
			wait_until(&itimer_wq, itimer_changed, &gen);
		else
			wait_until_deadline(&itimer_wq, itimer_changed, &gen, s.next);
	}
}

/* Sets p's ITIMER_REAL (value_ns 0: off) and returns the old setting. */
static void itimer_set(struct process *p, uint64_t value_ns, uint64_t interval_ns,
		       uint64_t *old_value_ns, uint64_t *old_interval_ns)
{
	uint64_t now = time_since_boot_ns();

	spin_lock(&itimer_lock);
	*old_value_ns = p->itimer_real_ns > now ? p->itimer_real_ns - now : p->itimer_real_ns ? 1 : 0;
	*old_interval_ns = p->itimer_real_interval_ns;
	p->itimer_real_ns = value_ns ? now + value_ns : 0;
	p->itimer_real_interval_ns = value_ns ? interval_ns : 0;
	spin_unlock(&itimer_lock);
	__atomic_add_fetch(&itimer_generation, 1, __ATOMIC_RELEASE);
	if (value_ns && !__atomic_exchange_n(&itimer_started, true, __ATOMIC_ACQ_REL))
		thread_create("itimer", itimer_thread, NULL);
	wake_up_all(&itimer_wq);
}

static void itimer_get(struct process *p, uint64_t *value_ns, uint64_t *interval_ns)
{
	uint64_t now = time_since_boot_ns();

	spin_lock(&itimer_lock);
	*value_ns = p->itimer_real_ns > now ? p->itimer_real_ns - now : p->itimer_real_ns ? 1 : 0;
	*interval_ns = p->itimer_real_interval_ns;
	spin_unlock(&itimer_lock);
}

/* alarm(seconds): the seconds left of the previous alarm, rounded. */
SYSCALL(37, alarm)
{
	uint64_t secs = (uint32_t)a0, old, old_interval;

	uint64_t old_secs, old_usecs;

	itimer_set(proc_current(), secs * NS_PER_SEC, 0, &old, &old_interval);
	old_secs = old / NS_PER_SEC;
	old_usecs = old % NS_PER_SEC / NS_PER_USEC;
	if ((!old_secs && old_usecs) || old_usecs >= 500000) /* Linux's rounding */
		old_secs++;
	return (long)old_secs;
}

struct itimerval64 {
	int64_t interval_sec, interval_usec;
	int64_t value_sec, value_usec;
};

enum { ITIMER_REAL = 0 };

static void to_timeval(uint64_t ns, int64_t *sec, int64_t *usec)
{
	*sec = (int64_t)(ns / NS_PER_SEC);
	*usec = (int64_t)((ns % NS_PER_SEC + NS_PER_USEC - 1) / NS_PER_USEC);
	if (*usec == 1000000) {
		++*sec;
		*usec = 0;
	}
}

static int from_timeval(int64_t sec, int64_t usec, uint64_t *ns)
{
	if (sec < 0 || usec < 0 || usec >= 1000000)
		return -EINVAL;
	*ns = sec > 100000000000ll ? UINT64_MAX / 4 : (uint64_t)sec * NS_PER_SEC + (uint64_t)usec * NS_PER_USEC;
	return 0;
}

/* Only ITIMER_REAL: ITIMER_VIRTUAL/PROF need CPU-time accounting. */
SYSCALL(38, setitimer)
{
	struct itimerval64 it = { 0 }, old;
	uint64_t value, interval, old_value, old_interval;

	if (a0 != ITIMER_REAL)
		return -EINVAL;
	if (a1 && copy_from_user(&it, (const void *)a1, sizeof(it)))
		return -EFAULT;
	if (from_timeval(it.value_sec, it.value_usec, &value) ||
	    from_timeval(it.interval_sec, it.interval_usec, &interval))
		return -EINVAL;
	itimer_set(proc_current(), value, interval, &old_value, &old_interval);
	to_timeval(old_value, &old.value_sec, &old.value_usec);
	to_timeval(old_interval, &old.interval_sec, &old.interval_usec);
	return a2 ? copy_to_user((void *)a2, &old, sizeof(old)) : 0;
}

SYSCALL(36, getitimer)
{
	struct itimerval64 cur;
	uint64_t value, interval;

	if (a0 != ITIMER_REAL)
		return -EINVAL;
	itimer_get(proc_current(), &value, &interval);
	to_timeval(value, &cur.value_sec, &cur.value_usec);
	to_timeval(interval, &cur.interval_sec, &cur.interval_usec);
	return copy_to_user((void *)a1, &cur, sizeof(cur));
}
