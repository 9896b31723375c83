/* PS/2 keyboard on the i8042 controller: key presses become console terminal input. */
#ifndef DEV_PS2KBD_H
#define DEV_PS2KBD_H

/*
 * Looks for an i8042 keyboard controller (bounded waits: a machine without
 * one, or with a controller that never answers, is logged and skipped),
 * initializes it with scan-code translation on, so the keyboard's bytes
 * arrive as set 1, resets the keyboard on its first port and routes ISA
 * IRQ 1 to a handler that decodes the keys (dev/keymap.h) and feeds the
 * bytes to the console terminal. The second (mouse) port stays disabled.
 * Call once, after tty_init() and interrupt routing.
 */
void ps2kbd_init(void);

#endif
