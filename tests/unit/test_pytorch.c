/* SPDX-License-Identifier: MIT */
/*
 * Tests of the PyTorch readers (formats/pytorch.c) and of naming tensors by
 * flattening the value tree (lib/flatten.c): every fixture torch.save wrote
 * (testdata/pytorch/, both formats, pickle protocols 2 to 5) against its
 * expected names, dtypes, shapes and hashes; views, slices, strides and tied
 * weights sharing a storage; the training state of a checkpoint and --key
 * selection; big-endian archives; scanning; and hostile archives and legacy
 * files built here by mutating fixtures or writing pickles by hand, each
 * refused with its code and a message fragment.
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

#include <cjson/cJSON.h>

#include "cursor.h"
#include "flatten.h"
#include "format.h"
#include "map.h"
#include "value.h"
#include "zip.h"
#include "testutil.h"
#include "banned.h"

#define FIXTURE(name) MC_SOURCE_DIR "/testdata/pytorch/" name

static uint8_t *fixture(const char *name, size_t *len)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/testdata/pytorch/%s", MC_SOURCE_DIR, name);
	return tu_read_file(path, len);
}

static mc_reader *open_ok(const char *path)
{
	mc_reader *r = NULL;
	if (mc_reader_open(&r, path) != 0)
		fail_msg("%s: %s", path, mc_error_last()->msg);
	return r;
}

static mc_reader *open_mem_ok(const uint8_t *p, size_t len, const char *name, const char *fmt)
{
	mc_reader *r = NULL;
	if (mc_reader_open_memory(&r, p, len, name, fmt) != 0)
		fail_msg("%s: %s", name, mc_error_last()->msg);
	return r;
}

static void hex(char out[65], const uint8_t md[32])
{
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static const char *sha_of(mc_reader *r, const char *name, char out[65])
{
	int64_t i = mc_reader_find(r, name);
	uint8_t md[32];

	if (i < 0)
		fail_msg("no tensor '%s'", name);
	if (mc_reader_sha256(md, r, (size_t)i) != 0)
		fail_msg("hash '%s': %s", name, mc_error_last()->msg);
	hex(out, md);
	return out;
}

static const mc_tensor_info *tensor(const mc_reader *r, const char *name)
{
	int64_t i = mc_reader_find(r, name);
	if (i < 0)
		fail_msg("no tensor '%s'", name);
	return mc_reader_tensor(r, (size_t)i);
}

/* ---- every fixture against its expected file ----------------------------- */

/* Compare a reader with testdata/expected/<json>: format, tensor names in
 * order, dtypes, shapes, sizes and hashes. */
static void match_expected(mc_reader *r, const char *json_path)
{
	size_t len;
	char *text = (char *)tu_read_file(json_path, &len);
	cJSON *root, *tensors, *t;
	size_t i = 0;

	text[len] = '\0';
	root = cJSON_Parse(text);
	free(text);
	assert_non_null(root);
	assert_string_equal(mc_reader_format(r),
	                    cJSON_GetObjectItem(root, "format")->valuestring);
	tensors = cJSON_GetObjectItem(root, "tensors");
	assert_int_equal(mc_reader_count(r), (size_t)cJSON_GetArraySize(tensors));
	cJSON_ArrayForEach(t, tensors) {
		const mc_tensor_info *info = mc_reader_tensor(r, i);
		cJSON *shape = cJSON_GetObjectItem(t, "shape"), *d;
		uint8_t md[32];
		char h[65];
		int k = 0;
		assert_string_equal(info->name, cJSON_GetObjectItem(t, "name")->valuestring);
		assert_string_equal(mc_dtype_name(info->dtype),
		                    cJSON_GetObjectItem(t, "dtype")->valuestring);
		assert_int_equal(info->shape.ndim, cJSON_GetArraySize(shape));
		cJSON_ArrayForEach(d, shape) {
			assert_int_equal(info->shape.dims[k], (int64_t)d->valuedouble);
			k++;
		}
		assert_int_equal(info->nbytes, (uint64_t)cJSON_GetObjectItem(t, "nbytes")->valuedouble);
		if (mc_reader_sha256(md, r, i) != 0)
			fail_msg("%s: hash '%s': %s", json_path, info->name, mc_error_last()->msg);
		hex(h, md);
		if (strcmp(h, cJSON_GetObjectItem(t, "sha256")->valuestring) != 0)
			fail_msg("%s: tensor '%s' hashes to %s", json_path, info->name, h);
		i++;
	}
	cJSON_Delete(root);
}

static void test_fixtures_match_expected(void **state)
{
	char dir[1024], json[2048], path[2048];
	DIR *d;
	struct dirent *de;
	size_t n = 0;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/testdata/expected", MC_SOURCE_DIR);
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d))) {
		size_t nlen = strlen(de->d_name), len;
		uint8_t *bytes;
		mc_reader *r;
		if (strncmp(de->d_name, "pytorch__", 9) != 0 || nlen < 14 ||
		    strcmp(de->d_name + nlen - 5, ".json") != 0)
			continue;
		snprintf(json, sizeof(json), "%s/%s", dir, de->d_name);
		snprintf(path, sizeof(path), "%s/testdata/pytorch/%.*s", MC_SOURCE_DIR,
		         (int)(nlen - 9 - 5), de->d_name + 9);
		/* mapped from the file, sniffed */
		r = open_ok(path);
		match_expected(r, json);
		mc_reader_close(r);
		/* from memory, as the named format */
		bytes = tu_read_file(path, &len);
		r = open_mem_ok(bytes, len, path, mc_format_sniff(bytes, len)->name);
		match_expected(r, json);
		mc_reader_close(r);
		free(bytes);
		n++;
	}
	closedir(d);
	assert_true(n >= 27);
}

/* ---- state dicts, checkpoints, views ------------------------------------- */

static const char *const state_names[] = {
	"conv.weight", "conv.bias", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var",
	"bn.num_batches_tracked", "fc.weight", "fc.bias",
};

static void test_state_dicts_agree(void **state)
{
	static const char *const files[] = {
		"state_dict_p2.pt", "state_dict_p3.pt", "state_dict_p4.pt", "state_dict_p5.pt",
		"state_dict_legacy_p2.pt", "state_dict_legacy_p3.pt", "state_dict_legacy_p4.pt",
		"state_dict_legacy_p5.pt", "torch2_layout.pt",
	};
	char first[9][65];

	(void)state;
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		char path[1024];
		mc_reader *r;
		snprintf(path, sizeof(path), "%s/testdata/pytorch/%s", MC_SOURCE_DIR, files[f]);
		r = open_ok(path);
		assert_string_equal(mc_reader_format(r),
		                    strstr(files[f], "legacy") ? "pytorch-legacy" : "pytorch");
		assert_int_equal(mc_reader_count(r), 9);
		for (size_t i = 0; i < 9; i++) {
			char h[65];
			assert_string_equal(mc_reader_tensor(r, i)->name, state_names[i]);
			sha_of(r, state_names[i], h);
			if (f == 0)
				memcpy(first[i], h, 65);
			else
				assert_string_equal(h, first[i]);
		}
		{
			const mc_tensor_info *t = tensor(r, "conv.weight");
			assert_int_equal(t->dtype, MC_FLOAT32);
			assert_int_equal(t->shape.ndim, 4);
			assert_int_equal(t->shape.dims[0], 4);
			assert_int_equal(t->shape.dims[3], 3);
			t = tensor(r, "bn.num_batches_tracked");
			assert_int_equal(t->dtype, MC_INT64);
			assert_int_equal(t->shape.ndim, 0);
			assert_int_equal(t->nbytes, 8);
		}
		mc_reader_close(r);
	}
}

static void test_checkpoint_values(void **state)
{
	static const char *const files[] = {"checkpoint.pt", "checkpoint_legacy.pt"};

	(void)state;
	for (size_t f = 0; f < 2; f++) {
		char path[1024];
		mc_reader *r;
		const mc_value *v, *x;
		mc_selection sel;
		snprintf(path, sizeof(path), "%s/testdata/pytorch/%s", MC_SOURCE_DIR, files[f]);
		r = open_ok(path);
		v = mc_reader_values(r);
		assert_non_null(v);
		assert_int_equal(v->kind, MC_VALUE_DICT);
		x = mc_value_dict_get(v, "epoch");
		assert_non_null(x);
		assert_int_equal(x->kind, MC_VALUE_INT);
		assert_int_equal(x->u.i, 7);
		x = mc_value_dict_get(v, "best_val_loss");
		assert_int_equal(x->kind, MC_VALUE_FLOAT);
		assert_true(x->u.f == 0.4321);
		x = mc_value_find(v, "config.model.channels");
		assert_non_null(x);
		assert_int_equal(mc_value_len(x), 2);
		x = mc_value_find(v, "config.optimizer.betas");
		assert_non_null(x);
		assert_int_equal(x->kind, MC_VALUE_TUPLE);
		x = mc_value_find(v, "labels.1");
		assert_non_null(x);
		assert_string_equal(x->u.s.p, "defect");
		x = mc_value_find(v, "config.notes");
		assert_int_equal(x->kind, MC_VALUE_NONE);
		/* tensors inside the tree point at their names */
		x = mc_value_find(v, "model_state.fc.weight");
		assert_non_null(x);
		assert_int_equal(x->kind, MC_VALUE_TENSOR);
		assert_string_equal(mc_reader_tensor(r, x->u.tensor)->name, "model_state.fc.weight");
		/* optimizer state keyed by int: names in decimal */
		for (int p = 0; p < 6; p++) {
			char name[64];
			snprintf(name, sizeof(name), "optimizer_state.state.%d.exp_avg", p);
			assert_true(mc_reader_find(r, name) >= 0);
			snprintf(name, sizeof(name), "optimizer_state.state.%d.step", p);
			assert_true(mc_reader_find(r, name) >= 0);
		}
		x = mc_value_find(v, "optimizer_state.param_groups.0.lr");
		assert_non_null(x);
		assert_true(x->kind == MC_VALUE_FLOAT && x->u.f == 1e-3);
		x = mc_value_find(v, "optimizer_state.param_groups.0.params");
		assert_int_equal(mc_value_len(x), 6);
		/* --key selects the state dict, named relative to it */
		assert_int_equal(mc_select(&sel, r, "model_state"), 0);
		assert_int_equal(sel.n, 9);
		for (size_t i = 0; i < 9; i++)
			assert_string_equal(sel.name[i], state_names[i]);
		mc_selection_release(&sel);
		assert_int_equal(mc_select(&sel, r, "optimizer_state.state.0"), 0);
		assert_int_equal(sel.n, 3);
		mc_selection_release(&sel);
		mc_reader_close(r);
	}
}

static void test_views_share_storage(void **state)
{
	static const char *const files[] = {"views.pt", "views_legacy.pt"};

	(void)state;
	for (size_t f = 0; f < 2; f++) {
		char path[1024];
		mc_reader *r;
		mc_view base, tr, sl, col, third, exp, ta, tb;
		uint8_t *d;
		size_t n;
		const mc_value *va, *vb;
		snprintf(path, sizeof(path), "%s/testdata/pytorch/%s", MC_SOURCE_DIR, files[f]);
		r = open_ok(path);
		assert_int_equal(mc_reader_read(r, (size_t)mc_reader_find(r, "base"), &base), 0);
		assert_int_equal(mc_reader_read(r, (size_t)mc_reader_find(r, "transposed"), &tr), 0);
		assert_int_equal(mc_reader_read(r, (size_t)mc_reader_find(r, "slice"), &sl), 0);
		assert_int_equal(mc_reader_read(r, (size_t)mc_reader_find(r, "column"), &col), 0);
		assert_int_equal(mc_reader_read(r, (size_t)mc_reader_find(r, "every_third"), &third), 0);
		assert_int_equal(mc_reader_read(r, (size_t)mc_reader_find(r, "expanded"), &exp), 0);
		assert_int_equal(mc_reader_read(r, (size_t)mc_reader_find(r, "tied_a"), &ta), 0);
		assert_int_equal(mc_reader_read(r, (size_t)mc_reader_find(r, "tied_b"), &tb), 0);
		/* one storage, in place: pointers into the same bytes */
		assert_ptr_equal(tr.data, base.data);
		assert_ptr_equal(sl.data, base.data + 6 * 4);
		assert_ptr_equal(col.data, base.data + 4);
		assert_ptr_equal(third.data, base.data + 4);
		assert_ptr_equal(ta.data, tb.data);
		assert_null(base.owned);
		assert_true(mc_view_is_dense(&base));
		assert_false(mc_view_is_dense(&tr));
		assert_int_equal(tr.strides[0], 1);
		assert_int_equal(tr.strides[1], 4);
		assert_int_equal(third.strides[0], 3);
		assert_int_equal(exp.strides[0], 0);
		/* the transposed view reads as the transpose: 0 4 8 1 5 9 ... */
		assert_int_equal(mc_view_to_dense(&d, &n, &tr), 0);
		assert_int_equal(n, 48);
		{
			float want[12], got[12];
			for (int i = 0; i < 4; i++)
				for (int j = 0; j < 3; j++)
					want[i * 3 + j] = (float)(j * 4 + i);
			memcpy(got, d, sizeof(got));
			assert_memory_equal(got, want, sizeof(want));
		}
		free(d);
		assert_int_equal(mc_view_to_dense(&d, &n, &sl), 0);
		{
			float got[4], want[4] = {6, 7, 10, 11};
			memcpy(got, d, sizeof(got));
			assert_memory_equal(got, want, sizeof(want));
		}
		free(d);
		/* tied weights: two names, two tensor entries, one data */
		va = mc_value_dict_get(mc_reader_values(r), "tied_a");
		vb = mc_value_dict_get(mc_reader_values(r), "tied_b");
		assert_int_equal(va->kind, MC_VALUE_TENSOR);
		assert_int_equal(vb->kind, MC_VALUE_TENSOR);
		assert_int_not_equal(va->u.tensor, vb->u.tensor);
		assert_string_equal(mc_reader_tensor(r, vb->u.tensor)->name, "tied_b");
		assert_int_equal(tensor(r, "empty")->nbytes, 0);
		assert_int_equal(tensor(r, "scalar")->shape.ndim, 0);
		assert_int_equal(tensor(r, "param")->dtype, MC_FLOAT32);
		mc_view_release(&base);
		mc_view_release(&tr);
		mc_view_release(&sl);
		mc_view_release(&col);
		mc_view_release(&third);
		mc_view_release(&exp);
		mc_view_release(&ta);
		mc_view_release(&tb);
		mc_reader_close(r);
	}
}

static void test_bare_tensor_and_list(void **state)
{
	size_t len;
	uint8_t *p;
	mc_reader *r;
	const mc_value *v;

	(void)state;
	r = open_ok(FIXTURE("bare_tensor.pt"));
	assert_int_equal(mc_reader_count(r), 1);
	assert_string_equal(mc_reader_tensor(r, 0)->name, "bare_tensor");
	assert_null(mc_reader_values(r));
	mc_reader_close(r);
	/* named after the stem of the name it was opened under */
	p = fixture("bare_tensor_legacy.pt", &len);
	r = open_mem_ok(p, len, "/some/dir/pytorch_model.bin", NULL);
	assert_string_equal(mc_reader_format(r), "pytorch-legacy");
	assert_string_equal(mc_reader_tensor(r, 0)->name, "pytorch_model");
	mc_reader_close(r);
	free(p);
	r = open_ok(FIXTURE("top_list.pt"));
	assert_int_equal(mc_reader_count(r), 3);
	assert_string_equal(mc_reader_tensor(r, 0)->name, "0");
	assert_string_equal(mc_reader_tensor(r, 1)->name, "1");
	assert_string_equal(mc_reader_tensor(r, 2)->name, "2.x");
	v = mc_reader_values(r);
	assert_int_equal(v->kind, MC_VALUE_LIST);
	assert_int_equal(mc_value_find(v, "2.n")->u.i, 5);
	assert_string_equal(mc_value_find(v, "3")->u.s.p, "label");
	mc_reader_close(r);
}

static void test_big_endian_archive(void **state)
{
	mc_reader *le, *be;
	mc_view v;

	(void)state;
	le = open_ok(FIXTURE("dtypes.pt"));
	be = open_ok(FIXTURE("big_endian.pt"));
	assert_int_equal(mc_reader_count(le), mc_reader_count(be));
	for (size_t i = 0; i < mc_reader_count(le); i++) {
		const char *name = mc_reader_tensor(le, i)->name;
		char a[65], b[65];
		assert_string_equal(name, mc_reader_tensor(be, i)->name);
		assert_string_equal(sha_of(le, name, a), sha_of(be, name, b));
	}
	assert_int_equal(mc_reader_read(be, (size_t)mc_reader_find(be, "float32"), &v), 0);
	assert_true(v.swap);
	mc_view_release(&v);
	assert_int_equal(mc_reader_read(be, (size_t)mc_reader_find(be, "bool"), &v), 0);
	assert_false(v.swap);
	mc_view_release(&v);
	mc_reader_close(le);
	mc_reader_close(be);
}

static void test_numpy_inside_checkpoint(void **state)
{
	static const char *const files[] = {"numpy_values.pt", "numpy_values_legacy.pt"};

	(void)state;
	for (size_t f = 0; f < 2; f++) {
		char path[1024];
		mc_reader *r;
		mc_view v;
		snprintf(path, sizeof(path), "%s/testdata/pytorch/%s", MC_SOURCE_DIR, files[f]);
		r = open_ok(path);
		assert_int_equal(tensor(r, "fortran")->dtype, MC_INT64);
		assert_int_equal(mc_reader_read(r, (size_t)mc_reader_find(r, "fortran"), &v), 0);
		assert_int_equal(v.strides[0], 1);
		assert_int_equal(v.strides[1], 2);
		mc_view_release(&v);
		assert_int_equal(mc_reader_read(r, (size_t)mc_reader_find(r, "tensor"), &v), 0);
		assert_int_equal(v.dtype, MC_FLOAT16);
		mc_view_release(&v);
		assert_int_equal(mc_value_find(mc_reader_values(r), "plain.steps.2")->u.i, 3);
		mc_reader_close(r);
	}
}

/* ---- building hostile archives -------------------------------------------- */

typedef struct ent {
	const char *name;
	const void *data;
	size_t len;
	bool deflate;
} ent;

static uint8_t *make_zip(size_t *len, const ent *e, size_t n)
{
	FILE *fp = tmpfile();
	mc_zip_writer *w = NULL;
	uint8_t *p;

	assert_non_null(fp);
	assert_int_equal(mc_zip_writer_open(&w, fp, "test.pt"), 0);
	for (size_t i = 0; i < n; i++)
		if (mc_zip_writer_add_buffer(w, e[i].name, e[i].deflate ? MC_ZIP_DEFLATED : MC_ZIP_STORED,
		                             e[i].data, e[i].len) != 0)
			fail_msg("add %s: %s", e[i].name, mc_error_last()->msg);
	assert_int_equal(mc_zip_writer_finish(w), 0);
	mc_zip_writer_free(w);
	p = tu_read_stream(fp, len);
	fclose(fp);
	return p;
}

/* A fixture's entries, with their bytes (malloc'd, freed by free_ents). */
typedef struct ents {
	ent e[64];
	uint8_t *bufs[64];
	char *names[64];
	size_t n;
} ents;

static void load_ents(ents *out, const char *name)
{
	size_t len;
	uint8_t *p = fixture(name, &len);
	mc_zip *z = NULL;

	memset(out, 0, sizeof(*out));
	if (mc_zip_open(&z, p, len, name) != 0)
		fail_msg("%s: %s", name, mc_error_last()->msg);
	out->n = mc_zip_count(z);
	assert_true(out->n <= 60);
	for (size_t i = 0; i < out->n; i++) {
		const mc_zip_entry *e = mc_zip_entry_at(z, i);
		size_t n;
		assert_int_equal(mc_zip_read(&out->bufs[i], &n, z, e), 0);
		out->names[i] = strdup(e->name);
		out->e[i].name = out->names[i];
		out->e[i].data = out->bufs[i];
		out->e[i].len = n;
	}
	mc_zip_free(z);
	free(p);
}

static void free_ents(ents *x)
{
	for (size_t i = 0; i < 64; i++) {
		free(x->bufs[i]);
		free(x->names[i]);
	}
}

static ent *find_ent(ents *x, const char *suffix)
{
	for (size_t i = 0; i < x->n; i++) {
		size_t a = strlen(x->e[i].name), b = strlen(suffix);
		if (a >= b && strcmp(x->e[i].name + a - b, suffix) == 0)
			return &x->e[i];
	}
	fail_msg("no entry ending in %s", suffix);
	return NULL;
}

static void drop_ent(ents *x, const char *suffix)
{
	ent *e = find_ent(x, suffix);
	size_t i = (size_t)(e - x->e);
	memmove(&x->e[i], &x->e[i + 1], (x->n - i - 1) * sizeof(x->e[0]));
	x->n--;
}

static void add_ent(ents *x, const char *name, const void *data, size_t len)
{
	x->e[x->n].name = name;
	x->e[x->n].data = data;
	x->e[x->n].len = len;
	x->e[x->n].deflate = false;
	x->n++;
}

static int open_ents(const ents *x, const char *fmt)
{
	size_t len;
	uint8_t *p = make_zip(&len, x->e, x->n);
	int rc = tu_open_read_all(p, len, "test.pt", fmt);
	free(p);
	return rc;
}

static void test_zip_entries_refused(void **state)
{
	static const char middle[] = "middle", v99[] = "99\n", vx[] = "three\n";
	static const char code[] = "def forward(self): ...\n", junk[] = "junk";
	static const uint8_t pkl[] = {0x80, 0x02, 'N', '.'};
	static const struct {
		const char *add;     /* entry to add (below the prefix), or NULL */
		const char *drop;    /* entry to drop (suffix), or NULL */
		const char *replace; /* entry whose bytes are replaced (suffix), or NULL */
		const void *data;
		size_t len;
		int code;
		const char *fragment;
	} cases[] = {
		{"extra.pkl", NULL, NULL, pkl, sizeof(pkl), MC_ECORRUPT, "extra pickle"},
		{"code/__torch__/model.py", NULL, NULL, code, sizeof(code) - 1, MC_EUNSAFE, "TorchScript"},
		{"constants.pkl", NULL, NULL, pkl, sizeof(pkl), MC_EUNSAFE, "TorchScript"},
		{".data/extern_modules", NULL, NULL, junk, 4, MC_EUNSAFE, "torch.package"},
		{"model/module.py", NULL, NULL, code, sizeof(code) - 1, MC_EUNSAFE, "torch.package"},
		{"data/99", NULL, NULL, junk, 4, MC_ECORRUPT, "not used by data.pkl"},
		{"notes.txt", NULL, NULL, junk, 4, MC_ECORRUPT, "unexpected entry"},
		{"data/0/x", NULL, NULL, junk, 4, MC_ECORRUPT, "unexpected entry"},
		{"byteorder", NULL, NULL, middle, 6, MC_ECORRUPT, "neither 'little' nor 'big'"},
		{".format_version", NULL, NULL, junk, 4, MC_ECORRUPT, "not a decimal number"},
		{".data/version", NULL, NULL, "3\n", 2, MC_ECORRUPT, "two version records"},
		{NULL, "/version", NULL, NULL, 0, MC_ECORRUPT, "no 'state_dict_p2/version'"},
		{NULL, "/data.pkl", NULL, NULL, 0, MC_ECORRUPT, "no 'state_dict_p2/data.pkl'"},
		{NULL, "/data/1", NULL, NULL, 0, MC_ECORRUPT, "no entry 'state_dict_p2/data/1'"},
		{NULL, NULL, "/version", v99, 3, MC_EUNSUPPORTED, "format version 99"},
		{NULL, NULL, "/version", vx, 6, MC_ECORRUPT, "not a decimal number"},
		{NULL, NULL, "/data/1", junk, 4, MC_ECORRUPT, "holds 4 bytes but its persistent id"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ents x;
		char name[256];
		load_ents(&x, "state_dict_p2.pt");
		if (cases[i].add) {
			snprintf(name, sizeof(name), "state_dict_p2/%s", cases[i].add);
			add_ent(&x, name, cases[i].data, cases[i].len);
		}
		if (cases[i].drop)
			drop_ent(&x, cases[i].drop);
		if (cases[i].replace) {
			ent *e = find_ent(&x, cases[i].replace);
			e->data = cases[i].data;
			e->len = cases[i].len;
		}
		tu_assert_fails_as(cases[i].fragment, open_ents(&x, "pytorch"), cases[i].code,
		                   cases[i].fragment);
		free_ents(&x);
	}
	/* an entry outside the prefix directory */
	{
		ents x;
		load_ents(&x, "state_dict_p2.pt");
		add_ent(&x, "other/data.pkl", pkl, sizeof(pkl));
		tu_assert_fails(open_ents(&x, "pytorch"), MC_ECORRUPT, "outside the archive's prefix");
		free_ents(&x);
	}
	/* the archive rebuilt unchanged by another zip writer still reads */
	{
		ents x;
		load_ents(&x, "checkpoint.pt");
		assert_int_equal(open_ents(&x, NULL), 0);
		free_ents(&x);
	}
}

static void test_zip_records(void **state)
{
	static const char big[] = "big";
	ents x;
	size_t len;
	uint8_t *p;
	mc_reader *r, *ref;
	mc_view v;

	(void)state;
	/* a byteorder record "big": the same storages now read byte-swapped */
	load_ents(&x, "state_dict_p2.pt");
	add_ent(&x, "state_dict_p2/byteorder", big, 3);
	p = make_zip(&len, x.e, x.n);
	r = open_mem_ok(p, len, "be.pt", NULL);
	ref = open_ok(FIXTURE("state_dict_p2.pt"));
	assert_int_equal(mc_reader_read(r, 0, &v), 0);
	assert_true(v.swap);
	mc_view_release(&v);
	{
		char a[65], b[65];
		assert_string_not_equal(sha_of(r, "fc.weight", a), sha_of(ref, "fc.weight", b));
	}
	mc_reader_close(r);
	mc_reader_close(ref);
	free(p);
	free_ents(&x);
	/* torch 2.x records read */
	r = open_ok(FIXTURE("torch2_layout.pt"));
	assert_int_equal(mc_reader_count(r), 9);
	mc_reader_close(r);
}

/* Deflated entries (which torch never writes) read the same. */
static void test_zip_deflated(void **state)
{
	static const char *const files[] = {"views.pt", "numpy_values.pt", "checkpoint.pt"};

	(void)state;
	for (size_t f = 0; f < 3; f++) {
		char path[1024];
		ents x;
		size_t len;
		uint8_t *p;
		mc_reader *r, *ref;
		load_ents(&x, files[f]);
		for (size_t i = 0; i < x.n; i++)
			x.e[i].deflate = true;
		p = make_zip(&len, x.e, x.n);
		r = open_mem_ok(p, len, files[f], NULL);
		snprintf(path, sizeof(path), "%s/testdata/pytorch/%s", MC_SOURCE_DIR, files[f]);
		ref = open_ok(path);
		assert_int_equal(mc_reader_count(r), mc_reader_count(ref));
		for (size_t i = 0; i < mc_reader_count(r); i++) {
			char a[65], b[65];
			const char *name = mc_reader_tensor(ref, i)->name;
			assert_string_equal(sha_of(r, name, a), sha_of(ref, name, b));
		}
		mc_reader_close(r);
		mc_reader_close(ref);
		free(p);
		free_ents(&x);
	}
}

static void test_zip_crc(void **state)
{
	size_t len, at;
	uint8_t *p = fixture("state_dict_p2.pt", &len);
	mc_reader *r, *ref;
	mc_zip *z = NULL;
	mc_view v;
	int64_t i;
	char before[65], after[65];

	(void)state;
	/* a storage's bytes changed: its tensors read in place without a CRC
	 * pass (as torch.load reads them), and hash differently */
	assert_int_equal(mc_zip_open(&z, p, len, "t"), 0);
	i = mc_zip_index(z, "state_dict_p2/data/0");
	assert_true(i >= 0);
	at = (size_t)mc_zip_entry_at(z, (size_t)i)->data_offset;
	mc_zip_free(z);
	ref = open_mem_ok(p, len, "ref.pt", NULL);
	sha_of(ref, "conv.weight", before);
	mc_reader_close(ref);
	p[at] ^= 1;
	r = open_mem_ok(p, len, "crc.pt", NULL);
	assert_int_equal(mc_reader_read(r, (size_t)mc_reader_find(r, "conv.weight"), &v), 0);
	assert_ptr_equal(v.data, p + at);
	mc_view_release(&v);
	assert_string_not_equal(sha_of(r, "conv.weight", after), before);
	mc_reader_close(r);
	p[at] ^= 1;
	/* data.pkl's bytes changed: refused at open */
	assert_int_equal(mc_zip_open(&z, p, len, "t"), 0);
	at = (size_t)mc_zip_entry_at(z, (size_t)mc_zip_index(z, "state_dict_p2/data.pkl"))->data_offset;
	mc_zip_free(z);
	p[at + 3] ^= 0x20;
	tu_assert_fails(mc_reader_open_memory(&r, p, len, "crc.pt", NULL), MC_ECORRUPT,
	                "crc-32 mismatch");
	free(p);
}

/* ---- hand-written pickles ------------------------------------------------------ */

typedef struct pbuf {
	uint8_t p[4096];
	size_t n;
} pbuf;

static void pb_raw(pbuf *b, const void *d, size_t n)
{
	assert_true(b->n + n <= sizeof(b->p));
	memcpy(b->p + b->n, d, n);
	b->n += n;
}

static void pb_op(pbuf *b, uint8_t op) { pb_raw(b, &op, 1); }

static void pb_str(pbuf *b, const char *s)
{
	uint8_t len[4];
	mc_store_u32le(len, (uint32_t)strlen(s));
	pb_op(b, 'X');
	pb_raw(b, len, 4);
	pb_raw(b, s, strlen(s));
}

static void pb_int(pbuf *b, int64_t v)
{
	uint8_t w[8];
	if (v >= 0 && v < 256) {
		pb_op(b, 'K');
		pb_op(b, (uint8_t)v);
	} else if (v >= INT32_MIN && v <= INT32_MAX) {
		pb_op(b, 'J');
		mc_store_u32le(w, (uint32_t)(int32_t)v);
		pb_raw(b, w, 4);
	} else {
		pb_op(b, 0x8a); /* LONG1 */
		pb_op(b, 8);
		mc_store_u64le(w, (uint64_t)v);
		pb_raw(b, w, 8);
	}
}

static void pb_global(pbuf *b, const char *module, const char *name)
{
	pb_op(b, 'c');
	pb_raw(b, module, strlen(module));
	pb_op(b, '\n');
	pb_raw(b, name, strlen(name));
	pb_op(b, '\n');
}

static void pb_ints(pbuf *b, const int64_t *v, int n)
{
	pb_op(b, '(');
	for (int i = 0; i < n; i++)
		pb_int(b, v[i]);
	pb_op(b, 't');
}

/* One tensor description for tensor_pickle. */
typedef struct ptensor {
	const char *name;
	const char *storage_type; /* "FloatStorage" */
	const char *key;
	int64_t numel;
	int64_t offset;
	int ndim;
	int64_t size[4], stride[4];
	const char *dtype; /* set: _rebuild_tensor_v3 with torch.<dtype> */
} ptensor;

/* {name: _rebuild_tensor_v2(persistent_load(('storage', torch.<type>, key,
 * 'cpu', numel)), offset, size, stride, False, OrderedDict()), ...} */
static void tensor_pickle(pbuf *b, const ptensor *t, size_t n, bool legacy)
{
	b->n = 0;
	pb_raw(b, "\x80\x02}(", 4);
	for (size_t i = 0; i < n; i++) {
		pb_str(b, t[i].name);
		pb_global(b, "torch._utils", t[i].dtype ? "_rebuild_tensor_v3" : "_rebuild_tensor_v2");
		pb_op(b, '(');
		pb_op(b, '(');
		pb_str(b, "storage");
		pb_global(b, "torch", t[i].storage_type);
		pb_str(b, t[i].key);
		pb_str(b, "cpu");
		pb_int(b, t[i].numel);
		if (legacy)
			pb_op(b, 'N');
		pb_op(b, 't');
		pb_op(b, 'Q'); /* BINPERSID */
		pb_int(b, t[i].offset);
		pb_ints(b, t[i].size, t[i].ndim);
		pb_ints(b, t[i].stride, t[i].ndim);
		pb_op(b, 0x89); /* NEWFALSE */
		pb_global(b, "collections", "OrderedDict");
		pb_op(b, ')');
		pb_op(b, 'R');
		if (t[i].dtype)
			pb_global(b, "torch", t[i].dtype);
		pb_op(b, 't');
		pb_op(b, 'R');
	}
	pb_raw(b, "u.", 2);
}

/* An archive of data.pkl and `nstor` float32 storages of 8 bytes, keys "0".. */
static int open_tensor_archive(const ptensor *t, size_t n, size_t nstor, const char *fmt)
{
	static const uint8_t zeros[64];
	static const char *const keys[] = {"archive/data/0", "archive/data/1", "archive/data/2"};
	pbuf b;
	ent e[8];
	size_t k = 0, len;
	uint8_t *p;
	int rc;

	tensor_pickle(&b, t, n, false);
	e[k++] = (ent){"archive/data.pkl", b.p, b.n, false};
	for (size_t i = 0; i < nstor; i++)
		e[k++] = (ent){keys[i], zeros, 8, false};
	e[k++] = (ent){"archive/version", "3\n", 2, false};
	p = make_zip(&len, e, k);
	rc = tu_open_read_all(p, len, "hand.pt", fmt);
	free(p);
	return rc;
}

static void test_zip_tensor_checks(void **state)
{
	static const struct {
		ptensor t[2];
		size_t n;
		int code;
		const char *fragment;
	} cases[] = {
		/* fits exactly: accepted */
		{{{"w", "FloatStorage", "0", 2, 0, 1, {2}, {1}}}, 1, 0, NULL},
		{{{"w", "FloatStorage", "0", 2, 1, 1, {1}, {1}}}, 1, 0, NULL},
		{{{"w", "FloatStorage", "0", 2, 5, 1, {0}, {1}}}, 1, 0, NULL}, /* empty: not checked */
		{{{"w", "FloatStorage", "0", 2, 0, 2, {2, 2}, {0, 1}}}, 1, 0, NULL},
		{{{"w", "FloatStorage", "0", 2, 0, 1, {3}, {1}}}, 1, MC_ECORRUPT,
		 "needs 12 bytes of storage '0', which holds 8"},
		{{{"w", "FloatStorage", "0", 2, 0, 1, {2}, {2}}}, 1, MC_ECORRUPT, "needs 12 bytes"},
		{{{"w", "FloatStorage", "0", 2, 2, 1, {1}, {1}}}, 1, MC_ECORRUPT, "at storage offset 2"},
		{{{"w", "FloatStorage", "0", 2, 0, 1, {2}, {INT64_MAX}}}, 1, MC_ELIMIT, "overflow"},
		{{{"w", "FloatStorage", "0", 2, INT64_MAX / 2, 1, {1}, {1}}}, 1, MC_ELIMIT, "overflow"},
		{{{"w", "FloatStorage", "0", 2, 0, 2, {INT64_C(1) << 62, INT64_C(1) << 62}, {1, 1}}}, 1,
		 MC_ELIMIT, "overflow"},
		{{{"w", "FloatStorage", "0", 3, 0, 1, {2}, {1}}}, 1, MC_ECORRUPT,
		 "holds 8 bytes but its persistent id says 3 float32 elements"},
		{{{"w", "DoubleStorage", "0", 2, 0, 1, {2}, {1}}}, 1, MC_ECORRUPT, "holds 8 bytes"},
		{{{"w", "FloatStorage", "0", -1, 0, 1, {2}, {1}}}, 1, MC_ECORRUPT, "is negative"},
		{{{"w", "FloatStorage", "7", 2, 0, 1, {2}, {1}}}, 1, MC_ECORRUPT,
		 "no entry 'archive/data/7'"},
		{{{"w", "FloatStorage", "../version", 2, 0, 1, {2}, {1}}}, 1, MC_ECORRUPT, "../version"},
		{{{"w", "FloatStorage", "0", 2, 0, 1, {2}, {1}}, {"v", "FloatStorage", "0", 1, 0, 1, {1},
		  {1}}}, 2, MC_ECORRUPT, "named as 1 float32 elements here but as 2"},
		{{{"w", "FloatStorage", "0", 2, 0, 1, {2}, {1}}, {"v", "IntStorage", "0", 2, 0, 1, {1},
		  {1}}}, 2, MC_ECORRUPT, "named as 2 int32 elements here"},
		{{{"w", "QInt8Storage", "0", 8, 0, 1, {2}, {1}}}, 1, MC_EUNSUPPORTED, "quantized"},
		{{{"w", "UntypedStorage", "0", 8, 0, 1, {2}, {1}}}, 1, MC_ECORRUPT,
		 "over untyped storage '0' names no dtype"},
		/* torch 2.x: _rebuild_tensor_v3 names the dtype over untyped bytes */
		{{{"w", "UntypedStorage", "0", 8, 0, 1, {4}, {1}, "uint16"}}, 1, 0, NULL},
		{{{"w", "UntypedStorage", "0", 8, 1, 1, {6}, {1}, "float8_e4m3fn"}}, 1, 0, NULL},
		{{{"w", "UntypedStorage", "0", 8, 0, 1, {5}, {1}, "uint16"}}, 1, MC_ECORRUPT,
		 "needs 10 bytes of storage '0', which holds 8"},
		{{{"w", "FloatStorage", "0", 2, 0, 1, {2}, {1}, "float32"}}, 1, 0, NULL},
		{{{"w", "FloatStorage", "0", 2, 0, 1, {2}, {1}, "int16"}}, 1, MC_ECORRUPT,
		 "tensor of dtype int16 over storage '0' of dtype float32"},
		{{{"w", "UntypedStorage", "0", 8, 0, 1, {2}, {1}, "Tensor"}}, 1, MC_ECORRUPT,
		 "dtype is"},
		/* a shared storage: two tensors, one entry */
		{{{"w", "FloatStorage", "0", 2, 0, 1, {2}, {1}}, {"v", "FloatStorage", "0", 2, 1, 1, {1},
		  {1}}}, 2, 0, NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = open_tensor_archive(cases[i].t, cases[i].n, 1, "pytorch");
		char what[32];
		snprintf(what, sizeof(what), "case %zu", i);
		if (cases[i].code == 0) {
			if (rc)
				fail_msg("%s: %s", what, mc_error_last()->msg);
		} else {
			tu_assert_fails_as(what, rc, cases[i].code, cases[i].fragment);
		}
	}
	/* a storage no tensor uses */
	{
		ptensor t = {"w", "FloatStorage", "0", 2, 0, 1, {2}, {1}};
		tu_assert_fails(open_tensor_archive(&t, 1, 2, "pytorch"), MC_ECORRUPT,
		                "'archive/data/1' is not used by data.pkl");
	}
}

static void test_zip_pickle_trailing(void **state)
{
	ents x;
	ent *e;
	uint8_t *longer;

	(void)state;
	load_ents(&x, "state_dict_p2.pt");
	e = find_ent(&x, "/data.pkl");
	longer = malloc(e->len + 3);
	memcpy(longer, e->data, e->len);
	memcpy(longer + e->len, "N..", 3);
	e->data = longer;
	e->len += 3;
	tu_assert_fails(open_ents(&x, "pytorch"), MC_ECORRUPT, "3 bytes after the STOP of data.pkl");
	free(longer);
	free_ents(&x);
}

/* ---- the legacy format ------------------------------------------------------------ */

static void test_legacy_refused(void **state)
{
	size_t len;
	uint8_t *p = fixture("bare_tensor_legacy.pt", &len), *q;
	mc_reader *r = NULL;

	(void)state;
	/* the last storage: u64 numel 10, then 10 int32 */
	assert_int_equal(mc_load_u64le(p + len - 48), 10);
	q = malloc(len + 1);
	memcpy(q, p, len);
	q[len] = 0;
	tu_assert_fails(mc_reader_open_memory(&r, q, len + 1, "t.pt", NULL), MC_ECORRUPT,
	                "1 bytes after the last storage");
	tu_assert_fails(mc_reader_open_memory(&r, q, len - 4, "t.pt", NULL), MC_ECORRUPT,
	                "truncated: storage");
	mc_store_u64le(q + len - 48, 11);
	tu_assert_fails(mc_reader_open_memory(&r, q, len, "t.pt", NULL), MC_ECORRUPT,
	                "has 11 elements here but 10");
	mc_store_u64le(q + len - 48, 10);
	assert_int_equal(tu_open_read_all(q, len, "t.pt", NULL), 0);
	/* a magic number that is not the literal constant */
	q[6] ^= 1;
	tu_assert_fails(mc_reader_open_memory(&r, q, len, "t.pt", "pytorch-legacy"), MC_ECORRUPT,
	                "magic number");
	assert_null(r);
	/* sniffed, it is some other pickle: then bytes after its STOP */
	tu_assert_fails(mc_reader_open_memory(&r, q, len, "t.pt", NULL), MC_ECORRUPT, "bytes after");
	free(q);
	free(p);
	/* a tar archive (torch 0.3 and earlier) */
	q = calloc(1, 2048);
	memcpy(q, "sys_info", 8);
	memcpy(q + 257, "ustar\0" "00", 8);
	tu_assert_fails(mc_reader_open_memory(&r, q, 2048, "old.pt", NULL), MC_EUNSUPPORTED, "tar");
	free(q);
}

/* A legacy file: the magic, version and sys_info pickles, the object,
 * keys and storages (float32, 2 elements each) as given. */
static int open_legacy(const ptensor *t, size_t n, const char *keys_pickle, size_t keys_len,
                       const char *storages, size_t stor_len)
{
	static const uint8_t head[] = {
		0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e,
		0x80, 0x02, 'M', 0xe9, 0x03, '.',
	};
	uint8_t file[8192];
	size_t k = 0;
	pbuf b;

	memcpy(file, head, sizeof(head));
	k = sizeof(head);
	/* {'protocol_version': 1001, 'little_endian': True, 'type_sizes': {}} */
	b.n = 0;
	pb_raw(&b, "\x80\x02}(", 4);
	pb_str(&b, "protocol_version");
	pb_int(&b, 1001);
	pb_str(&b, "little_endian");
	pb_op(&b, 0x88);
	pb_str(&b, "type_sizes");
	pb_raw(&b, "}u.", 3);
	memcpy(file + k, b.p, b.n);
	k += b.n;
	tensor_pickle(&b, t, n, true);
	memcpy(file + k, b.p, b.n);
	k += b.n;
	memcpy(file + k, keys_pickle, keys_len);
	k += keys_len;
	memcpy(file + k, storages, stor_len);
	k += stor_len;
	return tu_open_read_all(file, k, "hand.pt", "pytorch-legacy");
}

static void test_legacy_storages(void **state)
{
	/* ['a'] / ['a', 'b'] / ['b'] / ['a', 'a'] */
	static const char keys_a[] = "\x80\x02]X\x01\x00\x00\x00" "a" "a.";
	static const char keys_ab[] = "\x80\x02](X\x01\x00\x00\x00" "aX\x01\x00\x00\x00" "be.";
	static const char keys_b[] = "\x80\x02]X\x01\x00\x00\x00" "b" "a.";
	static const char keys_aa[] = "\x80\x02](X\x01\x00\x00\x00" "aX\x01\x00\x00\x00" "ae.";
	static const char one[] = "\x02\0\0\0\0\0\0\0" "\0\0\x80?\0\0\0@";
	static const char two[] = "\x02\0\0\0\0\0\0\0" "\0\0\x80?\0\0\0@" "\x02\0\0\0\0\0\0\0"
	                          "\0\0\x80?\0\0\0@";
	ptensor a = {"w", "FloatStorage", "a", 2, 0, 1, {2}, {1}};
	ptensor big = {"w", "FloatStorage", "a", 2, 0, 1, {4}, {1}};

	(void)state;
	assert_int_equal(open_legacy(&a, 1, keys_a, sizeof(keys_a) - 1, one, sizeof(one) - 1), 0);
	tu_assert_fails(open_legacy(&big, 1, keys_a, sizeof(keys_a) - 1, one, sizeof(one) - 1),
	                MC_ECORRUPT, "needs 16 bytes of storage 'a', which holds 8");
	tu_assert_fails(open_legacy(&a, 1, keys_b, sizeof(keys_b) - 1, one, sizeof(one) - 1),
	                MC_ECORRUPT, "storage 'a' named by the object pickle has no data");
	tu_assert_fails(open_legacy(&a, 1, keys_ab, sizeof(keys_ab) - 1, two, sizeof(two) - 1),
	                MC_ECORRUPT, "storage key 'b' names no storage");
	tu_assert_fails(open_legacy(&a, 1, keys_aa, sizeof(keys_aa) - 1, two, sizeof(two) - 1),
	                MC_ECORRUPT, "listed twice");
	tu_assert_fails(open_legacy(&a, 1, keys_a, sizeof(keys_a) - 1, one, sizeof(one) - 3),
	                MC_ECORRUPT, "truncated");
}

/* ---- scanning ---------------------------------------------------------------------- */

static bool has_finding(const mc_scan_report *rep, const char *kind, const char *detail,
                        bool unsafe)
{
	for (size_t i = 0; i < rep->count; i++)
		if (!strcmp(rep->findings[i].kind, kind) && strstr(rep->findings[i].detail, detail) &&
		    rep->findings[i].unsafe == unsafe)
			return true;
	return false;
}

static void scan_buffer(mc_scan_report *rep, const uint8_t *p, size_t len)
{
	char path[] = "/tmp/test_pytorch_XXXXXX";
	int fd = mkstemp(path);
	FILE *fp;

	assert_true(fd >= 0);
	fp = fdopen(fd, "wb");
	assert_int_equal(fwrite(p, 1, len, fp), len);
	fclose(fp);
	assert_int_equal(mc_scan_file(rep, path), 0);
	unlink(path);
}

static void test_scan(void **state)
{
	static const char code[] = "def forward(self): ...\n";
	mc_scan_report rep;
	ents x;
	size_t len;
	uint8_t *p;

	(void)state;
	assert_int_equal(mc_scan_file(&rep, FIXTURE("checkpoint.pt")), 0);
	assert_string_equal(rep.format, "pytorch");
	assert_int_equal(rep.verdict, MC_VERDICT_SAFE);
	assert_true(has_finding(&rep, "global", "torch._utils._rebuild_tensor_v2: allowed", false));
	assert_string_equal(rep.findings[0].entry, "checkpoint/data.pkl");
	mc_scan_report_release(&rep);
	assert_int_equal(mc_scan_file(&rep, FIXTURE("checkpoint_legacy.pt")), 0);
	assert_string_equal(rep.format, "pytorch-legacy");
	assert_int_equal(rep.verdict, MC_VERDICT_SAFE);
	assert_true(has_finding(&rep, "global", "collections.OrderedDict: allowed", false));
	mc_scan_report_release(&rep);
	/* TorchScript code: unsafe, named */
	load_ents(&x, "state_dict_p2.pt");
	add_ent(&x, "state_dict_p2/code/__torch__.py", code, sizeof(code) - 1);
	p = make_zip(&len, x.e, x.n);
	scan_buffer(&rep, p, len);
	assert_int_equal(rep.verdict, MC_VERDICT_UNSAFE);
	assert_true(has_finding(&rep, "code", "TorchScript", true));
	mc_scan_report_release(&rep);
	free(p);
	free_ents(&x);
	/* a CRC mismatch in a record: not readable as it stands */
	p = fixture("state_dict_p2.pt", &len);
	{
		mc_zip *z = NULL;
		assert_int_equal(mc_zip_open(&z, p, len, "t"), 0);
		p[mc_zip_entry_at(z, (size_t)mc_zip_index(z, "state_dict_p2/version"))->data_offset] ^= 1;
		mc_zip_free(z);
	}
	scan_buffer(&rep, p, len);
	assert_int_equal(rep.verdict, MC_VERDICT_ERROR);
	assert_true(has_finding(&rep, "integrity", "crc-32 mismatch", false));
	mc_scan_report_release(&rep);
	free(p);
}

/* ---- flattening ---------------------------------------------------------------------- */

static mc_reader *fake_reader(const char *path)
{
	mc_reader *r = calloc(1, sizeof(*r));
	assert_non_null(r);
	assert_int_equal(mc_map_wrap(&r->map, "", 0, path), 0);
	assert_int_equal(mc_arena_new(&r->arena, 1u << 22), 0);
	return r;
}

static mc_value *str(mc_arena *a, const char *s)
{
	return mc_value_new_str(a, MC_VALUE_STR, s, strlen(s));
}

static void test_flatten_names(void **state)
{
	static mc_flat_tensor rec = {0, MC_FLOAT32, {1, {2}}, 8};
	mc_reader *r = fake_reader("dir/model.v2.pt");
	mc_arena *a = r->arena;
	mc_value *root = mc_value_new(a, MC_VALUE_DICT), *inner = mc_value_new(a, MC_VALUE_DICT);
	mc_value *list = mc_value_new(a, MC_VALUE_LIST), *ph = mc_flat_placeholder(a, &rec);
	mc_value *big = mc_value_new_str(a, MC_VALUE_BIGINT, "123456789012345678901234567890", 30);
	mc_flat_tensor **recs = NULL;

	(void)state;
	assert_int_equal(mc_value_dict_set(a, inner, mc_value_new_int(a, -3), ph), 0);
	assert_int_equal(mc_value_dict_set(a, inner, big, ph), 0);
	assert_int_equal(mc_value_append(a, list, inner), 0);
	assert_int_equal(mc_value_append(a, list, mc_value_new_int(a, 1)), 0);
	assert_int_equal(mc_value_append(a, list, ph), 0);
	assert_int_equal(mc_value_dict_set(a, root, str(a, "layers"), list), 0);
	/* the same container again: its tensors get a second name */
	assert_int_equal(mc_value_dict_set(a, root, str(a, "again"), list), 0);
	assert_int_equal(mc_value_dict_set(a, root, str(a, "epoch"), mc_value_new_int(a, 3)), 0);
	assert_int_equal(mc_flatten(&recs, r, root), 0);
	assert_int_equal(mc_reader_count(r), 6);
	assert_string_equal(mc_reader_tensor(r, 0)->name, "layers.0.-3");
	assert_string_equal(mc_reader_tensor(r, 1)->name, "layers.0.123456789012345678901234567890");
	assert_string_equal(mc_reader_tensor(r, 2)->name, "layers.2");
	assert_string_equal(mc_reader_tensor(r, 3)->name, "again.0.-3");
	assert_string_equal(mc_reader_tensor(r, 5)->name, "again.2");
	for (size_t i = 0; i < 6; i++) {
		assert_ptr_equal(recs[i], &rec);
		assert_int_equal(mc_reader_tensor(r, i)->nbytes, 8);
	}
	assert_ptr_equal(mc_reader_values(r), root);
	assert_int_equal(mc_value_find(root, "layers.2")->kind, MC_VALUE_TENSOR);
	free(recs);
	mc_reader_close(r);
	/* a tensor alone is named after the file */
	r = fake_reader("dir/model.v2.pt");
	assert_int_equal(mc_flatten(&recs, r, mc_flat_placeholder(r->arena, &rec)), 0);
	assert_string_equal(mc_reader_tensor(r, 0)->name, "model.v2");
	assert_null(mc_reader_values(r));
	free(recs);
	mc_reader_close(r);
	r = fake_reader("/");
	assert_int_equal(mc_flatten(&recs, r, mc_flat_placeholder(r->arena, &rec)), 0);
	assert_string_equal(mc_reader_tensor(r, 0)->name, "tensor");
	free(recs);
	mc_reader_close(r);
	/* no tensors at all */
	r = fake_reader("x.pt");
	assert_int_equal(mc_flatten(&recs, r, mc_value_new_int(r->arena, 5)), 0);
	assert_int_equal(mc_reader_count(r), 0);
	assert_int_equal(mc_reader_values(r)->u.i, 5);
	free(recs);
	mc_reader_close(r);
}

static void test_flatten_refusals(void **state)
{
	static mc_flat_tensor rec = {0, MC_FLOAT32, {1, {2}}, 8};
	mc_flat_tensor **recs = NULL;
	mc_reader *r;
	mc_arena *a;
	mc_value *d, *e, *l, *t;

	(void)state;
	/* "a.b" and {"a": {"b"}} flatten to one name */
	r = fake_reader("x.pt");
	a = r->arena;
	d = mc_value_new(a, MC_VALUE_DICT);
	e = mc_value_new(a, MC_VALUE_DICT);
	mc_value_dict_set(a, d, str(a, "a.b"), mc_flat_placeholder(a, &rec));
	mc_value_dict_set(a, e, str(a, "b"), mc_flat_placeholder(a, &rec));
	mc_value_dict_set(a, d, str(a, "a"), e);
	tu_assert_fails(mc_flatten(&recs, r, d), MC_EUNSUPPORTED, "same name 'a.b'");
	mc_reader_close(r);
	/* a float key, a tuple key, a set */
	r = fake_reader("x.pt");
	a = r->arena;
	d = mc_value_new(a, MC_VALUE_DICT);
	mc_value_dict_set(a, d, mc_value_new_float(a, 0.5), mc_flat_placeholder(a, &rec));
	tu_assert_fails(mc_flatten(&recs, r, d), MC_EUNSUPPORTED, "dict key of type float");
	mc_reader_close(r);
	r = fake_reader("x.pt");
	a = r->arena;
	d = mc_value_new(a, MC_VALUE_DICT);
	mc_value_dict_set(a, d, mc_value_new_str(a, MC_VALUE_STR, "a\0b", 3),
	                  mc_flat_placeholder(a, &rec));
	tu_assert_fails(mc_flatten(&recs, r, d), MC_EUNSUPPORTED, "str with a NUL");
	mc_reader_close(r);
	r = fake_reader("x.pt");
	a = r->arena;
	d = mc_value_new(a, MC_VALUE_DICT);
	mc_value_dict_set(a, d, mc_value_new(a, MC_VALUE_TUPLE), mc_value_new_int(a, 1));
	mc_value_dict_set(a, d, str(a, "fine"), mc_flat_placeholder(a, &rec));
	assert_int_equal(mc_flatten(&recs, r, d), 0); /* a tuple key without tensors is fine */
	free(recs);
	mc_reader_close(r);
	r = fake_reader("x.pt");
	a = r->arena;
	l = mc_value_new(a, MC_VALUE_SET);
	mc_value_append(a, l, mc_flat_placeholder(a, &rec));
	tu_assert_fails(mc_flatten(&recs, r, l), MC_EUNSUPPORTED, "inside a set");
	mc_reader_close(r);
	/* a cycle */
	r = fake_reader("x.pt");
	a = r->arena;
	l = mc_value_new(a, MC_VALUE_LIST);
	mc_value_append(a, l, l);
	tu_assert_fails(mc_flatten(&recs, r, l), MC_ELIMIT, "nest deeper than");
	mc_reader_close(r);
	/* a list of itself twice, 40 deep: 2^40 positions */
	r = fake_reader("x.pt");
	a = r->arena;
	t = mc_flat_placeholder(a, &rec);
	for (int i = 0; i < 40; i++) {
		l = mc_value_new(a, MC_VALUE_LIST);
		mc_value_append(a, l, t);
		mc_value_append(a, l, t);
		t = l;
	}
	{
		int rc = mc_flatten(&recs, r, t);
		assert_int_equal(rc, MC_ELIMIT);
	}
	mc_reader_close(r);
	/* the same with numbers at the bottom: the walk stops counting */
	r = fake_reader("x.pt");
	a = r->arena;
	t = mc_value_new_int(a, 1);
	for (int i = 0; i < 40; i++) {
		l = mc_value_new(a, MC_VALUE_LIST);
		mc_value_append(a, l, t);
		mc_value_append(a, l, t);
		t = l;
	}
	tu_assert_fails(mc_flatten(&recs, r, t), MC_ELIMIT, "positions");
	mc_reader_close(r);
	/* a name over MC_MAX_NAME */
	r = fake_reader("x.pt");
	a = r->arena;
	{
		size_t n = MC_MAX_NAME / 2 + 1;
		char *k = malloc(n + 1);
		memset(k, 'k', n);
		k[n] = '\0';
		d = mc_value_new(a, MC_VALUE_DICT);
		e = mc_value_new(a, MC_VALUE_DICT);
		mc_value_dict_set(a, e, str(a, k), mc_flat_placeholder(a, &rec));
		mc_value_dict_set(a, d, str(a, k), e);
		mc_value_dict_set(a, d, str(a, "short"), mc_value_new_int(a, 1));
		tu_assert_fails(mc_flatten(&recs, r, d), MC_ELIMIT, "longer than the limit");
		free(k);
	}
	mc_reader_close(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixtures_match_expected),
		cmocka_unit_test(test_state_dicts_agree),
		cmocka_unit_test(test_checkpoint_values),
		cmocka_unit_test(test_views_share_storage),
		cmocka_unit_test(test_bare_tensor_and_list),
		cmocka_unit_test(test_big_endian_archive),
		cmocka_unit_test(test_numpy_inside_checkpoint),
		cmocka_unit_test(test_zip_entries_refused),
		cmocka_unit_test(test_zip_records),
		cmocka_unit_test(test_zip_deflated),
		cmocka_unit_test(test_zip_crc),
		cmocka_unit_test(test_zip_tensor_checks),
		cmocka_unit_test(test_zip_pickle_trailing),
		cmocka_unit_test(test_legacy_refused),
		cmocka_unit_test(test_legacy_storages),
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_flatten_names),
		cmocka_unit_test(test_flatten_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
