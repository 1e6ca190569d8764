/* SPDX-License-Identifier: MIT */
/*
 * The string map: lookups before and after it grows, duplicates refused
 * without changing the stored value, keys compared by content.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "strmap.h"

static void test_put_find_grow(void **state)
{
	static char keys[1000][24];
	static int values[1000];
	mc_strmap m = {0};
	int dup;

	(void)state;
	assert_null(mc_strmap_find(&m, "absent"));
	for (int i = 0; i < 1000; i++) {
		snprintf(keys[i], sizeof(keys[i]), "layers.%d.weight", i);
		values[i] = i;
		assert_int_equal(mc_strmap_put(&m, keys[i], &values[i], &dup), 0);
		assert_int_equal(dup, 0);
	}
	assert_int_equal(m.n, 1000);
	assert_true(m.cap >= 2000);
	for (int i = 0; i < 1000; i++) {
		char probe[24]; /* another copy of the key: compared by content */
		const mc_strmap_slot *s;
		snprintf(probe, sizeof(probe), "layers.%d.weight", i);
		assert_non_null(s = mc_strmap_find(&m, probe));
		assert_ptr_equal(s->value, &values[i]);
	}
	assert_null(mc_strmap_find(&m, "layers.1000.weight"));
	/* a duplicate is reported and the first value kept */
	assert_int_equal(mc_strmap_put(&m, "layers.7.weight", &values[0], &dup), 0);
	assert_int_equal(dup, 1);
	assert_ptr_equal(mc_strmap_find(&m, "layers.7.weight")->value, &values[7]);
	assert_int_equal(m.n, 1000);
	/* the empty string is a key like any other */
	assert_int_equal(mc_strmap_put(&m, "", NULL, &dup), 0);
	assert_int_equal(dup, 0);
	assert_non_null(mc_strmap_find(&m, ""));
	mc_strmap_release(&m);
	assert_int_equal(m.cap, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_find_grow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
