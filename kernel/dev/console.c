/* The list of output consoles (serial, framebuffer) the kernel log goes to. */
#include "dev/console.h"
#include "panic.h"

#define CONSOLES_MAX 4

static struct console *consoles[CONSOLES_MAX];
static int console_count;

void console_register(struct console *con)
{
	if (console_count == CONSOLES_MAX)
		panic("console_register: more than %d consoles (%s)", CONSOLES_MAX, con->name);
	consoles[console_count++] = con;
}

void console_write(const char *s, size_t n)
{
	for (int i = 0; i < console_count; i++)
		consoles[i]->write(s, n);
}

void console_write_colour(const char *sgr, size_t n)
{
	for (int i = 0; i < console_count; i++)
		if (consoles[i]->colour)
			consoles[i]->write(sgr, n);
}
