/* Kernel log: levels, a module tag and a timestamp on every line. */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/*
 * Prints "[  <sec>.<usec>] <module>: <message>" on every console if the
 * module's level (default info, see log_configure) admits `level`. Consoles
 * that draw colours (struct console's colour) get error lines in red and
 * warnings in yellow; the others and the message ring get plain text.
 */
void klog(enum log_level level, const char *module, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_err(mod, ...)   klog(LOG_ERR, mod, __VA_ARGS__)
#define log_warn(mod, ...)  klog(LOG_WARN, mod, __VA_ARGS__)
#define log_info(mod, ...)  klog(LOG_INFO, mod, __VA_ARGS__)
#define log_debug(mod, ...) klog(LOG_DEBUG, mod, __VA_ARGS__)

/* Prints raw text (no prefix) on every console: contract lines, panics. */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kvprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/*
 * Applies a log= option: "LEVEL" sets the default, "MOD:LEVEL,..." sets
 * modules; levels are err, warn, info, debug. Returns 0, or -EINVAL after
 * logging which part was not understood (the valid parts still apply).
 */
int log_configure(const char *spec);

/*
 * The kernel message ring (what dmesg shows), 64 KiB: every line the
 * consoles get, and lines kept off the consoles by the console level,
 * each starting with "<priority>" as Linux's syslog() returns them.
 * kmsg_read: the newest whole lines since the last clear, at most max
 * bytes (KMSG_READ_ALL; KMSG_READ_CLEAR then clears), or the next unread
 * bytes for a klogd-style reader (KMSG_CONSUME); kmsg_unread: how many of
 * those there are.
 */
enum kmsg_read_mode { KMSG_READ_ALL, KMSG_READ_CLEAR, KMSG_CONSUME };
size_t kmsg_read(char *dst, size_t max, enum kmsg_read_mode mode);
uint64_t kmsg_unread(void);
void kmsg_clear(void);
size_t kmsg_size(void);

/* Sets the console level (1..8: klog lines of a lower syslog priority
 * number reach the consoles), or turns the consoles off/on again. */
#define KMSG_CONSOLE_OFF (-1)
#define KMSG_CONSOLE_ON  (-2)
void kmsg_console_level(int level);

#endif
