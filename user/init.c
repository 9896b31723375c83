/* /sbin/init until the user-space issue brings a real one: report and power off. */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LINUX_REBOOT_MAGIC1       0xfee1dead
#define LINUX_REBOOT_MAGIC2       672274793
#define LINUX_REBOOT_CMD_POWER_OFF 0x4321fedc

int main(void)
{
	printf("init: pid %d started; there is no shell yet, so the system powers off\n", getpid());
	fflush(stdout);
	syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_POWER_OFF, 0);
	for (;;)
		pause(); /* pid 1 must never exit */
}
