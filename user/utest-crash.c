/* Test: children that crash in the classic ways die by the expected signal; the parent and the kernel live on. */
#define _GNU_SOURCE
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * Each case runs in a forked child; the parent wait4()s and expects
 * WIFSIGNALED with exactly the listed signal (Linux's choice for that CPU
 * exception):
 *   wild calls and jumps (NULL page, kernel half, non-canonical, NX data)  SIGSEGV
 *   writes to the program's own text and rodata, reads of kernel memory,
 *   non-canonical writes, stack overflow by recursion, hlt (#GP)           SIGSEGV
 *   integer divide by zero and INT_MIN / -1 (#DE)                          SIGFPE
 *   ud2 (#UD)                                                              SIGILL
 *   int3 (#BP)                                                             SIGTRAP
 *   abort()                                                                SIGABRT
 * Afterwards the parent still forks a child that exits 0 normally.
 * Core dumps are turned off in the children so the Linux host stays clean.
 */

static const char *prog = "utest-crash";
static int failures;

/* Volatile so the compiler keeps every faulting access as written. */
static volatile int zero = 0, one = 1, minus_one = -1, int_min = INT_MIN;
static volatile int sink;
static const char rodata_string[] = "rodata must stay read-only";

typedef void (*fn_t)(void);

static void call_address(uintptr_t addr)
{
	fn_t volatile fn = (fn_t)addr;

	fn();
}

static void call_null(void)
{
	call_address(0x10);
}

static void call_kernel_text(void)
{
	call_address(0xffffffff80000000UL);
}

static void call_noncanonical(void)
{
	call_address(0x0000800000000000UL);
}

/* A data page holds ud2 instructions: without NX the child would die of SIGILL. */
static void call_nx_data(void)
{
	unsigned char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (page == MAP_FAILED)
		_exit(100);
	for (int i = 0; i < 4096; i += 2) {
		page[i] = 0x0f;
		page[i + 1] = 0x0b;
	}
	call_address((uintptr_t)page);
}

static void write_text(void)
{
	*(volatile unsigned char *)(uintptr_t)write_text = 0xc3;
}

static void write_rodata(void)
{
	*(volatile char *)(uintptr_t)rodata_string = 'R';
}

static void read_kernel(void)
{
	sink = *(volatile int *)0xffff800000000000UL;
}

static void write_noncanonical(void)
{
	*(volatile int *)0x0000800000000000UL = 1;
}

static void divide_by_zero(void)
{
	sink = one / zero;
}

static void divide_overflow(void)
{
	sink = int_min / minus_one;
}

static void undefined_opcode(void)
{
	__asm__ volatile("ud2");
}

static void breakpoint(void)
{
	__asm__ volatile("int3");
}

static void privileged_hlt(void)
{
	__asm__ volatile("hlt");
}

static volatile unsigned long recursion_limit = ~0UL;

/* Each frame pins 1 KiB of stack; the result is used so no tail call. */
static int recurse(unsigned long depth)
{
	volatile char frame[1024];

	frame[0] = (char)depth;
	if (depth >= recursion_limit)
		return frame[0];
	return recurse(depth + 1) + frame[0];
}

static void stack_overflow(void)
{
	struct rlimit rl = { 8 << 20, 8 << 20 };

	setrlimit(RLIMIT_STACK, &rl); /* bound it when the host says "unlimited" */
	sink = recurse(0);
}

static void call_abort(void)
{
	abort();
}

static const struct crash {
	const char *name;
	void (*fn)(void);
	int signal;
} crashes[] = {
	{ "call through a NULL pointer", call_null, SIGSEGV },
	{ "call into kernel text", call_kernel_text, SIGSEGV },
	{ "call a non-canonical address", call_noncanonical, SIGSEGV },
	{ "call into a non-executable data page", call_nx_data, SIGSEGV },
	{ "write to own text", write_text, SIGSEGV },
	{ "write to rodata", write_rodata, SIGSEGV },
	{ "read kernel memory", read_kernel, SIGSEGV },
	{ "write a non-canonical address", write_noncanonical, SIGSEGV },
	{ "stack overflow by recursion", stack_overflow, SIGSEGV },
	{ "hlt in user mode", privileged_hlt, SIGSEGV },
	{ "divide by zero", divide_by_zero, SIGFPE },
	{ "INT_MIN / -1", divide_overflow, SIGFPE },
	{ "ud2", undefined_opcode, SIGILL },
	{ "int3", breakpoint, SIGTRAP },
	{ "abort()", call_abort, SIGABRT },
};

/* Runs fn in a child with core dumps off. Returns the wait status, or -1. */
static int run_child(void (*fn)(void))
{
	struct rlimit no_core = { 0, 0 };
	int status;
	pid_t pid = fork();

	if (pid < 0) {
		perror("fork");
		return -1;
	}
	if (pid == 0) {
		setrlimit(RLIMIT_CORE, &no_core);
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
		fn();
		_exit(99); /* survived: the parent reports exit status 99 */
	}
	if (waitpid(pid, &status, 0) != pid) {
		perror("waitpid");
		return -1;
	}
	return status;
}

static void exit_normally(void)
{
	_exit(0);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(crashes) / sizeof(crashes[0]); i++) {
		const struct crash *c = &crashes[i];
		int status = run_child(c->fn);

		if (status == -1) {
			failures++;
		} else if (!WIFSIGNALED(status)) {
			fprintf(stderr, "%s: %s: expected signal %d (%s), got exit status %d\n",
				prog, c->name, c->signal, strsignal(c->signal),
				WIFEXITED(status) ? WEXITSTATUS(status) : -1);
			failures++;
		} else if (WTERMSIG(status) != c->signal) {
			fprintf(stderr, "%s: %s: expected signal %d (%s), got %d (%s)\n",
				prog, c->name, c->signal, strsignal(c->signal),
				WTERMSIG(status), strsignal(WTERMSIG(status)));
			failures++;
		}
	}
	if (run_child(exit_normally) != 0) {
		fprintf(stderr, "%s: a normal child after the crashes did not exit 0\n", prog);
		failures++;
	}
	return failures ? 1 : 0;
}
