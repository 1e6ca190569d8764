/* SPDX-License-Identifier: MIT */
/*
 * Flattening a loaded value tree into named tensors (see flatten.h).  The
 * walk is bounded three ways, since a pickle can describe a tree far larger
 * than itself by sharing: nesting depth (which also ends a cycle), the
 * number of positions visited (MC_FLATTEN_MAX_VISITS beyond the number of
 * values the arena holds), and the size of the tensor table, which is
 * charged against the same per-file-byte budget as the reader's values.
 * Names are checked for uniqueness with a small open-addressing hash set.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"
#include "checked.h"
#include "error.h"
#include "flatten.h"
#include "banned.h"

/* The type of a placeholder object: not a Python name, so no pickle can
 * produce one. */
static const char pending_type[] = "<modelctl pending tensor>";

/* How much of a long name a message quotes. */
#define QUOTE 200

typedef struct flat_ctx {
	mc_reader *r;
	mc_flat_tensor **recs; /* parallel to r->tensors */
	size_t cap;            /* slots in r->tensors and recs */
	uint64_t budget;       /* bytes the tensor table may use */
	char *name;            /* the current path, NUL-terminated */
	size_t len, name_cap;
	size_t overlong;       /* pushed segments left out: the path is too long */
	const char *keyless;   /* the kind of a key with no text form above us, or NULL */
	int in_set;            /* inside a set: positions have no order */
	uint64_t visits, max_visits;
	mc_strmap names;       /* the tensor names so far */
} flat_ctx;

mc_value *mc_flat_placeholder(mc_arena *a, mc_flat_tensor *t)
{
	mc_value *v = mc_value_new(a, MC_VALUE_OBJECT);

	if (v) {
		v->u.obj.type = pending_type;
		v->u.obj.ptr = t;
	}
	return v;
}

mc_flat_tensor *mc_flat_pending(const mc_value *v)
{
	if (!v || v->kind != MC_VALUE_OBJECT || v->u.obj.type != pending_type)
		return NULL;
	return v->u.obj.ptr;
}


/* ---- the path ----------------------------------------------------------- */

typedef struct seg_mark {
	size_t len;
	int left_out;
} seg_mark;

/* Append ".seg" (or "seg" at the top) to the path. */
static int push_seg(flat_ctx *x, seg_mark *m, const char *seg, size_t n)
{
	size_t need;

	m->len = x->len;
	m->left_out = 0;
	if (x->overlong || !mc_add_size(&need, x->len, n + 2) || need - 1 > MC_MAX_NAME) {
		/* the name is over the limit already: remember, refuse only if a
		 * tensor ends up with it */
		x->overlong++;
		m->left_out = 1;
		return 0;
	}
	if (need > x->name_cap) {
		size_t ncap = x->name_cap ? x->name_cap : 256;
		char *p;
		while (ncap < need)
			ncap *= 2;
		p = realloc(x->name, ncap);
		if (!p)
			return mc_nomem();
		x->name = p;
		x->name_cap = ncap;
	}
	if (x->len)
		x->name[x->len++] = '.';
	memcpy(x->name + x->len, seg, n);
	x->len += n;
	x->name[x->len] = '\0';
	return 0;
}

static void pop_seg(flat_ctx *x, const seg_mark *m)
{
	if (m->left_out)
		x->overlong--;
	x->len = m->len;
	if (x->name)
		x->name[x->len] = '\0';
}

static const char *shown_path(const flat_ctx *x)
{
	return x->len ? x->name : "<top>";
}

/* ---- the walk ----------------------------------------------------------- */

/* Add a tensor entry for `rec` at the current path; its index in *idx. */
static int add_tensor(flat_ctx *x, mc_flat_tensor *rec, size_t *idx)
{
	mc_reader *r = x->r;
	const char *path = r->map->path;
	mc_tensor_info *t;
	int dup, rc;

	if (x->keyless) {
		mc_fail(MC_EUNSUPPORTED, path, NULL, -1,
		        "tensor under a dict key of type %s (below '%.*s') has no name", x->keyless,
		        QUOTE, shown_path(x));
		return mc_err_hint("modelctl names tensors by str and int dict keys and list "
		                   "indices, as PyTorch state dicts do");
	}
	if (x->in_set)
		return mc_fail(MC_EUNSUPPORTED, path, NULL, -1,
		               "tensor inside a set (at '%.*s') has no name: a set has no order",
		               QUOTE, shown_path(x));
	if (x->overlong)
		return mc_fail(MC_ELIMIT, path, NULL, -1,
		               "tensor name '%.*s...' is longer than the limit of %u bytes", QUOTE,
		               x->name, MC_MAX_NAME);
	if (r->ntensors == x->cap) {
		const size_t per = sizeof(mc_tensor_info) + sizeof(mc_flat_tensor *);
		size_t ncap = x->cap ? x->cap * 2 : 16;
		mc_tensor_info *nt;
		mc_flat_tensor **nr;
		if (ncap > x->budget / per)
			ncap = (size_t)(x->budget / per);
		if (ncap <= r->ntensors)
			return mc_fail(MC_ELIMIT, path, NULL, -1,
			               "more than %zu tensors, more than this file could describe",
			               r->ntensors);
		nt = realloc(r->tensors, ncap * sizeof(*nt));
		if (!nt)
			return mc_nomem();
		r->tensors = nt;
		nr = realloc(x->recs, ncap * sizeof(*nr));
		if (!nr)
			return mc_nomem();
		x->recs = nr;
		x->cap = ncap;
	}
	t = &r->tensors[r->ntensors];
	memset(t, 0, sizeof(*t));
	t->name = x->len ? mc_arena_strndup(r->arena, x->name, x->len)
	                 : mc_arena_path_stem(r->arena, path, "tensor");
	if (!t->name)
		return mc_err_context(path, NULL);
	t->dtype = rec->dtype;
	t->shape = rec->shape;
	t->nbytes = rec->nbytes;
	x->recs[r->ntensors] = rec;
	if ((rc = mc_strmap_put(&x->names, t->name, t, &dup)) != 0)
		return rc;
	if (dup) {
		mc_fail(MC_EUNSUPPORTED, path, NULL, -1, "two tensors flatten to the same name '%.*s'",
		        QUOTE, t->name);
		return mc_err_hint("names join dict keys with '.': a key that contains a '.' can "
		                   "collide with a nested dict's path");
	}
	*idx = r->ntensors++;
	return 0;
}

/* The text of a dict key in a name, or NULL (with `what` describing the
 * key) when it has none. */
static const char *key_text(const mc_value *k, char *buf, size_t size, size_t *n,
                            const char **what)
{
	switch (k->kind) {
	case MC_VALUE_STR:
	case MC_VALUE_BIGINT:
	case MC_VALUE_BYTES: /* a Python 2 str */
		if (memchr(k->u.s.p, '\0', k->u.s.n)) {
			*what = k->kind == MC_VALUE_BYTES ? "bytes with a NUL" : "str with a NUL";
			return NULL;
		}
		*n = k->u.s.n;
		return k->u.s.p;
	case MC_VALUE_INT:
		*n = (size_t)snprintf(buf, size, "%lld", (long long)k->u.i);
		return buf;
	case MC_VALUE_BOOL: *what = "bool"; return NULL;
	case MC_VALUE_FLOAT: *what = "float"; return NULL;
	case MC_VALUE_NONE: *what = "None"; return NULL;
	case MC_VALUE_TUPLE: *what = "tuple"; return NULL;
	default: *what = "object"; return NULL;
	}
}

static int walk(flat_ctx *x, mc_value **slot, int depth);

static int count_visit(flat_ctx *x)
{
	if (++x->visits > x->max_visits)
		return mc_fail(MC_ELIMIT, x->r->map->path, NULL, -1,
		               "values have more than %llu positions: containers shared and repeated",
		               (unsigned long long)x->max_visits);
	return 0;
}

/* Whether a walk below `v` can find a tensor: containers, placeholders and
 * tensors already named.  Scalars are counted but not walked, so a long
 * list of numbers costs no name building. */
static bool may_hold_tensor(const mc_value *v)
{
	if (!v)
		return false;
	switch (v->kind) {
	case MC_VALUE_DICT:
	case MC_VALUE_LIST:
	case MC_VALUE_TUPLE:
	case MC_VALUE_SET:
	case MC_VALUE_TENSOR:
		return true;
	default:
		return mc_flat_pending(v) != NULL;
	}
}

static int walk_child(flat_ctx *x, mc_value **slot, const char *seg, size_t n, int depth)
{
	seg_mark m;
	int rc;

	if (!may_hold_tensor(*slot))
		return count_visit(x);
	rc = push_seg(x, &m, seg, n);

	if (!rc)
		rc = walk(x, slot, depth + 1);
	pop_seg(x, &m);
	return rc;
}

static int walk(flat_ctx *x, mc_value **slot, int depth)
{
	mc_value *v = *slot;
	mc_flat_tensor *rec;
	size_t idx;
	char num[32];
	int rc = 0;

	if (!v)
		return 0;
	if ((rc = count_visit(x)) != 0)
		return rc;
	if ((rec = mc_flat_pending(v)) != NULL) {
		mc_value *t;
		if ((rc = add_tensor(x, rec, &idx)) != 0)
			return rc;
		if (!(t = mc_value_new_tensor(x->r->arena, idx)))
			return mc_err_context(x->r->map->path, NULL);
		*slot = t;
		return 0;
	}
	if (v->kind == MC_VALUE_TENSOR) {
		/* rewritten already: a container reached a second time (shared by
		 * the pickle's memo) gives its tensors a second name */
		if (v->u.tensor >= x->r->ntensors)
			return mc_fail(MC_EINVAL, x->r->map->path, NULL, -1,
			               "tensor reference %zu is out of range", v->u.tensor);
		return add_tensor(x, x->recs[v->u.tensor], &idx);
	}
	if (v->kind != MC_VALUE_DICT && v->kind != MC_VALUE_LIST && v->kind != MC_VALUE_TUPLE &&
	    v->kind != MC_VALUE_SET)
		return 0;
	if (depth >= MC_FLATTEN_MAX_DEPTH)
		return mc_fail(MC_ELIMIT, x->r->map->path, NULL, -1,
		               "values nest deeper than %d levels below '%.*s' (or hold a cycle)",
		               MC_FLATTEN_MAX_DEPTH, QUOTE, shown_path(x));
	if (v->kind == MC_VALUE_DICT) {
		for (size_t i = 0; i + 1 < v->u.seq.n && !rc; i += 2) {
			const char *what = NULL, *saved = x->keyless;
			size_t n = 0;
			const char *seg = key_text(v->u.seq.items[i], num, sizeof(num), &n, &what);
			if (!seg) {
				x->keyless = what;
				seg = "?";
				n = 1;
			}
			rc = walk_child(x, &v->u.seq.items[i + 1], seg, n, depth);
			x->keyless = saved;
		}
		return rc;
	}
	if (v->kind == MC_VALUE_SET)
		x->in_set++;
	for (size_t i = 0; i < v->u.seq.n && !rc; i++) {
		int n = may_hold_tensor(v->u.seq.items[i]) ? snprintf(num, sizeof(num), "%zu", i) : 0;
		rc = walk_child(x, &v->u.seq.items[i], num, (size_t)n, depth);
	}
	if (v->kind == MC_VALUE_SET)
		x->in_set--;
	return rc;
}

int mc_flatten(mc_flat_tensor ***out, mc_reader *r, mc_value *root)
{
	flat_ctx x;
	size_t budget;
	int rc;

	*out = NULL;
	memset(&x, 0, sizeof(x));
	x.r = r;
	if (!mc_mul_size(&budget, r->map->len, MC_VALUE_BYTES_PER_FILE_BYTE) ||
	    !mc_add_size(&budget, budget, MC_VALUE_BYTES_FLOOR))
		budget = SIZE_MAX;
	x.budget = budget;
	/* a tree without sharing has at most one position per value, and each
	 * value takes an mc_value of the arena: only repetition goes beyond */
	x.max_visits = MC_FLATTEN_MAX_VISITS + mc_arena_used(r->arena) / sizeof(mc_value);
	free(r->tensors);
	r->tensors = NULL;
	r->ntensors = 0;
	rc = walk(&x, &root, 0);
	if (!rc && !r->tensors && !(r->tensors = calloc(1, sizeof(*r->tensors))))
		rc = mc_nomem();
	if (!rc && !x.recs && !(x.recs = calloc(1, sizeof(*x.recs))))
		rc = mc_nomem();
	free(x.name);
	mc_strmap_release(&x.names);
	if (rc) {
		free(x.recs);
		return rc;
	}
	r->values = (root && root->kind == MC_VALUE_TENSOR) ? NULL : root;
	*out = x.recs;
	return 0;
}
