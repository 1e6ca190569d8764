/* SPDX-License-Identifier: MIT */
/*
 * The arena behind a reader's value tree, and the tree's builders and
 * accessors.  The arena's cap is the reader's defence against a file that
 * describes far more structure than its bytes could hold.
 */
#include <stdlib.h>
#include <string.h>

#include "checked.h"
#include "error.h"
#include "value.h"
#include "banned.h"

typedef struct arena_block {
	struct arena_block *next;
	size_t used, size;
	max_align_t data[];
} arena_block;

struct mc_arena {
	arena_block *head;
	size_t total, cap;
};

int mc_arena_new(mc_arena **out, size_t cap)
{
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return mc_nomem();
	(*out)->cap = cap;
	return 0;
}

void mc_arena_free(mc_arena *a)
{
	if (!a)
		return;
	for (arena_block *b = a->head, *next; b; b = next) {
		next = b->next;
		free(b);
	}
	free(a);
}

size_t mc_arena_used(const mc_arena *a)
{
	return a ? a->total : 0;
}

void *mc_arena_alloc(mc_arena *a, size_t n)
{
	const size_t align = _Alignof(max_align_t);
	arena_block *b = a->head;
	size_t need;

	if (!mc_add_size(&need, n, align - 1)) {
		mc_fail(MC_ELIMIT, NULL, NULL, -1, "allocation size overflows");
		return NULL;
	}
	need -= need % align;
	if (!need)
		need = align;
	if (!b || b->size - b->used < need) {
		size_t size = need > 65536 ? need : 65536;
		size_t total;
		/* near the cap, a smaller block than usual still serves the request */
		if (need <= a->cap - a->total && size > a->cap - a->total)
			size = a->cap - a->total;
		if (!mc_add_size(&total, a->total, size) || total > a->cap) {
			mc_fail(MC_ELIMIT, NULL, NULL, -1,
			        "values need more than %zu bytes of memory, more than this file could describe",
			        a->cap);
			return NULL;
		}
		b = malloc(sizeof(*b) + size);
		if (!b) {
			mc_nomem();
			return NULL;
		}
		b->size = size;
		b->used = 0;
		b->next = a->head;
		a->head = b;
		a->total = total;
	}
	{
		void *p = (uint8_t *)b->data + b->used;
		b->used += need;
		memset(p, 0, n);
		return p;
	}
}

char *mc_arena_strndup(mc_arena *a, const char *s, size_t n)
{
	size_t size;
	char *p;

	if (!mc_add_size(&size, n, 1))
		return NULL;
	p = mc_arena_alloc(a, size);
	if (p && n)
		memcpy(p, s, n);
	return p;
}

mc_value *mc_value_new(mc_arena *a, mc_value_kind kind)
{
	mc_value *v = mc_arena_alloc(a, sizeof(*v));
	if (v)
		v->kind = kind;
	return v;
}

mc_value *mc_value_new_int(mc_arena *a, int64_t i)
{
	mc_value *v = mc_value_new(a, MC_VALUE_INT);
	if (v)
		v->u.i = i;
	return v;
}

mc_value *mc_value_new_float(mc_arena *a, double f)
{
	mc_value *v = mc_value_new(a, MC_VALUE_FLOAT);
	if (v)
		v->u.f = f;
	return v;
}

mc_value *mc_value_new_bool(mc_arena *a, bool b)
{
	mc_value *v = mc_value_new(a, MC_VALUE_BOOL);
	if (v)
		v->u.b = b;
	return v;
}

mc_value *mc_value_new_str(mc_arena *a, mc_value_kind kind, const char *s, size_t n)
{
	mc_value *v = mc_value_new(a, kind);
	if (!v)
		return NULL;
	v->u.s.p = mc_arena_strndup(a, s, n);
	if (!v->u.s.p)
		return NULL;
	v->u.s.n = n;
	return v;
}

mc_value *mc_value_new_tensor(mc_arena *a, size_t index)
{
	mc_value *v = mc_value_new(a, MC_VALUE_TENSOR);
	if (v)
		v->u.tensor = index;
	return v;
}

static int seq_push(mc_arena *a, mc_value *seq, mc_value *item)
{
	if (seq->u.seq.n == seq->u.seq.cap) {
		size_t cap = seq->u.seq.cap ? seq->u.seq.cap * 2 : 4;
		size_t bytes;
		mc_value **items;
		if (!mc_mul_size(&bytes, cap, sizeof(*items)))
			return mc_fail(MC_ELIMIT, NULL, NULL, -1, "too many items in one container");
		/* the old array stays in the arena: growth doubles, so the waste
		 * is bounded by the live size */
		items = mc_arena_alloc(a, bytes);
		if (!items)
			return mc_error_last()->code;
		if (seq->u.seq.n)
			memcpy(items, seq->u.seq.items, seq->u.seq.n * sizeof(*items));
		seq->u.seq.items = items;
		seq->u.seq.cap = cap;
	}
	seq->u.seq.items[seq->u.seq.n++] = item;
	return 0;
}

int mc_value_append(mc_arena *a, mc_value *seq, mc_value *item)
{
	if (seq->kind != MC_VALUE_LIST && seq->kind != MC_VALUE_TUPLE && seq->kind != MC_VALUE_SET)
		return mc_fail(MC_EINVAL, NULL, NULL, -1, "append to a value that is not a sequence");
	return seq_push(a, seq, item);
}

bool mc_value_key_equal(const mc_value *x, const mc_value *y)
{
	if (x->kind != y->kind)
		return false;
	switch (x->kind) {
	case MC_VALUE_NONE: return true;
	case MC_VALUE_BOOL: return x->u.b == y->u.b;
	case MC_VALUE_INT: return x->u.i == y->u.i;
	case MC_VALUE_FLOAT: return x->u.f == y->u.f;
	case MC_VALUE_STR:
	case MC_VALUE_BYTES:
	case MC_VALUE_BIGINT:
		return x->u.s.n == y->u.s.n && memcmp(x->u.s.p, y->u.s.p, x->u.s.n) == 0;
	default: return x == y;
	}
}

int mc_value_dict_set(mc_arena *a, mc_value *dict, mc_value *key, mc_value *val)
{
	int rc;

	if (dict->kind != MC_VALUE_DICT)
		return mc_fail(MC_EINVAL, NULL, NULL, -1, "set an item on a value that is not a dict");
	for (size_t i = 0; i < dict->u.seq.n; i += 2) {
		if (mc_value_key_equal(dict->u.seq.items[i], key)) {
			dict->u.seq.items[i + 1] = val;
			return 0;
		}
	}
	if ((rc = seq_push(a, dict, key)) != 0)
		return rc;
	return seq_push(a, dict, val);
}

size_t mc_value_len(const mc_value *v)
{
	if (!v)
		return 0;
	switch (v->kind) {
	case MC_VALUE_LIST:
	case MC_VALUE_TUPLE:
	case MC_VALUE_SET: return v->u.seq.n;
	case MC_VALUE_DICT: return v->u.seq.n / 2;
	default: return 0;
	}
}

const mc_value *mc_value_at(const mc_value *v, size_t i)
{
	if (!v || v->kind == MC_VALUE_DICT || i >= mc_value_len(v))
		return NULL;
	return v->u.seq.items[i];
}

const mc_value *mc_value_dict_key(const mc_value *dict, size_t i)
{
	if (!dict || dict->kind != MC_VALUE_DICT || i >= mc_value_len(dict))
		return NULL;
	return dict->u.seq.items[2 * i];
}

const mc_value *mc_value_dict_val(const mc_value *dict, size_t i)
{
	if (!dict || dict->kind != MC_VALUE_DICT || i >= mc_value_len(dict))
		return NULL;
	return dict->u.seq.items[2 * i + 1];
}

const mc_value *mc_value_dict_get(const mc_value *dict, const char *key)
{
	size_t n = mc_value_len(dict), klen = strlen(key);
	for (size_t i = 0; dict && dict->kind == MC_VALUE_DICT && i < n; i++) {
		const mc_value *k = dict->u.seq.items[2 * i];
		if (k->kind == MC_VALUE_STR && k->u.s.n == klen && memcmp(k->u.s.p, key, klen) == 0)
			return dict->u.seq.items[2 * i + 1];
	}
	return NULL;
}

char *mc_arena_path_stem(mc_arena *a, const char *path, const char *fallback)
{
	const char *base = strrchr(path, '/');
	const char *dot;
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	dot = strrchr(base, '.');
	if (dot && dot != base)
		n = (size_t)(dot - base);
	if (n == 0)
		return mc_arena_strndup(a, fallback, strlen(fallback));
	return mc_arena_strndup(a, base, n);
}
