/* In-kernel tests: registered with KTEST(), run with ktest=NAME|all. */
#ifndef KTEST_H
#define KTEST_H

#include <stdbool.h>

struct ktest_ctx {
	const char *name;
	int failures;
};

struct ktest {
	const char *name;
	void (*fn)(struct ktest_ctx *kt);
	bool manual; /* only run by name: it is expected to crash the kernel */
};

/* Defines test `name`; the body sees `struct ktest_ctx *kt`. */
#define KTEST_DEFINE(name, is_manual)                                                        \
	static void ktest_fn_##name(struct ktest_ctx *kt);                                   \
	static const struct ktest ktest_##name                                               \
		__attribute__((section(".ktests"), used, aligned(8))) = { #name, ktest_fn_##name, \
									   is_manual };           \
	static void ktest_fn_##name(struct ktest_ctx *kt)
#define KTEST(name)        KTEST_DEFINE(name, false)
#define KTEST_MANUAL(name) KTEST_DEFINE(name, true)

/* Records a failure (with the expression and line) when `cond` is false. */
#define KT_CHECK(cond) ktest_check(kt, (cond), #cond, __FILE__, __LINE__)
bool ktest_check(struct ktest_ctx *kt, bool ok, const char *expr, const char *file, int line);

/*
 * Runs the tests named by `spec` ("all" = every non-manual test, or a
 * comma-separated list), prints "ktest: N passed, M failed" and powers
 * off with success only if nothing failed.
 */
__attribute__((noreturn)) void ktest_run(const char *spec);

#endif
