/* Loader messages on the firmware console (which OVMF mirrors on COM1). */
#ifndef LOADER_CONSOLE_H
#define LOADER_CONSOLE_H

/* "loader: <message>" on its own line. Boot services must still be up. */
void console_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "loader: error: <message>": the reason the boot stops. */
void console_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
