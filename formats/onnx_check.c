/* SPDX-License-Identifier: MIT */
/*
 * The structural check of an ONNX model (onnx_check.h).  The rules are
 * onnx.checker.check_model's (onnx/checker.cc and OpSchema::Verify in
 * onnx/defs/schema.cc, onnx 1.12), every violation reported rather than the
 * first; where they part from the checker's, the list says so.
 *
 *   model      ir_version set (the reader insists); opset_import present
 *              from IR 3 on and absent before; each domain imported once,
 *              "" and "ai.onnx" being the same domain (the checker keys
 *              them apart), at a version >= 1; every node's domain
 *              imported.  An IR version newer than onnx 1.12 knows is not
 *              a problem (the checker refuses it).
 *   graphs     a name; inputs, initializers and sparse initializers named,
 *              each name once (an initializer may share an input's name
 *              from IR 4 on, and must before).  Every node output defined
 *              once (static single assignment): not twice, not also a graph
 *              input or initializer, not a name of an enclosing graph
 *              visible at the node that holds this one.  A subgraph's
 *              inputs and initializers may reuse such names and hide them,
 *              as the checker allows.  Every node input ("" is an omitted
 *              optional one) a graph input, initializer, output of an
 *              earlier node or, in a subgraph, a name of an enclosing graph
 *              defined before the node that holds it (the checker looks at
 *              the same names).  An input defined by a later node is told
 *              apart from one defined nowhere: the nodes are not in
 *              topological order.  Graph outputs named, listed once and
 *              defined (the checker does not look).  The main graph's
 *              inputs and outputs typed, tensors with an element type and a
 *              shape, as the checker asks.  Node names need not be unique
 *              or present: neither onnx nor onnxruntime asks for it, and
 *              exporters do write duplicates.
 *   nodes      an op_type; inputs or outputs; attributes named, each once,
 *              typed (from IR 2 on: IR 1 files have no types, and the
 *              value's kind stands for one where the checker refuses every
 *              attribute), holding one value, of that type.  For the
 *              domains of the schema table (onnx_schema.h): the operator
 *              exists at the imported version (its schema the one with the
 *              largest since_version <= it), is not deprecated there, has
 *              as many inputs and outputs as the schema allows with no
 *              required one left "", only attributes the schema knows (but
 *              names starting "__", which onnx leaves to implementations,
 *              and any on the one schema that allows others), each of the
 *              schema's type and, for tensor, graph, sparse tensor and type
 *              attributes, holding one, and the required ones.  Other
 *              domains are not checked against schemas, nor are calls of
 *              the model's own functions.  At a version newer than the
 *              table knows, an operator the table has is checked against
 *              its newest schema for the types of its attributes only
 *              (inputs and attributes change between versions), and a note
 *              says so; the experimental operators onnx 1.12's checker
 *              skips (ImageScaler and so on) get a note too.
 *   tensors    every tensor the reader did not check at open (initializers
 *              and sparse initializers of subgraphs, tensor and sparse
 *              tensor attributes) is read as the runtime will read it:
 *              element type known, dims non-negative, data of the size the
 *              dims need (mc_onnx_tensor_read's checks).  String tensors
 *              hold as many strings as elements and nothing else; 4-bit and
 *              fnuz float8 tensors, which the reader cannot read, have
 *              their dims checked only.  Sparse tensors: values of rank 1,
 *              positive dims, int64 indices of rank 1 (linear) or 2 (one
 *              row per value), in range and strictly increasing.
 *   recursion  graphs of GRAPH and GRAPHS attributes (If, Loop, Scan bodies
 *              and any other) with the same rules, their inputs and outputs
 *              their own, the enclosing graphs' names visible; the model's
 *              functions with the same rules, their inputs as inputs, their
 *              own opset imports, no enclosing names, and attributes that
 *              refer to the function's (ref_attr_name) allowed only there.
 *
 * Not checked, as by the checker: value_info, the types flowing between
 * nodes (that is shape inference), training_info graphs, and whether a
 * function's opset imports agree with the model's.
 *
 * Names are looked up in one hash table per graph, filled before the nodes
 * are walked (so that a name defined later is told apart from one defined
 * nowhere): the check is linear in the size of the model.  Allocation
 * failures are sticky in the checker's rc and stop the walk.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "checked.h"
#include "cursor.h"
#include "error.h"
#include "onnx.h"
#include "onnx_check.h"
#include "onnx_schema.h"
#include "banned.h"

/* How much of a name a message quotes. */
#define QUOTE 200

/* Node attributes past this many are checked for duplicates by a hash
 * table rather than by comparing every pair. */
#define ATTR_PAIRS_MAX 16

typedef Onnx__AttributeProto__AttributeType attr_type;
#define AT(x) ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__##x

/* ---- the problem list ------------------------------------------------------- */

void mc_onnx_problems_init(mc_onnx_problems *p)
{
	memset(p, 0, sizeof(*p));
}

void mc_onnx_problems_release(mc_onnx_problems *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->count; i++) {
		free(p->items[i].graph);
		free(p->items[i].where);
		free(p->items[i].msg);
	}
	free(p->items);
	mc_onnx_problems_init(p);
}

static bool is_control(char ch)
{
	return (unsigned char)ch < 0x20 || ch == 0x7f;
}

/* A copy of s with control bytes written \xNN: names come from the file,
 * and a problem must print as one harmless line. */
static char *escaped_dup(const char *s)
{
	static const char digits[] = "0123456789abcdef";
	size_t n = 1, o = 0;
	char *d;

	for (const char *p = s; *p; p++)
		if (!mc_add_size(&n, n, is_control(*p) ? 4 : 1))
			return NULL;
	if (!(d = malloc(n)))
		return NULL;
	for (; *s; s++) {
		if (is_control(*s)) {
			d[o++] = '\\';
			d[o++] = 'x';
			d[o++] = digits[(unsigned char)*s >> 4];
			d[o++] = digits[*s & 15];
		} else {
			d[o++] = *s;
		}
	}
	d[o] = '\0';
	return d;
}

/* ---- the checker ------------------------------------------------------------- */

/* One imported opset; domain "" is ai.onnx. */
typedef struct opset {
	const char *domain;
	int64_t version;
} opset;

typedef struct opsets {
	const opset *v; /* sorted by domain */
	size_t n;
	opset *owned;   /* what v points to when the list was loaded */
} opsets;

/* The model's functions by (domain, name), sorted, to tell a call of one
 * from an unknown operator. */
typedef struct fn_key {
	const char *domain;
	const char *name;
} fn_key;

typedef struct checker {
	const mc_onnx_model *m;
	const Onnx__ModelProto *mp;
	int64_t ir;
	mc_onnx_problems *out;
	int rc;              /* MC_ENOMEM once an allocation failed */
	const opsets *ops;   /* the imports in force: the model's or a function's */
	bool no_imports;     /* an IR >= 3 model without any (reported once) */
	bool in_function;    /* walking a function body (or a graph inside one) */
	fn_key *fns;
	size_t nfns;
} checker;

/* Where a problem is: the graph's path, the node's index, and a name. */
typedef struct site {
	const char *graph;
	int64_t node;
	const char *where;
} site;

static int nomem(checker *c)
{
	c->rc = mc_nomem();
	return c->rc;
}

/* What an item of the list is. */
typedef enum item_kind {
	ITEM_PROBLEM,
	ITEM_NOTE,
	ITEM_TAIL /* "... and N more": past the cap, counted in neither */
} item_kind;

static void add_item(checker *c, const site *at, item_kind kind, const char *msg)
{
	mc_onnx_problems *p = c->out;
	mc_onnx_problem *it;

	if (kind == ITEM_PROBLEM)
		p->errors++;
	if (c->rc)
		return;
	if (kind != ITEM_TAIL && p->count >= MC_ONNX_CHECK_MAX_PROBLEMS) {
		p->dropped++;
		return;
	}
	if (p->count == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		mc_onnx_problem *items = realloc(p->items, cap * sizeof(*items));
		if (!items) {
			nomem(c);
			return;
		}
		p->items = items;
		p->cap = cap;
	}
	it = &p->items[p->count];
	memset(it, 0, sizeof(*it));
	it->node = at->node;
	it->note = kind == ITEM_NOTE;
	it->graph = escaped_dup(at->graph ? at->graph : "");
	it->msg = escaped_dup(msg);
	if (at->where)
		it->where = escaped_dup(at->where);
	p->count++; /* counted now, so that release frees what was made */
	if (!it->graph || !it->msg || (at->where && !it->where))
		nomem(c);
}

static void vreport(checker *c, const site *at, item_kind kind, const char *fmt, va_list ap)
	MC_PRINTF(4, 0);
static void vreport(checker *c, const site *at, item_kind kind, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	add_item(c, at, kind, msg);
}

static void report(checker *c, const site *at, const char *fmt, ...) MC_PRINTF(3, 4);
static void report(checker *c, const site *at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(c, at, ITEM_PROBLEM, fmt, ap);
	va_end(ap);
}

static void note(checker *c, const site *at, const char *fmt, ...) MC_PRINTF(3, 4);
static void note(checker *c, const site *at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(c, at, ITEM_NOTE, fmt, ap);
	va_end(ap);
}

static const char *str(const char *s)
{
	return s ? s : "";
}

/* The domain as the schema table and the opset list key it. */
static const char *norm_domain(const char *d)
{
	return !d || strcmp(d, "ai.onnx") == 0 ? "" : d;
}

static const char *domain_name(const char *d)
{
	return d[0] ? d : "ai.onnx";
}

/* ---- names: one open-addressing hash table per graph ----------------------- */

enum {
	DEF_INPUT = 1,  /* a graph or function input */
	DEF_INIT = 2,   /* an initializer or sparse initializer */
	DEF_NODE = 4,   /* a node output: `node` says which */
	DEF_CLAIMED = 8 /* the defining node's output has been walked */
};

typedef struct def {
	const char *name; /* borrowed from the model; NULL: a free slot */
	uint64_t hash;
	unsigned flags;
	int64_t node;
} def;

typedef struct names {
	def *slot;
	size_t cap, n; /* cap a power of two, at most half full */
} names;

static uint64_t name_hash(const char *s)
{
	return mc_hash_str(s);
}

static void names_release(names *t)
{
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

static def *names_find(const names *t, const char *name)
{
	uint64_t h;

	if (!t->cap)
		return NULL;
	h = name_hash(name);
	for (size_t i = (size_t)h & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
		def *d = &t->slot[i];
		if (!d->name)
			return NULL;
		if (d->hash == h && strcmp(d->name, name) == 0)
			return d;
	}
}

static int names_grow(names *t, size_t need)
{
	size_t cap = t->cap ? t->cap : 16, want;
	def *slot;

	if (!mc_mul_size(&want, need, 2))
		return MC_ENOMEM;
	while (cap < want)
		if (!mc_mul_size(&cap, cap, 2))
			return MC_ENOMEM;
	if (cap == t->cap)
		return 0;
	if (!(slot = calloc(cap, sizeof(*slot))))
		return MC_ENOMEM;
	for (size_t i = 0; i < t->cap; i++) {
		const def *d = &t->slot[i];
		size_t j;
		if (!d->name)
			continue;
		for (j = (size_t)d->hash & (cap - 1); slot[j].name; j = (j + 1) & (cap - 1))
			;
		slot[j] = *d;
	}
	free(t->slot);
	t->slot = slot;
	t->cap = cap;
	return 0;
}

/* The definition of `name`, added (flags 0) when it is new; *added says
 * which.  NULL when memory ran out (c->rc set). */
static def *names_put(checker *c, names *t, const char *name, bool *added)
{
	uint64_t h = name_hash(name);
	size_t i;

	*added = false;
	if (t->n + 1 > t->cap / 2 && names_grow(t, t->n + 1) != 0) {
		nomem(c);
		return NULL;
	}
	for (i = (size_t)h & (t->cap - 1); t->slot[i].name; i = (i + 1) & (t->cap - 1))
		if (t->slot[i].hash == h && strcmp(t->slot[i].name, name) == 0)
			return &t->slot[i];
	t->slot[i].name = name;
	t->slot[i].hash = h;
	t->n++;
	*added = true;
	return &t->slot[i];
}

/* ---- scopes ------------------------------------------------------------------ */

/* A graph being walked: its names, and where it sits in the one holding it. */
typedef struct scope {
	const struct scope *parent; /* NULL for the main graph and functions */
	int64_t limit;              /* the parent's node holding this graph: only
	                               outputs of the parent's nodes before it
	                               are visible here */
	const char *path;
	names defs;
	Onnx__NodeProto *const *nodes; /* for naming the node that defines a name */
} scope;

/* Where the nearest enclosing graph defines `name`, or NULL; *visible says
 * whether the definition comes before the node holding the inner graph,
 * *in which graph it is. */
static const def *outer_find(const scope *s, const char *name, bool *visible, const scope **in)
{
	int64_t limit = s->limit;

	for (const scope *p = s->parent; p; limit = p->limit, p = p->parent) {
		const def *d = names_find(&p->defs, name);
		if (d) {
			*visible = !(d->flags & DEF_NODE) || d->node < limit;
			*in = p;
			return d;
		}
	}
	return NULL;
}

/* "node 4 ('conv1')" or "node 4 (Conv)" */
static const char *node_ref(char *buf, size_t size, Onnx__NodeProto *const *nodes, int64_t j)
{
	const Onnx__NodeProto *n = nodes[j];

	if (n->name && n->name[0])
		snprintf(buf, size, "node %lld ('%.*s')", (long long)j, QUOTE, n->name);
	else
		snprintf(buf, size, "node %lld (%.*s)", (long long)j, QUOTE, str(n->op_type));
	return buf;
}

static const char *node_label(const Onnx__NodeProto *n)
{
	if (n->name && n->name[0])
		return n->name;
	return n->op_type && n->op_type[0] ? n->op_type : NULL;
}

/* ---- tensors ---------------------------------------------------------------- */

/* Dims of a tensor the reader cannot read: non-negative, their product
 * representable; *numel set when they are. */
static bool check_dims(checker *c, const site *at, const char *what, const Onnx__TensorProto *t,
                       uint64_t *numel)
{
	*numel = 1;
	for (size_t i = 0; i < t->n_dims; i++) {
		if (t->dims[i] < 0) {
			report(c, at, "%s: dim %zu is negative (%lld)", what, i, (long long)t->dims[i]);
			return false;
		}
		if (!mc_mul_u64(numel, *numel, (uint64_t)t->dims[i])) {
			report(c, at, "%s: its dims hold too many elements", what);
			return false;
		}
	}
	return true;
}

/* A string tensor: as many strings as elements, in string_data only.  The
 * reader left a data marker in raw_data only if numeric data fields are
 * present (string_data is not one it elides). */
static bool check_string_tensor(checker *c, const site *at, const char *what,
                                const Onnx__TensorProto *t)
{
	uint64_t numel;

	if (!check_dims(c, at, what, t, &numel))
		return false;
	if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
		return true;
	if (t->has_raw_data) {
		report(c, at, "%s: string tensor holds numeric data (strings belong in string_data)",
		       what);
		return false;
	}
	if (t->n_string_data != numel) {
		report(c, at, "%s: string_data holds %zu strings but the dims need %llu", what,
		       t->n_string_data, (unsigned long long)numel);
		return false;
	}
	return true;
}

/* Check a TensorProto as the runtime will read it; true when it reads
 * (or, of a type the reader has no dtype for, looks right). */
static bool check_tensor(checker *c, const site *at, const char *what, const Onnx__TensorProto *t)
{
	int32_t et = t->has_data_type ? t->data_type : 0;
	uint64_t numel;
	mc_view v;
	int rc;

	if (et == 0) {
		report(c, at, "%s has no element type (data_type)", what);
		return false;
	}
	if (!mc_onnx_type_name(et)) {
		report(c, at, "%s has an unknown element type (%d)", what, (int)et);
		return false;
	}
	if (et == ONNX__TENSOR_PROTO__DATA_TYPE__STRING)
		return check_string_tensor(c, at, what, t);
	if (mc_onnx_dtype(et) == MC_DTYPE_INVALID)
		return check_dims(c, at, what, t, &numel);
	rc = mc_onnx_tensor_read(c->m, t, &v);
	if (rc == MC_ENOMEM) {
		c->rc = rc;
		return false;
	}
	if (rc) {
		report(c, at, "%s: %s", what, mc_error_last()->msg);
		return false;
	}
	mc_view_release(&v);
	return true;
}

/* Indices of a sparse tensor: int64, [nnz] linear or [nnz, rank], in
 * range and strictly increasing (as onnx's checker asks). */
static void check_sparse_indices(checker *c, const site *at, const char *what,
                                 const Onnx__SparseTensorProto *sp, uint64_t nnz, uint64_t dense)
{
	const Onnx__TensorProto *ix = sp->indices;
	size_t rank = sp->n_dims;
	uint64_t prev = 0;
	mc_view v;
	int rc;

	if (!check_tensor(c, at, what, ix))
		return;
	if (ix->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__INT64) {
		report(c, at, "%s: sparse indices are %s, not int64", what,
		       str(mc_onnx_type_name(ix->data_type)));
		return;
	}
	if (ix->n_dims < 1 || ix->n_dims > 2 || (uint64_t)ix->dims[0] != nnz ||
	    (ix->n_dims == 2 && (uint64_t)ix->dims[1] != rank)) {
		report(c, at, "%s: sparse indices must be [%llu] or [%llu, %zu] for %llu values", what,
		       (unsigned long long)nnz, (unsigned long long)nnz, rank,
		       (unsigned long long)nnz);
		return;
	}
	if ((rc = mc_onnx_tensor_read(c->m, ix, &v)) != 0) {
		if (rc == MC_ENOMEM)
			c->rc = rc;
		return; /* reported by check_tensor */
	}
	for (uint64_t i = 0; i < nnz; i++) {
		uint64_t linear = 0;
		size_t per = ix->n_dims == 2 ? rank : 1;
		bool ok = true;
		for (size_t j = 0; j < per && ok; j++) {
			int64_t x = (int64_t)mc_load_u64le(v.data + (i * per + j) * 8);
			uint64_t bound = per == 1 ? dense : (uint64_t)sp->dims[j];
			ok = x >= 0 && (uint64_t)x < bound;
			/* cannot overflow: the result stays below dense */
			linear = per == 1 ? (uint64_t)x : linear * bound + (uint64_t)x;
		}
		if (!ok) {
			report(c, at, "%s: sparse index %llu is out of range", what,
			       (unsigned long long)i);
			break;
		}
		if (i > 0 && linear <= prev) {
			report(c, at, "%s: sparse index %llu is not in increasing order", what,
			       (unsigned long long)i);
			break;
		}
		prev = linear;
	}
	mc_view_release(&v);
}

static void check_sparse(checker *c, const site *at, const char *what,
                         const Onnx__SparseTensorProto *sp)
{
	const Onnx__TensorProto *values = sp->values;
	uint64_t dense = 1, nnz;

	if (!values) {
		report(c, at, "%s: sparse tensor has no values", what);
		return;
	}
	if (!check_tensor(c, at, what, values))
		return;
	if (values->n_dims != 1) {
		report(c, at, "%s: sparse values have rank %zu, not 1", what, values->n_dims);
		return;
	}
	nnz = (uint64_t)values->dims[0]; /* non-negative: the values read */
	if (sp->n_dims == 0) {
		report(c, at, "%s: sparse tensor has no dims", what);
		return;
	}
	for (size_t i = 0; i < sp->n_dims; i++) {
		if (sp->dims[i] <= 0) {
			report(c, at, "%s: sparse tensor dim %zu is %lld, not positive", what, i,
			       (long long)sp->dims[i]);
			return;
		}
		if (!mc_mul_u64(&dense, dense, (uint64_t)sp->dims[i])) {
			report(c, at, "%s: sparse tensor dims hold too many elements", what);
			return;
		}
	}
	if (!sp->indices) {
		if (nnz)
			report(c, at, "%s: sparse tensor has %llu values but no indices", what,
			       (unsigned long long)nnz);
		return;
	}
	check_sparse_indices(c, at, what, sp, nnz, dense);
}

/* ---- opset imports -------------------------------------------------------------- */

static int opset_cmp(const void *pa, const void *pb)
{
	const opset *a = pa, *b = pb;
	return strcmp(a->domain, b->domain);
}

static const opset *opset_find(const opsets *o, const char *domain)
{
	opset key = {domain, 0};
	return o->n ? bsearch(&key, o->v, o->n, sizeof(*o->v), opset_cmp) : NULL;
}

/* Load and check a list of opset imports: each domain once, at a version
 * >= 1.  A domain listed twice is reported and kept once. */
static void opsets_load(checker *c, opsets *out, Onnx__OperatorSetIdProto *const *v, size_t n,
                        const site *at)
{
	size_t kept = 0;
	opset *o;

	memset(out, 0, sizeof(*out));
	if (!n)
		return;
	if (!(o = calloc(n, sizeof(*o)))) {
		nomem(c);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		o[i].domain = norm_domain(v[i]->domain);
		o[i].version = v[i]->has_version ? v[i]->version : 0;
		if (o[i].version < 1)
			report(c, at, "opset_import gives domain '%.*s' version %lld, not a positive one",
			       QUOTE, domain_name(o[i].domain), (long long)o[i].version);
	}
	/* qsort is not stable: which of two equal domains stays is arbitrary,
	 * which does not matter once the duplicate is reported */
	qsort(o, n, sizeof(*o), opset_cmp);
	for (size_t i = 0; i < n; i++) {
		if (kept && strcmp(o[kept - 1].domain, o[i].domain) == 0) {
			report(c, at, "opset_import lists '%.*s' twice", QUOTE, domain_name(o[i].domain));
			continue;
		}
		o[kept++] = o[i];
	}
	out->v = out->owned = o;
	out->n = kept;
}

/* A note for each imported opset newer than the schema table. */
static void note_new_opsets(checker *c, const opsets *o, const site *at)
{
	for (size_t i = 0; i < o->n; i++) {
		int max = mc_onnx_schema_max_version(o->v[i].domain);
		if (max > 0 && o->v[i].version > max)
			note(c, at,
			     "%s opset %lld is newer than the operator table (opset %d): its "
			     "operators are checked against opset %d for attribute types only",
			     domain_name(o->v[i].domain), (long long)o->v[i].version, max, max);
	}
}

/* ---- the model's functions ---------------------------------------------------- */

static int fn_cmp(const void *pa, const void *pb)
{
	const fn_key *a = pa, *b = pb;
	int r = strcmp(a->domain, b->domain);
	return r ? r : strcmp(a->name, b->name);
}

static void index_functions(checker *c)
{
	const Onnx__ModelProto *mp = c->mp;

	if (!mp->n_functions)
		return;
	if (!(c->fns = calloc(mp->n_functions, sizeof(*c->fns)))) {
		nomem(c);
		return;
	}
	for (size_t i = 0; i < mp->n_functions; i++) {
		c->fns[i].domain = norm_domain(mp->functions[i]->domain);
		c->fns[i].name = str(mp->functions[i]->name);
	}
	c->nfns = mp->n_functions;
	qsort(c->fns, c->nfns, sizeof(*c->fns), fn_cmp);
}

static bool is_function_call(const checker *c, const char *domain, const char *op_type)
{
	fn_key key = {domain, op_type};
	return c->nfns && bsearch(&key, c->fns, c->nfns, sizeof(*c->fns), fn_cmp);
}

/* ---- attributes ------------------------------------------------------------------ */

/* The type of the one value an attribute holds, and how many it holds. */
static attr_type held_type(const Onnx__AttributeProto *a, int *count, attr_type *second)
{
	const struct {
		bool present;
		attr_type type;
	} fields[] = {
		{a->has_f, AT(FLOAT)},
		{a->has_i, AT(INT)},
		{a->has_s, AT(STRING)},
		{a->t != NULL, AT(TENSOR)},
		{a->g != NULL, AT(GRAPH)},
		{a->sparse_tensor != NULL, AT(SPARSE_TENSOR)},
		{a->tp != NULL, AT(TYPE_PROTO)},
		{a->n_floats > 0, AT(FLOATS)},
		{a->n_ints > 0, AT(INTS)},
		{a->n_strings > 0, AT(STRINGS)},
		{a->n_tensors > 0, AT(TENSORS)},
		{a->n_graphs > 0, AT(GRAPHS)},
		{a->n_sparse_tensors > 0, AT(SPARSE_TENSORS)},
		{a->n_type_protos > 0, AT(TYPE_PROTOS)},
	};
	attr_type first = AT(UNDEFINED);

	*count = 0;
	*second = AT(UNDEFINED);
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (!fields[i].present)
			continue;
		if (++*count == 1)
			first = fields[i].type;
		else if (*count == 2)
			*second = fields[i].type;
	}
	return first;
}

static bool known_attr_type(int t)
{
	return t >= AT(FLOAT) && t <= AT(TYPE_PROTOS);
}

static bool list_type(attr_type t)
{
	switch (t) {
	case AT(FLOATS): case AT(INTS): case AT(STRINGS): case AT(TENSORS): case AT(GRAPHS):
	case AT(SPARSE_TENSORS): case AT(TYPE_PROTOS):
		return true;
	default:
		return false;
	}
}

/* An attribute on its own: named, typed, holding at most one value, of
 * its type; a reference to a function's attribute only in a function. */
static void check_attr_form(checker *c, const site *at, const Onnx__AttributeProto *a, size_t k)
{
	const char *name = str(a->name);
	int count;
	attr_type second, held = held_type(a, &count, &second);
	bool typed = a->has_type && a->type != AT(UNDEFINED);

	if (!name[0])
		report(c, at, "attribute %zu has no name", k);
	if (!typed && c->ir >= 2)
		report(c, at, "attribute '%.*s' has no type", QUOTE, name);
	else if (typed && !known_attr_type(a->type))
		report(c, at, "attribute '%.*s' has an unknown type (%d)", QUOTE, name, (int)a->type);
	if (count > 1)
		report(c, at, "attribute '%.*s' holds more than one value (%s and %s)", QUOTE, name,
		       mc_onnx_attr_type_name(held), mc_onnx_attr_type_name(second));
	else if (count == 1 && typed && known_attr_type(a->type) && held != a->type)
		report(c, at, "attribute '%.*s' is declared %s but holds %s", QUOTE, name,
		       mc_onnx_attr_type_name(a->type), mc_onnx_attr_type_name(held));
	if (a->ref_attr_name && a->ref_attr_name[0]) {
		if (!c->in_function)
			report(c, at, "attribute '%.*s' refers to '%.*s' of a function, outside any function",
			       QUOTE, name, QUOTE, a->ref_attr_name);
		else if (count)
			report(c, at, "attribute '%.*s' refers to '%.*s' of the function but also holds a "
			       "value", QUOTE, name, QUOTE, a->ref_attr_name);
	}
}

static void check_graph(checker *c, const Onnx__GraphProto *g, const scope *parent,
                        int64_t limit, const char *path);

/* "If_0/then_branch", "Loop#3/body", "Scan#2/graphs[1]" below `parent`. */
static char *subgraph_path(const char *parent, const Onnx__NodeProto *n, int64_t i,
                           const char *attr, size_t k, bool many)
{
	char holder[QUOTE + 32], leaf[QUOTE + 32];
	size_t len;
	char *p;

	if (n->name && n->name[0])
		snprintf(holder, sizeof(holder), "%.*s", QUOTE, n->name);
	else
		snprintf(holder, sizeof(holder), "%.*s#%lld", QUOTE, str(n->op_type), (long long)i);
	if (many)
		snprintf(leaf, sizeof(leaf), "%.*s[%zu]", QUOTE, attr, k);
	else
		snprintf(leaf, sizeof(leaf), "%.*s", QUOTE, attr);
	len = strlen(parent) + strlen(holder) + strlen(leaf) + 3;
	if (!(p = malloc(len)))
		return NULL;
	snprintf(p, len, "%s%s%s/%s", parent, parent[0] ? "/" : "", holder, leaf);
	return p;
}

static void check_subgraph(checker *c, const scope *s, int64_t i, const Onnx__AttributeProto *a,
                           const Onnx__GraphProto *g, size_t k, bool many)
{
	char *path = subgraph_path(s->path, s->nodes[i], i, str(a->name), k, many);

	if (!path) {
		nomem(c);
		return;
	}
	check_graph(c, g, s, i, path);
	free(path);
}

/* The tensors and graphs an attribute holds. */
static void check_attr_values(checker *c, const scope *s, int64_t i, const site *at,
                              const Onnx__AttributeProto *a)
{
	char what[QUOTE + 64];

	snprintf(what, sizeof(what), "tensor of attribute '%.*s'", QUOTE, str(a->name));
	if (a->t)
		check_tensor(c, at, what, a->t);
	if (a->sparse_tensor)
		check_sparse(c, at, what, a->sparse_tensor);
	for (size_t k = 0; k < a->n_tensors && !c->rc; k++)
		check_tensor(c, at, what, a->tensors[k]);
	for (size_t k = 0; k < a->n_sparse_tensors && !c->rc; k++)
		check_sparse(c, at, what, a->sparse_tensors[k]);
	if (a->g)
		check_subgraph(c, s, i, a, a->g, 0, false);
	for (size_t k = 0; k < a->n_graphs && !c->rc; k++)
		check_subgraph(c, s, i, a, a->graphs[k], k, true);
}

/* Attribute names given twice: pairs compared for the usual handful, a
 * table for more. */
static void check_attr_names(checker *c, const site *at, const Onnx__NodeProto *n)
{
	names seen = {0};

	for (size_t k = 0; k < n->n_attribute && !c->rc; k++) {
		const char *name = str(n->attribute[k]->name);
		bool twice = false, added;
		if (!name[0])
			continue;
		if (n->n_attribute <= ATTR_PAIRS_MAX) {
			for (size_t j = 0; j < k && !twice; j++)
				twice = strcmp(str(n->attribute[j]->name), name) == 0;
		} else {
			def *d = names_put(c, &seen, name, &added);
			twice = d && !added;
		}
		if (twice)
			report(c, at, "attribute '%.*s' is given twice", QUOTE, name);
	}
	names_release(&seen);
}

/* ---- operators against their schemas ------------------------------------------- */

static const mc_onnx_attr_schema *attr_schema(const mc_onnx_schema *s, const char *name)
{
	size_t lo = 0, hi = s->nattrs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = strcmp(s->attrs[mid].name, name);
		if (r == 0)
			return &s->attrs[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* "1", "2 to 3", "at least 1" */
static const char *count_text(char *buf, size_t size, int min, int max)
{
	if (min == max)
		snprintf(buf, size, "%d", min);
	else if (max == INT_MAX)
		snprintf(buf, size, "at least %d", min);
	else
		snprintf(buf, size, "%d to %d", min, max);
	return buf;
}

/* Inputs (or outputs) against the formal parameters: the count within the
 * schema's bounds, no single (required) one left "". */
static void check_arity(checker *c, const site *at, const char *op, int64_t version,
                        const char *what, char *const *vals, size_t n, int min, int max,
                        const mc_onnx_param_schema *params, size_t nparams)
{
	char range[64];

	if (n < (size_t)min || n > (size_t)max) {
		report(c, at, "%zu %s%s, but %.*s (opset %lld) takes %s", n, what, n == 1 ? "" : "s",
		       QUOTE, op, (long long)version, count_text(range, sizeof(range), min, max));
		return;
	}
	for (size_t k = 0; k < n && k < nparams; k++)
		if (params[k].option == MC_ONNX_PARAM_SINGLE && !vals[k][0])
			report(c, at, "%s %zu ('%s') of %.*s is required but empty (\"\")", what, k,
			       params[k].name, QUOTE, op);
}

/* The node's attributes against the schema: known (when `full`), of the
 * schema's type, holding the value a tensor, graph, sparse tensor or type
 * attribute needs; the required ones present (when `full`). */
static void check_attrs_against(checker *c, const site *at, const Onnx__NodeProto *n,
                                const mc_onnx_schema *s, int64_t version, bool full)
{
	const char *op = n->op_type;

	for (size_t k = 0; k < n->n_attribute; k++) {
		const Onnx__AttributeProto *a = n->attribute[k];
		const char *name = str(a->name);
		const mc_onnx_attr_schema *as;
		attr_type t;
		int count;
		attr_type second;

		if (!name[0] || strncmp(name, "__", 2) == 0)
			continue;
		if (!(as = attr_schema(s, name))) {
			if (full && !s->unchecked_attrs)
				report(c, at, "unknown attribute '%.*s' (%.*s of opset %lld has none of "
				       "that name)", QUOTE, name, QUOTE, op, (long long)version);
			continue;
		}
		/* the type field, or for IR 1 files, which have none (from IR 2 a
		 * missing one is reported on its own), the value's */
		t = mc_onnx_attr_type(a);
		if (t != (attr_type)as->type && !(t == AT(UNDEFINED) && list_type((attr_type)as->type))) {
			report(c, at, "attribute '%.*s' is %s, but %.*s needs %s", QUOTE, name,
			       mc_onnx_attr_type_name(t), QUOTE, op,
			       mc_onnx_attr_type_name((attr_type)as->type));
			continue;
		}
		if ((a->ref_attr_name && a->ref_attr_name[0]) || list_type(t))
			continue;
		if (held_type(a, &count, &second) != t &&
		    (t == AT(TENSOR) || t == AT(GRAPH) || t == AT(SPARSE_TENSOR) || t == AT(TYPE_PROTO)))
			report(c, at, "attribute '%.*s' holds no %s", QUOTE, name,
			       mc_onnx_attr_type_name(t));
	}
	for (size_t k = 0; full && k < s->nattrs; k++)
		if (s->attrs[k].required && !mc_onnx_attr(n, s->attrs[k].name))
			report(c, at, "required attribute '%s' of %.*s is missing", s->attrs[k].name,
			       QUOTE, op);
}

/* The 11 operators onnx 1.12's checker calls experimental and skips. */
static bool experimental_op(const char *op)
{
	static const char *const ops[] = {"ATen", "Affine", "ConstantFill", "Crop", "DynamicSlice",
	                                  "GRUUnit", "GivenTensorFill", "ImageScaler",
	                                  "ParametricSoftplus", "Scale", "ScaledTanh"};

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(ops[i], op) == 0)
			return true;
	return false;
}

/* The node's operator: imported domain, known at that version, its
 * inputs, outputs and attributes as the schema says. */
static void check_operator(checker *c, const site *at, const Onnx__NodeProto *n)
{
	const char *domain = norm_domain(n->domain), *op = n->op_type;
	const mc_onnx_schema *s, *first;
	const opset *o = opset_find(c->ops, domain);
	int max;
	size_t nhist;

	if (!o) {
		if (!(c->no_imports && !domain[0] && !c->in_function))
			report(c, at, "domain '%.*s' has no opset import", QUOTE, domain_name(domain));
		return;
	}
	if (o->version < 1 || is_function_call(c, domain, op) ||
	    !(max = mc_onnx_schema_max_version(domain)))
		return; /* reported at the import; a call; not onnx's domain */
	if (o->version > max) {
		s = mc_onnx_schema_find(domain, op, max);
		if (s && !s->deprecated)
			check_attrs_against(c, at, n, s, max, false);
		return;
	}
	if (!(s = mc_onnx_schema_find(domain, op, o->version))) {
		first = mc_onnx_schema_history(&nhist, domain, op);
		if (first)
			report(c, at, "operator '%.*s' is not in %s opset %lld (it came in opset %d)", QUOTE,
			       op, domain_name(domain), (long long)o->version, first->since_version);
		else if (!domain[0] && experimental_op(op))
			note(c, at, "experimental operator '%.*s' is not checked", QUOTE, op);
		else
			report(c, at, "unknown operator '%.*s' in %s opset %lld", QUOTE, op,
			       domain_name(domain), (long long)o->version);
		return;
	}
	if (s->deprecated) {
		report(c, at, "operator '%.*s' is deprecated in %s opset %lld (since opset %d)", QUOTE, op,
		       domain_name(domain), (long long)o->version, s->since_version);
		return;
	}
	check_arity(c, at, op, o->version, "input", n->input, n->n_input, s->min_inputs,
	            s->max_inputs, s->inputs, s->ninputs);
	check_arity(c, at, op, o->version, "output", n->output, n->n_output, s->min_outputs,
	            s->max_outputs, s->outputs, s->noutputs);
	check_attrs_against(c, at, n, s, o->version, true);
}

/* ---- nodes --------------------------------------------------------------------- */

static void check_node_input(checker *c, const scope *s, const site *at, int64_t i,
                             const char *in)
{
	char ref[QUOTE + 64];
	const def *d = names_find(&s->defs, in);
	const scope *outer;
	bool visible;

	if (d) {
		if (!(d->flags & DEF_NODE) || d->node < i)
			return;
		if (outer_find(s, in, &visible, &outer) && visible)
			return; /* meant the outer value: the output hiding it is reported */
		if (d->node == i)
			report(c, at, "input '%.*s' is the node's own output", QUOTE, in);
		else
			report(c, at, "input '%.*s' is used before %s defines it (nodes are not in "
			       "topological order)", QUOTE, in,
			       node_ref(ref, sizeof(ref), s->nodes, d->node));
		return;
	}
	if ((d = outer_find(s, in, &visible, &outer)) != NULL) {
		if (!visible)
			report(c, at, "input '%.*s' of an enclosing graph is used before %s there "
			       "defines it", QUOTE, in, node_ref(ref, sizeof(ref), outer->nodes, d->node));
		return;
	}
	report(c, at, "input '%.*s' is never defined (no graph input, initializer or node output%s "
	       "has that name)", QUOTE, in, s->parent ? " here or in an enclosing graph" : "");
}

static void check_node_output(checker *c, const scope *s, const site *at, int64_t i,
                              const char *out)
{
	char ref[QUOTE + 64];
	def *d = names_find(&s->defs, out);
	const scope *outer;
	bool visible;

	if (!d)
		return; /* not added: memory ran out */
	if (!(d->flags & DEF_NODE)) {
		report(c, at, "output '%.*s' is also the name of a graph %s", QUOTE, out,
		       d->flags & DEF_INPUT ? "input" : "initializer");
		return;
	}
	if (d->node != i) {
		report(c, at, "output '%.*s' is already the output of %s", QUOTE, out,
		       node_ref(ref, sizeof(ref), s->nodes, d->node));
		return;
	}
	if (d->flags & DEF_CLAIMED) {
		report(c, at, "output '%.*s' is listed twice by the node", QUOTE, out);
		return;
	}
	d->flags |= DEF_CLAIMED;
	if (outer_find(s, out, &visible, &outer) && visible)
		report(c, at, "output '%.*s' is also the name of a value of an enclosing graph", QUOTE,
		       out);
}

static void check_node(checker *c, const scope *s, int64_t i)
{
	const Onnx__NodeProto *n = s->nodes[i];
	site at = {s->path, i, node_label(n)};

	for (size_t k = 0; k < n->n_input; k++)
		if (n->input[k][0])
			check_node_input(c, s, &at, i, n->input[k]);
	if (!n->op_type || !n->op_type[0])
		report(c, &at, "node has no op_type");
	if (!n->n_input && !n->n_output)
		report(c, &at, "node has no inputs and no outputs");
	check_attr_names(c, &at, n);
	for (size_t k = 0; k < n->n_attribute && !c->rc; k++) {
		check_attr_form(c, &at, n->attribute[k], k);
		check_attr_values(c, s, i, &at, n->attribute[k]);
	}
	if (n->op_type && n->op_type[0])
		check_operator(c, &at, n);
	for (size_t k = 0; k < n->n_output; k++)
		if (n->output[k][0])
			check_node_output(c, s, &at, i, n->output[k]);
}

/* Every node output into the scope's table (the first definition of a
 * name wins), then every node in order. */
static void check_nodes(checker *c, scope *s, size_t n)
{
	for (size_t i = 0; i < n && !c->rc; i++) {
		const Onnx__NodeProto *node = s->nodes[i];
		for (size_t k = 0; k < node->n_output; k++) {
			bool added;
			def *d;
			if (!node->output[k][0])
				continue;
			if (!(d = names_put(c, &s->defs, node->output[k], &added)))
				return;
			if (added) {
				d->flags = DEF_NODE;
				d->node = (int64_t)i;
			}
		}
	}
	for (size_t i = 0; i < n && !c->rc; i++)
		check_node(c, s, (int64_t)i);
}

/* ---- graphs ----------------------------------------------------------------------- */

/* What onnx's checker asks of the main graph's inputs and outputs: a type,
 * and for tensors an element type and a shape. */
static void check_value_type(checker *c, const site *at, const char *what, const char *name,
                             const Onnx__TypeProto *tp)
{
	bool elem = true, shape = true;

	if (!tp) {
		report(c, at, "%s '%.*s' has no type", what, QUOTE, name);
		return;
	}
	switch (tp->value_case) {
	case ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE:
		elem = tp->tensor_type->has_elem_type && tp->tensor_type->elem_type != 0;
		shape = tp->tensor_type->shape != NULL;
		break;
	case ONNX__TYPE_PROTO__VALUE_SPARSE_TENSOR_TYPE:
		elem = tp->sparse_tensor_type->has_elem_type && tp->sparse_tensor_type->elem_type != 0;
		shape = tp->sparse_tensor_type->shape != NULL;
		break;
	case ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE:
		elem = tp->sequence_type->elem_type != NULL;
		break;
	case ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE:
		elem = tp->optional_type->elem_type != NULL;
		break;
	case ONNX__TYPE_PROTO__VALUE_MAP_TYPE:
		elem = tp->map_type->has_key_type && tp->map_type->value_type != NULL;
		break;
	default:
		/* an opaque type (ONNX-ML) is a field this onnx.proto lacks */
		if (!tp->base.n_unknown_fields)
			report(c, at, "%s '%.*s' has an empty type", what, QUOTE, name);
		return;
	}
	if (!elem)
		report(c, at, "%s '%.*s' has no element type", what, QUOTE, name);
	if (!shape)
		report(c, at, "%s '%.*s' has no shape", what, QUOTE, name);
}

static void check_graph_inputs(checker *c, scope *s, const Onnx__GraphProto *g, bool main)
{
	for (size_t i = 0; i < g->n_input && !c->rc; i++) {
		const char *name = str(g->input[i]->name);
		site at = {s->path, -1, name[0] ? name : NULL};
		bool added;
		def *d;
		if (!name[0]) {
			report(c, &at, "graph input %zu has no name", i);
			continue;
		}
		if (main)
			check_value_type(c, &at, "graph input", name, g->input[i]->type);
		if (!(d = names_put(c, &s->defs, name, &added)))
			return;
		if (added)
			d->flags = DEF_INPUT;
		else
			report(c, &at, "graph input '%.*s' is listed twice", QUOTE, name);
	}
}

/* Add an initializer's name: once among initializers; an input of that
 * name too is allowed from IR 4 on and needed before. */
static void define_initializer(checker *c, scope *s, const site *at, const char *name)
{
	bool added;
	def *d = names_put(c, &s->defs, name, &added);

	if (!d)
		return;
	if (d->flags & DEF_INIT)
		report(c, at, "initializer '%.*s' is given twice", QUOTE, name);
	else if (added && c->ir < 4)
		report(c, at, "initializer '%.*s' is not a graph input (IR version %lld needs every "
		       "initializer among the inputs)", QUOTE, name, (long long)c->ir);
	d->flags |= DEF_INIT;
}

static void check_initializers(checker *c, scope *s, const Onnx__GraphProto *g, bool main)
{
	for (size_t i = 0; i < g->n_initializer && !c->rc; i++) {
		const Onnx__TensorProto *t = g->initializer[i];
		const char *name = str(t->name);
		char what[QUOTE + 32];
		site at = {s->path, -1, name[0] ? name : NULL};
		if (!name[0]) {
			report(c, &at, "initializer %zu has no name", i);
			continue;
		}
		define_initializer(c, s, &at, name);
		snprintf(what, sizeof(what), "initializer '%.*s'", QUOTE, name);
		if (!main) /* the reader checked the main graph's at open */
			check_tensor(c, &at, what, t);
	}
	for (size_t i = 0; i < g->n_sparse_initializer && !c->rc; i++) {
		const Onnx__SparseTensorProto *sp = g->sparse_initializer[i];
		const char *name = sp->values ? str(sp->values->name) : "";
		char what[QUOTE + 32];
		site at = {s->path, -1, name[0] ? name : NULL};
		if (!name[0]) {
			report(c, &at, "sparse initializer %zu has no name", i);
			continue;
		}
		define_initializer(c, s, &at, name);
		snprintf(what, sizeof(what), "sparse initializer '%.*s'", QUOTE, name);
		check_sparse(c, &at, what, sp);
	}
}

static void check_graph_outputs(checker *c, const scope *s, const Onnx__GraphProto *g, bool main)
{
	names seen = {0};

	for (size_t i = 0; i < g->n_output && !c->rc; i++) {
		const char *name = str(g->output[i]->name);
		site at = {s->path, -1, name[0] ? name : NULL};
		const scope *outer;
		bool added, visible;
		if (!name[0]) {
			report(c, &at, "graph output %zu has no name", i);
			continue;
		}
		if (main)
			check_value_type(c, &at, "graph output", name, g->output[i]->type);
		if (!names_put(c, &seen, name, &added))
			break;
		if (!added)
			report(c, &at, "graph output '%.*s' is listed twice", QUOTE, name);
		else if (!names_find(&s->defs, name) &&
		         !(outer_find(s, name, &visible, &outer) && visible))
			report(c, &at, "graph output '%.*s' is never defined", QUOTE, name);
	}
	names_release(&seen);
}

static void check_graph(checker *c, const Onnx__GraphProto *g, const scope *parent,
                        int64_t limit, const char *path)
{
	scope s = {parent, limit, path, {0}, g->node};
	site at = {path, -1, NULL};
	bool main = parent == NULL && !c->in_function;

	if (!g->name || !g->name[0])
		report(c, &at, "graph has no name");
	check_graph_inputs(c, &s, g, main);
	check_initializers(c, &s, g, main);
	check_nodes(c, &s, g->n_node);
	check_graph_outputs(c, &s, g, main);
	names_release(&s.defs);
}

/* ---- functions ------------------------------------------------------------------ */

/* Names of a function's inputs, outputs or attributes, each once. */
static void check_listed_once(checker *c, const site *at, const char *what, char *const *v,
                              size_t n, names *into)
{
	names own = {0};
	names *t = into ? into : &own;

	for (size_t i = 0; i < n && !c->rc; i++) {
		bool added;
		def *d;
		if (!v[i][0]) {
			report(c, at, "%s %zu has no name", what, i);
			continue;
		}
		if (!(d = names_put(c, t, v[i], &added)))
			break;
		if (added)
			d->flags = DEF_INPUT;
		else
			report(c, at, "%s '%.*s' is listed twice", what, QUOTE, v[i]);
	}
	names_release(&own);
}

static void check_function(checker *c, const Onnx__FunctionProto *f, size_t index)
{
	const char *domain = norm_domain(f->domain), *name = str(f->name);
	char path[2 * QUOTE + 32];
	scope s = {NULL, 0, path, {0}, f->node};
	site at = {path, -1, NULL};
	const opsets *model_ops = c->ops;
	opsets fops = {NULL, 0, NULL};

	if (name[0])
		snprintf(path, sizeof(path), "function %.*s%s%.*s", QUOTE, domain, domain[0] ? "." : "",
		         QUOTE, name);
	else
		snprintf(path, sizeof(path), "function #%zu", index);
	if (!name[0])
		report(c, &at, "function has no name");
	opsets_load(c, &fops, f->opset_import, f->n_opset_import, &at);
	check_listed_once(c, &at, "function input", f->input, f->n_input, &s.defs);
	check_listed_once(c, &at, "function output", f->output, f->n_output, NULL);
	check_listed_once(c, &at, "function attribute", f->attribute, f->n_attribute, NULL);
	c->ops = &fops;
	c->in_function = true;
	check_nodes(c, &s, f->n_node);
	c->in_function = false;
	c->ops = model_ops;
	for (size_t i = 0; i < f->n_output && !c->rc; i++)
		if (f->output[i][0] && !names_find(&s.defs, f->output[i]))
			report(c, &at, "function output '%.*s' is never defined", QUOTE, f->output[i]);
	names_release(&s.defs);
	free(fops.owned);
}

/* ---- the model -------------------------------------------------------------------- */

int mc_onnx_check(mc_onnx_problems *out, const mc_onnx_model *m)
{
	static const opset default_v1 = {"", 1};
	const Onnx__ModelProto *mp = mc_onnx_proto(m);
	checker c = {0};
	opsets ops = {NULL, 0, NULL}, old = {&default_v1, 1, NULL};
	site at = {"", -1, NULL};

	mc_onnx_problems_init(out);
	c.m = m;
	c.mp = mp;
	c.ir = mp->ir_version;
	c.out = out;
	c.ops = &ops;
	if (c.ir < 3) {
		/* opsets came with IR 3; before, a model is ai.onnx version 1 */
		if (mp->n_opset_import)
			report(&c, &at, "opset_import is given, but IR version %lld models have none "
			       "(it came with IR version 3)", (long long)c.ir);
		c.ops = &old;
	} else if (!mp->n_opset_import) {
		report(&c, &at, "no opset_import: a model of IR version %lld must import the ai.onnx "
		       "opset", (long long)c.ir);
		c.no_imports = true;
	} else {
		opsets_load(&c, &ops, mp->opset_import, mp->n_opset_import, &at);
		note_new_opsets(&c, &ops, &at);
	}
	index_functions(&c);
	if (!c.rc)
		check_graph(&c, mc_onnx_graph(m), NULL, 0, "");
	for (size_t i = 0; i < mp->n_functions && !c.rc; i++)
		check_function(&c, mp->functions[i], i);
	if (!c.rc && out->dropped) {
		char msg[64];
		snprintf(msg, sizeof(msg), "... and %zu more", out->dropped);
		add_item(&c, &at, ITEM_TAIL, msg);
	}
	free(ops.owned);
	free(c.fns);
	if (c.rc) {
		mc_onnx_problems_release(out);
		return c.rc;
	}
	return 0;
}
