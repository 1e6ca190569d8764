/* SPDX-License-Identifier: MIT */
/*
 * Tests of the npy reader (formats/npy.c): every dtype, the three format
 * versions, Fortran order and big-endian data (checked through the dense
 * bytes), 0-d and empty arrays, the header grammar writers produce, tables
 * of hostile headers and lengths, and the files of testdata/bad/npy/.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cursor.h"
#include "error.h"
#include "format.h"
#include "npy.h"
#include "testutil.h"
#include "banned.h"

/* An npy file: magic, version, length, `dict` padded as numpy pads it
 * (spaces, then a newline, data at a multiple of 64), then `data`. */
static uint8_t *mk_npy(size_t *len, int major, const char *dict, const void *data, size_t dlen)
{
	size_t prefix = major == 1 ? 10 : 12, n = strlen(dict);
	size_t hlen = n + 1, pad = 64 - (prefix + hlen) % 64, total = prefix + hlen + pad + dlen;
	uint8_t *p = malloc(total ? total : 1);

	assert_non_null(p);
	memcpy(p, "\x93NUMPY", 6);
	p[6] = (uint8_t)major;
	p[7] = 0;
	if (major == 1)
		mc_store_u16le(p + 8, (uint16_t)(hlen + pad));
	else
		mc_store_u32le(p + 8, (uint32_t)(hlen + pad));
	memcpy(p + prefix, dict, n);
	memset(p + prefix + n, ' ', pad);
	p[prefix + n + pad] = '\n';
	if (dlen)
		memcpy(p + prefix + hlen + pad, data, dlen);
	*len = total;
	return p;
}

static void dict_for(char *out, size_t size, const char *descr, bool fortran, const char *shape)
{
	snprintf(out, size, "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", descr,
	         fortran ? "True" : "False", shape);
}

static int open_npy(mc_reader **r, const uint8_t *p, size_t n)
{
	return mc_reader_open_memory(r, p, n, "x.npy", "npy");
}

/* Open, read tensor 0 and return its dense little-endian C-order bytes. */
static uint8_t *dense_of(const uint8_t *p, size_t n, size_t *out_len, mc_reader **keep)
{
	mc_reader *r;
	mc_view v;
	uint8_t *d;

	if (open_npy(&r, p, n) != 0)
		fail_msg("open: %s", mc_error_last()->msg);
	assert_int_equal(mc_reader_count(r), 1);
	assert_int_equal(mc_reader_read(r, 0, &v), 0);
	assert_int_equal(mc_view_to_dense(&d, out_len, &v), 0);
	mc_view_release(&v);
	if (keep)
		*keep = r;
	else
		mc_reader_close(r);
	return d;
}

/* ---- dtypes ------------------------------------------------------------ */

static const struct {
	const char *descr;
	mc_dtype dtype;
	size_t swap_unit; /* 0 when not swapped */
} dtypes[] = {
	{"|b1", MC_BOOL, 0},       {"|?", MC_BOOL, 0},        {"?", MC_BOOL, 0},
	{"<b1", MC_BOOL, 0},       {"|i1", MC_INT8, 0},       {">i1", MC_INT8, 0},
	{"|u1", MC_UINT8, 0},      {"<i2", MC_INT16, 0},      {">i2", MC_INT16, 2},
	{"<u2", MC_UINT16, 0},     {">u2", MC_UINT16, 2},     {"<i4", MC_INT32, 0},
	{">i4", MC_INT32, 4},      {"=i4", MC_INT32, 0},      {"|i4", MC_INT32, 0},
	{"i4", MC_INT32, 0},       {"<u4", MC_UINT32, 0},     {">u4", MC_UINT32, 4},
	{"<i8", MC_INT64, 0},      {">i8", MC_INT64, 8},      {"<u8", MC_UINT64, 0},
	{">u8", MC_UINT64, 8},     {"<f2", MC_FLOAT16, 0},    {">f2", MC_FLOAT16, 2},
	{"<f4", MC_FLOAT32, 0},    {">f4", MC_FLOAT32, 4},    {"<f8", MC_FLOAT64, 0},
	{">f8", MC_FLOAT64, 8},    {"<c8", MC_COMPLEX64, 0},  {">c8", MC_COMPLEX64, 4},
	{"<c16", MC_COMPLEX128, 0}, {">c16", MC_COMPLEX128, 8},
};

static void test_every_dtype(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(dtypes) / sizeof(dtypes[0]); i++) {
		size_t es = mc_dtype_size(dtypes[i].dtype), n = 6 * es, len, dlen;
		uint8_t data[6 * 16], want[6 * 16], *file, *d;
		char dict[128];
		mc_reader *r;
		const mc_tensor_info *t;
		mc_view v;

		for (size_t k = 0; k < n; k++)
			data[k] = (uint8_t)(dtypes[i].dtype == MC_BOOL ? k % 2 : k * 3 + 1);
		memcpy(want, data, n);
		if (dtypes[i].swap_unit)
			for (size_t k = 0; k < n; k += dtypes[i].swap_unit)
				for (size_t j = 0; j < dtypes[i].swap_unit; j++)
					want[k + j] = data[k + dtypes[i].swap_unit - 1 - j];
		dict_for(dict, sizeof(dict), dtypes[i].descr, false, "(2, 3)");
		file = mk_npy(&len, 1, dict, data, n);
		d = dense_of(file, len, &dlen, &r);
		t = mc_reader_tensor(r, 0);
		assert_string_equal(t->name, "x");
		assert_int_equal(t->dtype, dtypes[i].dtype);
		assert_int_equal(t->shape.ndim, 2);
		assert_int_equal(t->shape.dims[0], 2);
		assert_int_equal(t->shape.dims[1], 3);
		assert_int_equal(t->nbytes, n);
		assert_int_equal(dlen, n);
		if (memcmp(d, want, n) != 0)
			fail_msg("descr %s: dense bytes differ", dtypes[i].descr);
		/* zero-copy: the view points into the mapping */
		assert_int_equal(mc_reader_read(r, 0, &v), 0);
		assert_ptr_equal(v.data, file + len - n);
		assert_null(v.owned);
		assert_int_equal(v.swap, dtypes[i].swap_unit != 0);
		mc_view_release(&v);
		mc_reader_close(r);
		free(d);
		free(file);
	}
}

static void test_versions(void **state)
{
	static const float data[3] = {1.5f, -2.0f, 3.25f};
	char dict[128];

	(void)state;
	dict_for(dict, sizeof(dict), "<f4", false, "(3,)");
	for (int major = 1; major <= 3; major++) {
		size_t len, dlen;
		uint8_t *file = mk_npy(&len, major, dict, data, sizeof(data));
		uint8_t *d = dense_of(file, len, &dlen, NULL);
		assert_int_equal(dlen, sizeof(data));
		assert_memory_equal(d, data, sizeof(data));
		free(d);
		free(file);
	}
}

/* Column-major data gives the same dense C-order bytes (and hash). */
static void test_fortran_order(void **state)
{
	static const float cm[6] = {1, 4, 2, 5, 3, 6}; /* [[1,2,3],[4,5,6]] by columns */
	static const float rm[6] = {1, 2, 3, 4, 5, 6};
	int32_t cube[24], want[24];
	char dict[128];
	size_t len, dlen;
	uint8_t *file, *d;

	(void)state;
	dict_for(dict, sizeof(dict), "<f4", true, "(2, 3)");
	file = mk_npy(&len, 1, dict, cm, sizeof(cm));
	d = dense_of(file, len, &dlen, NULL);
	assert_memory_equal(d, rm, sizeof(rm));
	free(d);
	free(file);

	/* (2, 3, 4), Fortran order and big-endian together */
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < 3; j++)
			for (int k = 0; k < 4; k++) {
				int32_t v = 100 * i + 10 * j + k;
				uint8_t *be = (uint8_t *)&cube[i + 2 * j + 6 * k];
				be[0] = (uint8_t)(v >> 24);
				be[1] = (uint8_t)(v >> 16);
				be[2] = (uint8_t)(v >> 8);
				be[3] = (uint8_t)v;
				want[12 * i + 4 * j + k] = v;
			}
	dict_for(dict, sizeof(dict), ">i4", true, "(2, 3, 4)");
	file = mk_npy(&len, 1, dict, cube, sizeof(cube));
	d = dense_of(file, len, &dlen, NULL);
	assert_int_equal(dlen, sizeof(want));
	assert_memory_equal(d, want, sizeof(want));
	free(d);
	free(file);

	/* 1-d Fortran is the same as C */
	dict_for(dict, sizeof(dict), "<f4", true, "(6,)");
	file = mk_npy(&len, 1, dict, rm, sizeof(rm));
	d = dense_of(file, len, &dlen, NULL);
	assert_memory_equal(d, rm, sizeof(rm));
	free(d);
	free(file);
}

static void test_big_endian_values(void **state)
{
	static const uint8_t be_f8[16] = {0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0};
	static const uint8_t be_c8[8] = {0x3f, 0x80, 0, 0, 0xbf, 0x80, 0, 0};
	double f[2];
	float c[2];
	char dict[128];
	size_t len, dlen;
	uint8_t *file, *d;

	(void)state;
	dict_for(dict, sizeof(dict), ">f8", false, "(2,)");
	file = mk_npy(&len, 1, dict, be_f8, sizeof(be_f8));
	d = dense_of(file, len, &dlen, NULL);
	memcpy(f, d, sizeof(f));
	assert_true(f[0] == 1.5 && f[1] == -2.0);
	free(d);
	free(file);

	dict_for(dict, sizeof(dict), ">c8", false, "()");
	file = mk_npy(&len, 1, dict, be_c8, sizeof(be_c8));
	d = dense_of(file, len, &dlen, NULL);
	memcpy(c, d, sizeof(c));
	assert_true(c[0] == 1.0f && c[1] == -1.0f);
	free(d);
	free(file);
}

static void test_zero_d_and_empty(void **state)
{
	static const uint8_t e3b0[32] = {
		0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
		0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};
	static const char *empty_shapes[] = {"(0,)", "(0, 3)", "(3, 0)", "(2, 0, 5)"};
	double x = 3.25;
	char dict[128];
	size_t len, dlen;
	uint8_t *file, *d, h[32];
	mc_reader *r;
	mc_view v;

	(void)state;
	dict_for(dict, sizeof(dict), "<f8", false, "()");
	file = mk_npy(&len, 1, dict, &x, 8);
	d = dense_of(file, len, &dlen, &r);
	assert_int_equal(mc_reader_tensor(r, 0)->shape.ndim, 0);
	assert_int_equal(mc_reader_tensor(r, 0)->nbytes, 8);
	assert_int_equal(dlen, 8);
	assert_memory_equal(d, &x, 8);
	mc_reader_close(r);
	free(d);
	free(file);

	for (size_t i = 0; i < 4; i++) {
		for (int fortran = 0; fortran < 2; fortran++) {
			dict_for(dict, sizeof(dict), ">i8", fortran, empty_shapes[i]);
			file = mk_npy(&len, 1, dict, NULL, 0);
			assert_int_equal(open_npy(&r, file, len), 0);
			assert_int_equal(mc_reader_tensor(r, 0)->nbytes, 0);
			assert_int_equal(mc_reader_read(r, 0, &v), 0);
			assert_int_equal(mc_view_sha256(h, &v), 0);
			assert_memory_equal(h, e3b0, 32);
			mc_view_release(&v);
			mc_reader_close(r);
			free(file);
		}
	}
}

/* What numpy, Python 2 numpy and other writers put in headers. */
static void test_header_grammar(void **state)
{
	static const struct {
		const char *dict;
		int ndim;
		int64_t d0;
	} ok[] = {
		{"{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", 1, 6},
		{"{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (6,)}", 1, 6},
		{"{'shape': (2, 3), 'fortran_order': False, 'descr': '<f4'}", 2, 2},
		{"{'fortran_order':False,'shape':(2,3,),'descr':'<f4',}", 2, 2},
		{"{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L), }", 2, 2},
		{"  {\t'descr' : '<f4' ,\n 'fortran_order' : False , 'shape' : ( 6 , ) , }  ", 1, 6},
		{"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 2, 1, 3), }", 5, 1},
		{"{'descr': '<f4', 'fortran_order': False, 'shape': (6,)}", 1, 6},
	};
	static const float data[6] = {1, 2, 3, 4, 5, 6};

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		size_t len;
		uint8_t *file = mk_npy(&len, 1, ok[i].dict, data, sizeof(data));
		mc_reader *r;
		if (open_npy(&r, file, len) != 0)
			fail_msg("%s: %s", ok[i].dict, mc_error_last()->msg);
		assert_int_equal(mc_reader_tensor(r, 0)->shape.ndim, ok[i].ndim);
		assert_int_equal(mc_reader_tensor(r, 0)->shape.dims[0], ok[i].d0);
		mc_reader_close(r);
		free(file);
	}
}

static void test_names_and_sniff(void **state)
{
	static const struct {
		const char *path, *name;
	} names[] = {
		{"x.npy", "x"}, {"dir/sub/weights.npy", "weights"}, {"a.b.npy", "a.b"},
		{"noext", "noext"}, {"dir/.npy", ".npy"}, {"layer.0.bias.npy", "layer.0.bias"},
	};
	char dict[128];
	size_t len;
	uint8_t *file;
	mc_reader *r;

	(void)state;
	dict_for(dict, sizeof(dict), "|u1", false, "(2,)");
	file = mk_npy(&len, 1, dict, "ab", 2);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(mc_reader_open_memory(&r, file, len, names[i].path, NULL), 0);
		assert_string_equal(mc_reader_format(r), "npy");
		assert_string_equal(mc_reader_tensor(r, 0)->name, names[i].name);
		assert_null(mc_reader_values(r));
		mc_reader_close(r);
	}
	free(file);
}

/* Every proper prefix of a file is refused. */
static void test_truncations(void **state)
{
	static const float data[6] = {1, 2, 3, 4, 5, 6};
	char dict[128];
	size_t len;
	uint8_t *file;

	(void)state;
	dict_for(dict, sizeof(dict), "<f4", false, "(2, 3)");
	file = mk_npy(&len, 2, dict, data, sizeof(data));
	for (size_t n = 0; n < len; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		mc_reader *r;
		memcpy(copy, file, n);
		assert_int_equal(open_npy(&r, copy, n), MC_ECORRUPT);
		assert_null(r);
		free(copy);
	}
	free(file);
}

/* ---- hostile headers ---------------------------------------------------------- */

static const struct {
	const char *dict;
	int code;
	const char *fragment;
} hostile[] = {
	{"{'descr': '|O', 'fortran_order': False, 'shape': (6,), }", MC_EUNSAFE, "needs pickle"},
	{"{'descr': 'O', 'fortran_order': False, 'shape': (6,), }", MC_EUNSAFE, "needs pickle"},
	{"{'descr': '|O8', 'fortran_order': False, 'shape': (6,), }", MC_EUNSAFE, "needs pickle"},
	{"{'descr': [('a', '<i4'), ('b', [('c', '|O')])], 'fortran_order': False, 'shape': (6,), }",
	 MC_EUNSAFE, "needs pickle"},
	{"{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (6,), }", MC_EUNSUPPORTED,
	 "structured dtype [('a', '<i4')] is not supported"},
	{"{'descr': '<U1', 'fortran_order': False, 'shape': (6,), }", MC_EUNSUPPORTED,
	 "unsupported dtype '<U1'"},
	{"{'descr': '|S1', 'fortran_order': False, 'shape': (6,), }", MC_EUNSUPPORTED, "'|S1'"},
	{"{'descr': '|V4', 'fortran_order': False, 'shape': (6,), }", MC_EUNSUPPORTED, "'|V4'"},
	{"{'descr': '<M8[s]', 'fortran_order': False, 'shape': (6,), }", MC_EUNSUPPORTED, "'<M8[s]'"},
	{"{'descr': '<m8[s]', 'fortran_order': False, 'shape': (6,), }", MC_EUNSUPPORTED, "'<m8[s]'"},
	{"{'descr': '<f16', 'fortran_order': False, 'shape': (6,), }", MC_EUNSUPPORTED, "'<f16'"},
	{"{'descr': '<g', 'fortran_order': False, 'shape': (6,), }", MC_EUNSUPPORTED, "'<g'"},
	{"{'descr': '<c32', 'fortran_order': False, 'shape': (6,), }", MC_EUNSUPPORTED, "'<c32'"},
	{"{'descr': '<bf16', 'fortran_order': False, 'shape': (6,), }", MC_EUNSUPPORTED, "'<bf16'"},
	{"{'descr': 'float32', 'fortran_order': False, 'shape': (6,), }", MC_EUNSUPPORTED, "'float32'"},
	{"{'descr': '', 'fortran_order': False, 'shape': (6,), }", MC_EUNSUPPORTED, "dtype ''"},
	{"{'descr': 5, 'fortran_order': False, 'shape': (6,), }", MC_ECORRUPT, "must be a quoted string"},
	{"{'descr': '<f4', 'fortran_order': false, 'shape': (6,), }", MC_ECORRUPT, "True or False"},
	{"{'descr': '<f4', 'fortran_order': 1, 'shape': (6,), }", MC_ECORRUPT, "True or False"},
	{"{'descr': '<f4', 'fortran_order': False, 'shape': (-6,), }", MC_ECORRUPT, "negative dimension -6"},
	{"{'descr': '<f4', 'fortran_order': False, 'shape': (6, -0), }", MC_ECORRUPT, "extra bytes"},
	{"{'descr': '<f4', 'fortran_order': False, 'shape': (06,), }", MC_ECORRUPT, "leading zero"},
	{"{'descr': '<f4', 'fortran_order': False, 'shape': (6.0,), }", MC_ECORRUPT, "expected ')'"},
	{"{'descr': '<f4', 'fortran_order': False, 'shape': (6), }", MC_ECORRUPT, "is an int, not a tuple"},
	{"{'descr': '<f4', 'fortran_order': False, 'shape': 6, }", MC_ECORRUPT, "must be a tuple"},
	{"{'descr': '<f4', 'fortran_order': False, 'shape': (,), }", MC_ECORRUPT, "tuple of ints"},
	{"{'descr': '<f4', 'fortran_order': False, 'shape': (6,,), }", MC_ECORRUPT, "tuple of ints"},
	{"{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'x': 1}", MC_ECORRUPT, "unexpected key 'x'"},
	{"{'descr': '<f4', 'fortran_order': False}", MC_ECORRUPT, "missing key 'shape'"},
	{"{'fortran_order': False, 'shape': (6,)}", MC_ECORRUPT, "missing key 'descr'"},
	{"{}", MC_ECORRUPT, "missing key 'descr'"},
	{"{'shape': (6,), 'shape': (6,), 'descr': '<f4', 'fortran_order': False}", MC_ECORRUPT,
	 "duplicate key 'shape'"},
	{"{'descr': '<f4' 'fortran_order': False, 'shape': (6,)}", MC_ECORRUPT, "expected '}' or ','"},
	{"{'descr': '<f4', 'fortran_order': False, 'shape': (6,)} ; import os", MC_ECORRUPT,
	 "unexpected text after the dict"},
	{"{'descr': '<f4', 'fortran_order': False, 'shape': (6,)}}", MC_ECORRUPT,
	 "unexpected text after the dict"},
	{"['descr', '<f4']", MC_ECORRUPT, "expected '{'"},
	{"{'descr': '<f4', 'fortran_order': False, 'shape': (6,)", MC_ECORRUPT, "expected '}' or ','"},
	{"{'descr: '<f4', 'fortran_order': False, 'shape': (6,)}", MC_ECORRUPT, "unexpected key"},
	{"{'descr': '<f4\n', 'fortran_order': False, 'shape': (6,)}", MC_ECORRUPT, "unterminated string"},
	{"{'descr': '\\x3cf4', 'fortran_order': False, 'shape': (6,)}", MC_ECORRUPT, "escape sequences"},
	{"{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'shape2': ()}", MC_ECORRUPT, "unexpected key 'shape2'"},
	{"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,)}", MC_ELIMIT,
	 "dimension 99999999999999999999 in 'shape' is too large"},
	{"{'descr': '<f4', 'fortran_order': False, 'shape': (9223372036854775807,)}", MC_ELIMIT, "too big"},
	{"{'descr': '|u1', 'fortran_order': False, 'shape': (4294967296, 4294967296)}", MC_ELIMIT, "too big"},
	{"{'descr': '|u1', 'fortran_order': False, 'shape': (4611686018427387904, 0, 4611686018427387904)}",
	 MC_ELIMIT, "too big"},
	{"{'descr': '<f8', 'fortran_order': False, 'shape': (1152921504606846976,)}", MC_ELIMIT, "too big"},
	{"{'descr': '|u1', 'fortran_order': False, 'shape': (1152921504606846976,)}", MC_ECORRUPT, "truncated"},
	{"{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,"
	 "1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1)}",
	 MC_ELIMIT, "more than 64 dimensions"},
};

static void test_hostile_headers(void **state)
{
	static const float data[6] = {1, 2, 3, 4, 5, 6};

	(void)state;
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		size_t len;
		uint8_t *file = mk_npy(&len, 1, hostile[i].dict, data, sizeof(data));
		mc_reader *r;
		int rc;
		mc_error_clear();
		rc = open_npy(&r, file, len);
		tu_assert_fails_as(hostile[i].dict, rc, hostile[i].code, hostile[i].fragment);
		assert_string_equal(mc_error_last()->path, "x.npy");
		assert_true(mc_error_last()->offset >= 10);
		assert_null(r);
		free(file);
	}
	/* object arrays come with a hint */
	{
		size_t len;
		uint8_t *file = mk_npy(&len, 1, hostile[0].dict, data, sizeof(data));
		mc_reader *r;
		assert_int_equal(open_npy(&r, file, len), MC_EUNSAFE);
		assert_non_null(strstr(mc_error_last()->msg, "can run code"));
		assert_non_null(strstr(mc_error_last()->hint, "numeric arrays"));
		free(file);
	}
}

/* Lengths 0, 1, 0x7fffffff, 0xffffffff and 2^63 in the header length field
 * and in a dimension. */
static void test_hostile_lengths(void **state)
{
	static const float data[6] = {1, 2, 3, 4, 5, 6};
	static const struct {
		int major;
		uint32_t hlen;
		int code;
		const char *fragment;
	} hl[] = {
		{1, 0, MC_ECORRUPT, "header length is 0"},
		{1, 1, MC_ECORRUPT, "a key must be a quoted string"},
		{1, 0xffff, MC_ELIMIT, "header length 65535 is over the limit of 10000"},
		{2, 0, MC_ECORRUPT, "header length is 0"},
		{2, 1, MC_ECORRUPT, "a key must be a quoted string"},
		{2, 0x7fffffff, MC_ELIMIT, "header length 2147483647"},
		{2, 0xffffffff, MC_ELIMIT, "header length 4294967295"},
		{3, 0xffffffff, MC_ELIMIT, "header length 4294967295"},
		{2, MC_NPY_MAX_HEADER + 1, MC_ELIMIT, "over the limit"},
		{2, MC_NPY_MAX_HEADER, MC_ECORRUPT, "truncated"},
	};
	static const struct {
		const char *dim;
		int code;
		const char *fragment;
	} dims[] = {
		{"0", MC_ECORRUPT, "24 extra bytes after the array's 0 bytes"},
		{"1", MC_ECORRUPT, "20 extra bytes after the array's 4 bytes"},
		{"2147483647", MC_ECORRUPT, "truncated: the array needs 8589934588 bytes"},
		{"4294967295", MC_ECORRUPT, "truncated: the array needs 17179869180 bytes"},
		{"9223372036854775808", MC_ELIMIT, "dimension 9223372036854775808 in 'shape' is too large"},
		{"18446744073709551616", MC_ELIMIT, "is too large"},
		{"-1", MC_ECORRUPT, "negative dimension -1"},
		{"-9223372036854775808", MC_ECORRUPT, "negative dimension -9223372036854775808"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(hl) / sizeof(hl[0]); i++) {
		char dict[128];
		size_t len;
		uint8_t *file;
		mc_reader *r;
		dict_for(dict, sizeof(dict), "<f4", false, "(6,)");
		file = mk_npy(&len, hl[i].major, dict, data, sizeof(data));
		if (hl[i].major == 1)
			mc_store_u16le(file + 8, (uint16_t)hl[i].hlen);
		else
			mc_store_u32le(file + 8, hl[i].hlen);
		tu_assert_fails(open_npy(&r, file, len), hl[i].code, hl[i].fragment);
		free(file);
	}
	for (size_t i = 0; i < sizeof(dims) / sizeof(dims[0]); i++) {
		char dict[128], shape[64];
		size_t len;
		uint8_t *file;
		mc_reader *r;
		snprintf(shape, sizeof(shape), "(%s,)", dims[i].dim);
		dict_for(dict, sizeof(dict), "<f4", false, shape);
		file = mk_npy(&len, 1, dict, data, sizeof(data));
		tu_assert_fails(open_npy(&r, file, len), dims[i].code, dims[i].fragment);
		free(file);
	}
}

static void test_magic_and_version(void **state)
{
	static const float data[6] = {1, 2, 3, 4, 5, 6};
	char dict[128];
	size_t len;
	uint8_t *file;
	mc_reader *r;

	(void)state;
	dict_for(dict, sizeof(dict), "<f4", false, "(6,)");
	file = mk_npy(&len, 1, dict, data, sizeof(data));
	file[7] = 1;
	tu_assert_fails(open_npy(&r, file, len), MC_EUNSUPPORTED, "npy version 1.1 is not supported");
	file[6] = 0;
	file[7] = 0;
	tu_assert_fails(open_npy(&r, file, len), MC_EUNSUPPORTED, "npy version 0.0");
	file[6] = 4;
	tu_assert_fails(open_npy(&r, file, len), MC_EUNSUPPORTED, "npy version 4.0");
	file[6] = 1;
	file[0] = 0x94;
	tu_assert_fails(open_npy(&r, file, len), MC_ECORRUPT, "not an npy file");
	tu_assert_fails(open_npy(&r, file, 0), MC_ECORRUPT, "not an npy file");
	free(file);
	/* the parser on its own, through a cursor */
	{
		mc_npy_header h;
		mc_cur c;
		file = mk_npy(&len, 3, dict, data, sizeof(data));
		mc_cur_init(&c, file, len, 0, "p", NULL);
		assert_int_equal(mc_npy_parse_header(&h, &c), 0);
		assert_int_equal(h.major, 3);
		assert_int_equal(h.data_offset, len - 24);
		assert_int_equal(h.data_offset % 64, 0);
		assert_int_equal(c.pos, len - 24);
		assert_int_equal(h.nbytes, 24);
		assert_false(h.fortran_order);
		assert_false(h.swap);
		free(file);
	}
}

static bool contains(const uint8_t *h, size_t n, const char *s)
{
	size_t k = strlen(s);
	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(h + i, s, k) == 0)
			return true;
	return false;
}

/* mc_npy_format_header writes numpy's exact header. */
static void test_format_header(void **state)
{
	static const char want[] =
		"\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
	mc_shape s = {2, {2, 3}};
	mc_shape s0 = {0, {0}};
	uint8_t *h;
	size_t n;
	mc_cur c;
	mc_npy_header ph;

	(void)state;
	assert_int_equal(mc_npy_format_header(&h, &n, MC_FLOAT32, &s), 0);
	assert_int_equal(n, 128);
	assert_memory_equal(h, want, sizeof(want) - 1);
	assert_int_equal(h[127], '\n');
	for (size_t i = sizeof(want) - 1; i < 127; i++)
		assert_int_equal(h[i], ' ');
	free(h);
	assert_int_equal(mc_npy_format_header(&h, &n, MC_BOOL, &s0), 0);
	assert_int_equal(n % 64, 0);
	assert_true(contains(h, n, "'|b1'"));
	assert_true(contains(h, n, "'shape': (), }"));
	mc_cur_init(&c, h, n, 0, "p", NULL);
	assert_int_equal(mc_npy_parse_header(&ph, &c), 0);
	assert_int_equal(ph.dtype, MC_BOOL);
	assert_int_equal(ph.shape.ndim, 0);
	free(h);
	tu_assert_fails(mc_npy_format_header(&h, &n, MC_BFLOAT16, &s), MC_EUNSUPPORTED, "bfloat16");
	assert_non_null(strstr(mc_error_last()->hint, "safetensors"));
	tu_assert_fails(mc_npy_format_header(&h, &n, MC_FLOAT8_E4M3FN, &s), MC_EUNSUPPORTED, "float8_e4m3fn");
	assert_null(mc_npy_descr(MC_FLOAT8_E5M2));
	assert_string_equal(mc_npy_descr(MC_COMPLEX128), "<c16");
	/* the most dimensions npy can have fit in a version 1.0 header */
	{
		mc_shape big = {MC_MAX_DIMS, {0}};
		for (int i = 0; i < MC_MAX_DIMS; i++)
			big.dims[i] = i == 0 ? 0 : INT64_MAX;
		assert_int_equal(mc_npy_format_header(&h, &n, MC_UINT8, &big), 0);
		assert_int_equal(h[6], 1);
		mc_cur_init(&c, h, n, 0, "p", NULL);
		/* 0 * ... is empty, but the non-zero dims overflow: refused as numpy does */
		assert_int_equal(mc_npy_parse_header(&ph, &c), MC_ELIMIT);
		free(h);
	}
}

/* ---- testdata/bad/npy and the fuzz seeds ---------------------------------------- */

static void test_bad_files(void **state)
{
	(void)state;
	tu_check_bad_dir("testdata/bad/npy", NULL, 12, tu_load_read_all, "npy");
}

/* The fuzz seeds are valid files: opened without naming the format, every
 * tensor reads and hashes. */
static void test_corpus(void **state)
{
	(void)state;
	tu_check_corpus("tests/fuzz/corpus/npy", 10, tu_load_read_all, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_dtype),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_fortran_order),
		cmocka_unit_test(test_big_endian_values),
		cmocka_unit_test(test_zero_d_and_empty),
		cmocka_unit_test(test_header_grammar),
		cmocka_unit_test(test_names_and_sniff),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_hostile_headers),
		cmocka_unit_test(test_hostile_lengths),
		cmocka_unit_test(test_magic_and_version),
		cmocka_unit_test(test_format_header),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
