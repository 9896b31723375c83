/* Test: anonymous memory is allocated lazily: a 1 GiB mapping costs only the pages touched, and untouched pages read as zero. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>

/*
 * mmap(1 GiB, MAP_PRIVATE|MAP_ANONYMOUS|MAP_NORESERVE) must succeed even on
 * a machine with less RAM. Then:
 *   - 16 pages spread over the range read as zero before any write (every
 *     byte), and reading must not break the zero-fill: after writing page
 *     A, the read-only page B and a never-touched page C are still zero;
 *   - each of the 16 pages is written and read back; its neighbours stay 0;
 *   - the resident set grows by less than 2 MiB (16 written pages + 16 read
 *     pages = 128 KiB, plus page tables);
 *   - after munmap the range is gone: a child touching it dies of SIGSEGV.
 * The resident size comes from /proc/self/statm (2nd field, pages), else
 * VmRSS in /proc/self/status, else used RAM from sysinfo() (system-wide,
 * so only meaningful on an otherwise idle machine: our kernel's test run).
 */

#define PAGE 4096UL
#define SIZE (1UL << 30)
#define TOUCHED 16
#define MAX_GROWTH (2UL << 20)

static const char *prog = "utest-lazy";
static int failures;
static const char *rss_source = "nothing";

/* Reads a small file into buf (NUL-terminated). Returns false on error. */
static bool read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return true;
}

/* Resident memory in bytes (see the header for the sources), or -1. */
static long resident_bytes(void)
{
	char buf[4096], *line;
	unsigned long size, pages, kib;
	struct sysinfo si;

	if (read_file("/proc/self/statm", buf, sizeof(buf)) &&
	    sscanf(buf, "%lu %lu", &size, &pages) == 2) {
		rss_source = "/proc/self/statm";
		return (long)(pages * PAGE);
	}
	if (read_file("/proc/self/status", buf, sizeof(buf)) && (line = strstr(buf, "VmRSS:")) &&
	    sscanf(line, "VmRSS: %lu kB", &kib) == 1) {
		rss_source = "VmRSS in /proc/self/status";
		return (long)(kib * 1024);
	}
	if (sysinfo(&si) == 0) {
		rss_source = "used RAM from sysinfo";
		return (long)((si.totalram - si.freeram) * si.mem_unit);
	}
	return -1;
}

static bool page_is_zero(const unsigned char *p)
{
	for (size_t i = 0; i < PAGE; i++)
		if (p[i])
			return false;
	return true;
}

static void fail(const char *what, size_t page)
{
	failures++;
	fprintf(stderr, "%s: page %zu: %s\n", prog, page, what);
}

/* The page index of the i-th touched page: spread out, never adjacent. */
static size_t touched_page(int i)
{
	return (size_t)i * (SIZE / PAGE / TOUCHED) + 1 + (size_t)i;
}

int main(void)
{
	unsigned char *map;
	long before, after;
	int status = 0;
	pid_t pid;

	before = resident_bytes();
	map = mmap(NULL, SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (map == MAP_FAILED) {
		fprintf(stderr, "%s: mmap 1 GiB: %s\n", prog, strerror(errno));
		return 1;
	}
	for (int i = 0; i < TOUCHED; i++)
		if (!page_is_zero(map + touched_page(i) * PAGE))
			fail("not zero before the first write", touched_page(i));
	for (int i = 0; i < TOUCHED; i++) {
		size_t pg = touched_page(i);

		memset(map + pg * PAGE, 0xa5, PAGE);
		map[pg * PAGE + 7] = (unsigned char)i;
		if (i + 1 < TOUCHED && !page_is_zero(map + touched_page(i + 1) * PAGE))
			fail("read-only page not zero after writing another", touched_page(i + 1));
		if (!page_is_zero(map + (pg + TOUCHED + 3) * PAGE))
			fail("never-touched page not zero", pg + TOUCHED + 3);
	}
	for (int i = 0; i < TOUCHED; i++) {
		size_t pg = touched_page(i);

		if (map[pg * PAGE] != 0xa5 || map[pg * PAGE + 7] != i || map[(pg + 1) * PAGE - 1] != 0xa5)
			fail("lost what was written", pg);
		if (!page_is_zero(map + (pg - 1) * PAGE) || !page_is_zero(map + (pg + 1) * PAGE))
			fail("a neighbour of a written page is not zero", pg);
	}
	after = resident_bytes();
	if (before < 0 || after < 0) {
		failures++;
		fprintf(stderr, "%s: no way to read the resident size\n", prog);
	} else if (after - before >= (long)MAX_GROWTH) {
		failures++;
		fprintf(stderr, "%s: resident size grew by %ld KiB (from %s), limit %lu KiB\n", prog,
			(after - before) / 1024, rss_source, MAX_GROWTH / 1024);
	}

	if (munmap(map, SIZE) < 0) {
		failures++;
		fprintf(stderr, "%s: munmap: %s\n", prog, strerror(errno));
	}
	fflush(stderr);
	pid = fork();
	if (pid == 0) {
		map[touched_page(3) * PAGE] = 1;
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFSIGNALED(status) ||
	    WTERMSIG(status) != SIGSEGV) {
		failures++;
		fprintf(stderr, "%s: touching the unmapped range: status %#x, expected SIGSEGV\n",
			prog, status);
	}
	return failures ? 1 : 0;
}
