/* Test: 1,000 fork/execve/exit/wait cycles all succeed and (strict mode) give back every frame. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * Each cycle: fork, execve(UTEST_BIN_DIR/exit0) in the child, wait4 in the
 * parent; every child must exit 0. Ten warm-up cycles come first so that
 * caches the kernel fills once are in the baseline.
 *
 * Free memory is MemFree from /proc/meminfo, else freeram from sysinfo().
 * With UTEST_STRICT_MEMFREE=1 (our kernel's run; testrunner sets it when it
 * is init) free memory after the cycles must be no more than 64 KiB below
 * the baseline. Elsewhere (Linux, where page cache and other processes make
 * it noisy) the figure is not checked.
 */

#define CYCLES 1000
#define WARMUP 10
#define SLACK (64L * 1024)

static const char *prog = "utest-forkexec-cycles";

/* Free memory in bytes (see the header), or -1. */
static long free_bytes(void)
{
	char buf[4096], *line;
	unsigned long kib;
	struct sysinfo si;
	int fd = open("/proc/meminfo", O_RDONLY);
	ssize_t n = -1;

	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
	}
	if (n > 0) {
		buf[n] = '\0';
		line = strstr(buf, "MemFree:");
		if (line && sscanf(line, "MemFree: %lu kB", &kib) == 1)
			return (long)(kib * 1024);
	}
	if (sysinfo(&si) == 0)
		return (long)(si.freeram * si.mem_unit);
	return -1;
}

/* Runs `count` cycles. Returns how many failed; reports the first. */
static int cycles(const char *path, int count)
{
	char *argv[] = { "exit0", NULL }, *envp[] = { NULL };
	int failed = 0;

	for (int i = 0; i < count; i++) {
		int status = 0;
		pid_t pid = fork();

		if (pid == 0) {
			execve(path, argv, envp);
			_exit(127);
		}
		if (pid < 0 || wait4(pid, &status, 0, NULL) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0) {
			if (!failed)
				fprintf(stderr, "%s: cycle %d: pid %d status %#x (%s)\n", prog, i,
					(int)pid, status, strerror(errno));
			failed++;
		}
	}
	return failed;
}

int main(void)
{
	const char *dir = getenv("UTEST_BIN_DIR"), *strict_env = getenv("UTEST_STRICT_MEMFREE");
	bool strict = strict_env && strcmp(strict_env, "1") == 0;
	char path[512];
	long before, after;
	int failed;

	snprintf(path, sizeof(path), "%s/exit0", dir && *dir ? dir : "/bin");
	if (cycles(path, WARMUP)) {
		fprintf(stderr, "%s: the warm-up cycles failed\n", prog);
		return 1;
	}
	before = free_bytes();
	failed = cycles(path, CYCLES);
	after = free_bytes();
	if (failed)
		fprintf(stderr, "%s: %d of %d cycles failed\n", prog, failed, CYCLES);
	if (strict && (before < 0 || after < 0)) {
		fprintf(stderr, "%s: strict mode, but no /proc/meminfo and no sysinfo\n", prog);
		failed++;
	} else if (strict && after < before - SLACK) {
		fprintf(stderr, "%s: free memory %ld KiB before, %ld KiB after %d cycles "
			"(leak of %ld KiB, %ld allowed)\n", prog, before / 1024, after / 1024,
			CYCLES, (before - after) / 1024, SLACK / 1024);
		failed++;
	}
	return failed ? 1 : 0;
}
