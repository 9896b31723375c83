/* The kernel command line from boot/cmdline.txt: space-separated options. */
#ifndef CMDLINE_H
#define CMDLINE_H

/*
 * Splits `text` (copied) into key=value options. Unknown keys are reported
 * once and ignored; known ones are listed in cmdline.c.
 */
void cmdline_init(const char *text);

/* The value of option `key` ("" for a bare key), or NULL when absent.
 * The last occurrence wins. */
const char *cmdline_get(const char *key);

#endif
