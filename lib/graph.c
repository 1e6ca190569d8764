/* SPDX-License-Identifier: MIT */
/*
 * The graph builder.  The model is kept as the protobuf-c structs the ONNX
 * writer encodes, all of them (and every string and growing array) in one
 * arena, so that building never needs to free piecemeal and mc_gb_free is
 * one call.  Arrays double when full; the arena keeps the old copies, which
 * at most doubles their share of memory, small next to any weight.
 *
 * Every TensorProto the builder makes sits at the start of a gb_tensor,
 * which also holds the view its data comes from: the writer's data
 * callback finds the view from the struct without a lookup.
 */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "graph.h"
#include "value.h"
#include "banned.h"

typedef struct gb_tensor {
	Onnx__TensorProto proto; /* first: the writer hands this pointer back */
	mc_view view;            /* the data, or only its dtype and shape */
	mc_onnx_stream_fn stream; /* when set, where the data comes from */
	void *stream_ctx;
} gb_tensor;

struct mc_gb_graph {
	mc_gb *b;
	Onnx__GraphProto proto;
	size_t node_cap, input_cap, output_cap, vi_cap, init_cap;
};

struct mc_gb_node {
	mc_gb *b;
	Onnx__NodeProto proto;
	size_t attr_cap;
};

struct mc_gb {
	mc_arena *arena;
	int err;
	mc_error first; /* err's message, for mc_gb_write to repeat */
	Onnx__ModelProto model;
	size_t opset_cap, meta_cap;
	mc_gb_graph *main;
};

/* ---- memory ------------------------------------------------------------------ */

/* Record rc (whose message was just recorded) as the builder's error. */
static int fail(mc_gb *b, int rc)
{
	if (!b->err) {
		b->err = rc;
		b->first = *mc_error_last();
	}
	return rc;
}

static void *alloc(mc_gb *b, size_t n)
{
	void *p = mc_arena_alloc(b->arena, n);
	if (!p)
		fail(b, MC_ENOMEM);
	return p;
}

static char *dup(mc_gb *b, const char *s)
{
	char *p;
	if (!s)
		return NULL;
	if (!(p = mc_arena_strndup(b->arena, s, strlen(s))))
		fail(b, MC_ENOMEM);
	return p;
}

/* Make room for one more element in the array at *arr (n in use, *cap
 * allocated, elements of `size` bytes). */
static int grow(mc_gb *b, void *arr, size_t n, size_t *cap, size_t size)
{
	void *old, *p;
	size_t ncap;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 4;
	if (ncap > SIZE_MAX / size / 2)
		return fail(b, mc_fail(MC_ELIMIT, NULL, NULL, -1, "graph too large"));
	if (!(p = alloc(b, ncap * size)))
		return MC_ENOMEM;
	memcpy(&old, arr, sizeof(old));
	if (n)
		memcpy(p, old, n * size);
	memcpy(arr, &p, sizeof(p));
	*cap = ncap;
	return 0;
}

#define PUSH(b, arr, n, cap, item) \
	(grow((b), &(arr), (n), &(cap), sizeof(*(arr))) ? (b)->err : ((arr)[(n)++] = (item), 0))

/* ---- model --------------------------------------------------------------------- */

static mc_gb_graph *graph_new(mc_gb *b, const char *name)
{
	mc_gb_graph *g = alloc(b, sizeof(*g));
	if (!g)
		return NULL;
	g->b = b;
	onnx__graph_proto__init(&g->proto);
	g->proto.name = dup(b, name);
	return g;
}

mc_gb *mc_gb_new(const char *graph_name)
{
	mc_gb *b = calloc(1, sizeof(*b));

	if (!b || mc_arena_new(&b->arena, SIZE_MAX)) {
		free(b);
		mc_nomem();
		return NULL;
	}
	onnx__model_proto__init(&b->model);
	b->model.has_ir_version = 1;
	b->model.ir_version = 8;
	b->model.producer_name = dup(b, "modelctl");
	b->model.producer_version = dup(b, MC_VERSION);
	if ((b->main = graph_new(b, graph_name ? graph_name : "main")))
		b->model.graph = &b->main->proto;
	if (b->err) {
		mc_gb_free(b);
		return NULL;
	}
	return b;
}

void mc_gb_free(mc_gb *b)
{
	if (!b)
		return;
	mc_arena_free(b->arena);
	free(b);
}

int mc_gb_error(const mc_gb *b) { return b->err; }
mc_gb_graph *mc_gb_main(mc_gb *b) { return b->main; }
const Onnx__ModelProto *mc_gb_proto(const mc_gb *b) { return &b->model; }

int mc_gb_ir_version(mc_gb *b, int64_t version)
{
	if (b->err)
		return b->err;
	if (version < 1)
		return fail(b, mc_fail(MC_EINVAL, NULL, NULL, -1, "IR version %lld is not valid",
		                       (long long)version));
	b->model.ir_version = version;
	return 0;
}

int mc_gb_opset(mc_gb *b, const char *domain, int64_t version)
{
	Onnx__OperatorSetIdProto *op;

	if (b->err)
		return b->err;
	if (version < 1)
		return fail(b, mc_fail(MC_EINVAL, NULL, NULL, -1, "opset version %lld is not valid",
		                       (long long)version));
	for (size_t i = 0; i < b->model.n_opset_import; i++) {
		op = b->model.opset_import[i];
		if (!strcmp(op->domain ? op->domain : "", domain ? domain : "")) {
			op->version = version;
			return 0;
		}
	}
	if (!(op = alloc(b, sizeof(*op))))
		return b->err;
	onnx__operator_set_id_proto__init(op);
	op->domain = dup(b, domain ? domain : "");
	op->has_version = 1;
	op->version = version;
	return PUSH(b, b->model.opset_import, b->model.n_opset_import, b->opset_cap, op);
}

int mc_gb_producer(mc_gb *b, const char *name, const char *version)
{
	if (b->err)
		return b->err;
	b->model.producer_name = dup(b, name);
	b->model.producer_version = dup(b, version);
	return b->err;
}

int mc_gb_doc_string(mc_gb *b, const char *doc)
{
	if (b->err)
		return b->err;
	b->model.doc_string = dup(b, doc);
	return b->err;
}

int mc_gb_metadata(mc_gb *b, const char *key, const char *value)
{
	Onnx__StringStringEntryProto *kv;

	if (b->err)
		return b->err;
	if (!key || !*key || !value)
		return fail(b, mc_fail(MC_EINVAL, NULL, NULL, -1, "metadata needs a key and a value"));
	for (size_t i = 0; i < b->model.n_metadata_props; i++) {
		kv = b->model.metadata_props[i];
		if (!strcmp(kv->key, key)) {
			kv->value = dup(b, value);
			return b->err;
		}
	}
	if (!(kv = alloc(b, sizeof(*kv))))
		return b->err;
	onnx__string_string_entry_proto__init(kv);
	kv->key = dup(b, key);
	kv->value = dup(b, value);
	return PUSH(b, b->model.metadata_props, b->model.n_metadata_props, b->meta_cap, kv);
}

/* ---- values ---------------------------------------------------------------------- */

static int elem_type(mc_gb *b, mc_dtype dtype, const char *name, int32_t *out)
{
	*out = mc_onnx_elem_type(dtype);
	if (!*out)
		return fail(b, mc_fail(MC_EUNSUPPORTED, NULL, name, -1, "ONNX has no element type for %s",
		                       mc_dtype_name(dtype)));
	return 0;
}

static Onnx__ValueInfoProto *value_info(mc_gb *b, const char *name, mc_dtype dtype, int rank,
                                        const mc_gb_dim *dims)
{
	Onnx__ValueInfoProto *vi;
	Onnx__TypeProto *tp;
	Onnx__TypeProto__Tensor *tt;
	int32_t et;

	if (!name || !*name) {
		fail(b, mc_fail(MC_EINVAL, NULL, NULL, -1, "graph inputs and outputs need a name"));
		return NULL;
	}
	if (rank > MC_MAX_DIMS || rank < -1) {
		fail(b, mc_fail(MC_EINVAL, NULL, name, -1, "rank %d is not valid", rank));
		return NULL;
	}
	if (elem_type(b, dtype, name, &et) || !(vi = alloc(b, sizeof(*vi))) ||
	    !(tp = alloc(b, sizeof(*tp))) || !(tt = alloc(b, sizeof(*tt))))
		return NULL;
	onnx__value_info_proto__init(vi);
	onnx__type_proto__init(tp);
	onnx__type_proto__tensor__init(tt);
	vi->name = dup(b, name);
	vi->type = tp;
	tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
	tp->tensor_type = tt;
	tt->has_elem_type = 1;
	tt->elem_type = et;
	if (rank < 0)
		return b->err ? NULL : vi;
	if (!(tt->shape = alloc(b, sizeof(*tt->shape))))
		return NULL;
	onnx__tensor_shape_proto__init(tt->shape);
	if (rank && !(tt->shape->dim = alloc(b, (size_t)rank * sizeof(*tt->shape->dim))))
		return NULL;
	for (int i = 0; i < rank; i++) {
		Onnx__TensorShapeProto__Dimension *d = alloc(b, sizeof(*d));
		if (!d)
			return NULL;
		onnx__tensor_shape_proto__dimension__init(d);
		if (dims[i].symbol) {
			d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
			d->dim_param = dup(b, dims[i].symbol);
		} else if (dims[i].size >= 0) {
			d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
			d->dim_value = dims[i].size;
		} /* else: an unknown dim, neither value nor symbol */
		tt->shape->dim[i] = d;
	}
	tt->shape->n_dim = (size_t)rank;
	return b->err ? NULL : vi;
}

/* Append a ValueInfoProto to one of g's lists: *arr, with *n in use and
 * *cap allocated. */
static int push_value_info(mc_gb_graph *g, Onnx__ValueInfoProto ***arr, size_t *n, size_t *cap,
                           const char *name, mc_dtype dtype, int rank, const mc_gb_dim *dims)
{
	mc_gb *b = g->b;
	Onnx__ValueInfoProto *vi;

	if (b->err)
		return b->err;
	if (!(vi = value_info(b, name, dtype, rank, dims)))
		return b->err;
	return PUSH(b, *arr, *n, *cap, vi);
}

int mc_gb_input(mc_gb_graph *g, const char *name, mc_dtype dtype, int rank, const mc_gb_dim *dims)
{
	return push_value_info(g, &g->proto.input, &g->proto.n_input, &g->input_cap, name, dtype,
	                       rank, dims);
}

int mc_gb_output(mc_gb_graph *g, const char *name, mc_dtype dtype, int rank, const mc_gb_dim *dims)
{
	return push_value_info(g, &g->proto.output, &g->proto.n_output, &g->output_cap, name, dtype,
	                       rank, dims);
}

int mc_gb_value_info(mc_gb_graph *g, const char *name, mc_dtype dtype, int rank,
                     const mc_gb_dim *dims)
{
	return push_value_info(g, &g->proto.value_info, &g->proto.n_value_info, &g->vi_cap, name,
	                       dtype, rank, dims);
}

/* ---- tensors ----------------------------------------------------------------------- */

/* A TensorProto (name may be NULL) whose data is `v`'s, struct copied. */
static gb_tensor *tensor_new(mc_gb *b, const char *name, const mc_view *v)
{
	gb_tensor *t;
	int32_t et;

	if (elem_type(b, v->dtype, name, &et) || !(t = alloc(b, sizeof(*t))))
		return NULL;
	onnx__tensor_proto__init(&t->proto);
	t->proto.name = dup(b, name);
	t->proto.has_data_type = 1;
	t->proto.data_type = et;
	if (v->shape.ndim < 0 || v->shape.ndim > MC_MAX_DIMS) {
		fail(b, mc_fail(MC_EINVAL, NULL, name, -1, "rank %d is not valid", v->shape.ndim));
		return NULL;
	}
	if (v->shape.ndim) {
		if (!(t->proto.dims = alloc(b, (size_t)v->shape.ndim * sizeof(int64_t))))
			return NULL;
		memcpy(t->proto.dims, v->shape.dims, (size_t)v->shape.ndim * sizeof(int64_t));
	}
	t->proto.n_dims = (size_t)v->shape.ndim;
	t->view = *v;
	t->view.owned = NULL;
	return b->err ? NULL : t;
}

/* A dense view of a copy of `data`, in the arena. */
static int view_copy(mc_gb *b, mc_view *v, const char *name, mc_dtype dtype, const mc_shape *shape,
                     const void *data)
{
	uint64_t nbytes;
	void *copy;
	int rc;

	if ((rc = mc_tensor_nbytes(&nbytes, dtype, shape)) != 0)
		return fail(b, mc_err_context(NULL, name));
	if (nbytes > SIZE_MAX - 1)
		return fail(b, mc_fail(MC_ELIMIT, NULL, name, -1, "tensor too large to copy"));
	if (!(copy = alloc(b, nbytes ? (size_t)nbytes : 1)))
		return b->err;
	if (nbytes)
		memcpy(copy, data, (size_t)nbytes);
	mc_view_init_dense(v, dtype, shape, copy);
	return 0;
}

static int add_initializer(mc_gb_graph *g, gb_tensor *t)
{
	mc_gb *b = g->b;
	if (!t)
		return b->err;
	return PUSH(b, g->proto.initializer, g->proto.n_initializer, g->init_cap, &t->proto);
}

int mc_gb_initializer(mc_gb_graph *g, const char *name, const mc_view *v)
{
	mc_gb *b = g->b;

	if (b->err)
		return b->err;
	if (!name || !*name)
		return fail(b, mc_fail(MC_EINVAL, NULL, NULL, -1, "initializers need a name"));
	return add_initializer(g, tensor_new(b, name, v));
}

int mc_gb_initializer_copy(mc_gb_graph *g, const char *name, mc_dtype dtype, const mc_shape *shape,
                           const void *data)
{
	mc_gb *b = g->b;
	mc_view v;

	if (b->err)
		return b->err;
	if (!name || !*name)
		return fail(b, mc_fail(MC_EINVAL, NULL, NULL, -1, "initializers need a name"));
	if (view_copy(b, &v, name, dtype, shape, data))
		return b->err;
	return add_initializer(g, tensor_new(b, name, &v));
}

int mc_gb_initializer_stream(mc_gb_graph *g, const char *name, mc_dtype dtype,
                             const mc_shape *shape, mc_onnx_stream_fn fn, void *ctx)
{
	mc_gb *b = g->b;
	gb_tensor *t;
	mc_view v;

	if (b->err)
		return b->err;
	if (!name || !*name || !fn)
		return fail(b, mc_fail(MC_EINVAL, NULL, name, -1,
		                       "streamed initializers need a name and a source"));
	mc_view_init_dense(&v, dtype, shape, NULL);
	if (!(t = tensor_new(b, name, &v)))
		return b->err;
	t->stream = fn;
	t->stream_ctx = ctx;
	return add_initializer(g, t);
}

/* ---- nodes ---------------------------------------------------------------------------- */

static char **dup_list(mc_gb *b, const char *const *names, size_t n)
{
	char **out;
	if (!n)
		return NULL;
	if (n > SIZE_MAX / sizeof(*out)) {
		fail(b, mc_fail(MC_ELIMIT, NULL, NULL, -1, "%zu names: too many", n));
		return NULL;
	}
	if (!(out = alloc(b, n * sizeof(*out))))
		return NULL;
	for (size_t i = 0; i < n; i++)
		out[i] = dup(b, names[i] ? names[i] : "");
	return out;
}

mc_gb_node *mc_gb_node_add(mc_gb_graph *g, const char *op_type, const char *name,
                           const char *const *inputs, size_t ninputs, const char *const *outputs,
                           size_t noutputs)
{
	mc_gb *b = g->b;
	mc_gb_node *n;

	if (b->err)
		return NULL;
	if (!op_type || !*op_type) {
		fail(b, mc_fail(MC_EINVAL, NULL, name, -1, "a node needs an operator"));
		return NULL;
	}
	if (!(n = alloc(b, sizeof(*n))))
		return NULL;
	n->b = b;
	onnx__node_proto__init(&n->proto);
	n->proto.op_type = dup(b, op_type);
	n->proto.name = dup(b, name);
	n->proto.input = dup_list(b, inputs, ninputs);
	n->proto.n_input = ninputs;
	n->proto.output = dup_list(b, outputs, noutputs);
	n->proto.n_output = noutputs;
	if (b->err || PUSH(b, g->proto.node, g->proto.n_node, g->node_cap, &n->proto))
		return NULL;
	return n;
}

int mc_gb_node_domain(mc_gb_node *n, const char *domain)
{
	mc_gb *b = n->b;
	if (b->err)
		return b->err;
	n->proto.domain = dup(b, domain);
	return b->err;
}

static Onnx__AttributeProto *attr_new(mc_gb_node *n, const char *name,
                                      Onnx__AttributeProto__AttributeType type)
{
	mc_gb *b = n->b;
	Onnx__AttributeProto *a;

	if (b->err)
		return NULL;
	if (!name || !*name) {
		fail(b, mc_fail(MC_EINVAL, NULL, n->proto.name, -1, "attributes need a name"));
		return NULL;
	}
	if (!(a = alloc(b, sizeof(*a))))
		return NULL;
	onnx__attribute_proto__init(a);
	a->name = dup(b, name);
	a->has_type = 1;
	a->type = type;
	if (b->err || PUSH(b, n->proto.attribute, n->proto.n_attribute, n->attr_cap, a))
		return NULL;
	return a;
}

int mc_gb_attr_int(mc_gb_node *n, const char *name, int64_t value)
{
	Onnx__AttributeProto *a = attr_new(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
	if (!a)
		return n->b->err;
	a->has_i = 1;
	a->i = value;
	return 0;
}

int mc_gb_attr_float(mc_gb_node *n, const char *name, float value)
{
	Onnx__AttributeProto *a = attr_new(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
	if (!a)
		return n->b->err;
	a->has_f = 1;
	a->f = value;
	return 0;
}

int mc_gb_attr_string(mc_gb_node *n, const char *name, const char *value)
{
	Onnx__AttributeProto *a = attr_new(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
	if (!a)
		return n->b->err;
	a->has_s = 1;
	a->s.len = strlen(value);
	a->s.data = (uint8_t *)dup(n->b, value);
	return n->b->err;
}

static void *copy_array(mc_gb *b, const void *values, size_t count, size_t size)
{
	void *p;
	if (!count)
		return NULL;
	if (count > SIZE_MAX / size) {
		fail(b, mc_fail(MC_ELIMIT, NULL, NULL, -1, "%zu values: too many", count));
		return NULL;
	}
	if ((p = alloc(b, count * size)))
		memcpy(p, values, count * size);
	return p;
}

int mc_gb_attr_ints(mc_gb_node *n, const char *name, const int64_t *values, size_t count)
{
	Onnx__AttributeProto *a = attr_new(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
	if (!a)
		return n->b->err;
	a->ints = copy_array(n->b, values, count, sizeof(*values));
	a->n_ints = count;
	return n->b->err;
}

int mc_gb_attr_floats(mc_gb_node *n, const char *name, const float *values, size_t count)
{
	Onnx__AttributeProto *a = attr_new(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS);
	if (!a)
		return n->b->err;
	a->floats = copy_array(n->b, values, count, sizeof(*values));
	a->n_floats = count;
	return n->b->err;
}

int mc_gb_attr_strings(mc_gb_node *n, const char *name, const char *const *values, size_t count)
{
	mc_gb *b = n->b;
	Onnx__AttributeProto *a = attr_new(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS);

	if (!a)
		return b->err;
	if (count > SIZE_MAX / sizeof(*a->strings))
		return fail(b, mc_fail(MC_ELIMIT, NULL, NULL, -1, "%zu values: too many", count));
	if (count && !(a->strings = alloc(b, count * sizeof(*a->strings))))
		return b->err;
	for (size_t i = 0; i < count; i++) {
		a->strings[i].len = strlen(values[i]);
		a->strings[i].data = (uint8_t *)dup(b, values[i]);
	}
	a->n_strings = count;
	return b->err;
}

int mc_gb_attr_tensor(mc_gb_node *n, const char *name, mc_dtype dtype, const mc_shape *shape,
                      const void *data)
{
	mc_gb *b = n->b;
	Onnx__AttributeProto *a;
	gb_tensor *t;
	mc_view v;

	if (b->err)
		return b->err;
	if (view_copy(b, &v, name, dtype, shape, data) || !(t = tensor_new(b, NULL, &v)) ||
	    !(a = attr_new(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR)))
		return b->err;
	a->t = &t->proto;
	return 0;
}

mc_gb_graph *mc_gb_attr_graph(mc_gb_node *n, const char *name, const char *graph_name)
{
	mc_gb *b = n->b;
	Onnx__AttributeProto *a;
	mc_gb_graph *g;

	if (b->err || !(g = graph_new(b, graph_name)) ||
	    !(a = attr_new(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH)))
		return NULL;
	a->g = &g->proto;
	return g;
}

/* ---- writing ----------------------------------------------------------------------------- */

static int builder_data(void *ctx, const Onnx__TensorProto *t, bool want_view, mc_onnx_data *out)
{
	const gb_tensor *gt = (const gb_tensor *)t;
	(void)ctx;
	(void)want_view;
	out->kind = MC_ONNX_DATA_VIEW;
	out->view = gt->view;
	out->stream = gt->stream;
	out->stream_ctx = gt->stream_ctx;
	return 0;
}

int mc_gb_write(mc_gb *b, const char *path, const mc_onnx_write_opts *opts)
{
	if (b->err) {
		/* the failing call's message, which later calls may have replaced */
		const mc_error *e = &b->first;
		mc_fail(b->err, path, e->entry[0] ? e->entry : NULL, -1, "%s", e->msg);
		if (e->hint[0])
			mc_err_hint("%s", e->hint);
		return b->err;
	}
	if (!b->model.n_opset_import)
		return mc_fail(MC_EINVAL, path, NULL, -1, "the model imports no opset");
	return mc_onnx_write(path, &b->model, builder_data, b, opts);
}
