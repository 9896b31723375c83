/* Host unit tests of the scan code set 1 decoder: what each key sends, as Linux's console. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/dev/keymap.h"

#define REL 0x80
/* Set 1 make codes used below. */
enum {
	K_ESC = 0x01, K_2 = 0x03, K_6 = 0x07, K_MINUS = 0x0c, K_BKSP = 0x0e, K_TAB = 0x0f,
	K_Q = 0x10, K_E = 0x12, K_O = 0x18, K_ENTER = 0x1c, K_CTRL = 0x1d, K_A = 0x1e,
	K_D = 0x20, K_H = 0x23, K_L = 0x26, K_SEMI = 0x27, K_LSHIFT = 0x2a, K_BSLASH = 0x2b,
	K_Z = 0x2c, K_C = 0x2e, K_SLASH = 0x35, K_RSHIFT = 0x36, K_KPSTAR = 0x37, K_ALT = 0x38,
	K_SPACE = 0x39, K_CAPS = 0x3a, K_F1 = 0x3b, K_F5 = 0x3f, K_F6 = 0x40, K_F10 = 0x44,
	K_NUM = 0x45, K_KP7 = 0x47, K_KP8 = 0x48, K_KPMINUS = 0x4a, K_KP5 = 0x4c, K_KPPLUS = 0x4e,
	K_KP0 = 0x52, K_KPDOT = 0x53, K_102ND = 0x56, K_F11 = 0x57, K_F12 = 0x58,
	K_HOME = 0x47, K_UP = 0x48, K_PGUP = 0x49, K_LEFT = 0x4b, K_RIGHT = 0x4d, K_END = 0x4f,
	K_DOWN = 0x50, K_PGDN = 0x51, K_INS = 0x52, K_DEL = 0x53,
};

/* Feeds codes (ended by -1) and returns everything they produced, NUL-terminated. */
static const char *feed(struct keymap_state *st, const int *codes, size_t *len)
{
	static char text[256];
	size_t n = 0;

	for (; *codes >= 0; codes++) {
		char out[KEYMAP_OUT_MAX];
		size_t got = keymap_feed(st, (uint8_t)*codes, out);

		assert_true(got <= KEYMAP_OUT_MAX);
		assert_true(n + got < sizeof(text));
		memcpy(text + n, out, got);
		n += got;
	}
	text[n] = 0;
	if (len)
		*len = n;
	return text;
}

#define FEED(st, ...) feed((st), (const int[]){ __VA_ARGS__, -1 }, NULL)

/* A key pressed and released alone, from a fresh state. */
static const char *tap(int code)
{
	struct keymap_state st = { 0 };

	return FEED(&st, code, code | REL);
}

static const char *tap_e0(int code)
{
	struct keymap_state st = { 0 };

	return FEED(&st, 0xe0, code, 0xe0, code | REL);
}

static void test_plain_keys(void **state)
{
	struct keymap_state st = { 0 };

	/* "echo hello\r" typed the way QEMU's send-key types it */
	assert_string_equal(FEED(&st, K_E, K_E | REL, 0x2e, 0x2e | REL, K_H, K_H | REL, K_O,
				 K_O | REL, K_SPACE, K_SPACE | REL, K_H, K_E, K_L, K_L, K_O,
				 K_ENTER),
			    "echo hello\r");
	assert_string_equal(tap(K_2), "2");
	assert_string_equal(tap(K_SEMI), ";");
	assert_string_equal(tap(K_BSLASH), "\\");
	assert_string_equal(tap(K_102ND), "\\");
	assert_string_equal(tap(K_BKSP), "\x7f");
	assert_string_equal(tap(K_TAB), "\t");
	assert_string_equal(tap(K_ESC), "\x1b");
	assert_string_equal(tap(0x29), "`");
	assert_string_equal(tap(0x0b), "0");
	assert_string_equal(tap(0x34), ".");
}

static void test_shift_and_caps_lock(void **state)
{
	struct keymap_state st = { 0 };

	assert_string_equal(FEED(&st, K_LSHIFT, K_A, K_2, K_MINUS, K_SEMI, K_BSLASH, K_102ND,
				 K_LSHIFT | REL, K_A),
			    "A@_:||a");
	assert_string_equal(FEED(&st, K_RSHIFT, K_6, K_SLASH, K_RSHIFT | REL, K_6), "^?6");
	/* Caps Lock changes letters only, and Shift undoes it */
	assert_string_equal(FEED(&st, K_CAPS, K_CAPS | REL, K_A, K_2, K_LSHIFT, K_A, K_2,
				 K_LSHIFT | REL),
			    "A2a@");
	assert_string_equal(FEED(&st, K_CAPS, K_CAPS | REL, K_A), "a");
	/* both shifts: releasing one keeps the other */
	assert_string_equal(FEED(&st, K_LSHIFT, K_RSHIFT, K_LSHIFT | REL, K_A, K_RSHIFT | REL,
				 K_A),
			    "Aa");
}

static void test_ctrl(void **state)
{
	struct keymap_state st = { 0 };
	size_t len;

	assert_string_equal(FEED(&st, K_CTRL, K_C), "\x03");
	assert_string_equal(FEED(&st, K_D), "\x04");
	assert_string_equal(FEED(&st, K_Z), "\x1a");
	assert_string_equal(FEED(&st, K_BSLASH), "\x1c");
	assert_string_equal(FEED(&st, K_6), "\x1e");
	assert_string_equal(FEED(&st, K_MINUS), "\x1f");
	assert_string_equal(FEED(&st, 0x1a), "\x1b"); /* Ctrl+[ */
	assert_string_equal(FEED(&st, K_LSHIFT, K_C, K_LSHIFT | REL), "\x03");
	feed(&st, (const int[]){ K_SPACE, K_2, -1 }, &len);
	assert_int_equal(len, 2); /* two NULs */
	assert_string_equal(FEED(&st, K_CTRL | REL, K_C), "c");
	/* right Ctrl (E0 1D) works the same */
	assert_string_equal(FEED(&st, 0xe0, K_CTRL, K_C, 0xe0, K_CTRL | REL, K_C), "\x03" "c");
}

static void test_alt_prefixes_escape(void **state)
{
	struct keymap_state st = { 0 };

	assert_string_equal(FEED(&st, K_ALT, K_A, K_LSHIFT, K_A, K_LSHIFT | REL, K_ALT | REL, K_A),
			    "\x1b" "a" "\x1b" "A" "a");
	assert_string_equal(FEED(&st, 0xe0, K_ALT, K_CTRL, K_C, K_CTRL | REL, 0xe0, K_ALT | REL),
			    "\x1b\x03");
	assert_string_equal(FEED(&st, K_ALT, 0xe0, K_UP, K_ALT | REL), "\x1b\x1b[A");
}

struct key_case {
	int code;
	const char *sends;
};

static void test_navigation_keys(void **state)
{
	static const struct key_case e0_keys[] = {
		{ K_UP, "\x1b[A" }, { K_DOWN, "\x1b[B" }, { K_RIGHT, "\x1b[C" }, { K_LEFT, "\x1b[D" },
		{ K_HOME, "\x1b[1~" }, { K_INS, "\x1b[2~" }, { K_DEL, "\x1b[3~" }, { K_END, "\x1b[4~" },
		{ K_PGUP, "\x1b[5~" }, { K_PGDN, "\x1b[6~" }, { K_ENTER, "\r" }, { K_SLASH, "/" },
		{ 0x5b, "" }, { 0x5d, "" }, { 0x20, "" }, /* Windows keys, Menu, multimedia: nothing */
	};
	struct keymap_state st = { 0 };

	for (size_t i = 0; i < sizeof(e0_keys) / sizeof(e0_keys[0]); i++)
		assert_string_equal(tap_e0(e0_keys[i].code), e0_keys[i].sends);
	/* fake shifts around them, as some keyboards send, change nothing */
	assert_string_equal(FEED(&st, 0xe0, K_LSHIFT, 0xe0, K_UP, 0xe0, K_UP | REL, 0xe0,
				 K_LSHIFT | REL, K_A),
			    "\x1b[Aa");
}

static void test_function_keys(void **state)
{
	static const struct key_case keys[] = {
		{ K_F1, "\x1b[[A" }, { K_F5, "\x1b[[E" }, { K_F6, "\x1b[17~" },
		{ K_F10, "\x1b[21~" }, { K_F11, "\x1b[23~" }, { K_F12, "\x1b[24~" },
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		assert_string_equal(tap(keys[i].code), keys[i].sends);
}

static void test_keypad(void **state)
{
	struct keymap_state st = { 0 };

	/* Num Lock off: navigation */
	assert_string_equal(FEED(&st, K_KP7, K_KP8, K_KP5, K_KP0, K_KPDOT),
			    "\x1b[1~\x1b[A\x1b[G\x1b[2~\x1b[3~");
	assert_string_equal(FEED(&st, K_KPMINUS, K_KPPLUS, K_KPSTAR), "-+*");
	/* Num Lock on: digits */
	assert_string_equal(FEED(&st, K_NUM, K_NUM | REL, K_KP7, K_KP8, K_KP5, K_KP0, K_KPDOT,
				 K_KPMINUS),
			    "7850.-");
	/* the E0 navigation keys ignore Num Lock */
	assert_string_equal(FEED(&st, 0xe0, K_UP), "\x1b[A");
}

static void test_releases_and_noise(void **state)
{
	struct keymap_state st = { 0 };

	assert_string_equal(FEED(&st, K_A | REL, 0xfa, 0xfe, 0x00, 0xff, 0xaa, K_A), "a");
	/* Pause: E1 1D 45 E1 9D C5 sends nothing and leaves no prefix behind */
	assert_string_equal(FEED(&st, 0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5, K_CTRL | REL, K_A), "a");
	assert_false(st.num_lock);
	/* Print Screen: E0 2A E0 37, E0 B7 E0 AA */
	assert_string_equal(FEED(&st, 0xe0, 0x2a, 0xe0, 0x37, 0xe0, 0xb7, 0xe0, 0xaa, K_A), "a");
	assert_false(st.shift_l);
	/* every byte in every state: bounded output, no crash (UBSan, ASan) */
	for (int prefix = 0; prefix < 3; prefix++) {
		for (int code = 0; code < 256; code++) {
			struct keymap_state any = { .ctrl_l = prefix == 1, .alt_r = prefix == 2,
						    .shift_l = true, .num_lock = true };
			char out[KEYMAP_OUT_MAX];

			if (prefix)
				keymap_feed(&any, 0xe0, out);
			assert_true(keymap_feed(&any, (uint8_t)code, out) <= KEYMAP_OUT_MAX);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_keys),
		cmocka_unit_test(test_shift_and_caps_lock),
		cmocka_unit_test(test_ctrl),
		cmocka_unit_test(test_alt_prefixes_escape),
		cmocka_unit_test(test_navigation_keys),
		cmocka_unit_test(test_function_keys),
		cmocka_unit_test(test_keypad),
		cmocka_unit_test(test_releases_and_noise),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
