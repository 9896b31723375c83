/* In-kernel tests: registered with KTEST(), run with ktest=NAME|all. */
#include "arch/x86_64/power.h"
#include "ktest.h"
#include "lib/string.h"
#include "log.h"

extern const struct ktest __ktests_start[], __ktests_end[];

bool ktest_check(struct ktest_ctx *kt, bool ok, const char *expr, const char *file, int line)
{
	if (!ok) {
		kprintf("ktest: %s: check failed: %s (%s:%d)\n", kt->name, expr, file, line);
		kt->failures++;
	}
	return ok;
}

static bool run_one(const struct ktest *t)
{
	struct ktest_ctx kt = { .name = t->name };

	kprintf("ktest: %s: running\n", t->name);
	t->fn(&kt);
	kprintf("ktest: %s: %s\n", t->name, kt.failures ? "FAILED" : "ok");
	return kt.failures == 0;
}

/* True if `name` is one of the comma-separated words of `spec`. */
static bool named_in(const char *spec, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = spec; *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == n && !strncmp(p, name, n))
			return true;
		p += len + (end != NULL);
	}
	return false;
}

void ktest_run(const char *spec)
{
	bool all = !strcmp(spec, "all");
	int passed = 0, failed = 0, matched = 0;

	for (const struct ktest *t = __ktests_start; t < __ktests_end; t++) {
		if (all ? t->manual : !named_in(spec, t->name))
			continue;
		matched++;
		if (run_one(t))
			passed++;
		else
			failed++;
	}
	if (!all) { /* a name that matches nothing is a failure, not a silent pass */
		for (const char *p = spec; *p;) {
			const char *end = strchr(p, ',');
			size_t len = end ? (size_t)(end - p) : strlen(p);
			bool found = false;

			for (const struct ktest *t = __ktests_start; t < __ktests_end; t++)
				found |= strlen(t->name) == len && !strncmp(t->name, p, len);
			if (!found) {
				kprintf("ktest: no test named \"%.*s\"\n", (int)len, p);
				failed++;
			}
			p += len + (end != NULL);
		}
	}
	kprintf("ktest: %d passed, %d failed\n", passed, failed);
	power_off(failed == 0 && matched > 0);
}
