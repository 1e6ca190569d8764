/* SPDX-License-Identifier: MIT */
/*
 * Tests of the pickle reader (formats/pickle.c, pickle_globals.c,
 * pickle_scan.c).  The fixtures of testdata/pickle/ (written by Python's
 * own pickle and by torch.save, protocols 0 to 5) load to exactly what
 * Python loads from them (expected.json, Python's Unpickler as the oracle),
 * printed in one canonical text on both sides; every prefix of every
 * fixture is refused as truncated; the scan lists their globals as
 * allowed.  Hand-built hostile pickles cover every attack class of the
 * issue: calls of globals off the allowlist in every protocol and through
 * every calling opcode, Python 2 names, dotted names, STACK_GLOBAL over
 * non-literal operands, SETITEM/APPEND/ADDITEMS on the wrong containers,
 * BUILD smuggling state, extension codes, deep nesting, huge memo
 * indices, hostile lengths for every length-prefixed opcode, and the
 * argument checks of every allowed callable.
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

#include <cjson/cJSON.h>

#include "cursor.h"
#include "error.h"
#include "pickle.h"
#include "testutil.h"
#include "value.h"
#include "banned.h"

#define FIXTURES MC_SOURCE_DIR "/testdata/pickle"

/* ---- a growable text buffer ------------------------------------------------ */

typedef struct text {
	char *p;
	size_t n, cap;
} text;

static void tx_put(text *t, const char *s, size_t n)
{
	if (t->n + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 256;
		while (t->n + n + 1 > cap)
			cap *= 2;
		t->p = realloc(t->p, cap);
		assert_non_null(t->p);
		t->cap = cap;
	}
	memcpy(t->p + t->n, s, n);
	t->n += n;
	t->p[t->n] = '\0';
}

static void tx_printf(text *t, const char *fmt, ...) MC_PRINTF(2, 3);
static void tx_printf(text *t, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < sizeof(buf));
	tx_put(t, buf, (size_t)n);
}

static void tx_esc(text *t, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\')
			tx_put(t, (const char *)&ch, 1);
		else
			tx_printf(t, "\\x%02x", ch);
	}
}

/* ---- hooks that record what the reader hands over --------------------------- */

static const char storage_type[] = "test.storage";
static const char tensor_type[] = "test.tensor";
static const char array_type[] = "test.array";

typedef struct rec_tensor {
	const mc_value *pid;
	int64_t offset;
	mc_shape shape;
	int64_t strides[MC_MAX_DIMS];
	bool requires_grad, parameter;
	int param_calls;
} rec_tensor;

typedef struct rec_array {
	mc_pickle_array a;
	uint8_t *dense; /* C order, little-endian */
	size_t dense_len;
} rec_array;

typedef struct rec {
	mc_arena *arena;
	mc_pickle_env env;
	rec_tensor tensors[64];
	size_t ntensors;
	rec_array arrays[64];
	size_t narrays;
	size_t nstorages;
	uint64_t last_offset; /* offset the last hook was called with */
} rec;

static int persistent_hook(void *ctx, const mc_value *pid, uint64_t offset, mc_value **out)
{
	rec *r = ctx;
	mc_value *v = mc_value_new(r->arena, MC_VALUE_OBJECT);

	assert_non_null(v);
	v->u.obj.type = storage_type;
	v->u.obj.args = (mc_value *)(uintptr_t)pid;
	v->u.obj.tag = (int64_t)r->nstorages++;
	r->last_offset = offset;
	*out = v;
	return 0;
}

static int tensor_hook(void *ctx, const mc_pickle_tensor *t, uint64_t offset, mc_value **out)
{
	rec *r = ctx;
	rec_tensor *rt;
	mc_value *v;

	assert_true(r->ntensors < 64);
	assert_false(t->parameter);
	assert_ptr_equal(t->storage->u.obj.type, storage_type);
	rt = &r->tensors[r->ntensors];
	rt->pid = t->storage->u.obj.args;
	rt->offset = t->storage_offset;
	rt->shape = t->shape;
	memcpy(rt->strides, t->strides, sizeof(rt->strides));
	rt->requires_grad = t->requires_grad;
	v = mc_value_new(r->arena, MC_VALUE_OBJECT);
	assert_non_null(v);
	v->u.obj.type = tensor_type;
	v->u.obj.tag = (int64_t)r->ntensors++;
	r->last_offset = offset;
	*out = v;
	return 0;
}

static int parameter_hook(void *ctx, const mc_pickle_tensor *t, mc_value *tensor, uint64_t offset)
{
	rec *r = ctx;
	rec_tensor *rt;

	assert_ptr_equal(tensor->u.obj.type, tensor_type);
	assert_true(t->parameter);
	rt = &r->tensors[tensor->u.obj.tag];
	assert_int_equal(t->shape.ndim, rt->shape.ndim);
	assert_int_equal(t->storage_offset, rt->offset);
	rt->parameter = true;
	rt->requires_grad = t->requires_grad;
	rt->param_calls++;
	r->last_offset = offset;
	return 0;
}

static int array_hook(void *ctx, const mc_pickle_array *a, uint64_t offset, mc_value **out)
{
	rec *r = ctx;
	rec_array *ra;
	mc_view v;
	mc_value *val;

	assert_true(r->narrays < 64);
	ra = &r->arrays[r->narrays];
	ra->a = *a;
	mc_view_init_dense(&v, a->dtype, &a->shape, a->data);
	if (a->fortran) {
		int64_t stride = 1;
		for (int d = 0; d < a->shape.ndim; d++) {
			v.strides[d] = stride;
			stride *= a->shape.dims[d] ? a->shape.dims[d] : 1;
		}
	}
	v.swap = a->swap;
	assert_int_equal(mc_view_to_dense(&ra->dense, &ra->dense_len, &v), 0);
	val = mc_value_new(r->arena, MC_VALUE_OBJECT);
	assert_non_null(val);
	val->u.obj.type = array_type;
	val->u.obj.tag = (int64_t)r->narrays++;
	r->last_offset = offset;
	*out = val;
	return 0;
}

static void rec_init(rec *r, size_t len)
{
	memset(r, 0, sizeof(*r));
	assert_int_equal(mc_arena_new(&r->arena, len * MC_VALUE_BYTES_PER_FILE_BYTE +
	                                                 MC_VALUE_BYTES_FLOOR), 0);
	r->env.path = "test.pkl";
	r->env.arena = r->arena;
	r->env.ctx = r;
	r->env.persistent_load = persistent_hook;
	r->env.tensor = tensor_hook;
	r->env.array = array_hook;
	r->env.parameter = parameter_hook;
}

static void rec_release(rec *r)
{
	for (size_t i = 0; i < r->narrays; i++)
		free(r->arrays[i].dense);
	mc_arena_free(r->arena);
}

/* Load with the recording hooks; 0 or the code. */
static int load(rec *r, const uint8_t *p, size_t n, mc_value **out, size_t *end)
{
	rec_init(r, n);
	return mc_pickle_load(out, end, p, n, &r->env);
}

/* ---- the canonical text (make_pickles.py prints Python's objects so) ------------ */

typedef struct canon {
	rec *r;
	text t;
	int tensor_no[64], array_no[64]; /* first-seen number, or -1 */
	int ntensors, narrays;
	size_t order_t[64], order_a[64];
	const mc_value *stack[4096];
	size_t depth;
} canon;

static void canon_value(canon *c, const mc_value *v);
static void canon_set(canon *c, const mc_value *v);

static void canon_items(canon *c, const mc_value *v, const char *open, const char *close)
{
	tx_put(&c->t, open, strlen(open));
	for (size_t i = 0; i < v->u.seq.n; i++) {
		if (i)
			tx_put(&c->t, ",", 1);
		if (v->kind == MC_VALUE_DICT) {
			canon_value(c, v->u.seq.items[i]);
			tx_put(&c->t, ":", 1);
			canon_value(c, v->u.seq.items[++i]);
		} else {
			canon_value(c, v->u.seq.items[i]);
		}
	}
	tx_put(&c->t, close, strlen(close));
}

static int cmp_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A set has no order: its items sorted by their text. */
static void canon_set(canon *c, const mc_value *v)
{
	size_t n = v->u.seq.n;
	char **items = calloc(n ? n : 1, sizeof(*items));
	text saved = c->t;

	assert_non_null(items);
	for (size_t i = 0; i < n; i++) {
		memset(&c->t, 0, sizeof(c->t));
		tx_put(&c->t, "", 0);
		canon_value(c, v->u.seq.items[i]);
		items[i] = c->t.p;
	}
	c->t = saved;
	qsort(items, n, sizeof(*items), cmp_text);
	tx_put(&c->t, "set(", 4);
	for (size_t i = 0; i < n; i++) {
		if (i)
			tx_put(&c->t, ",", 1);
		tx_put(&c->t, items[i], strlen(items[i]));
		free(items[i]);
	}
	tx_put(&c->t, ")", 1);
	free(items);
}

static void canon_value(canon *c, const mc_value *v)
{
	for (size_t i = 0; i < c->depth; i++) {
		if (c->stack[i] == v) {
			tx_printf(&c->t, "<cycle>");
			return;
		}
	}
	switch (v->kind) {
	case MC_VALUE_NONE: tx_printf(&c->t, "None"); return;
	case MC_VALUE_BOOL: tx_printf(&c->t, "%s", v->u.b ? "True" : "False"); return;
	case MC_VALUE_INT: tx_printf(&c->t, "%lld", (long long)v->u.i); return;
	case MC_VALUE_BIGINT:
		tx_put(&c->t, v->u.s.p, v->u.s.n);
		tx_put(&c->t, "n", 1);
		return;
	case MC_VALUE_FLOAT: {
		uint64_t bits;
		memcpy(&bits, &v->u.f, sizeof(bits));
		tx_printf(&c->t, "f%016llx", (unsigned long long)bits);
		return;
	}
	case MC_VALUE_STR:
	case MC_VALUE_BYTES:
		tx_put(&c->t, v->kind == MC_VALUE_STR ? "s\"" : "b\"", 2);
		tx_esc(&c->t, v->u.s.p, v->u.s.n);
		tx_put(&c->t, "\"", 1);
		return;
	case MC_VALUE_TENSOR:
		fail_msg("a tensor value: the hooks return objects");
		return;
	case MC_VALUE_OBJECT:
		if (v->u.obj.type == tensor_type || v->u.obj.type == array_type) {
			bool is_t = v->u.obj.type == tensor_type;
			int *no = is_t ? c->tensor_no : c->array_no;
			int64_t k = v->u.obj.tag;
			if (no[k] < 0) {
				no[k] = is_t ? c->ntensors : c->narrays;
				if (is_t)
					c->order_t[c->ntensors++] = (size_t)k;
				else
					c->order_a[c->narrays++] = (size_t)k;
			}
			tx_printf(&c->t, "%c%d", is_t ? 'T' : 'A', no[k]);
			return;
		}
		tx_printf(&c->t, "%s", v->u.obj.type);
		if (v->u.obj.args && v->u.obj.args->kind != MC_VALUE_TUPLE) {
			/* the test's storages keep a text persistent id as it is */
			tx_put(&c->t, "(", 1);
			canon_value(c, v->u.obj.args);
			tx_put(&c->t, ")", 1);
		} else if (v->u.obj.args) {
			c->stack[c->depth++] = v;
			canon_items(c, v->u.obj.args, "(", ")");
			c->depth--;
		}
		return;
	default:
		break;
	}
	assert_true(c->depth < 4096);
	c->stack[c->depth++] = v;
	switch (v->kind) {
	case MC_VALUE_LIST: canon_items(c, v, "[", "]"); break;
	case MC_VALUE_TUPLE: canon_items(c, v, "(", ")"); break;
	case MC_VALUE_DICT: canon_items(c, v, "{", "}"); break;
	case MC_VALUE_SET: canon_set(c, v); break;
	default: fail_msg("unexpected value kind %d", (int)v->kind);
	}
	c->depth--;
}

static void canon_init(canon *c, rec *r)
{
	memset(c, 0, sizeof(*c));
	c->r = r;
	for (int i = 0; i < 64; i++)
		c->tensor_no[i] = c->array_no[i] = -1;
}

/* The canonical text of a value (malloc'd). */
static char *canon_text(rec *r, const mc_value *v)
{
	canon c;
	canon_init(&c, r);
	canon_value(&c, v);
	return c.t.p;
}

/* ---- the fixtures ----------------------------------------------------------------- */

static cJSON *load_expected(void)
{
	size_t n;
	uint8_t *p = tu_read_file(FIXTURES "/expected.json", &n);
	cJSON *j;

	assert_non_null(p);
	j = cJSON_ParseWithLength((const char *)p, n);
	free(p);
	assert_non_null(j);
	return j;
}

static int64_t json_int(const cJSON *o, const char *key)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
	assert_true(cJSON_IsNumber(x));
	return (int64_t)x->valuedouble;
}

static bool json_bool(const cJSON *o, const char *key)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, key);
	assert_true(cJSON_IsBool(x));
	return cJSON_IsTrue(x);
}

static void check_dims(const cJSON *list, const int64_t *dims, int ndim, const char *file)
{
	int i = 0;
	const cJSON *x;

	assert_true(cJSON_IsArray(list));
	if (cJSON_GetArraySize(list) != ndim)
		fail_msg("%s: %d dims, expected %d", file, ndim, cJSON_GetArraySize(list));
	cJSON_ArrayForEach(x, list)
		assert_int_equal(dims[i++], (int64_t)x->valuedouble);
}

static void check_fixture(const char *file, const cJSON *exp)
{
	char path[512];
	size_t n, end = 0;
	uint8_t *p;
	rec r;
	mc_value *v = NULL;
	canon c;
	const cJSON *tensors, *arrays, *x;
	int rc, i;

	snprintf(path, sizeof(path), "%s/%s", FIXTURES, file);
	p = tu_read_file(path, &n);
	assert_non_null(p);
	rc = load(&r, p, n, &v, &end);
	if (rc)
		fail_msg("%s: %s", file, mc_error_last()->msg);
	assert_int_equal(end, n);
	canon_init(&c, &r);
	canon_value(&c, v);
	{
		const char *want = cJSON_GetObjectItemCaseSensitive(exp, "value")->valuestring;
		size_t k = 0;
		while (c.t.p[k] && c.t.p[k] == want[k])
			k++;
		if (c.t.p[k] || want[k])
			fail_msg("%s: differs at %zu: loaded ...%.80s, expected ...%.80s", file, k,
			         c.t.p + (k > 20 ? k - 20 : 0), want + (k > 20 ? k - 20 : 0));
	}

	tensors = cJSON_GetObjectItemCaseSensitive(exp, "tensors");
	assert_int_equal(cJSON_GetArraySize(tensors), c.ntensors);
	i = 0;
	cJSON_ArrayForEach(x, tensors) {
		const rec_tensor *t = &r.tensors[c.order_t[i++]];
		char *pid = canon_text(&r, t->pid);
		assert_string_equal(pid, cJSON_GetObjectItemCaseSensitive(x, "pid")->valuestring);
		free(pid);
		assert_int_equal(t->offset, json_int(x, "offset"));
		check_dims(cJSON_GetObjectItemCaseSensitive(x, "shape"), t->shape.dims, t->shape.ndim,
		           file);
		check_dims(cJSON_GetObjectItemCaseSensitive(x, "stride"), t->strides, t->shape.ndim,
		           file);
		assert_int_equal(t->requires_grad, json_bool(x, "requires_grad"));
		assert_int_equal(t->parameter, json_bool(x, "parameter"));
		assert_true(t->param_calls <= 1);
	}

	arrays = cJSON_GetObjectItemCaseSensitive(exp, "arrays");
	assert_int_equal(cJSON_GetArraySize(arrays), c.narrays);
	i = 0;
	cJSON_ArrayForEach(x, arrays) {
		const rec_array *a = &r.arrays[c.order_a[i++]];
		const char *hex = cJSON_GetObjectItemCaseSensitive(x, "data")->valuestring;
		text h = {0};
		assert_string_equal(mc_dtype_name(a->a.dtype),
		                    cJSON_GetObjectItemCaseSensitive(x, "dtype")->valuestring);
		check_dims(cJSON_GetObjectItemCaseSensitive(x, "shape"), a->a.shape.dims,
		           a->a.shape.ndim, file);
		if (a->a.fortran != json_bool(x, "fortran"))
			fail_msg("%s: array A%d: fortran %d, expected %d", file, i - 1, a->a.fortran,
			         json_bool(x, "fortran"));
		tx_put(&h, "", 0);
		for (size_t k = 0; k < a->dense_len; k++)
			tx_printf(&h, "%02x", a->dense[k]);
		assert_string_equal(h.p, hex);
		/* the data pointer borrows the arena, and the offset is in the file */
		assert_true(a->a.offset < n);
		free(h.p);
	}
	free(c.t.p);
	rec_release(&r);
	free(p);
}

static void test_fixtures(void **state)
{
	cJSON *exp = load_expected(), *f;
	int count = 0;

	(void)state;
	cJSON_ArrayForEach(f, exp) {
		check_fixture(f->string, f);
		count++;
	}
	assert_true(count >= 14);
	cJSON_Delete(exp);
}

/* Every global of every fixture is on the allowlist, and the scan ends
 * where the load does. */
static void test_fixtures_scan(void **state)
{
	cJSON *exp = load_expected(), *f;

	(void)state;
	cJSON_ArrayForEach(f, exp) {
		char path[512];
		size_t n, count = 0, end = 0;
		uint8_t *p;
		mc_pickle_global *g = NULL;
		rec r;

		snprintf(path, sizeof(path), "%s/%s", FIXTURES, f->string);
		p = tu_read_file(path, &n);
		assert_non_null(p);
		rec_init(&r, n);
		if (mc_pickle_scan(&g, &count, &end, p, n, &r.env))
			fail_msg("%s: %s", f->string, mc_error_last()->msg);
		assert_int_equal(end, n);
		for (size_t i = 0; i < count; i++) {
			if (!g[i].allowed)
				fail_msg("%s: %s.%s at %llu: %s", f->string, g[i].module, g[i].name,
				         (unsigned long long)g[i].offset, g[i].why);
			assert_true(mc_pickle_allowed(g[i].module, g[i].name));
			assert_true(g[i].offset < n);
		}
		if (strncmp(f->string, "values_p0", 9) != 0)
			assert_true(count > 0);
		rec_release(&r);
		free(p);
	}
	cJSON_Delete(exp);
}

/* Every proper prefix of every fixture is refused as truncated, by the
 * load and by the scan; never a crash, never a partial value. */
static void test_fixture_prefixes(void **state)
{
	cJSON *exp = load_expected(), *f;

	(void)state;
	cJSON_ArrayForEach(f, exp) {
		char path[512];
		size_t n;
		uint8_t *p;

		snprintf(path, sizeof(path), "%s/%s", FIXTURES, f->string);
		p = tu_read_file(path, &n);
		assert_non_null(p);
		for (size_t k = 0; k < n; k++) {
			uint8_t *copy = malloc(k ? k : 1);
			mc_value *v = NULL;
			mc_pickle_global *g;
			size_t end, count;
			rec r;
			int rc;

			memcpy(copy, p, k);
			rc = load(&r, copy, k, &v, &end);
			if (rc != MC_ECORRUPT || !strstr(mc_error_last()->msg, "truncated"))
				fail_msg("%s: prefix of %zu bytes: %d %s", f->string, k, rc,
				         mc_error_last()->msg);
			assert_null(v);
			rc = mc_pickle_scan(&g, &count, &end, copy, k, &r.env);
			if (rc != MC_ECORRUPT || !strstr(mc_error_last()->msg, "truncated"))
				fail_msg("%s: scan of a prefix of %zu bytes: %d %s", f->string, k, rc,
				         mc_error_last()->msg);
			rec_release(&r);
			free(copy);
		}
		free(p);
	}
	cJSON_Delete(exp);
}

/* ---- building pickles by hand ----------------------------------------------------- */

typedef struct pb {
	uint8_t *p;
	size_t n, cap;
} pb;

static void pb_raw(pb *b, const void *d, size_t n)
{
	if (b->n + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (b->n + n > cap)
			cap *= 2;
		b->p = realloc(b->p, cap);
		assert_non_null(b->p);
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->n, d, n);
	b->n += n;
}

static void pb_op(pb *b, uint8_t op)
{
	pb_raw(b, &op, 1);
}

static void pb_u32(pb *b, uint32_t v)
{
	uint8_t x[4];
	mc_store_u32le(x, v);
	pb_raw(b, x, 4);
}

static void pb_u64(pb *b, uint64_t v)
{
	uint8_t x[8];
	mc_store_u64le(x, v);
	pb_raw(b, x, 8);
}

static void pb_s(pb *b, const char *s)
{
	pb_raw(b, s, strlen(s));
}

static void pb_proto(pb *b, int proto)
{
	if (proto >= 2) {
		pb_op(b, 0x80);
		pb_op(b, (uint8_t)proto);
	}
}

/* A str pushed the way protocol `proto` writes it. */
static void pb_str(pb *b, int proto, const char *s)
{
	size_t n = strlen(s);
	if (proto == 0) {
		pb_op(b, 'V');
		pb_s(b, s);
		pb_op(b, '\n');
	} else if (proto >= 4 && n < 256) {
		pb_op(b, 0x8c);
		pb_op(b, (uint8_t)n);
		pb_s(b, s);
	} else {
		pb_op(b, 'X');
		pb_u32(b, (uint32_t)n);
		pb_s(b, s);
	}
}

static void pb_int(pb *b, int proto, int32_t v)
{
	if (proto == 0) {
		char buf[32];
		snprintf(buf, sizeof(buf), "I%d\n", (int)v);
		pb_s(b, buf);
	} else {
		pb_op(b, 'J');
		pb_u32(b, (uint32_t)v);
	}
}

static void pb_global(pb *b, const char *module, const char *name)
{
	pb_op(b, 'c');
	pb_s(b, module);
	pb_op(b, '\n');
	pb_s(b, name);
	pb_op(b, '\n');
}

static void pb_stack_global(pb *b, const char *module, const char *name)
{
	pb_str(b, 4, module);
	pb_str(b, 4, name);
	pb_op(b, 0x93);
}

static void pb_free(pb *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* Load b and expect a refusal with `code`, `fragment` in the message and
 * (unless -1) the error at file offset `offset`. */
static void expect_refused_at(pb *b, int code, const char *fragment, int64_t offset,
                              const char *what, int line)
{
	rec r;
	mc_value *v = NULL;
	size_t end;
	int rc = load(&r, b->p, b->n, &v, &end);
	char where[300];

	snprintf(where, sizeof(where), "%s (line %d)", what ? what : "case", line);
	tu_assert_fails_at(rc, code, fragment, where, __FILE__, line);
	assert_null(v);
	if (offset >= 0 && mc_error_last()->offset != offset)
		fail_msg("%s: error at offset %lld, expected %lld (%s)", where,
		         (long long)mc_error_last()->offset, (long long)offset, mc_error_last()->msg);
	rec_release(&r);
}

#define expect_refused(b, code, frag) expect_refused_at((b), (code), (frag), -1, NULL, __LINE__)
#define expect_refused_off(b, code, frag, off) \
	expect_refused_at((b), (code), (frag), (off), NULL, __LINE__)

/* Load b, which must succeed to its end; the canonical text of the value
 * is compared with `want` (unless NULL). */
static void want_value_at(pb *b, const char *want, int line)
{
	rec r;
	mc_value *v = NULL;
	size_t end = 0;
	char *t;

	if (load(&r, b->p, b->n, &v, &end))
		fail_msg("line %d: refused: %s", line, mc_error_last()->msg);
	assert_int_equal(end, b->n);
	t = canon_text(&r, v);
	if (want && strcmp(t, want) != 0)
		fail_msg("line %d: loaded %s, expected %s", line, t, want);
	free(t);
	rec_release(&r);
}

#define want_value(b, want) want_value_at((b), (want), __LINE__)

/* ---- globals off the allowlist ------------------------------------------------------ */

/* Names that must be refused however they are reached; "display" is the
 * name the message gives (after the Python 2 mapping). */
static const struct {
	const char *module, *name, *display;
} refused_names[] = {
	{"os", "system", "os.system"},
	{"posix", "system", "posix.system"},
	{"nt", "system", "nt.system"},
	{"subprocess", "Popen", "subprocess.Popen"},
	{"subprocess", "check_output", "subprocess.check_output"},
	{"builtins", "eval", "builtins.eval"},
	{"builtins", "exec", "builtins.exec"},
	{"builtins", "getattr", "builtins.getattr"},
	{"builtins", "__import__", "builtins.__import__"},
	{"builtins", "open", "builtins.open"},
	{"builtins", "dict", "builtins.dict"},
	{"builtins", "list", "builtins.list"},
	{"__builtin__", "eval", "builtins.eval"},
	{"__builtin__", "getattr", "builtins.getattr"},
	{"commands", "getoutput", "subprocess.getoutput"},
	{"copy_reg", "_reconstructor", "copyreg._reconstructor"},
	{"operator", "attrgetter", "operator.attrgetter"},
	{"operator", "methodcaller", "operator.methodcaller"},
	{"functools", "partial", "functools.partial"},
	{"_functools", "partial", "_functools.partial"},
	{"runpy", "_run_code", "runpy._run_code"},
	{"importlib", "import_module", "importlib.import_module"},
	{"webbrowser", "open", "webbrowser.open"},
	{"shutil", "rmtree", "shutil.rmtree"},
	{"pickle", "loads", "pickle.loads"},
	{"torch", "load", "torch.load"},
	{"torch", "storage", "torch.storage"},
	{"torch.utils.collect_env", "run", "torch.utils.collect_env.run"},
	{"torch._inductor.codecache", "PyCodeCache", "torch._inductor.codecache.PyCodeCache"},
	{"torch.serialization", "os", "torch.serialization.os"},
	{"torch.jit", "load", "torch.jit.load"},
	{"torch._utils", "_rebuild_qtensor", "torch._utils._rebuild_qtensor"},
	{"torch._utils", "_rebuild_tensor_v2.__globals__", "torch._utils._rebuild_tensor_v2.__globals__"},
	{"collections", "OrderedDict.__class__", "collections.OrderedDict.__class__"},
	{"collections", "OrderedDict.fromkeys", "collections.OrderedDict.fromkeys"},
	{"torch.serialization", "os.system", "torch.serialization.os.system"},
	{"collections", "defaultdict", "collections.defaultdict"},
	{"numpy", "load", "numpy.load"},
	{"numpy.testing._private.utils", "runstring", "numpy.testing._private.utils.runstring"},
	{"numpy.core.multiarray", "_reconstruct.__globals__", "numpy.core.multiarray._reconstruct.__globals__"},
	{"numpy.core.multiarray", "fromstring", "numpy.core.multiarray.fromstring"},
	{"_codecs", "decode", "_codecs.decode"},
	{"codecs", "encode", "codecs.encode"},
	{"Torch", "Size", "Torch.Size"},
	{"torch ", "Size", "torch .Size"},
	{"torch", "Size ", "torch.Size "},
	{"collection", "OrderedDict", "collection.OrderedDict"},
	{"collectionsX", "OrderedDict", "collectionsX.OrderedDict"},
	{"__main__", "Net", "__main__.Net"},
};

/* Every refused name, reached by each calling opcode in each protocol:
 * the refusal names the global and the offset of the opcode that named it. */
static void test_refused_globals(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(refused_names) / sizeof(refused_names[0]); i++) {
		const char *m = refused_names[i].module, *nm = refused_names[i].name;
		char frag[600];
		snprintf(frag, sizeof(frag), "global '%s' is not allowed", refused_names[i].display);
		for (int proto = 0; proto <= 5; proto++) {
			for (int how = 0; how < 6; how++) {
				pb b = {0};
				size_t at;
				if (how == 5 && proto < 4)
					continue; /* STACK_GLOBAL is protocol 4 */
				if ((how == 3 || how == 4) && proto < 2)
					continue; /* NEWOBJ is protocol 2, NEWOBJ_EX 4 */
				if (how == 4 && proto < 4)
					continue;
				pb_proto(&b, proto);
				if (how == 1) { /* INST */
					pb_op(&b, '(');
					pb_str(&b, proto, "echo hi");
					at = b.n;
					pb_op(&b, 'i');
					pb_s(&b, m);
					pb_op(&b, '\n');
					pb_s(&b, nm);
					pb_op(&b, '\n');
				} else if (how == 2) { /* OBJ */
					pb_op(&b, '(');
					at = b.n;
					pb_global(&b, m, nm);
					pb_str(&b, proto, "echo hi");
					pb_op(&b, 'o');
				} else {
					at = b.n;
					if (how == 5) {
						pb_stack_global(&b, m, nm);
						at = b.n - 1;
					} else {
						pb_global(&b, m, nm);
					}
					pb_op(&b, '(');
					pb_str(&b, proto, "echo hi");
					pb_op(&b, 't');
					if (how == 3) {
						pb_op(&b, 0x81); /* NEWOBJ */
					} else if (how == 4) {
						pb_op(&b, '}');
						pb_op(&b, 0x92); /* NEWOBJ_EX */
					} else {
						pb_op(&b, 'R');
					}
				}
				pb_op(&b, '.');
				expect_refused_at(&b, MC_EUNSAFE, frag, (int64_t)at, frag, __LINE__);
				pb_free(&b);
			}
		}
	}
}

/* The offset in a message is the file offset: env->origin plus the
 * opcode's position. */
static void test_refused_offset_origin(void **state)
{
	pb b = {0};
	rec r;
	mc_value *v;
	size_t end;

	(void)state;
	pb_proto(&b, 2);
	pb_op(&b, 'N');
	pb_op(&b, '0');
	pb_global(&b, "os", "system");
	pb_op(&b, '.');
	rec_init(&r, b.n);
	r.env.origin = 1000;
	r.env.entry = "archive/data.pkl";
	assert_int_equal(mc_pickle_load(&v, &end, b.p, b.n, &r.env), MC_EUNSAFE);
	assert_int_equal(mc_error_last()->offset, 1004);
	assert_string_equal(mc_error_last()->path, "test.pkl");
	assert_string_equal(mc_error_last()->entry, "archive/data.pkl");
	assert_string_equal(mc_error_last()->msg, "global 'os.system' is not allowed");
	rec_release(&r);
	pb_free(&b);
}

/* A pickled nn.Module: the refusal says to save the state dict, whether
 * the refused global is the module class or anything else in a pickle
 * that names one. */
static void test_nn_module_hint(void **state)
{
	pb b = {0};

	(void)state;
	pb_proto(&b, 2);
	pb_global(&b, "torch.nn.modules.linear", "Linear");
	pb_op(&b, ')');
	pb_op(&b, 0x81);
	pb_op(&b, '.');
	expect_refused_off(&b, MC_EUNSAFE, "global 'torch.nn.modules.linear.Linear' is not allowed",
	                   2);
	assert_non_null(strstr(mc_error_last()->hint, "save model.state_dict() instead"));
	assert_non_null(strstr(mc_error_last()->hint, "nn.Module"));
	pb_free(&b);

	/* a user's class first, a torch module later (protocol 4 names) */
	pb_proto(&b, 4);
	pb_stack_global(&b, "__main__", "Net");
	pb_op(&b, ')');
	pb_op(&b, 0x81);
	pb_stack_global(&b, "torch.nn.modules.conv", "Conv2d");
	pb_op(&b, '0');
	pb_op(&b, '.');
	expect_refused(&b, MC_EUNSAFE, "global '__main__.Net' is not allowed");
	assert_non_null(strstr(mc_error_last()->hint, "state_dict"));
	pb_free(&b);

	/* no module anywhere: no hint; a name that only starts alike neither */
	pb_proto(&b, 2);
	pb_global(&b, "os", "system");
	pb_global(&b, "torch.nn.modulesX", "Linear");
	pb_op(&b, '.');
	expect_refused(&b, MC_EUNSAFE, "os.system");
	assert_string_equal(mc_error_last()->hint, "");
	pb_free(&b);
}

/* Calling something that is not an allowed global, and allowed globals
 * that are not callables. */
static void test_calls_of_non_callables(void **state)
{
	pb b = {0};

	(void)state;
	/* REDUCE of a str */
	pb_proto(&b, 2);
	pb_str(&b, 2, "os.system");
	pb_op(&b, ')');
	pb_op(&b, 'R');
	pb_op(&b, '.');
	expect_refused_off(&b, MC_EUNSAFE, "REDUCE calls a str", 17);
	pb_free(&b);
	/* REDUCE of a storage type, of a dtype, of numpy.ndarray, of torch.Tensor */
	{
		static const char *const names[][2] = {
			{"torch", "FloatStorage"}, {"torch", "float32"}, {"numpy", "ndarray"},
			{"torch", "Tensor"}, {"torch.nn.parameter", "Parameter"}};
		for (size_t i = 0; i < 5; i++) {
			pb_proto(&b, 2);
			pb_global(&b, names[i][0], names[i][1]);
			pb_op(&b, ')');
			pb_op(&b, 'R');
			pb_op(&b, '.');
			expect_refused(&b, i < 2 ? MC_EUNSAFE : MC_EUNSUPPORTED, "REDUCE calls");
			pb_free(&b);
		}
	}
	/* REDUCE with arguments that are not a tuple */
	pb_proto(&b, 2);
	pb_global(&b, "collections", "OrderedDict");
	pb_op(&b, ']');
	pb_op(&b, 'R');
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "REDUCE arguments are a list, not a tuple");
	pb_free(&b);
	/* OBJ with nothing above its MARK, NEWOBJ of a function, NEWOBJ_EX with kwargs */
	pb_proto(&b, 2);
	pb_op(&b, '(');
	pb_op(&b, 'o');
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "OBJ without a class");
	pb_free(&b);
	pb_proto(&b, 2);
	pb_global(&b, "_codecs", "encode");
	pb_op(&b, ')');
	pb_op(&b, 0x81);
	pb_op(&b, '.');
	expect_refused(&b, MC_EUNSUPPORTED, "NEWOBJ of '_codecs.encode'");
	pb_free(&b);
	pb_proto(&b, 4);
	pb_global(&b, "collections", "OrderedDict");
	pb_op(&b, ')');
	pb_op(&b, '}');
	pb_str(&b, 4, "k");
	pb_op(&b, 'N');
	pb_op(&b, 's');
	pb_op(&b, 0x92);
	pb_op(&b, '.');
	expect_refused(&b, MC_EUNSUPPORTED, "keyword arguments");
	pb_free(&b);
	/* NEWOBJ of OrderedDict with arguments: __new__ would ignore them */
	pb_proto(&b, 2);
	pb_global(&b, "builtins", "set");
	pb_op(&b, 'K');
	pb_op(&b, 1);
	pb_op(&b, 0x85);
	pb_op(&b, 0x81);
	pb_op(&b, '.');
	expect_refused(&b, MC_EUNSUPPORTED, "NEWOBJ of 'builtins.set'");
	pb_free(&b);
	/* but NEWOBJ and NEWOBJ_EX of what __new__ builds alone load */
	pb_proto(&b, 4);
	pb_global(&b, "collections", "OrderedDict");
	pb_op(&b, ')');
	pb_op(&b, 0x81);
	pb_op(&b, '.');
	want_value(&b, "{}");
	pb_free(&b);
	pb_proto(&b, 4);
	pb_global(&b, "torch", "Size");
	pb_op(&b, 'K');
	pb_op(&b, 2);
	pb_op(&b, 'K');
	pb_op(&b, 3);
	pb_op(&b, 0x86);
	pb_op(&b, 0x85);
	pb_op(&b, '}');
	pb_op(&b, 0x92);
	pb_op(&b, '.');
	want_value(&b, "(2,3)");
	pb_free(&b);
}

/* ---- STACK_GLOBAL --------------------------------------------------------------------- */

static void test_stack_global_operands(void **state)
{
	pb b = {0};

	(void)state;
	/* two ints */
	pb_proto(&b, 4);
	pb_op(&b, 'K');
	pb_op(&b, 1);
	pb_op(&b, 'K');
	pb_op(&b, 2);
	pb_op(&b, 0x93);
	pb_op(&b, '.');
	expect_refused_off(&b, MC_EUNSAFE, "STACK_GLOBAL operands are not literal strings", 6);
	pb_free(&b);
	/* bytes */
	pb_proto(&b, 4);
	pb_op(&b, 'C');
	pb_op(&b, 2);
	pb_s(&b, "os");
	pb_str(&b, 4, "system");
	pb_op(&b, 0x93);
	pb_op(&b, '.');
	expect_refused(&b, MC_EUNSAFE, "(a bytes and a str)");
	pb_free(&b);
	/* the module a memoised OrderedDict() result */
	pb_proto(&b, 4);
	pb_global(&b, "collections", "OrderedDict");
	pb_op(&b, ')');
	pb_op(&b, 'R');
	pb_op(&b, 0x94);
	pb_op(&b, '0');
	pb_op(&b, 'h');
	pb_op(&b, 0);
	pb_str(&b, 4, "system");
	pb_op(&b, 0x93);
	pb_op(&b, '.');
	expect_refused(&b, MC_EUNSAFE, "(an OrderedDict and a str)");
	pb_free(&b);
	/* memoised bytes made by the allowed _codecs.encode */
	pb_proto(&b, 4);
	pb_global(&b, "_codecs", "encode");
	pb_str(&b, 4, "os");
	pb_str(&b, 4, "latin1");
	pb_op(&b, 0x86);
	pb_op(&b, 'R');
	pb_op(&b, 0x94);
	pb_str(&b, 4, "system");
	pb_op(&b, 0x93);
	pb_op(&b, '.');
	expect_refused(&b, MC_EUNSAFE, "STACK_GLOBAL operands are not literal strings");
	pb_free(&b);
	/* a tuple, None */
	pb_proto(&b, 4);
	pb_op(&b, ')');
	pb_op(&b, 'N');
	pb_op(&b, 0x93);
	pb_op(&b, '.');
	expect_refused(&b, MC_EUNSAFE, "(a tuple and None)");
	pb_free(&b);
	/* one operand only */
	pb_proto(&b, 4);
	pb_str(&b, 4, "os");
	pb_op(&b, 0x93);
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "STACK_GLOBAL needs 2 values");
	pb_free(&b);
	/* memoised literals, rebound: the memo holds what was stored last */
	pb_proto(&b, 4);
	pb_str(&b, 4, "collections");
	pb_op(&b, 'q');
	pb_op(&b, 0);
	pb_str(&b, 4, "OrderedDict");
	pb_op(&b, 'q');
	pb_op(&b, 1);
	pb_op(&b, '0');
	pb_op(&b, '0');
	pb_str(&b, 4, "os");
	pb_op(&b, 'q');
	pb_op(&b, 0);
	pb_str(&b, 4, "system");
	pb_op(&b, 'q');
	pb_op(&b, 1);
	pb_op(&b, '0');
	pb_op(&b, '0');
	pb_op(&b, 'h');
	pb_op(&b, 0);
	pb_op(&b, 'h');
	pb_op(&b, 1);
	pb_op(&b, 0x93);
	pb_op(&b, '.');
	expect_refused(&b, MC_EUNSAFE, "global 'os.system' is not allowed");
	pb_free(&b);
	/* memoised literals reused, as protocol 4 torch files do: allowed */
	pb_proto(&b, 4);
	pb_str(&b, 4, "torch");
	pb_op(&b, 0x94);
	pb_str(&b, 4, "float16");
	pb_op(&b, 0x93);
	pb_op(&b, 'h');
	pb_op(&b, 0);
	pb_str(&b, 4, "Size");
	pb_op(&b, 0x93);
	pb_op(&b, ')');
	pb_op(&b, 'R');
	pb_op(&b, 0x86);
	pb_op(&b, '.');
	want_value(&b, "(torch.dtype(s\"float16\"),())");
	pb_free(&b);
	/* DUP of a literal is a literal; protocol 0 text and Python 2 strings too */
	pb_proto(&b, 4);
	pb_s(&b, "Vtorch\n");
	pb_op(&b, '2');
	pb_op(&b, '0');
	pb_s(&b, "S'bool'\n");
	pb_op(&b, 0x93);
	pb_op(&b, '.');
	want_value(&b, "torch.dtype(s\"bool\")");
	pb_free(&b);
	/* dotted names */
	pb_proto(&b, 4);
	pb_stack_global(&b, "torch._utils", "_rebuild_tensor_v2.__globals__");
	pb_op(&b, '.');
	expect_refused(&b, MC_EUNSAFE, "'torch._utils._rebuild_tensor_v2.__globals__' is not allowed");
	pb_free(&b);
	/* names that are not text */
	pb_proto(&b, 4);
	pb_op(&b, 'T');
	pb_u32(&b, 3);
	pb_raw(&b, "o\0s", 3);
	pb_str(&b, 4, "system");
	pb_op(&b, 0x93);
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "not valid text");
	pb_free(&b);
	pb_proto(&b, 2);
	pb_global(&b, "", "system");
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "not valid text");
	pb_free(&b);
	pb_proto(&b, 2);
	pb_global(&b, "os\xff", "system");
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "not valid text");
	pb_free(&b);
	/* a name longer than the limit */
	{
		char *longname = malloc(MC_PICKLE_MAX_GLOBAL_NAME + 2);
		memset(longname, 'a', MC_PICKLE_MAX_GLOBAL_NAME + 1);
		longname[MC_PICKLE_MAX_GLOBAL_NAME + 1] = '\0';
		pb_proto(&b, 2);
		pb_global(&b, longname, "x");
		pb_op(&b, '.');
		expect_refused(&b, MC_ELIMIT, "longer than");
		pb_free(&b);
		free(longname);
	}
}

/* ---- containers --------------------------------------------------------------------------- */

static void test_container_ops(void **state)
{
	pb b = {0};

	(void)state;
	/* SETITEM on a list, a tuple, a set, a tensor-like object, torch.Size */
	pb_proto(&b, 2);
	pb_op(&b, ']');
	pb_op(&b, 'K');
	pb_op(&b, 0);
	pb_op(&b, 'K');
	pb_op(&b, 1);
	pb_op(&b, 's');
	pb_op(&b, '.');
	expect_refused_off(&b, MC_ECORRUPT, "SETITEM on a list: only a dict takes items", 7);
	pb_free(&b);
	pb_proto(&b, 2);
	pb_global(&b, "torch", "Size");
	pb_op(&b, ')');
	pb_op(&b, 0x85);
	pb_op(&b, 'R');
	pb_op(&b, '(');
	pb_op(&b, 'K');
	pb_op(&b, 0);
	pb_op(&b, 'K');
	pb_op(&b, 1);
	pb_op(&b, 'u');
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "SETITEMS on a tuple");
	pb_free(&b);
	pb_proto(&b, 4);
	pb_op(&b, 0x8f);
	pb_op(&b, 'N');
	pb_op(&b, 'N');
	pb_op(&b, 's');
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "SETITEM on a set");
	pb_free(&b);
	/* APPEND on a dict, APPENDS on an OrderedDict, on a tuple */
	pb_proto(&b, 2);
	pb_op(&b, '}');
	pb_op(&b, 'N');
	pb_op(&b, 'a');
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "APPEND on a dict: only a list takes APPEND");
	pb_free(&b);
	pb_proto(&b, 2);
	pb_global(&b, "collections", "OrderedDict");
	pb_op(&b, ')');
	pb_op(&b, 'R');
	pb_op(&b, '(');
	pb_op(&b, 'N');
	pb_op(&b, 'e');
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "APPENDS on an OrderedDict");
	pb_free(&b);
	pb_proto(&b, 2);
	pb_op(&b, ')');
	pb_op(&b, '(');
	pb_op(&b, 'N');
	pb_op(&b, 'e');
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "APPENDS on a tuple");
	pb_free(&b);
	/* ADDITEMS on a list, on a frozenset */
	pb_proto(&b, 4);
	pb_op(&b, ']');
	pb_op(&b, '(');
	pb_op(&b, 'N');
	pb_op(&b, 0x90);
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "ADDITEMS on a list");
	pb_free(&b);
	pb_proto(&b, 4);
	pb_op(&b, '(');
	pb_op(&b, 0x91);
	pb_op(&b, '(');
	pb_op(&b, 'N');
	pb_op(&b, 0x90);
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "ADDITEMS on a frozenset");
	pb_free(&b);
	/* a container below the MARK that is not there */
	pb_proto(&b, 2);
	pb_op(&b, '(');
	pb_op(&b, 'N');
	pb_op(&b, 'e');
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "no container below its MARK");
	pb_free(&b);
	pb_proto(&b, 2);
	pb_op(&b, ']');
	pb_op(&b, '(');
	pb_op(&b, '(');
	pb_op(&b, 'N');
	pb_op(&b, 'e');
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "no container below its MARK");
	pb_free(&b);
	/* odd SETITEMS and DICT */
	pb_proto(&b, 2);
	pb_op(&b, '}');
	pb_op(&b, '(');
	pb_op(&b, 'N');
	pb_op(&b, 'u');
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "SETITEMS of an odd number");
	pb_free(&b);
	pb_proto(&b, 2);
	pb_op(&b, '(');
	pb_op(&b, 'N');
	pb_op(&b, 'd');
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "DICT of an odd number");
	pb_free(&b);
	/* unhashable keys and set items */
	pb_proto(&b, 2);
	pb_op(&b, '}');
	pb_op(&b, ']');
	pb_op(&b, 'N');
	pb_op(&b, 's');
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "unhashable a list as a dict key");
	pb_free(&b);
	pb_proto(&b, 4);
	pb_op(&b, 0x8f);
	pb_op(&b, '(');
	pb_op(&b, '}');
	pb_op(&b, 0x90);
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "unhashable a dict as a set item");
	pb_free(&b);
	/* duplicate keys: the last value at the first key's place, as Python */
	pb_proto(&b, 2);
	pb_op(&b, '}');
	pb_op(&b, '(');
	pb_str(&b, 2, "a");
	pb_op(&b, 'K');
	pb_op(&b, 1);
	pb_str(&b, 2, "b");
	pb_op(&b, 'K');
	pb_op(&b, 2);
	pb_str(&b, 2, "a");
	pb_op(&b, 'K');
	pb_op(&b, 3);
	pb_op(&b, 'u');
	pb_op(&b, '(');
	pb_op(&b, 'K');
	pb_op(&b, 5);
	pb_op(&b, 'K');
	pb_op(&b, 5);
	pb_op(&b, 'd');
	pb_op(&b, 0x86);
	pb_op(&b, '.');
	want_value(&b, "({s\"a\":3,s\"b\":2},{5:5})");
	pb_free(&b);
	/* sets drop duplicates; frozensets are hashable */
	pb_proto(&b, 4);
	pb_op(&b, 0x8f);
	pb_op(&b, '(');
	pb_op(&b, 'K');
	pb_op(&b, 1);
	pb_op(&b, 'K');
	pb_op(&b, 1);
	pb_op(&b, '(');
	pb_op(&b, 'K');
	pb_op(&b, 2);
	pb_op(&b, 0x91);
	pb_op(&b, 0x90);
	pb_op(&b, '.');
	want_value(&b, "set(1,set(2))");
	pb_free(&b);
	/* a list that holds itself: the cycle is kept, not walked */
	pb_proto(&b, 2);
	pb_op(&b, ']');
	pb_op(&b, 'q');
	pb_op(&b, 0);
	pb_op(&b, 'h');
	pb_op(&b, 0);
	pb_op(&b, 'a');
	pb_op(&b, '.');
	want_value(&b, "[<cycle>]");
	pb_free(&b);
}

/* Work on keys that allocates nothing (long equal keys under different
 * pointers, the same list turned into a set over and over) is bounded by
 * the pickle's size: past the budget it is refused rather than left to
 * run. */
static void test_compare_budget(void **state)
{
	pb b = {0};
	char *key = malloc(65536);

	(void)state;
	memset(key, 'k', 65536);
	pb_proto(&b, 4);
	pb_op(&b, '}');
	for (int copy = 0; copy < 2; copy++) {
		pb_op(&b, 'X');
		pb_u32(&b, 65536);
		pb_raw(&b, key, 65536);
		pb_op(&b, 'q');
		pb_op(&b, (uint8_t)copy);
		pb_op(&b, 'N');
		pb_op(&b, 's');
	}
	pb_op(&b, '.');
	want_value(&b, NULL); /* one key: the second copy replaced the first's value */
	b.n--;
	for (int i = 0; i < 2000; i++) {
		pb_op(&b, 'h');
		pb_op(&b, 1);
		pb_op(&b, 'N');
		pb_op(&b, 's');
	}
	pb_op(&b, '.');
	expect_refused(&b, MC_ELIMIT, "need more work than this pickle's size allows");
	pb_free(&b);
	free(key);

	/* set(L) of one memoised list of 10000 equal items, 500 times: no
	 * allocation to stop it, so the work budget does */
	pb_proto(&b, 4);
	pb_op(&b, ']');
	pb_op(&b, 'q');
	pb_op(&b, 0);
	pb_op(&b, '(');
	for (int i = 0; i < 10000; i++) {
		pb_op(&b, 'K');
		pb_op(&b, 1);
	}
	pb_op(&b, 'e');
	pb_op(&b, '0');
	pb_op(&b, '(');
	for (int i = 0; i < 500; i++) {
		pb_global(&b, "builtins", "set");
		pb_op(&b, 'h');
		pb_op(&b, 0);
		pb_op(&b, 0x85);
		pb_op(&b, 'R');
	}
	pb_op(&b, 'l');
	pb_op(&b, '.');
	expect_refused(&b, MC_ELIMIT, "need more work than this pickle's size allows");
	pb_free(&b);
}

/* ---- stack discipline ------------------------------------------------------------------------ */

static void test_stack_discipline(void **state)
{
	pb b = {0};

	(void)state;
	/* STOP with nothing, two values, an open MARK */
	pb_proto(&b, 2);
	pb_op(&b, '.');
	expect_refused_off(&b, MC_ECORRUPT, "STOP with 0 values", 2);
	pb_free(&b);
	pb_proto(&b, 2);
	pb_op(&b, 'N');
	pb_op(&b, 'N');
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "STOP with 2 values");
	pb_free(&b);
	pb_proto(&b, 2);
	pb_op(&b, 'N');
	pb_op(&b, '(');
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "1 open MARKs");
	pb_free(&b);
	/* popping below a MARK */
	pb_proto(&b, 2);
	pb_op(&b, 'N');
	pb_op(&b, '(');
	pb_op(&b, 'N');
	pb_op(&b, 0x86);
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "TUPLE2 needs 2 values on the stack above its MARK");
	pb_free(&b);
	pb_proto(&b, 2);
	pb_op(&b, '1');
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "POP_MARK without a MARK");
	pb_free(&b);
	pb_proto(&b, 2);
	pb_op(&b, '0');
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "POP needs 1 value");
	pb_free(&b);
	pb_proto(&b, 2);
	pb_op(&b, '2');
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "DUP needs 1 value");
	pb_free(&b);
	/* POP right after MARK pops the MARK (as _pickle.c) */
	pb_proto(&b, 2);
	pb_op(&b, 'N');
	pb_op(&b, '(');
	pb_op(&b, '0');
	pb_op(&b, '.');
	want_value(&b, "None");
	pb_free(&b);
	/* POP_MARK drops what is above the MARK */
	pb_proto(&b, 2);
	pb_op(&b, 'K');
	pb_op(&b, 9);
	pb_op(&b, '(');
	pb_op(&b, 'N');
	pb_op(&b, 'N');
	pb_op(&b, '1');
	pb_op(&b, '.');
	want_value(&b, "9");
	pb_free(&b);
	/* unknown opcodes, and PROTO beyond 5 */
	pb_proto(&b, 2);
	pb_op(&b, 0xff);
	pb_op(&b, '.');
	expect_refused_off(&b, MC_ECORRUPT, "unknown opcode 0xff", 2);
	pb_free(&b);
	pb_proto(&b, 6);
	pb_op(&b, 'N');
	pb_op(&b, '.');
	expect_refused_off(&b, MC_EUNSUPPORTED, "pickle protocol 6 is not supported", 0);
	pb_free(&b);
	/* out-of-band buffers */
	pb_proto(&b, 5);
	pb_op(&b, 0x97);
	pb_op(&b, '.');
	expect_refused(&b, MC_EUNSUPPORTED, "NEXT_BUFFER: out-of-band buffers are not supported");
	pb_free(&b);
	pb_proto(&b, 5);
	pb_op(&b, 'C');
	pb_op(&b, 1);
	pb_op(&b, 'x');
	pb_op(&b, 0x98);
	pb_op(&b, '.');
	expect_refused(&b, MC_EUNSUPPORTED, "READONLY_BUFFER");
	pb_free(&b);
	/* bytes after STOP: the load stops there and says where */
	{
		rec r;
		mc_value *v;
		size_t end = 0;
		pb_proto(&b, 2);
		pb_op(&b, 'N');
		pb_op(&b, '.');
		pb_s(&b, "cos\nsystem\n");
		assert_int_equal(load(&r, b.p, b.n, &v, &end), 0);
		assert_int_equal(end, 4);
		assert_int_equal(v->kind, MC_VALUE_NONE);
		rec_release(&r);
		pb_free(&b);
	}
	/* an empty input */
	{
		rec r;
		mc_value *v;
		size_t end;
		assert_int_equal(load(&r, (const uint8_t *)"", 0, &v, &end), MC_ECORRUPT);
		assert_non_null(strstr(mc_error_last()->msg, "truncated"));
		rec_release(&r);
	}
}

/* ---- extension codes -------------------------------------------------------------------------- */

static void test_extension_codes(void **state)
{
	static const uint8_t ops[] = {0x82, 0x83, 0x84};
	static const int sizes[] = {1, 2, 4};

	(void)state;
	for (int i = 0; i < 3; i++) {
		pb b = {0};
		uint8_t code[4] = {1, 0x12, 0xff, 0x7f};
		pb_proto(&b, 2);
		pb_op(&b, ops[i]);
		for (int k = 0; k < sizes[i]; k++)
			pb_op(&b, code[k]);
		pb_op(&b, ')');
		pb_op(&b, 'R');
		pb_op(&b, '.');
		expect_refused_off(&b, MC_EUNSAFE, "extension code", 2);
		assert_non_null(strstr(mc_error_last()->msg, i == 0 ? "EXT1" : i == 1 ? "EXT2" : "EXT4"));
		pb_free(&b);
	}
}

/* ---- torch tensors ---------------------------------------------------------------------------- */

/* The persistent id torch writes: ('storage', torch.FloatStorage, key, 'cpu', numel). */
static void pb_storage(pb *b, const char *key, int numel)
{
	pb_op(b, '(');
	pb_str(b, 2, "storage");
	pb_global(b, "torch", "FloatStorage");
	pb_str(b, 2, key);
	pb_str(b, 2, "cpu");
	pb_int(b, 2, numel);
	pb_op(b, 't');
	pb_op(b, 'Q');
}

static void pb_i64(pb *b, int64_t v)
{
	if (v >= INT32_MIN && v <= INT32_MAX) {
		pb_int(b, 2, (int32_t)v);
	} else {
		uint8_t x[8];
		pb_op(b, 0x8a);
		pb_op(b, 8);
		mc_store_u64le(x, (uint64_t)v);
		pb_raw(b, x, 8);
	}
}

static void pb_ints(pb *b, const int64_t *v, int n)
{
	pb_op(b, '(');
	for (int i = 0; i < n; i++)
		pb_i64(b, v[i]);
	pb_op(b, 't');
}

/* _rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict()). */
static void pb_tensor(pb *b, int64_t offset, const int64_t *size, int nsize, const int64_t *stride,
                      int nstride)
{
	pb_global(b, "torch._utils", "_rebuild_tensor_v2");
	pb_op(b, '(');
	pb_storage(b, "0", 6);
	pb_i64(b, offset);
	pb_ints(b, size, nsize);
	pb_ints(b, stride, nstride);
	pb_op(b, 0x89);
	pb_global(b, "collections", "OrderedDict");
	pb_op(b, ')');
	pb_op(b, 'R');
	pb_op(b, 't');
	pb_op(b, 'R');
}

static void test_torch_tensor_checks(void **state)
{
	static const struct {
		int64_t offset;
		int64_t size[3];
		int nsize;
		int64_t stride[3];
		int nstride;
		int code;
		const char *frag;
	} cases[] = {
		{0, {2, 3}, 2, {3, 1}, 2, 0, NULL},
		{0, {0}, 1, {1}, 1, 0, NULL},
		{5, {}, 0, {}, 0, 0, NULL},
		{-1, {2}, 1, {1}, 1, MC_ECORRUPT, "storage offset -1 is negative"},
		{0, {-1}, 1, {1}, 1, MC_ECORRUPT, "size -1 is negative"},
		{0, {2}, 1, {-1}, 1, MC_ECORRUPT, "stride -1 is negative"},
		{0, {2, 3}, 2, {1}, 1, MC_ECORRUPT, "size has 2 dimensions but stride has 1"},
		{0, {INT64_C(1) << 62, INT64_C(1) << 62}, 2, {1, 1}, 2, MC_ELIMIT, "overflows"},
		{0, {INT64_C(1) << 40, INT64_C(1) << 40}, 2, {1, 1}, 2, MC_ELIMIT, "element count"},
		{0, {3}, 1, {INT64_MAX}, 1, MC_ELIMIT, "extent"},
		{INT64_MAX, {2}, 1, {1}, 1, MC_ELIMIT, "extent"},
		{INT64_MAX, {0}, 1, {INT64_MAX}, 1, 0, NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pb b = {0};
		pb_proto(&b, 2);
		pb_tensor(&b, cases[i].offset, cases[i].size, cases[i].nsize, cases[i].stride,
		          cases[i].nstride);
		pb_op(&b, '.');
		if (cases[i].code) {
			char what[32];
			snprintf(what, sizeof(what), "case %zu", i);
			expect_refused_at(&b, cases[i].code, cases[i].frag, -1, what, __LINE__);
		} else {
			want_value(&b, "T0");
		}
		pb_free(&b);
	}
}

static void test_torch_tensor_arguments(void **state)
{
	pb b = {0};
	int64_t two[1] = {2}, one[1] = {1};
	int64_t many[MC_MAX_DIMS + 1];
	size_t at;

	(void)state;
	/* the storage is not from a persistent id */
	pb_proto(&b, 2);
	pb_global(&b, "torch._utils", "_rebuild_tensor_v2");
	pb_op(&b, '(');
	pb_str(&b, 2, "storage");
	pb_i64(&b, 0);
	pb_ints(&b, two, 1);
	pb_ints(&b, one, 1);
	pb_op(&b, 0x89);
	pb_op(&b, '}');
	pb_op(&b, 't');
	at = b.n;
	pb_op(&b, 'R');
	pb_op(&b, '.');
	expect_refused_off(&b, MC_ECORRUPT, "storage is a str, not a storage from a persistent id",
	                   (int64_t)at);
	pb_free(&b);
	/* more dims than MC_MAX_DIMS */
	for (int i = 0; i <= MC_MAX_DIMS; i++)
		many[i] = 1;
	pb_proto(&b, 2);
	pb_tensor(&b, 0, many, MC_MAX_DIMS + 1, many, MC_MAX_DIMS + 1);
	pb_op(&b, '.');
	expect_refused(&b, MC_ELIMIT, "65 dimensions, more than 64");
	pb_free(&b);
	/* a storage offset past int64 */
	pb_proto(&b, 2);
	pb_global(&b, "torch._utils", "_rebuild_tensor_v2");
	pb_op(&b, '(');
	pb_storage(&b, "0", 6);
	pb_s(&b, "L18446744073709551616L\n");
	pb_ints(&b, two, 1);
	pb_ints(&b, one, 1);
	pb_op(&b, 0x89);
	pb_op(&b, '}');
	pb_op(&b, 't');
	pb_op(&b, 'R');
	pb_op(&b, '.');
	expect_refused(&b, MC_ELIMIT, "storage offset 18446744073709551616 is too large");
	pb_free(&b);
	/* backward hooks that are not empty; metadata that is not a dict; a
	 * wrong number of arguments; requires_grad not a bool */
	{
		static const char *const frags[] = {"backward hooks are a dict, not an empty dict",
		                                    "metadata is an int, not a dict",
		                                    "takes 6 to 7 arguments, not 5",
		                                    "takes 6 to 7 arguments, not 4",
		                                    "requires_grad is an int, not a bool"};
		for (int i = 0; i < 5; i++) {
			pb_proto(&b, 2);
			pb_global(&b, "torch._utils", "_rebuild_tensor_v2");
			pb_op(&b, '(');
			pb_storage(&b, "0", 6);
			pb_i64(&b, 0);
			pb_ints(&b, two, 1);
			pb_ints(&b, one, 1);
			if (i <= 2)
				pb_op(&b, 0x89);
			if (i == 0) {
				pb_op(&b, '}');
				pb_op(&b, 'K');
				pb_op(&b, 1);
				pb_op(&b, 'N');
				pb_op(&b, 's');
			} else if (i == 1) {
				pb_op(&b, '}');
				pb_op(&b, 'K');
				pb_op(&b, 1);
			} else if (i == 4) {
				pb_op(&b, 'K');
				pb_op(&b, 5);
				pb_op(&b, '}');
			}
			pb_op(&b, 't');
			pb_op(&b, 'R');
			pb_op(&b, '.');
			expect_refused(&b, MC_ECORRUPT, frags[i]);
			pb_free(&b);
		}
	}
	/* the old _rebuild_tensor(storage, offset, size, stride) */
	pb_proto(&b, 2);
	pb_global(&b, "torch._utils", "_rebuild_tensor");
	pb_op(&b, '(');
	pb_storage(&b, "0", 6);
	pb_i64(&b, 1);
	pb_ints(&b, two, 1);
	pb_ints(&b, one, 1);
	pb_op(&b, 't');
	pb_op(&b, 'R');
	pb_op(&b, '.');
	want_value(&b, "T0");
	pb_free(&b);
	/* no tensor hook: refused; no persistent_load: refused */
	{
		rec r;
		mc_value *v;
		size_t end;
		pb_proto(&b, 2);
		pb_tensor(&b, 0, two, 1, one, 1);
		pb_op(&b, '.');
		rec_init(&r, b.n);
		r.env.tensor = NULL;
		assert_int_equal(mc_pickle_load(&v, &end, b.p, b.n, &r.env), MC_EUNSUPPORTED);
		assert_non_null(strstr(mc_error_last()->msg, "torch tensors are not read here"));
		r.env.persistent_load = NULL;
		assert_int_equal(mc_pickle_load(&v, &end, b.p, b.n, &r.env), MC_EUNSUPPORTED);
		assert_non_null(strstr(mc_error_last()->msg, "BINPERSID: persistent ids"));
		rec_release(&r);
		pb_free(&b);
	}
	/* a text PERSID reaches the hook as a str */
	pb_s(&b, "Pkey0\n.");
	want_value(&b, "test.storage(s\"key0\")");
	pb_free(&b);
	pb_s(&b, "Pk\xc3\xa9y\n.");
	expect_refused(&b, MC_ECORRUPT, "PERSID argument is not ASCII");
	pb_free(&b);
}

/* _rebuild_parameter(_with_state) and _rebuild_from_type_v2 around a
 * tensor: the value is the tensor, the parameter hook learns of it. */
static void test_torch_parameters(void **state)
{
	pb b = {0};
	int64_t two[1] = {2}, one[1] = {1};
	rec r;
	mc_value *v;
	size_t end;

	(void)state;
	pb_proto(&b, 2);
	pb_global(&b, "torch._utils", "_rebuild_parameter");
	pb_op(&b, '(');
	pb_tensor(&b, 0, two, 1, one, 1);
	pb_op(&b, 0x88);
	pb_global(&b, "collections", "OrderedDict");
	pb_op(&b, ')');
	pb_op(&b, 'R');
	pb_op(&b, 't');
	pb_op(&b, 'R');
	pb_op(&b, '.');
	assert_int_equal(load(&r, b.p, b.n, &v, &end), 0);
	assert_ptr_equal(v->u.obj.type, tensor_type);
	assert_true(r.tensors[0].parameter);
	assert_true(r.tensors[0].requires_grad);
	assert_int_equal(r.tensors[0].param_calls, 1);
	rec_release(&r);
	/* without a parameter hook it loads all the same */
	rec_init(&r, b.n);
	r.env.parameter = NULL;
	assert_int_equal(mc_pickle_load(&v, &end, b.p, b.n, &r.env), 0);
	assert_false(r.tensors[0].parameter);
	rec_release(&r);
	pb_free(&b);

	/* _rebuild_parameter over something that is not a tensor */
	pb_proto(&b, 2);
	pb_global(&b, "torch._utils", "_rebuild_parameter");
	pb_op(&b, '(');
	pb_op(&b, ')');
	pb_op(&b, 0x88);
	pb_op(&b, '}');
	pb_op(&b, 't');
	pb_op(&b, 'R');
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "data is a tuple, not a rebuilt tensor");
	pb_free(&b);

	/* _rebuild_parameter_with_state: plain attributes dropped, dunder names refused */
	for (int bad = 0; bad < 3; bad++) {
		pb_proto(&b, 2);
		pb_global(&b, "torch._utils", "_rebuild_parameter_with_state");
		pb_op(&b, '(');
		pb_tensor(&b, 0, two, 1, one, 1);
		pb_op(&b, 0x89);
		pb_op(&b, '}');
		pb_op(&b, '}');
		pb_str(&b, 2, bad == 1 ? "__class__" : "_is_sharded");
		pb_op(&b, 0x88);
		pb_op(&b, 's');
		if (bad == 2) { /* (dict, slots) with a dunder slot */
			pb_op(&b, '}');
			pb_str(&b, 2, "__setstate__");
			pb_op(&b, 'N');
			pb_op(&b, 's');
			pb_op(&b, 0x86);
		}
		pb_op(&b, 't');
		pb_op(&b, 'R');
		pb_op(&b, '.');
		if (bad == 0)
			want_value(&b, "T0");
		else
			expect_refused(&b, MC_ECORRUPT, bad == 1 ? "sets '__class__' on a Parameter"
			                                          : "sets '__setstate__' on a Parameter");
		pb_free(&b);
	}

	/* _rebuild_from_type_v2(func, new_type, args, state) */
	{
		/* the Parameter type is torch.nn.parameter.Parameter exactly */
		static const char *const types[][2] = {{"torch.nn.parameter", "Parameter"},
		                                       {"torch", "Tensor"},
		                                       {"collections", "OrderedDict"}};
		for (int t = 0; t < 3; t++) {
			for (int func = 0; func < 2; func++) {
				pb_proto(&b, 2);
				pb_global(&b, "torch._tensor", "_rebuild_from_type_v2");
				pb_op(&b, '(');
				pb_global(&b, func ? "_codecs" : "torch._utils",
				          func ? "encode" : "_rebuild_tensor_v2");
				pb_global(&b, types[t][0], types[t][1]);
				pb_op(&b, '(');
				pb_storage(&b, "0", 6);
				pb_i64(&b, 0);
				pb_ints(&b, two, 1);
				pb_ints(&b, one, 1);
				pb_op(&b, 0x88);
				pb_op(&b, '}');
				pb_op(&b, 't');
				pb_op(&b, 'N');
				pb_op(&b, 't');
				pb_op(&b, 'R');
				pb_op(&b, '.');
				if (func) {
					expect_refused(&b, MC_EUNSAFE, "func is global '_codecs.encode'");
				} else if (t == 2) {
					expect_refused(&b, MC_EUNSAFE, "new_type is global 'collections.OrderedDict'");
				} else {
					assert_int_equal(load(&r, b.p, b.n, &v, &end), 0);
					assert_ptr_equal(v->u.obj.type, tensor_type);
					assert_int_equal(r.tensors[0].parameter, t == 0);
					assert_true(r.tensors[0].requires_grad);
					rec_release(&r);
				}
				pb_free(&b);
			}
		}
	}
	/* a state that is not empty */
	pb_proto(&b, 2);
	pb_global(&b, "torch._tensor", "_rebuild_from_type_v2");
	pb_op(&b, '(');
	pb_global(&b, "torch._utils", "_rebuild_tensor_v2");
	pb_global(&b, "torch", "Tensor");
	pb_op(&b, '(');
	pb_storage(&b, "0", 6);
	pb_i64(&b, 0);
	pb_ints(&b, two, 1);
	pb_ints(&b, one, 1);
	pb_op(&b, 0x88);
	pb_op(&b, '}');
	pb_op(&b, 't');
	pb_op(&b, '}');
	pb_str(&b, 2, "x");
	pb_op(&b, 'N');
	pb_op(&b, 's');
	pb_op(&b, 't');
	pb_op(&b, 'R');
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "state is a dict, not empty");
	pb_free(&b);
}

/* ---- BUILD ---------------------------------------------------------------------------------- */

static void pb_odict(pb *b)
{
	pb_global(b, "collections", "OrderedDict");
	pb_op(b, ')');
	pb_op(b, 'R');
}

static void test_build(void **state)
{
	pb b = {0};
	int64_t two[1] = {2}, one[1] = {1};

	(void)state;
	/* torch's state dict: OrderedDict with _metadata, dropped */
	pb_proto(&b, 2);
	pb_odict(&b);
	pb_str(&b, 2, "w");
	pb_op(&b, 'K');
	pb_op(&b, 1);
	pb_op(&b, 's');
	pb_op(&b, '}');
	pb_str(&b, 2, "_metadata");
	pb_odict(&b);
	pb_str(&b, 2, "");
	pb_op(&b, '}');
	pb_str(&b, 2, "version");
	pb_op(&b, 'K');
	pb_op(&b, 1);
	pb_op(&b, 's');
	pb_op(&b, 's');
	pb_op(&b, 's');
	pb_op(&b, 'b');
	pb_op(&b, '.');
	want_value(&b, "{s\"w\":1}");
	pb_free(&b);
	/* BUILD puts __setstate__ (an allowed callable) on an OrderedDict */
	pb_proto(&b, 2);
	pb_odict(&b);
	pb_op(&b, '}');
	pb_str(&b, 2, "__setstate__");
	pb_global(&b, "_codecs", "encode");
	pb_op(&b, 's');
	pb_op(&b, 'b');
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "BUILD sets '__setstate__' on an OrderedDict");
	pb_free(&b);
	/* slot state setting __class__ */
	pb_proto(&b, 2);
	pb_odict(&b);
	pb_op(&b, 'N');
	pb_op(&b, '}');
	pb_str(&b, 2, "__class__");
	pb_global(&b, "builtins", "set");
	pb_op(&b, 's');
	pb_op(&b, 0x86);
	pb_op(&b, 'b');
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "BUILD sets '__class__' on an OrderedDict");
	pb_free(&b);
	/* a state that is not a dict; a key that is not a str */
	pb_proto(&b, 2);
	pb_odict(&b);
	pb_op(&b, ']');
	pb_op(&b, 'b');
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "BUILD state of an OrderedDict is a list");
	pb_free(&b);
	pb_proto(&b, 2);
	pb_odict(&b);
	pb_op(&b, '}');
	pb_op(&b, 'K');
	pb_op(&b, 1);
	pb_op(&b, 'N');
	pb_op(&b, 's');
	pb_op(&b, 'b');
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "BUILD sets an attribute of an OrderedDict named by an int");
	pb_free(&b);
	/* BUILD on a plain dict, a list, a torch.device, a storage type, a dtype, a global */
	{
		static const char *const cases[] = {"dict", "list", "device", "storage", "dtype",
		                                    "global", "bytes"};
		static const char *const frags[] = {
			"BUILD on a dict is not allowed", "BUILD on a list is not allowed",
			"BUILD on a torch.device is not allowed",
			"BUILD on a torch.FloatStorage is not allowed",
			"BUILD on a torch.dtype is not allowed",
			"BUILD on global 'collections.OrderedDict' is not allowed",
			"BUILD on a bytes is not allowed"};
		for (int i = 0; i < 7; i++) {
			size_t at;
			pb_proto(&b, 4);
			switch (i) {
			case 0: pb_op(&b, '}'); break;
			case 1: pb_op(&b, ']'); break;
			case 2:
				pb_global(&b, "torch", "device");
				pb_str(&b, 4, "cpu");
				pb_op(&b, 0x85);
				pb_op(&b, 'R');
				break;
			case 3: pb_global(&b, "torch", "FloatStorage"); break;
			case 4: pb_global(&b, "torch", "float32"); break;
			case 5: pb_global(&b, "collections", "OrderedDict"); break;
			case 6:
				pb_op(&b, 'C');
				pb_op(&b, 0);
				break;
			}
			pb_op(&b, '}');
			pb_str(&b, 4, "type");
			pb_str(&b, 4, "cuda");
			pb_op(&b, 's');
			at = b.n;
			pb_op(&b, 'b');
			pb_op(&b, '.');
			expect_refused_at(&b, MC_ECORRUPT, frags[i], (int64_t)at, cases[i], __LINE__);
			pb_free(&b);
		}
	}
	/* BUILD on a tensor: empty states pass, anything else is refused */
	for (int st = 0; st < 5; st++) {
		pb_proto(&b, 2);
		pb_tensor(&b, 0, two, 1, one, 1);
		switch (st) {
		case 0: pb_op(&b, 'N'); break;
		case 1: pb_op(&b, '}'); break;
		case 2:
			pb_op(&b, 'N');
			pb_op(&b, '}');
			pb_op(&b, 0x86);
			break;
		case 3:
			pb_op(&b, '}');
			pb_str(&b, 2, "_backward_hooks");
			pb_op(&b, '}');
			pb_op(&b, 's');
			break;
		case 4:
			pb_op(&b, 'N');
			pb_op(&b, '}');
			pb_str(&b, 2, "x");
			pb_op(&b, 'N');
			pb_op(&b, 's');
			pb_op(&b, 0x86);
			break;
		}
		pb_op(&b, 'b');
		pb_op(&b, '.');
		if (st < 3)
			want_value(&b, "T0");
		else
			expect_refused(&b, MC_ECORRUPT, "BUILD on a tensor with");
		pb_free(&b);
	}
	/* BUILD with nothing below its state */
	pb_proto(&b, 2);
	pb_op(&b, 'N');
	pb_op(&b, 'b');
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "BUILD needs 2 values");
	pb_free(&b);
}

/* ---- the other allowed callables ------------------------------------------------------------- */

static void test_allowed_callables(void **state)
{
	pb b = {0};

	(void)state;
	/* OrderedDict from a list of pairs and from a dict */
	pb_proto(&b, 2);
	pb_global(&b, "collections", "OrderedDict");
	pb_op(&b, ']');
	pb_op(&b, '(');
	pb_str(&b, 2, "a");
	pb_op(&b, 'K');
	pb_op(&b, 1);
	pb_op(&b, 0x86);
	pb_op(&b, ']');
	pb_op(&b, 'K');
	pb_op(&b, 2);
	pb_op(&b, 'a');
	pb_op(&b, 'K');
	pb_op(&b, 3);
	pb_op(&b, 'a');
	pb_op(&b, 'e');
	pb_op(&b, 0x85);
	pb_op(&b, 'R');
	pb_op(&b, '.');
	want_value(&b, "{s\"a\":1,2:3}");
	pb_free(&b);
	pb_proto(&b, 2);
	pb_global(&b, "collections", "OrderedDict");
	pb_op(&b, ']');
	pb_op(&b, 'K');
	pb_op(&b, 1);
	pb_op(&b, 'a');
	pb_op(&b, 0x85);
	pb_op(&b, 'R');
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "item 0 is an int, not a (key, value) pair");
	pb_free(&b);
	/* set, frozenset (Python 2 names), bytearray, bytes */
	pb_proto(&b, 2);
	pb_op(&b, '(');
	pb_global(&b, "__builtin__", "set");
	pb_op(&b, ']');
	pb_op(&b, 'K');
	pb_op(&b, 1);
	pb_op(&b, 'a');
	pb_op(&b, 0x85);
	pb_op(&b, 'R');
	pb_global(&b, "builtins", "frozenset");
	pb_op(&b, ')');
	pb_op(&b, 0x85);
	pb_op(&b, 'R');
	pb_global(&b, "builtins", "bytearray");
	pb_op(&b, 'C');
	pb_op(&b, 2);
	pb_s(&b, "hi");
	pb_op(&b, 0x85);
	pb_op(&b, 'R');
	pb_global(&b, "builtins", "bytearray");
	pb_str(&b, 2, "\xc3\xbf!");
	pb_str(&b, 2, "latin-1");
	pb_op(&b, 0x86);
	pb_op(&b, 'R');
	pb_global(&b, "__builtin__", "bytes");
	pb_op(&b, ')');
	pb_op(&b, 'R');
	pb_op(&b, 't');
	pb_op(&b, '.');
	want_value(&b, "(set(1),set(),b\"hi\",b\"\\xff!\",b\"\")");
	pb_free(&b);
	/* bytes(n) would allocate n bytes: refused; bytearray of a list too */
	pb_proto(&b, 2);
	pb_global(&b, "builtins", "bytes");
	pb_op(&b, 'J');
	pb_u32(&b, 0x7fffffff);
	pb_op(&b, 0x85);
	pb_op(&b, 'R');
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "builtins.bytes: argument is an int, not bytes");
	pb_free(&b);
	/* _codecs.encode: latin1 only */
	{
		static const char *const encs[] = {"latin1", "latin-1", "utf-8", "rot13", "LATIN1"};
		for (int i = 0; i < 5; i++) {
			pb_proto(&b, 2);
			pb_global(&b, "_codecs", "encode");
			pb_str(&b, 2, "\xc3\xa9t\xc3\xa9");
			pb_str(&b, 2, encs[i]);
			pb_op(&b, 0x86);
			pb_op(&b, 'R');
			pb_op(&b, '.');
			if (i < 2)
				want_value(&b, "b\"\\xe9t\\xe9\"");
			else
				expect_refused(&b, MC_EUNSUPPORTED, "only the 'latin1' encoding is supported");
			pb_free(&b);
		}
	}
	pb_proto(&b, 2);
	pb_global(&b, "_codecs", "encode");
	pb_str(&b, 2, "\xe4\xb8\xad");
	pb_str(&b, 2, "latin1");
	pb_op(&b, 0x86);
	pb_op(&b, 'R');
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "holds characters beyond latin-1");
	pb_free(&b);
	pb_proto(&b, 2);
	pb_global(&b, "_codecs", "encode");
	pb_str(&b, 2, "x");
	pb_op(&b, 0x85);
	pb_op(&b, 'R');
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "_codecs.encode takes 2 arguments, not 1");
	pb_free(&b);
	/* torch.Size, torch.device */
	pb_proto(&b, 2);
	pb_global(&b, "torch", "Size");
	pb_op(&b, '(');
	pb_op(&b, 'K');
	pb_op(&b, 2);
	pb_op(&b, 'J');
	pb_u32(&b, 0xffffffff);
	pb_op(&b, 't');
	pb_op(&b, 0x85);
	pb_op(&b, 'R');
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "torch.Size: size -1 is negative");
	pb_free(&b);
	pb_proto(&b, 2);
	pb_global(&b, "torch", "device");
	pb_str(&b, 2, "cuda");
	pb_op(&b, 'K');
	pb_op(&b, 0);
	pb_op(&b, 0x86);
	pb_op(&b, 'R');
	pb_global(&b, "torch", "device");
	pb_op(&b, 'K');
	pb_op(&b, 0);
	pb_op(&b, 0x85);
	pb_op(&b, 'R');
	pb_op(&b, 0x86);
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "torch.device: type is an int, not a device name");
	pb_free(&b);
	/* torch.storage.UntypedStorage is named torch.UntypedStorage */
	pb_proto(&b, 2);
	pb_global(&b, "torch.storage", "UntypedStorage");
	pb_global(&b, "torch", "UntypedStorage");
	pb_global(&b, "torch", "QInt8Storage");
	pb_op(&b, 0x87);
	pb_op(&b, '.');
	want_value(&b, "(torch.UntypedStorage,torch.UntypedStorage,torch.QInt8Storage)");
	pb_free(&b);
}

/* ---- numpy ------------------------------------------------------------------------------------ */

/* numpy.dtype(descr, False, True) with BUILD (3, order, None, None, None,
 * -1, -1, flags). */
static void pb_np_dtype(pb *b, const char *descr, const char *order, int flags)
{
	pb_global(b, "numpy", "dtype");
	pb_str(b, 2, descr);
	pb_op(b, 0x89);
	pb_op(b, 0x88);
	pb_op(b, 0x87);
	pb_op(b, 'R');
	if (!order)
		return;
	pb_op(b, '(');
	pb_op(b, 'K');
	pb_op(b, 3);
	pb_str(b, 2, order);
	pb_op(b, 'N');
	pb_op(b, 'N');
	pb_op(b, 'N');
	pb_op(b, 'J');
	pb_u32(b, 0xffffffff);
	pb_op(b, 'J');
	pb_u32(b, 0xffffffff);
	pb_op(b, 'K');
	pb_op(b, (uint8_t)flags);
	pb_op(b, 't');
	pb_op(b, 'b');
}

/* _reconstruct(ndarray, (0,), b'b') + BUILD (1, shape, dtype, fortran, data). */
static void pb_np_array(pb *b, const char *descr, const char *order, const int64_t *shape,
                        int ndim, bool fortran, const void *data, size_t len)
{
	pb_global(b, "numpy.core.multiarray", "_reconstruct");
	pb_global(b, "numpy", "ndarray");
	pb_op(b, 'K');
	pb_op(b, 0);
	pb_op(b, 0x85);
	pb_op(b, 'C');
	pb_op(b, 1);
	pb_op(b, 'b');
	pb_op(b, 0x87);
	pb_op(b, 'R');
	pb_op(b, '(');
	pb_op(b, 'K');
	pb_op(b, 1);
	pb_ints(b, shape, ndim);
	pb_np_dtype(b, descr, order, 0);
	pb_op(b, fortran ? 0x88 : 0x89);
	if (data) {
		pb_op(b, 'B');
		pb_u32(b, (uint32_t)len);
		pb_raw(b, data, len);
	} else {
		pb_op(b, ']'); /* an object array's state holds a list */
	}
	pb_op(b, 't');
	pb_op(b, 'b');
}

static void test_numpy(void **state)
{
	pb b = {0};
	int64_t shape23[2] = {2, 3}, shape2[1] = {2};
	const uint8_t data[24] = {1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5, 0, 0, 0, 6};
	rec r;
	mc_value *v;
	size_t end, data_at;

	(void)state;
	/* a Fortran-order array: the hook gets the flags, data and its offset */
	pb_proto(&b, 3);
	pb_np_array(&b, "i4", "<", shape23, 2, true, data, 24);
	pb_op(&b, '.');
	data_at = b.n - 1 - 2 - 24;
	assert_int_equal(load(&r, b.p, b.n, &v, &end), 0);
	assert_int_equal(r.narrays, 1);
	assert_int_equal(r.arrays[0].a.dtype, MC_INT32);
	assert_true(r.arrays[0].a.fortran);
	assert_false(r.arrays[0].a.swap);
	assert_int_equal(r.arrays[0].a.len, 24);
	assert_int_equal(r.arrays[0].a.offset, data_at);
	assert_memory_equal(r.arrays[0].a.data, data, 24);
	assert_ptr_equal(v->u.obj.type, array_type);
	rec_release(&r);
	pb_free(&b);
	/* big-endian: swap */
	pb_proto(&b, 3);
	pb_np_array(&b, "i2", ">", shape2, 1, false, data, 4);
	pb_op(&b, '.');
	assert_int_equal(load(&r, b.p, b.n, &v, &end), 0);
	assert_true(r.arrays[0].a.swap);
	assert_int_equal(r.arrays[0].dense[1], 1);
	rec_release(&r);
	pb_free(&b);
	/* the data must be exactly the array's size */
	pb_proto(&b, 3);
	pb_np_array(&b, "i4", "<", shape23, 2, false, data, 23);
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "a int32 array of 6 elements needs 24 bytes, the pickle "
	                                "holds 23");
	pb_free(&b);
	/* object arrays: the dtype, the flags, a list state */
	pb_proto(&b, 3);
	pb_np_array(&b, "O8", "|", shape2, 1, false, NULL, 0);
	pb_op(&b, '.');
	expect_refused(&b, MC_EUNSAFE, "numpy dtype 'O8' holds Python objects");
	pb_free(&b);
	pb_proto(&b, 3);
	pb_np_dtype(&b, "<O", NULL, 0);
	pb_op(&b, '.');
	expect_refused(&b, MC_EUNSAFE, "numpy dtype '<O' holds Python objects");
	pb_free(&b);
	pb_proto(&b, 3);
	pb_np_dtype(&b, "f8", "<", 63);
	pb_op(&b, '.');
	expect_refused(&b, MC_EUNSAFE, "flags 63 mark Python objects");
	pb_free(&b);
	pb_proto(&b, 3);
	pb_np_array(&b, "f8", "<", shape2, 1, false, NULL, 0);
	pb_op(&b, '.');
	expect_refused(&b, MC_EUNSAFE, "the array holds Python objects");
	pb_free(&b);
	/* unsupported dtypes */
	{
		static const char *const descrs[] = {"U3", "V8", "M8", "f16", "S5", "", "i3", "c32"};
		for (size_t i = 0; i < sizeof(descrs) / sizeof(descrs[0]); i++) {
			pb_proto(&b, 3);
			pb_np_dtype(&b, descrs[i], NULL, 0);
			pb_op(&b, '.');
			expect_refused(&b, MC_EUNSUPPORTED, "is not supported");
			pb_free(&b);
		}
	}
	/* dtype states: bad order, fields, version */
	pb_proto(&b, 3);
	pb_np_dtype(&b, "f8", "!", 0);
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "numpy.dtype byte order is a str");
	pb_free(&b);
	pb_proto(&b, 3);
	pb_np_dtype(&b, "f8", NULL, 0);
	pb_op(&b, '(');
	pb_op(&b, 'K');
	pb_op(&b, 3);
	pb_str(&b, 2, "<");
	pb_op(&b, 'N');
	pb_op(&b, ')');
	pb_op(&b, 'N');
	pb_op(&b, 'K');
	pb_op(&b, 8);
	pb_op(&b, 'K');
	pb_op(&b, 8);
	pb_op(&b, 'K');
	pb_op(&b, 0);
	pb_op(&b, 't');
	pb_op(&b, 'b');
	pb_op(&b, '.');
	expect_refused(&b, MC_EUNSUPPORTED, "structured dtype");
	pb_free(&b);
	pb_proto(&b, 3);
	pb_np_dtype(&b, "f8", NULL, 0);
	pb_op(&b, 'N');
	pb_op(&b, 'b');
	pb_op(&b, '.');
	expect_refused(&b, MC_EUNSUPPORTED, "numpy.dtype state is None");
	pb_free(&b);
	/* _reconstruct of something that is not numpy.ndarray */
	pb_proto(&b, 3);
	pb_global(&b, "numpy.core.multiarray", "_reconstruct");
	pb_global(&b, "collections", "OrderedDict");
	pb_op(&b, ')');
	pb_op(&b, 'C');
	pb_op(&b, 1);
	pb_op(&b, 'b');
	pb_op(&b, 0x87);
	pb_op(&b, 'R');
	pb_op(&b, '.');
	expect_refused(&b, MC_EUNSAFE, "subtype is global 'collections.OrderedDict', not "
	                               "numpy.ndarray");
	pb_free(&b);
	/* a second BUILD on a built array is refused */
	pb_proto(&b, 3);
	pb_np_array(&b, "i4", "<", shape2, 1, false, data, 8);
	pb_op(&b, 'N');
	pb_op(&b, 'b');
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "BUILD on a numpy array is not allowed");
	pb_free(&b);
	/* no array hook */
	pb_proto(&b, 3);
	pb_np_array(&b, "i4", "<", shape2, 1, false, data, 8);
	pb_op(&b, '.');
	rec_init(&r, b.n);
	r.env.array = NULL;
	assert_int_equal(mc_pickle_load(&v, &end, b.p, b.n, &r.env), MC_EUNSUPPORTED);
	assert_non_null(strstr(mc_error_last()->msg, "numpy arrays are not read here"));
	rec_release(&r);
	pb_free(&b);
	/* scalars: sizes, big-endian, uint64 past int64, complex */
	pb_proto(&b, 3);
	pb_op(&b, '(');
	pb_global(&b, "numpy.core.multiarray", "scalar");
	pb_np_dtype(&b, "u8", "<", 0);
	pb_op(&b, 'C');
	pb_op(&b, 8);
	pb_raw(&b, "\xff\xff\xff\xff\xff\xff\xff\xff", 8);
	pb_op(&b, 0x86);
	pb_op(&b, 'R');
	pb_global(&b, "numpy._core.multiarray", "scalar");
	pb_np_dtype(&b, "i2", ">", 0);
	pb_op(&b, 'C');
	pb_op(&b, 2);
	pb_raw(&b, "\xff\xfe", 2);
	pb_op(&b, 0x86);
	pb_op(&b, 'R');
	pb_global(&b, "numpy.core.multiarray", "scalar");
	pb_np_dtype(&b, "c8", "<", 0);
	pb_op(&b, 'C');
	pb_op(&b, 8);
	pb_raw(&b, "\x00\x00\xc0\x3f\x00\x00\x80\xbf", 8);
	pb_op(&b, 0x86);
	pb_op(&b, 'R');
	pb_global(&b, "numpy.core.multiarray", "scalar");
	pb_np_dtype(&b, "f2", "<", 0);
	pb_op(&b, 'C');
	pb_op(&b, 2);
	pb_raw(&b, "\x00\x3c", 2);
	pb_op(&b, 0x86);
	pb_op(&b, 'R');
	pb_global(&b, "numpy.core.multiarray", "scalar");
	pb_np_dtype(&b, "b1", "|", 0);
	pb_op(&b, 'C');
	pb_op(&b, 1);
	pb_raw(&b, "\x01", 1);
	pb_op(&b, 0x86);
	pb_op(&b, 'R');
	pb_op(&b, 't');
	pb_op(&b, '.');
	want_value(&b, "(18446744073709551615n,-2,(f3ff8000000000000,fbff0000000000000),"
	                 "f3ff0000000000000,True)");
	pb_free(&b);
	pb_proto(&b, 3);
	pb_global(&b, "numpy.core.multiarray", "scalar");
	pb_np_dtype(&b, "f4", "<", 0);
	pb_op(&b, 'C');
	pb_op(&b, 3);
	pb_raw(&b, "abc", 3);
	pb_op(&b, 0x86);
	pb_op(&b, 'R');
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "a float32 scalar needs 4 bytes, the pickle holds 3");
	pb_free(&b);
	pb_proto(&b, 3);
	pb_global(&b, "numpy.core.multiarray", "scalar");
	pb_global(&b, "torch", "float32");
	pb_op(&b, 'C');
	pb_op(&b, 4);
	pb_raw(&b, "abcd", 4);
	pb_op(&b, 0x86);
	pb_op(&b, 'R');
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "dtype is a torch.dtype, not a numpy.dtype");
	pb_free(&b);
	/* _frombuffer: order C or F only */
	pb_proto(&b, 5);
	pb_global(&b, "numpy.core.numeric", "_frombuffer");
	pb_op(&b, '(');
	pb_op(&b, 0x96);
	pb_u64(&b, 8);
	pb_raw(&b, data, 8);
	pb_np_dtype(&b, "i4", "<", 0);
	pb_ints(&b, shape2, 1);
	pb_str(&b, 5, "K");
	pb_op(&b, 't');
	pb_op(&b, 'R');
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "order is a str, not 'C' or 'F'");
	pb_free(&b);
}

/* ---- limits ----------------------------------------------------------------------------------- */

static void test_deep_nesting(void **state)
{
	pb b = {0};

	(void)state;
	/* tuples nested 100000 deep (TUPLE1 over TUPLE1 ...) */
	pb_proto(&b, 2);
	pb_op(&b, ')');
	for (int i = 0; i < 100000; i++)
		pb_op(&b, 0x85);
	pb_op(&b, '.');
	expect_refused_off(&b, MC_ELIMIT, "nest deeper than 1000", 2 + 1 + 1000);
	pb_free(&b);
	/* 100000 open MARKs */
	pb_proto(&b, 2);
	for (int i = 0; i < 100000; i++)
		pb_op(&b, '(');
	pb_op(&b, '.');
	expect_refused_off(&b, MC_ELIMIT, "MARKs nest deeper than 1000", 2 + 1000);
	pb_free(&b);
	/* lists appended into lists */
	pb_proto(&b, 2);
	for (int i = 0; i < 100000; i++)
		pb_op(&b, ']');
	for (int i = 0; i < 99999; i++)
		pb_op(&b, 'a');
	pb_op(&b, '.');
	expect_refused(&b, MC_ELIMIT, "nest deeper than 1000");
	pb_free(&b);
	/* dicts nested as Python writes them: EMPTY_DICT MARK key EMPTY_DICT ... */
	pb_proto(&b, 2);
	for (int i = 0; i < 5000; i++) {
		pb_op(&b, '}');
		pb_op(&b, '(');
		pb_str(&b, 2, "k");
	}
	pb_op(&b, '}');
	for (int i = 0; i < 5000; i++)
		pb_op(&b, 'u');
	pb_op(&b, '.');
	expect_refused(&b, MC_ELIMIT, "nest");
	pb_free(&b);
	/* exactly at the limit it loads */
	pb_proto(&b, 2);
	pb_op(&b, ')');
	for (int i = 0; i < MC_PICKLE_MAX_DEPTH; i++)
		pb_op(&b, 0x85);
	pb_op(&b, '.');
	want_value(&b, NULL);
	pb_free(&b);
	/* a wide tuple is not deep */
	pb_proto(&b, 2);
	pb_op(&b, '(');
	for (int i = 0; i < 100000; i++)
		pb_op(&b, 'N');
	pb_op(&b, 't');
	pb_op(&b, '.');
	want_value(&b, NULL);
	pb_free(&b);
}

static void test_memo(void **state)
{
	pb b = {0};

	(void)state;
	/* LONG_BINPUT and LONG_BINGET at 0xffffffff */
	pb_proto(&b, 2);
	pb_op(&b, 'N');
	pb_op(&b, 'r');
	pb_u32(&b, 0xffffffff);
	pb_op(&b, '.');
	expect_refused_off(&b, MC_ELIMIT, "memo index 4294967295 is beyond the limit", 3);
	pb_free(&b);
	pb_proto(&b, 2);
	pb_op(&b, 'j');
	pb_u32(&b, 0xffffffff);
	pb_op(&b, '.');
	expect_refused_off(&b, MC_ECORRUPT, "memo index 4294967295, which was never set", 2);
	pb_free(&b);
	/* just below the limit is fine: the memo does not grow with the index */
	pb_proto(&b, 2);
	pb_op(&b, 'N');
	pb_op(&b, 'r');
	pb_u32(&b, MC_PICKLE_MAX_MEMO - 1);
	pb_op(&b, '0');
	pb_op(&b, 'j');
	pb_u32(&b, MC_PICKLE_MAX_MEMO - 1);
	pb_op(&b, '.');
	want_value(&b, "None");
	pb_free(&b);
	/* BINGET of an index never set; text GET and PUT */
	pb_proto(&b, 2);
	pb_op(&b, 'h');
	pb_op(&b, 7);
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "BINGET of memo index 7, which was never set");
	pb_free(&b);
	pb_s(&b, "I5\np007\n0g7\n.");
	want_value(&b, "5");
	pb_free(&b);
	pb_s(&b, "I5\np99999999999999999999999\n.");
	expect_refused(&b, MC_ELIMIT, "memo index");
	pb_free(&b);
	pb_s(&b, "I5\np-1\n.");
	expect_refused(&b, MC_ECORRUPT, "PUT index is not a non-negative decimal");
	pb_free(&b);
	pb_s(&b, "g\n.");
	expect_refused(&b, MC_ECORRUPT, "GET index is empty");
	pb_free(&b);
	/* PUT with an empty stack */
	pb_proto(&b, 2);
	pb_op(&b, 'q');
	pb_op(&b, 0);
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "BINPUT needs 1 value");
	pb_free(&b);
	/* MEMOIZE takes the next index after the entries stored, as Python's
	 * len(memo): PUT 5, then MEMOIZE stores at 1 */
	pb_proto(&b, 4);
	pb_op(&b, 'K');
	pb_op(&b, 1);
	pb_op(&b, 'q');
	pb_op(&b, 5);
	pb_op(&b, '0');
	pb_op(&b, 'K');
	pb_op(&b, 2);
	pb_op(&b, 0x94);
	pb_op(&b, '0');
	pb_op(&b, 'h');
	pb_op(&b, 1);
	pb_op(&b, 'h');
	pb_op(&b, 5);
	pb_op(&b, 0x86);
	pb_op(&b, '.');
	want_value(&b, "(2,1)");
	pb_free(&b);
	/* a memoised container filled later is the same object */
	pb_proto(&b, 2);
	pb_op(&b, ']');
	pb_op(&b, 'q');
	pb_op(&b, 0);
	pb_op(&b, 'h');
	pb_op(&b, 0);
	pb_op(&b, 0x86);
	pb_op(&b, 'h');
	pb_op(&b, 0);
	pb_op(&b, 'K');
	pb_op(&b, 4);
	pb_op(&b, 'a');
	pb_op(&b, '0');
	pb_op(&b, '.');
	want_value(&b, "([4],[4])");
	pb_free(&b);
}

/* Hostile lengths for every length-prefixed opcode: a length beyond the
 * bytes left is refused before anything is allocated; small ones load. */
static void test_hostile_lengths(void **state)
{
	static const struct {
		uint8_t op;
		int width; /* bytes of the length field */
		bool is_signed;
		int proto;
	} ops[] = {
		{'T', 4, true, 2},  {'U', 1, false, 2},  {'X', 4, false, 2},  {0x8c, 1, false, 4},
		{'B', 4, false, 3}, {'C', 1, false, 3},  {0x8d, 8, false, 4}, {0x8e, 8, false, 4},
		{0x96, 8, false, 5}, {0x8a, 1, false, 2}, {0x8b, 4, true, 2},  {0x95, 8, false, 4},
	};
	static const uint64_t lens[] = {0, 1, 2, 0x7fffffff, 0xffffffff, UINT64_C(1) << 63,
	                                UINT64_MAX};

	(void)state;
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
			uint64_t len = lens[k];
			pb b = {0};
			char what[64];
			uint8_t field[8];
			if (ops[i].width < 8 && len >> (8 * ops[i].width))
				continue; /* not representable */
			snprintf(what, sizeof(what), "opcode 0x%02x length %llu", ops[i].op,
			         (unsigned long long)len);
			pb_proto(&b, ops[i].proto);
			pb_op(&b, ops[i].op);
			mc_store_u64le(field, len);
			pb_raw(&b, field, (size_t)ops[i].width);
			if (len <= 2) {
				if (ops[i].op == 0x95) {
					pb_s(&b, "N."); /* FRAME 0, 1, 2 over "N." */
					want_value_at(&b, "None", __LINE__);
				} else {
					for (uint64_t j = 0; j < len; j++)
						pb_op(&b, 'x');
					pb_op(&b, '.');
					want_value_at(&b, NULL, __LINE__);
				}
			} else {
				pb_s(&b, "xx.");
				if (ops[i].is_signed && (len & 0x80000000u))
					expect_refused_at(&b, MC_ECORRUPT, "is negative", 3, what, __LINE__);
				else
					expect_refused_at(&b, MC_ECORRUPT, "truncated", -1, what, __LINE__);
			}
			pb_free(&b);
		}
	}
	/* LONG4 within the file but over the cap */
	{
		pb b = {0};
		pb_proto(&b, 2);
		pb_op(&b, 0x8b);
		pb_u32(&b, MC_PICKLE_MAX_LONG_BYTES + 1);
		for (unsigned i = 0; i <= MC_PICKLE_MAX_LONG_BYTES; i++)
			pb_op(&b, 0x11);
		pb_op(&b, '.');
		expect_refused(&b, MC_ELIMIT, "LONG4 of 1786 bytes is beyond the limit");
		pb_free(&b);
	}
}

static void test_frames(void **state)
{
	pb b = {0};

	(void)state;
	/* an opcode that crosses the end of its frame */
	pb_proto(&b, 4);
	pb_op(&b, 0x95);
	pb_u64(&b, 3);
	pb_op(&b, 'J');
	pb_u32(&b, 7);
	pb_op(&b, '.');
	expect_refused_off(&b, MC_ECORRUPT, "BININT crosses the end of its FRAME", 11);
	pb_free(&b);
	/* a frame before the end of the previous one */
	pb_proto(&b, 4);
	pb_op(&b, 0x95);
	pb_u64(&b, 11);
	pb_op(&b, 'N');
	pb_op(&b, 0x95);
	pb_u64(&b, 1);
	pb_op(&b, '.');
	expect_refused(&b, MC_ECORRUPT, "FRAME starts before the end of the previous frame");
	pb_free(&b);
	/* consecutive frames */
	pb_proto(&b, 4);
	pb_op(&b, 0x95);
	pb_u64(&b, 1);
	pb_op(&b, 'N');
	pb_op(&b, 0x95);
	pb_u64(&b, 2);
	pb_op(&b, 'N');
	pb_op(&b, 0x86);
	pb_op(&b, '.');
	want_value(&b, "(None,None)");
	pb_free(&b);
}

/* ---- protocol 0 text and Python 2 ------------------------------------------------------------ */

static void expect_text(const char *pickle, const char *want, int line)
{
	pb b = {0};
	pb_s(&b, pickle);
	want_value_at(&b, want, line);
	pb_free(&b);
}

static void refuse_text(const char *pickle, int code, const char *frag, int line)
{
	pb b = {0};
	pb_s(&b, pickle);
	expect_refused_at(&b, code, frag, -1, pickle, line);
	pb_free(&b);
}

static void test_text_opcodes(void **state)
{
	(void)state;
	/* INT: booleans of protocol 0, ints, big ints; LONG with its L */
	expect_text("I00\n.", "False", __LINE__);
	expect_text("I01\n.", "True", __LINE__);
	expect_text("I0\n.", "0", __LINE__);
	expect_text("I-17\n.", "-17", __LINE__);
	expect_text("I+17\n.", "17", __LINE__);
	expect_text("I9223372036854775807\n.", "9223372036854775807", __LINE__);
	expect_text("I-9223372036854775808\n.", "-9223372036854775808", __LINE__);
	expect_text("I9223372036854775808\n.", "9223372036854775808n", __LINE__);
	expect_text("L-9223372036854775809L\n.", "-9223372036854775809n", __LINE__);
	expect_text("L123L\n.", "123", __LINE__);
	expect_text("L0\n.", "0", __LINE__);
	expect_text("L-0L\n.", "0", __LINE__);
	expect_text("L000\n.", "0", __LINE__);
	refuse_text("I007\n.", MC_ECORRUPT, "leading zeros", __LINE__);
	refuse_text("I0x10\n.", MC_ECORRUPT, "not a decimal integer", __LINE__);
	refuse_text("I\n.", MC_ECORRUPT, "not a decimal integer", __LINE__);
	refuse_text("I1 \n.", MC_ECORRUPT, "not a decimal integer", __LINE__);
	refuse_text("I12", MC_ECORRUPT, "truncated: INT argument has no newline", __LINE__);
	refuse_text("L1LL\n.", MC_ECORRUPT, "not a decimal integer", __LINE__);
	{
		char *big = malloc(MC_PICKLE_MAX_BIGINT_DIGITS + 8);
		big[0] = 'L';
		memset(big + 1, '9', MC_PICKLE_MAX_BIGINT_DIGITS + 1);
		memcpy(big + 2 + MC_PICKLE_MAX_BIGINT_DIGITS, "\n.", 3);
		refuse_text(big, MC_ELIMIT, "4301 digits is beyond the limit", __LINE__);
		big[1] = '1';
		memset(big + 2, '0', MC_PICKLE_MAX_BIGINT_DIGITS - 1);
		memcpy(big + 1 + MC_PICKLE_MAX_BIGINT_DIGITS, "\n.", 3);
		expect_text(big, NULL, __LINE__);
		free(big);
	}
	/* FLOAT: repr of floats, inf and nan; no hex floats or words */
	expect_text("F1.5\n.", "f3ff8000000000000", __LINE__);
	expect_text("F-0.0\n.", "f8000000000000000", __LINE__);
	expect_text("F1e+300\n.", "f7e37e43c8800759c", __LINE__);
	expect_text("F.5\n.", "f3fe0000000000000", __LINE__);
	expect_text("F5.\n.", "f4014000000000000", __LINE__);
	expect_text("Finf\n.", "f7ff0000000000000", __LINE__);
	expect_text("F-Infinity\n.", "ffff0000000000000", __LINE__);
	expect_text("Fnan\n.", "f7ff8000000000000", __LINE__);
	refuse_text("F0x1p3\n.", MC_ECORRUPT, "FLOAT argument is not a number", __LINE__);
	refuse_text("F1e\n.", MC_ECORRUPT, "FLOAT argument is not a number", __LINE__);
	refuse_text("F\n.", MC_ECORRUPT, "FLOAT argument is not a number", __LINE__);
	refuse_text("Fnan(1)\n.", MC_ECORRUPT, "FLOAT argument is not a number", __LINE__);
	refuse_text("F1.5 \n.", MC_ECORRUPT, "FLOAT argument is not a number", __LINE__);
	refuse_text("F111111111111111111111111111111111111111111111111111111111111111111111\n.",
	            MC_ECORRUPT, "too long", __LINE__);
	/* STRING: quoted, with Python's escapes; text when UTF-8, else bytes */
	expect_text("S'abc'\n.", "s\"abc\"", __LINE__);
	expect_text("S\"it's\"\n.", "s\"it's\"", __LINE__);
	expect_text("S'a\\nb\\t\\\\\\'\\x41\\101\\q'\n.", "s\"a\\x0ab\\x09\\x5c'AA\\x5cq\"", __LINE__);
	expect_text("S'\\xff\\x00'\n.", "b\"\\xff\\x00\"", __LINE__);
	expect_text("S'\\xc3\\xa9'\n.", "s\"\\xc3\\xa9\"", __LINE__);
	refuse_text("S'abc\n.", MC_ECORRUPT, "must be quoted", __LINE__);
	refuse_text("Sabc\n.", MC_ECORRUPT, "must be quoted", __LINE__);
	refuse_text("S'\n.", MC_ECORRUPT, "must be quoted", __LINE__);
	refuse_text("S'\\x4'\n.", MC_ECORRUPT, "invalid \\x escape", __LINE__);
	refuse_text("S'a\\'\n.", MC_ECORRUPT, "trailing \\ in a STRING", __LINE__);
	/* UNICODE: raw-unicode-escape */
	expect_text("Vcaf\xe9\n.", "s\"caf\\xc3\\xa9\"", __LINE__);
	expect_text("V\\u4e2d\\U0001f600\n.", "s\"\\xe4\\xb8\\xad\\xf0\\x9f\\x98\\x80\"", __LINE__);
	expect_text("Va\\\\u0041\\n\n.", "s\"a\\x5c\\x5cu0041\\x5cn\"", __LINE__);
	expect_text("Va\\\n.", "s\"a\\x5c\"", __LINE__);
	refuse_text("V\\u12\n.", MC_ECORRUPT, "\\u escape", __LINE__);
	refuse_text("V\\U00110000\n.", MC_ECORRUPT, "out of range", __LINE__);
	/* BINSTRING and SHORT_BINSTRING: bytes when not UTF-8 */
	{
		pb b = {0};
		pb_op(&b, 'U');
		pb_op(&b, 2);
		pb_raw(&b, "\xff\xfe", 2);
		pb_op(&b, 'T');
		pb_u32(&b, 2);
		pb_raw(&b, "ok", 2);
		pb_op(&b, 0x86);
		pb_op(&b, '.');
		want_value(&b, "(b\"\\xff\\xfe\",s\"ok\")");
		pb_free(&b);
	}
	/* BINUNICODE must be UTF-8 (surrogates pass, as Python's surrogatepass) */
	{
		pb b = {0};
		pb_proto(&b, 4);
		pb_op(&b, 0x8c);
		pb_op(&b, 2);
		pb_raw(&b, "\xc3\x28", 2);
		pb_op(&b, '.');
		expect_refused_off(&b, MC_ECORRUPT, "SHORT_BINUNICODE is not valid UTF-8", 2);
		pb_free(&b);
		pb_proto(&b, 4);
		pb_op(&b, 0x8c);
		pb_op(&b, 3);
		pb_raw(&b, "\xed\xa0\x80", 3);
		pb_op(&b, '.');
		want_value(&b, "s\"\\xed\\xa0\\x80\"");
		pb_free(&b);
		pb_proto(&b, 4);
		pb_op(&b, 0x8c);
		pb_op(&b, 2);
		pb_raw(&b, "\xc0\x80", 2); /* overlong NUL */
		pb_op(&b, '.');
		expect_refused(&b, MC_ECORRUPT, "not valid UTF-8");
		pb_free(&b);
	}
	/* a whole Python 2 pickle: __builtin__ names, copy_reg refused */
	expect_text("(lp0\nI1\naS'two'\np1\naF3.0\na(I4\nI5\ntp2\na(dp3\nS'k'\np4\ng1\nsa"
	            "c__builtin__\nset\np5\n((lp6\nI7\natp7\nRp8\na.",
	            "[1,s\"two\",f4008000000000000,(4,5),{s\"k\":s\"two\"},set(7)]", __LINE__);
	refuse_text("ccopy_reg\n_reconstructor\n(c__builtin__\nobject\nNtR.", MC_EUNSAFE,
	            "global 'copyreg._reconstructor' is not allowed", __LINE__);
	/* INST of an allowed class with no arguments */
	expect_text("(icollections\nOrderedDict\n.", "{}", __LINE__);
	refuse_text("(I1\nI2\nitorch\nSize\n.", MC_ECORRUPT,
	            "torch.Size takes 0 to 1 arguments, not 2", __LINE__);
}

/* ---- big ints in binary ---------------------------------------------------------------------- */

static void test_long_bytes(void **state)
{
	static const struct {
		const char *bytes;
		int n;
		const char *want;
	} cases[] = {
		{"", 0, "0"},
		{"\xff", 1, "-1"},
		{"\x80", 1, "-128"},
		{"\x7f", 1, "127"},
		{"\xff\x00", 2, "255"},
		{"\x00\x00\x00\x00\x00\x00\x00\x80", 8, "-9223372036854775808"},
		{"\xff\xff\xff\xff\xff\xff\xff\x7f", 8, "9223372036854775807"},
		{"\x00\x00\x00\x00\x00\x00\x00\x80\x00", 9, "9223372036854775808n"},
		{"\xff\xff\xff\xff\xff\xff\xff\x7f\xff", 9, "-9223372036854775809n"},
		{"\x05\x00\x00\x00\x00\x00\x00\x00\x00\x00", 10, "5"},
		{"\xfb\xff\xff\xff\xff\xff\xff\xff\xff\xff", 10, "-5"},
		{"\x00\x00\x00\x00\x00\x00\x00\x00\x01", 9, "18446744073709551616n"},
		/* 29 digits from 3 words: four steps of 9 digits (fuzz) */
		{"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 12,
		 "39614081257132168796771975167n"},
		{"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80", 12,
		 "-39614081257132168796771975168n"},
		{"\x6a\xa8\x50\x19\x9c\x46\xf9\x20\x6c\xfc", 10, "-16894841563603281074070n"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pb b = {0};
		pb_proto(&b, 2);
		pb_op(&b, 0x8a);
		pb_op(&b, (uint8_t)cases[i].n);
		pb_raw(&b, cases[i].bytes, (size_t)cases[i].n);
		pb_op(&b, '.');
		want_value(&b, cases[i].want);
		pb_free(&b);
	}
	/* 1785 bytes of 0xff..0x7f: the largest accepted, 4300 digits at most */
	{
		pb b = {0};
		rec r;
		mc_value *v;
		size_t end;
		pb_proto(&b, 2);
		pb_op(&b, 0x8b);
		pb_u32(&b, MC_PICKLE_MAX_LONG_BYTES);
		for (unsigned i = 0; i + 1 < MC_PICKLE_MAX_LONG_BYTES; i++)
			pb_op(&b, 0xff);
		pb_op(&b, 0x7f);
		pb_op(&b, '.');
		assert_int_equal(load(&r, b.p, b.n, &v, &end), 0);
		assert_int_equal(v->kind, MC_VALUE_BIGINT);
		assert_true(v->u.s.n <= MC_PICKLE_MAX_BIGINT_DIGITS);
		assert_true(v->u.s.n > 4000);
		assert_int_equal(v->u.s.n, 4299); /* 2^14279 - 1 */
		assert_memory_equal(v->u.s.p + 4296, "087", 3);
		rec_release(&r);
		pb_free(&b);
	}
}

/* ---- the scan -------------------------------------------------------------------------------- */

static void test_scan(void **state)
{
	pb b = {0};
	rec r;
	mc_pickle_global *g;
	size_t count, end;
	size_t at[8];

	(void)state;
	pb_proto(&b, 4);
	at[0] = b.n;
	pb_global(&b, "collections", "OrderedDict");
	at[1] = b.n;
	pb_global(&b, "__builtin__", "eval");
	pb_str(&b, 4, "torch");
	pb_op(&b, 0x94);
	pb_str(&b, 4, "Size");
	at[2] = b.n;
	pb_op(&b, 0x93);
	pb_op(&b, 'h');
	pb_op(&b, 0);
	pb_str(&b, 4, "_utils._rebuild_tensor_v2");
	at[3] = b.n;
	pb_op(&b, 0x93);
	pb_op(&b, 'K');
	pb_op(&b, 1);
	pb_str(&b, 4, "system");
	at[4] = b.n;
	pb_op(&b, 0x93);
	at[5] = b.n;
	pb_op(&b, 0x82);
	pb_op(&b, 7);
	pb_op(&b, '(');
	at[6] = b.n;
	pb_s(&b, "iposix\nsystem\n");
	pb_str(&b, 4, "x\x01y");
	pb_str(&b, 4, "z");
	at[7] = b.n;
	pb_op(&b, 0x93);
	pb_op(&b, '.');
	pb_s(&b, "trailing");
	rec_init(&r, b.n);
	assert_int_equal(mc_pickle_scan(&g, &count, &end, b.p, b.n, &r.env), 0);
	assert_int_equal(end, b.n - 8);
	assert_int_equal(count, 8);
	assert_string_equal(g[0].module, "collections");
	assert_string_equal(g[0].name, "OrderedDict");
	assert_true(g[0].allowed);
	assert_string_equal(g[1].module, "builtins");
	assert_string_equal(g[1].name, "eval");
	assert_false(g[1].allowed);
	assert_string_equal(g[1].why, "not on the allowlist");
	assert_string_equal(g[2].module, "torch");
	assert_string_equal(g[2].name, "Size");
	assert_true(g[2].allowed);
	assert_string_equal(g[3].module, "torch");
	assert_string_equal(g[3].name, "_utils._rebuild_tensor_v2");
	assert_false(g[3].allowed);
	assert_string_equal(g[3].why, "a dotted name reaches an attribute");
	assert_string_equal(g[4].module, "?");
	assert_false(g[4].allowed);
	assert_string_equal(g[4].why, "operands are not literal strings");
	assert_string_equal(g[5].module, "copyreg");
	assert_string_equal(g[5].name, "_extension_registry[7]");
	assert_false(g[5].allowed);
	assert_string_equal(g[6].module, "posix");
	assert_false(g[6].allowed);
	assert_string_equal(g[7].module, "x?y");
	assert_string_equal(g[7].why, "name is not valid text");
	for (int i = 0; i < 8; i++)
		assert_int_equal(g[i].offset, at[i]);
	rec_release(&r);

	/* offsets count from env->origin; an unwalkable stream fails */
	rec_init(&r, b.n);
	r.env.origin = 500;
	assert_int_equal(mc_pickle_scan(&g, &count, &end, b.p, b.n, &r.env), 0);
	assert_int_equal(g[0].offset, 500 + at[0]);
	b.p[at[5]] = 0xff;
	assert_int_equal(mc_pickle_scan(&g, &count, &end, b.p, b.n, &r.env), MC_ECORRUPT);
	assert_non_null(strstr(mc_error_last()->msg, "unknown opcode 0xff"));
	assert_int_equal(mc_error_last()->offset, 500 + at[5]);
	rec_release(&r);
	pb_free(&b);

	/* memoised literals decoded from protocol 0 text, rebound */
	pb_s(&b, "Vcollections\np0\n0Vos\np0\n0S'sys\\x74em'\np1\n0g0\ng1\n");
	pb_op(&b, 0x93);
	pb_op(&b, '.');
	rec_init(&r, b.n);
	assert_int_equal(mc_pickle_scan(&g, &count, &end, b.p, b.n, &r.env), 0);
	assert_int_equal(count, 1);
	assert_string_equal(g[0].module, "os");
	assert_string_equal(g[0].name, "system");
	rec_release(&r);
	pb_free(&b);
}

static void test_allowed(void **state)
{
	(void)state;
	assert_true(mc_pickle_allowed("torch._utils", "_rebuild_tensor_v2"));
	assert_true(mc_pickle_allowed("torch._utils", "_rebuild_parameter"));
	assert_true(mc_pickle_allowed("torch", "FloatStorage"));
	assert_true(mc_pickle_allowed("torch.storage", "UntypedStorage"));
	assert_true(mc_pickle_allowed("torch", "bfloat16"));
	assert_true(mc_pickle_allowed("collections", "OrderedDict"));
	assert_true(mc_pickle_allowed("__builtin__", "set"));
	assert_true(mc_pickle_allowed("numpy.core.multiarray", "_reconstruct"));
	assert_true(mc_pickle_allowed("numpy._core.multiarray", "scalar"));
	assert_true(mc_pickle_allowed("numpy", "dtype"));
	assert_true(mc_pickle_allowed("_codecs", "encode"));
	assert_false(mc_pickle_allowed("torch", "load"));
	assert_false(mc_pickle_allowed("torch.utils.collect_env", "run"));
	assert_false(mc_pickle_allowed("torch._utils", "_rebuild_tensor_v2.__globals__"));
	assert_false(mc_pickle_allowed("collections", "OrderedDict.__class__"));
	assert_false(mc_pickle_allowed("builtins", "getattr"));
	assert_false(mc_pickle_allowed("__builtin__", "eval"));
	assert_false(mc_pickle_allowed("builtins", "object"));
	assert_false(mc_pickle_allowed("numpy", "load"));
	assert_false(mc_pickle_allowed("numpy.core.multiarray", "fromstring"));
	assert_false(mc_pickle_allowed("torch.nn.modules.linear", "Linear"));
	assert_false(mc_pickle_allowed("", ""));
	assert_false(mc_pickle_allowed(NULL, "x"));
}

/* Every file of testdata/bad/pickle that holds a pickle is refused by the
 * loader itself (or ends before its last byte, which the caller refuses),
 * and none crashes the scan. */
static void test_bad_corpus(void **state)
{
	DIR *d = opendir(MC_SOURCE_DIR "/testdata/bad/pickle");
	struct dirent *e;
	size_t files = 0;

	(void)state;
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		char path[1024];
		size_t n, end = 0, count;
		uint8_t *p;
		mc_value *v = NULL;
		mc_pickle_global *g;
		rec r;
		int rc;
		size_t len = strlen(e->d_name);

		if (len < 4 || strcmp(e->d_name + len - 4, ".pkl") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/testdata/bad/pickle/%s", MC_SOURCE_DIR, e->d_name);
		p = tu_read_file(path, &n);
		assert_non_null(p);
		rc = load(&r, p, n, &v, &end);
		if (rc == 0 && end == n)
			fail_msg("%s: loaded", e->d_name);
		(void)mc_pickle_scan(&g, &count, &end, p, n, &r.env);
		rec_release(&r);
		free(p);
		files++;
	}
	closedir(d);
	assert_true(files >= 50);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_fixtures_scan),
		cmocka_unit_test(test_fixture_prefixes),
		cmocka_unit_test(test_refused_globals),
		cmocka_unit_test(test_refused_offset_origin),
		cmocka_unit_test(test_nn_module_hint),
		cmocka_unit_test(test_calls_of_non_callables),
		cmocka_unit_test(test_stack_global_operands),
		cmocka_unit_test(test_container_ops),
		cmocka_unit_test(test_compare_budget),
		cmocka_unit_test(test_stack_discipline),
		cmocka_unit_test(test_extension_codes),
		cmocka_unit_test(test_torch_tensor_checks),
		cmocka_unit_test(test_torch_tensor_arguments),
		cmocka_unit_test(test_torch_parameters),
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_allowed_callables),
		cmocka_unit_test(test_numpy),
		cmocka_unit_test(test_deep_nesting),
		cmocka_unit_test(test_memo),
		cmocka_unit_test(test_hostile_lengths),
		cmocka_unit_test(test_frames),
		cmocka_unit_test(test_text_opcodes),
		cmocka_unit_test(test_long_bytes),
		cmocka_unit_test(test_scan),
		cmocka_unit_test(test_allowed),
		cmocka_unit_test(test_bad_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
