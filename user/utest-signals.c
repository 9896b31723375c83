/* Test: signal handlers, siginfo, masks, SA_* flags, restarts, stops, alarms and the signal frame. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

/*
 * Each check prints its reason to stderr and counts a failure; the cases
 * that must crash run in forked children. Covered:
 *   kill(getpid()) to an SA_SIGINFO handler: siginfo (signo, SI_USER, pid,
 *     uid), ucontext, 16-byte aligned FXSAVE pointer, stack alignment;
 *   a fault's siginfo (SEGV_MAPERR/ACCERR, si_addr) and siglongjmp out;
 *   SIGILL whose handler edits the saved rip and r12 (the mcontext layout);
 *   sigprocmask: a blocked signal stays pending and arrives on unblocking;
 *   sa_mask, SA_NODEFER, SA_RESETHAND;
 *   xmm0-15 and MXCSR preserved across a handler that clobbers them;
 *   SA_RESTART: a pipe read and wait4 restarted vs EINTR without it;
 *   sigsuspend, pause + alarm, alarm's return value, setitimer/getitimer;
 *   sigtimedwait (timeout, then a signal); SIGCHLD with CLD_EXITED/KILLED/
 *   STOPPED/CONTINUED and si_status; SIGSTOP/SIGCONT of a child;
 *   abort() (with and without a handler) ends in SIGABRT without core flag;
 *   a fault with its signal blocked or ignored kills; no room for the frame
 *   kills with SIGSEGV; stack overflow handled on a sigaltstack;
 *   a sigreturn to a non-canonical or kernel rip, or with a bad MXCSR,
 *   never harms the kernel.
 */

static const char *prog = "utest-signals";
static int failures;

#define CHECK(cond, ...)                                                   \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "%s: line %d: ", prog, __LINE__);  \
			fprintf(stderr, __VA_ARGS__);                      \
			fputc('\n', stderr);                               \
			failures++;                                        \
		}                                                          \
	} while (0)

static void set_handler(int sig, void (*fn)(int, siginfo_t *, void *), int flags,
			const sigset_t *mask)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | flags;
	if (mask)
		sa.sa_mask = *mask;
	else
		sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL))
		fprintf(stderr, "%s: sigaction(%d): %s\n", prog, sig, strerror(errno)), failures++;
}

static void set_default(int sig)
{
	signal(sig, SIG_DFL);
}

static bool blocked_now(int sig)
{
	sigset_t cur;

	sigprocmask(SIG_BLOCK, NULL, &cur);
	return sigismember(&cur, sig);
}

/* Waits for pid; returns its wait status (or -1). */
static int reap(pid_t pid)
{
	int status;
	pid_t r;

	do
		r = waitpid(pid, &status, 0);
	while (r < 0 && errno == EINTR);
	return r == pid ? status : -1;
}

/* ---- a handler and its siginfo ------------------------------------------------ */

static volatile sig_atomic_t info_calls;
static siginfo_t info_seen;
static volatile uintptr_t info_fpregs, info_frame;
static volatile bool info_uc_ok, info_self_blocked;

static void info_handler(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

	info_calls++;
	info_seen = *si;
	info_uc_ok = uc != NULL && sig == si->si_signo;
	info_fpregs = uc ? (uintptr_t)uc->uc_mcontext.fpregs : 0;
	info_frame = (uintptr_t)__builtin_frame_address(0);
	info_self_blocked = blocked_now(sig);
}

static void test_kill_self(void)
{
	set_handler(SIGUSR1, info_handler, 0, NULL);
	info_calls = 0;
	CHECK(kill(getpid(), SIGUSR1) == 0, "kill: %s", strerror(errno));
	CHECK(info_calls == 1, "SIGUSR1 handler ran %d times", info_calls);
	CHECK(info_seen.si_signo == SIGUSR1, "si_signo %d", info_seen.si_signo);
	CHECK(info_seen.si_code == SI_USER, "si_code %d, not SI_USER", info_seen.si_code);
	CHECK(info_seen.si_pid == getpid(), "si_pid %d, not %d", info_seen.si_pid, getpid());
	CHECK(info_seen.si_uid == getuid(), "si_uid %u", (unsigned)info_seen.si_uid);
	CHECK(info_uc_ok, "no ucontext, or signo differs");
	CHECK(info_fpregs && (info_fpregs & 15) == 0, "fpregs %#lx", (unsigned long)info_fpregs);
	/* rsp + 8 is 16-byte aligned at entry, so the pushed rbp is at 16n. */
	CHECK((info_frame & 15) == 0, "handler frame %#lx misaligned", (unsigned long)info_frame);
	CHECK(info_self_blocked, "the signal is not blocked inside its handler");
	CHECK(!blocked_now(SIGUSR1), "SIGUSR1 still blocked after the handler");
	set_default(SIGUSR1);
}

/* ---- faults -------------------------------------------------------------------------- */

static sigjmp_buf fault_jump;
static volatile int fault_code, fault_signo;
static void *volatile fault_addr;

static void segv_handler(int sig, siginfo_t *si, void *ctx)
{
	(void)ctx;
	fault_signo = sig;
	fault_code = si->si_code;
	fault_addr = si->si_addr;
	siglongjmp(fault_jump, 1);
}

static void test_segv_longjmp(void)
{
	char *page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	set_handler(SIGSEGV, segv_handler, 0, NULL);
	fault_signo = 0;
	if (sigsetjmp(fault_jump, 1) == 0) {
		*(volatile int *)0x1000 = 1;
		CHECK(0, "a write to 0x1000 did not fault");
	}
	CHECK(fault_signo == SIGSEGV, "fault signal %d", fault_signo);
	CHECK(fault_addr == (void *)0x1000, "si_addr %p, not 0x1000", fault_addr);
	CHECK(fault_code == SEGV_MAPERR, "si_code %d, not SEGV_MAPERR", fault_code);
	CHECK(!blocked_now(SIGSEGV), "SIGSEGV blocked after siglongjmp");

	fault_signo = 0;
	if (page != MAP_FAILED && sigsetjmp(fault_jump, 1) == 0) {
		page[8] = 1;
		CHECK(0, "a write to a read-only page did not fault");
	}
	CHECK(fault_signo == SIGSEGV, "read-only page: signal %d", fault_signo);
	CHECK(fault_addr == page + 8, "read-only page: si_addr %p, not %p", fault_addr, page + 8);
	CHECK(fault_code == SEGV_ACCERR, "read-only page: si_code %d, not SEGV_ACCERR", fault_code);
	set_default(SIGSEGV);
	munmap(page, 4096);
}

static volatile uint64_t ill_rip, ill_rbx;
static void *volatile ill_addr;
static volatile int ill_code;

/* Skips the 2-byte ud2 and changes r12 through the saved context. */
static void ill_handler(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

	(void)sig;
	ill_addr = si->si_addr;
	ill_code = si->si_code;
	ill_rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	ill_rbx = (uint64_t)uc->uc_mcontext.gregs[REG_RBX];
	uc->uc_mcontext.gregs[REG_RIP] += 2;
	uc->uc_mcontext.gregs[REG_R12] = 0x1234;
}

static void test_sigill_context(void)
{
	uint64_t r12;

	set_handler(SIGILL, ill_handler, 0, NULL);
	__asm__ volatile("mov $0x5555, %%r12\n\t"
			 "mov $0xabcdef, %%rbx\n\t"
			 "ud2\n\t"
			 "mov %%r12, %0"
			 : "=r"(r12)
			 :
			 : "r12", "rbx", "memory");
	CHECK(r12 == 0x1234, "r12 %#lx after sigreturn, not the handler's 0x1234", (unsigned long)r12);
	CHECK(ill_rbx == 0xabcdef, "saved rbx %#lx", (unsigned long)ill_rbx);
	CHECK(ill_addr == (void *)ill_rip, "si_addr %p, saved rip %#lx", ill_addr, (unsigned long)ill_rip);
	CHECK(ill_code == ILL_ILLOPN, "SIGILL si_code %d", ill_code);
	set_default(SIGILL);
}

/* ---- masks and flags ------------------------------------------------------------------ */

static volatile sig_atomic_t usr1_calls, usr2_calls;
static volatile bool usr2_self_blocked, usr2_usr1_blocked;

static void count_usr1(int sig, siginfo_t *si, void *ctx)
{
	(void)sig, (void)si, (void)ctx;
	usr1_calls++;
}

static void count_usr2(int sig, siginfo_t *si, void *ctx)
{
	(void)si, (void)ctx;
	usr2_calls++;
	usr2_self_blocked = blocked_now(sig);
	usr2_usr1_blocked = blocked_now(SIGUSR1);
}

static void test_mask(void)
{
	sigset_t set, pending;

	set_handler(SIGUSR1, count_usr1, 0, NULL);
	usr1_calls = 0;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	kill(getpid(), SIGUSR1);
	kill(getpid(), SIGUSR1); /* one instance of a standard signal */
	CHECK(usr1_calls == 0, "a blocked SIGUSR1 was delivered");
	sigpending(&pending);
	CHECK(sigismember(&pending, SIGUSR1), "sigpending lacks the blocked SIGUSR1");
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	CHECK(usr1_calls == 1, "SIGUSR1 delivered %d times on unblocking, not once", usr1_calls);
	sigpending(&pending);
	CHECK(!sigismember(&pending, SIGUSR1), "SIGUSR1 still pending after delivery");

	/* SIGKILL and SIGSTOP cannot be blocked or caught. */
	sigfillset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
	sigprocmask(SIG_SETMASK, NULL, &set);
	CHECK(!sigismember(&set, SIGKILL) && !sigismember(&set, SIGSTOP), "SIGKILL/SIGSTOP blocked");
	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
	{
		struct sigaction sa = { .sa_handler = SIG_IGN };

		CHECK(sigaction(SIGKILL, &sa, NULL) == -1 && errno == EINVAL, "SIGKILL disposition changed");
	}
	set_default(SIGUSR1);
}

static void test_flags(void)
{
	struct sigaction now;
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGUSR1);
	set_handler(SIGUSR2, count_usr2, 0, &mask);
	usr2_calls = 0;
	raise(SIGUSR2);
	CHECK(usr2_calls == 1, "SIGUSR2 handler ran %d times", usr2_calls);
	CHECK(usr2_self_blocked, "SIGUSR2 not blocked in its handler");
	CHECK(usr2_usr1_blocked, "sa_mask's SIGUSR1 not blocked in the handler");
	CHECK(!blocked_now(SIGUSR1) && !blocked_now(SIGUSR2), "mask not restored after the handler");

	set_handler(SIGUSR2, count_usr2, SA_NODEFER | SA_RESETHAND, NULL);
	raise(SIGUSR2);
	CHECK(usr2_calls == 2, "SA_NODEFER handler did not run");
	CHECK(!usr2_self_blocked, "SA_NODEFER: the signal was blocked in its handler");
	sigaction(SIGUSR2, NULL, &now);
	CHECK(now.sa_handler == SIG_DFL, "SA_RESETHAND left the handler installed");
	set_default(SIGUSR2);
}

/* ---- FPU state ------------------------------------------------------------------------ */

static volatile uint32_t handler_mxcsr;

/* Clobbers every xmm register and MXCSR. */
static void fpu_clobber(int sig, siginfo_t *si, void *ctx)
{
	uint32_t up = 0x5f80, m;
	volatile double x = 1.0;

	(void)sig, (void)si, (void)ctx;
	__asm__ volatile("stmxcsr %0" : "=m"(m));
	handler_mxcsr = m;
	__asm__ volatile("ldmxcsr %0" : : "m"(up));
	for (int i = 0; i < 10; i++)
		x = x * 3.25 + 0.5;
	__asm__ volatile("pcmpeqd %%xmm0, %%xmm0\n\t"
			 "movdqa %%xmm0, %%xmm1\n\tmovdqa %%xmm0, %%xmm2\n\tmovdqa %%xmm0, %%xmm3\n\t"
			 "movdqa %%xmm0, %%xmm4\n\tmovdqa %%xmm0, %%xmm5\n\tmovdqa %%xmm0, %%xmm6\n\t"
			 "movdqa %%xmm0, %%xmm7\n\tmovdqa %%xmm0, %%xmm8\n\tmovdqa %%xmm0, %%xmm9\n\t"
			 "movdqa %%xmm0, %%xmm10\n\tmovdqa %%xmm0, %%xmm11\n\tmovdqa %%xmm0, %%xmm12\n\t"
			 "movdqa %%xmm0, %%xmm13\n\tmovdqa %%xmm0, %%xmm14\n\tmovdqa %%xmm0, %%xmm15"
			 : : : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
			   "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
}

static void test_fpu_preserved(void)
{
	static uint8_t in[16][16] __attribute__((aligned(16))), out[16][16] __attribute__((aligned(16)));
	uint32_t mx = 0x3f80, mx_after = 0, clean = 0x1f80; /* round down, all masked */
	long nr = SYS_kill, pid = getpid(), sig = SIGUSR2;
	volatile double a = 1.0 / 3.0, b;

	for (int i = 0; i < 16; i++)
		for (int j = 0; j < 16; j++)
			in[i][j] = (uint8_t)(i * 16 + j + 1);
	set_handler(SIGUSR2, fpu_clobber, 0, NULL);
	__asm__ volatile("ldmxcsr %[mx]\n\t"
			 "movdqa 0(%[in]), %%xmm0\n\tmovdqa 16(%[in]), %%xmm1\n\t"
			 "movdqa 32(%[in]), %%xmm2\n\tmovdqa 48(%[in]), %%xmm3\n\t"
			 "movdqa 64(%[in]), %%xmm4\n\tmovdqa 80(%[in]), %%xmm5\n\t"
			 "movdqa 96(%[in]), %%xmm6\n\tmovdqa 112(%[in]), %%xmm7\n\t"
			 "movdqa 128(%[in]), %%xmm8\n\tmovdqa 144(%[in]), %%xmm9\n\t"
			 "movdqa 160(%[in]), %%xmm10\n\tmovdqa 176(%[in]), %%xmm11\n\t"
			 "movdqa 192(%[in]), %%xmm12\n\tmovdqa 208(%[in]), %%xmm13\n\t"
			 "movdqa 224(%[in]), %%xmm14\n\tmovdqa 240(%[in]), %%xmm15\n\t"
			 "syscall\n\t"
			 "movdqa %%xmm0, 0(%[out])\n\tmovdqa %%xmm1, 16(%[out])\n\t"
			 "movdqa %%xmm2, 32(%[out])\n\tmovdqa %%xmm3, 48(%[out])\n\t"
			 "movdqa %%xmm4, 64(%[out])\n\tmovdqa %%xmm5, 80(%[out])\n\t"
			 "movdqa %%xmm6, 96(%[out])\n\tmovdqa %%xmm7, 112(%[out])\n\t"
			 "movdqa %%xmm8, 128(%[out])\n\tmovdqa %%xmm9, 144(%[out])\n\t"
			 "movdqa %%xmm10, 160(%[out])\n\tmovdqa %%xmm11, 176(%[out])\n\t"
			 "movdqa %%xmm12, 192(%[out])\n\tmovdqa %%xmm13, 208(%[out])\n\t"
			 "movdqa %%xmm14, 224(%[out])\n\tmovdqa %%xmm15, 240(%[out])\n\t"
			 "stmxcsr %[mxa]\n\t"
			 "ldmxcsr %[clean]"
			 : [mxa] "=m"(mx_after), "+a"(nr)
			 : [mx] "m"(mx), [clean] "m"(clean), [in] "r"(in), [out] "r"(out), "D"(pid),
			   "S"(sig)
			 : "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5",
			   "xmm6", "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14",
			   "xmm15");
	CHECK(nr == 0, "kill returned %ld", nr);
	CHECK(memcmp(in, out, sizeof(in)) == 0, "xmm registers changed across the handler");
	CHECK(mx_after == mx, "MXCSR %#x after the handler, not %#x", mx_after, mx);
	CHECK(handler_mxcsr == 0x1f80, "the handler started with MXCSR %#x, not the clean 0x1f80",
	      handler_mxcsr);
	b = a * 3.0;
	CHECK(b > 0.99 && b < 1.01, "doubles broken after the handler");
	set_default(SIGUSR2);
}

/* ---- SA_RESTART and EINTR --------------------------------------------------------------- */

static int restart_pipe[2];
static volatile sig_atomic_t alarm_calls;
static volatile pid_t alarm_kill_pid;

static void on_alarm(int sig, siginfo_t *si, void *ctx)
{
	(void)sig, (void)ctx;
	alarm_calls++;
	info_seen = *si;
	if (restart_pipe[1] > 0)
		(void)!write(restart_pipe[1], "x", 1);
	if (alarm_kill_pid > 0)
		kill(alarm_kill_pid, SIGKILL);
}

static void arm_timer_ms(long ms)
{
	struct itimerval it = { .it_value = { ms / 1000, (ms % 1000) * 1000 } };

	if (setitimer(ITIMER_REAL, &it, NULL))
		fprintf(stderr, "%s: setitimer: %s\n", prog, strerror(errno)), failures++;
}

static void test_restart_pipe(void)
{
	char c = 0;
	ssize_t n;
	int fds[2];

	if (pipe(fds)) {
		CHECK(0, "pipe: %s", strerror(errno));
		return;
	}
	/* SA_RESTART: the handler writes a byte, the restarted read gets it. */
	restart_pipe[0] = fds[0];
	restart_pipe[1] = fds[1];
	set_handler(SIGALRM, on_alarm, SA_RESTART, NULL);
	alarm_calls = 0;
	arm_timer_ms(50);
	n = read(fds[0], &c, 1);
	CHECK(n == 1 && c == 'x', "SA_RESTART read: %zd (%s)", n, n < 0 ? strerror(errno) : "data");
	CHECK(alarm_calls == 1, "SIGALRM handler ran %d times", alarm_calls);
	CHECK(info_seen.si_signo == SIGALRM && info_seen.si_code == SI_KERNEL,
	      "SIGALRM si_code %d, not SI_KERNEL", info_seen.si_code);

	/* Without SA_RESTART the read fails with EINTR. */
	restart_pipe[1] = 0;
	set_handler(SIGALRM, on_alarm, 0, NULL);
	alarm_calls = 0;
	arm_timer_ms(50);
	n = read(fds[0], &c, 1);
	CHECK(n == -1 && errno == EINTR, "read without SA_RESTART: %zd (%s), not EINTR", n,
	      n < 0 ? strerror(errno) : "data");
	CHECK(alarm_calls == 1, "SIGALRM handler ran %d times", alarm_calls);
	close(fds[0]);
	close(fds[1]);
	set_default(SIGALRM);
}

static void test_restart_wait(void)
{
	pid_t child = fork(), r;
	int status = 0;

	if (child == 0) {
		for (;;)
			pause();
	}
	/* Without SA_RESTART wait4 fails with EINTR. */
	set_handler(SIGALRM, on_alarm, 0, NULL);
	alarm_kill_pid = 0;
	arm_timer_ms(50);
	r = waitpid(child, &status, 0);
	CHECK(r == -1 && errno == EINTR, "wait4 without SA_RESTART: %d (%s)", (int)r, strerror(errno));
	/* With SA_RESTART it goes on waiting; the handler kills the child. */
	set_handler(SIGALRM, on_alarm, SA_RESTART, NULL);
	alarm_kill_pid = child;
	arm_timer_ms(50);
	r = waitpid(child, &status, 0);
	CHECK(r == child && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	      "restarted wait4: %d status %#x", (int)r, status);
	alarm_kill_pid = 0;
	set_default(SIGALRM);
}

/* ---- sleeping for signals ------------------------------------------------------------------ */

static void test_sigsuspend(void)
{
	sigset_t block, empty;
	pid_t child;
	int r;

	set_handler(SIGUSR1, count_usr1, 0, NULL);
	usr1_calls = 0;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigemptyset(&empty);
	sigprocmask(SIG_BLOCK, &block, NULL);
	child = fork();
	if (child == 0) {
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	r = sigsuspend(&empty);
	CHECK(r == -1 && errno == EINTR, "sigsuspend returned %d (%s)", r, strerror(errno));
	CHECK(usr1_calls == 1, "SIGUSR1 handler ran %d times in sigsuspend", usr1_calls);
	CHECK(blocked_now(SIGUSR1), "sigsuspend did not put the old mask back");
	CHECK(reap(child) == 0, "sigsuspend helper child failed");
	sigprocmask(SIG_UNBLOCK, &block, NULL);
	set_default(SIGUSR1);
}

static void test_pause_alarm(void)
{
	unsigned left;
	int r;

	set_handler(SIGALRM, on_alarm, 0, NULL);
	alarm(10);
	left = alarm(0);
	CHECK(left == 10, "alarm(0) after alarm(10) returned %u", left);
	alarm_calls = 0;
	alarm(1);
	r = pause();
	CHECK(r == -1 && errno == EINTR, "pause returned %d (%s)", r, strerror(errno));
	CHECK(alarm_calls == 1, "SIGALRM handler ran %d times after pause", alarm_calls);
	CHECK(alarm(0) == 0, "an alarm was still set after it fired");

	{ /* getitimer sees what setitimer set; an interval timer reloads */
		struct itimerval it = { .it_interval = { 0, 20000 }, .it_value = { 5, 0 } }, cur;

		setitimer(ITIMER_REAL, &it, NULL);
		getitimer(ITIMER_REAL, &cur);
		CHECK(cur.it_value.tv_sec == 4 || cur.it_value.tv_sec == 5, "getitimer value %ld s",
		      (long)cur.it_value.tv_sec);
		CHECK(cur.it_interval.tv_sec == 0 && cur.it_interval.tv_usec == 20000,
		      "getitimer interval %ld.%06ld", (long)cur.it_interval.tv_sec,
		      (long)cur.it_interval.tv_usec);
		it.it_value = (struct timeval){ 0, 20000 };
		alarm_calls = 0;
		setitimer(ITIMER_REAL, &it, NULL);
		while (alarm_calls < 3)
			pause();
		memset(&it, 0, sizeof(it));
		setitimer(ITIMER_REAL, &it, NULL);
		CHECK(alarm_calls >= 3, "the interval timer fired %d times", alarm_calls);
	}
	set_default(SIGALRM);
}

static void test_sigtimedwait(void)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	sigset_t set;
	siginfo_t si;
	int r;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	r = sigtimedwait(&set, &si, &ts);
	CHECK(r == -1 && errno == EAGAIN, "sigtimedwait with nothing pending: %d (%s)", r, strerror(errno));
	kill(getpid(), SIGUSR1);
	r = sigtimedwait(&set, &si, &ts);
	CHECK(r == SIGUSR1 && si.si_signo == SIGUSR1 && si.si_code == SI_USER && si.si_pid == getpid(),
	      "sigtimedwait: %d, si_code %d", r, si.si_code);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/* ---- children: SIGCHLD, stop and continue, deaths ------------------------------------------- */

static volatile sig_atomic_t chld_calls;
static siginfo_t chld_seen;

static void on_chld(int sig, siginfo_t *si, void *ctx)
{
	(void)sig, (void)ctx;
	chld_calls++;
	chld_seen = *si;
}

/* Forks a child running fn, waits for its SIGCHLD in sigsuspend. */
static pid_t child_and_sigchld(void (*fn)(void))
{
	sigset_t block, old;
	pid_t child;

	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &old);
	chld_calls = 0;
	child = fork();
	if (child == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		fn();
		_exit(99);
	}
	while (!chld_calls)
		sigsuspend(&old);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return child;
}

static void exit_42(void)
{
	_exit(42);
}

static void die_of_sigterm(void)
{
	raise(SIGTERM);
}

static void test_sigchld(void)
{
	pid_t child;
	int status;

	set_handler(SIGCHLD, on_chld, 0, NULL);
	child = child_and_sigchld(exit_42);
	CHECK(chld_seen.si_code == CLD_EXITED && chld_seen.si_status == 42 && chld_seen.si_pid == child,
	      "SIGCHLD: si_code %d si_status %d si_pid %d (child %d)", chld_seen.si_code,
	      chld_seen.si_status, chld_seen.si_pid, child);
	status = reap(child);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 42, "exit status %#x", status);

	child = child_and_sigchld(die_of_sigterm);
	CHECK(chld_seen.si_code == CLD_KILLED && chld_seen.si_status == SIGTERM,
	      "SIGCHLD of a kill: si_code %d si_status %d", chld_seen.si_code, chld_seen.si_status);
	status = reap(child);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM && !WCOREDUMP(status),
	      "status %#x, not SIGTERM", status);
	set_default(SIGCHLD);
}

/* Waits up to 5 s for the child's next SIGCHLD (SIGCHLD blocked). */
static int next_sigchld(siginfo_t *si)
{
	struct timespec ts = { 5, 0 };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	return sigtimedwait(&set, si, &ts);
}

static void test_stop_continue(void)
{
	sigset_t set;
	siginfo_t si;
	pid_t child;
	int r, status;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, NULL);
	child = fork();
	if (child == 0) {
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		for (;;)
			pause();
	}
	kill(child, SIGSTOP);
	r = next_sigchld(&si);
	CHECK(r == SIGCHLD && si.si_code == CLD_STOPPED && si.si_status == SIGSTOP && si.si_pid == child,
	      "after SIGSTOP: %d si_code %d si_status %d", r, si.si_code, si.si_status);
	kill(child, SIGCONT);
	r = next_sigchld(&si);
	CHECK(r == SIGCHLD && si.si_code == CLD_CONTINUED && si.si_status == SIGCONT,
	      "after SIGCONT: %d si_code %d si_status %d", r, si.si_code, si.si_status);
	kill(child, SIGTERM);
	r = next_sigchld(&si);
	CHECK(r == SIGCHLD && si.si_code == CLD_KILLED && si.si_status == SIGTERM,
	      "after SIGTERM: %d si_code %d si_status %d", r, si.si_code, si.si_status);
	status = reap(child);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM, "stopped child: status %#x", status);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/* Runs fn in a child (core dumps off) and returns its wait status. */
static int run_child(void (*fn)(void))
{
	pid_t child = fork();

	if (child == 0) {
		struct rlimit no_core = { 0, 0 };

		setrlimit(RLIMIT_CORE, &no_core);
		fn();
		_exit(0);
	}
	return reap(child);
}

static int abort_pipe[2];

static void abort_handler(int sig)
{
	(void)sig;
	(void)!write(abort_pipe[1], "h", 1);
}

static void do_abort(void)
{
	abort();
}

static void do_abort_with_handler(void)
{
	signal(SIGABRT, abort_handler);
	abort();
}

static void fault_blocked(void)
{
	sigset_t set;

	set_handler(SIGSEGV, segv_handler, 0, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGSEGV);
	sigprocmask(SIG_BLOCK, &set, NULL);
	*(volatile int *)0x1000 = 1;
}

static void fault_ignored(void)
{
	signal(SIGSEGV, SIG_IGN);
	*(volatile int *)0x1000 = 1;
}

/* kill(self) with rsp pointing nowhere: the frame cannot be written. */
static void no_room_for_frame(void)
{
	long nr = SYS_kill;

	set_handler(SIGUSR1, count_usr1, 0, NULL);
	__asm__ volatile("mov %%rsp, %%r12\n\t"
			 "mov $0x1000, %%rsp\n\t"
			 "syscall\n\t"
			 "mov %%r12, %%rsp"
			 : "+a"(nr)
			 : "D"((long)getpid()), "S"((long)SIGUSR1)
			 : "rcx", "r11", "r12", "memory");
}

static volatile uint64_t bad_rip;

static void set_bad_rip(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

	(void)sig, (void)si;
	uc->uc_mcontext.gregs[REG_RIP] = (greg_t)bad_rip;
}

static void sigreturn_to(uint64_t rip)
{
	bad_rip = rip;
	set_handler(SIGUSR1, set_bad_rip, 0, NULL);
	raise(SIGUSR1);
}

static void sigreturn_noncanonical(void)
{
	sigreturn_to(0x8000000000000000ull);
}

static void sigreturn_kernel_half(void)
{
	sigreturn_to(0xffffffff80000000ull);
}

static void set_bad_mxcsr(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

	(void)sig, (void)si;
	uc->uc_mcontext.fpregs->mxcsr = 0xffffffff;
}

/* Either the kernel refuses the bad MXCSR (SIGSEGV) or sanitizes it. */
static void sigreturn_bad_mxcsr(void)
{
	uint32_t m;

	set_handler(SIGUSR1, set_bad_mxcsr, 0, NULL);
	raise(SIGUSR1);
	__asm__ volatile("stmxcsr %0" : "=m"(m));
	_exit(m & 0xffff0000u ? 3 : 0);
}

static char *altstack_base;
static const size_t altstack_size = 64 * 1024;

static void overflow_handler(int sig, siginfo_t *si, void *ctx)
{
	char here;
	stack_t cur;

	(void)si, (void)ctx;
	sigaltstack(NULL, &cur);
	_exit(sig == SIGSEGV && &here > altstack_base && &here < altstack_base + altstack_size &&
			      (cur.ss_flags & SS_ONSTACK)
		      ? 0
		      : 3);
}

static volatile int recurse_forever = 1;

static int recurse(int depth)
{
	volatile char pad[1024];

	pad[0] = (char)depth;
	return recurse_forever ? recurse(depth + 1) + pad[0] : 0;
}

static void overflow_on_altstack(void)
{
	stack_t ss = { .ss_size = altstack_size };

	altstack_base = malloc(altstack_size);
	ss.ss_sp = altstack_base;
	if (!altstack_base || sigaltstack(&ss, NULL))
		_exit(4);
	set_handler(SIGSEGV, overflow_handler, SA_ONSTACK, NULL);
	recurse(0);
	_exit(5);
}

static void test_deaths(void)
{
	char c = 0;
	int status;

	status = run_child(do_abort);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT && !WCOREDUMP(status),
	      "abort(): status %#x", status);
	if (pipe(abort_pipe) == 0) {
		status = run_child(do_abort_with_handler);
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
		      "abort() with a handler: status %#x", status);
		close(abort_pipe[1]);
		CHECK(read(abort_pipe[0], &c, 1) == 1 && c == 'h', "abort() did not run the handler");
		close(abort_pipe[0]);
	}
	status = run_child(fault_blocked);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV, "blocked SIGSEGV: status %#x", status);
	status = run_child(fault_ignored);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV, "ignored SIGSEGV: status %#x", status);
	status = run_child(no_room_for_frame);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV, "no room for a frame: status %#x",
	      status);
	status = run_child(sigreturn_noncanonical);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
	      "sigreturn to a non-canonical rip: status %#x", status);
	status = run_child(sigreturn_kernel_half);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
	      "sigreturn to a kernel rip: status %#x", status);
	status = run_child(sigreturn_bad_mxcsr);
	CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0) ||
		      (WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV),
	      "sigreturn with a bad MXCSR: status %#x", status);
	status = run_child(overflow_on_altstack);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "stack overflow on a sigaltstack: status %#x", status);
}

int main(void)
{
	test_kill_self();
	test_segv_longjmp();
	test_sigill_context();
	test_mask();
	test_flags();
	test_fpu_preserved();
	test_restart_pipe();
	test_restart_wait();
	test_sigsuspend();
	test_sigtimedwait();
	test_sigchld();
	test_stop_continue();
	test_deaths();
	test_pause_alarm();
	return failures ? 1 : 0;
}
