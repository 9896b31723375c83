/* PC keyboard scan code set 1 to the bytes a Linux console sends (US layout). */
#include "dev/keymap.h"

#define RELEASE 0x80
#define ESC "\x1b"

/* Scan codes (set 1) the decoder treats specially. */
enum {
	SC_ENTER = 0x1c, SC_CTRL = 0x1d, SC_SHIFT_L = 0x2a, SC_SHIFT_R = 0x36,
	SC_KP_STAR = 0x37, SC_ALT = 0x38, SC_CAPS = 0x3a, SC_F1 = 0x3b, SC_NUM = 0x45,
	SC_KP_FIRST = 0x47, SC_KP_MINUS = 0x4a, SC_KP_PLUS = 0x4e, SC_KP_LAST = 0x53,
	SC_F11 = 0x57, SC_F12 = 0x58, SC_SLASH = 0x35,
};

/* Character keys 0x00..0x39 and 0x56: plain and shifted; 0 for none. */
static const char plain[0x3a] =
	"\0\x1b" "1234567890-=\x7f\t"
	"qwertyuiop[]\r\0"
	"asdfghjkl;'`\0\\"
	"zxcvbnm,./\0*\0 ";
static const char shifted[0x3a] =
	"\0\x1b" "!@#$%^&*()_+\x7f\t"
	"QWERTYUIOP{}\r\0"
	"ASDFGHJKL:\"~\0|"
	"ZXCVBNM<>?\0*\0 ";
#define SC_102ND 0x56 /* the extra key of 102-key boards: \ and | on US */

/* Function keys F1..F12 as TERM=linux has them. */
static const char *const function_keys[12] = {
	ESC "[[A", ESC "[[B", ESC "[[C", ESC "[[D", ESC "[[E", ESC "[17~",
	ESC "[18~", ESC "[19~", ESC "[20~", ESC "[21~", ESC "[23~", ESC "[24~",
};

/* Keypad 0x47..0x53 without Num Lock (also the E0 navigation keys), and with it. */
static const char *const keypad_nav[SC_KP_LAST - SC_KP_FIRST + 1] = {
	ESC "[1~", ESC "[A", ESC "[5~", "-", ESC "[D", ESC "[G", ESC "[C", "+",
	ESC "[4~", ESC "[B", ESC "[6~", ESC "[2~", ESC "[3~",
};
static const char keypad_num[SC_KP_LAST - SC_KP_FIRST + 2] = "789-456+1230.";

/* Ctrl applied to the character c: the control character, or c itself. */
static char control_of(char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= '@' && c <= '_'))
		return (char)(c & 0x1f);
	if (c == ' ' || c == '2')
		return 0;
	if (c >= '3' && c <= '7')
		return (char)(0x1b + (c - '3')); /* ESC, ^\, ^], ^^, ^_ */
	if (c == '-')
		return 0x1f;
	if (c == '8' || c == '/' || c == '?')
		return 0x7f;
	return c;
}

/* The character a character key gives with the current modifiers. Returns
 * false if the key gives none. */
static bool character_of(const struct keymap_state *st, uint8_t key, char *out)
{
	bool shift = st->shift_l || st->shift_r;
	char c;

	if (key == SC_102ND)
		c = shift ? '|' : '\\';
	else if (key < sizeof(plain) && plain[key])
		c = shift ? shifted[key] : plain[key];
	else
		return false;
	if (st->caps_lock && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
		c ^= 0x20;
	if (st->ctrl_l || st->ctrl_r)
		c = control_of(c);
	*out = c;
	return true;
}

/* Updates modifier and lock state. Returns true if key was one. */
static bool modifier(struct keymap_state *st, uint8_t key, bool e0, bool down)
{
	switch (key) {
	case SC_SHIFT_L:
	case SC_SHIFT_R:
		if (e0) /* fake shifts around Print Screen and the navigation keys */
			return true;
		*(key == SC_SHIFT_L ? &st->shift_l : &st->shift_r) = down;
		return true;
	case SC_CTRL:
		*(e0 ? &st->ctrl_r : &st->ctrl_l) = down;
		return true;
	case SC_ALT:
		*(e0 ? &st->alt_r : &st->alt_l) = down;
		return true;
	case SC_CAPS:
		if (down && !e0)
			st->caps_lock = !st->caps_lock;
		return !e0;
	case SC_NUM:
		if (down && !e0)
			st->num_lock = !st->num_lock;
		return !e0;
	}
	return false;
}

/*
 * What a pressed key (not a modifier) sends, before Alt's ESC: a string, or
 * NULL for nothing. Single characters are written to *c, NUL included.
 */
static const char *key_bytes(const struct keymap_state *st, uint8_t key, bool e0, char *c,
			     size_t *len)
{
	const char *seq = NULL;

	*len = 1;
	if (e0) {
		if (key == SC_ENTER)
			seq = "\r";
		else if (key == SC_SLASH)
			seq = "/";
		else if (key >= SC_KP_FIRST && key <= SC_KP_LAST &&
			 keypad_nav[key - SC_KP_FIRST][0] == 0x1b)
			seq = keypad_nav[key - SC_KP_FIRST];
		/* else multimedia keys, Print Screen, Windows keys, Menu: nothing */
	} else if (key >= SC_F1 && key < SC_F1 + 10) {
		seq = function_keys[key - SC_F1];
	} else if (key == SC_F11 || key == SC_F12) {
		seq = function_keys[10 + key - SC_F11];
	} else if (key >= SC_KP_FIRST && key <= SC_KP_LAST) {
		*c = keypad_num[key - SC_KP_FIRST];
		if (st->num_lock || key == SC_KP_MINUS || key == SC_KP_PLUS)
			return c;
		seq = keypad_nav[key - SC_KP_FIRST];
	} else if (key == SC_KP_STAR) {
		seq = "*";
	} else if (character_of(st, key, c)) {
		return c; /* may be NUL (Ctrl+Space) */
	}
	if (seq) {
		*len = 0;
		while (seq[*len])
			(*len)++;
	}
	return seq;
}

size_t keymap_feed(struct keymap_state *st, uint8_t code, char out[KEYMAP_OUT_MAX])
{
	bool e0 = st->prefix == 0xe0, down = !(code & RELEASE);
	uint8_t key = code & ~RELEASE;
	const char *seq;
	size_t n = 0, len;
	char c;

	if (st->skip) { /* Pause: E1 1D 45 E1 9D C5, nothing to send */
		st->skip--;
		return 0;
	}
	if (code == 0xe1) {
		st->skip = 2;
		return 0;
	}
	if (code == 0xe0) {
		st->prefix = code;
		return 0;
	}
	st->prefix = 0;
	if (code == 0x00 || code == 0xfa || code == 0xfe || code == 0xff)
		return 0; /* controller and keyboard messages, not keys */
	if (modifier(st, key, e0, down) || !down)
		return 0;
	seq = key_bytes(st, key, e0, &c, &len);
	if (!seq)
		return 0;
	if (st->alt_l || st->alt_r)
		out[n++] = 0x1b;
	for (size_t i = 0; i < len && n < KEYMAP_OUT_MAX; i++)
		out[n++] = seq[i];
	return n;
}
