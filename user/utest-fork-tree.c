/* Test: a process tree of depth 3 and fanout 3 where every exit status reaches the right parent; orphans get a new parent. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * Nodes are numbered like a heap: the test is node 0, node n's children
 * are 3n+1..3n+3, so the 39 descendants have ids 1..39 and each exits with
 * its id as status. Every node checks in each child that getppid() is the
 * node, and in itself that wait4 gives back each child exactly once with
 * the right status (the last child by pid, the others with pid -1). A node
 * that sees anything wrong exits with BAD_STATUS instead of its id, and
 * that propagates to the top. Afterwards wait4(-1) must fail with ECHILD.
 *
 * Orphans: a child forks a grandchild and exits at once; the grandchild
 * waits until getppid() changes (the kernel reparents it to init or a
 * subreaper), reports the new parent through a pipe and exits. The test
 * expects the new parent within 2 s and never equal to the dead child.
 */

#define FANOUT 3
#define DEPTH 3
#define BAD_STATUS 200

static const char *prog = "utest-fork-tree";

/* Forks the subtree below node id (at depth) and reaps it.
 * Returns true if every descendant exited as expected. */
static bool grow(int id, int depth)
{
	pid_t kids[FANOUT], me = getpid();
	bool seen[FANOUT] = { false }, ok = true;

	if (depth == DEPTH)
		return true;
	for (int i = 0; i < FANOUT; i++) {
		int child_id = FANOUT * id + 1 + i;

		fflush(stderr);
		kids[i] = fork();
		if (kids[i] < 0) {
			fprintf(stderr, "%s: node %d: fork: %s\n", prog, id, strerror(errno));
			return false;
		}
		if (kids[i] == 0) {
			if (getppid() != me) {
				fprintf(stderr, "%s: node %d: getppid %d, expected %d\n", prog,
					child_id, (int)getppid(), (int)me);
				_exit(BAD_STATUS);
			}
			_exit(grow(child_id, depth + 1) ? child_id : BAD_STATUS);
		}
	}
	for (int n = 0; n < FANOUT; n++) {
		int status, slot = -1;
		pid_t pid = wait4(n == 0 ? kids[FANOUT - 1] : -1, &status, 0, NULL);

		for (int i = 0; i < FANOUT; i++)
			if (pid == kids[i])
				slot = i;
		if (slot < 0 || seen[slot]) {
			fprintf(stderr, "%s: node %d: wait4 returned %d (%s)\n", prog, id, (int)pid,
				pid < 0 ? strerror(errno) : slot < 0 ? "not a child" : "twice");
			ok = false;
			continue;
		}
		seen[slot] = true;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != FANOUT * id + 1 + slot) {
			fprintf(stderr, "%s: node %d: child %d: status %#x, expected exit %d\n", prog,
				id, FANOUT * id + 1 + slot, status, FANOUT * id + 1 + slot);
			ok = false;
		}
	}
	return ok;
}

/* The grandchild's side: wait for reparenting, report the new parent. */
static void orphan(int report_fd, pid_t old_parent)
{
	struct timespec tick = { 0, 1000000 };
	pid_t parent = getppid();

	for (int i = 0; i < 2000 && parent == old_parent; i++) {
		nanosleep(&tick, NULL);
		parent = getppid();
	}
	if (write(report_fd, &parent, sizeof(parent)) != sizeof(parent))
		_exit(1);
	_exit(0);
}

static bool check_orphan(void)
{
	int fds[2], status = 0;
	pid_t child, new_parent = 0;
	ssize_t n;

	if (pipe(fds) < 0)
		return false;
	fflush(stderr);
	child = fork();
	if (child < 0)
		return false;
	if (child == 0) {
		pid_t me = getpid();

		close(fds[0]);
		if (fork() == 0)
			orphan(fds[1], me);
		_exit(0);
	}
	close(fds[1]);
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "%s: orphan's parent: status %#x\n", prog, status);
		return false;
	}
	do
		n = read(fds[0], &new_parent, sizeof(new_parent));
	while (n < 0 && errno == EINTR);
	close(fds[0]);
	if (n != sizeof(new_parent) || new_parent <= 0 || new_parent == child) {
		fprintf(stderr, "%s: orphan reports parent %d (dead parent was %d, read %zd)\n",
			prog, (int)new_parent, (int)child, n);
		return false;
	}
	return true;
}

int main(void)
{
	bool ok = grow(0, 0);

	if (wait4(-1, NULL, WNOHANG, NULL) != -1 || errno != ECHILD) {
		fprintf(stderr, "%s: children left after the tree was reaped\n", prog);
		ok = false;
	}
	if (!check_orphan())
		ok = false;
	return ok ? 0 : 1;
}
