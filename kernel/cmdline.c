/* The kernel command line from boot/cmdline.txt: space-separated options. */
#include <stdbool.h>

#include "cmdline.h"
#include "lib/string.h"
#include "log.h"
#include "shared/boot_info.h"

#define OPTIONS_MAX 32

static const char *const known_options[] = {
	"init",  /* first user program (default /sbin/init) */
	"log",   /* per-module log levels: log=pmm:debug,sched:warn */
	"ktest", /* run in-kernel tests (a name, a,b,c or all) and power off */
	"timer", /* timer=pit: use the PIT even if the LAPIC timer works */
	"irq",   /* irq=pic: route ISA interrupts through the 8259s, not the IOAPIC */
	"video", /* video=WxH: read by the loader (the GOP mode); nothing for the kernel */
};

static char buffer[BOOT_CMDLINE_MAX + 1]; /* options, NUL-separated */
static const char *init_args[CMDLINE_INIT_ARGS_MAX + 1]; /* the words after "--" */
static struct {
	const char *key, *value;
} options[OPTIONS_MAX];
static int option_count;

static bool is_known(const char *key)
{
	for (unsigned i = 0; i < sizeof(known_options) / sizeof(known_options[0]); i++)
		if (!strcmp(known_options[i], key))
			return true;
	return false;
}

/* Splits "a b c" in place into init_args. */
static void split_init_args(char *p)
{
	int n = 0;

	while (*p && n < CMDLINE_INIT_ARGS_MAX) {
		while (*p == ' ')
			*p++ = 0;
		if (!*p)
			break;
		init_args[n++] = p;
		while (*p && *p != ' ')
			p++;
	}
	if (*p)
		log_warn("cmdline", "more than %d init arguments: the rest are dropped",
			 CMDLINE_INIT_ARGS_MAX);
	while (*p == ' ')
		*p++ = 0;
	init_args[n] = NULL;
}

const char *const *cmdline_init_args(void)
{
	return init_args;
}

void cmdline_init(const char *text)
{
	size_t len = strnlen(text, BOOT_CMDLINE_MAX);
	char *p = buffer;

	memcpy(buffer, text, len);
	buffer[len] = 0;
	log_info("cmdline", "\"%s\"", buffer);
	while (*p) {
		char *key, *eq;

		while (*p == ' ')
			*p++ = 0;
		if (!*p)
			break;
		key = p;
		while (*p && *p != ' ')
			p++;
		if (*p)
			*p++ = 0;
		if (!strcmp(key, "--")) { /* the rest are init's arguments, as on Linux */
			split_init_args(p);
			break;
		}
		eq = strchr(key, '=');
		if (eq)
			*eq = 0;
		if (!is_known(key)) {
			log_warn("cmdline", "unknown option \"%s\" ignored", key);
			continue;
		}
		if (option_count == OPTIONS_MAX) {
			log_warn("cmdline", "more than %d options: \"%s\" ignored", OPTIONS_MAX, key);
			continue;
		}
		options[option_count].key = key;
		options[option_count++].value = eq ? eq + 1 : "";
	}
}

const char *cmdline_get(const char *key)
{
	for (int i = option_count - 1; i >= 0; i--)
		if (!strcmp(options[i].key, key))
			return options[i].value;
	return NULL;
}
