/* SPDX-License-Identifier: MIT */
/*
 * The safetensors reader and writer: every dtype through the writer and back
 * (bytes and sha256), metadata, byte-identical rewrites, zero-size and 0-d
 * tensors, tables of hostile header lengths and hostile headers each refused
 * with its code and message, every file of testdata/bad/safetensors, and a
 * writer that fails without leaving a file behind.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/sha.h>

#include "format.h"
#include "modelctl.h"
#include "value.h"
#include "testutil.h"
#include "banned.h"

static char tmpdir[] = "/tmp/mc_test_safetensors_XXXXXX";

/* ---- helpers ------------------------------------------------------------ */

typedef struct buf {
	uint8_t *p;
	size_t len;
} buf;

/* A file: u64 `n`, then `header` (hlen bytes), then `dlen` data bytes. */
static buf make_raw(uint64_t n, const void *header, size_t hlen, size_t dlen)
{
	buf b;
	b.len = 8 + hlen + dlen;
	b.p = calloc(1, b.len);
	assert_non_null(b.p);
	for (int i = 0; i < 8; i++)
		b.p[i] = (uint8_t)(n >> (8 * i));
	memcpy(b.p + 8, header, hlen);
	for (size_t i = 0; i < dlen; i++)
		b.p[8 + hlen + i] = (uint8_t)(i * 7 + 3);
	return b;
}

/* A file with an honest length over the JSON text and dlen data bytes. */
static buf make_st(const char *json, size_t dlen)
{
	return make_raw(strlen(json), json, strlen(json), dlen);
}

static void tmp_path(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", tmpdir, name);
}

/* Entries left in tmpdir. */
static int count_tmp_entries(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void clear_tmpdir(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	char path[1024];

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		tmp_path(path, sizeof(path), e->d_name);
		unlink(path);
	}
	closedir(d);
}

static void expect_open_fails(const buf *b, const char *format, int code, const char *frag,
                              const char *what)
{
	mc_reader *r = (mc_reader *)1;
	int rc;

	mc_error_clear();
	rc = mc_reader_open_memory(&r, b->p, b->len, "x.safetensors", format);
	if (rc != code || !strstr(mc_error_last()->msg, frag)) {
		char line[2048];
		print_error("case '%s': want %s '%s', got %s: %s\n", what, mc_error_name(code), frag,
		            mc_error_name(rc), mc_error_format(line, sizeof(line), mc_error_last()));
	}
	assert_int_equal(rc, code);
	assert_null(r);
	assert_non_null(strstr(mc_error_last()->msg, frag));
	assert_string_equal(mc_error_last()->path, "x.safetensors");
}

static mc_reader *open_ok(const buf *b)
{
	mc_reader *r = NULL;
	int rc = mc_reader_open_memory(&r, b->p, b->len, "x.safetensors", NULL);
	if (rc) {
		char line[2048];
		print_error("%s\n", mc_error_format(line, sizeof(line), mc_error_last()));
	}
	assert_int_equal(rc, 0);
	assert_non_null(r);
	assert_string_equal(mc_reader_format(r), "safetensors");
	return r;
}

static void sha256_of(uint8_t out[32], const void *p, size_t n)
{
	static const uint8_t empty = 0;
	SHA256(n ? p : &empty, n, out);
}

/* ---- writer round trips ----------------------------------------------------- */

static const mc_dtype all_dtypes[] = {
	MC_BOOL,    MC_INT8,     MC_UINT8,   MC_INT16,   MC_UINT16,     MC_INT32,
	MC_UINT32,  MC_INT64,    MC_UINT64,  MC_FLOAT16, MC_BFLOAT16,   MC_FLOAT32,
	MC_FLOAT64, MC_COMPLEX64, MC_FLOAT8_E4M3FN, MC_FLOAT8_E5M2,
};

static void test_every_dtype_round_trips(void **state)
{
	(void)state;
	for (size_t k = 0; k < sizeof(all_dtypes) / sizeof(all_dtypes[0]); k++) {
		const int64_t dims[] = {2, 3};
		mc_dtype dt = all_dtypes[k];
		mc_shape shape = tu_shape(2, dims);
		size_t nbytes = 6 * mc_dtype_size(dt);
		uint8_t *data = malloc(nbytes), want[32], got[32];
		mc_write_tensor t;
		mc_view v, back;
		mc_reader *r = NULL;
		const mc_tensor_info *info;
		char path[1024];
		uint8_t *file;
		size_t flen;
		uint64_t n;

		assert_non_null(data);
		for (size_t i = 0; i < nbytes; i++)
			data[i] = (uint8_t)(dt == MC_BOOL ? i & 1 : i * 31 + k);
		mc_view_init_dense(&v, dt, &shape, data);
		t.name = mc_dtype_name(dt);
		t.view = &v;
		tmp_path(path, sizeof(path), "dtype.safetensors");
		assert_int_equal(mc_write("safetensors", path, &t, 1, NULL), 0);

		/* the reference writer's layout: 8 + N is a multiple of 8 */
		file = tu_read_file(path, &flen);
		n = 0;
		for (int i = 0; i < 8; i++)
			n |= (uint64_t)file[i] << (8 * i);
		assert_int_equal((8 + n) % 8, 0);
		assert_int_equal(file[8], '{');
		assert_int_equal(flen, 8 + n + nbytes);
		free(file);

		assert_int_equal(mc_reader_open(&r, path), 0);
		assert_string_equal(mc_reader_format(r), "safetensors");
		assert_int_equal(mc_reader_count(r), 1);
		assert_null(mc_reader_metadata(r));
		assert_null(mc_reader_values(r));
		info = mc_reader_tensor(r, 0);
		assert_string_equal(info->name, mc_dtype_name(dt));
		assert_int_equal(info->dtype, dt);
		assert_int_equal(info->shape.ndim, 2);
		assert_int_equal(info->shape.dims[0], 2);
		assert_int_equal(info->shape.dims[1], 3);
		assert_int_equal(info->nbytes, nbytes);
		assert_int_equal(mc_reader_read(r, 0, &back), 0);
		assert_true(mc_view_is_dense(&back));
		assert_memory_equal(back.data, data, nbytes);
		sha256_of(want, data, nbytes);
		assert_int_equal(mc_view_sha256(got, &back), 0);
		assert_memory_equal(got, want, 32);
		mc_view_release(&back);
		mc_reader_close(r);
		free(data);
		clear_tmpdir();
	}
}

static mc_value *str_value(mc_arena *a, const char *s)
{
	mc_value *v = mc_value_new_str(a, MC_VALUE_STR, s, strlen(s));
	assert_non_null(v);
	return v;
}

static void test_metadata_round_trips(void **state)
{
	static const char *const kv[][2] = {
		{"format", "pt"},
		{"quote\"back\\slash", "line\nbreak\ttab\x01"},
		{"caf\xc3\xa9", "\xf0\x9f\x98\x80"},
		{"empty", ""},
	};
	const int64_t dims[] = {2};
	float data[2] = {1.0f, -2.5f};
	mc_shape shape = tu_shape(1, dims);
	mc_arena *a = NULL;
	mc_value *md;
	mc_view v;
	mc_write_tensor t = {"w", &v};
	const mc_value *got;
	mc_reader *r = NULL;
	char path[1024];

	(void)state;
	assert_int_equal(mc_arena_new(&a, 1 << 20), 0);
	md = mc_value_new(a, MC_VALUE_DICT);
	assert_non_null(md);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(mc_value_dict_set(a, md, str_value(a, kv[i][0]), str_value(a, kv[i][1])), 0);
	mc_view_init_dense(&v, MC_FLOAT32, &shape, data);
	tmp_path(path, sizeof(path), "meta.safetensors");
	assert_int_equal(mc_write("safetensors", path, &t, 1, md), 0);
	assert_int_equal(mc_reader_open(&r, path), 0);
	got = mc_reader_metadata(r);
	assert_non_null(got);
	assert_int_equal(got->kind, MC_VALUE_DICT);
	assert_int_equal(mc_value_len(got), 4);
	for (size_t i = 0; i < 4; i++) {
		/* header order is kept */
		assert_string_equal(mc_value_dict_key(got, i)->u.s.p, kv[i][0]);
		assert_string_equal(mc_value_dict_val(got, i)->u.s.p, kv[i][1]);
		assert_string_equal(mc_value_dict_get(got, kv[i][0])->u.s.p, kv[i][1]);
	}
	mc_reader_close(r);
	mc_arena_free(a);
	clear_tmpdir();
}

/* The exact bytes the reference writer gives for one small tensor. */
static void test_writer_layout_matches_reference(void **state)
{
	static const char header[] =
		"{\"__metadata__\":{\"format\":\"pt\"},"
		"\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
		"\"b\":{\"dtype\":\"U8\",\"shape\":[],\"data_offsets\":[8,9]}}";
	const int64_t dims[] = {2};
	float fa[2] = {1.0f, 2.0f};
	uint8_t ub = 7;
	mc_shape s1 = tu_shape(1, dims), s0 = tu_shape(0, NULL);
	mc_view va, vb;
	mc_write_tensor t[2] = {{"a", &va}, {"b", &vb}};
	mc_arena *a = NULL;
	mc_value *md;
	char path[1024];
	uint8_t *file;
	size_t flen, hlen = strlen(header), padded = (hlen + 7) / 8 * 8;

	(void)state;
	assert_int_equal(mc_arena_new(&a, 1 << 20), 0);
	md = mc_value_new(a, MC_VALUE_DICT);
	assert_int_equal(mc_value_dict_set(a, md, str_value(a, "format"), str_value(a, "pt")), 0);
	mc_view_init_dense(&va, MC_FLOAT32, &s1, fa);
	mc_view_init_dense(&vb, MC_UINT8, &s0, &ub);
	tmp_path(path, sizeof(path), "layout.safetensors");
	assert_int_equal(mc_write("safetensors", path, t, 2, md), 0);
	file = tu_read_file(path, &flen);
	assert_int_equal(flen, 8 + padded + 9);
	assert_int_equal(file[0], padded);
	for (int i = 1; i < 8; i++)
		assert_int_equal(file[i], 0);
	assert_memory_equal(file + 8, header, hlen);
	for (size_t i = hlen; i < padded; i++)
		assert_int_equal(file[8 + i], ' ');
	assert_memory_equal(file + 8 + padded, fa, 8);
	assert_int_equal(file[8 + padded + 8], 7);
	free(file);
	mc_arena_free(a);
	clear_tmpdir();
}

static void test_double_write_is_byte_identical(void **state)
{
	const int64_t d1[] = {3, 2}, d2[] = {4};
	uint16_t h[6] = {1, 2, 3, 4, 5, 6};
	int64_t q[4] = {-1, 0, 1, INT64_MAX};
	mc_shape s1 = tu_shape(2, d1), s2 = tu_shape(1, d2);
	mc_view v1, v2;
	mc_write_tensor t[2] = {{"z.last", &v1}, {"a.first", &v2}};
	char p1[1024], p2[1024];
	uint8_t *f1, *f2;
	size_t n1, n2;

	(void)state;
	mc_view_init_dense(&v1, MC_BFLOAT16, &s1, h);
	mc_view_init_dense(&v2, MC_INT64, &s2, q);
	tmp_path(p1, sizeof(p1), "one.safetensors");
	tmp_path(p2, sizeof(p2), "two.safetensors");
	assert_int_equal(mc_write("safetensors", p1, t, 2, NULL), 0);
	assert_int_equal(mc_write("safetensors", p2, t, 2, NULL), 0);
	f1 = tu_read_file(p1, &n1);
	f2 = tu_read_file(p2, &n2);
	assert_int_equal(n1, n2);
	assert_memory_equal(f1, f2, n1);
	/* tensors stay in the given order, not sorted by name */
	assert_non_null(strstr((const char *)f1 + 8, "\"z.last\""));
	assert_true(strstr((const char *)f1 + 8, "\"z.last\"") < strstr((const char *)f1 + 8, "\"a.first\""));
	free(f1);
	free(f2);
	clear_tmpdir();
}

/* A strided (transposed) view is written as dense C-order bytes. */
static void test_strided_view_is_written_dense(void **state)
{
	const int64_t dims[] = {3, 2};
	int32_t base[6] = {0, 1, 2, 3, 4, 5}; /* a 2x3 matrix */
	int32_t want[6] = {0, 3, 1, 4, 2, 5}; /* its transpose, 3x2 */
	mc_shape s = tu_shape(2, dims);
	mc_view v, back;
	mc_write_tensor t = {"t", &v};
	mc_reader *r = NULL;
	char path[1024];

	(void)state;
	mc_view_init_dense(&v, MC_INT32, &s, base);
	v.strides[0] = 1;
	v.strides[1] = 3;
	tmp_path(path, sizeof(path), "strided.safetensors");
	assert_int_equal(mc_write("safetensors", path, &t, 1, NULL), 0);
	assert_int_equal(mc_reader_open(&r, path), 0);
	assert_int_equal(mc_reader_read(r, 0, &back), 0);
	assert_memory_equal(back.data, want, sizeof(want));
	mc_view_release(&back);
	mc_reader_close(r);
	clear_tmpdir();
}

static void test_zero_size_and_scalars(void **state)
{
	const int64_t d0[] = {0}, d203[] = {2, 0, 3};
	double scalar = 3.25;
	uint8_t bytes[3] = {9, 8, 7};
	const int64_t d3[] = {3};
	mc_shape s0 = tu_shape(1, d0), s203 = tu_shape(3, d203), sc = tu_shape(0, NULL),
	         s3 = tu_shape(1, d3);
	mc_view v[4];
	mc_write_tensor t[4] = {{"empty", &v[0]}, {"scalar", &v[1]}, {"empty2", &v[2]}, {"vec", &v[3]}};
	mc_reader *r = NULL;
	char path[1024];
	uint8_t want[32], got[32];

	(void)state;
	mc_view_init_dense(&v[0], MC_FLOAT32, &s0, NULL);
	mc_view_init_dense(&v[1], MC_FLOAT64, &sc, &scalar);
	mc_view_init_dense(&v[2], MC_INT32, &s203, NULL);
	mc_view_init_dense(&v[3], MC_UINT8, &s3, bytes);
	tmp_path(path, sizeof(path), "zero.safetensors");
	assert_int_equal(mc_write("safetensors", path, t, 4, NULL), 0);
	assert_int_equal(mc_reader_open(&r, path), 0);
	assert_int_equal(mc_reader_count(r), 4);
	/* data-offset order: empty [0,0], scalar [0,8], empty2 [8,8], vec [8,11] */
	assert_string_equal(mc_reader_tensor(r, 0)->name, "empty");
	assert_string_equal(mc_reader_tensor(r, 1)->name, "scalar");
	assert_string_equal(mc_reader_tensor(r, 2)->name, "empty2");
	assert_string_equal(mc_reader_tensor(r, 3)->name, "vec");
	for (size_t i = 0; i < 4; i++) {
		mc_view back;
		const mc_tensor_info *info = mc_reader_tensor(r, i);
		assert_int_equal(info->dtype, v[i].dtype);
		assert_int_equal(info->shape.ndim, v[i].shape.ndim);
		assert_memory_equal(info->shape.dims, v[i].shape.dims,
		                    (size_t)info->shape.ndim * sizeof(int64_t));
		assert_int_equal(mc_reader_read(r, i, &back), 0);
		sha256_of(want, v[i].data, (size_t)info->nbytes);
		assert_int_equal(mc_view_sha256(got, &back), 0);
		assert_memory_equal(got, want, 32);
		mc_view_release(&back);
	}
	assert_int_equal(mc_reader_tensor(r, 0)->nbytes, 0);
	assert_int_equal(mc_reader_tensor(r, 1)->nbytes, 8);
	mc_reader_close(r);
	clear_tmpdir();
}

/* ---- the writer's refusals ------------------------------------------------ */

static void test_write_to_missing_directory_fails(void **state)
{
	const int64_t dims[] = {1};
	uint8_t x = 1;
	mc_shape s = tu_shape(1, dims);
	mc_view v;
	mc_write_tensor t = {"x", &v};
	char path[1024];
	struct stat st;

	(void)state;
	mc_view_init_dense(&v, MC_UINT8, &s, &x);
	tmp_path(path, sizeof(path), "no/such/dir/out.safetensors");
	assert_int_equal(mc_write("safetensors", path, &t, 1, NULL), MC_EIO);
	assert_int_equal(mc_error_last()->code, MC_EIO);
	assert_non_null(strstr(mc_error_last()->msg, strerror(ENOENT)));
	assert_int_not_equal(stat(path, &st), 0);
	assert_int_equal(count_tmp_entries(), 0);
}

static void expect_write_fails(const mc_write_tensor *t, size_t n, const mc_value *md, int code,
                               const char *frag)
{
	char path[1024];
	struct stat st;
	int rc;

	tmp_path(path, sizeof(path), "refused.safetensors");
	rc = mc_write("safetensors", path, t, n, md);
	if (rc != code || !strstr(mc_error_last()->msg, frag))
		print_error("want %s '%s', got %s: %s\n", mc_error_name(code), frag, mc_error_name(rc),
		            mc_error_last()->msg);
	assert_int_equal(rc, code);
	assert_non_null(strstr(mc_error_last()->msg, frag));
	/* nothing at the path, no temporary file left beside it */
	assert_int_not_equal(stat(path, &st), 0);
	assert_int_equal(count_tmp_entries(), 0);
}

static void test_writer_refusals(void **state)
{
	const int64_t dims[] = {2};
	uint8_t data[32] = {0};
	mc_shape s = tu_shape(1, dims);
	mc_view u8, c128;
	mc_write_tensor dup[2] = {{"w", &u8}, {"w", &u8}};
	mc_write_tensor reserved = {"__metadata__", &u8}, complex = {"c", &c128};
	mc_write_tensor empty = {"", &u8}, noview = {"n", NULL}, bad_utf8 = {"a\xff", &u8};
	mc_write_tensor ok = {"w", &u8};
	mc_arena *a = NULL;
	mc_value *list, *intval;

	(void)state;
	mc_view_init_dense(&u8, MC_UINT8, &s, data);
	mc_view_init_dense(&c128, MC_COMPLEX128, &s, data);
	expect_write_fails(dup, 2, NULL, MC_EINVAL, "duplicate tensor name 'w'");
	expect_write_fails(&reserved, 1, NULL, MC_EINVAL, "'__metadata__' is reserved");
	expect_write_fails(&complex, 1, NULL, MC_EUNSUPPORTED, "cannot store dtype 'complex128'");
	expect_write_fails(&empty, 1, NULL, MC_EINVAL, "empty tensor name");
	expect_write_fails(&noview, 1, NULL, MC_EINVAL, "has no data");
	expect_write_fails(&bad_utf8, 1, NULL, MC_EINVAL, "not valid UTF-8");

	assert_int_equal(mc_arena_new(&a, 1 << 20), 0);
	list = mc_value_new(a, MC_VALUE_LIST);
	expect_write_fails(&ok, 1, list, MC_EINVAL, "metadata is not a dict");
	{
		mc_value *md = mc_value_new(a, MC_VALUE_DICT);
		intval = mc_value_new_int(a, 3);
		assert_int_equal(mc_value_dict_set(a, md, str_value(a, "epoch"), intval), 0);
		expect_write_fails(&ok, 1, md, MC_EINVAL, "must map strings to strings");
	}
	mc_arena_free(a);
	expect_write_fails(NULL, 1, NULL, MC_EINVAL, "no tensor list");
}

/* ---- hostile inputs ------------------------------------------------------------ */

/* 54 bytes: the object and one space of padding */
static const char body[] = "{\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}} ";

static void test_hostile_header_lengths(void **state)
{
	static const struct {
		uint64_t n;
		int code;
		const char *frag;
	} cases[] = {
		{0, MC_ECORRUPT, "header is not a JSON object (it is empty)"},
		{1, MC_ECORRUPT, "header is not valid JSON: expected a string key, found the end"},
		{7, MC_ECORRUPT, "header is not valid JSON: unterminated string"},
		{0x7fffffff, MC_ECORRUPT, "header length 2147483647 is past the end of the file (64 bytes)"},
		{0xffffffff, MC_ECORRUPT, "header length 4294967295 is past the end of the file (64 bytes)"},
		{UINT64_C(1) << 63, MC_ECORRUPT,
		 "header length 9223372036854775808 is past the end of the file (64 bytes)"},
		{UINT64_MAX, MC_ECORRUPT,
		 "header length 18446744073709551615 is past the end of the file (64 bytes)"},
		{sizeof(body) - 1 + 3, MC_ECORRUPT, "is past the end of the file"},
		{sizeof(body) - 1 + 2, MC_ECORRUPT, "expected the end of the header after the object, found byte 0x03"},
		{sizeof(body) - 1 - 2, MC_ECORRUPT, "expected ',' or '}' in an object, found the end"},
	};
	buf b = make_raw(0, body, sizeof(body) - 1, 2);
	assert_int_equal(b.len, 64);

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char what[64];
		for (int k = 0; k < 8; k++)
			b.p[k] = (uint8_t)(cases[i].n >> (8 * k));
		snprintf(what, sizeof(what), "header length %" PRIu64, cases[i].n);
		expect_open_fails(&b, NULL, cases[i].code, cases[i].frag, what);
		expect_open_fails(&b, "safetensors", cases[i].code, cases[i].frag, what);
		if (cases[i].n >> 32)
			assert_int_equal(mc_error_last()->offset, 0);
	}
	/* and the honest length opens */
	for (int k = 0; k < 8; k++)
		b.p[k] = (uint8_t)((sizeof(body) - 1) >> (8 * k));
	mc_reader_close(open_ok(&b));
	free(b.p);
}

/* A header over the cap is refused before it is read, even when the file
 * really is that large (calloc'd pages are never touched). */
static void test_header_over_the_cap(void **state)
{
	size_t n = (size_t)MC_SAFETENSORS_MAX_HEADER + 1;
	buf b;

	(void)state;
	b.len = 8 + n;
	b.p = calloc(1, b.len);
	assert_non_null(b.p);
	for (int k = 0; k < 8; k++)
		b.p[k] = (uint8_t)((uint64_t)n >> (8 * k));
	b.p[8] = '{';
	expect_open_fails(&b, NULL, MC_ELIMIT, "header length 100000001 is over the limit of 100000000 bytes",
	                  "over the cap");
	free(b.p);
}

typedef struct hostile {
	const char *what;
	const char *json;
	size_t dlen;
	int code;
	const char *frag;
	const char *entry; /* expected error entry, or NULL for "" */
} hostile;

#define U8(shape, b, e) "{\"dtype\":\"U8\",\"shape\":" shape ",\"data_offsets\":[" #b "," #e "]}"

static const hostile hostile_headers[] = {
	{"entry not an object", "{\"a\":1}", 0, MC_ECORRUPT, "entry is not an object", "a"},
	{"entry is null", "{\"a\":null}", 0, MC_ECORRUPT, "entry is not an object", "a"},
	{"duplicate key", "{\"a\":" U8("[2]", 0, 2) ",\"a\":" U8("[2]", 2, 4) "}", 4, MC_ECORRUPT,
	 "duplicate tensor name 'a'", "a"},
	{"duplicate among many", "{\"c\":" U8("[1]", 2, 3) ",\"a\":" U8("[1]", 0, 1) ",\"b\":" U8("[1]", 1, 2)
	 ",\"a\":" U8("[0]", 3, 3) "}", 3, MC_ECORRUPT, "duplicate tensor name 'a'", "a"},
	{"negative dim", "{\"a\":" U8("[-1]", 0, 0) "}", 0, MC_ECORRUPT,
	 "shape dim -1 is negative", "a"},
	{"negative zero dim", "{\"a\":" U8("[-0]", 0, 0) "}", 0, MC_ECORRUPT, "shape dim -0 is negative", "a"},
	{"fractional dim", "{\"a\":" U8("[1.5]", 0, 1) "}", 1, MC_ECORRUPT,
	 "shape dim 1.5 is not an integer", "a"},
	{"integral float dim", "{\"a\":" U8("[2.0]", 0, 2) "}", 2, MC_ECORRUPT,
	 "shape dim 2.0 is not an integer", "a"},
	{"exponent dim", "{\"a\":" U8("[1e2]", 0, 100) "}", 100, MC_ECORRUPT,
	 "shape dim 1e2 is not an integer", "a"},
	{"dim 2^53+1", "{\"a\":" U8("[9007199254740993,0]", 0, 0) "}", 0, MC_ELIMIT,
	 "shape dim 9007199254740993 is larger than 2^53", "a"},
	{"dim 2^64", "{\"a\":" U8("[18446744073709551616,0]", 0, 0) "}", 0, MC_ELIMIT,
	 "shape dim 18446744073709551616 is larger than 2^53", "a"},
	{"dim is a string", "{\"a\":" U8("[\"2\"]", 0, 2) "}", 2, MC_ECORRUPT,
	 "shape dim is not a number", "a"},
	{"shape not an array", "{\"a\":" U8("2", 0, 2) "}", 2, MC_ECORRUPT,
	 "shape is not an array", "a"},
	{"product overflow", "{\"a\":" U8("[4294967296,4294967296,16]", 0, 16) "}", 16, MC_ECORRUPT,
	 "byte size of U8 [4294967296, 4294967296, 16] overflows 64 bits", "a"},
	{"dtype size overflow", "{\"a\":{\"dtype\":\"F64\",\"shape\":[134217728,134217728,256],"
	 "\"data_offsets\":[0,8]}}", 8, MC_ECORRUPT, "overflows 64 bits", "a"},
	{"zero size, huge dims", "{\"a\":" U8("[0,9007199254740992,9007199254740992]", 0, 0) "}", 0,
	 MC_ELIMIT, "is too large to address", "a"},
	{"offsets reversed", "{\"a\":" U8("[4]", 4, 0) "}", 4, MC_ECORRUPT,
	 "data_offsets begin 4 is after end 0", "a"},
	{"overlapping", "{\"a\":" U8("[4]", 0, 4) ",\"b\":" U8("[4]", 2, 6) "}", 6, MC_ECORRUPT,
	 "data_offsets [2, 6] overlap tensor 'a' [0, 4]", "b"},
	{"same offsets twice", "{\"a\":" U8("[4]", 0, 4) ",\"b\":" U8("[4]", 0, 4) "}", 4, MC_ECORRUPT,
	 "data_offsets [0, 4] overlap tensor 'a' [0, 4]", "b"},
	{"zero-size inside another", "{\"a\":" U8("[4]", 0, 4) ",\"b\":" U8("[0]", 2, 2) "}", 4,
	 MC_ECORRUPT, "overlap tensor 'a'", "b"},
	{"gap", "{\"a\":" U8("[4]", 0, 4) ",\"b\":" U8("[4]", 6, 10) "}", 10, MC_ECORRUPT,
	 "gap of 2 unused bytes before data_offsets begin 6 (tensor 'a' ends at 4)", "b"},
	{"gap at start", "{\"a\":" U8("[4]", 2, 6) "}", 6, MC_ECORRUPT,
	 "gap of 2 unused bytes at the start of the data", "a"},
	{"past the end", "{\"a\":" U8("[120]", 0, 120) "}", 100, MC_ECORRUPT,
	 "data_offsets end 120 past the data (100 bytes)", "a"},
	{"offset past 2^53", "{\"a\":" U8("[0]", 0, 9007199254740993) "}", 0, MC_ELIMIT,
	 "data_offsets end 9007199254740993 is larger than 2^53", "a"},
	{"trailing data", "{\"a\":" U8("[4]", 0, 4) "}", 6, MC_ECORRUPT,
	 "2 bytes of trailing data after the last tensor (tensors cover 4 of 6 data bytes)", NULL},
	{"data with no tensors", "{}", 1, MC_ECORRUPT, "1 bytes of trailing data", NULL},
	{"wrong byte count", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8,
	 MC_ECORRUPT, "data_offsets span 8 bytes but F32 [3] needs 12", "a"},
	{"wrong byte count, scalar", "{\"a\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,4]}}", 4,
	 MC_ECORRUPT, "span 4 bytes but I64 [] needs 8", "a"},
	{"control: a valid entry", "{\"a\":" U8("[1]", 0, 1) "}", 1, 0, NULL, NULL},
	{"three offsets", "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1,1]}}", 1,
	 MC_ECORRUPT, "data_offsets is not an array of two integers", "a"},
	{"offsets object", "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":{\"b\":0}}}", 1,
	 MC_ECORRUPT, "data_offsets is not an array of two integers", "a"},
	{"offset string", "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[\"0\",1]}}", 1,
	 MC_ECORRUPT, "data_offsets begin is not a number", "a"},
	{"negative offset", "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,-1]}}", 1,
	 MC_ECORRUPT, "data_offsets end -1 is negative", "a"},
	{"unknown dtype F8_E8M0", "{\"a\":{\"dtype\":\"F8_E8M0\",\"shape\":[1],\"data_offsets\":[0,1]}}",
	 1, MC_EUNSUPPORTED, "unsupported dtype 'F8_E8M0'", "a"},
	{"unknown dtype F4", "{\"a\":{\"dtype\":\"F4\",\"shape\":[2],\"data_offsets\":[0,1]}}", 1,
	 MC_EUNSUPPORTED, "unsupported dtype 'F4'", "a"},
	{"lowercase dtype", "{\"a\":{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
	 MC_EUNSUPPORTED, "unsupported dtype 'f32'", "a"},
	{"dtype not a string", "{\"a\":{\"dtype\":[\"F32\"],\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
	 MC_ECORRUPT, "dtype is not a string", "a"},
	{"missing dtype", "{\"a\":{\"shape\":[1],\"data_offsets\":[0,1]}}", 1, MC_ECORRUPT,
	 "missing field 'dtype'", "a"},
	{"missing data_offsets", "{\"a\":{\"dtype\":\"U8\",\"shape\":[1]}}", 1, MC_ECORRUPT,
	 "missing field 'data_offsets'", "a"},
	{"extra field", "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],\"x\":0}}", 1,
	 MC_ECORRUPT, "unknown field 'x'", "a"},
	{"duplicate field", "{\"a\":{\"dtype\":\"U8\",\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}",
	 1, MC_ECORRUPT, "duplicate field 'dtype'", "a"},
	{"empty name", "{\"\":" U8("[1]", 0, 1) "}", 1, MC_ECORRUPT, "empty tensor name", NULL},
	{"metadata non-string value", "{\"__metadata__\":{\"a\":\"1\",\"b\":2}}", 0, MC_ECORRUPT,
	 "__metadata__ value of 'b' is not a string", "__metadata__"},
	{"metadata nested object", "{\"__metadata__\":{\"a\":{}}}", 0, MC_ECORRUPT,
	 "__metadata__ value of 'a' is not a string", "__metadata__"},
	{"metadata not an object", "{\"__metadata__\":\"x\"}", 0, MC_ECORRUPT,
	 "__metadata__ is not an object", "__metadata__"},
	{"metadata duplicate key", "{\"__metadata__\":{\"k\":\"1\",\"j\":\"\",\"k\":\"2\"}}", 0, MC_ECORRUPT,
	 "duplicate __metadata__ key 'k'", "__metadata__"},
	{"metadata twice", "{\"__metadata__\":{},\"__metadata__\":{}}", 0, MC_ECORRUPT,
	 "duplicate key '__metadata__'", NULL},
	/* JSON that cJSON alone would accept or misread */
	{"trailing comma", "{\"a\":" U8("[1]", 0, 1) ",}", 1, MC_ECORRUPT,
	 "header is not valid JSON: expected a string key, found '}'", NULL},
	{"missing colon", "{\"a\" 1}", 0, MC_ECORRUPT, "expected ':' after an object key, found '1'", NULL},
	{"unquoted key", "{a:1}", 0, MC_ECORRUPT, "expected a string key, found 'a'", NULL},
	{"leading zero", "{\"a\":" U8("[01]", 0, 1) "}", 1, MC_ECORRUPT,
	 "expected ',' or ']' in an array, found '1'", NULL},
	{"plus sign", "{\"a\":" U8("[+1]", 0, 1) "}", 1, MC_ECORRUPT, "expected a value, found '+'", NULL},
	{"bare dot", "{\"a\":" U8("[1.]", 0, 1) "}", 1, MC_ECORRUPT, "expected a digit", NULL},
	{"hex number", "{\"a\":" U8("[0x1]", 0, 1) "}", 1, MC_ECORRUPT, "found 'x'", NULL},
	{"NaN", "{\"a\":" U8("[NaN]", 0, 1) "}", 1, MC_ECORRUPT, "expected a value, found 'N'", NULL},
	{"long number", "{\"a\":" U8("[0.0000000000000000000000000000000000000000000000000000000000000001]", 0, 1)
	 "}", 1, MC_ELIMIT, "header number of 66 characters is longer than the limit of 63", NULL},
	{"garbage after object", "{} {}", 0, MC_ECORRUPT,
	 "expected the end of the header after the object, found '{'", NULL},
	{"control byte as space", "{}\x01", 0, MC_ECORRUPT, "found byte 0x01", NULL},
	{"raw newline in string", "{\"a\nb\":1}", 0, MC_ECORRUPT,
	 "control characters in a string must be escaped, found byte 0x0a", NULL},
	{"bad escape", "{\"a\\x\":1}", 0, MC_ECORRUPT, "invalid escape in a string, found 'x'", NULL},
	{"short unicode escape", "{\"a\\u12\":1}", 0, MC_ECORRUPT, "expected 4 hex digits after \\u", NULL},
	{"NUL escape", "{\"a\\u0000b\":" U8("[1]", 0, 1) "}", 1, MC_EUNSUPPORTED,
	 "header string holds a NUL character (\\u0000)", NULL},
	{"lone low surrogate", "{\"\\udc00\":1}", 0, MC_ECORRUPT, "unpaired UTF-16 surrogate \\udc00", NULL},
	{"lone high surrogate", "{\"\\ud800x\":1}", 0, MC_ECORRUPT,
	 "expected a low surrogate after a high one", NULL},
	{"high then high", "{\"\\ud800\\ud800\":1}", 0, MC_ECORRUPT, "unpaired UTF-16 surrogate \\ud800", NULL},
	{"invalid UTF-8", "{\"a\xff\":1}", 0, MC_ECORRUPT, "header is not valid UTF-8", NULL},
	{"overlong UTF-8", "{\"\xc0\xaf\":1}", 0, MC_ECORRUPT, "header is not valid UTF-8", NULL},
	{"UTF-8 surrogate", "{\"\xed\xa0\x80\":1}", 0, MC_ECORRUPT, "header is not valid UTF-8", NULL},
	{"UTF-8 past U+10FFFF", "{\"\xf4\x90\x80\x80\":1}", 0, MC_ECORRUPT, "header is not valid UTF-8", NULL},
	{"UTF-8 cut short", "{\"\xe2\x82\":1}", 0, MC_ECORRUPT, "header is not valid UTF-8", NULL},
	{"unterminated string", "{\"abc", 0, MC_ECORRUPT, "unterminated string", NULL},
	{"bad literal", "{\"a\":tru}", 0, MC_ECORRUPT, "expected a value, found 't'", NULL},
};

static void test_hostile_headers(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(hostile_headers) / sizeof(hostile_headers[0]); i++) {
		const hostile *h = &hostile_headers[i];
		buf b = make_st(h->json, h->dlen);
		if (h->code == 0) {
			mc_reader_close(open_ok(&b));
		} else {
			expect_open_fails(&b, NULL, h->code, h->frag, h->what);
			assert_string_equal(mc_error_last()->entry, h->entry ? h->entry : "");
			/* the entry names the tensor: the message does not repeat it */
			if (h->entry)
				assert_true(strncmp(mc_error_last()->msg, "tensor '", 8) != 0);
			/* every refusal points into the file */
			assert_true(mc_error_last()->offset >= 0);
			assert_true((uint64_t)mc_error_last()->offset <= b.len);
		}
		free(b.p);
	}
}

/* Each refusal names the file offset of the value at fault: the offset of
 * `at` (its first occurrence) in the header, plus the 8-byte length. */
static void test_error_offsets(void **state)
{
	static const struct {
		const char *json;
		size_t dlen;
		int code;
		const char *at;
	} cases[] = {
		{"{\"a\":1}", 0, MC_ECORRUPT, "1}"},
		{"{\"a\":" U8("[\"2\"]", 0, 2) "}", 2, MC_ECORRUPT, "\"2\"]"},
		{"{\"a\":" U8("[2,-1]", 0, 0) "}", 0, MC_ECORRUPT, "-1]"},
		{"{\"a\":" U8("[2]", 4, 0) "}", 4, MC_ECORRUPT, "[4,0]"},
		{"{\"a\":" U8("[2]", 0, 2) ",\"b\":" U8("[2]", 1, 3) "}", 3, MC_ECORRUPT, "[1,3]"},
		{"{\"a\":{\"dtype\":[\"F32\"],\"shape\":[1],\"data_offsets\":[0,4]}}", 4, MC_ECORRUPT,
		 "[\"F32\"]"},
		{"{\"a\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, MC_EUNSUPPORTED,
		 "\"Q4\""},
		{"{\"a\": {\"shape\":[1],\"data_offsets\":[0,1]}}", 1, MC_ECORRUPT, "{\"shape\""},
		{"{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],\"x\": [0]}}", 1,
		 MC_ECORRUPT, "[0]}"},
		{"{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1,2]}}", 2, MC_ECORRUPT,
		 "[0,1,2]"},
		{"{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, MC_ECORRUPT,
		 "[0,8]"},
		{"{\"__metadata__\":{\"k\":\"1\",\"j\":  7}}", 0, MC_ECORRUPT, "7}"},
		{"{\"__metadata__\": \"x\"}", 0, MC_ECORRUPT, "\"x\""},
		{"{\"__metadata__\":{},\"__metadata__\":null}", 0, MC_ECORRUPT, "null"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf b = make_st(cases[i].json, cases[i].dlen);
		mc_reader *r = NULL;
		int rc = mc_reader_open_memory(&r, b.p, b.len, "x.safetensors", NULL);
		int64_t want = 8 + (int64_t)(strstr(cases[i].json, cases[i].at) - cases[i].json);
		if (rc != cases[i].code || mc_error_last()->offset != want) {
			char line[2048];
			print_error("case %zu: want %s at offset %" PRId64 ", got %s\n", i,
			            mc_error_name(cases[i].code), want,
			            mc_error_format(line, sizeof(line), mc_error_last()));
		}
		assert_int_equal(rc, cases[i].code);
		assert_int_equal(mc_error_last()->offset, want);
		free(b.p);
	}
}

/* Tops that are not objects: sniffing calls them unrecognised, and opening
 * them as safetensors says why. */
static void test_header_not_an_object(void **state)
{
	static const char *const tops[] = {"[]", "[1,2]", "\"x\"", "1", "null", " {}", "\xef\xbb\xbf{}"};

	(void)state;
	for (size_t i = 0; i < sizeof(tops) / sizeof(tops[0]); i++) {
		buf b = make_st(tops[i], 0);
		expect_open_fails(&b, NULL, MC_EUNSUPPORTED, "unrecognised file format", tops[i]);
		expect_open_fails(&b, "safetensors", MC_ECORRUPT, "header is not a JSON object", tops[i]);
		assert_int_equal(mc_error_last()->offset, 8);
		free(b.p);
	}
}

static void test_empty_and_truncated_files(void **state)
{
	buf good = make_st("{\"__metadata__\":{\"k\":\"v\"},"
	                   "\"a\":" U8("[3]", 0, 3) ",\"b\":" U8("[2]", 3, 5) "}", 5);
	mc_reader *r;

	(void)state;
	{
		buf empty = {good.p, 0};
		expect_open_fails(&empty, NULL, MC_EUNSUPPORTED, "empty file", "empty, sniffed");
		expect_open_fails(&empty, "safetensors", MC_ECORRUPT,
		                  "file of 0 bytes is too short for the 8-byte header length", "empty");
	}
	/* every proper prefix of a good file is refused, whatever the cut */
	for (size_t len = 0; len < good.len; len++) {
		buf cut = {good.p, len};
		mc_error_clear();
		r = NULL;
		assert_int_not_equal(mc_reader_open_memory(&r, cut.p, cut.len, "x.safetensors", "safetensors"), 0);
		assert_null(r);
		assert_true(mc_error_last()->msg[0] != '\0');
	}
	{
		buf cut = {good.p, good.len - 1};
		expect_open_fails(&cut, NULL, MC_ECORRUPT, "data_offsets end 5 past the data (4 bytes)",
		                  "cut in the data");
		assert_string_equal(mc_error_last()->entry, "b");
		cut.len = 20;
		expect_open_fails(&cut, NULL, MC_ECORRUPT, "is past the end of the file (20 bytes)",
		                  "cut in the header");
	}
	mc_reader_close(open_ok(&good));
	free(good.p);
}

/* Limits that need a generated header. */
static void test_generated_limits(void **state)
{
	size_t cap = 200000;
	char *json = malloc(cap);
	size_t n;
	buf b;

	(void)state;
	assert_non_null(json);

	/* 64 dims is fine, 65 is over the limit */
	for (int dims = 64; dims <= 65; dims++) {
		n = (size_t)snprintf(json, cap, "{\"a\":{\"dtype\":\"U8\",\"shape\":[");
		for (int i = 0; i < dims; i++)
			n += (size_t)snprintf(json + n, cap - n, "%s1", i ? "," : "");
		snprintf(json + n, cap - n, "],\"data_offsets\":[0,1]}}");
		b = make_st(json, 1);
		if (dims == 64) {
			mc_reader *r = open_ok(&b);
			assert_int_equal(mc_reader_tensor(r, 0)->shape.ndim, 64);
			mc_reader_close(r);
		} else {
			expect_open_fails(&b, NULL, MC_ELIMIT, "shape has 65 dims, more than the limit of 64",
			                  "65 dims");
		}
		free(b.p);
	}

	/* nesting: 64 levels are allowed, 65 are not */
	for (int depth = 64; depth <= 65; depth++) {
		n = (size_t)snprintf(json, cap, "{\"__metadata__\":");
		for (int i = 2; i <= depth; i++)
			json[n++] = '[';
		for (int i = 2; i <= depth; i++)
			json[n++] = ']';
		json[n++] = '}';
		json[n] = '\0';
		b = make_st(json, 0);
		if (depth == 64)
			expect_open_fails(&b, NULL, MC_ECORRUPT, "__metadata__ is not an object", "64 deep");
		else
			expect_open_fails(&b, NULL, MC_ELIMIT, "header nests deeper than 64 levels", "65 deep");
		free(b.p);
	}

	/* a name of MC_MAX_NAME bytes is fine, one more is not */
	for (size_t len = MC_MAX_NAME; len <= MC_MAX_NAME + 1; len++) {
		json[0] = '{';
		json[1] = '"';
		memset(json + 2, 'n', len);
		snprintf(json + 2 + len, cap - 2 - len, "\":" U8("[1]", 0, 1) "}");
		b = make_st(json, 1);
		if (len == MC_MAX_NAME) {
			mc_reader *r = open_ok(&b);
			assert_int_equal(strlen(mc_reader_tensor(r, 0)->name), MC_MAX_NAME);
			mc_reader_close(r);
		} else {
			expect_open_fails(&b, NULL, MC_ELIMIT,
			                  "tensor name of 65537 bytes is longer than the limit of 65536 bytes",
			                  "long name");
		}
		free(b.p);
	}
	free(json);
}

/* Many tensors and metadata keys: duplicate detection and the tiling sort
 * stay fast (the header lists tensors in reverse data order). */
static void test_many_tensors(void **state)
{
	const size_t count = 20000;
	size_t cap = count * 96 + 64, n = 0;
	char *json = malloc(cap);
	mc_reader *r;
	buf b;

	(void)state;
	assert_non_null(json);
	n += (size_t)snprintf(json + n, cap - n, "{\"__metadata__\":{");
	for (size_t i = 0; i < count; i++)
		n += (size_t)snprintf(json + n, cap - n, "%s\"k%zu\":\"v\"", i ? "," : "", i);
	n += (size_t)snprintf(json + n, cap - n, "}");
	for (size_t i = count; i-- > 0;)
		n += (size_t)snprintf(json + n, cap - n, ",\"t%zu\":" "{\"dtype\":\"U8\",\"shape\":[1],"
		                      "\"data_offsets\":[%zu,%zu]}", i, i, i + 1);
	snprintf(json + n, cap - n, "}");
	b = make_st(json, count);
	r = open_ok(&b);
	assert_int_equal(mc_reader_count(r), count);
	assert_int_equal(mc_value_len(mc_reader_metadata(r)), count);
	for (size_t i = 0; i < count; i += 997) {
		char name[32];
		mc_view v;
		snprintf(name, sizeof(name), "t%zu", i);
		assert_string_equal(mc_reader_tensor(r, i)->name, name);
		assert_int_equal(mc_reader_find(r, name), (int64_t)i);
		assert_int_equal(mc_reader_read(r, i, &v), 0);
		assert_ptr_equal(v.data, b.p + 8 + strlen(json) + i);
		assert_non_null(v.map);
		mc_view_release(&v);
	}
	mc_reader_close(r);
	free(b.p);
	free(json);
}

/* A header of 200,000 tensors, named as a mixture-of-experts checkpoint
 * names them, opens with every name, shape and offset (listed in data
 * order, which is header order here). */
static void test_200k_tensors(void **state)
{
	static const char *const parts[] = {"gate_proj.weight", "up_proj.weight", "down_proj.weight",
	                                    "router.bias"};
	const size_t count = 200000;
	size_t cap = count * 128 + 64, n = 0, off = 0;
	char *json = malloc(cap);
	mc_reader *r;
	buf b;

	(void)state;
	assert_non_null(json);
	n += (size_t)snprintf(json + n, cap - n, "{\"__metadata__\":{\"format\":\"pt\"}");
	for (size_t i = 0; i < count; i++) {
		size_t rows = 1 + i % 3;
		n += (size_t)snprintf(json + n, cap - n,
		                      ",\"model.layers.%zu.mlp.experts.%zu.%s\":{\"dtype\":\"BF16\","
		                      "\"shape\":[%zu,2],\"data_offsets\":[%zu,%zu]}",
		                      i / 256, i / 4 % 64, parts[i % 4], rows, off, off + 4 * rows);
		off += 4 * rows;
	}
	n += (size_t)snprintf(json + n, cap - n, "}");
	assert_true(n < cap);
	b = make_st(json, off);
	r = open_ok(&b);
	assert_int_equal(mc_reader_count(r), count);
	assert_string_equal(mc_value_dict_get(mc_reader_metadata(r), "format")->u.s.p, "pt");
	off = 0;
	for (size_t i = 0; i < count; i++) {
		const mc_tensor_info *t = mc_reader_tensor(r, i);
		size_t rows = 1 + i % 3;
		char name[96];
		snprintf(name, sizeof(name), "model.layers.%zu.mlp.experts.%zu.%s", i / 256, i / 4 % 64,
		         parts[i % 4]);
		assert_string_equal(t->name, name);
		assert_int_equal(t->dtype, MC_BFLOAT16);
		assert_int_equal(t->shape.ndim, 2);
		assert_int_equal(t->shape.dims[0], rows);
		assert_int_equal(t->shape.dims[1], 2);
		assert_int_equal(t->nbytes, 4 * rows);
		if (i % 9973 == 0) {
			mc_view v;
			assert_int_equal(mc_reader_read(r, i, &v), 0);
			assert_ptr_equal(v.data, b.p + 8 + n + off);
			mc_view_release(&v);
		}
		off += 4 * rows;
	}
	mc_reader_close(r);
	free(b.p);
	free(json);
}

/* Valid headers the reference reader accepts in other shapes than ours. */
static void test_valid_variants(void **state)
{
	mc_reader *r;
	mc_view v;
	buf b;

	(void)state;
	/* no tensors at all */
	b = make_st("{}", 0);
	r = open_ok(&b);
	assert_int_equal(mc_reader_count(r), 0);
	assert_null(mc_reader_metadata(r));
	mc_reader_close(r);
	free(b.p);

	/* null metadata is absent metadata; empty metadata is an empty dict */
	b = make_st("{\"__metadata__\":null}", 0);
	r = open_ok(&b);
	assert_null(mc_reader_metadata(r));
	mc_reader_close(r);
	free(b.p);
	b = make_st("{\"__metadata__\":{}}", 0);
	r = open_ok(&b);
	assert_non_null(mc_reader_metadata(r));
	assert_int_equal(mc_value_len(mc_reader_metadata(r)), 0);
	mc_reader_close(r);
	free(b.p);

	/* whitespace, escapes, header order unlike data order, dim of 2^53 */
	b = make_st("{ \"b\\u00e9ta\" : {\"data_offsets\": [4, 8], \"shape\": [2], \"dtype\": \"I16\"},\n"
	            "\t\"\\ud83d\\ude00\\n\": {\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},\r\n"
	            "\"big\": {\"dtype\":\"F32\",\"shape\":[9007199254740992,0],\"data_offsets\":[8,8]}}  \n\t\r",
	            8);
	r = open_ok(&b);
	assert_int_equal(mc_reader_count(r), 3);
	assert_string_equal(mc_reader_tensor(r, 0)->name, "\xf0\x9f\x98\x80\n");
	assert_int_equal(mc_reader_tensor(r, 0)->dtype, MC_UINT8);
	assert_string_equal(mc_reader_tensor(r, 1)->name, "b\xc3\xa9ta");
	assert_int_equal(mc_reader_tensor(r, 1)->dtype, MC_INT16);
	assert_string_equal(mc_reader_tensor(r, 2)->name, "big");
	assert_int_equal(mc_reader_tensor(r, 2)->shape.dims[0], INT64_C(9007199254740992));
	assert_int_equal(mc_reader_read(r, 1, &v), 0);
	/* zero-copy: the view points into the buffer */
	assert_ptr_equal(v.data, b.p + b.len - 4);
	assert_int_equal(v.shape.dims[0], 2);
	mc_view_release(&v);
	mc_reader_close(r);
	free(b.p);

	/* keys are compared once decoded: escaped field names and an escaped
	 * __metadata__ are the fields and the metadata; metadata strings are
	 * decoded, surrogate pairs included */
	b = make_st("{\"__metadata\\u005f_\":{\"k\\\"\\/\":\"\\ud834\\udd1e\\u00e9\\t\",\"\\u20ac\":\"\"},"
	            "\"w\":{\"d\\u0074ype\":\"\\u00553\\u0032\",\"sh\\u0061pe\":[1],"
	            "\"data_offsets\":[0,4]}}", 4);
	r = open_ok(&b);
	assert_int_equal(mc_reader_count(r), 1);
	assert_int_equal(mc_reader_tensor(r, 0)->dtype, MC_UINT32);
	assert_int_equal(mc_value_len(mc_reader_metadata(r)), 2);
	assert_string_equal(mc_value_dict_key(mc_reader_metadata(r), 0)->u.s.p, "k\"/");
	assert_string_equal(mc_value_dict_val(mc_reader_metadata(r), 0)->u.s.p,
	                    "\xf0\x9d\x84\x9e\xc3\xa9\t");
	assert_int_equal(mc_value_dict_val(mc_reader_metadata(r), 0)->u.s.n, 7);
	assert_string_equal(mc_value_dict_key(mc_reader_metadata(r), 1)->u.s.p, "\xe2\x82\xac");
	assert_string_equal(mc_value_dict_val(mc_reader_metadata(r), 1)->u.s.p, "");
	mc_reader_close(r);
	free(b.p);
}

/* Every dtype name of the spec that modelctl reads maps to its dtype. */
static void test_dtype_names(void **state)
{
	static const struct {
		const char *st;
		mc_dtype dt;
	} names[] = {
		{"BOOL", MC_BOOL},   {"U8", MC_UINT8},     {"I8", MC_INT8},       {"U16", MC_UINT16},
		{"I16", MC_INT16},   {"U32", MC_UINT32},   {"I32", MC_INT32},     {"U64", MC_UINT64},
		{"I64", MC_INT64},   {"F16", MC_FLOAT16},  {"BF16", MC_BFLOAT16}, {"F32", MC_FLOAT32},
		{"F64", MC_FLOAT64}, {"C64", MC_COMPLEX64}, {"F8_E4M3", MC_FLOAT8_E4M3FN},
		{"F8_E5M2", MC_FLOAT8_E5M2},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char json[128];
		size_t size = mc_dtype_size(names[i].dt);
		mc_reader *r;
		buf b;
		snprintf(json, sizeof(json), "{\"t\":{\"dtype\":\"%s\",\"shape\":[2],\"data_offsets\":[0,%zu]}}",
		         names[i].st, 2 * size);
		b = make_st(json, 2 * size);
		r = open_ok(&b);
		assert_int_equal(mc_reader_tensor(r, 0)->dtype, names[i].dt);
		assert_int_equal(mc_reader_tensor(r, 0)->nbytes, 2 * size);
		mc_reader_close(r);
		free(b.p);
	}
}

/* ---- files on disk ----------------------------------------------------------- */

/* Open a file by its path as `format`, as the fuzz replay does: when it is
 * refused, nothing is returned and the error names the path. */
static int open_refused(const char *path, const char *name, const char *format)
{
	mc_reader *r = NULL;
	int rc = mc_reader_open_as(&r, path, format);

	(void)name;
	if (rc == 0) {
		mc_reader_close(r);
		return 0;
	}
	assert_null(r);
	assert_string_equal(mc_error_last()->path, path);
	return rc;
}

static void test_bad_files_are_refused(void **state)
{
	(void)state;
	tu_check_bad_dir("testdata/bad/safetensors", ".safetensors", 15, open_refused, "safetensors");
}

/* The fuzz seeds are valid files: every tensor reads and hashes. */
static void test_fuzz_seeds_open(void **state)
{
	(void)state;
	tu_check_corpus("tests/fuzz/corpus/safetensors", 3, tu_path_read_all, NULL);
}

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(tmpdir))
		return -1;
	return mc_formats_check();
}

static int teardown(void **state)
{
	(void)state;
	clear_tmpdir();
	return rmdir(tmpdir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_dtype_round_trips),
		cmocka_unit_test(test_metadata_round_trips),
		cmocka_unit_test(test_writer_layout_matches_reference),
		cmocka_unit_test(test_double_write_is_byte_identical),
		cmocka_unit_test(test_strided_view_is_written_dense),
		cmocka_unit_test(test_zero_size_and_scalars),
		cmocka_unit_test(test_write_to_missing_directory_fails),
		cmocka_unit_test(test_writer_refusals),
		cmocka_unit_test(test_hostile_header_lengths),
		cmocka_unit_test(test_header_over_the_cap),
		cmocka_unit_test(test_hostile_headers),
		cmocka_unit_test(test_error_offsets),
		cmocka_unit_test(test_header_not_an_object),
		cmocka_unit_test(test_empty_and_truncated_files),
		cmocka_unit_test(test_generated_limits),
		cmocka_unit_test(test_many_tensors),
		cmocka_unit_test(test_200k_tensors),
		cmocka_unit_test(test_valid_variants),
		cmocka_unit_test(test_dtype_names),
		cmocka_unit_test(test_bad_files_are_refused),
		cmocka_unit_test(test_fuzz_seeds_open),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
