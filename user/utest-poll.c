/* Test: poll, ppoll, select and pselect on pipes: readiness, hang-up, timeouts, signal masks. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define UTEST_PROG "utest-poll"
#include "utest.h"

/*
 * Each check_* function covers one area; expectations are Linux's values.
 * A failed one prints "utest-poll: <area>: <what>" and the test goes on;
 * it exits 1 if any failed. Timed waits are checked loosely (a 50 ms
 * timeout must take at least 45 ms and less than 2 s), so a loaded host
 * does not make the test flaky.
 */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000 + (double)ts.tv_nsec / 1e6;
}

/* A 50 ms wait took at least 45 ms and less than 2 s. */
static void expect_about_50ms(double start, const char *what)
{
	double ms = now_ms() - start;

	if (ms < 45 || ms > 2000) {
		failures++;
		fprintf(stderr, "%s: %s: %s took %.1f ms, expected 50\n", UTEST_PROG, area, what, ms);
	}
}

static int poll1(int fd, short events, int timeout, short *revents)
{
	struct pollfd p = { .fd = fd, .events = events };
	int r = poll(&p, 1, timeout);

	*revents = p.revents;
	return r;
}

static void check_poll_pipe(void)
{
	int p[2];
	short rev;
	char c;

	area = "poll pipe";
	if (!expect_ret(pipe(p), 0, "pipe"))
		return;
	expect_ret(poll1(p[0], POLLIN, 0, &rev), 0, "empty read end, timeout 0");
	expect(rev == 0, "empty read end: no revents");
	expect_ret(poll1(p[1], POLLOUT, 0, &rev), 1, "empty pipe's write end");
	expect(rev == POLLOUT, "write end: POLLOUT");
	expect_ret(write(p[1], "x", 1), 1, "write");
	expect_ret(poll1(p[0], POLLIN | POLLOUT, 0, &rev), 1, "read end after a write");
	expect(rev == POLLIN, "read end: POLLIN only");
	expect_ret(read(p[0], &c, 1), 1, "read");
	expect_ret(poll1(p[0], POLLIN, 0, &rev), 0, "drained read end");

	/* The writer goes: POLLHUP (with POLLIN while data remains). */
	expect_ret(write(p[1], "y", 1), 1, "write");
	close(p[1]);
	expect_ret(poll1(p[0], POLLIN, 0, &rev), 1, "read end, writer closed, data left");
	expect(rev == (POLLIN | POLLHUP), "POLLIN|POLLHUP");
	expect_ret(read(p[0], &c, 1), 1, "read the rest");
	expect_ret(poll1(p[0], POLLIN, 0, &rev), 1, "read end, writer closed, empty");
	expect(rev == POLLHUP, "POLLHUP alone");
	expect_ret(poll1(p[0], 0, 0, &rev), 1, "POLLHUP is reported even if not asked");
	close(p[0]);

	/* The reader goes: POLLERR on the write end. */
	expect_ret(pipe(p), 0, "pipe");
	close(p[0]);
	expect_ret(poll1(p[1], POLLOUT, 0, &rev), 1, "write end, reader closed");
	expect(rev & POLLERR, "POLLERR");
	close(p[1]);
}

static void check_poll_special(void)
{
	struct pollfd fds[3];
	int p[2], null = open("/dev/null", O_RDWR);
	short rev;

	area = "poll special";
	expect(null >= 0, "open /dev/null");
	expect_ret(poll1(null, POLLIN | POLLOUT, 0, &rev), 1, "/dev/null");
	expect(rev == (POLLIN | POLLOUT), "/dev/null is always ready");
	close(null);
	expect_ret(pipe(p), 0, "pipe");
	close(p[1]);
	expect_ret(poll1(p[1], POLLIN, 0, &rev), 1, "a closed descriptor");
	expect(rev == POLLNVAL, "POLLNVAL");
	fds[0] = (struct pollfd){ .fd = -1, .events = POLLIN, .revents = 0x7fff };
	fds[1] = (struct pollfd){ .fd = p[0], .events = POLLIN };
	fds[2] = (struct pollfd){ .fd = -5, .events = POLLOUT };
	expect_ret(poll(fds, 3, 0), 1, "negative descriptors are skipped");
	expect(fds[0].revents == 0 && fds[2].revents == 0, "a skipped entry gets revents 0");
	expect(fds[1].revents == POLLHUP, "the pipe still hangs up");
	close(p[0]);
	expect_errno(poll((struct pollfd *)8, 1, 0), EFAULT, "bad array");
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (1u << 20))
		expect_errno(poll(NULL, rl.rlim_cur + 1, 0), EINVAL, "nfds over RLIMIT_NOFILE");
}

static void check_poll_timeouts(void)
{
	int p[2];
	short rev;
	double t;
	pid_t child;
	int status;

	area = "poll timeouts";
	if (!expect_ret(pipe(p), 0, "pipe"))
		return;
	t = now_ms();
	expect_ret(poll1(p[0], POLLIN, 50, &rev), 0, "50 ms on an empty pipe");
	expect_about_50ms(t, "poll(50)");
	t = now_ms();
	expect_ret(poll(NULL, 0, 50), 0, "poll(NULL, 0, 50) as a sleep");
	expect_about_50ms(t, "poll(NULL, 0, 50)");

	/* Woken by a write from another process; waits without a timeout. */
	child = fork();
	if (child == 0) {
		struct timespec d = { 0, 50 * 1000000 };

		nanosleep(&d, NULL);
		_exit(write(p[1], "z", 1) == 1 ? 0 : 1);
	}
	t = now_ms();
	expect_ret(poll1(p[0], POLLIN, -1, &rev), 1, "woken by a writer");
	expect(rev == POLLIN, "POLLIN after the wake-up");
	expect_about_50ms(t, "the wait for the writer");
	expect(waitpid(child, &status, 0) == child && status == 0, "the writer child");
	close(p[0]);
	close(p[1]);
}

static void check_ppoll(void)
{
	struct timespec ts = { 0, 50 * 1000000 };
	sigset_t block, before, after;
	struct pollfd fd;
	int p[2];
	double t;

	area = "ppoll";
	if (!expect_ret(pipe(p), 0, "pipe"))
		return;
	fd = (struct pollfd){ .fd = p[0], .events = POLLIN };
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_SETMASK, NULL, &before);
	t = now_ms();
	expect_ret(ppoll(&fd, 1, &ts, &block), 0, "ppoll 50 ms with a mask");
	expect_about_50ms(t, "ppoll");
	sigprocmask(SIG_SETMASK, NULL, &after);
	expect(sigismember(&after, SIGUSR1) == sigismember(&before, SIGUSR1),
	       "the caller's mask is back after ppoll");
	ts = (struct timespec){ 0, 0 };
	expect_ret(write(p[1], "a", 1), 1, "write");
	expect_ret(ppoll(&fd, 1, &ts, NULL), 1, "ppoll, zero timeout, data ready");
	expect(fd.revents == POLLIN, "ppoll POLLIN");
	ts = (struct timespec){ 0, 1000000000 };
	expect_errno(ppoll(&fd, 1, &ts, NULL), EINVAL, "tv_nsec of 10^9");
	close(p[0]);
	close(p[1]);
}

static void check_select(void)
{
	struct timeval tv;
	struct timespec ts;
	fd_set r, w;
	sigset_t block;
	int p[2], n;
	double t;

	area = "select";
	if (!expect_ret(pipe(p), 0, "pipe"))
		return;
	n = (p[0] > p[1] ? p[0] : p[1]) + 1;
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(p[0], &r);
	FD_SET(p[1], &w);
	tv = (struct timeval){ 0, 0 };
	expect_ret(select(n, &r, &w, NULL, &tv), 1, "empty pipe: only the write end");
	expect(!FD_ISSET(p[0], &r) && FD_ISSET(p[1], &w), "sets say the write end");

	expect_ret(write(p[1], "b", 1), 1, "write");
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(p[0], &r);
	FD_SET(p[1], &w);
	tv = (struct timeval){ 0, 0 };
	expect_ret(select(n, &r, &w, NULL, &tv), 2, "both ends ready");
	expect(FD_ISSET(p[0], &r) && FD_ISSET(p[1], &w), "both bits set");

	char c;
	expect_ret(read(p[0], &c, 1), 1, "read");
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	tv = (struct timeval){ 0, 50000 };
	t = now_ms();
	expect_ret(select(n, &r, NULL, NULL, &tv), 0, "50 ms timeout");
	expect_about_50ms(t, "select");
	expect(!FD_ISSET(p[0], &r), "a timed-out select clears the set");

	FD_ZERO(&r);
	FD_SET(p[0], &r);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR2);
	ts = (struct timespec){ 0, 50 * 1000000 };
	t = now_ms();
	expect_ret(pselect(n, &r, NULL, NULL, &ts, &block), 0, "pselect 50 ms with a mask");
	expect_about_50ms(t, "pselect");

	close(p[1]);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	expect_ret(select(n, &r, NULL, NULL, NULL), 1, "hang-up reads as readable");
	close(p[0]);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	tv = (struct timeval){ 0, 0 };
	expect_errno(select(n, &r, NULL, NULL, &tv), EBADF, "a closed descriptor in a set");
	tv = (struct timeval){ 0, 0 };
	expect_errno(select(-1, NULL, NULL, NULL, &tv), EINVAL, "negative nfds");
	t = now_ms();
	tv = (struct timeval){ 0, 50000 };
	expect_ret(select(0, NULL, NULL, NULL, &tv), 0, "select as a 50 ms sleep");
	expect_about_50ms(t, "select(0)");
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	check_poll_pipe();
	check_poll_special();
	check_poll_timeouts();
	check_ppoll();
	check_select();
	return failures ? 1 : 0;
}
