/* Test: execve of each program type (static ET_EXEC, static-PIE), argument passing, and the errors of bad images. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * Programs come from UTEST_BIN_DIR (default /bin). Expected:
 *   hello, hello-pie   stdout exactly "hello from user space\n", exit 0
 *   exit0              no output, exit 0
 *   utest-exec itself  re-executed with 70 arguments (one empty, one of
 *                      8 KiB), a two-entry environment and two open fds: the
 *                      new image sees exactly those strings, AT_PAGESZ 4096,
 *                      AT_PHDR and AT_ENTRY set, the O_CLOEXEC fd closed and
 *                      the other still open; it exits 42
 *   missing file       ENOENT        a path through a regular file  ENOTDIR
 *   a text file (0755) ENOEXEC       a 16-byte "\177ELF" stub       ENOEXEC
 *   an x86-64 ELF header with no program headers                    ENOEXEC
 * The failing execve calls run in a child that exits with the errno, so a
 * wrongly successful exec cannot replace the test itself.
 */

#define BIG_ARG 8192
#define EXTRA_ARGS 64
#define REEXEC_STATUS 42

static const char *prog = "utest-exec";
static int failures;
static char bin_dir[256];

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void fail(const char *fmt, ...)
{
	va_list ap;

	failures++;
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Runs path in a child with argv/envp and stdout into a pipe. Fills out
 * (NUL-terminated, at most len - 1 bytes) and returns the wait status, or -1. */
static int run(const char *path, char *const argv[], char *const envp[], char *out, size_t len)
{
	int fds[2], status = 0;
	size_t used = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(fds) < 0)
		return -1;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execve(path, argv, envp);
		fprintf(stderr, "%s: execve %s: %s\n", prog, path, strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	while (used + 1 < len && (n = read(fds[0], out + used, len - 1 - used)) != 0) {
		if (n < 0 && errno != EINTR)
			break;
		if (n > 0)
			used += (size_t)n;
	}
	out[used] = '\0';
	close(fds[0]);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

/* Runs a program with no arguments and checks its output and exit 0. */
static void check_program(const char *name, const char *expected_out)
{
	char path[512], out[256];
	char *argv[] = { (char *)name, NULL }, *envp[] = { NULL };
	int status = 0;

	snprintf(path, sizeof(path), "%s/%s", bin_dir, name);
	status = run(path, argv, envp, out, sizeof(out));
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail("%s: wait status %#x, expected exit 0", path, status);
	if (strcmp(out, expected_out) != 0)
		fail("%s: printed \"%s\", expected \"%s\"", path, out, expected_out);
}

/* The re-executed side: checks what the kernel put on the new stack.
 * Returns REEXEC_STATUS if everything is as check_reexec_from_parent sent it. */
static int check_reexec(int argc, char **argv, char **envp)
{
	int nenv = 0, cloexec_fd = -1, open_fd = -1;
	char expect[32];

	if (argc != 6 + EXTRA_ARGS) {
		fail("argc %d, expected %d", argc, 6 + EXTRA_ARGS);
	} else {
		if (strcmp(argv[2], "one") || strcmp(argv[3], "") ||
		    strcmp(argv[4], "three with spaces"))
			fail("argv[2..4] differ");
		if (strlen(argv[5]) != BIG_ARG - 1 || strspn(argv[5], "x") != BIG_ARG - 1)
			fail("the %d-byte argument arrived as %zu bytes", BIG_ARG - 1, strlen(argv[5]));
		for (int i = 0; i < EXTRA_ARGS; i++) {
			snprintf(expect, sizeof(expect), "arg%d", i);
			if (strcmp(argv[6 + i], expect))
				fail("argv[%d] is \"%s\", expected \"%s\"", 6 + i, argv[6 + i], expect);
		}
		if (argv[argc] != NULL)
			fail("argv[argc] is not NULL");
	}
	for (; envp[nenv]; nenv++) {
		if (sscanf(envp[nenv], "UTEST_EXEC_FDS=%d,%d", &cloexec_fd, &open_fd) == 2)
			continue;
		if (strcmp(envp[nenv], "UTEST_EXEC_MARK=42") != 0)
			fail("unexpected environment string \"%s\"", envp[nenv]);
	}
	if (nenv != 2)
		fail("%d environment strings, expected 2", nenv);
	if (getauxval(AT_PAGESZ) != 4096 || !getauxval(AT_PHDR) || !getauxval(AT_ENTRY))
		fail("auxv AT_PAGESZ %lu AT_PHDR %#lx AT_ENTRY %#lx", getauxval(AT_PAGESZ),
		     getauxval(AT_PHDR), getauxval(AT_ENTRY));
	if (cloexec_fd < 0 || fcntl(cloexec_fd, F_GETFD) != -1 || errno != EBADF)
		fail("O_CLOEXEC fd %d survived execve", cloexec_fd);
	if (open_fd < 0 || fcntl(open_fd, F_GETFD) != 0)
		fail("fd %d without O_CLOEXEC was closed by execve", open_fd);
	return failures ? 1 : REEXEC_STATUS;
}

/* Re-executes this program with many arguments and a small environment. */
static void check_reexec_from_parent(void)
{
	static char big[BIG_ARG], extra[EXTRA_ARGS][16], env_fds[64];
	char *argv[6 + EXTRA_ARGS + 1] = { "utest-exec", "--reexec", "one", "", "three with spaces", big };
	char *envp[] = { "UTEST_EXEC_MARK=42", env_fds, NULL };
	char path[512], out[64];
	int cloexec_fd = open("/", O_RDONLY | O_CLOEXEC), open_fd = open("/", O_RDONLY);
	int status = 0;

	memset(big, 'x', BIG_ARG - 1);
	for (int i = 0; i < EXTRA_ARGS; i++) {
		snprintf(extra[i], sizeof(extra[i]), "arg%d", i);
		argv[6 + i] = extra[i];
	}
	snprintf(env_fds, sizeof(env_fds), "UTEST_EXEC_FDS=%d,%d", cloexec_fd, open_fd);
	snprintf(path, sizeof(path), "%s/utest-exec", bin_dir);
	status = run(path, argv, envp, out, sizeof(out));
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != REEXEC_STATUS)
		fail("re-exec of %s: wait status %#x, expected exit %d", path, status, REEXEC_STATUS);
	close(cloexec_fd);
	close(open_fd);
}

/* execve(path) in a child must fail with want; the child exits with errno. */
static void check_exec_error(const char *path, int want, const char *what)
{
	char *argv[] = { "x", NULL }, *envp[] = { NULL };
	int status = 0;
	pid_t pid;

	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		fail("fork: %s", strerror(errno));
		return;
	}
	if (pid == 0) {
		syscall(SYS_execve, path, argv, envp);
		_exit(errno);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		fail("execve of %s: child wait status %#x", what, status);
	else if (WEXITSTATUS(status) != want)
		fail("execve of %s (%s): got %d (%s), expected %s", what, path,
		     WEXITSTATUS(status), strerror(WEXITSTATUS(status)), strerror(want));
}

/* Writes len bytes to a new executable file. Returns 0 or -1. */
static int write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, data, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

static void check_bad_images(void)
{
	static const char text[] = "this is not a program\n";
	static const unsigned char stub[16] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };
	unsigned char ehdr[64] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };
	char path[3][64], buf[600];

	/* ET_EXEC, EM_X86_64, version 1, e_ehsize 64, e_phentsize 56, e_phnum 0 */
	ehdr[16] = 2;
	ehdr[18] = 62;
	ehdr[20] = 1;
	ehdr[52] = 64;
	ehdr[54] = 56;
	for (int i = 0; i < 3; i++)
		snprintf(path[i], sizeof(path[i]), "/tmp/utest-exec-%d.%d", (int)getpid(), i);
	if (write_file(path[0], text, sizeof(text) - 1) < 0 ||
	    write_file(path[1], stub, sizeof(stub)) < 0 ||
	    write_file(path[2], ehdr, sizeof(ehdr)) < 0) {
		fail("create files in /tmp: %s", strerror(errno));
	} else {
		check_exec_error(path[0], ENOEXEC, "a text file");
		check_exec_error(path[1], ENOEXEC, "a 16-byte ELF stub");
		check_exec_error(path[2], ENOEXEC, "an ELF header without program headers");
	}
	for (int i = 0; i < 3; i++)
		unlink(path[i]);

	snprintf(buf, sizeof(buf), "%s/no-such-program", bin_dir);
	check_exec_error(buf, ENOENT, "a missing file");
	snprintf(buf, sizeof(buf), "%s/hello/x", bin_dir);
	check_exec_error(buf, ENOTDIR, "a path through a regular file");
}

int main(int argc, char **argv, char **envp)
{
	const char *dir = getenv("UTEST_BIN_DIR");

	if (argc > 1 && strcmp(argv[1], "--reexec") == 0)
		return check_reexec(argc, argv, envp);
	snprintf(bin_dir, sizeof(bin_dir), "%s", dir && *dir ? dir : "/bin");

	check_program("hello", "hello from user space\n");
	check_program("hello-pie", "hello from user space\n");
	check_program("exit0", "");
	check_reexec_from_parent();
	check_bad_images();
	return failures ? 1 : 0;
}
