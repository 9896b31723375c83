/* SHA-256 (FIPS 180-4): streaming digests for content checks. */
#ifndef LIB_SHA256_H
#define LIB_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_SIZE 32
#define SHA256_BLOCK_SIZE  64

struct sha256_ctx {
	uint32_t state[8];
	uint64_t total;                   /* bytes hashed so far */
	uint8_t block[SHA256_BLOCK_SIZE]; /* pending input, total % 64 bytes used */
};

/* Starts a new digest. */
void sha256_init(struct sha256_ctx *ctx);

/* Hashes n more bytes of data (n may be 0, data may then be NULL). */
void sha256_update(struct sha256_ctx *ctx, const void *data, size_t n);

/* Writes the 32-byte digest to out; ctx must be re-initialised before reuse. */
void sha256_final(struct sha256_ctx *ctx, uint8_t out[SHA256_DIGEST_SIZE]);

/* One-shot digest of n bytes. */
void sha256(const void *data, size_t n, uint8_t out[SHA256_DIGEST_SIZE]);

/* Writes the digest as 64 lowercase hex digits and a NUL into hex[65]. */
void sha256_hex(const uint8_t digest[SHA256_DIGEST_SIZE], char hex[2 * SHA256_DIGEST_SIZE + 1]);

#endif
