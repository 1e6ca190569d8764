/* SPDX-License-Identifier: MIT */
/*
 * SipHash (Aumasson and Bernstein, "SipHash: a fast short-input PRF",
 * 2012): four 64-bit words of state initialised from the 128-bit key, each
 * 8-byte little-endian word of input absorbed with c SipRounds, the last
 * word holding the input's length in its top byte, then d rounds.  The
 * tables use c = 1, d = 3, which is what hash tables elsewhere settled on
 * for speed with the flooding protection intact.
 */
#define _GNU_SOURCE /* getrandom */
#include <string.h>
#include <sys/random.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

#include "hash.h"
#include "banned.h"

static uint64_t rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

static uint64_t load_le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

#define SIPROUND()                                                        \
	do {                                                              \
		v0 += v1, v1 = rotl(v1, 13), v1 ^= v0, v0 = rotl(v0, 32); \
		v2 += v3, v3 = rotl(v3, 16), v3 ^= v2;                    \
		v0 += v3, v3 = rotl(v3, 21), v3 ^= v0;                    \
		v2 += v1, v1 = rotl(v1, 17), v1 ^= v2, v2 = rotl(v2, 32); \
	} while (0)

uint64_t mc_siphash(uint64_t k0, uint64_t k1, const void *data, size_t n, int c, int d)
{
	const uint8_t *p = data;
	uint64_t v0 = k0 ^ 0x736f6d6570736575u, v1 = k1 ^ 0x646f72616e646f6du;
	uint64_t v2 = k0 ^ 0x6c7967656e657261u, v3 = k1 ^ 0x7465646279746573u;
	uint64_t m;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		m = load_le(p + i, 8);
		v3 ^= m;
		for (int r = 0; r < c; r++)
			SIPROUND();
		v0 ^= m;
	}
	m = load_le(p + i, n - i) | (uint64_t)(n & 0xff) << 56;
	v3 ^= m;
	for (int r = 0; r < c; r++)
		SIPROUND();
	v0 ^= m;
	v2 ^= 0xff;
	for (int r = 0; r < d; r++)
		SIPROUND();
	return v0 ^ v1 ^ v2 ^ v3;
}

static uint64_t key[2];
static once_flag key_once = ONCE_FLAG_INIT;

static void key_init(void)
{
	uint8_t b[16];

	if (getrandom(b, sizeof(b), GRND_NONBLOCK) == (ssize_t)sizeof(b)) {
		key[0] = load_le(b, 8);
		key[1] = load_le(b + 8, 8);
		return;
	}
	/* no entropy yet (early boot): still different from run to run */
	{
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		key[0] = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15u ^ (uint64_t)ts.tv_sec;
		key[1] = (uint64_t)getpid() * 0xc2b2ae3d27d4eb4fu ^ (uint64_t)(uintptr_t)&key;
	}
}

uint64_t mc_hash(const void *data, size_t n)
{
	call_once(&key_once, key_init);
	return mc_siphash(key[0], key[1], data, n, 1, 3);
}

uint64_t mc_hash_str(const char *s)
{
	return mc_hash(s, strlen(s));
}

uint64_t mc_hash_u64(uint64_t v)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return mc_hash(b, sizeof(b));
}
