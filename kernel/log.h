/* Kernel log: levels, a module tag and a timestamp on every line. */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>

enum log_level { LOG_ERR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/*
 * Prints "[  <sec>.<usec>] <module>: <message>" on every console if the
 * module's level (default info, see log_configure) admits `level`.
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

#endif
