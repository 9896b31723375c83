/* The kernel's CSPRNG: an entropy pool (a ChaCha20 sponge) feeding a fast-key-erasure generator. */
#include <stdbool.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpufeature.h"
#include "arch/x86_64/time.h"
#include "dev/random.h"
#include "lib/chacha20.h"
#include "lib/string.h"
#include "log.h"
#include "panic.h"
#include "sched/spinlock.h"

#define RDRAND_RETRIES      10   /* Intel's DRNG guide: 10 failures in a row mean broken */
#define RDSEED_RETRIES      100  /* RDSEED may underflow for a while; pause between tries */
#define SEED_RDSEED_DRAWS   8    /* 512 bits */
#define SEED_RDRAND_DRAWS   8
#define RESEED_RDRAND_DRAWS 4
#define SEED_JITTER_SAMPLES 4096
#define POOL_RATE           32   /* bytes of the sponge that input is XORed into */

/*
 * rng_lock protects everything below. It is a leaf lock (nothing else is
 * taken while it is held) and is held for at most a few ChaCha20 blocks
 * and hardware draws, with interrupts off.
 */
static struct spinlock rng_lock = SPINLOCK_INIT("random");
static uint8_t gen_key[CHACHA20_KEY_SIZE]; /* the generator key */
static uint32_t pool[16];     /* the sponge: words 0-7 rate, 8-15 capacity */
static unsigned pool_pos;     /* rate bytes absorbed since the last permutation */
static uint64_t pool_pending; /* bytes absorbed since the last fold into the key */
static uint64_t rdrand_last;  /* the previous RDRAND value: a repeat means failure */
static bool seeded;
static struct random_stats stats;

static const uint8_t zero_nonce[CHACHA20_NONCE_SIZE];

/* Clears secrets in a way the compiler may not drop as a dead store. */
static void wipe(void *p, size_t n)
{
	volatile uint8_t *v = p;

	while (n--)
		*v++ = 0;
}

static void assert_locked(const char *fn)
{
	if (!spin_held(&rng_lock))
		panic("%s: rng_lock not held", fn);
}

/* One RDSEED draw, retried; false (and counted) if the CPU gave none. */
static bool rdseed64(uint64_t *out)
{
	for (int i = 0; i < RDSEED_RETRIES; i++) {
		uint64_t v;
		uint8_t ok;

		__asm__ volatile("rdseed %0; setc %1" : "=r"(v), "=qm"(ok) : : "cc");
		if (ok) {
			*out = v;
			stats.rdseed_ok++;
			return true;
		}
		cpu_relax();
	}
	stats.rdseed_failures++;
	return false;
}

/* One RDRAND draw, retried; all ones (a known firmware/microcode failure)
 * and a repeat of the previous value count as failures. */
static bool rdrand64(uint64_t *out)
{
	for (int i = 0; i < RDRAND_RETRIES; i++) {
		uint64_t v;
		uint8_t ok;

		__asm__ volatile("rdrand %0; setc %1" : "=r"(v), "=qm"(ok) : : "cc");
		if (ok && v != ~0ull && v != rdrand_last) {
			rdrand_last = v;
			*out = v;
			stats.rdrand_ok++;
			return true;
		}
	}
	stats.rdrand_failures++;
	return false;
}

/* XORs n bytes into the sponge's rate, permuting each time it fills. */
static void pool_absorb(const void *data, size_t n)
{
	const uint8_t *p = data;

	assert_locked(__func__);
	for (size_t i = 0; i < n; i++) {
		pool[pool_pos / 4] ^= (uint32_t)p[i] << (8 * (pool_pos % 4));
		if (++pool_pos == POOL_RATE) {
			chacha20_permute(pool);
			pool_pos = 0;
		}
	}
	pool_pending += n;
}

static void pool_absorb_u64(uint64_t v)
{
	pool_absorb(&v, sizeof(v));
}

/* Draws n RDRAND values into the pool, if the CPU has RDRAND. */
static void pool_absorb_rdrand(unsigned n)
{
	uint64_t v;

	if (!cpu_features()->rdrand)
		return;
	for (unsigned i = 0; i < n; i++)
		if (rdrand64(&v))
			pool_absorb_u64(v);
	wipe(&v, sizeof(v));
}

/*
 * Folds the pool into the generator key: pad, permute, XOR the rate into
 * the key, then clear the rate and permute again, so that the pool state
 * left behind does not lead back to what went into the key.
 */
static void pool_fold_into_key(void)
{
	assert_locked(__func__);
	pool_absorb_u64(rdtsc());
	pool_absorb_rdrand(RESEED_RDRAND_DRAWS);
	pool[pool_pos / 4] ^= 0x01u << (8 * (pool_pos % 4));
	pool[POOL_RATE / 4 - 1] ^= 0x80000000u;
	chacha20_permute(pool);
	for (unsigned i = 0; i < CHACHA20_KEY_SIZE; i++)
		gen_key[i] ^= (uint8_t)(pool[i / 4] >> (8 * (i % 4)));
	for (unsigned i = 0; i < POOL_RATE / 4; i++)
		pool[i] = 0;
	chacha20_permute(pool);
	pool_pos = 0;
	pool_pending = 0;
	stats.reseeds++;
}

/*
 * The time one sample takes: a chipset port read (an I/O round trip, a VM
 * exit under a hypervisor) and a memory walk whose length and stride
 * depend on the previous sample, so cache and bus state shape the timing.
 */
static uint64_t jitter_sample(uint64_t prev)
{
	static volatile uint8_t walk[4096];
	uint64_t t0 = rdtsc();
	unsigned steps = 1 + (unsigned)(prev & 15);

	(void)inb(0x61); /* system control port B: reading it has no effect */
	for (unsigned i = 0; i < steps; i++)
		walk[(prev + i * 67) % sizeof(walk)]++;
	return rdtsc() - t0;
}

void random_init(void)
{
	const struct cpu_features *cpu = cpu_features();
	uint64_t v, sample = 0;
	struct random_stats s;

	spin_lock(&rng_lock);
	pool_absorb_u64(rdtsc());
	pool_absorb_u64(time_since_boot_ns());
	if (cpu->rdseed)
		for (int i = 0; i < SEED_RDSEED_DRAWS; i++)
			if (rdseed64(&v))
				pool_absorb_u64(v);
	pool_absorb_rdrand(SEED_RDRAND_DRAWS);
	wipe(&v, sizeof(v));
	spin_unlock(&rng_lock);

	/* The jitter loop runs with interrupts on: interrupts add to the jitter. */
	for (int i = 0; i < SEED_JITTER_SAMPLES; i++) {
		sample = jitter_sample(sample);
		spin_lock(&rng_lock);
		pool_absorb_u64(sample ^ (rdtsc() << 32));
		stats.jitter_samples++;
		spin_unlock(&rng_lock);
	}

	spin_lock(&rng_lock);
	pool_fold_into_key();
	seeded = true;
	s = stats;
	spin_unlock(&rng_lock);

	if (!cpu->rdseed && !cpu->rdrand)
		log_warn("random", "no RDSEED or RDRAND: seeded from TSC jitter only (%lu samples)",
			 (unsigned long)s.jitter_samples);
	else
		log_info("random", "seeded: rdseed %lu ok/%lu failed, rdrand %lu ok/%lu failed, "
			 "%lu jitter samples", (unsigned long)s.rdseed_ok,
			 (unsigned long)s.rdseed_failures, (unsigned long)s.rdrand_ok,
			 (unsigned long)s.rdrand_failures, (unsigned long)s.jitter_samples);
}

/* Fills out with n bytes of the keystream of subkey, with a 64-bit block
 * counter (low half in the counter word, high half in the nonce). */
static void expand(const uint8_t subkey[CHACHA20_KEY_SIZE], uint8_t *out, size_t n)
{
	uint8_t nonce[CHACHA20_NONCE_SIZE] = { 0 }, tmp[CHACHA20_BLOCK_SIZE];

	for (uint64_t b = 0; n > 0; b++) {
		uint32_t hi = (uint32_t)(b >> 32);

		nonce[0] = (uint8_t)hi;
		nonce[1] = (uint8_t)(hi >> 8);
		nonce[2] = (uint8_t)(hi >> 16);
		nonce[3] = (uint8_t)(hi >> 24);
		if (n >= CHACHA20_BLOCK_SIZE) {
			chacha20_block(subkey, (uint32_t)b, nonce, out);
			out += CHACHA20_BLOCK_SIZE;
			n -= CHACHA20_BLOCK_SIZE;
		} else {
			chacha20_block(subkey, (uint32_t)b, nonce, tmp);
			memcpy(out, tmp, n);
			n = 0;
		}
	}
	wipe(tmp, sizeof(tmp));
}

void random_get_bytes(void *buf, size_t n)
{
	uint8_t block[CHACHA20_BLOCK_SIZE];
	bool ready;

	spin_lock(&rng_lock);
	ready = seeded;
	if (ready) {
		stats.requests++;
		if (pool_pending >= RANDOM_RESEED_BYTES)
			pool_fold_into_key();
		/* Fast key erasure: half a block is the next key, half is ours. */
		chacha20_block(gen_key, 0, zero_nonce, block);
		memcpy(gen_key, block, CHACHA20_KEY_SIZE);
	}
	spin_unlock(&rng_lock);
	if (!ready)
		panic("random_get_bytes: called before random_init");

	if (n <= CHACHA20_BLOCK_SIZE - CHACHA20_KEY_SIZE)
		memcpy(buf, block + CHACHA20_KEY_SIZE, n);
	else
		expand(block + CHACHA20_KEY_SIZE, buf, n);
	wipe(block, sizeof(block));
}

void random_mix(const void *data, size_t n)
{
	spin_lock(&rng_lock);
	pool_absorb(data, n);
	stats.mixed_bytes += n;
	spin_unlock(&rng_lock);
}

void random_get_stats(struct random_stats *out)
{
	spin_lock(&rng_lock);
	*out = stats;
	spin_unlock(&rng_lock);
}
