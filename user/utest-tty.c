/* Test: the terminal on fd 0: termios round trips, raw reads, window size, process groups, line editing. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define UTEST_PROG "utest-tty"
#include "utest.h"

/*
 * Runs only if fd 0 is a terminal (on Linux under a test harness it
 * usually is not: the test then passes without checking anything).
 *
 * In the process itself: TCGETS/TCSETS round trips, a raw read with VMIN 0
 * (and VTIME 1), TIOCGWINSZ, FIONREAD; if the terminal is our controlling
 * one, TIOCGPGRP/TIOCSPGRP/TIOCGSID (the foreground group is moved to us
 * and back, with SIGTTOU ignored). Everything changed is restored.
 *
 * In a child that calls setsid() and TIOCSCTTY (arg 0, no stealing): the
 * child owns the terminal only if no session did (our kernel's console
 * under the test runner). Then it checks the session and group ioctls and
 * the line discipline with input pushed by TIOCSTI (echo off): erase, kill,
 * EOF, ^C flushing the line (SIGINT ignored), ICRNL, raw mode, poll and
 * FIONREAD; it gives the terminal up with TIOCNOTTY. On a terminal
 * another session owns (a developer's shell), TIOCSCTTY fails with EPERM
 * and the child reports "skipped" by exiting 77.
 */

#define SKIPPED 77

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000 + (double)ts.tv_nsec / 1e6;
}

static bool same_termios(const struct termios *a, const struct termios *b)
{
	return a->c_iflag == b->c_iflag && a->c_oflag == b->c_oflag &&
	       a->c_lflag == b->c_lflag && memcmp(a->c_cc, b->c_cc, 17) == 0;
}

static void check_termios(const struct termios *orig)
{
	struct termios t = *orig, back;

	area = "termios";
	t.c_lflag ^= ECHOK;
	expect_ok(tcsetattr(0, TCSANOW, &t), "TCSETS");
	expect_ok(tcgetattr(0, &back), "TCGETS");
	expect((back.c_lflag & ECHOK) == (t.c_lflag & ECHOK), "a changed flag reads back");
	expect_ok(tcsetattr(0, TCSADRAIN, orig), "TCSETSW back to the original");
	expect_ok(tcgetattr(0, &back), "TCGETS");
	expect(same_termios(&back, orig), "the original reads back");
}

/* Raw reads that must not wait for input (unless someone types). */
static void check_raw_read(const struct termios *orig)
{
	struct termios t = *orig;
	char buf[16];
	double start;
	ssize_t n;

	area = "raw read";
	t.c_lflag &= ~(ICANON | ECHO);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	expect_ok(tcsetattr(0, TCSANOW, &t), "raw, VMIN 0 VTIME 0");
	start = now_ms();
	n = read(0, buf, sizeof(buf));
	expect_ok(n, "read returns at once");
	expect(now_ms() - start < 1000, "VMIN 0 VTIME 0 does not wait");
	t.c_cc[VTIME] = 1;
	expect_ok(tcsetattr(0, TCSANOW, &t), "raw, VMIN 0 VTIME 1");
	start = now_ms();
	n = read(0, buf, sizeof(buf));
	expect_ok(n, "read with VTIME");
	expect(n > 0 || now_ms() - start >= 90, "VTIME 1 waits 100 ms for nothing");
	expect(now_ms() - start < 2000, "VTIME 1 does not wait for long");
	expect_ok(tcsetattr(0, TCSANOW, orig), "back to the original");
}

static void check_sizes(void)
{
	struct winsize ws;
	int n = -1;

	area = "ioctls";
	expect_ok(ioctl(0, TIOCGWINSZ, &ws), "TIOCGWINSZ");
	expect_ok(ioctl(0, FIONREAD, &n), "FIONREAD");
	expect(n >= 0, "FIONREAD is a count");
}

/* Moves the foreground to our group and back. Returns whether we were
 * able to (the terminal is our controlling one). */
static bool check_foreground(void)
{
	pid_t fg = tcgetpgrp(0);

	area = "process groups";
	if (fg < 0) {
		expect(errno == ENOTTY, "TIOCGPGRP on a terminal that is not ours: ENOTTY");
		return false;
	}
	expect(tcgetsid(0) == getsid(0), "TIOCGSID is our session");
	expect_ok(tcsetpgrp(0, getpgrp()), "TIOCSPGRP to our group");
	expect(tcgetpgrp(0) == getpgrp(), "TIOCGPGRP == getpgrp()");
	expect_ok(tcsetpgrp(0, fg), "TIOCSPGRP back");
	expect(tcgetpgrp(0) == fg, "the foreground group is back");
	return true;
}

/* Pushes s into the terminal's input as if typed. */
static bool type(const char *s)
{
	for (; *s; s++)
		if (ioctl(0, TIOCSTI, s) != 0)
			return false;
	return true;
}

/* Types `in`, then expects one read(0) to return `out` (length n). */
static void expect_line(const char *in, const char *out, ssize_t n, const char *what)
{
	char buf[64] = { 0 };
	ssize_t got;

	if (!expect(type(in), "TIOCSTI"))
		return;
	got = read(0, buf, sizeof(buf));
	if (got != n || memcmp(buf, out, (size_t)n) != 0) {
		failures++;
		fprintf(stderr, "%s: %s: %s: read %zd bytes \"%.*s\"\n", UTEST_PROG, area, what, got,
			got > 0 ? (int)got : 0, buf);
	}
}

static void check_line_discipline(void)
{
	struct termios orig, t;
	struct pollfd pfd = { .fd = 0, .events = POLLIN };
	int n = -1;

	area = "line discipline";
	if (!expect_ok(tcgetattr(0, &orig), "TCGETS"))
		return;
	t = orig;
	t.c_iflag |= ICRNL;
	t.c_lflag |= ICANON | ISIG | IEXTEN | ECHOE;
	t.c_lflag &= ~(ECHO | ECHONL);
	t.c_cc[VERASE] = 0x7f;
	t.c_cc[VKILL] = 0x15;
	t.c_cc[VEOF] = 0x04;
	t.c_cc[VINTR] = 0x03;
	expect_ok(tcsetattr(0, TCSAFLUSH, &t), "canonical, no echo");
	if (ioctl(0, TIOCSTI, "\n") != 0) { /* Linux may refuse it (legacy_tiocsti) */
		fprintf(stderr, "%s: TIOCSTI: %s: line discipline checks skipped\n", UTEST_PROG,
			strerror(errno));
		tcsetattr(0, TCSAFLUSH, &orig);
		return;
	}
	expect_line("", "\n", 1, "an empty line");
	expect_line("ab\x7f" "c\n", "ac\n", 3, "erase");
	expect_line("junk\x15ok\n", "ok\n", 3, "kill");
	expect_line("cr\r", "cr\n", 3, "ICRNL");
	expect_line("ab\x04", "ab", 2, "EOF after text");
	expect_line("\x04", "", 0, "EOF on an empty line");
	signal(SIGINT, SIG_IGN);
	expect_line("lost\x03" "kept\n", "kept\n", 5, "^C flushes the line");
	expect(type("hi\n"), "TIOCSTI");
	expect(poll(&pfd, 1, 2000) == 1 && (pfd.revents & POLLIN), "poll sees a line");
	expect_ok(ioctl(0, FIONREAD, &n), "FIONREAD");
	expect(n == 3, "FIONREAD counts the line");
	expect_line("", "hi\n", 3, "the polled line");
	pfd.revents = 0;
	expect(poll(&pfd, 1, 0) == 0, "nothing left to poll");

	t.c_lflag &= ~ICANON;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	expect_ok(tcsetattr(0, TCSANOW, &t), "raw");
	expect_line("q", "q", 1, "raw byte");
	expect_line("\x7f", "\x7f", 1, "raw: erase is data");
	expect_ok(tcsetattr(0, TCSAFLUSH, &orig), "back to the original");
}

/* A background group of our session tries fn on the terminal; returns its
 * wait status (WUNTRACED: stopped counts). SIGTTOU ignored if ignore. */
static int in_background(void (*fn)(int fd), int fd, bool ignore)
{
	int status = -1;
	pid_t pid = fork();

	if (pid == 0) {
		setpgid(0, 0);
		signal(SIGTTOU, ignore ? SIG_IGN : SIG_DFL);
		fn(fd);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, WUNTRACED) != pid)
		return -1;
	if (WIFSTOPPED(status)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	return status;
}

static void bg_write(int fd)
{
	_exit(write(fd, "", 0) == 0 && write(fd, "bg\r\n", 4) == 4 ? 0 : 1);
}

static void bg_setattr(int fd)
{
	struct termios t;

	_exit(tcgetattr(fd, &t) == 0 && tcsetattr(fd, TCSANOW, &t) == 0 ? 0 : 1);
}

/* SIGTTOU for background writers (with TOSTOP) and setters, as on Linux. */
static void check_job_control(void)
{
	struct termios orig, t;
	int st;

	area = "job control";
	if (!expect_ok(tcgetattr(0, &orig), "TCGETS"))
		return;
	t = orig;
	t.c_lflag &= ~TOSTOP;
	expect_ok(tcsetattr(0, TCSANOW, &t), "TOSTOP off");
	st = in_background(bg_write, 0, false);
	expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "without TOSTOP a background write goes out");
	t.c_lflag |= TOSTOP;
	expect_ok(tcsetattr(0, TCSANOW, &t), "TOSTOP on");
	st = in_background(bg_write, 0, false);
	expect(WIFSTOPPED(st) && WSTOPSIG(st) == SIGTTOU, "with TOSTOP a background write stops on SIGTTOU");
	st = in_background(bg_write, 0, true);
	expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "SIGTTOU ignored: the write goes out");
	st = in_background(bg_setattr, 0, false);
	expect(WIFSTOPPED(st) && WSTOPSIG(st) == SIGTTOU, "a background tcsetattr stops on SIGTTOU");
	st = in_background(bg_setattr, 0, true);
	expect(WIFEXITED(st) && WEXITSTATUS(st) == 0, "SIGTTOU ignored: tcsetattr works");
	expect_ok(tcsetattr(0, TCSANOW, &orig), "back to the original");
}

/* The child: a new session that takes the terminal if it is free. */
static int session_child(void)
{
	if (setsid() < 0)
		return 2;
	if (ioctl(0, TIOCSCTTY, 0) != 0)
		return errno == EPERM ? SKIPPED : 3;
	area = "session";
	expect(tcgetsid(0) == getpid(), "TIOCGSID is the new session");
	expect(tcgetpgrp(0) == getpgrp(), "the new session is in the foreground");
	check_line_discipline();
	check_job_control();
	signal(SIGHUP, SIG_IGN); /* TIOCNOTTY hangs the foreground group up */
	area = "session";
	expect_ok(ioctl(0, TIOCNOTTY), "TIOCNOTTY");
	expect(tcgetpgrp(0) < 0 && errno == ENOTTY, "not our terminal any more");
	return failures ? 1 : 0;
}

static int hup_fd = -1;
static char hup_tag;

static void on_hup(int sig)
{
	(void)sig;
	(void)!write(hup_fd, &hup_tag, 1);
	_exit(0);
}

/* A child of the leader that says `tag` on fd when SIGHUP comes; it is
 * ready once it has written 'r' to ready (or stopped, for a job). */
static pid_t hup_member(int fd, int ready, char tag, bool stopped_job)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	hup_fd = fd;
	hup_tag = tag;
	if (stopped_job)
		setpgid(0, 0);
	signal(SIGHUP, on_hup);
	if (stopped_job)
		raise(SIGSTOP);
	else
		(void)!write(ready, "r", 1);
	for (;;)
		pause();
}

/* The leader of a new session that owns the terminal: one child in its
 * foreground group and one stopped job in a group of its own, then exit. */
static int hangup_leader(int fd)
{
	int ready[2], st;
	char c;
	pid_t job;

	if (setsid() < 0 || ioctl(0, TIOCSCTTY, 0) != 0 || pipe(ready) != 0)
		return SKIPPED;
	hup_member(fd, ready[1], 'f', false);
	job = hup_member(fd, ready[1], 'j', true);
	setpgid(job, job);
	if (read(ready[0], &c, 1) != 1 || waitpid(job, &st, WUNTRACED) != job || !WIFSTOPPED(st))
		return 2;
	return 0;
}

/*
 * When a session leader with a terminal exits, its foreground group gets
 * SIGHUP, and its stopped job, whose group that exit orphans, SIGHUP and
 * SIGCONT: both children must report.
 */
static void check_hangup(void)
{
	struct pollfd pfd;
	char got[2] = { 0, 0 };
	int p[2], status, n = 0;
	pid_t leader;

	area = "hang-up";
	if (!expect_ok(pipe(p), "pipe"))
		return;
	leader = fork();
	if (leader == 0)
		_exit(hangup_leader(p[1]));
	close(p[1]);
	if (expect(leader > 0 && waitpid(leader, &status, 0) == leader, "fork and wait") &&
	    !(WIFEXITED(status) && WEXITSTATUS(status) == SKIPPED)) {
		expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the leader set up its session");
		pfd = (struct pollfd){ .fd = p[0], .events = POLLIN };
		while (n < 2 && poll(&pfd, 1, 5000) == 1 && read(p[0], &got[n], 1) == 1)
			n++;
		expect(memchr(got, 'f', 2) != NULL, "the foreground group got SIGHUP");
		expect(memchr(got, 'j', 2) != NULL, "the orphaned stopped job got SIGHUP and SIGCONT");
	}
	close(p[0]);
}

static void check_session(void)
{
	pid_t child = fork();
	int status;

	area = "session";
	if (child == 0)
		_exit(session_child());
	if (!expect(child > 0 && waitpid(child, &status, 0) == child, "fork and wait"))
		return;
	if (WIFEXITED(status) && WEXITSTATUS(status) == SKIPPED) {
		fprintf(stderr, "%s: the terminal belongs to another session: line discipline "
			"checks skipped\n", UTEST_PROG);
		return;
	}
	expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the session child passed");
}

int main(void)
{
	struct termios orig;
	pid_t fg;
	bool ours;

	if (!isatty(0)) {
		fprintf(stderr, "%s: fd 0 is not a terminal: skipped\n", UTEST_PROG);
		return 0;
	}
	signal(SIGTTOU, SIG_IGN); /* we may be a background group */
	signal(SIGTTIN, SIG_IGN);
	if (!expect_ok(tcgetattr(0, &orig), "TCGETS"))
		return 1;
	check_termios(&orig);
	check_sizes();
	fg = tcgetpgrp(0);
	ours = check_foreground();
	/* Reads only in the foreground: a background read on Linux stops us. */
	if (ours)
		tcsetpgrp(0, getpgrp());
	if (!ours || tcgetpgrp(0) == getpgrp())
		check_raw_read(&orig);
	if (ours)
		tcsetpgrp(0, fg);
	check_session();
	check_hangup();
	return failures ? 1 : 0;
}
