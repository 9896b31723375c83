/* The kernel command line from boot/cmdline.txt: space-separated options. */
#ifndef CMDLINE_H
#define CMDLINE_H

/*
 * Splits `text` (copied) into key=value options. Unknown keys are reported
 * once and ignored; known ones are listed in cmdline.c.
 */
void cmdline_init(const char *text);

#define CMDLINE_INIT_ARGS_MAX 16

/* The words after "--" on the command line: init's argv[1..], NULL-ended. */
const char *const *cmdline_init_args(void);

/* The value of option `key` ("" for a bare key), or NULL when absent.
 * The last occurrence wins. */
const char *cmdline_get(const char *key);

#endif
