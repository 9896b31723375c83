/* Test: after fork, parent and children each see only their own writes (copy-on-write); shared mappings and vfork share. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * Private regions, two or more pages each: .data, .bss, heap (malloc),
 * stack, and an anonymous MAP_PRIVATE mapping. All hold 'I' before fork.
 * Two children and the parent then share every frame. In lock step:
 *   1. each child checks it still reads 'I', writes its tag ('A' or 'B')
 *      everywhere, then tells the parent;
 *   2. the parent checks it still reads 'I' (no child write leaked), writes
 *      'P', then releases the children;
 *   3. each child checks it reads only its own tag, exits 0 (else 1);
 *   4. after reaping both, the parent (now sole owner) checks 'P', writes
 *      'Q' and reads it back.
 * A MAP_SHARED|MAP_ANONYMOUS page is the counter-check: there each process
 * writes its own slot and everyone sees every slot.
 * vfork: the child runs in the parent's memory until it exits, so the
 * parent sees the flag the child set, then the child's exit status 7;
 * vfork + execve(exit0) gives exit status 0.
 */

#define PAGE 4096
#define PAGES 3

static const char *prog = "utest-cow";

static char data_region[PAGES * PAGE] __attribute__((aligned(PAGE))) = { 1 };
static char bss_region[PAGES * PAGE] __attribute__((aligned(PAGE)));

struct region {
	const char *name;
	char *base;
	size_t len;
};

static struct region regions[5];
static char *shared; /* slot 0 parent, 1 child A, 2 child B */

static void fill(char tag)
{
	for (size_t i = 0; i < sizeof(regions) / sizeof(regions[0]); i++)
		memset(regions[i].base, tag, regions[i].len);
}

/* Returns true if every byte of every private region is tag. */
static bool all_are(char tag, const char *who)
{
	bool ok = true;

	for (size_t i = 0; i < sizeof(regions) / sizeof(regions[0]); i++) {
		for (size_t off = 0; off < regions[i].len; off++) {
			if (regions[i].base[off] != tag) {
				fprintf(stderr, "%s: %s: %s page %zu holds '%c', expected '%c'\n", prog,
					who, regions[i].name, off / PAGE, regions[i].base[off], tag);
				ok = false;
				break;
			}
		}
	}
	return ok;
}

static bool shared_is(const char *expect, const char *who)
{
	if (memcmp(shared, expect, 3) == 0)
		return true;
	fprintf(stderr, "%s: %s: shared slots \"%.3s\", expected \"%.3s\"\n", prog, who, shared, expect);
	return false;
}

/* One byte through a pipe; returns false on error or EOF. */
static bool send_byte(int fd)
{
	return write(fd, "x", 1) == 1;
}

static bool recv_byte(int fd)
{
	char c;
	ssize_t n;

	do
		n = read(fd, &c, 1);
	while (n < 0 && errno == EINTR);
	return n == 1;
}

/* A child's side of the lock step. Never returns. */
static void child(int slot, char tag, int to_parent, int from_parent)
{
	char who[16];
	bool ok;

	snprintf(who, sizeof(who), "child %c", tag);
	ok = all_are('I', who);
	fill(tag);
	shared[slot] = tag;
	if (!send_byte(to_parent) || !recv_byte(from_parent))
		_exit(2);
	ok = all_are(tag, who) && ok;
	ok = shared_is("PAB", who) && ok;
	_exit(ok ? 0 : 1);
}

static bool check_fork_isolation(void)
{
	int up[2], down[2][2], status = 0;
	pid_t kids[2];
	bool ok = true;

	if (pipe(up) < 0 || pipe(down[0]) < 0 || pipe(down[1]) < 0)
		return false;
	fill('I');
	memset(shared, '-', 3);
	for (int i = 0; i < 2; i++) {
		fflush(stderr);
		kids[i] = fork();
		if (kids[i] < 0)
			return false;
		if (kids[i] == 0)
			child(i + 1, i == 0 ? 'A' : 'B', up[1], down[i][0]);
	}
	if (!recv_byte(up[0]) || !recv_byte(up[0]))
		ok = false;
	ok = all_are('I', "parent after the children wrote") && ok;
	ok = shared_is("-AB", "parent") && ok;
	fill('P');
	shared[0] = 'P';
	send_byte(down[0][1]);
	send_byte(down[1][1]);
	for (int i = 0; i < 2; i++) {
		if (waitpid(kids[i], &status, 0) != kids[i] || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0) {
			fprintf(stderr, "%s: child %c: status %#x\n", prog, 'A' + i, status);
			ok = false;
		}
	}
	ok = all_are('P', "parent after the children exited") && ok;
	fill('Q');
	ok = all_are('Q', "parent as sole owner") && ok;
	return ok;
}

static volatile int vfork_flag;

static bool check_vfork(void)
{
	const char *dir = getenv("UTEST_BIN_DIR");
	char path[512], *argv[] = { "exit0", NULL }, *envp[] = { NULL };
	int status = 0;
	bool ok = true;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/exit0", dir && *dir ? dir : "/bin");
	vfork_flag = 0;
	pid = vfork();
	if (pid == 0) {
		vfork_flag = 1;
		_exit(7);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 7) {
		fprintf(stderr, "%s: vfork child: status %#x, expected exit 7\n", prog, status);
		ok = false;
	}
	if (vfork_flag != 1) {
		fprintf(stderr, "%s: vfork child's write to shared memory is not visible\n", prog);
		ok = false;
	}
	pid = vfork();
	if (pid == 0) {
		execve(path, argv, envp);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "%s: vfork + execve %s: status %#x, expected exit 0\n", prog, path,
			status);
		ok = false;
	}
	return ok;
}

int main(void)
{
	char stack_region[PAGES * PAGE];
	char *heap = malloc(PAGES * PAGE);
	char *anon = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	bool ok;

	shared = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!heap || anon == MAP_FAILED || shared == MAP_FAILED) {
		fprintf(stderr, "%s: setup: %s\n", prog, strerror(errno));
		return 1;
	}
	regions[0] = (struct region){ ".data", data_region, sizeof(data_region) };
	regions[1] = (struct region){ ".bss", bss_region, sizeof(bss_region) };
	regions[2] = (struct region){ "heap", heap, PAGES * PAGE };
	regions[3] = (struct region){ "stack", stack_region, sizeof(stack_region) };
	regions[4] = (struct region){ "private mapping", anon, PAGES * PAGE };

	ok = check_fork_isolation();
	ok = check_vfork() && ok;
	return ok ? 0 : 1;
}
