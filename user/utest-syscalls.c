/* Test: a broad smoke test of the everyday Linux syscalls a libc and busybox rely on. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/times.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define UTEST_PROG "utest-syscalls"
#include "utest.h"

/*
 * Each check_* function covers one area; every expectation is written next
 * to the call as the value or errno Linux gives. A failed expectation prints
 * "utest-syscalls: <area>: <what>" and the test goes on; it exits 1 if any
 * failed. Files live in /tmp/utest-syscalls-<pid>, removed at the end.
 * Deliberate faults run in children (with core dumps off), which must die
 * of SIGSEGV.
 */

#define PAGE 4096

static char dir[64];

/* Runs fn in a child (core dumps off); returns its wait status or -1. */
static int in_child(void (*fn)(void *), void *arg)
{
	struct rlimit no_core = { 0, 0 };
	int status = 0;
	pid_t pid;

	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		setrlimit(RLIMIT_CORE, &no_core);
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
		fn(arg);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

static bool died_of_sigsegv(int status)
{
	return status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV;
}

static void write_byte(void *p)
{
	*(volatile char *)p = 1;
}

static void read_byte(void *p)
{
	(void)*(volatile char *)p;
}

/* A path inside the scratch directory (a static buffer per slot). */
static const char *in_dir(int slot, const char *name)
{
	static char paths[6][128];

	snprintf(paths[slot], sizeof(paths[slot]), "%s/%s", dir, name);
	return paths[slot];
}

static void check_ids(void)
{
	pid_t me = getpid();
	int fds[2];
	pid_t seen[2] = { 0, 0 };
	int status = 0;
	pid_t pid;

	area = "ids";
	expect(me > 0, "getpid > 0");
	expect(syscall(SYS_gettid) == me, "gettid == getpid in a single-threaded process");
	expect(getppid() >= 0 && getppid() != me, "getppid differs from getpid");
	if (!expect_ok(pipe(fds), "pipe"))
		return;
	pid = fork();
	if (pid == 0) {
		pid_t ids[2] = { getpid(), getppid() };

		_exit(write(fds[1], ids, sizeof(ids)) == sizeof(ids) ? 0 : 1);
	}
	expect_ok(pid, "fork");
	expect(read(fds[0], seen, sizeof(seen)) == sizeof(seen), "read the child's ids");
	expect(seen[0] == pid, "the child's getpid is fork's return value");
	expect(seen[1] == me, "the child's getppid is the parent");
	expect(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "the child exits 0");
	expect(kill(me, 0) == 0, "kill(getpid(), 0) == 0");
	expect_errno(kill(pid, 0), ESRCH, "kill(reaped child, 0)");
	close(fds[0]);
	close(fds[1]);
}

static void check_uname(void)
{
	struct utsname u;

	area = "uname";
	if (!expect_ok(uname(&u), "uname"))
		return;
	expect(u.sysname[0] && u.nodename[0] && u.release[0] && u.version[0],
	       "sysname, nodename, release and version are not empty");
	expect(strcmp(u.machine, "x86_64") == 0, "machine is \"x86_64\"");
}

static long ns_between(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1000000000L + (b->tv_nsec - a->tv_nsec);
}

static void check_time(void)
{
	struct timespec t0, t1, t2, nap = { 0, 10 * 1000 * 1000 }, real;
	struct timeval tv;
	long slept;

	area = "time";
	expect_ok(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &t0), "clock_gettime MONOTONIC");
	for (volatile int i = 0; i < 100000; i++)
		;
	expect_ok(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &t1), "clock_gettime MONOTONIC");
	expect(ns_between(&t0, &t1) > 0, "CLOCK_MONOTONIC increases");
	expect(t1.tv_nsec >= 0 && t1.tv_nsec < 1000000000L, "tv_nsec in [0, 1e9)");
	expect_ok(syscall(SYS_nanosleep, &nap, NULL), "nanosleep 10 ms");
	expect_ok(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &t2), "clock_gettime MONOTONIC");
	slept = ns_between(&t1, &t2);
	expect(slept >= 10 * 1000 * 1000, "nanosleep(10 ms) sleeps at least 10 ms");
	expect(slept < 2000L * 1000 * 1000, "nanosleep(10 ms) returns within 2 s");
	expect_ok(syscall(SYS_clock_gettime, CLOCK_REALTIME, &real), "clock_gettime REALTIME");
	expect_ok(syscall(SYS_gettimeofday, &tv, NULL), "gettimeofday");
	expect(tv.tv_usec >= 0 && tv.tv_usec < 1000000, "tv_usec in [0, 1e6)");
	nap.tv_nsec = 1000000000L;
	expect_errno(syscall(SYS_nanosleep, &nap, NULL), EINVAL, "nanosleep with tv_nsec 1e9");
}

static void check_getrandom(void)
{
	unsigned char a[16] = { 0 }, b[16] = { 0 }, zero[16] = { 0 };

	area = "getrandom";
	expect(syscall(SYS_getrandom, a, sizeof(a), 0) == sizeof(a), "16 bytes");
	expect(syscall(SYS_getrandom, b, sizeof(b), 0) == sizeof(b), "16 more bytes");
	expect(memcmp(a, zero, 16) != 0, "not all zero");
	expect(memcmp(a, b, 16) != 0, "two calls differ");
}

/* brk: grow, use, shrink; the released range faults. No malloc in between. */
static void check_brk(void)
{
	char *cur = (char *)syscall(SYS_brk, 0), *grown;

	area = "brk";
	expect(cur != NULL, "brk(0) returns the current break");
	grown = (char *)syscall(SYS_brk, cur + 16 * PAGE);
	if (!expect(grown == cur + 16 * PAGE, "brk grows by 64 KiB"))
		return;
	memset(cur, 0x5a, 16 * PAGE);
	expect(cur[16 * PAGE - 1] == 0x5a, "the new range is usable");
	expect((char *)syscall(SYS_brk, cur) == cur, "brk shrinks back");
	expect(died_of_sigsegv(in_child(write_byte, cur + 8 * PAGE)),
	       "a write to the released range dies of SIGSEGV");
}

static void check_mmap(void)
{
	char *p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *q;

	area = "mmap";
	if (!expect(p != MAP_FAILED, "mmap 4 pages"))
		return;
	expect(((uintptr_t)p & (PAGE - 1)) == 0, "page aligned");
	expect(p[0] == 0 && p[4 * PAGE - 1] == 0, "zero filled");
	memset(p, 7, 4 * PAGE);
	expect_ok(mprotect(p + PAGE, PAGE, PROT_READ), "mprotect PROT_READ");
	expect(p[PAGE] == 7, "a PROT_READ page reads");
	expect(died_of_sigsegv(in_child(write_byte, p + PAGE)),
	       "a write to a PROT_READ page dies of SIGSEGV");
	expect_ok(mprotect(p + PAGE, PAGE, PROT_NONE), "mprotect PROT_NONE");
	expect(died_of_sigsegv(in_child(read_byte, p + PAGE)),
	       "a read of a PROT_NONE page dies of SIGSEGV");
	expect_ok(munmap(p + 2 * PAGE, PAGE), "munmap the third page");
	expect(died_of_sigsegv(in_child(read_byte, p + 2 * PAGE)),
	       "a read of an unmapped page dies of SIGSEGV");
	expect(p[0] == 7 && p[3 * PAGE] == 7, "the pages around the hole keep their data");
	q = mmap(p + 2 * PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		 -1, 0);
	expect(q == p + 2 * PAGE, "MAP_FIXED fills the hole at the address asked");
	expect(q == MAP_FAILED || q[0] == 0, "the refilled page is zero");
	expect_errno((long)mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL,
		     "mmap of length 0");
	expect_errno((long)mmap(p + 1, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0),
		     EINVAL, "MAP_FIXED at an unaligned address");
	expect_errno(munmap(p + 1, PAGE), EINVAL, "munmap of an unaligned address");
	expect_ok(munmap(p, 4 * PAGE), "munmap all four");
}

static void check_fds(void)
{
	int fd = open(in_dir(0, "fds"), O_RDWR | O_CREAT | O_EXCL, 0600), d, high, flags;

	area = "fds";
	if (!expect_ok(fd, "open O_CREAT|O_EXCL"))
		return;
	expect_errno(open(in_dir(0, "fds"), O_RDWR | O_CREAT | O_EXCL, 0600), EEXIST,
		     "O_EXCL on an existing file");
	d = dup(fd);
	expect(d > fd, "dup gives a new, higher descriptor");
	expect(write(fd, "abcdef", 6) == 6, "write 6 bytes");
	expect(lseek(d, 0, SEEK_CUR) == 6, "dup'ed descriptors share the offset");
	expect(dup2(fd, 100) == 100, "dup2 to 100");
	expect(dup2(fd, fd) == fd, "dup2 onto itself returns it");
	expect(dup3(fd, 101, O_CLOEXEC) == 101, "dup3 to 101 with O_CLOEXEC");
	expect(fcntl(101, F_GETFD) == FD_CLOEXEC, "dup3 set FD_CLOEXEC");
	expect_errno(dup3(fd, fd, 0), EINVAL, "dup3 onto itself");
	expect(fcntl(100, F_GETFD) == 0, "dup2 clears FD_CLOEXEC");
	expect_ok(fcntl(100, F_SETFD, FD_CLOEXEC), "F_SETFD FD_CLOEXEC");
	expect(fcntl(100, F_GETFD) == FD_CLOEXEC, "F_GETFD sees FD_CLOEXEC");
	flags = fcntl(fd, F_GETFL);
	expect(flags != -1 && (flags & O_ACCMODE) == O_RDWR, "F_GETFL says O_RDWR");
	expect_ok(fcntl(fd, F_SETFL, O_APPEND), "F_SETFL O_APPEND");
	expect((fcntl(fd, F_GETFL) & O_APPEND) != 0, "F_GETFL sees O_APPEND");
	lseek(fd, 0, SEEK_SET);
	expect(write(fd, "g", 1) == 1 && lseek(fd, 0, SEEK_CUR) == 7, "O_APPEND writes at the end");
	high = fcntl(fd, F_DUPFD, 50);
	expect(high >= 50, "F_DUPFD gives a descriptor >= 50");
	expect_errno(close(1000), EBADF, "close of a descriptor never opened");
	expect_errno(read(1000, &flags, 1), EBADF, "read of a descriptor never opened");
	expect_errno(fcntl(1000, F_GETFD), EBADF, "F_GETFD of a descriptor never opened");
	expect_ok(close(101), "close 101");
	expect_errno(close(101), EBADF, "close 101 twice");
	close(100);
	close(high);
	close(d);
	close(fd);
	unlink(in_dir(0, "fds"));
}

struct pipe_writer {
	int fd;
	size_t len;
};

static void pipe_write_pattern(void *arg)
{
	struct pipe_writer *w = arg;
	static unsigned char buf[100 * 1024];

	for (size_t i = 0; i < w->len; i++)
		buf[i] = (unsigned char)(i * 7);
	if (write(w->fd, buf, w->len) != (ssize_t)w->len)
		_exit(1);
}

static void check_pipe(void)
{
	static unsigned char buf[100 * 1024];
	struct pipe_writer w = { .len = sizeof(buf) };
	struct winsize ws;
	int fds[2], status = 0;
	size_t got = 0;
	ssize_t n;
	char c;
	bool same = true;

	area = "pipe";
	if (!expect_ok(pipe(fds), "pipe"))
		return;
	expect(write(fds[1], "hello", 5) == 5 && read(fds[0], buf, sizeof(buf)) == 5 &&
	       memcmp(buf, "hello", 5) == 0, "a 5-byte round trip");
	expect_errno(lseek(fds[0], 0, SEEK_SET), ESPIPE, "lseek on a pipe");
	expect_errno(ioctl(fds[0], TIOCGWINSZ, &ws), ENOTTY, "TIOCGWINSZ on a pipe");
	expect_ok(fcntl(fds[0], F_SETFL, O_NONBLOCK), "F_SETFL O_NONBLOCK");
	expect_errno(read(fds[0], &c, 1), EAGAIN, "read of an empty non-blocking pipe");
	fcntl(fds[0], F_SETFL, 0);

	/* 100 KiB from a child: more than a pipe holds, so both sides block. */
	w.fd = fds[1];
	fflush(stderr);
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		pipe_write_pattern(&w);
		_exit(0);
	}
	close(fds[1]);
	while ((n = read(fds[0], buf + got, sizeof(buf) - got)) > 0)
		got += (size_t)n;
	expect(n == 0, "read returns 0 (EOF) once the writer is gone");
	expect(got == sizeof(buf), "100 KiB arrive");
	for (size_t i = 0; i < got && same; i++)
		same = buf[i] == (unsigned char)(i * 7);
	expect(same, "100 KiB arrive in order");
	expect(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0, "the writer exits 0");
	close(fds[0]);

	/* Writing with no reader: EPIPE (SIGPIPE ignored). */
	signal(SIGPIPE, SIG_IGN);
	if (expect_ok(pipe(fds), "pipe")) {
		close(fds[0]);
		expect_errno(write(fds[1], "x", 1), EPIPE, "write with no reader");
		close(fds[1]);
	}
	signal(SIGPIPE, SIG_DFL);
}

static void check_files(void)
{
	const char *f = in_dir(0, "file"), *g = in_dir(1, "created");
	char buf[64];
	struct stat st;
	int fd;

	area = "files";
	fd = openat(AT_FDCWD, f, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (!expect_ok(fd, "openat O_CREAT"))
		return;
	expect(write(fd, "hello world", 11) == 11, "write 11 bytes");
	expect(lseek(fd, 0, SEEK_CUR) == 11, "the offset is 11");
	expect(lseek(fd, 0, SEEK_SET) == 0, "lseek SEEK_SET 0");
	expect(read(fd, buf, sizeof(buf)) == 11 && memcmp(buf, "hello world", 11) == 0,
	       "read back 11 bytes");
	expect(read(fd, buf, sizeof(buf)) == 0, "read at the end returns 0");
	expect(pread(fd, buf, 5, 6) == 5 && memcmp(buf, "world", 5) == 0, "pread at 6");
	expect(pwrite(fd, "W", 1, 6) == 1, "pwrite at 6");
	expect(lseek(fd, 0, SEEK_CUR) == 11, "pread/pwrite leave the offset alone");
	expect(pread(fd, buf, 11, 0) == 11 && memcmp(buf, "hello World", 11) == 0,
	       "pwrite changed the file");
	expect_ok(ftruncate(fd, 5), "ftruncate to 5");
	expect(fstat(fd, &st) == 0 && st.st_size == 5 && S_ISREG(st.st_mode), "fstat: 5-byte file");
	expect_ok(ftruncate(fd, 3 * PAGE), "ftruncate to 3 pages");
	expect(lseek(fd, 0, SEEK_END) == 3 * PAGE, "SEEK_END at 3 pages");
	memset(buf, 1, sizeof(buf));
	expect(pread(fd, buf, sizeof(buf), 2 * PAGE) == sizeof(buf) && buf[0] == 0 &&
	       buf[sizeof(buf) - 1] == 0, "the extended part reads as zero");
	expect(lseek(fd, -1, SEEK_SET) == -1 && errno == EINVAL, "lseek to -1 gives EINVAL");
	close(fd);

	fd = creat(g, 0600);
	expect(fd >= 0 && write(fd, "x", 1) == 1, "creat and write");
	close(fd);
	expect(stat(g, &st) == 0 && st.st_size == 1 && (st.st_mode & 0777) == 0600,
	       "stat: 1 byte, mode 0600");
	expect_errno(open(g, O_RDONLY | O_DIRECTORY), ENOTDIR, "O_DIRECTORY on a file");
	fd = open(g, O_RDONLY);
	expect_errno(write(fd, "x", 1), EBADF, "write to an O_RDONLY descriptor");
	close(fd);
	expect_ok(unlink(g), "unlink");
	expect_errno(stat(g, &st), ENOENT, "stat after unlink");
	expect_errno(open(g, O_RDONLY), ENOENT, "open of a missing file");
	expect_errno(open(in_dir(2, "file/x"), O_RDONLY), ENOTDIR, "open of file/x");
	expect_errno(mkdir(in_dir(2, "missing/sub"), 0755), ENOENT, "mkdir in a missing directory");
	unlink(f);
}

static void check_sendfile(void)
{
	const char *f = in_dir(0, "src"), *g = in_dir(1, "dst");
	char buf[64];
	off_t off = 6;
	int in, out, p[2];

	area = "sendfile";
	in = open(f, O_RDWR | O_CREAT | O_TRUNC, 0644);
	out = open(g, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (!expect_ok(in, "create the source") || !expect_ok(out, "create the target"))
		return;
	expect(write(in, "hello world", 11) == 11, "write the source");
	expect(lseek(in, 0, SEEK_SET) == 0, "rewind the source");
	expect(sendfile(out, in, NULL, 5) == 5, "5 bytes at the file offset");
	expect(lseek(in, 0, SEEK_CUR) == 5, "the source offset moved to 5");
	expect(sendfile(out, in, &off, 100) == 5 && off == 11, "to end of file from *offset 6");
	expect(lseek(in, 0, SEEK_CUR) == 5, "an explicit offset leaves the file offset alone");
	expect(sendfile(out, in, &off, 100) == 0, "at end of file: 0");
	expect(pread(out, buf, sizeof(buf), 0) == 10 && memcmp(buf, "helloworld", 10) == 0,
	       "the target holds both pieces");
	if (expect_ok(pipe(p), "pipe")) {
		off = 0;
		expect(sendfile(p[1], in, &off, 11) == 11, "into a pipe");
		expect(read(p[0], buf, sizeof(buf)) == 11 && memcmp(buf, "hello world", 11) == 0,
		       "the pipe carries the file");
		expect_errno(sendfile(out, p[0], NULL, 1), EINVAL, "from a pipe");
		close(p[0]);
		close(p[1]);
	}
	off = -1;
	expect_errno(sendfile(out, in, &off, 1), EINVAL, "a negative offset");
	expect_errno(sendfile(out, in, (off_t *)8, 1), EFAULT, "a bad offset pointer");
	expect_errno(sendfile(in, 99, NULL, 1), EBADF, "a closed source");
	close(out);
	out = open(g, O_RDONLY);
	expect_errno(sendfile(out, in, NULL, 1), EBADF, "a target open read-only");
	close(out);
	out = open(g, O_WRONLY | O_APPEND);
	expect_errno(sendfile(out, in, NULL, 1), EINVAL, "an O_APPEND target");
	close(out);
	close(in);
	unlink(f);
	unlink(g);
}

static void check_names(void)
{
	const char *a = in_dir(0, "a"), *b = in_dir(1, "b"), *c = in_dir(2, "c");
	const char *d = in_dir(3, "d"), *dc = in_dir(4, "d/c"), *sl = in_dir(5, "s");
	char buf[64];
	struct stat st;
	int fd;
	ssize_t n;

	area = "names";
	fd = open(a, O_WRONLY | O_CREAT, 0644);
	expect_ok(fd, "create a");
	close(fd);
	expect_ok(mkdir(d, 0755), "mkdir d");
	expect(stat(d, &st) == 0 && S_ISDIR(st.st_mode), "d is a directory");
	expect_errno(mkdir(d, 0755), EEXIST, "mkdir of an existing name");
	expect_ok(rename(a, b), "rename a to b");
	expect_errno(stat(a, &st), ENOENT, "a is gone after the rename");
	expect_ok(link(b, c), "link b to c");
	expect(stat(b, &st) == 0 && st.st_nlink == 2, "b has 2 links");
	expect_ok(symlink("b", sl), "symlink s -> b");
	n = readlink(sl, buf, sizeof(buf));
	expect(n == 1 && buf[0] == 'b', "readlink s gives \"b\"");
	expect(lstat(sl, &st) == 0 && S_ISLNK(st.st_mode), "lstat s: a symlink");
	expect(stat(sl, &st) == 0 && S_ISREG(st.st_mode), "stat s follows to b");
	expect_errno(readlink(b, buf, sizeof(buf)), EINVAL, "readlink of a regular file");
	expect_ok(rename(c, dc), "rename c into d");
	expect_errno(rmdir(d), ENOTEMPTY, "rmdir of a non-empty directory");
	expect_errno(unlink(d), EISDIR, "unlink of a directory");
	expect_ok(unlink(dc), "unlink d/c");
	expect_ok(rmdir(d), "rmdir d");
	expect(stat(b, &st) == 0 && st.st_nlink == 1, "b is back to 1 link");
	expect_ok(unlink(sl), "unlink s");
	expect_ok(unlink(b), "unlink b");
}

/* Names seen once (and so cached) must follow every later change. */
static void check_names_after_changes(void)
{
	const char *d = in_dir(0, "d"), *df = in_dir(1, "d/f"), *e = in_dir(2, "e");
	const char *ef = in_dir(3, "e/f"), *g = in_dir(4, "g"), *eg = in_dir(5, "e/g");
	struct stat st, old;
	int fd;

	area = "names after changes";
	expect_errno(stat(df, &st), ENOENT, "d/f before d exists");
	expect_ok(mkdir(d, 0755), "mkdir d");
	expect_errno(stat(df, &st), ENOENT, "d/f before it is created");
	fd = open(df, O_WRONLY | O_CREAT, 0644);
	expect_ok(fd, "create d/f");
	close(fd);
	expect(stat(df, &old) == 0 && S_ISREG(old.st_mode), "d/f once created");
	expect_ok(rename(d, e), "rename d to e");
	expect_errno(stat(df, &st), ENOENT, "d/f after d moved");
	expect(stat(ef, &st) == 0 && st.st_ino == old.st_ino, "e/f is the old d/f");
	fd = open(g, O_WRONLY | O_CREAT, 0644);
	expect_ok(fd, "create g");
	close(fd);
	expect(stat(g, &old) == 0, "stat g");
	expect_ok(rename(g, ef), "rename g over e/f");
	expect(stat(ef, &st) == 0 && st.st_ino == old.st_ino, "e/f is now the old g");
	expect_errno(stat(g, &st), ENOENT, "g after it moved");
	expect_ok(link(ef, eg), "link e/f to e/g");
	expect(stat(eg, &st) == 0 && st.st_ino == old.st_ino && st.st_nlink == 2, "e/g is e/f");
	expect_ok(unlink(ef), "unlink e/f");
	expect_errno(stat(ef, &st), ENOENT, "e/f after unlink");
	expect_ok(unlink(eg), "unlink e/g");
	expect_ok(rmdir(e), "rmdir e");
	expect_errno(stat(eg, &st), ENOENT, "e/g after rmdir e");
	expect_errno(stat(e, &st), ENOENT, "e after rmdir");
}

/* /proc/<pid> of a child exists while it runs and is gone once it is reaped. */
static void check_proc_pid_goes(void)
{
	char path[32];
	struct stat st;
	int fds[2], status;
	char c;
	pid_t pid;

	area = "/proc/<pid>";
	if (!expect_ok(pipe(fds), "pipe"))
		return;
	pid = fork();
	if (pid == 0) {
		close(fds[1]);
		read(fds[0], &c, 1); /* until the parent has looked */
		_exit(0);
	}
	close(fds[0]);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	expect(stat(path, &st) == 0, "a running child's /proc/<pid>/status");
	close(fds[1]);
	expect(waitpid(pid, &status, 0) == pid, "waitpid");
	expect_errno(stat(path, &st), ENOENT, "/proc/<pid>/status after the child is reaped");
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	expect_errno(stat(path, &st), ENOENT, "/proc/<pid> after the child is reaped");
}

static void check_cwd(void)
{
	const char *name = strrchr(dir, '/');
	char before[256], buf[256];
	size_t len;
	int fd;

	area = "cwd";
	if (!expect(getcwd(before, sizeof(before)) != NULL, "getcwd"))
		return;
	if (!expect_ok(chdir(dir), "chdir to the scratch directory"))
		return;
	expect(getcwd(buf, sizeof(buf)) != NULL, "getcwd");
	len = strlen(buf);
	expect(len >= strlen(name) && strcmp(buf + len - strlen(name), name) == 0,
	       "getcwd ends with the scratch directory's name");
	fd = open("relative", O_WRONLY | O_CREAT, 0644);
	expect_ok(fd, "create a file by relative path");
	close(fd);
	expect_ok(access(in_dir(0, "relative"), F_OK), "it is where the absolute path says");
	expect_ok(unlink("relative"), "unlink it by relative path");
	expect_errno(syscall(SYS_getcwd, buf, 2), ERANGE, "getcwd into 2 bytes");
	expect_errno(chdir("/no-such-directory"), ENOENT, "chdir to a missing directory");
	expect_ok(chdir(".."), "chdir ..");
	expect(getcwd(buf, sizeof(buf)) != NULL && strcmp(buf + strlen(buf) - 4, "/tmp") == 0,
	       "getcwd after chdir .. ends with /tmp");
	expect_ok(chdir(before), "chdir back");
}

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static void check_getdents(void)
{
	static const struct {
		const char *name;
		unsigned char type;
	} want[] = { { ".", DT_DIR }, { "..", DT_DIR }, { "f1", DT_REG }, { "file2", DT_REG },
		     { "sub", DT_DIR } };
	bool seen[5] = { false };
	char buf[512] __attribute__((aligned(8)));
	int fd, entries = 0;
	long n;

	area = "getdents64";
	close(open(in_dir(0, "f1"), O_WRONLY | O_CREAT, 0644));
	close(open(in_dir(0, "file2"), O_WRONLY | O_CREAT, 0644));
	expect_ok(mkdir(in_dir(0, "sub"), 0755), "mkdir sub");
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (!expect_ok(fd, "open the directory"))
		return;
	/* A small buffer, so the listing takes several calls. */
	while ((n = syscall(SYS_getdents64, fd, buf, 64)) > 0) {
		for (long off = 0; off < n;) {
			struct linux_dirent64 *e = (struct linux_dirent64 *)(buf + off);
			bool known = false;

			for (int i = 0; i < 5; i++) {
				if (strcmp(e->d_name, want[i].name) != 0)
					continue;
				known = true;
				expect(!seen[i], "no name listed twice");
				seen[i] = true;
				expect(e->d_type == want[i].type || e->d_type == DT_UNKNOWN,
				       "d_type matches the entry");
			}
			expect(known, "only the names created are listed");
			expect(e->d_reclen >= offsetof(struct linux_dirent64, d_name) +
			       strlen(e->d_name) + 1 && e->d_reclen % 8 == 0,
			       "d_reclen is a multiple of 8 and holds the name");
			entries++;
			off += e->d_reclen ? e->d_reclen : n; /* never loop forever */
		}
	}
	expect(n == 0, "getdents64 ends with 0");
	expect(entries == 5 && seen[0] && seen[1] && seen[2] && seen[3] && seen[4],
	       "exactly ., .., f1, file2 and sub");
	lseek(fd, 0, SEEK_SET);
	expect_errno(syscall(SYS_getdents64, fd, buf, 8), EINVAL,
		     "getdents64 into a buffer too small for one entry");
	close(fd);
	fd = open(in_dir(0, "f1"), O_RDONLY);
	expect_errno(syscall(SYS_getdents64, fd, buf, sizeof(buf)), ENOTDIR, "getdents64 of a file");
	close(fd);
	unlink(in_dir(0, "f1"));
	unlink(in_dir(0, "file2"));
	rmdir(in_dir(0, "sub"));
}

static void check_access_umask(void)
{
	const char *f = in_dir(0, "masked");
	struct stat st;
	mode_t old;
	int dfd, fd;

	area = "access/umask";
	old = umask(027);
	expect(umask(027) == 027, "umask returns the previous mask");
	fd = open(f, O_WRONLY | O_CREAT, 0666);
	expect(fd >= 0 && fstat(fd, &st) == 0 && (st.st_mode & 0777) == 0640,
	       "a file created 0666 under umask 027 has mode 0640");
	close(fd);
	umask(old);
	expect_ok(access(f, F_OK), "access F_OK");
	expect_ok(access(f, R_OK | W_OK), "access R_OK|W_OK");
	expect_errno(access(in_dir(1, "missing"), F_OK), ENOENT, "access of a missing file");
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	expect_ok(faccessat(dfd, "masked", R_OK, 0), "faccessat relative to a directory fd");
	expect_errno(faccessat(dfd, "missing", F_OK, 0), ENOENT, "faccessat of a missing file");
	close(dfd);
	unlink(f);
}

static long clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static long tv_us(struct timeval tv)
{
	return tv.tv_sec * 1000000L + tv.tv_usec;
}

/* Spins in user mode until the process has used ms of CPU time, or for
 * at most 5 s of real time if its CPU clock does not advance. */
static void burn_user(long ms)
{
	long until = clock_ns(CLOCK_PROCESS_CPUTIME_ID) + ms * 1000000L;
	long give_up = clock_ns(CLOCK_MONOTONIC) + 5000000000L;
	unsigned long x = 0;

	while (clock_ns(CLOCK_PROCESS_CPUTIME_ID) < until && clock_ns(CLOCK_MONOTONIC) < give_up)
		for (int i = 0; i < 100000; i++)
			__asm__ volatile("" : "+r"(x) : "r"((unsigned long)i)); /* not optimised away */
}

/* CPU time: it grows while running, not while asleep; user and system
 * time go where they are spent; a reaped child's time reaches its parent. */
static void check_cputime(void)
{
	struct rusage ru0, ru1, ruc;
	struct timespec nap = { 0, 100000000 };
	struct tms t;
	long before, slept, spent;
	int status;
	pid_t child;

	area = "cpu time";
	before = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	nanosleep(&nap, NULL);
	slept = clock_ns(CLOCK_PROCESS_CPUTIME_ID) - before;
	expect(slept >= 0 && slept < 50000000, "100 ms asleep use less than 50 ms of CPU");
	expect_ok(getrusage(RUSAGE_SELF, &ru0), "getrusage SELF");
	burn_user(150);
	expect_ok(getrusage(RUSAGE_SELF, &ru1), "getrusage SELF");
	spent = tv_us(ru1.ru_utime) - tv_us(ru0.ru_utime);
	expect(spent >= 100000, "150 ms of spinning are at least 100 ms of user time");
	expect(tv_us(ru1.ru_stime) - tv_us(ru0.ru_stime) < spent,
	       "spinning is mostly user time, not system time");
	child = fork();
	if (child == 0) {
		burn_user(50);
		raise(SIGSTOP);
		burn_user(50);
		_exit(0);
	}
	expect(child > 0 && wait4(child, &status, WUNTRACED, &ruc) == child && WIFSTOPPED(status),
	       "wait4 sees the child stop");
	expect(tv_us(ruc.ru_utime) + tv_us(ruc.ru_stime) >= 40000,
	       "wait4's rusage of a stopped child: its 50 ms so far");
	kill(child, SIGCONT);
	expect(wait4(child, &status, 0, &ruc) == child && WIFEXITED(status), "wait4 reaps it");
	expect(tv_us(ruc.ru_utime) + tv_us(ruc.ru_stime) >= 80000,
	       "wait4's rusage of the reaped child: all its 100 ms");
	expect_ok(getrusage(RUSAGE_CHILDREN, &ruc), "getrusage CHILDREN");
	expect(tv_us(ruc.ru_utime) + tv_us(ruc.ru_stime) >= 80000,
	       "the reaped child's 100 ms reach RUSAGE_CHILDREN");
	expect(times(&t) != (clock_t)-1 && t.tms_cutime + t.tms_cstime >= 8,
	       "times(): the child's time in clock ticks");
	expect(t.tms_utime >= 10, "times(): our own 150 ms of user time");
	expect_errno(getrusage(5, &ru0), EINVAL, "getrusage of an unknown who");
}

static void check_misc(void)
{
	struct rlimit rl, old;
	struct sysinfo si;
	unsigned long fs = 0, self = 0;

	area = "misc";
	expect_ok(sched_yield(), "sched_yield");
	expect_ok(syscall(SYS_arch_prctl, 0x1003 /* ARCH_GET_FS */, &fs), "arch_prctl ARCH_GET_FS");
	__asm__("mov %%fs:0, %0" : "=r"(self));
	expect(fs != 0 && fs == self, "ARCH_GET_FS is the thread pointer musl set up");
	expect_ok(getrlimit(RLIMIT_NOFILE, &rl), "getrlimit NOFILE");
	expect(rl.rlim_cur >= 3 && rl.rlim_cur <= rl.rlim_max, "0 < NOFILE soft limit <= hard limit");
	expect_ok(syscall(SYS_prlimit64, 0, RLIMIT_STACK, NULL, &old), "prlimit64 get STACK");
	expect(old.rlim_cur > 0, "a stack limit above zero");
	rl.rlim_cur = rl.rlim_max < 64 ? rl.rlim_max : 64;
	expect_ok(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &rl, &old), "prlimit64 set NOFILE");
	expect(getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur == (old.rlim_max < 64 ? old.rlim_max : 64),
	       "getrlimit sees the new soft limit");
	expect_ok(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, &old, NULL), "prlimit64 restore NOFILE");
	expect_ok(sysinfo(&si), "sysinfo");
	expect(si.totalram > 0 && si.freeram <= si.totalram && si.mem_unit >= 1,
	       "sysinfo: 0 < freeram <= totalram");
	expect(si.procs >= 1, "sysinfo: at least one process");
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/utest-syscalls-%d", (int)getpid());
	if (mkdir(dir, 0755) < 0) {
		fprintf(stderr, "%s: mkdir %s: %s\n", UTEST_PROG, dir, strerror(errno));
		return 1;
	}
	check_ids();
	check_uname();
	check_time();
	check_getrandom();
	check_brk();
	check_mmap();
	check_fds();
	check_pipe();
	check_files();
	check_sendfile();
	check_names();
	check_names_after_changes();
	check_proc_pid_goes();
	check_cwd();
	check_getdents();
	check_access_umask();
	check_misc();
	check_cputime();
	area = "cleanup";
	expect_ok(rmdir(dir), "rmdir the scratch directory (it must be empty)");
	return failures ? 1 : 0;
}
