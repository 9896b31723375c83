/* System calls about time, randomness and the system: clocks, sleeps, uname, sysinfo. */
#include "arch/x86_64/time.h"
#include "dev/random.h"
#include "dev/rtc.h"
#include "lib/errno.h"
#include "log.h"
#include "mm/kmalloc.h"
#include "lib/string.h"
#include "mm/pmm.h"
#include "proc/process.h"
#include "proc/signal.h"
#include "proc/syscall.h"
#include "proc/uaccess.h"
#include "sched/sched.h"
#include "sched/spinlock.h"
#include "sched/timer.h"

struct timespec64 {
	int64_t sec, nsec;
};

enum { CLOCK_REALTIME = 0, CLOCK_MONOTONIC = 1, CLOCK_PROCESS_CPUTIME_ID = 2,
       CLOCK_THREAD_CPUTIME_ID = 3, CLOCK_MONOTONIC_RAW = 4, CLOCK_REALTIME_COARSE = 5,
       CLOCK_MONOTONIC_COARSE = 6, CLOCK_BOOTTIME = 7, TIMER_ABSTIME = 1 };

/* The value of a clock, or -EINVAL for one this kernel does not have. */
static int clock_read(uint64_t id, struct timespec64 *ts)
{
	uint64_t ns;

	switch (id) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_COARSE: {
		struct vtime t = rtc_now();

		ts->sec = t.sec;
		ts->nsec = t.nsec;
		return 0;
	}
	case CLOCK_MONOTONIC:
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_MONOTONIC_COARSE:
	case CLOCK_BOOTTIME:
		ns = time_since_boot_ns();
		ts->sec = (int64_t)(ns / 1000000000);
		ts->nsec = (int64_t)(ns % 1000000000);
		return 0;
	case CLOCK_PROCESS_CPUTIME_ID: /* one thread per process: the same */
	case CLOCK_THREAD_CPUTIME_ID: {
		uint64_t user, sys;

		proc_cpu_time(proc_current(), false, &user, &sys);
		ts->sec = (int64_t)((user + sys) / 1000000000);
		ts->nsec = (int64_t)((user + sys) % 1000000000);
		return 0;
	}
	default:
		return -EINVAL;
	}
}

SYSCALL(228, clock_gettime)
{
	struct timespec64 ts;
	int err = clock_read(a0, &ts);

	return err ? err : copy_to_user((void *)a1, &ts, sizeof(ts));
}

SYSCALL(229, clock_getres)
{
	struct timespec64 ts, res = { 0, 1 };
	int err = clock_read(a0, &ts);

	if (err)
		return err;
	return a1 ? copy_to_user((void *)a1, &res, sizeof(res)) : 0;
}

SYSCALL(96, gettimeofday)
{
	struct timespec64 ts;
	struct { int64_t sec, usec; } tv;

	clock_read(CLOCK_REALTIME, &ts);
	tv.sec = ts.sec;
	tv.usec = ts.nsec / 1000;
	if (a0 && copy_to_user((void *)a0, &tv, sizeof(tv)))
		return -EFAULT;
	if (a1) { /* struct timezone: UTC */
		static const int32_t tz[2];

		if (copy_to_user((void *)a1, tz, sizeof(tz)))
			return -EFAULT;
	}
	return 0;
}

SYSCALL(201, time)
{
	int64_t t = rtc_now().sec;

	if (a0 && copy_to_user((void *)a0, &t, sizeof(t)))
		return -EFAULT;
	return t;
}

/* Sleeps until the monotonic deadline; -EINTR if a signal comes first. */
static long sleep_until(uint64_t deadline)
{
	return signal_sleep_until(deadline);
}

static long read_timespec(uint64_t uptr, uint64_t *ns)
{
	struct timespec64 ts;

	if (copy_from_user(&ts, (const void *)uptr, sizeof(ts)))
		return -EFAULT;
	if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= 1000000000)
		return -EINVAL;
	*ns = ts.sec > 100000000000ll ? UINT64_MAX / 2 : (uint64_t)ts.sec * 1000000000 + (uint64_t)ts.nsec;
	return 0;
}

SYSCALL(35, nanosleep)
{
	uint64_t ns;
	long err = read_timespec(a0, &ns);

	return err ? err : sleep_until(time_since_boot_ns() + ns);
}

SYSCALL(230, clock_nanosleep)
{
	struct timespec64 now;
	uint64_t ns, deadline;
	long err = clock_read(a0, &now);

	if (!err)
		err = read_timespec(a2, &ns);
	if (err)
		return err;
	deadline = time_since_boot_ns() + ns;
	if (a1 & TIMER_ABSTIME) { /* convert the absolute time on clock a0 */
		uint64_t clock_now = (uint64_t)now.sec * 1000000000 + (uint64_t)now.nsec;

		deadline = ns <= clock_now ? 0 : time_since_boot_ns() + (ns - clock_now);
	}
	return sleep_until(deadline);
}

SYSCALL(24, sched_yield)
{
	sched_yield();
	return 0;
}

SYSCALL(318, getrandom)
{
	uint8_t chunk[256];
	uint64_t done = 0, n = a1 > 0x1ffffff ? 0x1ffffff : a1;

	if (a2 & ~7ull) /* GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE */
		return -EINVAL;
	while (done < n) {
		uint64_t k = n - done < sizeof(chunk) ? n - done : sizeof(chunk);

		random_get_bytes(chunk, k);
		if (copy_to_user((uint8_t *)a0 + done, chunk, k))
			return done ? (long)done : -EFAULT;
		done += k;
	}
	return (long)done;
}

/* The host and domain names (sethostname, setdomainname); uts_lock. */
static struct spinlock uts_lock = SPINLOCK_INIT("uts");
static char hostname[65] = "kernel", domainname[65] = "(none)";

static long set_uts_name(char *dst, uint64_t uname_ptr, uint64_t len)
{
	char buf[65];

	if (proc_current()->cred.euid != 0)
		return -EPERM;
	if (len > 64)
		return -EINVAL;
	if (copy_from_user(buf, (const void *)uname_ptr, len))
		return -EFAULT;
	buf[len] = 0;
	spin_lock(&uts_lock);
	memcpy(dst, buf, len + 1);
	spin_unlock(&uts_lock);
	return 0;
}

SYSCALL(170, sethostname)
{
	return set_uts_name(hostname, a0, a1);
}

SYSCALL(171, setdomainname)
{
	return set_uts_name(domainname, a0, a1);
}

/* struct utsname: six 65-byte fields. glibc refuses to start on a kernel
 * "too old", so the release looks like a recent Linux. */
SYSCALL(63, uname)
{
	char u[6][65];

	memset(u, 0, sizeof(u));
	memcpy(u[0], "Linux", 5);
	spin_lock(&uts_lock);
	memcpy(u[1], hostname, sizeof(hostname));
	memcpy(u[5], domainname, sizeof(domainname));
	spin_unlock(&uts_lock);
	memcpy(u[2], "6.1.0-kernel", 12);
	memcpy(u[3], "#1 SMP", 6);
	memcpy(u[4], "x86_64", 6);
	return copy_to_user((void *)a0, u, sizeof(u));
}

/* times(): CPU time in clock ticks (USER_HZ, 100 a second, as on x86_64
 * Linux); returns the ticks since boot. */
SYSCALL(100, times)
{
	struct process *p = proc_current();
	int64_t tms[4];
	uint64_t user, sys;

	proc_cpu_time(p, false, &user, &sys);
	tms[0] = (int64_t)(user / 10000000);
	tms[1] = (int64_t)(sys / 10000000);
	proc_cpu_time(p, true, &user, &sys);
	tms[2] = (int64_t)(user / 10000000);
	tms[3] = (int64_t)(sys / 10000000);
	if (a0 && copy_to_user((void *)a0, tms, sizeof(tms)))
		return -EFAULT;
	return (long)(time_since_boot_ns() / 10000000);
}

SYSCALL(98, getrusage)
{
	struct proc_rusage ru;
	int who = (int)a0;

	if (who != 0 /* SELF */ && who != 1 /* THREAD */ && who != -1 /* CHILDREN */)
		return -EINVAL;
	proc_rusage(proc_current(), who == -1 ? PROC_RUSAGE_CHILDREN : PROC_RUSAGE_SELF, &ru);
	return copy_to_user((void *)a1, &ru, sizeof(ru));
}

struct count_ctx {
	uint16_t procs;
};

static void count_proc(struct process *p, void *ctx)
{
	((struct count_ctx *)ctx)->procs++;
}

SYSCALL(99, sysinfo)
{
	struct {
		int64_t uptime;
		uint64_t loads[3], totalram, freeram, sharedram, bufferram, totalswap, freeswap;
		uint16_t procs, pad;
		uint32_t pad2;
		uint64_t totalhigh, freehigh;
		uint32_t mem_unit;
		char reserved[4];
	} info;
	struct pmm_stats st;
	struct count_ctx c = { 0 };
	unsigned running, threads;

	_Static_assert(sizeof(info) == 112, "struct sysinfo layout");
	memset(&info, 0, sizeof(info));
	pmm_get_stats(&st);
	proc_for_each(count_proc, &c);
	info.uptime = (int64_t)(time_since_boot_ns() / 1000000000);
	sched_loadavg(info.loads, &running, &threads);
	for (int i = 0; i < 3; i++)
		info.loads[i] <<= 16 - 11; /* SI_LOAD_SHIFT from the scheduler's 11 bits */
	info.totalram = st.managed * 4096;
	info.freeram = st.free * 4096;
	info.procs = c.procs;
	info.mem_unit = 1;
	return copy_to_user((void *)a0, &info, sizeof(info));
}

/*
 * syslog (klogctl): the kernel message ring, as dmesg and klogd use it.
 * Reading everything (3) and the ring's size (10) are open to everyone (as
 * with Linux's dmesg_restrict=0); the rest needs root. The consuming read
 * (2) waits for new lines by checking every 100 ms: kernel code logs from
 * places that cannot wake a sleeper (interrupts off, scheduler locks held).
 */
enum {
	SYSLOG_CLOSE, SYSLOG_OPEN, SYSLOG_READ, SYSLOG_READ_ALL, SYSLOG_READ_CLEAR, SYSLOG_CLEAR,
	SYSLOG_CONSOLE_OFF, SYSLOG_CONSOLE_ON, SYSLOG_CONSOLE_LEVEL, SYSLOG_SIZE_UNREAD,
	SYSLOG_SIZE_BUFFER,
};

static long syslog_read(int type, uint64_t ubuf, int64_t len)
{
	size_t max, n;
	char *buf;
	long err;

	if (!ubuf || len < 0)
		return -EINVAL;
	if (len == 0)
		return 0;
	max = (uint64_t)len < kmsg_size() ? (size_t)len : kmsg_size();
	while (type == SYSLOG_READ && !kmsg_unread())
		if ((err = signal_sleep_until(time_since_boot_ns() + 100000000)))
			return err;
	buf = kmalloc(max);
	n = kmsg_read(buf, max, type == SYSLOG_READ ? KMSG_CONSUME :
				type == SYSLOG_READ_CLEAR ? KMSG_READ_CLEAR : KMSG_READ_ALL);
	err = copy_to_user((void *)ubuf, buf, n);
	kfree(buf);
	return err ? err : (long)n;
}

SYSCALL(103, syslog)
{
	int type = (int)a0;

	if (type != SYSLOG_READ_ALL && type != SYSLOG_SIZE_BUFFER && type != SYSLOG_OPEN &&
	    type != SYSLOG_CLOSE && proc_current()->cred.euid != 0)
		return -EPERM;
	switch (type) {
	case SYSLOG_CLOSE:
	case SYSLOG_OPEN:
		return 0;
	case SYSLOG_READ:
	case SYSLOG_READ_ALL:
	case SYSLOG_READ_CLEAR:
		return syslog_read(type, a1, (int64_t)(int32_t)a2);
	case SYSLOG_CLEAR:
		kmsg_clear();
		return 0;
	case SYSLOG_CONSOLE_OFF:
		kmsg_console_level(KMSG_CONSOLE_OFF);
		return 0;
	case SYSLOG_CONSOLE_ON:
		kmsg_console_level(KMSG_CONSOLE_ON);
		return 0;
	case SYSLOG_CONSOLE_LEVEL:
		if ((int)a2 < 1 || (int)a2 > 8)
			return -EINVAL;
		kmsg_console_level((int)a2);
		return 0;
	case SYSLOG_SIZE_UNREAD:
		return (long)kmsg_unread();
	case SYSLOG_SIZE_BUFFER:
		return (long)kmsg_size();
	}
	return -EINVAL;
}
