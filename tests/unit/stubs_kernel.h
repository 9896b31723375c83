/* Kernel services for host unit tests: panic() fails the test unless expected. */
#ifndef TESTS_UNIT_STUBS_KERNEL_H
#define TESTS_UNIT_STUBS_KERNEL_H

/*
 * panic() formats its message, then calls cmocka's mock_assert(): inside
 * expect_assert_failure(call) that jumps back to the test, anywhere else the
 * test fails with the message. klog()/kprintf() print to stdout.
 */

/* The message of the last panic ("" if none yet). */
const char *stub_last_panic(void);

/* The last klog line as "<module>: <message>" ("" if none yet). */
const char *stub_last_log(void);

#endif
