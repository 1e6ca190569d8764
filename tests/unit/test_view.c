/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of tensor views: streaming yields the dense little-endian
 * C-order bytes whatever the stored layout (transposed, sliced, broadcast,
 * big-endian with each complex component swapped on its own), in chunks of
 * at most MC_STREAM_CHUNK, including tensors larger than one chunk and
 * zero-size tensors; a sink's non-zero return stops the stream; the
 * contract's hash equals OpenSSL's SHA256() of the expected dense bytes,
 * also when streaming from a real mapping that drops pages as it goes;
 * mc_view_span bounds the bytes a strided view touches.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "format.h"
#include "map.h"
#include "modelctl.h"
#include "testutil.h"

/* ---- helpers -------------------------------------------------------- */

/* A sink that collects everything and records the chunk sizes. */
typedef struct {
	uint8_t *buf;
	size_t len, cap;
	size_t calls;
	size_t max_chunk;
	size_t chunks[16];
	int stop_at; /* return 7 on this call (1-based), 0 never */
} collect;

static int collect_sink(void *ctx, const uint8_t *p, size_t n)
{
	collect *c = ctx;
	if (c->calls < 16)
		c->chunks[c->calls] = n;
	c->calls++;
	if (n > c->max_chunk)
		c->max_chunk = n;
	if (c->stop_at && (int)c->calls == c->stop_at)
		return 7;
	assert_true(n > 0);
	if (c->len + n > c->cap) {
		c->cap = (c->len + n) * 2;
		c->buf = realloc(c->buf, c->cap);
		assert_non_null(c->buf);
	}
	memcpy(c->buf + c->len, p, n);
	c->len += n;
	return 0;
}

/* Stream, hash and densify a view and check all three against `expect`. */
static void check_view(const mc_view *v, const void *expect, size_t len)
{
	collect c = {0};
	uint8_t got[32], want[32];
	uint8_t *dense = NULL;
	size_t dense_len = 99;

	assert_int_equal(mc_view_stream(v, collect_sink, &c), 0);
	assert_int_equal(c.len, len);
	if (len)
		assert_memory_equal(c.buf, expect, len);
	assert_true(c.max_chunk <= MC_STREAM_CHUNK);
	assert_int_equal(c.calls, (len + MC_STREAM_CHUNK - 1) / MC_STREAM_CHUNK);
	free(c.buf);

	assert_int_equal(mc_view_sha256(got, v), 0);
	SHA256(expect, len, want);
	assert_memory_equal(got, want, 32);

	assert_int_equal(mc_view_to_dense(&dense, &dense_len, v), 0);
	assert_non_null(dense);
	assert_int_equal(dense_len, len);
	if (len)
		assert_memory_equal(dense, expect, len);
	free(dense);
}

/* ---- dense and strided ---------------------------------------------- */

static void test_dense_small(void **state)
{
	static const float data[6] = {1, 2, 3, 4, 5, 6};
	mc_shape s = TU_SHAPE(2, 3);
	mc_view v;
	(void)state;

	mc_view_init_dense(&v, MC_FLOAT32, &s, data);
	assert_int_equal(v.strides[0], 3);
	assert_int_equal(v.strides[1], 1);
	assert_false(v.swap);
	assert_null(v.owned);
	assert_true(mc_view_is_dense(&v));
	check_view(&v, data, sizeof(data));
	{
		/* a 0-d tensor is one element */
		mc_shape s0 = TU_SHAPE();
		static const double pi = 3.14159;
		mc_view_init_dense(&v, MC_FLOAT64, &s0, &pi);
		assert_true(mc_view_is_dense(&v));
		check_view(&v, &pi, sizeof(pi));
	}
}

static void test_transposed(void **state)
{
	int32_t base[3][4], expect[4][3];
	mc_shape s = TU_SHAPE(4, 3);
	mc_view v;
	uint64_t span;
	(void)state;

	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 4; j++)
			base[i][j] = i * 4 + j - 5;
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 3; j++)
			expect[i][j] = base[j][i];
	/* the transpose of a 3x4 C-order array: shape [4, 3], strides [1, 4] */
	mc_view_init_dense(&v, MC_INT32, &s, base);
	v.strides[0] = 1;
	v.strides[1] = 4;
	assert_false(mc_view_is_dense(&v));
	check_view(&v, expect, sizeof(expect));
	assert_int_equal(mc_view_span(&span, &v), 0);
	assert_int_equal(span, sizeof(base));
}

static void test_sliced_and_broadcast(void **state)
{
	int16_t base[20], expect[12];
	mc_view v;
	mc_shape s;
	uint64_t span;
	(void)state;

	for (int i = 0; i < 20; i++)
		base[i] = (int16_t)(1000 * i - 7);
	/* every third element: [0, 3, ..., 15] */
	s = TU_SHAPE(6);
	mc_view_init_dense(&v, MC_INT16, &s, base);
	v.strides[0] = 3;
	for (int i = 0; i < 6; i++)
		expect[i] = base[3 * i];
	check_view(&v, expect, 6 * sizeof(int16_t));
	assert_int_equal(mc_view_span(&span, &v), 0);
	assert_int_equal(span, (5 * 3 + 1) * sizeof(int16_t));

	/* a row broadcast three times (stride 0, as torch's expand stores it) */
	s = TU_SHAPE(3, 4);
	mc_view_init_dense(&v, MC_INT16, &s, base + 2);
	v.strides[0] = 0;
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 4; j++)
			expect[i * 4 + j] = base[2 + j];
	assert_false(mc_view_is_dense(&v));
	check_view(&v, expect, 12 * sizeof(int16_t));
	assert_int_equal(mc_view_span(&span, &v), 0);
	assert_int_equal(span, 4 * sizeof(int16_t));

	/* a storage offset plus strides in both dims: base viewed as 4x5,
	 * rows 1..2, columns 1, 3 */
	s = TU_SHAPE(2, 2);
	mc_view_init_dense(&v, MC_INT16, &s, base + 5 + 1);
	v.strides[0] = 5;
	v.strides[1] = 2;
	{
		int16_t e[4] = {base[6], base[8], base[11], base[13]};
		check_view(&v, e, sizeof(e));
	}
	assert_int_equal(mc_view_span(&span, &v), 0);
	assert_int_equal(span, (5 + 2 + 1) * sizeof(int16_t));
}

static void test_dims_of_one_any_stride(void **state)
{
	static const uint8_t data[4] = {9, 8, 7, 6};
	mc_shape s = TU_SHAPE(1, 4, 1);
	mc_view v;
	(void)state;

	/* a dim of size 1 may carry any stride: still dense */
	mc_view_init_dense(&v, MC_UINT8, &s, data);
	v.strides[0] = 12345;
	v.strides[2] = -3;
	assert_true(mc_view_is_dense(&v));
	check_view(&v, data, 4);
	/* but a size-4 dim with stride 2 is not */
	v.strides[1] = 2;
	assert_false(mc_view_is_dense(&v));
}

/* ---- big-endian ----------------------------------------------------- */

static void test_big_endian(void **state)
{
	mc_view v;
	mc_shape s;
	(void)state;

	{
		/* int16: 0x0102, -2, 0x7ffe stored big-endian */
		static const uint8_t be[6] = {0x01, 0x02, 0xff, 0xfe, 0x7f, 0xfe};
		static const uint8_t le[6] = {0x02, 0x01, 0xfe, 0xff, 0xfe, 0x7f};
		s = TU_SHAPE(3);
		mc_view_init_dense(&v, MC_INT16, &s, be);
		v.swap = true;
		assert_false(mc_view_is_dense(&v));
		check_view(&v, le, sizeof(le));
	}
	{
		/* float32 1.0 and -2.5 */
		static const uint8_t be[8] = {0x3f, 0x80, 0x00, 0x00, 0xc0, 0x20, 0x00, 0x00};
		const float le[2] = {1.0f, -2.5f};
		s = TU_SHAPE(2, 1);
		mc_view_init_dense(&v, MC_FLOAT32, &s, be);
		v.swap = true;
		check_view(&v, le, sizeof(le));
	}
	{
		/* complex64 (1.0 + -2.5j), (0.5 + 2j): each 4-byte component is
		 * swapped on its own, the real part stays first */
		static const uint8_t be[16] = {0x3f, 0x80, 0x00, 0x00, 0xc0, 0x20, 0x00, 0x00,
		                               0x3f, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00};
		const float le[4] = {1.0f, -2.5f, 0.5f, 2.0f};
		s = TU_SHAPE(2);
		mc_view_init_dense(&v, MC_COMPLEX64, &s, be);
		v.swap = true;
		check_view(&v, le, sizeof(le));
	}
	{
		/* complex128 (1.0 - 2.0j): 8-byte components */
		static const uint8_t be[16] = {0x3f, 0xf0, 0, 0, 0, 0, 0, 0, 0xc0, 0x00, 0, 0, 0, 0, 0, 0};
		const double le[2] = {1.0, -2.0};
		s = TU_SHAPE();
		mc_view_init_dense(&v, MC_COMPLEX128, &s, be);
		v.swap = true;
		check_view(&v, le, sizeof(le));
	}
	{
		/* one-byte types have nothing to swap */
		static const uint8_t raw[3] = {0x01, 0x80, 0xff};
		s = TU_SHAPE(3);
		mc_view_init_dense(&v, MC_FLOAT8_E4M3FN, &s, raw);
		v.swap = true;
		check_view(&v, raw, sizeof(raw));
	}
	{
		/* big-endian and Fortran order at once: int32 2x3, column-major */
		static const uint8_t be[24] = {0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 2,
		                               0, 0, 0, 5, 0, 0, 0, 3, 0, 0, 0, 6};
		const int32_t le[6] = {1, 2, 3, 4, 5, 6};
		s = TU_SHAPE(2, 3);
		mc_view_init_dense(&v, MC_INT32, &s, be);
		v.strides[0] = 1;
		v.strides[1] = 2;
		v.swap = true;
		check_view(&v, le, sizeof(le));
	}
}

/* ---- zero-size ------------------------------------------------------ */

static void test_zero_size(void **state)
{
	static const uint8_t empty_sha[32] = {
		0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
		0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};
	uint8_t got[32];
	mc_shape s = TU_SHAPE(0, 3);
	mc_view v;
	collect c = {0};
	uint64_t span = 99;
	(void)state;

	/* no data at all: nothing may be read through the NULL pointer */
	mc_view_init_dense(&v, MC_FLOAT32, &s, NULL);
	assert_true(mc_view_is_dense(&v));
	assert_int_equal(mc_view_stream(&v, collect_sink, &c), 0);
	assert_int_equal(c.calls, 0);
	assert_int_equal(mc_view_sha256(got, &v), 0);
	assert_memory_equal(got, empty_sha, 32);
	check_view(&v, "", 0);
	assert_int_equal(mc_view_span(&span, &v), 0);
	assert_int_equal(span, 0);
	/* strided and swapped, still nothing */
	s = TU_SHAPE(3, 0, 2);
	mc_view_init_dense(&v, MC_COMPLEX128, &s, NULL);
	v.strides[0] = 7;
	v.swap = true;
	check_view(&v, "", 0);
	assert_int_equal(mc_view_span(&span, &v), 0);
	assert_int_equal(span, 0);
}

/* ---- larger than one chunk ------------------------------------------ */

#define BIG_ROWS 1280
#define BIG_COLS 1024 /* 1280 x 1024 float32 = 5 MiB */

static float *big_data(void)
{
	float *p = malloc(sizeof(float) * BIG_ROWS * BIG_COLS);
	assert_non_null(p);
	for (size_t i = 0; i < (size_t)BIG_ROWS * BIG_COLS; i++)
		p[i] = (float)i * 0.5f - 1000.0f;
	return p;
}

static void test_large_dense(void **state)
{
	float *data = big_data();
	mc_shape s = TU_SHAPE(BIG_ROWS, BIG_COLS);
	size_t len = sizeof(float) * BIG_ROWS * BIG_COLS;
	collect c = {0};
	mc_view v;
	(void)state;

	assert_true(len > MC_STREAM_CHUNK);
	mc_view_init_dense(&v, MC_FLOAT32, &s, data);
	check_view(&v, data, len);
	assert_int_equal(mc_view_stream(&v, collect_sink, &c), 0);
	assert_int_equal(c.calls, 2);
	assert_int_equal(c.chunks[0], MC_STREAM_CHUNK);
	assert_int_equal(c.chunks[1], len - MC_STREAM_CHUNK);
	free(c.buf);
	free(data);
}

static void test_large_strided(void **state)
{
	float *data = big_data();
	float *expect = malloc(sizeof(float) * BIG_ROWS * BIG_COLS);
	mc_shape s = TU_SHAPE(BIG_COLS, BIG_ROWS);
	size_t len = sizeof(float) * BIG_ROWS * BIG_COLS;
	collect c = {0};
	mc_view v;
	uint64_t span;
	(void)state;

	assert_non_null(expect);
	for (size_t i = 0; i < BIG_COLS; i++)
		for (size_t j = 0; j < BIG_ROWS; j++)
			expect[i * BIG_ROWS + j] = data[j * BIG_COLS + i];
	mc_view_init_dense(&v, MC_FLOAT32, &s, data);
	v.strides[0] = 1;
	v.strides[1] = BIG_COLS;
	check_view(&v, expect, len);
	assert_int_equal(mc_view_stream(&v, collect_sink, &c), 0);
	assert_int_equal(c.calls, 2);
	assert_int_equal(c.chunks[0], MC_STREAM_CHUNK);
	assert_int_equal(c.chunks[1], len - MC_STREAM_CHUNK);
	free(c.buf);
	assert_int_equal(mc_view_span(&span, &v), 0);
	assert_int_equal(span, len);

	/* the same data as big-endian complex64: swapped per 4-byte
	 * component, gathered in chunks that never split an element */
	{
		mc_shape s2 = TU_SHAPE(BIG_ROWS * BIG_COLS / 2);
		uint8_t *be = malloc(len), *le = malloc(len);
		assert_non_null(be);
		assert_non_null(le);
		memcpy(le, data, len);
		for (size_t i = 0; i < len; i += 4)
			for (size_t k = 0; k < 4; k++)
				be[i + k] = le[i + 3 - k];
		mc_view_init_dense(&v, MC_COMPLEX64, &s2, be);
		v.swap = true;
		check_view(&v, le, len);
		free(be);
		free(le);
	}
	free(expect);
	free(data);
}

static void test_stream_from_mapping(void **state)
{
	char path[] = "/tmp/mc_test_view_XXXXXX";
	float *data = big_data();
	size_t len = sizeof(float) * BIG_ROWS * BIG_COLS;
	mc_shape s = TU_SHAPE(BIG_ROWS, BIG_COLS);
	mc_map *map = NULL;
	uint8_t want[32], got[32];
	mc_view v;
	int fd;
	(void)state;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
	assert_int_equal(mc_map_open(&map, path), 0);
	assert_int_equal(map->len, len);
	SHA256((const uint8_t *)data, len, want);
	/* dense streaming advises the kernel to drop pages it has hashed:
	 * the mapping must still read the same on a second pass */
	mc_view_init_dense(&v, MC_FLOAT32, &s, map->data);
	v.map = map;
	for (int pass = 0; pass < 2; pass++) {
		assert_int_equal(mc_view_sha256(got, &v), 0);
		assert_memory_equal(got, want, 32);
	}
	assert_memory_equal(map->data, data, len);
	/* a view starting mid-page, not page-aligned in length */
	{
		mc_shape s2 = TU_SHAPE(1000001);
		mc_view_init_dense(&v, MC_UINT8, &s2, map->data + 12345);
		v.map = map;
		check_view(&v, (const uint8_t *)data + 12345, 1000001);
		check_view(&v, (const uint8_t *)data + 12345, 1000001);
	}
	mc_map_close(map);
	unlink(path);
	free(data);
}

/* ---- sinks that stop, errors ---------------------------------------- */

static void test_sink_stops(void **state)
{
	float *data = big_data();
	mc_shape s = TU_SHAPE(BIG_ROWS, BIG_COLS);
	mc_view v;
	(void)state;

	for (int strided = 0; strided < 2; strided++) {
		for (int stop = 1; stop <= 2; stop++) {
			collect c = {0};
			c.stop_at = stop;
			mc_view_init_dense(&v, MC_FLOAT32, &s, data);
			if (strided) {
				v.shape = TU_SHAPE(BIG_COLS, BIG_ROWS);
				v.strides[0] = 1;
				v.strides[1] = BIG_COLS;
			}
			assert_int_equal(mc_view_stream(&v, collect_sink, &c), 7);
			assert_int_equal(c.calls, stop);
			free(c.buf);
		}
	}
	free(data);
}

static void test_invalid_views(void **state)
{
	static const uint8_t data[8];
	uint8_t sha[32];
	uint8_t *dense = (uint8_t *)1;
	size_t len = 99;
	mc_shape s = TU_SHAPE(2);
	mc_view v;
	collect c = {0};
	(void)state;

	mc_view_init_dense(&v, MC_DTYPE_INVALID, &s, data);
	mc_error_clear();
	assert_int_equal(mc_view_stream(&v, collect_sink, &c), MC_EINVAL);
	assert_int_equal(mc_error_last()->code, MC_EINVAL);
	assert_int_equal(mc_view_sha256(sha, &v), MC_EINVAL);
	assert_int_equal(c.calls, 0);

	s = TU_SHAPE(2, -1);
	mc_view_init_dense(&v, MC_FLOAT32, &s, data);
	assert_true(mc_view_stream(&v, collect_sink, &c) < 0);
	assert_true(mc_view_to_dense(&dense, &len, &v) < 0);
	assert_null(dense);
	assert_int_equal(len, 0);
	s = TU_SHAPE(INT64_MAX, 4);
	mc_view_init_dense(&v, MC_FLOAT32, &s, data);
	assert_int_equal(mc_view_stream(&v, collect_sink, &c), MC_ELIMIT);
	assert_int_equal(c.calls, 0);
	/* asking whether a hostile shape is dense must not overflow (UBSan) */
	s = TU_SHAPE(INT64_MAX, 4, 3);
	mc_view_init_dense(&v, MC_FLOAT32, &s, data);
	(void)mc_view_is_dense(&v);
	s = TU_SHAPE(INT64_C(1) << 40, INT64_C(1) << 40, 2);
	mc_view_init_dense(&v, MC_FLOAT32, &s, data);
	v.strides[0] = 7;
	assert_false(mc_view_is_dense(&v));
	assert_int_equal(mc_view_stream(&v, collect_sink, &c), MC_ELIMIT);
}

/* ---- span ----------------------------------------------------------- */

static void test_span(void **state)
{
	mc_view v;
	mc_shape s;
	uint64_t span = 99;
	(void)state;

	s = TU_SHAPE(2, 3);
	mc_view_init_dense(&v, MC_FLOAT64, &s, NULL);
	assert_int_equal(mc_view_span(&span, &v), 0);
	assert_int_equal(span, 48);
	/* swapped but C-ordered: the same bytes */
	v.swap = true;
	assert_int_equal(mc_view_span(&span, &v), 0);
	assert_int_equal(span, 48);
	v.swap = false;
	/* row stride padded to 5: the last row ends at 5 + 3 elements */
	v.strides[0] = 5;
	assert_int_equal(mc_view_span(&span, &v), 0);
	assert_int_equal(span, 8 * 8);
	/* a negative stride is refused */
	v.strides[1] = -1;
	assert_int_equal(mc_view_span(&span, &v), MC_EINVAL);
	/* strides that overflow are refused */
	s = TU_SHAPE(INT64_C(1) << 32, 2);
	mc_view_init_dense(&v, MC_UINT8, &s, NULL);
	v.strides[0] = INT64_C(1) << 40;
	assert_int_equal(mc_view_span(&span, &v), MC_ELIMIT);
	s = TU_SHAPE(3, 2);
	mc_view_init_dense(&v, MC_COMPLEX128, &s, NULL);
	v.strides[0] = INT64_MAX;
	assert_int_equal(mc_view_span(&span, &v), MC_ELIMIT);
	s = TU_SHAPE(2);
	mc_view_init_dense(&v, MC_COMPLEX128, &s, NULL);
	v.strides[0] = INT64_C(1) << 60; /* element count fits, bytes do not */
	assert_int_equal(mc_view_span(&span, &v), MC_ELIMIT);
	/* shape errors */
	s = TU_SHAPE(INT64_MAX, INT64_MAX);
	mc_view_init_dense(&v, MC_UINT8, &s, NULL);
	assert_int_equal(mc_view_span(&span, &v), MC_ELIMIT);
	mc_view_init_dense(&v, MC_DTYPE_INVALID, &s, NULL);
	assert_int_equal(mc_view_span(&span, &v), MC_EINVAL);
	/* 0-d: one element */
	s = TU_SHAPE();
	mc_view_init_dense(&v, MC_INT64, &s, NULL);
	assert_int_equal(mc_view_span(&span, &v), 0);
	assert_int_equal(span, 8);
}

static void test_release(void **state)
{
	mc_shape s = TU_SHAPE(4);
	mc_view v;
	uint8_t *owned = malloc(4);
	(void)state;

	assert_non_null(owned);
	memcpy(owned, "\x01\x02\x03\x04", 4);
	mc_view_init_dense(&v, MC_UINT8, &s, owned);
	v.owned = owned;
	check_view(&v, "\x01\x02\x03\x04", 4);
	mc_view_release(&v); /* frees `owned`: ASan reports a leak otherwise */
	assert_null(v.owned);
	assert_null(v.data);
	mc_view_release(&v); /* twice is harmless */
	mc_view_release(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dense_small),
		cmocka_unit_test(test_transposed),
		cmocka_unit_test(test_sliced_and_broadcast),
		cmocka_unit_test(test_dims_of_one_any_stride),
		cmocka_unit_test(test_big_endian),
		cmocka_unit_test(test_zero_size),
		cmocka_unit_test(test_large_dense),
		cmocka_unit_test(test_large_strided),
		cmocka_unit_test(test_stream_from_mapping),
		cmocka_unit_test(test_sink_stops),
		cmocka_unit_test(test_invalid_views),
		cmocka_unit_test(test_span),
		cmocka_unit_test(test_release),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
