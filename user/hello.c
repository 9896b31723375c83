/* The first user program: one line on stdout, exit status 0. */
#include <stdio.h>

int main(void)
{
	puts("hello from user space");
	return 0;
}
