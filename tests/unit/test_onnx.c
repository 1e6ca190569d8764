/* SPDX-License-Identifier: MIT */
/*
 * The ONNX reader and graph API: every model of Debian's libonnx-testdata
 * (node, simple, pytorch-converted, pytorch-operator) opens by sniffing and
 * every initializer reads; the fixtures of testdata/onnx (made by its
 * make_fixtures.py with the onnx helper API and torch.onnx.export) through
 * the graph API: opsets, metadata, symbolic dims, attributes of every type,
 * subgraph bodies and their tensors, raw_data handed out in place, typed
 * fields decoded, external data beside the model; a table of hostile
 * lengths; every truncation and every flipped byte of a fixture; sniffing
 * that takes ONNX and nothing else; every file of testdata/bad/onnx and the
 * fuzz seeds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "format.h"
#include "modelctl.h"
#include "onnx.h"
#include "value.h"
#include "testutil.h"
#include "banned.h"

/* ---- hand-made models ----------------------------------------------------------- */

/* A model: ir_version 8, opset 13, a graph named "g" with one Identity
 * node and the given initializer (a TensorProto, released), if any. */
static void model_with(tu_pb *out, tu_pb *init)
{
	tu_pb graph = TU_PB_INIT;

	tu_pb_onnx_node(&graph, "x", "y", NULL, "Identity");
	tu_pb_str(&graph, 2, "g");
	if (init)
		tu_pb_msg(&graph, 5, init);
	tu_pb_onnx_model(out, &graph);
}

static int open_pb(mc_reader **r, const tu_pb *m)
{
	return mc_reader_open_memory(r, m->b, m->n, "hand.onnx", "onnx");
}

/* ---- libonnx-testdata ----------------------------------------------------------- */

/* Open one model by sniffing and read every initializer; ctx counts them. */
static void read_libonnx_model(const char *path, void *ctx)
{
	size_t *tensors = ctx;
	mc_reader *r = NULL;
	int rc;

	rc = mc_reader_open(&r, path);
	if (rc)
		fail_msg("%s: %s", path, mc_error_last()->msg);
	assert_string_equal(mc_reader_format(r), "onnx");
	assert_non_null(mc_onnx_model_of(r));
	rc = tu_read_all(r);
	if (rc)
		fail_msg("%s: %s", path, mc_error_last()->msg);
	*tensors += mc_reader_count(r);
	mc_reader_close(r);
}

static void test_libonnx_testdata(void **state)
{
	size_t models, tensors = 0;

	(void)state;
	models = tu_each_libonnx_model(read_libonnx_model, &tensors);
	print_message("libonnx-testdata: %zu models, %zu initializers read\n", models, tensors);
	assert_true(models >= 1000);
}

/* ---- fixtures through the graph API ------------------------------------------------ */

static mc_reader *open_fixture(const char *name)
{
	char path[512];
	mc_reader *r = NULL;

	snprintf(path, sizeof(path), "%s/testdata/onnx/%s", MC_SOURCE_DIR, name);
	if (mc_reader_open(&r, path) != 0)
		fail_msg("%s: %s", path, mc_error_last()->msg);
	assert_string_equal(mc_reader_format(r), "onnx");
	return r;
}

static void test_symbolic(void **state)
{
	mc_reader *r = open_fixture("symbolic.onnx");
	const mc_onnx_model *m = mc_onnx_model_of(r);
	const Onnx__GraphProto *g = mc_onnx_graph(m);
	const Onnx__ValueInfoProto *vi;
	const mc_value *v, *ins, *shape;
	mc_onnx_tensor_type tt;
	mc_onnx_dim d;
	char buf[128];

	(void)state;
	assert_int_equal(mc_onnx_opset(m, ""), 13);
	assert_int_equal(mc_onnx_opset(m, "ai.onnx"), 13);
	assert_int_equal(mc_onnx_opset(m, NULL), 13);
	assert_int_equal(mc_onnx_opset(m, "com.microsoft"), 1);
	assert_int_equal(mc_onnx_opset(m, "ai.onnx.ml"), -1);
	assert_string_equal(mc_onnx_metadata(m, "author"), "modelctl");
	assert_string_equal(mc_onnx_metadata(m, "note"), "caf\xc3\xa9 \"quoted\"");
	assert_null(mc_onnx_metadata(m, "missing"));
	assert_int_equal(mc_onnx_proto(m)->model_version, 7);
	assert_int_equal(mc_onnx_initializer_find(m, "embed.weight"), 0);
	assert_int_equal(mc_onnx_initializer_find(m, "embed"), -1);
	assert_true(mc_onnx_is_initializer(m, "embed.weight"));
	assert_false(mc_onnx_is_initializer(m, "input_ids"));

	/* [batch, sequence] */
	assert_non_null(vi = mc_onnx_value_info(g, "input_ids"));
	assert_int_equal(mc_onnx_tensor_type_of(&tt, vi->type), 0);
	assert_int_equal(tt.dtype, MC_INT64);
	assert_int_equal(tt.rank, 2);
	d = mc_onnx_type_dim(&tt, 0);
	assert_int_equal(d.value, -1);
	assert_string_equal(d.param, "batch");
	assert_string_equal(mc_onnx_type_dim(&tt, 1).param, "sequence");
	/* [batch, 3, ?, 4] */
	assert_non_null(vi = mc_onnx_value_info(g, "pixel_values"));
	assert_int_equal(mc_onnx_tensor_type_of(&tt, vi->type), 0);
	assert_int_equal(tt.rank, 4);
	assert_int_equal(mc_onnx_type_dim(&tt, 1).value, 3);
	d = mc_onnx_type_dim(&tt, 2);
	assert_true(d.value == -1 && d.param == NULL);
	assert_int_equal(mc_onnx_type_dim(&tt, 3).value, 4);
	/* value_info without a shape: any rank */
	assert_non_null(vi = mc_onnx_value_info(g, "pixels"));
	assert_int_equal(mc_onnx_tensor_type_of(&tt, vi->type), 0);
	assert_int_equal(tt.rank, -1);
	assert_string_equal(mc_onnx_type_format(buf, sizeof(buf), vi->type), "tensor(float32)");
	assert_non_null(mc_onnx_value_info(g, "logits"));
	assert_null(mc_onnx_value_info(g, "nothing"));

	/* the values dict */
	v = mc_reader_values(r);
	assert_int_equal(mc_value_dict_get(v, "ir_version")->u.i, 8);
	assert_string_equal(mc_value_dict_get(v, "producer_name")->u.s.p, "modelctl-fixtures");
	assert_string_equal(mc_value_dict_get(v, "domain")->u.s.p, "ai.modelctl.test");
	assert_int_equal(mc_value_dict_get(mc_value_dict_get(v, "opset_import"), "ai.onnx")->u.i, 13);
	assert_int_equal(mc_value_dict_get(mc_value_dict_get(v, "opset_import"), "com.microsoft")->u.i,
	                 1);
	ins = mc_value_dict_get(v, "inputs");
	assert_int_equal(mc_value_len(ins), 3);
	assert_string_equal(mc_value_dict_get(mc_value_at(ins, 0), "name")->u.s.p, "input_ids");
	assert_string_equal(mc_value_dict_get(mc_value_at(ins, 0), "dtype")->u.s.p, "int64");
	shape = mc_value_dict_get(mc_value_at(ins, 2), "shape");
	assert_int_equal(mc_value_len(shape), 4);
	assert_int_equal(mc_value_at(shape, 0)->kind, MC_VALUE_STR);
	assert_int_equal(mc_value_at(shape, 1)->u.i, 3);
	assert_int_equal(mc_value_at(shape, 2)->kind, MC_VALUE_NONE);
	assert_int_equal(mc_value_len(mc_value_dict_get(v, "outputs")), 3);
	assert_int_equal(mc_value_len(mc_reader_metadata(r)), 3);
	mc_reader_close(r);
}

static void test_attributes(void **state)
{
	static const struct {
		const char *name;
		Onnx__AttributeProto__AttributeType type;
	} want[] = {
		{"f", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT},
		{"i", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT},
		{"s", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING},
		{"t", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR},
		{"g", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH},
		{"floats", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS},
		{"ints", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS},
		{"strings", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS},
		{"tensors", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSORS},
		{"graphs", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS},
		{"sparse_tensor", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSOR},
		{"tp", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTO},
		{"sparse_tensors", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSORS},
		{"type_protos", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTOS},
	};
	mc_reader *r = open_fixture("attributes.onnx");
	const mc_onnx_model *m = mc_onnx_model_of(r);
	const Onnx__NodeProto *n;
	const Onnx__AttributeProto *a;
	mc_tensor_info info;
	mc_view v;
	char buf[128];

	(void)state;
	assert_int_equal(mc_reader_count(r), 0);
	assert_int_equal(mc_onnx_graph(m)->n_node, 1);
	n = mc_onnx_graph(m)->node[0];
	assert_string_equal(n->op_type, "AllAttrs");
	assert_string_equal(n->domain, "mc.test");
	assert_int_equal(mc_onnx_opset(m, "mc.test"), 1);
	assert_int_equal(n->n_attribute, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_non_null(a = mc_onnx_attr(n, want[i].name));
		assert_int_equal(mc_onnx_attr_type(a), want[i].type);
	}
	assert_null(mc_onnx_attr(n, "nope"));
	assert_string_equal(mc_onnx_attr_type_name(ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS),
	                    "graphs");
	assert_true(mc_onnx_attr(n, "f")->f == 0.5f);
	assert_int_equal(mc_onnx_attr(n, "i")->i, -3);
	a = mc_onnx_attr(n, "s");
	assert_int_equal(a->s.len, 4);
	assert_memory_equal(a->s.data, "text", 4);
	a = mc_onnx_attr(n, "ints");
	assert_int_equal(a->n_ints, 3);
	assert_int_equal(a->ints[2], -3);
	assert_true(mc_onnx_attr(n, "floats")->floats[1] == -2.5f);
	assert_int_equal(mc_onnx_attr(n, "strings")->n_strings, 2);
	assert_string_equal(mc_onnx_attr(n, "g")->g->node[0]->op_type, "Identity");
	assert_int_equal(mc_onnx_attr(n, "graphs")->n_graphs, 2);
	assert_string_equal(mc_onnx_type_format(buf, sizeof(buf), mc_onnx_attr(n, "tp")->tp),
	                    "tensor(float32)");

	/* a tensor attribute in raw_data, another in int64_data */
	a = mc_onnx_attr(n, "t");
	assert_int_equal(mc_onnx_tensor_info(&info, m, a->t), 0);
	assert_int_equal(info.dtype, MC_FLOAT32);
	assert_int_equal(info.nbytes, 24);
	assert_int_equal(mc_onnx_tensor_read(m, a->t, &v), 0);
	for (int i = 0; i < 6; i++) {
		float f;
		memcpy(&f, v.data + 4 * i, 4);
		assert_true(f == (float)i);
	}
	mc_view_release(&v);
	a = mc_onnx_attr(n, "tensors");
	assert_int_equal(a->n_tensors, 2);
	assert_int_equal(mc_onnx_tensor_read(m, a->tensors[1], &v), 0);
	assert_int_equal(v.dtype, MC_INT64);
	assert_non_null(v.owned);
	{
		int64_t x[3];
		memcpy(x, v.data, sizeof(x));
		assert_true(x[0] == 1 && x[1] == -2 && x[2] == 3);
	}
	mc_view_release(&v);
	/* the parts of a sparse tensor are TensorProtos too */
	a = mc_onnx_attr(n, "sparse_tensor");
	assert_int_equal(mc_onnx_tensor_read(m, a->sparse_tensor->values, &v), 0);
	assert_int_equal(v.shape.dims[0], 2);
	mc_view_release(&v);
	assert_int_equal(mc_onnx_tensor_read(m, a->sparse_tensor->indices, &v), 0);
	assert_int_equal(v.dtype, MC_INT64);
	mc_view_release(&v);
	mc_reader_close(r);
}

static void test_subgraphs(void **state)
{
	mc_reader *r = open_fixture("subgraphs.onnx");
	const mc_onnx_model *m = mc_onnx_model_of(r);
	const Onnx__GraphProto *g = mc_onnx_graph(m), *then_g, *else_g;
	const Onnx__NodeProto *outer, *inner;
	mc_view v;
	float f[2];

	(void)state;
	assert_int_equal(mc_reader_count(r), 1);
	assert_string_equal(mc_reader_tensor(r, 0)->name, "scale");
	outer = g->node[0];
	assert_string_equal(outer->op_type, "If");
	then_g = mc_onnx_attr(outer, "then_branch")->g;
	else_g = mc_onnx_attr(outer, "else_branch")->g;
	assert_non_null(then_g);
	assert_non_null(else_g);
	/* an initializer of a body: not one of the reader's tensors, but readable */
	assert_int_equal(then_g->n_initializer, 1);
	assert_string_equal(then_g->initializer[0]->name, "then_bias");
	assert_int_equal(mc_onnx_initializer_find(m, "then_bias"), -1);
	assert_int_equal(mc_onnx_tensor_read(m, then_g->initializer[0], &v), 0);
	memcpy(f, v.data, sizeof(f));
	assert_true(f[0] == 0.5f && f[1] == -0.5f);
	mc_view_release(&v);
	/* a Constant inside the If nested in the else branch */
	inner = else_g->node[0];
	assert_string_equal(inner->op_type, "If");
	{
		const Onnx__GraphProto *ig = mc_onnx_attr(inner, "else_branch")->g;
		const Onnx__AttributeProto *value = mc_onnx_attr(ig->node[0], "value");
		assert_string_equal(ig->node[0]->op_type, "Constant");
		assert_int_equal(mc_onnx_tensor_read(m, value->t, &v), 0);
		memcpy(f, v.data, sizeof(f));
		assert_true(f[0] == 3.0f && f[1] == 4.0f);
		mc_view_release(&v);
	}
	mc_reader_close(r);
}

/* raw_data is a view into the mapping; typed fields are decoded into memory
 * the view owns; both hash alike for the same values. */
static void test_in_place(void **state)
{
	mc_reader *raw = open_fixture("dtypes_raw.onnx"), *typed = open_fixture("dtypes_typed.onnx");
	const mc_onnx_model *m = mc_onnx_model_of(raw);

	(void)state;
	assert_int_equal(mc_reader_count(raw), 15);
	assert_int_equal(mc_reader_count(typed), 15);
	for (size_t i = 0; i < mc_reader_count(raw); i++) {
		mc_view v;
		const Onnx__TensorProto *t = mc_onnx_graph(m)->initializer[i];
		assert_int_equal(mc_reader_read(raw, i, &v), 0);
		assert_null(v.owned);
		assert_non_null(v.map);
		assert_int_equal(mc_reader_tensor(raw, i)->dtype, mc_onnx_dtype(t->data_type));
		mc_view_release(&v);
		/* the same view through the graph API */
		assert_int_equal(mc_onnx_tensor_read(m, t, &v), 0);
		assert_null(v.owned);
		mc_view_release(&v);
		assert_int_equal(mc_reader_read(typed, i, &v), 0);
		assert_non_null(v.owned);
		mc_view_release(&v);
	}
	/* dtype mapping both ways */
	for (int dt = MC_DTYPE_INVALID + 1; dt < MC_DTYPE_COUNT; dt++)
		assert_int_equal(mc_onnx_dtype(mc_onnx_elem_type((mc_dtype)dt)), dt);
	assert_string_equal(mc_onnx_type_name(MC_ONNX_INT4), "int4");
	assert_string_equal(mc_onnx_type_name(ONNX__TENSOR_PROTO__DATA_TYPE__STRING), "string");
	assert_string_equal(mc_onnx_type_name(MC_ONNX_FLOAT8E4M3FN), "float8_e4m3fn");
	assert_null(mc_onnx_type_name(99));
	assert_null(mc_onnx_model_of(NULL));
	mc_reader_close(raw);
	mc_reader_close(typed);
}

static void test_external(void **state)
{
	mc_reader *r = open_fixture("external.onnx");
	char path[512], dir[] = "/tmp/mc_test_onnx_XXXXXX", copy[600];
	uint8_t *data;
	size_t len;
	FILE *fp;
	mc_view v;

	(void)state;
	assert_int_equal(mc_reader_count(r), 4);
	assert_int_equal(mc_reader_read(r, 0, &v), 0);
	assert_non_null(v.map);
	assert_ptr_not_equal(v.map, r->map); /* the external file's own mapping */
	assert_null(v.owned);
	mc_view_release(&v);
	assert_int_equal(tu_read_all(r), 0);
	mc_reader_close(r);

	/* from memory there is no directory to find external data in */
	snprintf(path, sizeof(path), "%s/testdata/onnx/external.onnx", MC_SOURCE_DIR);
	data = tu_read_file(path, &len);
	tu_assert_fails(tu_open_read_all(data, len, "external.onnx", "onnx"), MC_EUNSUPPORTED,
	                "read from memory");
	/* a copy of the model without its external file */
	assert_non_null(mkdtemp(dir));
	snprintf(copy, sizeof(copy), "%s/external.onnx", dir);
	assert_non_null(fp = fopen(copy, "wb"));
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	tu_assert_fails(tu_path_read_all(copy, "external.onnx", "onnx"), MC_EIO,
	                "cannot open external data 'external.bin'");
	unlink(copy);
	rmdir(dir);
	free(data);
}

/* ---- hostile input ---------------------------------------------------------------- */

/* Declared lengths from the table of hostile values, in the graph field and
 * in an initializer's raw_data: each is refused as corrupt, and those past
 * the bytes present say so. */
static void test_hostile_lengths(void **state)
{
	static const uint64_t lengths[] = {0, 1, 0x7fffffff, 0xffffffff, UINT64_C(1) << 63,
	                                   UINT64_MAX, 4096};
	(void)state;
	for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
		const char *frag = lengths[i] > 4 ? "passes the end of the enclosing message" : "";
		tu_pb m = TU_PB_INIT, t = TU_PB_INIT, g = TU_PB_INIT;
		mc_reader *r = NULL;

		/* the graph: then 4 bytes that are no valid fields (field 0) */
		tu_pb_int(&m, 1, 8);
		tu_pb_key(&m, 7, TU_PB_LEN);
		tu_pb_varint(&m, lengths[i]);
		tu_pb_raw(&m, "\0\0\0\0", 4);
		tu_assert_fails_as("graph length", open_pb(&r, &m), MC_ECORRUPT, frag);
		assert_null(r);

		tu_pb_int(&t, 1, 2);
		tu_pb_int(&t, 2, 1);
		tu_pb_str(&t, 8, "w");
		tu_pb_key(&t, 9, TU_PB_LEN);
		tu_pb_varint(&t, lengths[i]);
		tu_pb_raw(&t, "\0\0\0\0", 4);
		model_with(&g, &t);
		tu_assert_fails_as("raw_data length", open_pb(&r, &g), MC_ECORRUPT, frag);
		tu_pb_release(&m);
		tu_pb_release(&g);
	}
}

/* A model of nothing but empty messages (200000 attributes of 2 bytes,
 * which protobuf-c would unpack into 250 bytes each) is refused by the
 * allocator's cap rather than unpacked. */
static void test_alloc_cap(void **state)
{
	const size_t n = 200000;
	size_t node_len = 2 * n;
	mc_reader *r = NULL;
	tu_pb m = TU_PB_INIT;

	(void)state;
	tu_pb_int(&m, 1, 8);
	tu_pb_key(&m, 7, TU_PB_LEN); /* graph: the node's tag, its 3-byte length, the node */
	tu_pb_varint(&m, 1 + 3 + node_len);
	tu_pb_key(&m, 1, TU_PB_LEN); /* node */
	tu_pb_varint(&m, node_len);
	for (size_t i = 0; i < n; i++)
		tu_pb_raw(&m, "\x2a\x00", 2); /* attribute, length 0 */
	tu_assert_fails(mc_reader_open_memory(&r, m.b, m.n, "empty.onnx", "onnx"), MC_ELIMIT,
	                "bytes of memory");
	assert_null(r);
	tu_pb_release(&m);
}

/* A valid hand-made model opens; its initializer reads in place. */
static void test_hand_made(void **state)
{
	tu_pb t = TU_PB_INIT, m = TU_PB_INIT;
	mc_reader *r = NULL;
	mc_view v;
	const float want[2] = {1.5f, -2.0f};

	(void)state;
	tu_pb_int(&t, 1, 2);
	tu_pb_int(&t, 2, 1);
	tu_pb_str(&t, 8, "w");
	tu_pb_bytes(&t, 9, want, sizeof(want));
	model_with(&m, &t);
	assert_int_equal(open_pb(&r, &m), 0);
	assert_int_equal(mc_reader_count(r), 1);
	assert_int_equal(mc_reader_read(r, 0, &v), 0);
	assert_memory_equal(v.data, want, sizeof(want));
	assert_true(v.data >= m.b && v.data < m.b + m.n); /* not a copy */
	mc_view_release(&v);
	mc_reader_close(r);
	tu_pb_release(&m);
}

/* Every prefix and every single flipped byte of a fixture opens or is
 * refused cleanly: never a crash, never out of memory. */
static void test_truncate_and_flip(void **state)
{
	static const char *names[] = {"dtypes_typed.onnx", "subgraphs.onnx", "attributes.onnx"};

	(void)state;
	for (size_t f = 0; f < sizeof(names) / sizeof(names[0]); f++) {
		char path[512];
		size_t len;
		uint8_t *data, *buf;
		snprintf(path, sizeof(path), "%s/testdata/onnx/%s", MC_SOURCE_DIR, names[f]);
		data = tu_read_file(path, &len);
		assert_int_equal(tu_open_read_all(data, len, names[f], "onnx"), 0);
		for (size_t n = 0; n < len; n++) {
			assert_non_null(buf = malloc(n ? n : 1));
			memcpy(buf, data, n);
			assert_int_not_equal(tu_open_read_all(buf, n, names[f], "onnx"), MC_ENOMEM);
			free(buf);
		}
		assert_non_null(buf = malloc(len));
		for (size_t i = 0; i < len; i++) {
			static const uint8_t flips[] = {0x01, 0x80, 0xff};
			for (size_t k = 0; k < sizeof(flips); k++) {
				memcpy(buf, data, len);
				buf[i] ^= flips[k];
				assert_int_not_equal(tu_open_read_all(buf, len, names[f], "onnx"), MC_ENOMEM);
			}
		}
		free(buf);
		free(data);
	}
}

/* ONNX is recognised from its first bytes, and other formats are not taken
 * for it. */
static void test_sniff(void **state)
{
	static const struct {
		const char *bytes;
		size_t n;
		int onnx;
	} heads[] = {
		{"\x08\x07\x12\x07pytorch", 11, 1},
		{"\x08\x08", 2, 1},
		{"\x08\x07\x3a\xff\xff\x03", 6, 1}, /* a graph running past the head */
		{"\x08\x00", 2, 0},                  /* ir_version 0 */
		{"\x08\x80\x02", 3, 0},              /* ir_version 256 */
		{"\x08\x07\x00", 3, 0},              /* field 0 */
		{"\x08\x07\x0d\x00\x00\x00\x00", 7, 0}, /* ir_version again, as 32-bit */
		{"\x08\x07\x18\x01", 4, 0},          /* producer_version as a varint */
		{"\x08", 1, 0},
		{"\x93NUMPY", 6, 0},
		{"PK\3\4", 4, 0},
	};
	static const char *others[] = {"testdata/npy/float32.npy", "testdata/npz/mixed.npz",
	                               "testdata/safetensors/all_dtypes.safetensors"};

	(void)state;
	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++) {
		const mc_format *f = mc_format_sniff((const uint8_t *)heads[i].bytes, heads[i].n);
		if (heads[i].onnx)
			assert_ptr_equal(f, &mc_format_onnx);
		else
			assert_ptr_not_equal(f, &mc_format_onnx);
	}
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		mc_reader *r = NULL;
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", MC_SOURCE_DIR, others[i]);
		assert_int_equal(mc_reader_open(&r, path), 0);
		assert_string_not_equal(mc_reader_format(r), "onnx");
		assert_null(mc_onnx_model_of(r));
		mc_reader_close(r);
	}
	assert_int_equal(mc_formats_check(), 0);
}

static void test_bad_files(void **state)
{
	(void)state;
	tu_check_bad_dir("testdata/bad/onnx", ".onnx", 40, tu_path_read_all, "onnx");
}

/* The fuzz seeds are valid models: sniffed, opened from memory, every
 * initializer read and hashed. */
static void test_corpus(void **state)
{
	(void)state;
	tu_check_corpus("tests/fuzz/corpus/onnx", 8, tu_load_read_all, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_libonnx_testdata),
		cmocka_unit_test(test_symbolic),
		cmocka_unit_test(test_attributes),
		cmocka_unit_test(test_subgraphs),
		cmocka_unit_test(test_in_place),
		cmocka_unit_test(test_external),
		cmocka_unit_test(test_hostile_lengths),
		cmocka_unit_test(test_hand_made),
		cmocka_unit_test(test_alloc_cap),
		cmocka_unit_test(test_truncate_and_flip),
		cmocka_unit_test(test_sniff),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_corpus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
