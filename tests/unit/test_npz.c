/* SPDX-License-Identifier: MIT */
/*
 * Tests of the npz reader and writer (formats/npz.c): archives as np.savez
 * and np.savez_compressed write them, stored members read in place and
 * deflated ones inflated, the writer's round trip (byte-identical to
 * np.savez, deterministic), refusals, and testdata/bad/npz/.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cursor.h"
#include "error.h"
#include "format.h"
#include "npy.h"
#include "value.h"
#include "zip.h"
#include "testutil.h"
#include "banned.h"

static char tmpdir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_npz_XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char path[512];
	DIR *d = opendir(tmpdir);
	struct dirent *de;

	(void)state;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, de->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	return rmdir(tmpdir);
}

static uint8_t *corpus(const char *name, size_t *len)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/npz/%s", MC_SOURCE_DIR, name);
	return tu_read_file(path, len);
}

static uint8_t *dense(mc_reader *r, size_t i, size_t *len, mc_view *keep)
{
	mc_view v;
	uint8_t *d;

	if (mc_reader_read(r, i, &v) != 0)
		fail_msg("read %zu: %s", i, mc_error_last()->msg);
	assert_int_equal(mc_view_to_dense(&d, len, &v), 0);
	if (keep)
		*keep = v;
	else
		mc_view_release(&v);
	return d;
}

/* Write with mc_write("npz") and return the file's bytes. */
static uint8_t *write_npz(size_t *len, const mc_write_tensor *t, size_t n)
{
	char path[128];
	uint8_t *p;

	snprintf(path, sizeof(path), "%s/out.npz", tmpdir);
	if (mc_write("npz", path, t, n, NULL) != 0)
		fail_msg("write: %s", mc_error_last()->msg);
	p = tu_read_file(path, len);
	unlink(path);
	return p;
}

static const float a_vals[6] = {1, 2, 3, 4, 5, 6};
static const int64_t b_vals[3] = {7, 8, 9};

/* ---- reading what numpy writes ------------------------------------------ */

static void check_savez_content(const uint8_t *file, size_t len, bool stored)
{
	mc_reader *r;
	uint8_t *d;
	size_t n;
	mc_view v;

	assert_int_equal(mc_reader_open_memory(&r, file, len, "x.npz", NULL), 0);
	assert_string_equal(mc_reader_format(r), "npz");
	assert_int_equal(mc_reader_count(r), 2);
	assert_string_equal(mc_reader_tensor(r, 0)->name, "a");
	assert_int_equal(mc_reader_tensor(r, 0)->dtype, MC_FLOAT32);
	assert_int_equal(mc_reader_tensor(r, 0)->shape.ndim, 2);
	assert_int_equal(mc_reader_tensor(r, 0)->nbytes, 24);
	assert_string_equal(mc_reader_tensor(r, 1)->name, "b");
	assert_int_equal(mc_reader_tensor(r, 1)->dtype, MC_INT64);
	assert_int_equal(mc_reader_find(r, "b"), 1);
	d = dense(r, 0, &n, &v);
	assert_int_equal(n, sizeof(a_vals));
	assert_memory_equal(d, a_vals, n);
	if (stored) {
		/* zero-copy into the mapping */
		assert_null(v.owned);
		assert_true(v.data > file && v.data < file + len);
	} else {
		assert_non_null(v.owned);
	}
	mc_view_release(&v);
	free(d);
	d = dense(r, 1, &n, NULL);
	assert_memory_equal(d, b_vals, sizeof(b_vals));
	free(d);
	mc_reader_close(r);
}

static void test_read_savez(void **state)
{
	size_t len;
	uint8_t *f;

	(void)state;
	f = corpus("savez.npz", &len);
	check_savez_content(f, len, true);
	free(f);
	f = corpus("savez_compressed.npz", &len);
	check_savez_content(f, len, false);
	free(f);
	f = corpus("streamed.npz", &len); /* data descriptors: savez to a pipe */
	{
		mc_reader *r;
		assert_int_equal(mc_reader_open_memory(&r, f, len, "x.npz", "npz"), 0);
		assert_int_equal(mc_reader_count(r), 1);
		mc_reader_close(r);
	}
	free(f);
}

static void test_fortran_big_endian_members(void **state)
{
	static const double f_rm[6] = {1, 2, 3, 4, 5, 6};
	static const int32_t be[2] = {1, -1};
	size_t len, n;
	uint8_t *file = corpus("fortran_be.npz", &len), *d;
	mc_reader *r;

	(void)state;
	assert_int_equal(mc_reader_open_memory(&r, file, len, "x.npz", "npz"), 0);
	d = dense(r, (size_t)mc_reader_find(r, "f"), &n, NULL);
	assert_memory_equal(d, f_rm, sizeof(f_rm));
	free(d);
	d = dense(r, (size_t)mc_reader_find(r, "be"), &n, NULL);
	assert_memory_equal(d, be, sizeof(be));
	free(d);
	mc_reader_close(r);
	free(file);
}

static void test_empty_and_scalar(void **state)
{
	size_t len;
	uint8_t *file = corpus("empty.npz", &len);
	mc_reader *r;

	(void)state;
	assert_int_equal(mc_reader_open_memory(&r, file, len, "x.npz", NULL), 0);
	assert_string_equal(mc_reader_format(r), "npz");
	assert_int_equal(mc_reader_count(r), 0);
	mc_reader_close(r);
	free(file);
	/* np.savez(f) with no arrays: just an end record, which mc_write matches */
	{
		size_t want_len;
		uint8_t *want = corpus("empty.npz", &want_len), *out = write_npz(&len, NULL, 0);
		assert_int_equal(len, 22);
		assert_int_equal(want_len, 22);
		assert_memory_equal(out, want, 22);
		free(out);
		free(want);
	}
	file = corpus("scalar_empty.npz", &len);
	assert_int_equal(mc_reader_open_memory(&r, file, len, "x.npz", "npz"), 0);
	assert_int_equal(mc_reader_count(r), 2);
	assert_int_equal(mc_reader_tensor(r, 0)->shape.ndim, 0);
	assert_int_equal(mc_reader_tensor(r, 1)->nbytes, 0);
	mc_reader_close(r);
	free(file);
}

/* ---- writing ----------------------------------------------------------------- */

/* mc_write("npz") produces np.savez's bytes: savez.npz was checked against
 * numpy when the fixtures were made. */
static void test_write_matches_savez(void **state)
{
	mc_shape sa = {2, {2, 3}}, sb = {1, {3}};
	mc_view va, vb;
	mc_write_tensor t[2] = {{"a", &va}, {"b", &vb}};
	size_t len, len2, want_len;
	uint8_t *out, *out2, *want = corpus("savez.npz", &want_len);

	(void)state;
	mc_view_init_dense(&va, MC_FLOAT32, &sa, a_vals);
	mc_view_init_dense(&vb, MC_INT64, &sb, b_vals);
	out = write_npz(&len, t, 2);
	out2 = write_npz(&len2, t, 2);
	assert_int_equal(len, len2);
	assert_memory_equal(out, out2, len); /* deterministic */
	assert_int_equal(len, want_len);
	assert_memory_equal(out, want, len); /* byte-identical to numpy */
	free(out);
	free(out2);
	free(want);
}

static void test_roundtrip(void **state)
{
	static const mc_dtype dts[] = {MC_BOOL, MC_INT8, MC_UINT8, MC_INT16, MC_UINT16, MC_INT32,
	                               MC_UINT32, MC_INT64, MC_UINT64, MC_FLOAT16, MC_FLOAT32,
	                               MC_FLOAT64, MC_COMPLEX64, MC_COMPLEX128};
	enum { N = sizeof(dts) / sizeof(dts[0]) };
	static uint8_t data[N][6 * 16];
	static const double fort[6] = {1, 4, 2, 5, 3, 6};     /* [[1,2,3],[4,5,6]] by columns */
	static const uint8_t be16[4] = {0x00, 0x01, 0xff, 0xfe}; /* int16 1, -2 big-endian */
	mc_view v[N + 4];
	mc_write_tensor t[N + 4];
	char names[N][32];
	mc_shape s23 = {2, {2, 3}}, s0 = {0, {0}}, sempty = {2, {0, 5}}, s2 = {1, {2}};
	size_t len;
	uint8_t *file;
	mc_reader *r;

	(void)state;
	for (size_t i = 0; i < N; i++) {
		for (size_t k = 0; k < sizeof(data[i]); k++)
			data[i][k] = (uint8_t)(dts[i] == MC_BOOL ? k & 1 : k * 5 + i);
		mc_view_init_dense(&v[i], dts[i], &s23, data[i]);
		snprintf(names[i], sizeof(names[i]), "layer.%zu/%s", i, mc_dtype_name(dts[i]));
		t[i].name = names[i];
		t[i].view = &v[i];
	}
	mc_view_init_dense(&v[N], MC_FLOAT64, &s0, fort);
	t[N] = (mc_write_tensor){"scalar", &v[N]};
	mc_view_init_dense(&v[N + 1], MC_FLOAT32, &sempty, NULL);
	t[N + 1] = (mc_write_tensor){"empty", &v[N + 1]};
	/* a Fortran-order view and a big-endian view are written dense */
	mc_view_init_dense(&v[N + 2], MC_FLOAT64, &s23, fort);
	v[N + 2].strides[0] = 1;
	v[N + 2].strides[1] = 2;
	t[N + 2] = (mc_write_tensor){"fortran", &v[N + 2]};
	mc_view_init_dense(&v[N + 3], MC_INT16, &s2, be16);
	v[N + 3].swap = true;
	t[N + 3] = (mc_write_tensor){"caf\xc3\xa9", &v[N + 3]};
	file = write_npz(&len, t, N + 4);

	assert_int_equal(mc_reader_open_memory(&r, file, len, "rt.npz", NULL), 0);
	assert_int_equal(mc_reader_count(r), N + 4);
	for (size_t i = 0; i < N + 4; i++) {
		const mc_tensor_info *ti = mc_reader_tensor(r, i);
		uint8_t h1[32], h2[32], *d;
		size_t n;
		mc_view got;
		assert_string_equal(ti->name, t[i].name);
		assert_int_equal(ti->dtype, v[i].dtype);
		assert_int_equal(ti->shape.ndim, v[i].shape.ndim);
		assert_int_equal(mc_reader_read(r, i, &got), 0);
		assert_true(mc_view_is_dense(&got));
		assert_int_equal(mc_view_sha256(h1, &got), 0);
		assert_int_equal(mc_view_sha256(h2, &v[i]), 0);
		assert_memory_equal(h1, h2, 32);
		mc_view_release(&got);
		if (i == N + 2) {
			static const double rm[6] = {1, 2, 3, 4, 5, 6};
			d = dense(r, i, &n, NULL);
			assert_memory_equal(d, rm, sizeof(rm));
			free(d);
		}
	}
	mc_reader_close(r);
	free(file);
}

static void test_write_refuses(void **state)
{
	mc_shape s = {1, {2}};
	uint8_t data[16] = {0};
	mc_view v, vbf, vf8;
	char path[128];
	mc_arena *arena;
	mc_value *meta;

	(void)state;
	snprintf(path, sizeof(path), "%s/refused.npz", tmpdir);
	mc_view_init_dense(&v, MC_FLOAT32, &s, data);
	mc_view_init_dense(&vbf, MC_BFLOAT16, &s, data);
	mc_view_init_dense(&vf8, MC_FLOAT8_E5M2, &s, data);
	{
		mc_write_tensor t[] = {{"ok", &v}, {"w", &vbf}};
		tu_assert_fails(mc_write("npz", path, t, 2, NULL), MC_EUNSUPPORTED,
		                "npy cannot hold dtype bfloat16");
		assert_non_null(strstr(mc_error_last()->hint, "safetensors"));
		assert_string_equal(mc_error_last()->entry, "w");
	}
	{
		mc_write_tensor t[] = {{"w", &vf8}};
		tu_assert_fails(mc_write("npz", path, t, 1, NULL), MC_EUNSUPPORTED, "float8_e5m2");
	}
	{
		static const struct {
			const char *name;
			int code;
			const char *fragment;
		} bad[] = {
			{"../evil", MC_EUNSAFE, "escapes the archive"},
			{"a/../../evil", MC_EUNSAFE, "escapes the archive"},
			{"/etc/evil", MC_EUNSAFE, "absolute path"},
			{"C:evil", MC_EUNSAFE, "absolute path"},
			{"a\\b", MC_EUNSAFE, "backslash"},
			{"", MC_EINVAL, "empty name"},
		};
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			mc_write_tensor t[] = {{"fine", &v}, {bad[i].name, &v}};
			tu_assert_fails(mc_write("npz", path, t, 2, NULL), bad[i].code, bad[i].fragment);
		}
	}
	{
		mc_write_tensor t[] = {{"x", &v}, {"y", &v}, {"x", &v}};
		tu_assert_fails(mc_write("npz", path, t, 3, NULL), MC_EINVAL, "duplicate entry name 'x.npy'");
	}
	assert_int_equal(mc_arena_new(&arena, 1 << 20), 0);
	meta = mc_value_new(arena, MC_VALUE_DICT);
	assert_int_equal(mc_value_dict_set(arena, meta, mc_value_new_str(arena, MC_VALUE_STR, "k", 1),
	                                   mc_value_new_str(arena, MC_VALUE_STR, "v", 1)), 0);
	{
		mc_write_tensor t[] = {{"x", &v}};
		tu_assert_fails(mc_write("npz", path, t, 1, meta), MC_EUNSUPPORTED, "no place for metadata");
		/* an empty metadata dict is fine */
		assert_int_equal(mc_write("npz", path, t, 1, mc_value_new(arena, MC_VALUE_DICT)), 0);
		unlink(path);
	}
	mc_arena_free(arena);
	/* nothing was left behind by the refused writes */
	assert_int_not_equal(access(path, F_OK), 0);
	assert_true(mc_format_can_write("npz"));
	assert_false(mc_format_can_write("npy"));
}

/* ---- deflated members and hostile archives -------------------------------------- */

/* An npz from raw npy members, written with the zip writer. */
typedef struct member {
	const char *name;
	const uint8_t *data;
	size_t len;
	int method;
} member;

static uint8_t *build_npz(size_t *len, const member *m, size_t n)
{
	FILE *fp = tmpfile();
	mc_zip_writer *w;
	uint8_t *p;

	assert_int_equal(mc_zip_writer_open(&w, fp, "t.npz"), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(mc_zip_writer_add_buffer(w, m[i].name, m[i].method, m[i].data, m[i].len), 0);
	assert_int_equal(mc_zip_writer_finish(w), 0);
	mc_zip_writer_free(w);
	p = tu_read_stream(fp, len);
	fclose(fp);
	return p;
}

/* numpy's npy bytes for a C-order array. */
static uint8_t *npy_of(size_t *len, mc_dtype dt, const mc_shape *s, const void *data, size_t n)
{
	uint8_t *h, *p;
	size_t hl;

	assert_int_equal(mc_npy_format_header(&h, &hl, dt, s), 0);
	p = malloc(hl + n);
	memcpy(p, h, hl);
	if (n)
		memcpy(p + hl, data, n);
	free(h);
	*len = hl + n;
	return p;
}

static void test_deflated_members(void **state)
{
	static float big[100000];
	mc_shape sbig = {2, {1000, 100}}, sa = {2, {2, 3}};
	size_t n1, n2, len, dl;
	uint8_t *m1, *m2, *file, *d;
	mc_reader *r;
	mc_view v;

	(void)state;
	for (size_t i = 0; i < 100000; i++)
		big[i] = (float)(i % 1000);
	m1 = npy_of(&n1, MC_FLOAT32, &sbig, big, sizeof(big));
	m2 = npy_of(&n2, MC_FLOAT32, &sa, a_vals, sizeof(a_vals));
	{
		member m[] = {{"big.npy", m1, n1, MC_ZIP_DEFLATED}, {"a.npy", m2, n2, MC_ZIP_STORED}};
		file = build_npz(&len, m, 2);
	}
	assert_true(len < n1 / 4);
	assert_int_equal(mc_reader_open_memory(&r, file, len, "x.npz", NULL), 0);
	assert_int_equal(mc_reader_tensor(r, 0)->nbytes, sizeof(big));
	d = dense(r, 0, &dl, &v);
	assert_non_null(v.owned);
	assert_null(v.map);
	assert_memory_equal(d, big, sizeof(big));
	mc_view_release(&v);
	free(d);
	mc_reader_close(r);

	/* listing inflates only headers: damage past the header goes unnoticed
	 * until the member is read */
	{
		const uint8_t *cd;
		mc_zip *z;
		assert_int_equal(mc_zip_open(&z, file, len, "x.npz"), 0);
		cd = mc_zip_entry_at(z, 0)->data;
		((uint8_t *)file)[cd - file + mc_zip_entry_at(z, 0)->comp_size - 20] ^= 0x55;
		mc_zip_free(z);
	}
	assert_int_equal(mc_reader_open_memory(&r, file, len, "x.npz", NULL), 0);
	assert_int_equal(mc_reader_count(r), 2);
	assert_int_not_equal(mc_reader_read(r, 0, &v), 0);
	assert_string_equal(mc_error_last()->entry, "big.npy");
	mc_reader_close(r);
	free(file);
	free(m1);
	free(m2);
}

static void test_crc_checked_on_read(void **state)
{
	size_t len;
	uint8_t *file = corpus("savez.npz", &len);
	mc_reader *r;
	mc_view v;

	(void)state;
	file[30 + 5 + 20 + 128] ^= 1; /* first data byte of a.npy */
	assert_int_equal(mc_reader_open_memory(&r, file, len, "x.npz", NULL), 0);
	tu_assert_fails(mc_reader_read(r, 0, &v), MC_ECORRUPT, "crc-32 mismatch (stored 0x");
	assert_string_equal(mc_error_last()->entry, "a.npy");
	assert_string_equal(mc_error_last()->path, "x.npz");
	assert_int_equal(mc_reader_read(r, 1, &v), 0);
	mc_view_release(&v);
	mc_reader_close(r);
	free(file);
}

static void test_hostile_members(void **state)
{
	mc_shape sa = {2, {2, 3}};
	size_t na, len;
	uint8_t *a = npy_of(&na, MC_FLOAT32, &sa, a_vals, sizeof(a_vals)), *file, *longer;
	mc_reader *r;

	(void)state;
	longer = malloc(na + 3);
	memcpy(longer, a, na);
	memcpy(longer + na, "xyz", 3);
	{
		static const struct {
			const char *name;
			int which; /* 0: a, 1: a + 3 bytes, 2: a - 4 bytes, 3: object array */
			int method;
			int code;
			const char *fragment;
		} cases[] = {
			{"a.txt", 0, 0, MC_EUNSUPPORTED, "entry 'a.txt' is not an npy member"},
			{"a.NPY", 0, 0, MC_EUNSUPPORTED, "is not an npy member"},
			{".npy", 0, 0, MC_EUNSUPPORTED, "is not an npy member"},
			{"dir/", 0, 0, MC_EUNSUPPORTED, "is not an npy member"},
			{"a.npy", 1, 0, MC_ECORRUPT, "3 extra bytes after the array"},
			{"a.npy", 1, 8, MC_ECORRUPT, "3 extra bytes after the array"},
			{"a.npy", 2, 0, MC_ECORRUPT, "truncated: the array needs 24 bytes"},
			{"a.npy", 2, 8, MC_ECORRUPT, "truncated: the array needs 24 bytes"},
			{"a.npy", 3, 8, MC_EUNSAFE, "needs pickle"},
			{"a.npy", 3, 0, MC_EUNSAFE, "needs pickle"},
		};
		static const char obj[] = "\x93NUMPY\x01\x00\x40\x00{'descr': '|O', 'fortran_order': False, "
		                          "'shape': (1,), }       \n\x80\x02N.";
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			const uint8_t *src = cases[i].which == 3 ? (const uint8_t *)obj
			                   : cases[i].which == 1 ? longer : a;
			size_t n = cases[i].which == 3 ? sizeof(obj) - 1
			         : cases[i].which == 1 ? na + 3 : cases[i].which == 2 ? na - 4 : na;
			member m[] = {{"ok.npy", a, na, 0}, {cases[i].name, src, n, cases[i].method}};
			file = build_npz(&len, m, 2);
			mc_error_clear();
			tu_assert_fails_as(cases[i].name, mc_reader_open_memory(&r, file, len, "x.npz", "npz"),
			                   cases[i].code, cases[i].fragment);
			assert_string_equal(mc_error_last()->path, "x.npz");
			assert_string_equal(mc_error_last()->entry, cases[i].name);
			free(file);
		}
	}
	/* members in directories are fine: np.savez(f, **{"a/b": x}) */
	{
		member m[] = {{"dir/sub/w.npy", a, na, 0}};
		file = build_npz(&len, m, 1);
		assert_int_equal(mc_reader_open_memory(&r, file, len, "x.npz", NULL), 0);
		assert_string_equal(mc_reader_tensor(r, 0)->name, "dir/sub/w");
		mc_reader_close(r);
		free(file);
	}
	/* a zip whose first member is not .npy is not sniffed as npz */
	{
		member m[] = {{"a.txt", a, na, 0}};
		file = build_npz(&len, m, 1);
		assert_int_equal(mc_reader_open_memory(&r, file, len, "x.zip", NULL), MC_EUNSUPPORTED);
		assert_non_null(strstr(mc_error_last()->msg, "unrecognised file format"));
		free(file);
	}
	free(longer);
	free(a);
}

/* Every proper prefix of an npz is refused. */
static void test_truncations(void **state)
{
	size_t len;
	uint8_t *file = corpus("savez_compressed.npz", &len);

	(void)state;
	for (size_t n = 0; n < len; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		mc_reader *r;
		memcpy(copy, file, n);
		assert_int_equal(mc_reader_open_memory(&r, copy, n, "x.npz", "npz"), MC_ECORRUPT);
		free(copy);
	}
	free(file);
}

/* ---- testdata/bad/npz and the fuzz seeds -------------------------------------------- */

static void test_bad_files(void **state)
{
	(void)state;
	tu_check_bad_dir("testdata/bad/npz", NULL, 12, tu_load_read_all, "npz");
}

/* The fuzz seeds are valid archives: every tensor reads and hashes. */
static void test_corpus(void **state)
{
	(void)state;
	tu_check_corpus("tests/fuzz/corpus/npz", 5, tu_load_read_all, "npz");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_savez),
		cmocka_unit_test(test_fortran_big_endian_members),
		cmocka_unit_test(test_empty_and_scalar),
		cmocka_unit_test(test_write_matches_savez),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_write_refuses),
		cmocka_unit_test(test_deflated_members),
		cmocka_unit_test(test_crc_checked_on_read),
		cmocka_unit_test(test_hostile_members),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_corpus),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
