/* Runs test programs one at a time with a timeout and reports PASS/FAIL; as init it powers off at the end. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * Usage: testrunner [-t SECONDS] [TEST...]
 *
 * Without TEST arguments it runs every utest-* program of the test
 * directory, in name order: UTEST_BIN_DIR if set, else the directory of
 * argv[0], else /bin. The runner exports that directory as UTEST_BIN_DIR,
 * where the tests find the programs they exec. A TEST without a slash is looked up in that
 * directory, one with a slash is used as given. Each test runs in a child
 * (fork + execve, no arguments, the runner's environment) and passes if it
 * exits with status 0 within the timeout (-t, else UTEST_TIMEOUT, else 120 s).
 *
 * Output on stdout, one line per test, then the summary:
 *     PASS <name>
 *     FAIL <name>: <reason>
 *     <N> passed, <M> failed
 * Exit status 0 if every test passed, else 1. As pid 1 it never exits: it
 * powers the machine off and, should that return, sleeps forever.
 */

#define DEFAULT_TIMEOUT_S 120
#define MAX_TESTS 256

/* Linux's reboot(2) magic; musl ships no <linux/reboot.h>. */
#define LINUX_REBOOT_MAGIC1 0xfee1deadUL
#define LINUX_REBOOT_MAGIC2 672274793UL
#define LINUX_REBOOT_CMD_POWER_OFF 0x4321fedcUL

/* The running test, for the SIGALRM handler. */
static volatile pid_t current_child;
static volatile sig_atomic_t timed_out;

/* SIGALRM: the test ran out of time. Killing here, not after wait4 returns
 * EINTR, leaves no window in which an alarm could be missed. */
static void on_alarm(int sig)
{
	(void)sig;
	timed_out = 1;
	if (current_child > 0) {
		kill(-current_child, SIGKILL); /* its process group, if it has one */
		kill(current_child, SIGKILL);
	}
}

static const char *signal_name(int sig)
{
	static const char *const names[] = {
		[SIGHUP] = "SIGHUP",   [SIGINT] = "SIGINT",   [SIGQUIT] = "SIGQUIT",
		[SIGILL] = "SIGILL",   [SIGTRAP] = "SIGTRAP", [SIGABRT] = "SIGABRT",
		[SIGBUS] = "SIGBUS",   [SIGFPE] = "SIGFPE",   [SIGKILL] = "SIGKILL",
		[SIGUSR1] = "SIGUSR1", [SIGSEGV] = "SIGSEGV", [SIGUSR2] = "SIGUSR2",
		[SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM", [SIGTERM] = "SIGTERM",
		[SIGSYS] = "SIGSYS",
	};

	if (sig > 0 && sig < (int)(sizeof(names) / sizeof(names[0])) && names[sig])
		return names[sig];
	return "?";
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static int compare_strings(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Fills tests[] with malloc'd paths of dir/utest-*, sorted by name.
 * Returns how many, or -1 (errno set) if dir cannot be read. */
static int find_tests(const char *dir, char **tests, int max)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)) && n < max) {
		if (strncmp(e->d_name, "utest-", 6) != 0)
			continue;
		if (asprintf(&tests[n], "%s/%s", dir, e->d_name) < 0)
			break;
		n++;
	}
	closedir(d);
	qsort(tests, n, sizeof(tests[0]), compare_strings);
	return n;
}

/* The child's side of run_test: never returns. An execve error number goes
 * back through the close-on-exec pipe. */
static void exec_test(const char *path, int err_fd)
{
	char *const argv[] = { (char *)path, NULL };
	int err;

	setpgid(0, 0); /* so a timeout can kill what the test forked */
	execve(path, argv, environ);
	err = errno;
	write(err_fd, &err, sizeof(err));
	_exit(127);
}

/* Runs one test program and prints its PASS/FAIL line. Orphans that the
 * kernel hands to an init runner are reaped on the way.
 * Returns true if the test exited with status 0 in time. */
static bool run_test(const char *path, unsigned timeout_s)
{
	const char *name = base_name(path);
	int pipe_fds[2], status = 0, exec_err = 0;
	ssize_t n;
	pid_t pid, r;

	if (pipe2(pipe_fds, O_CLOEXEC) < 0) {
		printf("FAIL %s: pipe2: %s\n", name, strerror(errno));
		return false;
	}
	fflush(stdout);
	fflush(stderr);
	timed_out = 0;
	pid = fork();
	if (pid < 0) {
		printf("FAIL %s: fork: %s\n", name, strerror(errno));
		close(pipe_fds[0]);
		close(pipe_fds[1]);
		return false;
	}
	if (pid == 0) {
		close(pipe_fds[0]);
		exec_test(path, pipe_fds[1]);
	}
	current_child = pid;
	alarm(timeout_s);
	close(pipe_fds[1]);
	do
		n = read(pipe_fds[0], &exec_err, sizeof(exec_err));
	while (n < 0 && errno == EINTR);
	close(pipe_fds[0]);
	for (;;) {
		r = wait4(-1, &status, 0, NULL);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			alarm(0);
			current_child = 0;
			printf("FAIL %s: wait4: %s\n", name, strerror(errno));
			return false;
		}
	}
	alarm(0);
	current_child = 0;

	if (n == (ssize_t)sizeof(exec_err))
		printf("FAIL %s: exec: %s\n", name, strerror(exec_err));
	else if (timed_out)
		printf("FAIL %s: timed out after %u s\n", name, timeout_s);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		printf("PASS %s\n", name);
	else if (WIFEXITED(status))
		printf("FAIL %s: exit status %d\n", name, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		printf("FAIL %s: killed by signal %d (%s)\n", name, WTERMSIG(status),
		       signal_name(WTERMSIG(status)));
	else
		printf("FAIL %s: wait status %#x\n", name, status);
	return n == 0 && !timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* As init, the kernel may start us without fds 0-2: use the console. */
static void init_setup(void)
{
	int fd;

	if (fcntl(1, F_GETFD) < 0) {
		fd = open("/dev/console", O_RDWR);
		if (fd >= 0) {
			while (fd < 2)
				fd = dup(fd);
			dup2(0, 1);
			dup2(0, 2);
		}
	}
	/* Only our kernel runs us as pid 1: hold it to the strict checks. */
	setenv("UTEST_STRICT_MEMFREE", "1", 0);
}

/* pid 1 must not exit (the kernel panics): power off, then wait forever. */
static void init_halt(void)
{
	fflush(stdout);
	sync();
	syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
		LINUX_REBOOT_CMD_POWER_OFF, 0);
	perror("testrunner: reboot(POWER_OFF)");
	for (;;) {
		if (wait4(-1, NULL, 0, NULL) < 0)
			pause();
	}
}

/* The directory holding the tests: UTEST_BIN_DIR, else argv[0]'s, else /bin. */
static char *test_dir(const char *argv0)
{
	const char *slash = strrchr(argv0, '/');
	const char *env = getenv("UTEST_BIN_DIR");

	if (env && *env)
		return strdup(env);
	if (slash)
		return strndup(argv0, slash == argv0 ? 1 : (size_t)(slash - argv0));
	return strdup("/bin");
}

int main(int argc, char **argv)
{
	static char *tests[MAX_TESTS];
	struct sigaction sa = { .sa_handler = on_alarm }; /* no SA_RESTART */
	unsigned timeout_s = DEFAULT_TIMEOUT_S;
	int ntests = 0, passed = 0, failed = 0, opt;
	bool is_init = getpid() == 1;
	const char *env;
	char *dir;

	if (is_init)
		init_setup();
	setvbuf(stdout, NULL, _IOLBF, 0);
	env = getenv("UTEST_TIMEOUT");
	if (env && atoi(env) > 0)
		timeout_s = (unsigned)atoi(env);
	while ((opt = getopt(argc, argv, "t:")) != -1) {
		if (opt == 't' && atoi(optarg) > 0) {
			timeout_s = (unsigned)atoi(optarg);
		} else {
			fprintf(stderr, "usage: testrunner [-t SECONDS] [TEST...]\n");
			if (!is_init)
				return 2;
		}
	}
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);

	dir = test_dir(argc > 0 ? argv[0] : "");
	if (!dir) {
		perror("testrunner");
		return 1;
	}
	setenv("UTEST_BIN_DIR", dir, 1);
	if (optind < argc) {
		for (int i = optind; i < argc && ntests < MAX_TESTS; i++) {
			if (strchr(argv[i], '/'))
				tests[ntests] = strdup(argv[i]);
			else if (asprintf(&tests[ntests], "%s/%s", dir, argv[i]) < 0)
				tests[ntests] = NULL;
			if (tests[ntests])
				ntests++;
		}
	} else {
		ntests = find_tests(dir, tests, MAX_TESTS);
		if (ntests <= 0) {
			printf("FAIL testrunner: no utest-* programs in %s%s%s\n", dir,
			       ntests < 0 ? ": " : "", ntests < 0 ? strerror(errno) : "");
			ntests = 0;
			failed++;
		}
	}

	for (int i = 0; i < ntests; i++) {
		if (run_test(tests[i], timeout_s))
			passed++;
		else
			failed++;
	}
	printf("%d passed, %d failed\n", passed, failed);

	if (is_init)
		init_halt();
	return failed ? 1 : 0;
}
