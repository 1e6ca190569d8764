/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the bounded cursor: every reader succeeds with exactly its
 * size left and fails one byte short, without moving, recording a
 * truncation error with the file, entry and absolute offset (origin + pos);
 * hostile lengths (0x7fffffff, 0xffffffff, 2^63, SIZE_MAX) are refused
 * without wrapping; sub-cursors are bounded by their own length and report
 * absolute offsets; seeking past the end fails.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cursor.h"
#include "modelctl.h"

static const uint8_t bytes[16] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                                  0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f, 0x90};

/* One reader under test: its size and the value it must produce from
 * `bytes` (as raw bits, so floats compare exactly). */
typedef struct {
	const char *name;
	size_t size;
	int (*read)(mc_cur *c, uint64_t *out);
	uint64_t expect;
} reader;

#define WRAP(fn, type)                                  \
	static int wrap_##fn(mc_cur *c, uint64_t *out)  \
	{                                               \
		type v;                                 \
		int rc = fn(c, &v);                     \
		if (!rc) {                              \
			uint64_t u = 0;                 \
			memcpy(&u, &v, sizeof(v));      \
			*out = u;                       \
		}                                       \
		return rc;                              \
	}

WRAP(mc_cur_u8, uint8_t)
WRAP(mc_cur_u16le, uint16_t)
WRAP(mc_cur_u32le, uint32_t)
WRAP(mc_cur_u64le, uint64_t)
WRAP(mc_cur_u16be, uint16_t)
WRAP(mc_cur_u32be, uint32_t)
WRAP(mc_cur_u64be, uint64_t)
WRAP(mc_cur_i32le, int32_t)
WRAP(mc_cur_i64le, int64_t)
WRAP(mc_cur_f32le, float)
WRAP(mc_cur_f64le, double)
WRAP(mc_cur_f64be, double)

static const reader readers[] = {
	{"u8", 1, wrap_mc_cur_u8, 0x01},
	{"u16le", 2, wrap_mc_cur_u16le, 0x0201},
	{"u32le", 4, wrap_mc_cur_u32le, 0x04030201},
	{"u64le", 8, wrap_mc_cur_u64le, UINT64_C(0x0807060504030201)},
	{"u16be", 2, wrap_mc_cur_u16be, 0x0102},
	{"u32be", 4, wrap_mc_cur_u32be, 0x01020304},
	{"u64be", 8, wrap_mc_cur_u64be, UINT64_C(0x0102030405060708)},
	{"i32le", 4, wrap_mc_cur_i32le, 0x04030201},
	{"i64le", 8, wrap_mc_cur_i64le, UINT64_C(0x0807060504030201)},
	{"f32le", 4, wrap_mc_cur_f32le, 0x04030201},
	{"f64le", 8, wrap_mc_cur_f64le, UINT64_C(0x0807060504030201)},
	{"f64be", 8, wrap_mc_cur_f64be, UINT64_C(0x0102030405060708)},
};
#define NREADERS (sizeof(readers) / sizeof(readers[0]))

static void check_truncated(size_t needed, size_t left, uint64_t offset, const char *path,
                            const char *entry)
{
	const mc_error *e = mc_error_last();
	char msg[128];

	snprintf(msg, sizeof(msg), "truncated: %zu bytes needed, %zu left", needed, left);
	assert_int_equal(e->code, MC_ECORRUPT);
	assert_string_equal(e->msg, msg);
	assert_int_equal(e->offset, (int64_t)offset);
	assert_string_equal(e->path, path ? path : "");
	assert_string_equal(e->entry, entry ? entry : "");
}

static void test_readers_exact_end(void **state)
{
	(void)state;
	for (size_t i = 0; i < NREADERS; i++) {
		mc_cur c;
		uint64_t v = 0;
		/* the reader's bytes sit at the very end of the range */
		mc_cur_init(&c, bytes, readers[i].size, 100, "f.bin", NULL);
		mc_error_clear();
		if (readers[i].read(&c, &v) != 0)
			fail_msg("%s failed with exactly %zu bytes", readers[i].name, readers[i].size);
		if (v != readers[i].expect)
			fail_msg("%s read 0x%llx, expected 0x%llx", readers[i].name,
			         (unsigned long long)v, (unsigned long long)readers[i].expect);
		assert_int_equal(c.pos, readers[i].size);
		assert_int_equal(mc_cur_left(&c), 0);
		assert_int_equal(mc_cur_offset(&c), 100 + readers[i].size);
		assert_int_equal(mc_error_last()->code, 0);
		/* and nothing more can be read */
		assert_int_equal(readers[i].read(&c, &v), MC_ECORRUPT);
		check_truncated(readers[i].size, 0, 100 + readers[i].size, "f.bin", NULL);
	}
}

static void test_readers_one_short(void **state)
{
	(void)state;
	for (size_t i = 0; i < NREADERS; i++) {
		for (size_t skip = 0; skip < 3; skip++) {
			mc_cur c;
			uint64_t v = 0xdeadbeef;
			/* range of skip + size - 1 bytes, positioned after `skip` */
			mc_cur_init(&c, bytes, skip + readers[i].size - 1, 1000, "model.bin",
			            "entry/x");
			assert_int_equal(mc_cur_skip(&c, skip), 0);
			if (readers[i].read(&c, &v) != MC_ECORRUPT)
				fail_msg("%s did not fail one byte short", readers[i].name);
			/* the error names where the read started, and the cursor
			 * does not move: a caller can report or retry from there */
			check_truncated(readers[i].size, readers[i].size - 1, 1000 + skip, "model.bin",
			                "entry/x");
			if (c.pos != skip)
				fail_msg("%s moved the cursor to %zu on failure", readers[i].name, c.pos);
			assert_int_equal(v, 0xdeadbeef);
		}
	}
}

static void test_readers_values(void **state)
{
	mc_cur c;
	uint8_t b;
	uint16_t u16;
	uint32_t u32;
	int32_t i32;
	int64_t i64;
	float f;
	double d;
	(void)state;

	mc_cur_init(&c, bytes, sizeof(bytes), 0, "x", NULL);
	assert_int_equal(mc_cur_seek(&c, 8), 0);
	assert_int_equal(mc_cur_u8(&c, &b), 0);
	assert_int_equal(b, 0x89);
	assert_int_equal(mc_cur_u16be(&c, &u16), 0);
	assert_int_equal(u16, 0x8a8b);
	assert_int_equal(mc_cur_seek(&c, 8), 0);
	assert_int_equal(mc_cur_i32le(&c, &i32), 0);
	assert_int_equal(i32, (int32_t)0x8c8b8a89);
	assert_true(i32 < 0);
	assert_int_equal(mc_cur_seek(&c, 8), 0);
	assert_int_equal(mc_cur_i64le(&c, &i64), 0);
	assert_true(i64 < 0);
	assert_int_equal((uint64_t)i64, UINT64_C(0x908f8e8d8c8b8a89));
	assert_int_equal(mc_cur_seek(&c, 8), 0);
	assert_int_equal(mc_cur_u32be(&c, &u32), 0);
	assert_int_equal(u32, 0x898a8b8c);

	{
		/* real numbers through the float readers */
		static const uint8_t one_le[4] = {0x00, 0x00, 0x80, 0x3f};            /* 1.0f */
		static const uint8_t pi_le[8] = {0x18, 0x2d, 0x44, 0x54, 0xfb, 0x21, 0x09, 0x40};
		static const uint8_t pi_be[8] = {0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18};
		mc_cur_init(&c, one_le, 4, 0, "x", NULL);
		assert_int_equal(mc_cur_f32le(&c, &f), 0);
		assert_true(f == 1.0f);
		mc_cur_init(&c, pi_le, 8, 0, "x", NULL);
		assert_int_equal(mc_cur_f64le(&c, &d), 0);
		assert_true(d == 3.141592653589793);
		mc_cur_init(&c, pi_be, 8, 0, "x", NULL);
		assert_int_equal(mc_cur_f64be(&c, &d), 0);
		assert_true(d == 3.141592653589793);
	}
}

static void test_bytes_skip(void **state)
{
	mc_cur c;
	const uint8_t *p = NULL;
	(void)state;

	mc_cur_init(&c, bytes, sizeof(bytes), 50, "b", "e");
	assert_int_equal(mc_cur_bytes(&c, 0, &p), 0);
	assert_ptr_equal(p, bytes);
	assert_int_equal(mc_cur_bytes(&c, 5, &p), 0);
	assert_ptr_equal(p, bytes);
	assert_ptr_equal(mc_cur_ptr(&c), bytes + 5);
	assert_int_equal(mc_cur_skip(&c, 3), 0);
	assert_int_equal(mc_cur_offset(&c), 58);
	/* exactly the rest */
	assert_int_equal(mc_cur_bytes(&c, 8, &p), 0);
	assert_ptr_equal(p, bytes + 8);
	assert_int_equal(mc_cur_left(&c), 0);
	/* zero bytes at the end is fine, one is not */
	assert_int_equal(mc_cur_bytes(&c, 0, &p), 0);
	assert_int_equal(mc_cur_skip(&c, 0), 0);
	p = NULL;
	assert_int_equal(mc_cur_bytes(&c, 1, &p), MC_ECORRUPT);
	assert_null(p);
	check_truncated(1, 0, 66, "b", "e");
	assert_int_equal(mc_cur_skip(&c, 1), MC_ECORRUPT);
	check_truncated(1, 0, 66, "b", "e");
	assert_int_equal(c.pos, 16);
}

static void test_hostile_lengths(void **state)
{
	static const uint64_t hostile[] = {
		17, 0x7fffffff, 0x80000000, 0xffffffff, UINT64_C(0x100000000),
		UINT64_C(1) << 63, UINT64_MAX - 15, UINT64_MAX,
	};
	(void)state;

	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		size_t n = hostile[i] > SIZE_MAX ? SIZE_MAX : (size_t)hostile[i];
		for (size_t at = 0; at <= 16; at += 8) {
			mc_cur c, sub;
			const uint8_t *p = NULL;
			mc_cur_init(&c, bytes, sizeof(bytes), UINT64_C(1) << 40, "h", NULL);
			assert_int_equal(mc_cur_seek(&c, at), 0);
			assert_int_equal(mc_cur_bytes(&c, n, &p), MC_ECORRUPT);
			assert_null(p);
			check_truncated(n, 16 - at, (UINT64_C(1) << 40) + at, "h", NULL);
			assert_int_equal(mc_cur_skip(&c, n), MC_ECORRUPT);
			assert_int_equal(mc_cur_sub(&sub, &c, n), MC_ECORRUPT);
			assert_int_equal(mc_cur_seek(&c, n), MC_ECORRUPT);
			assert_int_equal(c.pos, at);
		}
	}
}

static void test_seek(void **state)
{
	mc_cur c;
	uint8_t b;
	(void)state;

	mc_cur_init(&c, bytes, 10, 7, "s", NULL);
	assert_int_equal(mc_cur_seek(&c, 10), 0); /* the end itself is a position */
	assert_int_equal(mc_cur_left(&c), 0);
	assert_int_equal(mc_cur_seek(&c, 3), 0);
	assert_int_equal(mc_cur_u8(&c, &b), 0);
	assert_int_equal(b, 0x04);
	assert_int_equal(mc_cur_seek(&c, 0), 0);
	assert_int_equal(mc_cur_offset(&c), 7);

	assert_int_equal(mc_cur_seek(&c, 4), 0);
	assert_int_equal(mc_cur_seek(&c, 11), MC_ECORRUPT);
	assert_int_equal(c.pos, 4); /* unchanged */
	assert_int_equal(mc_error_last()->code, MC_ECORRUPT);
	assert_string_equal(mc_error_last()->msg, "position 11 is past the end (10 bytes)");
	assert_int_equal(mc_error_last()->offset, 7 + 4);
	assert_string_equal(mc_error_last()->path, "s");
	assert_int_equal(mc_cur_seek(&c, SIZE_MAX), MC_ECORRUPT);
}

static void test_sub_cursor(void **state)
{
	mc_cur c, sub, subsub;
	uint32_t u32;
	uint8_t b;
	(void)state;

	mc_cur_init(&c, bytes, sizeof(bytes), 1000, "z.npz", "a.npy");
	assert_int_equal(mc_cur_skip(&c, 2), 0);
	assert_int_equal(mc_cur_sub(&sub, &c, 6), 0);
	/* the parent moved past the carved bytes */
	assert_int_equal(c.pos, 8);
	/* the sub-cursor covers bytes 2..7, at absolute offset 1002 */
	assert_ptr_equal(sub.p, bytes + 2);
	assert_int_equal(sub.len, 6);
	assert_int_equal(sub.pos, 0);
	assert_int_equal(sub.origin, 1002);
	assert_ptr_equal(sub.path, c.path);
	assert_ptr_equal(sub.entry, c.entry);
	assert_int_equal(mc_cur_u32le(&sub, &u32), 0);
	assert_int_equal(u32, 0x06050403);
	/* the parent has bytes left, but the sub-cursor does not */
	assert_int_equal(mc_cur_u32le(&sub, &u32), MC_ECORRUPT);
	check_truncated(4, 2, 1006, "z.npz", "a.npy");
	assert_int_equal(sub.pos, 4);
	/* nested: offsets stay absolute */
	assert_int_equal(mc_cur_sub(&subsub, &sub, 2), 0);
	assert_int_equal(subsub.origin, 1006);
	assert_int_equal(mc_cur_left(&sub), 0);
	assert_int_equal(mc_cur_u8(&subsub, &b), 0);
	assert_int_equal(b, 0x07);
	assert_int_equal(mc_cur_skip(&subsub, 2), MC_ECORRUPT);
	check_truncated(2, 1, 1007, "z.npz", "a.npy");
	assert_int_equal(mc_cur_seek(&subsub, 3), MC_ECORRUPT);
	/* a sub-cursor larger than what is left fails and moves nothing */
	assert_int_equal(mc_cur_sub(&sub, &c, 9), MC_ECORRUPT);
	check_truncated(9, 8, 1008, "z.npz", "a.npy");
	assert_int_equal(c.pos, 8);
	/* an empty sub-cursor at the very end is fine */
	assert_int_equal(mc_cur_skip(&c, 8), 0);
	assert_int_equal(mc_cur_sub(&sub, &c, 0), 0);
	assert_int_equal(sub.len, 0);
	assert_int_equal(sub.origin, 1016);
	assert_int_equal(mc_cur_u8(&sub, &b), MC_ECORRUPT);
	check_truncated(1, 0, 1016, "z.npz", "a.npy");
}

static void test_empty_and_fail_macro(void **state)
{
	mc_cur c;
	uint8_t b;
	int rc;
	(void)state;

	/* an empty range over a NULL pointer: nothing is dereferenced */
	mc_cur_init(&c, NULL, 0, 0, NULL, NULL);
	assert_int_equal(mc_cur_left(&c), 0);
	assert_int_equal(mc_cur_u8(&c, &b), MC_ECORRUPT);
	check_truncated(1, 0, 0, NULL, NULL);

	/* mc_corrupt records the cursor's absolute offset and context */
	mc_cur_init(&c, bytes, sizeof(bytes), 4096, "m.safetensors", "w");
	assert_int_equal(mc_cur_skip(&c, 12), 0);
	rc = mc_corrupt(&c, "tensor '%s': bad %d", "w", 7);
	assert_int_equal(rc, MC_ECORRUPT);
	assert_string_equal(mc_error_last()->msg, "tensor 'w': bad 7");
	assert_int_equal(mc_error_last()->offset, 4108);
	rc = mc_cur_fail(&c, MC_EUNSUPPORTED, "x");
	assert_int_equal(rc, MC_EUNSUPPORTED);
	assert_int_equal(mc_error_last()->code, MC_EUNSUPPORTED);
	assert_non_null(mc_error_last()->src_file);
	assert_true(mc_error_last()->src_line > 0);
}

static void test_load_store(void **state)
{
	uint8_t buf[8];
	(void)state;

	mc_store_u16le(buf, 0xa1b2);
	assert_int_equal(buf[0], 0xb2);
	assert_int_equal(buf[1], 0xa1);
	assert_int_equal(mc_load_u16le(buf), 0xa1b2);
	mc_store_u32le(buf, 0xdeadbeef);
	assert_memory_equal(buf, "\xef\xbe\xad\xde", 4);
	assert_int_equal(mc_load_u32le(buf), 0xdeadbeef);
	mc_store_u64le(buf, UINT64_C(0x8877665544332211));
	assert_memory_equal(buf, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
	assert_int_equal(mc_load_u64le(buf), UINT64_C(0x8877665544332211));
	assert_int_equal(mc_load_u16le(bytes + 14), 0x908f);
	assert_int_equal(mc_load_u32le(bytes + 12), 0x908f8e8d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_readers_exact_end),
		cmocka_unit_test(test_readers_one_short),
		cmocka_unit_test(test_readers_values),
		cmocka_unit_test(test_bytes_skip),
		cmocka_unit_test(test_hostile_lengths),
		cmocka_unit_test(test_seek),
		cmocka_unit_test(test_sub_cursor),
		cmocka_unit_test(test_empty_and_fail_macro),
		cmocka_unit_test(test_load_store),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
