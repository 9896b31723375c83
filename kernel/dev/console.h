/* The list of output consoles (serial, framebuffer) the kernel log goes to. */
#ifndef DEV_CONSOLE_H
#define DEV_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>

struct console {
	const char *name;
	void (*write)(const char *s, size_t n); /* must not sleep or allocate */
	bool colour;	/* draws ANSI SGR colours: the kernel log colours its warnings */
};

/* Adds a console; later output goes to it as well. At most 4. */
void console_register(struct console *con);

/* Writes to every registered console. Safe from panic and traps. */
void console_write(const char *s, size_t n);

/* Writes an SGR escape sequence to the consoles that set colour, and
 * nothing to the others (a serial log stays plain text). Safe from panic
 * and traps. */
void console_write_colour(const char *sgr, size_t n);

#endif
