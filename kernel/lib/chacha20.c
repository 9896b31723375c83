/* ChaCha20 (RFC 8439): a portable, constant-time implementation without tables. */
#include "lib/chacha20.h"

/* "expand 32-byte k" as four little-endian words. */
static const uint32_t sigma[4] = { 0x61707865, 0x3320646e, 0x79622d32, 0x6b206574 };

static inline uint32_t rotl32(uint32_t v, unsigned n)
{
	return (v << n) | (v >> (32 - n));
}

static inline uint32_t load_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void store_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Clears secrets in a way the compiler may not drop as a dead store. */
static void wipe(void *p, size_t n)
{
	volatile uint8_t *v = p;

	while (n--)
		*v++ = 0;
}

void chacha20_quarter_round(uint32_t s[16], unsigned a, unsigned b, unsigned c, unsigned d)
{
	s[a] += s[b]; s[d] ^= s[a]; s[d] = rotl32(s[d], 16);
	s[c] += s[d]; s[b] ^= s[c]; s[b] = rotl32(s[b], 12);
	s[a] += s[b]; s[d] ^= s[a]; s[d] = rotl32(s[d], 8);
	s[c] += s[d]; s[b] ^= s[c]; s[b] = rotl32(s[b], 7);
}

void chacha20_permute(uint32_t s[16])
{
	for (int i = 0; i < 10; i++) {
		chacha20_quarter_round(s, 0, 4, 8, 12);
		chacha20_quarter_round(s, 1, 5, 9, 13);
		chacha20_quarter_round(s, 2, 6, 10, 14);
		chacha20_quarter_round(s, 3, 7, 11, 15);
		chacha20_quarter_round(s, 0, 5, 10, 15);
		chacha20_quarter_round(s, 1, 6, 11, 12);
		chacha20_quarter_round(s, 2, 7, 8, 13);
		chacha20_quarter_round(s, 3, 4, 9, 14);
	}
}

/* The initial state of block `counter` (RFC 8439 2.3). */
static void init_state(uint32_t s[16], const uint8_t key[CHACHA20_KEY_SIZE], uint32_t counter,
		       const uint8_t nonce[CHACHA20_NONCE_SIZE])
{
	for (int i = 0; i < 4; i++)
		s[i] = sigma[i];
	for (int i = 0; i < 8; i++)
		s[4 + i] = load_le32(key + 4 * i);
	s[12] = counter;
	for (int i = 0; i < 3; i++)
		s[13 + i] = load_le32(nonce + 4 * i);
}

void chacha20_block(const uint8_t key[CHACHA20_KEY_SIZE], uint32_t counter,
		    const uint8_t nonce[CHACHA20_NONCE_SIZE], uint8_t out[CHACHA20_BLOCK_SIZE])
{
	uint32_t in[16], x[16];

	init_state(in, key, counter, nonce);
	for (int i = 0; i < 16; i++)
		x[i] = in[i];
	chacha20_permute(x);
	for (int i = 0; i < 16; i++)
		store_le32(out + 4 * i, x[i] + in[i]);
	wipe(in, sizeof(in));
	wipe(x, sizeof(x));
}

void chacha20_xor(const uint8_t key[CHACHA20_KEY_SIZE], uint32_t counter,
		  const uint8_t nonce[CHACHA20_NONCE_SIZE], const uint8_t *in, uint8_t *out, size_t n)
{
	uint8_t ks[CHACHA20_BLOCK_SIZE];

	while (n > 0) {
		size_t chunk = n < sizeof(ks) ? n : sizeof(ks);

		chacha20_block(key, counter++, nonce, ks);
		for (size_t i = 0; i < chunk; i++)
			out[i] = in[i] ^ ks[i];
		in += chunk;
		out += chunk;
		n -= chunk;
	}
	wipe(ks, sizeof(ks));
}
