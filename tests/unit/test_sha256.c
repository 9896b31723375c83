/* SHA-256 against the FIPS 180-4 / NIST example vectors, fed whole and in odd pieces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/sha256.h"

static void assert_hex(const uint8_t digest[SHA256_DIGEST_SIZE], const char *want)
{
	char hex[2 * SHA256_DIGEST_SIZE + 1];

	sha256_hex(digest, hex);
	assert_string_equal(hex, want);
}

static void check_vector(const char *msg, size_t n, const char *want)
{
	uint8_t digest[SHA256_DIGEST_SIZE];
	struct sha256_ctx ctx;

	sha256(msg, n, digest);
	assert_hex(digest, want);
	/* Every split point into three pieces of the same message. */
	for (size_t cut = 0; cut <= n && cut < 130; cut++) {
		size_t cut2 = cut + (n - cut) / 2;

		sha256_init(&ctx);
		sha256_update(&ctx, msg, cut);
		sha256_update(&ctx, msg + cut, cut2 - cut);
		sha256_update(&ctx, msg + cut2, n - cut2);
		sha256_final(&ctx, digest);
		assert_hex(digest, want);
	}
}

static void test_empty(void **state)
{
	check_vector("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_abc(void **state)
{
	check_vector("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_two_blocks(void **state)
{
	const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

	check_vector(m, strlen(m), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_896_bits(void **state)
{
	const char *m = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
			"ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";

	check_vector(m, strlen(m), "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

/* Lengths around the padding boundary (55, 56, 63, 64 bytes of 'a'). */
static void test_padding_edges(void **state)
{
	static const struct { size_t n; const char *want; } cases[] = {
		{ 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318" },
		{ 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a" },
		{ 63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34" },
		{ 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb" },
	};
	char buf[64];

	memset(buf, 'a', sizeof(buf));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_vector(buf, cases[i].n, cases[i].want);
}

static void test_million_a(void **state)
{
	uint8_t digest[SHA256_DIGEST_SIZE];
	struct sha256_ctx ctx;
	char chunk[1000];

	memset(chunk, 'a', sizeof(chunk));
	sha256_init(&ctx);
	for (int i = 0; i < 1000; i++)
		sha256_update(&ctx, chunk, sizeof(chunk));
	sha256_final(&ctx, digest);
	assert_hex(digest, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_abc),
		cmocka_unit_test(test_two_blocks),
		cmocka_unit_test(test_896_bits),
		cmocka_unit_test(test_padding_edges),
		cmocka_unit_test(test_million_a),
	};

	return cmocka_run_group_tests_name("sha256", tests, NULL, NULL);
}
