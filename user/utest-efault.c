/* Test: every pointer-taking syscall answers a bad pointer with -1/EFAULT and the process lives on. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * Calls go through raw syscall() so musl never touches the pointer first.
 * Bad pointers the kernel would read from (sources): NULL, 0x1, the kernel
 * direct map (0xffff800000000000), kernel text (0xffffffff80000000), the
 * first non-canonical address, a range wrapping past 2^64, an unmapped page
 * right after a mapping, and a range that starts 8 bytes below the top of
 * user space (0x7ffffffff000) and runs past it. For that last one the test
 * maps the top user page itself (filled with 'a', no NUL; the case is left
 * out if the page is taken), so only a range check can refuse it; it is
 * tried only where the kernel must touch more than 8 bytes or read a string.
 * Paths also get a string with no NUL that runs into the unmapped page.
 * Targets the kernel would write to get all of these plus a read-only page
 * and the program's own text.
 *
 * Expected: each call returns -1 with errno EFAULT; the read-only page keeps
 * its contents; the process is alive at the end. Exceptions, as on Linux:
 * NULL is not tried where it means "none" (execve argv, wait4 status and
 * rusage, the optional sigaction/sigprocmask/prlimit/gettimeofday
 * pointers); set_tid_address never reads its pointer: it returns the tid,
 * and the exit that later writes the bad pointer must not hurt the (child)
 * process. The wait4 cases use a fresh zombie each (Linux reaps it even
 * when the status copy fails). A faulting copy may write the part before
 * the fault, as Linux's does: only the return value is checked.
 */

#define PAGE 4096

static const char *prog = "utest-efault";
static int failures, checks;

struct bad_ptr {
	const char *name;
	void *ptr;
	bool straddles_top; /* valid for its first 8 bytes when the top page is ours */
};

/* Sources first; the two write-target-only entries are last. */
static struct bad_ptr bad[11];
static int n_src, n_dst;
static char *unterminated;
static char *top_page; /* the last user page, when this test could map it */
static unsigned char *read_only;

static char tmp_file[64], tmp_link[64], tmp_dir[64];

/* Records one expectation: ret must be -1 with errno EFAULT. */
static void expect_efault(const char *call, const char *ptr_name, long ret)
{
	int err = errno;

	checks++;
	/* A copy that faults may have written up to the fault (Linux does):
	 * refill the top page so later string checks still find no NUL. */
	if (top_page)
		memset(top_page, 'a', PAGE);
	errno = err;
	if (ret == -1 && errno == EFAULT)
		return;
	failures++;
	if (ret == -1)
		fprintf(stderr, "%s: %s with %s: errno %d (%s), expected EFAULT\n",
			prog, call, ptr_name, errno, strerror(errno));
	else
		fprintf(stderr, "%s: %s with %s: returned %ld, expected EFAULT\n",
			prog, call, ptr_name, ret);
}

static void fail(const char *what)
{
	failures++;
	fprintf(stderr, "%s: %s: %s\n", prog, what, strerror(errno));
}

static void noop(void)
{
}

/* Whether bad[i] is a bad pointer for an access of size bytes; NULL is
 * not one where the argument is optional (it means "none"). */
static bool bad_for(int i, size_t size, bool optional)
{
	if (optional && bad[i].ptr == NULL)
		return false;
	return !bad[i].straddles_top || size > 8;
}

/* Maps the last page of user space so that a range straddling the top is
 * half valid: then only a range check rejects it. Returns false if that page
 * is not free (the straddling case is then left out). */
static bool map_top_page(void)
{
	void *want = (void *)(0x00007ffffffff000UL - PAGE);
	char *p = mmap(want, PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	if (p == MAP_FAILED)
		return false;
	if (p != want) {
		munmap(p, PAGE);
		return false;
	}
	memset(p, 'a', PAGE);
	top_page = p;
	return true;
}

static void add_bad(int *n, const char *name, uintptr_t addr, bool straddles_top)
{
	bad[(*n)++] = (struct bad_ptr){ name, (void *)addr, straddles_top };
}

/* Builds the table of bad pointers. Returns 0, or -1 if a mapping failed. */
static int setup_bad_pointers(void)
{
	char *two = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	read_only = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (two == MAP_FAILED || read_only == MAP_FAILED)
		return -1;
	if (munmap(two + PAGE, PAGE) < 0)
		return -1;
	memset(read_only, 0x5a, PAGE);
	if (mprotect(read_only, PAGE, PROT_READ) < 0)
		return -1;
	unterminated = two + PAGE - 64;
	memset(unterminated, 'a', 64);

	add_bad(&n_src, "NULL", 0, false);
	add_bad(&n_src, "0x1", 1, false);
	add_bad(&n_src, "the kernel direct map", 0xffff800000000000UL, false);
	add_bad(&n_src, "kernel text", 0xffffffff80000000UL, false);
	add_bad(&n_src, "a non-canonical address", 0x0000800000000000UL, false);
	add_bad(&n_src, "a range wrapping past 2^64", ~0UL - 7, false);
	add_bad(&n_src, "an unmapped page after a mapping", (uintptr_t)(two + PAGE), false);
	if (map_top_page())
		add_bad(&n_src, "a range across the top of user space",
			0x00007ffffffff000UL - 8, true);
	n_dst = n_src;
	add_bad(&n_dst, "a read-only page", (uintptr_t)read_only, false);
	add_bad(&n_dst, "program text", (uintptr_t)noop, false);
	return 0;
}

/* read, pread64, readv, write, writev, on a regular file (never blocks). */
static void check_read_write(void)
{
	int fd = open(tmp_file, O_RDWR | O_CREAT | O_TRUNC, 0600);
	char data[64] = "some bytes to read back";
	struct iovec iov;

	if (fd < 0 || write(fd, data, sizeof(data)) != sizeof(data)) {
		fail("create the data file");
		return;
	}
	for (int i = 0; i < n_dst; i++) {
		lseek(fd, 0, SEEK_SET);
		expect_efault("read", bad[i].name, syscall(SYS_read, fd, bad[i].ptr, 16));
		expect_efault("pread64", bad[i].name, syscall(SYS_pread64, fd, bad[i].ptr, 16, 0));
		iov = (struct iovec){ bad[i].ptr, 16 };
		lseek(fd, 0, SEEK_SET);
		expect_efault("readv buffer", bad[i].name, syscall(SYS_readv, fd, &iov, 1));
	}
	for (int i = 0; i < n_src; i++) {
		expect_efault("readv iovec", bad[i].name, syscall(SYS_readv, fd, bad[i].ptr, 1));
		expect_efault("write", bad[i].name, syscall(SYS_write, fd, bad[i].ptr, 16));
		expect_efault("writev iovec", bad[i].name, syscall(SYS_writev, fd, bad[i].ptr, 1));
		iov = (struct iovec){ bad[i].ptr, 16 };
		expect_efault("writev buffer", bad[i].name, syscall(SYS_writev, fd, &iov, 1));
	}
	close(fd);
}

/* Every call that takes a path, with bad paths (and the unterminated one). */
static void check_paths(void)
{
	struct stat st;
	char buf[64];

	for (int i = 0; i <= n_src; i++) {
		const char *name = i < n_src ? bad[i].name : "a path running into an unmapped page";
		void *p = i < n_src ? bad[i].ptr : unterminated;

		expect_efault("open", name, syscall(SYS_open, p, O_RDONLY));
		expect_efault("openat", name, syscall(SYS_openat, AT_FDCWD, p, O_RDONLY));
		expect_efault("stat path", name, syscall(SYS_stat, p, &st));
		expect_efault("newfstatat path", name, syscall(SYS_newfstatat, AT_FDCWD, p, &st, 0));
		expect_efault("readlink path", name, syscall(SYS_readlink, p, buf, sizeof(buf)));
		expect_efault("access", name, syscall(SYS_access, p, F_OK));
		expect_efault("chdir", name, syscall(SYS_chdir, p));
		expect_efault("mkdir", name, syscall(SYS_mkdir, p, 0700));
		expect_efault("unlink", name, syscall(SYS_unlink, p));
	}
}

/* Calls that fill a buffer: each bad target must give EFAULT. */
static void check_output_buffers(void)
{
	int dir_fd = open(tmp_dir, O_RDONLY | O_DIRECTORY);
	int fd = open(tmp_file, O_RDONLY);

	if (dir_fd < 0 || fd < 0) {
		fail("open the scratch directory and file");
		return;
	}
	for (int i = 0; i < n_dst; i++) {
		const char *name = bad[i].name;
		void *p = bad[i].ptr;

		expect_efault("stat buffer", name, syscall(SYS_stat, tmp_file, p));
		expect_efault("fstat", name, syscall(SYS_fstat, fd, p));
		expect_efault("newfstatat buffer", name,
			      syscall(SYS_newfstatat, AT_FDCWD, tmp_file, p, 0));
		lseek(dir_fd, 0, SEEK_SET);
		expect_efault("getdents64", name, syscall(SYS_getdents64, dir_fd, p, 4096));
		expect_efault("uname", name, syscall(SYS_uname, p));
		expect_efault("clock_gettime", name, syscall(SYS_clock_gettime, CLOCK_MONOTONIC, p));
		expect_efault("getrandom", name, syscall(SYS_getrandom, p, 16, 0));
		expect_efault("readlink buffer", name, syscall(SYS_readlink, tmp_link, p, 64));
		expect_efault("sysinfo", name, syscall(SYS_sysinfo, p));
		if (!bad_for(i, 16, true))
			continue; /* the rest take NULL for "not wanted" */
		expect_efault("gettimeofday", name, syscall(SYS_gettimeofday, p, NULL));
		expect_efault("rt_sigaction oldact", name,
			      syscall(SYS_rt_sigaction, SIGUSR1, NULL, p, 8));
		expect_efault("prlimit64 old", name,
			      syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, p));
	}
	for (int i = 0; i < n_dst; i++) {
		const char *name = bad[i].name;
		void *p = bad[i].ptr;

		if (!bad_for(i, 8, false))
			continue; /* these write 8 bytes or fewer */
		expect_efault("pipe", name, syscall(SYS_pipe, p));
		expect_efault("pipe2", name, syscall(SYS_pipe2, p, 0));
		expect_efault("getcwd", name, syscall(SYS_getcwd, p, 256));
		expect_efault("arch_prctl ARCH_GET_FS", name,
			      syscall(SYS_arch_prctl, 0x1003 /* ARCH_GET_FS */, p));
		if (bad_for(i, 8, true))
			expect_efault("rt_sigprocmask oldset", name,
				      syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, p, 8));
	}
	close(dir_fd);
	close(fd);
}

/* Calls that read a structure: rt_sigaction, rt_sigprocmask, nanosleep. */
static void check_input_structs(void)
{
	for (int i = 0; i < n_src; i++) {
		const char *name = bad[i].name;
		void *p = bad[i].ptr;

		if (bad_for(i, 32, true))
			expect_efault("rt_sigaction act", name,
				      syscall(SYS_rt_sigaction, SIGUSR1, p, NULL, 8));
		if (bad_for(i, 8, true))
			expect_efault("rt_sigprocmask set", name,
				      syscall(SYS_rt_sigprocmask, SIG_BLOCK, p, NULL, 8));
		expect_efault("nanosleep", name, syscall(SYS_nanosleep, p, NULL));
	}
}

/* wait4 writing the status, then the rusage, to bad addresses: a fresh
 * zombie each time (NULL means "not wanted" for both). */
static void check_wait4(void)
{
	for (int i = 0; i < 2 * n_dst; i++) {
		int k = i % n_dst;
		bool status_case = i < n_dst;
		pid_t pid;

		if (!bad_for(k, status_case ? 4 : 144, true))
			continue;
		pid = fork();
		if (pid < 0) {
			fail("fork");
			return;
		}
		if (pid == 0)
			_exit(0);
		if (status_case)
			expect_efault("wait4 status", bad[k].name,
				      syscall(SYS_wait4, pid, bad[k].ptr, 0, NULL));
		else
			expect_efault("wait4 rusage", bad[k].name,
				      syscall(SYS_wait4, pid, NULL, 0, bad[k].ptr));
		syscall(SYS_wait4, pid, NULL, 0, NULL); /* reap it if still there */
	}
}

/* execve with bad path, argv, argv[i], envp and envp[i]. In a child, so a
 * wrongly successful exec (of exit0) shows up as exit status 0, not 77. */
static void check_execve(void)
{
	const char *dir = getenv("UTEST_BIN_DIR");
	char path[256];
	int status = 0;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/exit0", dir && *dir ? dir : "/bin");
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		fail("fork");
		return;
	}
	if (pid == 0) {
		char *ok_argv[] = { "exit0", NULL }, *envp[] = { NULL };

		failures = 0;
		for (int i = 0; i <= n_src; i++) {
			const char *name = i < n_src ? bad[i].name : "a path running into an unmapped page";
			void *p = i < n_src ? bad[i].ptr : unterminated;

			expect_efault("execve path", name, syscall(SYS_execve, p, ok_argv, envp));
			if (p == NULL || i == n_src)
				continue;
			char *bad_elem[] = { "exit0", p, NULL };

			expect_efault("execve argv", name, syscall(SYS_execve, path, p, envp));
			expect_efault("execve argv[1]", name, syscall(SYS_execve, path, bad_elem, envp));
			expect_efault("execve envp", name, syscall(SYS_execve, path, ok_argv, p));
			expect_efault("execve envp[1]", name,
				      syscall(SYS_execve, path, ok_argv, bad_elem));
		}
		_exit(failures ? 1 : 77);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 77) {
		failures++;
		fprintf(stderr, "%s: execve child: status %#x, expected exit 77 "
			"(0 means an execve with a bad pointer ran exit0)\n", prog, status);
	}
}

/* set_tid_address never faults; the bad pointer is written (and ignored) at exit. */
static void check_set_tid_address(void)
{
	for (int i = 0; i < n_dst; i++) {
		int status = 0;
		pid_t pid = fork();

		if (pid < 0) {
			fail("fork");
			return;
		}
		if (pid == 0) {
			long tid = syscall(SYS_set_tid_address, bad[i].ptr);

			_exit(tid == syscall(SYS_gettid) ? 0 : 1);
		}
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
			failures++;
			fprintf(stderr, "%s: set_tid_address(%s): child status %#x, expected exit 0\n",
				prog, bad[i].name, status);
		}
	}
}

int main(void)
{
	int pid = getpid();

	snprintf(tmp_file, sizeof(tmp_file), "/tmp/utest-efault-%d.dat", pid);
	snprintf(tmp_link, sizeof(tmp_link), "/tmp/utest-efault-%d.lnk", pid);
	snprintf(tmp_dir, sizeof(tmp_dir), "/tmp/utest-efault-%d.dir", pid);
	if (setup_bad_pointers() < 0 || symlink("a-symlink-target-longer-than-8-bytes", tmp_link) < 0 || mkdir(tmp_dir, 0700) < 0) {
		fail("setup");
		return 1;
	}
	check_read_write();
	check_paths();
	check_output_buffers();
	check_input_structs();
	check_wait4();
	check_execve();
	check_set_tid_address();

	for (int i = 0; i < PAGE; i++) {
		if (read_only[i] != 0x5a) {
			failures++;
			fprintf(stderr, "%s: the read-only page changed at offset %d\n", prog, i);
			break;
		}
	}
	if (getpid() != pid) {
		failures++;
		fprintf(stderr, "%s: getpid changed\n", prog);
	}
	unlink(tmp_file);
	unlink(tmp_link);
	rmdir(tmp_dir);
	if (failures)
		fprintf(stderr, "%s: %d of %d checks failed\n", prog, failures, checks);
	return failures ? 1 : 0;
}
