/* Fatal kernel errors: only for broken invariants, never for bad input. */
#ifndef PANIC_H
#define PANIC_H

struct trap_frame;

/* Prints "panic: <message>", a backtrace, and powers off with failure.
 * Start the message with the function name: panic("pmm_free: ..."). */
__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);

/* The same for a CPU exception, with the saved registers. */
__attribute__((noreturn, format(printf, 2, 3))) void panic_frame(struct trap_frame *tf,
								  const char *fmt, ...);

#endif
