/* SPDX-License-Identifier: MIT */
/*
 * dump's JSON view of an ONNX model, in the contract's shape (design.md,
 * "dump"), for scripts: nothing is shortened, integers are exact, subgraphs
 * nest in the attributes that hold them.  The tree is built whole before
 * anything is printed, so a read or an allocation that fails refuses the
 * file with nothing on stdout.  protobuf-c does not check that string
 * fields are UTF-8, so every string from the file is cleaned on the way in
 * and the report stays valid JSON.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "dump_onnx.h"
#include "banned.h"

/* Adds item to an object (under key) or an array; remembers a failed
 * allocation, which the caller reports once at the end. */
static cJSON *add(ox *d, cJSON *to, const char *key, cJSON *item)
{
	bool ok = false;

	if (to && item) {
		if (!key) {
			ok = cJSON_AddItemToArray(to, item);
		} else {
			char *k = dox_utf8_clean(key, strlen(key));
			ok = k && cJSON_AddItemToObject(to, k, item);
			free(k);
		}
	}
	if (!ok) {
		cJSON_Delete(item);
		d->nomem = true;
		return NULL;
	}
	return item;
}

static cJSON *json_str(const char *s)
{
	char *clean = dox_utf8_clean(dox_str(s), strlen(dox_str(s)));
	cJSON *item = clean ? cJSON_CreateString(clean) : NULL;
	free(clean);
	return item;
}

/* An attribute's bytes: a string when they are UTF-8 text, else as dump
 * writes bytes ({"bytes": HEX}). */
static cJSON *json_binary(const ProtobufCBinaryData *s)
{
	cJSON *item;
	char *text;

	if (!dox_utf8_valid(s->data, s->len) || memchr(s->data, 0, s->len))
		return cmd_json_bytes((const char *)s->data, s->len);
	if (!(text = malloc(s->len + 1)))
		return NULL;
	if (s->len)
		memcpy(text, s->data, s->len);
	text[s->len] = '\0';
	item = cJSON_CreateString(text);
	free(text);
	return item;
}

static cJSON *json_elem(mc_dtype dt, const uint8_t *p)
{
	char buf[64];
	switch (dox_elem_text(buf, sizeof(buf), dt, p)) {
	case DOX_ELEM_BOOL: return cJSON_CreateBool(buf[0] == 't');
	case DOX_ELEM_NUMBER: return cJSON_CreateRaw(buf);
	default: return cJSON_CreateString(buf);
	}
}

static cJSON *json_f32(float f)
{
	char buf[64];
	dox_float_text(buf, sizeof(buf), f);
	return isfinite(f) ? cJSON_CreateRaw(buf) : cJSON_CreateString(buf);
}

static cJSON *json_dims(ox *d, const int64_t *dims, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; a && i < n; i++)
		add(d, a, NULL, cmd_json_i64(dims[i]));
	return a;
}

/* {"dtype", "shape"} and "value" (the elements, flat; a complex one as
 * [re, im]) when the tensor is small and its dtype one modelctl reads. */
static cJSON *json_tensor(ox *d, const Onnx__TensorProto *t)
{
	cJSON *o, *v;
	dox_small_tensor st;

	if (!t)
		return cJSON_CreateNull();
	if (dox_small_tensor_load(&st, d, t) != 0) {
		d->failed = true;
		return cJSON_CreateNull();
	}
	o = cJSON_CreateObject();
	add(d, o, "dtype", st.dtype ? cJSON_CreateString(st.dtype) : cJSON_CreateNull());
	add(d, o, "shape", json_dims(d, st.dims, st.ndims));
	if (st.data && (v = add(d, o, "value", cJSON_CreateArray()))) {
		mc_dtype part = dox_complex_part(st.dt);
		for (size_t i = 0; i < st.n; i++) {
			if (part) {
				size_t w = mc_dtype_size(part);
				cJSON *c = add(d, v, NULL, cJSON_CreateArray());
				add(d, c, NULL, json_elem(part, st.data + 2 * w * i));
				add(d, c, NULL, json_elem(part, st.data + 2 * w * i + w));
			} else {
				add(d, v, NULL, json_elem(st.dt, st.data + dox_elem_width(st.dt) * i));
			}
		}
	}
	dox_small_tensor_release(&st);
	return o;
}

static cJSON *json_sparse(ox *d, const Onnx__SparseTensorProto *s)
{
	const char *dt = s && s->values && s->values->has_data_type
	                         ? mc_onnx_type_name(s->values->data_type) : NULL;
	cJSON *o = cJSON_CreateObject(), *inner = add(d, o, "sparse_tensor", cJSON_CreateObject());

	add(d, inner, "dtype", dt ? cJSON_CreateString(dt) : cJSON_CreateNull());
	add(d, inner, "shape", s ? json_dims(d, s->dims, s->n_dims) : cJSON_CreateArray());
	return o;
}

static cJSON *json_type(const Onnx__TypeProto *tp)
{
	char buf[512];
	return json_str(mc_onnx_type_format(buf, sizeof(buf), tp));
}

/* {"name", "dtype", "shape"}: dims are ints, symbols, or null when unknown;
 * the shape null when no rank is given; a type that is not a tensor's
 * ("seq(tensor(float32))") in "dtype" with a null shape. */
static cJSON *json_value_info(ox *d, const Onnx__ValueInfoProto *vi)
{
	cJSON *o = cJSON_CreateObject(), *shape;
	mc_onnx_tensor_type tt;

	add(d, o, "name", json_str(vi->name));
	if (!vi->type || vi->type->value_case == ONNX__TYPE_PROTO__VALUE__NOT_SET) {
		add(d, o, "dtype", cJSON_CreateNull());
		add(d, o, "shape", cJSON_CreateNull());
		return o;
	}
	if (mc_onnx_tensor_type_of(&tt, vi->type) != 0) {
		add(d, o, "dtype", json_type(vi->type));
		add(d, o, "shape", cJSON_CreateNull());
		return o;
	}
	if (vi->type->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE) {
		const char *name = mc_onnx_type_name(tt.elem_type);
		add(d, o, "dtype", name ? cJSON_CreateString(name) : cJSON_CreateNull());
	} else {
		add(d, o, "dtype", json_type(vi->type));
	}
	if (tt.rank < 0) {
		add(d, o, "shape", cJSON_CreateNull());
		return o;
	}
	shape = add(d, o, "shape", cJSON_CreateArray());
	for (int i = 0; shape && i < tt.rank; i++) {
		mc_onnx_dim dim = mc_onnx_type_dim(&tt, i);
		add(d, shape, NULL, dim.value >= 0 ? cmd_json_i64(dim.value)
		                    : dim.param    ? json_str(dim.param)
		                                   : cJSON_CreateNull());
	}
	return o;
}

/* Values of a graph; `inits` (NULL for the main graph) leaves out inputs
 * that are initializers. */
static cJSON *json_value_infos(ox *d, Onnx__ValueInfoProto *const *v, size_t n, bool inputs,
                               const dox_name_index *inits)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; a && i < n; i++)
		if (!inputs || !dox_is_initializer(d, inits, v[i]->name))
			add(d, a, NULL, json_value_info(d, v[i]));
	return a;
}

static cJSON *json_names(ox *d, char *const *names, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; a && i < n; i++)
		add(d, a, NULL, json_str(names[i]));
	return a;
}

static cJSON *json_node(ox *d, const Onnx__NodeProto *n);

/* A subgraph: {"name", "inputs", "outputs", "nodes", "initializers"}, its
 * initializers as {"name", "dtype", "shape"} and "nbytes" where modelctl
 * knows the dtype. */
static cJSON *json_graph(ox *d, const Onnx__GraphProto *g)
{
	cJSON *o, *nodes, *inits;
	dox_name_index index;

	if (!g)
		return cJSON_CreateNull();
	if (dox_index_initializers(&index, g) != 0) {
		d->nomem = true;
		return NULL;
	}
	o = cJSON_CreateObject();
	add(d, o, "name", json_str(g->name));
	add(d, o, "inputs", json_value_infos(d, g->input, g->n_input, true, &index));
	add(d, o, "outputs", json_value_infos(d, g->output, g->n_output, false, NULL));
	dox_name_index_release(&index);
	nodes = add(d, o, "nodes", cJSON_CreateArray());
	for (size_t i = 0; nodes && i < g->n_node && !d->failed; i++)
		add(d, nodes, NULL, json_node(d, g->node[i]));
	inits = add(d, o, "initializers", cJSON_CreateArray());
	for (size_t i = 0; inits && i < g->n_initializer; i++) {
		const Onnx__TensorProto *t = g->initializer[i];
		const char *dt = mc_onnx_type_name(t->has_data_type ? t->data_type : 0);
		cJSON *e = add(d, inits, NULL, cJSON_CreateObject());
		mc_tensor_info info;
		add(d, e, "name", json_str(t->name));
		add(d, e, "dtype", dt ? cJSON_CreateString(dt) : cJSON_CreateNull());
		add(d, e, "shape", json_dims(d, t->dims, t->n_dims));
		if (mc_onnx_tensor_info(&info, d->m, t) == 0)
			add(d, e, "nbytes", cmd_json_u64(info.nbytes));
	}
	return o;
}

static cJSON *json_attr(ox *d, const Onnx__AttributeProto *a)
{
	cJSON *v;
	size_t i;

	switch (mc_onnx_attr_type(a)) {
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT: return json_f32(a->f);
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT: return cmd_json_i64(a->i);
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING: return json_binary(&a->s);
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR: return json_tensor(d, a->t);
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH: return json_graph(d, a->g);
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSOR:
		return json_sparse(d, a->sparse_tensor);
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTO: return json_type(a->tp);
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
		v = cJSON_CreateArray();
		for (i = 0; v && i < a->n_floats; i++)
			add(d, v, NULL, json_f32(a->floats[i]));
		return v;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
		return json_dims(d, a->ints, a->n_ints);
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS:
		v = cJSON_CreateArray();
		for (i = 0; v && i < a->n_strings; i++)
			add(d, v, NULL, json_binary(&a->strings[i]));
		return v;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSORS:
		v = cJSON_CreateArray();
		for (i = 0; v && i < a->n_tensors && !d->failed; i++)
			add(d, v, NULL, json_tensor(d, a->tensors[i]));
		return v;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS:
		v = cJSON_CreateArray();
		for (i = 0; v && i < a->n_graphs && !d->failed; i++)
			add(d, v, NULL, json_graph(d, a->graphs[i]));
		return v;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSORS:
		v = cJSON_CreateArray();
		for (i = 0; v && i < a->n_sparse_tensors; i++)
			add(d, v, NULL, json_sparse(d, a->sparse_tensors[i]));
		return v;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTOS:
		v = cJSON_CreateArray();
		for (i = 0; v && i < a->n_type_protos; i++)
			add(d, v, NULL, json_type(a->type_protos[i]));
		return v;
	default: return cJSON_CreateNull();
	}
}

static cJSON *json_node(ox *d, const Onnx__NodeProto *n)
{
	cJSON *o = cJSON_CreateObject(), *attrs;

	add(d, o, "name", json_str(n->name));
	add(d, o, "op_type", json_str(n->op_type));
	add(d, o, "domain", json_str(n->domain));
	add(d, o, "inputs", json_names(d, n->input, n->n_input));
	add(d, o, "outputs", json_names(d, n->output, n->n_output));
	attrs = add(d, o, "attributes", cJSON_CreateObject());
	for (size_t i = 0; attrs && i < n->n_attribute && !d->failed; i++)
		add(d, attrs, dox_str(n->attribute[i]->name), json_attr(d, n->attribute[i]));
	return o;
}

int dox_json_view(ox *d)
{
	const Onnx__ModelProto *mp = d->mp;
	cJSON *root = cJSON_CreateObject(), *opset, *nodes, *inits, *meta;
	char *text = NULL;

	add(d, root, "file", cJSON_CreateString(d->file));
	add(d, root, "format", cJSON_CreateString("onnx"));
	add(d, root, "ir_version", cmd_json_i64(mp->ir_version));
	opset = add(d, root, "opset", cJSON_CreateObject());
	for (size_t i = 0; opset && i < mp->n_opset_import; i++) {
		const Onnx__OperatorSetIdProto *op = mp->opset_import[i];
		add(d, opset, dox_default_domain(op->domain) ? "ai.onnx" : op->domain,
		    cmd_json_i64(op->version));
	}
	add(d, root, "producer_name", json_str(mp->producer_name));
	add(d, root, "producer_version", json_str(mp->producer_version));
	add(d, root, "graph_name", json_str(d->g->name));
	add(d, root, "inputs", json_value_infos(d, d->g->input, d->g->n_input, true, NULL));
	add(d, root, "outputs", json_value_infos(d, d->g->output, d->g->n_output, false, NULL));
	nodes = add(d, root, "nodes", cJSON_CreateArray());
	for (size_t i = 0; nodes && i < d->g->n_node && !d->failed; i++)
		add(d, nodes, NULL, json_node(d, d->g->node[i]));
	inits = add(d, root, "initializers", cJSON_CreateArray());
	for (size_t i = 0; inits && i < d->sel.n; i++) {
		const mc_tensor_info *t = mc_reader_tensor(d->r, d->sel.index[i]);
		cJSON *o = add(d, inits, NULL, cJSON_CreateObject());
		add(d, o, "name", json_str(d->sel.name[i]));
		add(d, o, "dtype", cJSON_CreateString(mc_dtype_name(t->dtype)));
		add(d, o, "shape", json_dims(d, t->shape.dims, (size_t)t->shape.ndim));
		add(d, o, "nbytes", cmd_json_u64(t->nbytes));
		if (d->sha) {
			char h[65];
			cmd_sha256_hex(h, d->sha[i]);
			add(d, o, "sha256", cJSON_CreateString(h));
		}
	}
	meta = add(d, root, "metadata", cJSON_CreateObject());
	for (size_t i = 0; meta && i < mp->n_metadata_props; i++)
		add(d, meta, dox_str(mp->metadata_props[i]->key),
		    json_str(mp->metadata_props[i]->value));
	if (!d->failed && !d->nomem && !(text = cJSON_Print(root)))
		d->nomem = true;
	cJSON_Delete(root);
	if (d->failed)
		return cmd_report_error();
	if (d->nomem) {
		cJSON_free(text);
		fprintf(stderr, "modelctl: out of memory\n");
		return EXIT_REFUSED;
	}
	fputs(text, stdout);
	fputc('\n', stdout);
	cJSON_free(text);
	return cmd_finish_stdout(EXIT_OK);
}
