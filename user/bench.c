/*
 * bench: the benchmark driver of `make bench`. The same static binary runs on
 * our kernel and on Linux, and prints one line per benchmark:
 *
 *     BENCH <name> <iterations> <total_ns> <ns_per_op>
 *     BENCH <name> FAILED <errno>
 *
 * Times come from clock_gettime(CLOCK_MONOTONIC). Under QEMU with
 * `-icount shift=0,sleep=off` a guest nanosecond is one guest instruction, so
 * the figures are instruction path lengths and repeat exactly.
 *
 * As pid 1 (the kernel's init=, or Linux's /init in an initramfs) it uses
 * /tmp/bench for its data, opens /dev/console if it has no stdout, and powers
 * the machine off at the end. Otherwise it uses /tmp/bench-<pid>, removes it
 * afterwards and exits 0. `bench NAME...` runs only the benchmarks named.
 * /bin/exit0 (or `exit0` beside argv[0], or $BENCH_EXIT0) is the program
 * that fork+exec runs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KiB 1024ul
#define MiB (1024ul * 1024ul)
#define PAGE 4096ul

#define DIR_ENTRIES 10000
#define FILE_SIZE   (4 * MiB)
#define CHUNK       (64 * KiB)

static char data_dir[64];    /* /tmp/bench or /tmp/bench-<pid> */
static char exit0_path[256]; /* what fork+exec runs */
static char big_file[96], deep_path[96], big_dir[96], link_target[96];
static int data_ok;          /* 0 if setup failed: data_err says why */
static int data_err;
static int failures;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Unbuffered output: nothing is left in a stdio buffer to be copied by fork. */
__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 1)
		n = sizeof(buf) - 1;
	for (int off = 0; off < n;) {
		ssize_t w = write(1, buf + off, (size_t)(n - off));

		if (w <= 0)
			return;
		off += (int)w;
	}
}

/* Keeps the compiler from removing stores to memory that is then unmapped. */
static void touch(volatile char *p, size_t len)
{
	for (size_t off = 0; off < len; off += PAGE)
		p[off] = 1;
}

/* An anonymous private mapping, 4 KiB pages on both kernels (no THP). */
static char *anon(size_t len)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, len, MADV_NOHUGEPAGE); /* advice only: ignore the answer */
	return p;
}

/* 0 if the child exited 0, else an errno-like code. */
static int reap(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : ECHILD;
}

/* ---------------------------------------------------------------- benchmarks
 * Each fills *iters and *ns (the timed part only) and returns 0 or an errno. */

static int b_getppid(uint64_t *iters, uint64_t *ns)
{
	enum { N = 20000 };
	uint64_t t0;

	for (int i = 0; i < 100; i++)
		syscall(SYS_getppid);
	t0 = now_ns();
	for (int i = 0; i < N; i++)
		syscall(SYS_getppid);
	*ns = now_ns() - t0;
	*iters = N;
	return 0;
}

static int b_sched_yield(uint64_t *iters, uint64_t *ns)
{
	enum { N = 20000 };
	uint64_t t0 = now_ns();

	for (int i = 0; i < N; i++)
		if (sched_yield() < 0)
			return errno;
	*ns = now_ns() - t0;
	*iters = N;
	return 0;
}

static int b_fork_exit_wait(uint64_t *iters, uint64_t *ns)
{
	enum { N = 200 };
	uint64_t t0 = now_ns();

	for (int i = 0; i < N; i++) {
		pid_t pid = fork();
		int err;

		if (pid < 0)
			return errno;
		if (pid == 0)
			_exit(0);
		if ((err = reap(pid)))
			return err;
	}
	*ns = now_ns() - t0;
	*iters = N;
	return 0;
}

static int b_fork_exec_wait(uint64_t *iters, uint64_t *ns)
{
	enum { N = 100 };
	char *argv[] = { exit0_path, NULL }, *envp[] = { NULL };
	uint64_t t0;

	if (access(exit0_path, X_OK) < 0)
		return errno;
	t0 = now_ns();
	for (int i = 0; i < N; i++) {
		pid_t pid = fork();
		int err;

		if (pid < 0)
			return errno;
		if (pid == 0) {
			execve(exit0_path, argv, envp);
			_exit(127);
		}
		if ((err = reap(pid)))
			return err;
	}
	*ns = now_ns() - t0;
	*iters = N;
	return 0;
}

static int b_page_fault(uint64_t *iters, uint64_t *ns)
{
	const size_t len = 64 * MiB;
	char *p = anon(len);
	uint64_t t0;

	if (!p)
		return errno;
	t0 = now_ns();
	touch(p, len);
	*ns = now_ns() - t0;
	*iters = len / PAGE;
	munmap(p, len);
	return 0;
}

/* Touched by the parent, written by the child after fork: the child times it. */
static int b_cow_fault(uint64_t *iters, uint64_t *ns)
{
	const size_t len = 16 * MiB;
	char *p = anon(len);
	uint64_t child_ns = 0;
	int fds[2], err;
	pid_t pid;

	if (!p)
		return errno;
	touch(p, len);
	if (pipe(fds) < 0) {
		err = errno;
		munmap(p, len);
		return err;
	}
	pid = fork();
	if (pid == 0) {
		uint64_t t0 = now_ns();

		for (size_t off = 0; off < len; off += PAGE)
			((volatile char *)p)[off] = 2;
		t0 = now_ns() - t0;
		_exit(write(fds[1], &t0, sizeof(t0)) == sizeof(t0) ? 0 : 1);
	}
	err = pid < 0 ? errno : 0;
	close(fds[1]);
	if (!err && read(fds[0], &child_ns, sizeof(child_ns)) != sizeof(child_ns))
		err = EIO;
	close(fds[0]);
	if (pid > 0) {
		int e = reap(pid);

		err = err ? err : e;
	}
	munmap(p, len);
	*ns = child_ns;
	*iters = len / PAGE;
	return err;
}

static int b_pipe_pingpong(uint64_t *iters, uint64_t *ns)
{
	enum { N = 2000, WARM = 20 };
	int to_child[2], to_parent[2], err = 0;
	char c = 'x';
	uint64_t t0 = 0;
	pid_t pid;

	if (pipe(to_child) < 0)
		return errno;
	if (pipe(to_parent) < 0) {
		err = errno;
		close(to_child[0]);
		close(to_child[1]);
		return err;
	}
	pid = fork();
	if (pid == 0) {
		close(to_child[1]);
		close(to_parent[0]);
		while (read(to_child[0], &c, 1) == 1)
			if (write(to_parent[1], &c, 1) != 1)
				_exit(1);
		_exit(0);
	}
	if (pid < 0)
		err = errno;
	close(to_child[0]);
	close(to_parent[1]);
	for (int i = 0; !err && i < N + WARM; i++) {
		if (i == WARM)
			t0 = now_ns();
		if (write(to_child[1], &c, 1) != 1 || read(to_parent[0], &c, 1) != 1)
			err = EIO;
	}
	*ns = now_ns() - t0;
	*iters = N;
	close(to_child[1]); /* EOF: the child leaves */
	close(to_parent[0]);
	if (pid > 0) {
		int e = reap(pid);

		err = err ? err : e;
	}
	return err;
}

/* Two processes hand a turn to each other through a shared page, each
 * calling sched_yield until it is its turn: one round trip is two switches. */
static int b_yield_pingpong(uint64_t *iters, uint64_t *ns)
{
	enum { N = 2000 };
	const uint64_t give_up = 50000000; /* yields: the mapping is not shared */
	volatile int *turn = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint64_t t0, spins = 0;
	int err = 0;
	pid_t pid;

	if (turn == MAP_FAILED)
		return errno;
	*turn = 0;
	pid = fork();
	if (pid == 0) {
		for (int i = 0; i < N; i++) {
			while (__atomic_load_n(turn, __ATOMIC_ACQUIRE) != 1)
				if (sched_yield() < 0 || ++spins > give_up)
					_exit(1);
			__atomic_store_n(turn, 0, __ATOMIC_RELEASE);
		}
		_exit(0);
	}
	if (pid < 0) {
		err = errno;
		munmap((void *)turn, PAGE);
		return err;
	}
	t0 = now_ns();
	for (int i = 0; i < N && !err; i++) {
		__atomic_store_n(turn, 1, __ATOMIC_RELEASE);
		while (!err && __atomic_load_n(turn, __ATOMIC_ACQUIRE) != 0)
			if (sched_yield() < 0 || ++spins > give_up)
				err = ETIMEDOUT;
	}
	*ns = now_ns() - t0;
	*iters = N;
	if (err)
		kill(pid, SIGKILL);
	{
		int e = reap(pid);

		err = err ? err : e;
	}
	munmap((void *)turn, PAGE);
	return err;
}

static int b_read_file(uint64_t *iters, uint64_t *ns)
{
	enum { PASSES = 4 };
	static char buf[CHUNK];
	uint64_t t0, reads = 0;

	if (!data_ok)
		return data_err;
	t0 = now_ns();
	for (int pass = 0; pass < PASSES; pass++) {
		int fd = open(big_file, O_RDONLY);
		ssize_t n;

		if (fd < 0)
			return errno;
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			reads++;
		close(fd);
		if (n < 0)
			return errno;
	}
	*ns = now_ns() - t0;
	*iters = reads;
	return reads == PASSES * (FILE_SIZE / CHUNK) ? 0 : EIO;
}

static int b_open_close(uint64_t *iters, uint64_t *ns)
{
	enum { N = 2000 };
	uint64_t t0;

	if (!data_ok)
		return data_err;
	t0 = now_ns();
	for (int i = 0; i < N; i++) {
		int fd = open(big_file, O_RDONLY);

		if (fd < 0)
			return errno;
		close(fd);
	}
	*ns = now_ns() - t0;
	*iters = N;
	return 0;
}

static int b_stat_deep(uint64_t *iters, uint64_t *ns)
{
	enum { N = 2000 };
	struct stat st;
	uint64_t t0;

	if (!data_ok)
		return data_err;
	t0 = now_ns();
	for (int i = 0; i < N; i++)
		if (stat(deep_path, &st) < 0)
			return errno;
	*ns = now_ns() - t0;
	*iters = N;
	return 0;
}

/* stat of random existing names, relative to the open directory. */
static int b_lookup_10k(uint64_t *iters, uint64_t *ns)
{
	enum { N = 2000 };
	static char names[N][8];
	uint32_t x = 2463534242u; /* xorshift32: the same names on every run */
	struct stat st;
	uint64_t t0;
	int dfd, err = 0;

	if (!data_ok)
		return data_err;
	for (int i = 0; i < N; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		snprintf(names[i], sizeof(names[i]), "e%05u", x % DIR_ENTRIES);
	}
	dfd = open(big_dir, O_RDONLY | O_DIRECTORY);
	if (dfd < 0)
		return errno;
	t0 = now_ns();
	for (int i = 0; i < N && !err; i++)
		if (fstatat(dfd, names[i], &st, 0) < 0)
			err = errno;
	*ns = now_ns() - t0;
	*iters = N;
	close(dfd);
	return err;
}

static int b_mmap_munmap(uint64_t *iters, uint64_t *ns)
{
	enum { N = 2000 };
	uint64_t t0 = now_ns();

	for (int i = 0; i < N; i++) {
		void *p = mmap(NULL, MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			return errno;
		if (munmap(p, MiB) < 0)
			return errno;
	}
	*ns = now_ns() - t0;
	*iters = N;
	return 0;
}

/* fork + _exit + wait of a process with `mib` MiB of touched private memory. */
static int fork_touched(size_t mib, int n, uint64_t *iters, uint64_t *ns)
{
	size_t len = mib * MiB;
	char *p = anon(len);
	uint64_t t0;
	int err = 0;

	if (!p)
		return errno;
	touch(p, len);
	t0 = now_ns();
	for (int i = 0; i < n && !err; i++) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(0);
		err = pid < 0 ? errno : reap(pid);
	}
	*ns = now_ns() - t0;
	*iters = (uint64_t)n;
	munmap(p, len);
	return err;
}

static int b_fork_4m(uint64_t *iters, uint64_t *ns)
{
	return fork_touched(4, 50, iters, ns);
}

static int b_fork_256m(uint64_t *iters, uint64_t *ns)
{
	return fork_touched(256, 5, iters, ns);
}

static const struct bench {
	const char *name;
	int (*fn)(uint64_t *iters, uint64_t *ns);
} benches[] = {
	{ "getppid", b_getppid },
	{ "sched_yield", b_sched_yield },
	{ "fork_exit_wait", b_fork_exit_wait },
	{ "fork_exec_wait", b_fork_exec_wait },
	{ "page_fault_64m", b_page_fault },
	{ "cow_fault_16m", b_cow_fault },
	{ "pipe_pingpong", b_pipe_pingpong },
	{ "yield_pingpong", b_yield_pingpong },
	{ "read_4m_64k", b_read_file },
	{ "open_close", b_open_close },
	{ "stat_6deep", b_stat_deep },
	{ "lookup_10k", b_lookup_10k },
	{ "mmap_munmap_1m", b_mmap_munmap },
	{ "fork_4m", b_fork_4m },
	{ "fork_256m", b_fork_256m },
};

/* ---------------------------------------------------------------- data */

static int mkdir_p(const char *path)
{
	return mkdir(path, 0755) < 0 && errno != EEXIST ? errno : 0;
}

/* The 4 MiB file, the 6-deep path (/tmp/<dir>/a/b/c/f) and the 10,000-entry
 * directory (hard links to one file: no inode each, so a small ext2 fits). */
static int make_data(void)
{
	static char buf[CHUNK];
	char path[128];
	int fd, err;

	if ((err = mkdir_p("/tmp")) || (err = mkdir_p(data_dir)))
		return err;
	fd = open(big_file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return errno;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i * 7);
	for (size_t off = 0; off < FILE_SIZE; off += CHUNK)
		if (write(fd, buf, CHUNK) != (ssize_t)CHUNK) {
			err = errno ? errno : ENOSPC;
			close(fd);
			return err;
		}
	close(fd);

	snprintf(path, sizeof(path), "%s/a", data_dir);
	if ((err = mkdir_p(path)))
		return err;
	snprintf(path, sizeof(path), "%s/a/b", data_dir);
	if ((err = mkdir_p(path)))
		return err;
	snprintf(path, sizeof(path), "%s/a/b/c", data_dir);
	if ((err = mkdir_p(path)))
		return err;
	fd = open(deep_path, O_WRONLY | O_CREAT, 0644);
	if (fd < 0)
		return errno;
	close(fd);

	fd = open(link_target, O_WRONLY | O_CREAT, 0644);
	if (fd < 0)
		return errno;
	close(fd);
	if ((err = mkdir_p(big_dir)))
		return err;
	for (int i = 0; i < DIR_ENTRIES; i++) {
		snprintf(path, sizeof(path), "%s/e%05d", big_dir, i);
		if (link(link_target, path) < 0 && errno != EEXIST) {
			err = errno;
			fd = open(path, O_WRONLY | O_CREAT, 0644); /* no hard links? files */
			if (fd < 0)
				return err;
			close(fd);
		}
	}
	return 0;
}

static void remove_data(void)
{
	char path[128];

	for (int i = 0; i < DIR_ENTRIES; i++) {
		snprintf(path, sizeof(path), "%s/e%05d", big_dir, i);
		unlink(path);
	}
	rmdir(big_dir);
	unlink(link_target);
	unlink(deep_path);
	snprintf(path, sizeof(path), "%s/a/b/c", data_dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/a/b", data_dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/a", data_dir);
	rmdir(path);
	unlink(big_file);
	rmdir(data_dir);
}

/* ---------------------------------------------------------------- main */

static void find_exit0(const char *argv0)
{
	const char *env = getenv("BENCH_EXIT0"), *slash = strrchr(argv0, '/');

	if (env) {
		snprintf(exit0_path, sizeof(exit0_path), "%s", env);
		return;
	}
	if (slash) {
		snprintf(exit0_path, sizeof(exit0_path), "%.*s/exit0", (int)(slash - argv0), argv0);
		if (access(exit0_path, X_OK) == 0)
			return;
	}
	snprintf(exit0_path, sizeof(exit0_path), "/bin/exit0");
}

static int wanted(int argc, char **argv, const char *name)
{
	if (argc < 2)
		return 1;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	struct timespec boot;
	struct sysinfo si;
	struct utsname u;
	int init = getpid() == 1, ran = 0;

	/* First: how long after the kernel's start this program runs. */
	clock_gettime(CLOCK_BOOTTIME, &boot);

	if (init && fcntl(1, F_GETFD) < 0) {
		int fd = open("/dev/console", O_RDWR);

		if (fd >= 0) {
			while (fd >= 0 && fd < 2)
				fd = dup(fd);
			dup2(0, 1);
			dup2(0, 2);
		}
	}
	if (uname(&u) == 0)
		say("bench: start on %s %s %s\n", u.sysname, u.release, u.machine);
	if (sysinfo(&si) == 0)
		say("bench: sysinfo totalram %llu freeram %llu bytes\n",
		    (unsigned long long)si.totalram * si.mem_unit,
		    (unsigned long long)si.freeram * si.mem_unit);
	if (wanted(argc, argv, "boot_to_init")) {
		uint64_t b = (uint64_t)boot.tv_sec * 1000000000ull + (uint64_t)boot.tv_nsec;

		say("BENCH boot_to_init 1 %llu %llu\n", (unsigned long long)b, (unsigned long long)b);
		ran++;
	}

	find_exit0(argv[0]);
	if (init)
		snprintf(data_dir, sizeof(data_dir), "/tmp/bench");
	else
		snprintf(data_dir, sizeof(data_dir), "/tmp/bench-%d", (int)getpid());
	snprintf(big_file, sizeof(big_file), "%s/file4m", data_dir);
	snprintf(deep_path, sizeof(deep_path), "%s/a/b/c/f", data_dir);
	snprintf(big_dir, sizeof(big_dir), "%s/dir10k", data_dir);
	snprintf(link_target, sizeof(link_target), "%s/target", data_dir);
	{
		uint64_t t0 = now_ns();

		data_err = make_data();
		data_ok = data_err == 0;
		if (data_ok)
			say("bench: data in %s made in %llu ns\n", data_dir,
			    (unsigned long long)(now_ns() - t0));
		else
			say("bench: making data in %s failed: %s\n", data_dir, strerror(data_err));
	}

	for (size_t i = 0; i < sizeof(benches) / sizeof(benches[0]); i++) {
		const struct bench *b = &benches[i];
		uint64_t iters = 0, ns = 0;
		int err;

		if (!wanted(argc, argv, b->name))
			continue;
		ran++;
		errno = 0;
		err = b->fn(&iters, &ns);
		if (err || iters == 0) {
			say("BENCH %s FAILED %d\n", b->name, err ? err : EINVAL);
			failures++;
		} else {
			say("BENCH %s %llu %llu %llu\n", b->name, (unsigned long long)iters,
			    (unsigned long long)ns, (unsigned long long)(ns / iters));
		}
	}
	if (!init)
		remove_data();
	say("bench: done: %d benchmarks, %d failed\n", ran, failures);
	if (init) {
		sync();
		reboot(RB_POWER_OFF);
		for (;;)
			pause();
	}
	return failures ? 1 : 0;
}
