/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of shapes: element and byte counts (negative dims refused even
 * behind a zero dim, overflow refused rather than wrapped), and the "[2, 3]"
 * form used in messages and tables, including truncation into small buffers.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "modelctl.h"
#include "testutil.h"

static void test_numel(void **state)
{
	mc_shape s;
	uint64_t n = 99;
	(void)state;

	s = tu_shape(0, NULL); /* a 0-d tensor holds one element */
	assert_int_equal(mc_shape_numel(&n, &s), 0);
	assert_int_equal(n, 1);
	s = TU_SHAPE(2, 3);
	assert_int_equal(mc_shape_numel(&n, &s), 0);
	assert_int_equal(n, 6);
	s = TU_SHAPE(7);
	assert_int_equal(mc_shape_numel(&n, &s), 0);
	assert_int_equal(n, 7);
	s = TU_SHAPE(0, 3);
	assert_int_equal(mc_shape_numel(&n, &s), 0);
	assert_int_equal(n, 0);
	s = TU_SHAPE(2, 3, 4, 5, 6);
	assert_int_equal(mc_shape_numel(&n, &s), 0);
	assert_int_equal(n, 720);
	s = TU_SHAPE(INT64_MAX);
	assert_int_equal(mc_shape_numel(&n, &s), 0);
	assert_int_equal(n, (uint64_t)INT64_MAX);
	/* a zero dim makes huge neighbours harmless: the count is 0, exactly */
	s = TU_SHAPE(0, INT64_MAX, INT64_MAX);
	assert_int_equal(mc_shape_numel(&n, &s), 0);
	assert_int_equal(n, 0);
	/* all MC_MAX_DIMS dims of size 1 */
	s = tu_shape(0, NULL);
	s.ndim = MC_MAX_DIMS;
	for (int i = 0; i < MC_MAX_DIMS; i++)
		s.dims[i] = 1;
	assert_int_equal(mc_shape_numel(&n, &s), 0);
	assert_int_equal(n, 1);
}

static void test_numel_negative(void **state)
{
	mc_shape s;
	uint64_t n = 99;
	(void)state;

	s = TU_SHAPE(-1);
	assert_int_equal(mc_shape_numel(&n, &s), MC_EINVAL);
	assert_int_equal(n, 0);
	s = TU_SHAPE(2, -3);
	assert_int_equal(mc_shape_numel(&n, &s), MC_EINVAL);
	/* a zero dim must not hide a negative one behind it, or before it */
	s = TU_SHAPE(0, -1);
	assert_int_equal(mc_shape_numel(&n, &s), MC_EINVAL);
	s = TU_SHAPE(5, 0, -1);
	assert_int_equal(mc_shape_numel(&n, &s), MC_EINVAL);
	s = TU_SHAPE(-1, 0);
	assert_int_equal(mc_shape_numel(&n, &s), MC_EINVAL);
	s = TU_SHAPE(0, INT64_MIN);
	assert_int_equal(mc_shape_numel(&n, &s), MC_EINVAL);
	/* a negative dim beside an overflowing product is still EINVAL */
	s = TU_SHAPE(INT64_MAX, INT64_MAX, -1);
	assert_int_equal(mc_shape_numel(&n, &s), MC_EINVAL);
	/* ndim out of range */
	s = tu_shape(0, NULL);
	s.ndim = -1;
	assert_int_equal(mc_shape_numel(&n, &s), MC_EINVAL);
	s.ndim = MC_MAX_DIMS + 1;
	assert_int_equal(mc_shape_numel(&n, &s), MC_EINVAL);
}

static void test_numel_overflow(void **state)
{
	static const int64_t big[][3] = {
		{INT64_C(1) << 32, INT64_C(1) << 32, 1},
		{INT64_MAX, 3, 1},
		{INT64_C(1) << 32, INT64_C(1) << 31, 3},
		{INT64_MAX, INT64_MAX, 1},
		{INT64_C(0x7fffffff), INT64_C(0x7fffffff), INT64_C(0x7fffffff)},
		{INT64_C(0xffffffff), INT64_C(0xffffffff), 2},
	};
	uint64_t n = 99;
	(void)state;

	for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		mc_shape s = tu_shape(3, big[i]);
		n = 99;
		assert_int_equal(mc_shape_numel(&n, &s), MC_ELIMIT);
		assert_int_equal(n, 0);
	}
	/* 2^63 fits in uint64: INT64_MAX+1 elements is a count, not an overflow */
	{
		mc_shape s = TU_SHAPE(INT64_C(1) << 62, 2);
		assert_int_equal(mc_shape_numel(&n, &s), 0);
		assert_int_equal(n, UINT64_C(1) << 63);
	}
}

static void test_nbytes(void **state)
{
	mc_shape s;
	uint64_t n = 99;
	(void)state;

	s = TU_SHAPE(2, 3);
	assert_int_equal(mc_tensor_nbytes(&n, MC_FLOAT32, &s), 0);
	assert_int_equal(n, 24);
	assert_int_equal(mc_tensor_nbytes(&n, MC_BOOL, &s), 0);
	assert_int_equal(n, 6);
	assert_int_equal(mc_tensor_nbytes(&n, MC_COMPLEX128, &s), 0);
	assert_int_equal(n, 96);
	assert_int_equal(mc_tensor_nbytes(&n, MC_BFLOAT16, &s), 0);
	assert_int_equal(n, 12);
	assert_int_equal(mc_tensor_nbytes(&n, MC_FLOAT8_E5M2, &s), 0);
	assert_int_equal(n, 6);
	s = tu_shape(0, NULL);
	assert_int_equal(mc_tensor_nbytes(&n, MC_COMPLEX64, &s), 0);
	assert_int_equal(n, 8);
	s = TU_SHAPE(0, 3);
	assert_int_equal(mc_tensor_nbytes(&n, MC_FLOAT64, &s), 0);
	assert_int_equal(n, 0);

	/* the element count fits, the byte count does not */
	s = TU_SHAPE(INT64_C(1) << 62);
	assert_int_equal(mc_tensor_nbytes(&n, MC_FLOAT32, &s), MC_ELIMIT);
	assert_int_equal(n, 0);
	assert_int_equal(mc_tensor_nbytes(&n, MC_UINT8, &s), 0);
	assert_int_equal(n, UINT64_C(1) << 62);
	s = TU_SHAPE(INT64_MAX);
	assert_int_equal(mc_tensor_nbytes(&n, MC_INT16, &s), 0); /* 2^64 - 2 fits */
	assert_int_equal(n, UINT64_MAX - 1);
	assert_int_equal(mc_tensor_nbytes(&n, MC_INT32, &s), MC_ELIMIT);

	/* errors of the shape pass through; a bad dtype is EINVAL */
	s = TU_SHAPE(0, -2);
	assert_int_equal(mc_tensor_nbytes(&n, MC_FLOAT32, &s), MC_EINVAL);
	s = TU_SHAPE(INT64_MAX, 4);
	assert_int_equal(mc_tensor_nbytes(&n, MC_UINT8, &s), MC_ELIMIT);
	s = TU_SHAPE(2);
	assert_int_equal(mc_tensor_nbytes(&n, MC_DTYPE_INVALID, &s), MC_EINVAL);
	assert_int_equal(mc_tensor_nbytes(&n, MC_DTYPE_COUNT, &s), MC_EINVAL);
}

static void test_format(void **state)
{
	char buf[64];
	mc_shape s;
	(void)state;

	s = TU_SHAPE(2, 3);
	assert_ptr_equal(mc_shape_format(buf, sizeof(buf), &s), buf);
	assert_string_equal(buf, "[2, 3]");
	s = tu_shape(0, NULL);
	assert_string_equal(mc_shape_format(buf, sizeof(buf), &s), "[]");
	s = TU_SHAPE(0);
	assert_string_equal(mc_shape_format(buf, sizeof(buf), &s), "[0]");
	s = TU_SHAPE(1, 0, 3);
	assert_string_equal(mc_shape_format(buf, sizeof(buf), &s), "[1, 0, 3]");
	s = TU_SHAPE(-1, INT64_MAX);
	assert_string_equal(mc_shape_format(buf, sizeof(buf), &s), "[-1, 9223372036854775807]");
}

static void test_format_truncates(void **state)
{
	char buf[64];
	char small[8];
	mc_shape s;
	(void)state;

	s = TU_SHAPE(2, 3);
	/* exactly enough room */
	assert_string_equal(mc_shape_format(small, 7, &s), "[2, 3]");
	/* one short: cut, still terminated, nothing written past the size */
	memset(small, 'x', sizeof(small));
	assert_string_equal(mc_shape_format(small, 6, &s), "[2, 3");
	assert_int_equal(small[6], 'x');
	memset(small, 'x', sizeof(small));
	assert_string_equal(mc_shape_format(small, 1, &s), "");
	assert_int_equal(small[1], 'x');
	/* size 0 writes nothing at all */
	memset(small, 'x', sizeof(small));
	assert_ptr_equal(mc_shape_format(small, 0, &s), small);
	assert_int_equal(small[0], 'x');

	/* the largest shape into a buffer far too small for it */
	s = tu_shape(0, NULL);
	s.ndim = MC_MAX_DIMS;
	for (int i = 0; i < MC_MAX_DIMS; i++)
		s.dims[i] = INT64_MAX;
	memset(buf, 'x', sizeof(buf));
	mc_shape_format(buf, 40, &s);
	assert_int_equal(strlen(buf), 39);
	assert_memory_equal(buf, "[9223372036854775807, 922337203685477580", 39);
	assert_int_equal(buf[40], 'x');
	{
		/* and into one big enough: 64 numbers of 19 digits, 63 ", ", "[]" */
		static char big[64 * 19 + 63 * 2 + 2 + 1];
		mc_shape_format(big, sizeof(big), &s);
		assert_int_equal(strlen(big), sizeof(big) - 1);
		assert_int_equal(big[sizeof(big) - 2], ']');
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numel),
		cmocka_unit_test(test_numel_negative),
		cmocka_unit_test(test_numel_overflow),
		cmocka_unit_test(test_nbytes),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_truncates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
