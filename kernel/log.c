/* Kernel log: levels, a module tag and a timestamp on every line. */
#include <stdbool.h>
#include <stdint.h>

#include "arch/x86_64/time.h"
#include "dev/console.h"
#include "lib/errno.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "log.h"

#define LOG_MODULES_MAX 16
#define LOG_NAME_MAX 15

/* Per-module levels from the command line; written once during boot. */
static struct {
	char name[LOG_NAME_MAX + 1];
	enum log_level level;
} module_levels[LOG_MODULES_MAX];
static int module_count;
static enum log_level default_level = LOG_INFO;

static const char *const level_names[] = { "err", "warn", "info", "debug" };

static enum log_level level_of(const char *module)
{
	for (int i = 0; i < module_count; i++)
		if (!strcmp(module_levels[i].name, module))
			return module_levels[i].level;
	return default_level;
}

static void console_sink(void *ctx, const char *s, size_t n)
{
	console_write(s, n);
}

void kvprintf(const char *fmt, va_list ap)
{
	kvformat(console_sink, NULL, fmt, ap);
}

void kprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
}

void klog(enum log_level level, const char *module, const char *fmt, ...)
{
	uint64_t ns = time_since_boot_ns();
	va_list ap;

	if (level > level_of(module))
		return;
	kprintf("[%5lu.%06lu] %s: %s", (unsigned long)(ns / 1000000000),
		(unsigned long)(ns / 1000 % 1000000), module,
		level == LOG_ERR ? "error: " : level == LOG_WARN ? "warning: " : "");
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
	console_write("\n", 1);
}

static int parse_level(const char *s, size_t n, enum log_level *out)
{
	for (int i = 0; i <= LOG_DEBUG; i++) {
		if (strlen(level_names[i]) == n && !strncmp(level_names[i], s, n)) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

int log_configure(const char *spec)
{
	int err = 0;

	while (*spec) {
		const char *end = strchr(spec, ',');
		size_t n = end ? (size_t)(end - spec) : strlen(spec);
		const char *colon = memchr(spec, ':', n);
		size_t name_len = colon ? (size_t)(colon - spec) : 0;
		enum log_level lvl;

		if (!colon && parse_level(spec, n, &lvl) == 0) {
			default_level = lvl;
		} else if (colon && name_len > 0 && name_len <= LOG_NAME_MAX &&
			   module_count < LOG_MODULES_MAX &&
			   parse_level(colon + 1, n - name_len - 1, &lvl) == 0) {
			memcpy(module_levels[module_count].name, spec, name_len);
			module_levels[module_count].name[name_len] = 0;
			module_levels[module_count++].level = lvl;
		} else if (n > 0) {
			log_warn("log", "cannot apply \"%.*s\" (want MODULE:LEVEL or LEVEL; levels err, warn, info, debug)",
				 (int)n, spec);
			err = -EINVAL;
		}
		spec += n + (end != NULL);
	}
	return err;
}
