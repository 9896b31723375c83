/* 16550 UART console on COM1, used when the port exists. */
#ifndef DEV_SERIAL_H
#define DEV_SERIAL_H

#include <stdbool.h>
#include <stddef.h>

/* Probes COM1 (scratch and loopback tests), sets 115200 8N1, registers it
 * as a console. Returns false, and registers nothing, if there is no UART. */
bool serial_init(void);

#endif
