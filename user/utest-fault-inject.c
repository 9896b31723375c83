/* utest-fault-inject: fork, mmap and execve that run out of memory part-way
 * fail cleanly (ENOMEM/EAGAIN) and leave the caller exactly as it was.
 *
 * It uses the kernel's /dev/failframes (like Linux's fail-nth: writing N
 * makes the Nth user frame allocation of the writer's next system call
 * fail, and the rest of that call's), trying every failure point from 1
 * upwards until the operation no longer fails. On a kernel without
 * /dev/failframes (Linux) there is nothing to test: it passes. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PATTERN_BYTES (256 * 1024)
#define MAX_POINTS    400
#define MAP_PAGES     32

static int ctl = -1;
static uint8_t pattern[PATTERN_BYTES];
static int failures;

static void fail(const char *what, int point)
{
	fprintf(stderr, "utest-fault-inject: %s (failure point %d)\n", what, point);
	failures++;
}

static void arm(int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%d", n);

	if (write(ctl, buf, (size_t)len) != len) {
		perror("utest-fault-inject: write /dev/failframes");
		exit(1);
	}
}


static uint32_t checksum(void)
{
	uint32_t sum = 0;

	for (size_t i = 0; i < sizeof(pattern); i++)
		sum = sum * 31 + pattern[i];
	return sum;
}

/* fork at every failure point: the parent keeps running, unchanged. */
static void test_fork(uint32_t good)
{
	int point, refused = 0;

	for (point = 1; point < MAX_POINTS; point++) {
		pid_t pid;
		int status;

		arm(point);
		/* The raw call: libc's fork() makes other system calls first,
		 * and the injection applies to the very next one only. */
		pid = (pid_t)syscall(SYS_fork);
		if (pid == 0)
			_exit(checksum() == good ? 0 : 1);
		if (pid < 0) {
			if (errno != ENOMEM && errno != EAGAIN)
				fail("fork failed with an unexpected errno", point);
			if (checksum() != good)
				fail("parent memory changed after a failed fork", point);
			refused++;
			continue;
		}
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
			fail("the child of a successful fork saw wrong memory", point);
		break;
	}
	if (refused == 0)
		fail("no fork was ever refused: injection did not reach fork", 0);
	/* the knob is spent: a second fork is unaffected */
	fprintf(stderr, "utest-fault-inject: fork refused at %d points, then succeeded\n", refused);
}

/* A populated shared mapping at a fixed place: failing, it leaves nothing. */
static void test_mmap(void)
{
	void *where = (void *)0x500000000000ull;
	int point, refused = 0;

	for (point = 1; point < MAX_POINTS; point++) {
		void *p;

		arm(point);
		p = mmap(where, MAP_PAGES * 4096, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (p == MAP_FAILED) {
			void *again;

			if (errno != ENOMEM)
				fail("mmap failed with an unexpected errno", point);
			/* Nothing may be left behind at that address. */
			again = mmap(where, MAP_PAGES * 4096, PROT_READ,
				     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
			if (again != where)
				fail("a failed mmap left something mapped", point);
			else
				munmap(again, MAP_PAGES * 4096);
			refused++;
			continue;
		}
		if (p != where)
			fail("mmap put the mapping elsewhere", point);
		munmap(p, MAP_PAGES * 4096);
		break;
	}
	if (refused == 0)
		fail("no mmap was ever refused", 0);
	fprintf(stderr, "utest-fault-inject: mmap refused at %d points, then succeeded\n", refused);
}

/* execve in a child at every failure point: a refused exec returns to an
 * unchanged process. The child exits 42 for that; exit0 exits 0. */
static void test_exec(uint32_t good, const char *exit0)
{
	int point, refused = 0;

	for (point = 1; point < MAX_POINTS; point++) {
		int status;
		pid_t pid = fork();

		if (pid == 0) {
			char *argv[] = { (char *)exit0, NULL }, *envp[] = { NULL };

			arm(point);
			execve(exit0, argv, envp);
				_exit(errno == ENOMEM && checksum() == good ? 42 : 1);
		}
		if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
			fail("exec child died", point);
			break;
		}
		if (WEXITSTATUS(status) == 42) {
			refused++;
			continue;
		}
		if (WEXITSTATUS(status) != 0)
			fail("a failed exec returned with wrong errno or memory", point);
		break;
	}
	if (refused == 0)
		fail("no exec was ever refused", 0);
	fprintf(stderr, "utest-fault-inject: exec refused at %d points, then succeeded\n", refused);
}

int main(void)
{
	const char *dir = getenv("UTEST_BIN_DIR");
	char exit0[512];
	uint32_t good;

	ctl = open("/dev/failframes", O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		fprintf(stderr, "utest-fault-inject: no /dev/failframes: nothing to test here\n");
		return 0;
	}
	snprintf(exit0, sizeof(exit0), "%s/exit0", dir && *dir ? dir : "/bin");
	for (size_t i = 0; i < sizeof(pattern); i++)
		pattern[i] = (uint8_t)(i * 7 + 3);
	good = checksum(); /* also faults the whole pattern in */
	test_fork(good);
	test_mmap();
	test_exec(good, exit0);
	if (checksum() != good)
		fail("memory changed", -1);
	return failures ? 1 : 0;
}
