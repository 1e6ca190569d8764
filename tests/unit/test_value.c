/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the value tree and its arena: the arena's byte cap is
 * enforced (MC_ELIMIT, recorded, nothing allocated past it) whatever the
 * cap, allocations are zeroed and aligned; dict_set replaces the value of
 * an equal key in place and otherwise appends, keeping insertion order as
 * Python does; dict_get finds str keys only; accessors accept NULL and
 * out-of-range indices.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "modelctl.h"
#include "value.h"

static mc_value *str(mc_arena *a, const char *s)
{
	mc_value *v = mc_value_new_str(a, MC_VALUE_STR, s, strlen(s));
	assert_non_null(v);
	return v;
}

static mc_value *num(mc_arena *a, int64_t i)
{
	mc_value *v = mc_value_new_int(a, i);
	assert_non_null(v);
	return v;
}

static void test_arena_alloc(void **state)
{
	mc_arena *a = NULL;
	(void)state;

	assert_int_equal(mc_arena_new(&a, 1u << 20), 0);
	assert_int_equal(mc_arena_used(a), 0);
	for (size_t n = 0; n < 200; n += 7) {
		uint8_t *p = mc_arena_alloc(a, n);
		assert_non_null(p);
		assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(p[i], 0);
		memset(p, 0xab, n);
	}
	/* a block larger than the usual block size */
	{
		uint8_t *p = mc_arena_alloc(a, 300000);
		assert_non_null(p);
		assert_int_equal(p[0], 0);
		assert_int_equal(p[299999], 0);
		memset(p, 0xcd, 300000);
	}
	assert_true(mc_arena_used(a) >= 300000);
	assert_true(mc_arena_used(a) <= 1u << 20);
	{
		char *s = mc_arena_strndup(a, "hello world", 5);
		assert_string_equal(s, "hello");
		s = mc_arena_strndup(a, NULL, 0);
		assert_string_equal(s, "");
	}
	mc_arena_free(a);
	mc_arena_free(NULL);
	assert_int_equal(mc_arena_used(NULL), 0);
}

/* Allocate `step` bytes at a time until the arena refuses; return the
 * bytes it gave. */
static size_t fill(mc_arena *a, size_t step)
{
	size_t got = 0;
	for (;;) {
		mc_error_clear();
		if (!mc_arena_alloc(a, step))
			break;
		got += step;
		assert_true(got <= (size_t)1 << 30);
	}
	assert_int_equal(mc_error_last()->code, MC_ELIMIT);
	return got;
}

static void test_arena_cap(void **state)
{
	static const size_t caps[] = {64, 1000, 4096, 65536, 100000, 1u << 20, 3u << 20};
	(void)state;

	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		size_t cap = caps[i];
		mc_arena *a = NULL;
		size_t got;
		assert_int_equal(mc_arena_new(&a, cap), 0);
		/* steps of the arena's alignment waste nothing */
		got = fill(a, sizeof(max_align_t));
		/* the cap holds, and most of it is usable */
		assert_true(mc_arena_used(a) <= cap);
		assert_true(got <= cap);
		if (got < cap - cap / 8)
			fail_msg("arena with a cap of %zu gave only %zu bytes", cap, got);
		assert_non_null(strstr(mc_error_last()->msg, "more than this file could describe"));
		/* once full, a big request fails too, and so does a string */
		assert_null(mc_arena_alloc(a, cap));
		assert_int_equal(mc_error_last()->code, MC_ELIMIT);
		assert_null(mc_value_new_int(a, 1));
		mc_arena_free(a);

		/* the whole cap in one request is allowed, one byte more is not */
		assert_int_equal(mc_arena_new(&a, cap), 0);
		mc_error_clear();
		assert_null(mc_arena_alloc(a, cap + 1));
		assert_int_equal(mc_error_last()->code, MC_ELIMIT);
		assert_int_equal(mc_arena_used(a), 0);
		assert_non_null(mc_arena_alloc(a, cap - cap % sizeof(max_align_t)));
		assert_int_equal(mc_arena_used(a), cap);
		assert_null(mc_arena_alloc(a, 1));
		mc_arena_free(a);
	}
}

static void test_arena_hostile_sizes(void **state)
{
	static const size_t sizes[] = {(size_t)1 << 21, 0x7fffffff, 0xffffffff,
	                               SIZE_MAX / 2, SIZE_MAX - 15, SIZE_MAX};
	mc_arena *a = NULL;
	(void)state;

	assert_int_equal(mc_arena_new(&a, 1u << 20), 0);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		mc_error_clear();
		assert_null(mc_arena_alloc(a, sizes[i]));
		assert_int_equal(mc_error_last()->code, MC_ELIMIT);
	}
	assert_null(mc_arena_strndup(a, "x", SIZE_MAX));
	assert_int_equal(mc_arena_used(a), 0);
	/* the refusals left the arena usable */
	assert_non_null(mc_arena_alloc(a, 100));
	/* an unlimited arena still refuses sizes that overflow */
	mc_arena_free(a);
	assert_int_equal(mc_arena_new(&a, SIZE_MAX), 0);
	mc_error_clear();
	assert_null(mc_arena_alloc(a, SIZE_MAX - 2));
	assert_int_equal(mc_error_last()->code, MC_ELIMIT);
	mc_arena_free(a);
}

static void test_scalars(void **state)
{
	mc_arena *a = NULL;
	mc_value *v;
	(void)state;

	assert_int_equal(mc_arena_new(&a, 1u << 20), 0);
	v = mc_value_new_int(a, INT64_MIN);
	assert_int_equal(v->kind, MC_VALUE_INT);
	assert_true(v->u.i == INT64_MIN);
	v = mc_value_new_float(a, -0.25);
	assert_int_equal(v->kind, MC_VALUE_FLOAT);
	assert_true(v->u.f == -0.25);
	v = mc_value_new_bool(a, true);
	assert_int_equal(v->kind, MC_VALUE_BOOL);
	assert_true(v->u.b);
	v = mc_value_new(a, MC_VALUE_NONE);
	assert_int_equal(v->kind, MC_VALUE_NONE);
	v = mc_value_new_tensor(a, 12);
	assert_int_equal(v->kind, MC_VALUE_TENSOR);
	assert_int_equal(v->u.tensor, 12);
	/* bytes keep embedded NULs and are NUL-terminated after them */
	v = mc_value_new_str(a, MC_VALUE_BYTES, "a\0b", 3);
	assert_int_equal(v->kind, MC_VALUE_BYTES);
	assert_int_equal(v->u.s.n, 3);
	assert_memory_equal(v->u.s.p, "a\0b\0", 4);
	v = mc_value_new_str(a, MC_VALUE_BIGINT, "123456789012345678901234567890", 30);
	assert_int_equal(v->kind, MC_VALUE_BIGINT);
	assert_string_equal(v->u.s.p, "123456789012345678901234567890");
	v = mc_value_new_str(a, MC_VALUE_STR, "", 0);
	assert_string_equal(v->u.s.p, "");
	assert_int_equal(v->u.s.n, 0);
	/* scalars have no length and no items */
	assert_int_equal(mc_value_len(v), 0);
	assert_null(mc_value_at(v, 0));
	assert_null(mc_value_dict_key(v, 0));
	assert_null(mc_value_dict_get(v, ""));
	mc_arena_free(a);
}

static void test_sequences(void **state)
{
	mc_arena *a = NULL;
	mc_value *list, *tuple, *set, *dict;
	(void)state;

	assert_int_equal(mc_arena_new(&a, 1u << 20), 0);
	list = mc_value_new(a, MC_VALUE_LIST);
	tuple = mc_value_new(a, MC_VALUE_TUPLE);
	set = mc_value_new(a, MC_VALUE_SET);
	dict = mc_value_new(a, MC_VALUE_DICT);
	assert_int_equal(mc_value_len(list), 0);
	assert_null(mc_value_at(list, 0));
	/* grow past several doublings; order and items are kept */
	for (int64_t i = 0; i < 1000; i++)
		assert_int_equal(mc_value_append(a, list, num(a, i)), 0);
	assert_int_equal(mc_value_len(list), 1000);
	for (size_t i = 0; i < 1000; i++)
		assert_int_equal(mc_value_at(list, i)->u.i, (int64_t)i);
	assert_null(mc_value_at(list, 1000));
	assert_null(mc_value_at(list, SIZE_MAX));
	assert_int_equal(mc_value_append(a, tuple, str(a, "x")), 0);
	assert_int_equal(mc_value_append(a, set, str(a, "y")), 0);
	assert_int_equal(mc_value_len(tuple), 1);
	assert_int_equal(mc_value_len(set), 1);
	assert_string_equal(mc_value_at(tuple, 0)->u.s.p, "x");
	/* append works only on sequences */
	mc_error_clear();
	assert_int_equal(mc_value_append(a, dict, num(a, 1)), MC_EINVAL);
	assert_int_equal(mc_error_last()->code, MC_EINVAL);
	assert_int_equal(mc_value_append(a, num(a, 1), num(a, 2)), MC_EINVAL);
	/* NULL is accepted by the accessors */
	assert_int_equal(mc_value_len(NULL), 0);
	assert_null(mc_value_at(NULL, 0));
	assert_null(mc_value_dict_key(NULL, 0));
	assert_null(mc_value_dict_val(NULL, 0));
	assert_null(mc_value_dict_get(NULL, "x"));
	mc_arena_free(a);
}

static void test_sequence_hits_cap(void **state)
{
	mc_arena *a = NULL;
	mc_value *list, *one;
	int rc = 0;
	size_t n = 0;
	(void)state;

	assert_int_equal(mc_arena_new(&a, 1u << 20), 0);
	list = mc_value_new(a, MC_VALUE_LIST);
	one = num(a, 1);
	/* a list of one shared item that grows until the cap stops it */
	while ((rc = mc_value_append(a, list, one)) == 0)
		n++;
	assert_int_equal(rc, MC_ELIMIT);
	assert_int_equal(mc_value_len(list), n);
	assert_true(n > 1000);
	assert_true(mc_arena_used(a) <= 1u << 20);
	mc_arena_free(a);
}

static void test_dict(void **state)
{
	mc_arena *a = NULL;
	mc_value *d, *v2, *v3;
	(void)state;

	assert_int_equal(mc_arena_new(&a, 1u << 20), 0);
	d = mc_value_new(a, MC_VALUE_DICT);
	assert_int_equal(mc_value_dict_set(a, d, str(a, "epoch"), num(a, 3)), 0);
	assert_int_equal(mc_value_dict_set(a, d, str(a, "lr"), mc_value_new_float(a, 0.1)), 0);
	assert_int_equal(mc_value_dict_set(a, d, num(a, 7), str(a, "seven")), 0);
	assert_int_equal(mc_value_dict_set(a, d, str(a, "name"), str(a, "resnet")), 0);
	assert_int_equal(mc_value_len(d), 4);

	/* an equal key (a different object) replaces the value in place */
	v2 = num(a, 4);
	assert_int_equal(mc_value_dict_set(a, d, str(a, "epoch"), v2), 0);
	v3 = str(a, "SEVEN");
	assert_int_equal(mc_value_dict_set(a, d, num(a, 7), v3), 0);
	assert_int_equal(mc_value_len(d), 4);
	assert_string_equal(mc_value_dict_key(d, 0)->u.s.p, "epoch");
	assert_ptr_equal(mc_value_dict_val(d, 0), v2);
	assert_string_equal(mc_value_dict_key(d, 1)->u.s.p, "lr");
	assert_int_equal(mc_value_dict_key(d, 2)->u.i, 7);
	assert_ptr_equal(mc_value_dict_val(d, 2), v3);
	assert_string_equal(mc_value_dict_key(d, 3)->u.s.p, "name");
	assert_null(mc_value_dict_key(d, 4));
	assert_null(mc_value_dict_val(d, 4));
	/* a dict is not a sequence */
	assert_null(mc_value_at(d, 0));

	/* the str "7" and the bytes b"epoch" are different keys from 7 and "epoch" */
	assert_int_equal(mc_value_dict_set(a, d, str(a, "7"), num(a, 77)), 0);
	assert_int_equal(mc_value_dict_set(a, d, mc_value_new_str(a, MC_VALUE_BYTES, "epoch", 5),
	                                   num(a, 5)), 0);
	assert_int_equal(mc_value_len(d), 6);

	/* dict_get looks up str keys only, by full length */
	assert_ptr_equal(mc_value_dict_get(d, "epoch"), v2);
	assert_int_equal(mc_value_dict_get(d, "7")->u.i, 77);
	assert_true(mc_value_dict_get(d, "lr")->u.f == 0.1);
	assert_null(mc_value_dict_get(d, "ep"));
	assert_null(mc_value_dict_get(d, "epochs"));
	assert_null(mc_value_dict_get(d, "EPOCH"));
	assert_null(mc_value_dict_get(d, ""));

	/* set on something that is not a dict */
	assert_int_equal(mc_value_dict_set(a, num(a, 1), str(a, "k"), num(a, 2)), MC_EINVAL);
	mc_arena_free(a);
}

static void test_dict_many_keys(void **state)
{
	mc_arena *a = NULL;
	mc_value *d;
	char key[32];
	(void)state;

	assert_int_equal(mc_arena_new(&a, 4u << 20), 0);
	d = mc_value_new(a, MC_VALUE_DICT);
	for (int i = 0; i < 500; i++) {
		snprintf(key, sizeof(key), "layer.%d.weight", i);
		assert_int_equal(mc_value_dict_set(a, d, str(a, key), num(a, i)), 0);
	}
	/* overwrite every other key: order and count unchanged */
	for (int i = 0; i < 500; i += 2) {
		snprintf(key, sizeof(key), "layer.%d.weight", i);
		assert_int_equal(mc_value_dict_set(a, d, str(a, key), num(a, -i)), 0);
	}
	assert_int_equal(mc_value_len(d), 500);
	for (int i = 0; i < 500; i++) {
		snprintf(key, sizeof(key), "layer.%d.weight", i);
		assert_string_equal(mc_value_dict_key(d, (size_t)i)->u.s.p, key);
		assert_int_equal(mc_value_dict_val(d, (size_t)i)->u.i, i % 2 ? i : -i);
		assert_int_equal(mc_value_dict_get(d, key)->u.i, i % 2 ? i : -i);
	}
	mc_arena_free(a);
}

static void test_key_equal(void **state)
{
	mc_arena *a = NULL;
	mc_value *none1, *none2;
	(void)state;

	assert_int_equal(mc_arena_new(&a, 1u << 20), 0);
	none1 = mc_value_new(a, MC_VALUE_NONE);
	none2 = mc_value_new(a, MC_VALUE_NONE);
	assert_true(mc_value_key_equal(none1, none2));
	assert_true(mc_value_key_equal(str(a, "a"), str(a, "a")));
	assert_false(mc_value_key_equal(str(a, "a"), str(a, "ab")));
	assert_false(mc_value_key_equal(str(a, "a"), mc_value_new_str(a, MC_VALUE_BYTES, "a", 1)));
	assert_true(mc_value_key_equal(num(a, -5), num(a, -5)));
	assert_false(mc_value_key_equal(num(a, 5), num(a, 6)));
	assert_false(mc_value_key_equal(num(a, 1), str(a, "1")));
	assert_true(mc_value_key_equal(mc_value_new_bool(a, false), mc_value_new_bool(a, false)));
	assert_false(mc_value_key_equal(mc_value_new_bool(a, false), mc_value_new_bool(a, true)));
	assert_true(mc_value_key_equal(mc_value_new_float(a, 1.5), mc_value_new_float(a, 1.5)));
	{
		/* containers compare by identity */
		mc_value *l1 = mc_value_new(a, MC_VALUE_TUPLE), *l2 = mc_value_new(a, MC_VALUE_TUPLE);
		assert_true(mc_value_key_equal(l1, l1));
		assert_false(mc_value_key_equal(l1, l2));
	}
	mc_arena_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arena_alloc),
		cmocka_unit_test(test_arena_cap),
		cmocka_unit_test(test_arena_hostile_sizes),
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_sequences),
		cmocka_unit_test(test_sequence_hits_cap),
		cmocka_unit_test(test_dict),
		cmocka_unit_test(test_dict_many_keys),
		cmocka_unit_test(test_key_equal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
