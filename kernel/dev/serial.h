/* 16550 UART on COM1, used when the port exists: console output, and input for the terminal. */
#ifndef DEV_SERIAL_H
#define DEV_SERIAL_H

#include <stdbool.h>
#include <stddef.h>

/* Probes COM1 (scratch and loopback tests), sets 115200 8N1, registers it
 * as a console. Returns false, and registers nothing, if there is no UART. */
bool serial_init(void);

struct tty;

/*
 * Turns on the receive interrupt (ISA IRQ 4) and hands every byte received
 * to tty_input(tty, ...), line errors (parity, framing, break) dropped.
 * Call once, after interrupt routing is up. Returns false, and does
 * nothing, without a UART (or on a second call).
 */
bool serial_rx_start(struct tty *tty);

#endif
