/* SPDX-License-Identifier: MIT */
/*
 * The tables' hash: SipHash against the reference vectors of its paper
 * (SipHash-2-4, key 00 01 .. 0f, messages 00 01 .. of each length), and
 * the keyed hash the tables use: stable within a process, spread over the
 * low bits that pick a slot.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "hash.h"

static void test_reference_vectors(void **state)
{
	uint8_t msg[16];
	const uint64_t k0 = 0x0706050403020100u, k1 = 0x0f0e0d0c0b0a0908u;

	(void)state;
	for (int i = 0; i < 16; i++)
		msg[i] = (uint8_t)i;
	assert_true(mc_siphash(k0, k1, msg, 0, 2, 4) == 0x726fdb47dd0e0e31u);
	assert_true(mc_siphash(k0, k1, msg, 15, 2, 4) == 0xa129ca6149be45e5u);
}

static void test_keyed_hash(void **state)
{
	char name[32];
	unsigned buckets[64] = {0};

	(void)state;
	assert_true(mc_hash_str("model.fc.weight") == mc_hash_str("model.fc.weight"));
	assert_true(mc_hash_str("model.fc.weight") != mc_hash_str("model.fc.bias"));
	assert_true(mc_hash("ab", 2) == mc_hash_str("ab"));
	assert_true(mc_hash("", 0) != mc_hash("\0", 1));
	assert_true(mc_hash_u64(1) != mc_hash_u64(2));
	/* names that differ in one character land evenly over 64 slots */
	for (int i = 0; i < 6400; i++) {
		snprintf(name, sizeof(name), "layers.%d.weight", i);
		buckets[mc_hash_str(name) & 63]++;
	}
	for (int i = 0; i < 64; i++)
		assert_in_range(buckets[i], 50, 150);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_vectors),
		cmocka_unit_test(test_keyed_hash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
