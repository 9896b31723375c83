/* ChaCha20 (RFC 8439): the block function, the keystream cipher and the bare permutation. */
#ifndef LIB_CHACHA20_H
#define LIB_CHACHA20_H

#include <stddef.h>
#include <stdint.h>

#define CHACHA20_KEY_SIZE   32
#define CHACHA20_NONCE_SIZE 12
#define CHACHA20_BLOCK_SIZE 64

/*
 * The state is 16 little-endian words: 4 constants ("expand 32-byte k"),
 * 8 key words, the 32-bit block counter, 3 nonce words (RFC 8439 2.3).
 * Keys, nonces and output are byte strings; words are read and written
 * little-endian whatever the host.
 */

/* One quarter round on words a, b, c, d (0..15) of state (RFC 8439 2.2). */
void chacha20_quarter_round(uint32_t state[16], unsigned a, unsigned b, unsigned c, unsigned d);

/* The 20 rounds (10 column + 10 diagonal double rounds) in place, without
 * the final addition of the input: an invertible permutation, for sponges. */
void chacha20_permute(uint32_t state[16]);

/* The block function: 64 bytes of keystream for block `counter` (RFC 8439 2.3). */
void chacha20_block(const uint8_t key[CHACHA20_KEY_SIZE], uint32_t counter,
		    const uint8_t nonce[CHACHA20_NONCE_SIZE], uint8_t out[CHACHA20_BLOCK_SIZE]);

/*
 * Encryption and decryption (RFC 8439 2.4): out = in XOR the keystream that
 * starts at block `counter`. in and out may be the same buffer (not
 * otherwise overlapping). The caller keeps counter + ceil(n / 64) within
 * 2^32 blocks: the counter wraps silently, repeating the keystream.
 */
void chacha20_xor(const uint8_t key[CHACHA20_KEY_SIZE], uint32_t counter,
		  const uint8_t nonce[CHACHA20_NONCE_SIZE], const uint8_t *in, uint8_t *out, size_t n);

#endif
