/* Kernel log: levels, a module tag and a timestamp on every line. */
#include <stdbool.h>
#include <stdint.h>

#include "arch/x86_64/time.h"
#include "dev/console.h"
#include "lib/errno.h"
#include "lib/logring.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "log.h"
#include "sched/spinlock.h"

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

/*
 * Colours of error and warning lines (bright red, yellow), for the
 * consoles that draw colours only: the serial log and the ring stay plain.
 */
static const char *const level_colours[] = { "\x1b[91m", "\x1b[93m", NULL, NULL };
static const char colour_end[] = "\x1b[39m";	/* the default foreground */

/*
 * The ring dmesg reads: every kernel line, each prefixed with its syslog
 * priority ("<3>" err, "<4>" warn, "<6>" info, "<7>" debug; raw kprintf
 * lines are "<6>"), as Linux's syslog() returns them. It is static, so it
 * holds the log from the first line on. Writers only try ring_lock: a
 * fault or panic in the middle of a ring write still reaches the consoles.
 */
#define KMSG_SIZE (64 * 1024)
static char ring_buf[KMSG_SIZE];
static struct logring ring = { ring_buf, KMSG_SIZE, 0, 0, 0 };
static struct spinlock ring_lock = SPINLOCK_INIT("kmsg");
static bool ring_line_start = true; /* the next ring byte starts a line */
static int line_priority = 6;	   /* syslog priority of the line being written */

/* Console log level (syslog's CONSOLE_LEVEL): a klog line reaches the
 * consoles only if its priority is below it. 8: everything. */
static int console_level = 8;
static int console_level_saved = 8; /* for CONSOLE_ON after CONSOLE_OFF */
static const int level_priority[] = { 3, 4, 6, 7 };

static void ring_put(const char *s, size_t n)
{
	if (!spin_trylock(&ring_lock))
		return;
	while (n) {
		const char *nl = memchr(s, '\n', n);
		size_t len = nl ? (size_t)(nl - s) + 1 : n;

		if (ring_line_start) {
			char prefix[4] = { '<', (char)('0' + line_priority), '>', 0 };

			logring_write(&ring, prefix, 3);
		}
		logring_write(&ring, s, len);
		ring_line_start = nl != NULL;
		s += len;
		n -= len;
	}
	spin_unlock(&ring_lock);
}

static enum log_level level_of(const char *module)
{
	for (int i = 0; i < module_count; i++)
		if (!strcmp(module_levels[i].name, module))
			return module_levels[i].level;
	return default_level;
}

/* Output goes to the ring always, and to the consoles too if *ctx (a
 * const bool: false for lines the console level keeps off them). */
static const bool to_consoles = true, ring_only = false;

static void console_sink(void *ctx, const char *s, size_t n)
{
	ring_put(s, n);
	if (*(const bool *)ctx)
		console_write(s, n);
}

void kvprintf(const char *fmt, va_list ap)
{
	kvformat(console_sink, (void *)&to_consoles, fmt, ap);
}

void kprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 2, 3)))
static void format_to(void *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvformat(console_sink, ctx, fmt, ap);
	va_end(ap);
}

void klog(enum log_level level, const char *module, const char *fmt, ...)
{
	uint64_t ns = time_since_boot_ns();
	int prio = level_priority[level];
	bool shown = prio < console_level;
	void *where = (void *)(shown ? &to_consoles : &ring_only);
	const char *colour;
	va_list ap;

	if (level > level_of(module))
		return;
	line_priority = prio;
	colour = shown ? level_colours[level] : NULL;
	if (colour)
		console_write_colour(colour, strlen(colour));
	format_to(where, "[%5lu.%06lu] %s: %s", (unsigned long)(ns / 1000000000),
		(unsigned long)(ns / 1000 % 1000000), module,
		level == LOG_ERR ? "error: " : level == LOG_WARN ? "warning: " : "");
	va_start(ap, fmt);
	kvformat(console_sink, where, fmt, ap);
	va_end(ap);
	if (colour)
		console_write_colour(colour_end, sizeof(colour_end) - 1);
	console_sink(where, "\n", 1);
	line_priority = 6;
}

size_t kmsg_read(char *dst, size_t max, enum kmsg_read_mode mode)
{
	size_t n;

	spin_lock(&ring_lock);
	n = mode == KMSG_CONSUME ? logring_consume(&ring, dst, max) : logring_read_all(&ring, dst, max);
	if (mode == KMSG_READ_CLEAR) /* in the same hold: no line is lost in between */
		logring_clear(&ring);
	spin_unlock(&ring_lock);
	return n;
}

uint64_t kmsg_unread(void)
{
	uint64_t n;

	spin_lock(&ring_lock);
	n = logring_unread(&ring);
	spin_unlock(&ring_lock);
	return n;
}

void kmsg_clear(void)
{
	spin_lock(&ring_lock);
	logring_clear(&ring);
	spin_unlock(&ring_lock);
}

size_t kmsg_size(void)
{
	return KMSG_SIZE;
}

void kmsg_console_level(int level)
{
	if (level == KMSG_CONSOLE_OFF) {
		console_level_saved = console_level;
		console_level = 1;
	} else if (level == KMSG_CONSOLE_ON) {
		console_level = console_level_saved;
	} else {
		console_level = level;
	}
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
