/* Test: a memory hog is stopped by the OOM killer (SIGKILL) while its parent, the runner and init survive. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * A child mallocs and touches memory in 1 MiB steps (every page written
 * with a non-zero byte, so nothing can be shared or left lazy).
 *
 * Unbounded mode (no UTEST_OOM_LIMIT_MB; how our kernel runs it): the
 * child must die of SIGKILL. It volunteers as the victim (oom_score_adj
 * 1000 where /proc has it). If it gets twice totalram + totalswap from
 * sysinfo() without being killed, the kernel is not really backing the
 * memory: failure (exit status 4). malloc failing instead of the OOM
 * killer acting is a failure too (exit status 3).
 * Do not run it so on Linux: it would drive the host into its OOM killer.
 *
 * Bounded mode (UTEST_OOM_LIMIT_MB=N, what the Linux harness sets): the
 * child stops after N MiB and must exit 0.
 *
 * Either way the parent then checks the system still works: it allocates
 * and touches 4 MiB and forks a child that exits 0.
 */

#define STEP (1UL << 20)

static const char *prog = "utest-oom";

/* The newest block; each block starts with a pointer to the one before.
 * Publishing them here keeps the compiler from dropping the allocations. */
static char *volatile newest;

/* The hog. Never returns. */
static void hog(unsigned long limit_mb)
{
	struct rlimit no_core = { 0, 0 };
	struct sysinfo si;
	unsigned long backstop_mb = 0;
	int fd = open("/proc/self/oom_score_adj", O_WRONLY);

	if (fd >= 0) {
		if (write(fd, "1000", 4) < 0)
			perror("utest-oom: oom_score_adj");
		close(fd);
	}
	setrlimit(RLIMIT_CORE, &no_core);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (!limit_mb && sysinfo(&si) == 0)
		backstop_mb = 2 * (si.totalram + si.totalswap) / (STEP / si.mem_unit);
	for (unsigned long mb = 0;; mb++) {
		char *p;

		if (limit_mb && mb >= limit_mb)
			_exit(0);
		if (backstop_mb && mb >= backstop_mb)
			_exit(4);
		p = malloc(STEP);
		if (!p)
			_exit(3);
		for (unsigned long off = sizeof(char *); off < STEP; off += 4096)
			p[off] = (char)(mb | 1);
		*(char **)p = newest;
		newest = p;
	}
}

/* After the hog: can we still allocate, touch and fork? */
static int check_alive(void)
{
	size_t len = 4 * STEP;
	char *p = malloc(len);
	int status = 0;
	pid_t pid;

	if (!p) {
		fprintf(stderr, "%s: malloc of 4 MiB failed after the hog\n", prog);
		return 1;
	}
	memset(p, 1, len);
	newest = p;
	free(newest);
	pid = fork();
	if (pid == 0)
		_exit(0);
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "%s: fork after the hog: status %#x\n", prog, status);
		return 1;
	}
	return 0;
}

int main(void)
{
	const char *env = getenv("UTEST_OOM_LIMIT_MB");
	unsigned long limit_mb = env ? strtoul(env, NULL, 10) : 0;
	int status = 0, failed = 0;
	pid_t pid;

	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		perror("utest-oom: fork");
		return 1;
	}
	if (pid == 0)
		hog(limit_mb);
	if (waitpid(pid, &status, 0) != pid) {
		perror("utest-oom: waitpid");
		return 1;
	}
	if (limit_mb) {
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "%s: bounded hog (%lu MiB): status %#x, expected exit 0\n",
				prog, limit_mb, status);
			failed = 1;
		}
	} else if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
		fprintf(stderr, "%s: hog: status %#x, expected SIGKILL (exit 3: malloc failed, "
			"exit 4: outgrew RAM + swap)\n", prog, status);
		failed = 1;
	}
	return check_alive() || failed;
}
