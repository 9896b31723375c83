/* /sbin/init: runs /etc/rc, keeps a shell on the console, reaps orphans, shuts down.
 *
 *   /sbin/init            run /etc/rc, then /bin/sh on /dev/console, restarted
 *                         whenever it exits; wait for every orphan.
 *   /sbin/init poweroff   run /etc/rc, then power off (non-interactive boots:
 *                         pass "-- poweroff" on the kernel command line).
 *
 * /etc/rc is a plain shell script, run with /bin/sh before the first shell.
 * Shutdown follows busybox's conventions, so its poweroff/reboot/halt
 * applets work: SIGUSR2 powers off, SIGUSR1 halts (powers off too), SIGTERM
 * and SIGINT (Ctrl-Alt-Del) reboot. Everything is told SIGTERM, then
 * SIGKILL a second later, filesystems are synced, and the kernel is asked to
 * power off or restart. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LINUX_REBOOT_MAGIC1 0xfee1dead
#define LINUX_REBOOT_MAGIC2 672274793

static volatile sig_atomic_t shutdown_cmd; /* 0, or a LINUX_REBOOT_CMD_* */
static char *const shell_env[] = { "HOME=/", "TERM=linux", "PATH=/sbin:/bin", "SHELL=/bin/sh",
				   NULL };

static void on_signal(int sig)
{
	shutdown_cmd = (sig == SIGTERM || sig == SIGINT) ? RB_AUTOBOOT : RB_POWER_OFF;
}

static void console_fds(void)
{
	int fd = open("/dev/console", O_RDWR | O_NOCTTY);

	if (fd < 0)
		return;
	for (int i = 0; i < 3; i++)
		if (fd != i)
			dup2(fd, i);
	if (fd > 2)
		close(fd);
}

/* Runs argv in a child; with a controlling terminal if `session`. */
static pid_t spawn(char *const argv[], int session)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	if (session) {
		setsid();
		console_fds();
		ioctl(0, TIOCSCTTY, 1); /* the console becomes its terminal */
	}
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGUSR1, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);
	execve(argv[0], argv, shell_env);
	fprintf(stderr, "init: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static void run_rc(void)
{
	char *argv[] = { "/bin/sh", "/etc/rc", NULL };
	int status;
	pid_t pid;

	if (access("/etc/rc", R_OK) != 0 || access("/bin/sh", X_OK) != 0)
		return;
	pid = spawn(argv, 0);
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
}

static void shut_down(int cmd)
{
	printf("init: %s: stopping every process\n", cmd == RB_AUTOBOOT ? "reboot" : "power-off");
	fflush(stdout);
	kill(-1, SIGTERM);
	sleep(1);
	kill(-1, SIGKILL);
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	sync();
	syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, cmd, 0);
	for (;;)
		pause(); /* pid 1 must never exit */
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	char *shell_argv[] = { "/bin/sh", NULL };
	pid_t shell = -1;
	time_t started = 0;

	if (fcntl(1, F_GETFD) < 0)
		console_fds();
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	printf("init: pid %d starting\n", getpid());
	fflush(stdout);
	run_rc();
	if (argc > 1 && strcmp(argv[1], "poweroff") == 0)
		shut_down(RB_POWER_OFF);
	if (access("/bin/sh", X_OK) != 0) {
		printf("init: no /bin/sh to run: powering off\n");
		shut_down(RB_POWER_OFF);
	}
	for (;;) {
		int status;
		pid_t pid;

		if (shutdown_cmd)
			shut_down(shutdown_cmd);
		if (shell < 0) {
			/* A shell that dies at once must not spin the CPU. */
			if (time(NULL) - started < 1)
				sleep(1);
			started = time(NULL);
			shell = spawn(shell_argv, 1);
		}
		pid = wait(&status); /* every orphan ends up here too */
		if (pid == shell) {
			printf("\ninit: the shell exited (status %#x): starting another\n", status);
			fflush(stdout);
			shell = -1;
		}
	}
}
