/* PC keyboard scan code set 1 to the bytes a Linux console sends (US layout). Pure C. */
#ifndef DEV_KEYMAP_H
#define DEV_KEYMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEYMAP_OUT_MAX 8 /* bytes one scan code can produce, at most */

/* What the decoder remembers between scan codes. Zero it to start. */
struct keymap_state {
	uint8_t prefix;       /* 0xe0 after that prefix, else 0 */
	uint8_t skip;         /* bytes of the Pause sequence still to drop */
	bool shift_l, shift_r;
	bool ctrl_l, ctrl_r;
	bool alt_l, alt_r;    /* right Alt (AltGr) acts as Alt: US has no AltGr level */
	bool caps_lock, num_lock;
};

/*
 * Feeds one byte from the keyboard (set 1, as the i8042 translates it) and
 * writes to out the bytes the key press produces, as Linux's console does
 * with the US keymap:
 *  - letters, digits, punctuation, with Shift and Caps Lock (which affects
 *    letters only);
 *  - Enter '\r' (the terminal's ICRNL makes it '\n'), Backspace DEL 0x7f,
 *    Tab, Esc 0x1b;
 *  - Ctrl with a letter or one of @ [ \ ] ^ _ ? gives the control character
 *    (^C 0x03, ^D 0x04, ^Z 0x1a, Ctrl+Space NUL, ...);
 *  - Alt (either) prefixes ESC to what the key would give without it;
 *  - arrows ESC [ A..D, Home ESC [ 1 ~, Insert ESC [ 2 ~, Delete ESC [ 3 ~,
 *    End ESC [ 4 ~, Page Up ESC [ 5 ~, Page Down ESC [ 6 ~, F1-F5 ESC [ [ A..E,
 *    F6-F12 ESC [ 17..24 ~ (as TERM=linux says);
 *  - the keypad: digits and '.' with Num Lock on, the navigation keys with
 *    it off (keypad 5: ESC [ G); / * - + and Enter either way.
 * Releases, modifiers, lock keys, Print Screen, Pause, and the controller's
 * own bytes (0x00, 0xfa ACK, 0xfe resend, 0xff) produce nothing.
 * Returns how many bytes it wrote (0..KEYMAP_OUT_MAX).
 */
size_t keymap_feed(struct keymap_state *st, uint8_t code, char out[KEYMAP_OUT_MAX]);

#endif
