/* ChaCha20 against the RFC 8439 test vectors (sections 2.1.1-2.4.2, appendix A.1 and A.2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/chacha20.h"

/* Decodes a hex string (spaces ignored) into out; returns the byte count. */
static size_t unhex(const char *hex, uint8_t *out, size_t max)
{
	size_t n = 0;
	int hi = -1;

	for (; *hex; hex++) {
		int v;

		if (*hex == ' ' || *hex == '\n')
			continue;
		if (*hex >= '0' && *hex <= '9')
			v = *hex - '0';
		else if (*hex >= 'a' && *hex <= 'f')
			v = *hex - 'a' + 10;
		else
			fail_msg("bad hex digit '%c'", *hex);
		if (hi < 0) {
			hi = v;
		} else {
			assert_true(n < max);
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	assert_int_equal(hi, -1);
	return n;
}

static const char rfc_key_hex[] =
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

static void test_quarter_round(void **state)
{
	/* 2.1.1: on four words. */
	uint32_t s[16] = { 0x11111111, 0x01020304, 0x9b8d6f43, 0x01234567 };

	chacha20_quarter_round(s, 0, 1, 2, 3);
	assert_int_equal(s[0], 0xea2a92f4);
	assert_int_equal(s[1], 0xcb1cf8ce);
	assert_int_equal(s[2], 0x4581472e);
	assert_int_equal(s[3], 0x5881c4bb);
}

static void test_quarter_round_on_state(void **state)
{
	/* 2.2.1: QUARTERROUND(2, 7, 8, 13) touches only those words. */
	uint32_t s[16] = {
		0x879531e0, 0xc5ecf37d, 0x516461b1, 0xc9a62f8a, 0x44c20ef3, 0x3390af7f,
		0xd9fc690b, 0x2a5f714c, 0x53372767, 0xb00a5631, 0x974c541a, 0x359e9963,
		0x5c971061, 0x3d631689, 0x2098d9d6, 0x91dbd320,
	};
	static const uint32_t want[16] = {
		0x879531e0, 0xc5ecf37d, 0xbdb886dc, 0xc9a62f8a, 0x44c20ef3, 0x3390af7f,
		0xd9fc690b, 0xcfacafd2, 0xe46bea80, 0xb00a5631, 0x974c541a, 0x359e9963,
		0x5c971061, 0xccc07c79, 0x2098d9d6, 0x91dbd320,
	};

	chacha20_quarter_round(s, 2, 7, 8, 13);
	assert_memory_equal(s, want, sizeof(want));
}

static void check_block(const char *key_hex, uint32_t counter, const char *nonce_hex,
			const char *want_hex)
{
	uint8_t key[32], nonce[12], want[64], out[64];

	assert_int_equal(unhex(key_hex, key, sizeof(key)), 32);
	assert_int_equal(unhex(nonce_hex, nonce, sizeof(nonce)), 12);
	assert_int_equal(unhex(want_hex, want, sizeof(want)), 64);
	chacha20_block(key, counter, nonce, out);
	assert_memory_equal(out, want, 64);
}

static void test_block_2_3_2(void **state)
{
	check_block(rfc_key_hex, 1, "000000090000004a00000000",
		    "10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e"
		    "d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e");
}

static const char zero_key_hex[] =
	"0000000000000000000000000000000000000000000000000000000000000000";

static void test_block_a1(void **state)
{
	/* Appendix A.1, test vectors 1-5. */
	check_block(zero_key_hex, 0, "000000000000000000000000",
		    "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7"
		    "da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586");
	check_block(zero_key_hex, 1, "000000000000000000000000",
		    "9f07e7be5551387a98ba977c732d080dcb0f29a048e3656912c6533e32ee7aed"
		    "29b721769ce64e43d57133b074d839d531ed1f28510afb45ace10a1f4b794d6f");
	check_block("0000000000000000000000000000000000000000000000000000000000000001", 1,
		    "000000000000000000000000",
		    "3aeb5224ecf849929b9d828db1ced4dd832025e8018b8160b82284f3c949aa5a"
		    "8eca00bbb4a73bdad192b5c42f73f2fd4e273644c8b36125a64addeb006c13a0");
	check_block("00ff000000000000000000000000000000000000000000000000000000000000", 2,
		    "000000000000000000000000",
		    "72d54dfbf12ec44b362692df94137f328fea8da73990265ec1bbbea1ae9af0ca"
		    "13b25aa26cb4a648cb9b9d1be65b2c0924a66c54d545ec1b7374f4872e99f096");
	check_block(zero_key_hex, 0, "000000000000000000000002",
		    "c2c64d378cd536374ae204b9ef933fcd1a8b2288b3dfa49672ab765b54ee27c7"
		    "8a970e0e955c14f3a88e741b97c286f75f8fc299e8148362fa198a39531bed6d");
}

/* The block function is the permutation plus the input (2.3), words little-endian. */
static void test_block_is_permutation_plus_input(void **state)
{
	uint8_t key[32], nonce[12], out[64];
	uint32_t in[16] = { 0x61707865, 0x3320646e, 0x79622d32, 0x6b206574 }, x[16];

	unhex(rfc_key_hex, key, sizeof(key));
	unhex("000000090000004a00000000", nonce, sizeof(nonce));
	for (int i = 0; i < 8; i++)
		in[4 + i] = (uint32_t)key[4 * i] | (uint32_t)key[4 * i + 1] << 8 |
			    (uint32_t)key[4 * i + 2] << 16 | (uint32_t)key[4 * i + 3] << 24;
	in[12] = 1;
	in[13] = 0x09000000;
	in[14] = 0x4a000000;
	in[15] = 0;
	memcpy(x, in, sizeof(x));
	chacha20_permute(x);
	/* 2.3.2: the state after 20 rounds starts 837778ab e238d763 a67ae21e. */
	assert_int_equal(x[0], 0x837778ab);
	assert_int_equal(x[1], 0xe238d763);
	assert_int_equal(x[2], 0xa67ae21e);
	chacha20_block(key, 1, nonce, out);
	for (int i = 0; i < 16; i++) {
		uint32_t w = (uint32_t)out[4 * i] | (uint32_t)out[4 * i + 1] << 8 |
			     (uint32_t)out[4 * i + 2] << 16 | (uint32_t)out[4 * i + 3] << 24;

		assert_int_equal(w, x[i] + in[i]);
	}
}

static const char sunscreen[] =
	"Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the "
	"future, sunscreen would be it.";
static const char sunscreen_ct_hex[] =
	"6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0b"
	"f91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8"
	"07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab7793736"
	"5af90bbf74a35be6b40b8eedf2785e42874d";

static void test_encrypt_2_4_2(void **state)
{
	uint8_t key[32], nonce[12], want[128], out[128], back[128];
	size_t n = strlen(sunscreen);

	unhex(rfc_key_hex, key, sizeof(key));
	unhex("000000000000004a00000000", nonce, sizeof(nonce));
	assert_int_equal(n, 114);
	assert_int_equal(unhex(sunscreen_ct_hex, want, sizeof(want)), n);
	chacha20_xor(key, 1, nonce, (const uint8_t *)sunscreen, out, n);
	assert_memory_equal(out, want, n);
	/* Decryption is the same operation, here in place. */
	memcpy(back, out, n);
	chacha20_xor(key, 1, nonce, back, back, n);
	assert_memory_equal(back, sunscreen, n);
}

/* The keystream does not depend on how the input is cut, at block boundaries. */
static void test_encrypt_in_pieces(void **state)
{
	uint8_t key[32], nonce[12], want[128], out[128];
	size_t n = strlen(sunscreen);

	unhex(rfc_key_hex, key, sizeof(key));
	unhex("000000000000004a00000000", nonce, sizeof(nonce));
	unhex(sunscreen_ct_hex, want, sizeof(want));
	chacha20_xor(key, 1, nonce, (const uint8_t *)sunscreen, out, 64);
	chacha20_xor(key, 2, nonce, (const uint8_t *)sunscreen + 64, out + 64, n - 64);
	assert_memory_equal(out, want, n);
	memset(out, 0xaa, sizeof(out));
	chacha20_xor(key, 1, nonce, (const uint8_t *)sunscreen, out, 0);
	assert_int_equal(out[0], 0xaa); /* n == 0 writes nothing */
}

static void test_encrypt_a2(void **state)
{
	/* Appendix A.2, test vector 1: the keystream itself. */
	uint8_t key[32] = { 0 }, nonce[12] = { 0 }, zeros[64] = { 0 }, out[64], want[64];

	unhex("76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7"
	      "da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586",
	      want, sizeof(want));
	chacha20_xor(key, 0, nonce, zeros, out, sizeof(out));
	assert_memory_equal(out, want, 64);

	/* Test vector 3: Jabberwocky, counter 42. */
	static const char jabberwocky[] =
		"'Twas brillig, and the slithy toves\nDid gyre and gimble in the wabe:\n"
		"All mimsy were the borogoves,\nAnd the mome raths outgrabe.";
	uint8_t key3[32], nonce3[12], ct[128], out3[128];
	size_t n = strlen(jabberwocky);

	unhex("1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0", key3,
	      sizeof(key3));
	unhex("000000000000000000000002", nonce3, sizeof(nonce3));
	assert_int_equal(n, 127);
	assert_int_equal(unhex("62e6347f95ed87a45ffae7426f27a1df5fb69110044c0d73118effa95b01e5cf"
			       "166d3df2d721caf9b21e5fb14c616871fd84c54f9d65b283196c7fe4f60553eb"
			       "f39c6402c42234e32a356b3e764312a61a5532055716ead6962568f87d3f3f77"
			       "04c6a8d1bcd1bf4d50d6154b6da731b187b58dfd728afa36757a797ac188d1",
			       ct, sizeof(ct)),
			 n);
	chacha20_xor(key3, 42, nonce3, (const uint8_t *)jabberwocky, out3, n);
	assert_memory_equal(out3, ct, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quarter_round),
		cmocka_unit_test(test_quarter_round_on_state),
		cmocka_unit_test(test_block_2_3_2),
		cmocka_unit_test(test_block_a1),
		cmocka_unit_test(test_block_is_permutation_plus_input),
		cmocka_unit_test(test_encrypt_2_4_2),
		cmocka_unit_test(test_encrypt_in_pieces),
		cmocka_unit_test(test_encrypt_a2),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
