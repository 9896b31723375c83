/* The kernel's random number generator: ChaCha20 with fast key erasure, seeded at boot. */
#ifndef DEV_RANDOM_H
#define DEV_RANDOM_H

#include <stddef.h>
#include <stdint.h>

/*
 * Design. A 32-byte generator key produces output; every request first
 * runs one ChaCha20 block under the key, keeps half of it as the next key
 * (the old one is gone: earlier output cannot be reconstructed from the
 * state) and uses the other half, or a keystream under it, as the output.
 * Entropy goes into a pool, a sponge over the ChaCha20 permutation (32
 * bytes of rate, 32 of capacity); once RANDOM_RESEED_BYTES have gone in,
 * the next request folds the pool into the key.
 *
 * random_init() seeds the pool from RDSEED and RDRAND (when CPUID has
 * them; retries are bounded and failures counted, and RDRAND's known
 * failure mode of returning all ones is treated as a failure) and from
 * TSC jitter: the timing of port reads and of a memory walk. Nothing is
 * credited or estimated: the generator never blocks.
 */

#define RANDOM_RESEED_BYTES 32

struct random_stats {
	uint64_t rdseed_ok, rdseed_failures; /* 64-bit draws */
	uint64_t rdrand_ok, rdrand_failures;
	uint64_t jitter_samples;
	uint64_t mixed_bytes;                /* through random_mix */
	uint64_t reseeds;                    /* pool folded into the key */
	uint64_t requests;                   /* random_get_bytes calls */
};

/* Seeds the generator; logs what the seed came from. Needs cpu_features_init()
 * and time_init(). May be called again to mix in more boot-time entropy. */
void random_init(void);

/*
 * Fills buf with n random bytes. Never blocks, never fails; callable with
 * interrupts off and from interrupt handlers (it takes a spinlock for one
 * ChaCha20 block; longer output is generated outside the lock). Panics if
 * called before random_init().
 */
void random_get_bytes(void *buf, size_t n);

/* Mixes n bytes (interrupt timings, device serials, user writes to
 * /dev/random) into the pool. Credits nothing; callable from interrupts. */
void random_mix(const void *data, size_t n);

/* A snapshot of the counters. */
void random_get_stats(struct random_stats *out);

#endif
