/* SPDX-License-Identifier: MIT */
/*
 * The ONNX writer and the graph builder.  Read, write, read again: every
 * model of Debian's libonnx-testdata and every fixture of testdata/onnx
 * (written by onnx.save and torch.onnx.export) comes back byte for byte,
 * which is as equal as two models can be; external data is embedded or
 * moved to a new file with the same tensors.  Models from the builder are
 * read back through the reader and the graph API and compared with what
 * was put in; the same calls give the same bytes; errors leave no file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "format.h"
#include "graph.h"
#include "onnx.h"
#include "onnx_check.h"
#include "testutil.h"

static char tmpdir[] = "/tmp/mc-onnx-write-XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];
	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void tmp_path(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s", tmpdir, name);
}

static bool same_bytes(const char *a, const char *b)
{
	size_t na, nb;
	uint8_t *da = tu_read_file(a, &na), *db = tu_read_file(b, &nb);
	bool same = da && db && na == nb && !memcmp(da, db, na);
	free(da);
	free(db);
	return same;
}

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static mc_reader *open_ok(const char *path)
{
	mc_reader *r = NULL;
	if (mc_reader_open(&r, path))
		fail_msg("%s: %s", path, mc_error_last()->msg);
	return r;
}

/* The two readers hold the same tensors: names, dtypes, shapes, hashes. */
static void assert_same_tensors(mc_reader *a, mc_reader *b)
{
	assert_int_equal(mc_reader_count(a), mc_reader_count(b));
	for (size_t i = 0; i < mc_reader_count(a); i++) {
		const mc_tensor_info *ta = mc_reader_tensor(a, i), *tb = mc_reader_tensor(b, i);
		uint8_t ha[32], hb[32];
		assert_string_equal(ta->name, tb->name);
		assert_int_equal(ta->dtype, tb->dtype);
		assert_int_equal(ta->shape.ndim, tb->shape.ndim);
		assert_memory_equal(ta->shape.dims, tb->shape.dims,
		                    (size_t)ta->shape.ndim * sizeof(int64_t));
		assert_int_equal(mc_reader_sha256(ha, a, i), 0);
		assert_int_equal(mc_reader_sha256(hb, b, i), 0);
		assert_memory_equal(ha, hb, 32);
	}
}

/* Rewrite `path`; 1 when the copy has the same bytes. */
static int rewrite(const char *path, const mc_onnx_write_opts *opts)
{
	char out[512];
	mc_reader *r = open_ok(path);
	int rc;

	tmp_path(out, sizeof(out), "rewrite.onnx");
	rc = mc_onnx_write_model(out, mc_onnx_model_of(r), opts);
	if (rc)
		fail_msg("%s: %s", path, mc_error_last()->msg);
	mc_reader_close(r);
	return same_bytes(path, out);
}

/* ---- read, write, read again ---------------------------------------------------------- */

static void rewrite_libonnx_model(const char *path, void *ctx)
{
	(void)ctx;
	if (!rewrite(path, NULL))
		fail_msg("%s: the rewritten model differs", path);
}

static void test_rewrite_libonnx_testdata(void **state)
{
	size_t models;

	(void)state;
	models = tu_each_libonnx_model(rewrite_libonnx_model, NULL);
	print_message("libonnx-testdata: %zu models rewritten byte for byte\n", models);
	assert_true(models >= 1000);
}

static void test_rewrite_fixtures(void **state)
{
	static const char *names[] = {"attributes.onnx", "dtypes_raw.onnx", "dtypes_typed.onnx",
	                              "float8.onnx", "scalar_empty.onnx", "subgraphs.onnx",
	                              "symbolic.onnx", "torch_convbn.onnx"};
	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char path[512];
		snprintf(path, sizeof(path), "%s/testdata/onnx/%s", MC_SOURCE_DIR, names[i]);
		if (!rewrite(path, NULL))
			fail_msg("%s: the rewritten model differs", names[i]);
	}
}

/* external.onnx keeps its weights in external.bin: rewritten, they are
 * embedded, and the tensors are the same. */
static void test_rewrite_embeds_external(void **state)
{
	char src[512], out[512];
	mc_reader *a, *b;

	(void)state;
	snprintf(src, sizeof(src), "%s/testdata/onnx/external.onnx", MC_SOURCE_DIR);
	tmp_path(out, sizeof(out), "embedded.onnx");
	a = open_ok(src);
	assert_int_equal(mc_onnx_write_model(out, mc_onnx_model_of(a), NULL), 0);
	b = open_ok(out);
	assert_same_tensors(a, b);
	for (size_t i = 0; i < mc_reader_count(b); i++) {
		const Onnx__TensorProto *t = mc_onnx_graph(mc_onnx_model_of(b))->initializer[i];
		assert_false(t->has_data_location && t->data_location);
		assert_int_equal(t->n_external_data, 0);
	}
	mc_reader_close(a);
	mc_reader_close(b);
}

static void test_rewrite_to_external(void **state)
{
	static const char *names[] = {"torch_convbn.onnx", "dtypes_typed.onnx", "external.onnx"};
	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char src[512], out[512], data[512], again[512];
		mc_onnx_write_opts opts = {"weights.bin", 1};
		mc_reader *a, *b;
		size_t ext = 0;

		snprintf(src, sizeof(src), "%s/testdata/onnx/%s", MC_SOURCE_DIR, names[i]);
		tmp_path(out, sizeof(out), "ext.onnx");
		tmp_path(data, sizeof(data), "weights.bin");
		tmp_path(again, sizeof(again), "again.onnx");
		a = open_ok(src);
		assert_int_equal(mc_onnx_write_model(out, mc_onnx_model_of(a), &opts), 0);
		assert_true(exists(data));
		b = open_ok(out);
		assert_same_tensors(a, b);
		/* with external_min 1, every initializer holding data moved */
		for (size_t k = 0; k < mc_reader_count(b); k++) {
			const Onnx__TensorProto *t = mc_onnx_graph(mc_onnx_model_of(b))->initializer[k];
			bool moved = t->has_data_location && t->data_location;
			assert_int_equal(moved, mc_reader_tensor(b, k)->nbytes > 0);
			ext += moved;
		}
		assert_true(ext > 0);
		/* and back: embedded again, the tensors still the same */
		assert_int_equal(mc_onnx_write_model(again, mc_onnx_model_of(b), NULL), 0);
		mc_reader_close(b);
		b = open_ok(again);
		assert_same_tensors(a, b);
		mc_reader_close(a);
		mc_reader_close(b);
		unlink(data);
	}
}

/* ---- the builder ------------------------------------------------------------------------ */

/* A small MLP with a symbolic batch: y = softmax(relu(x W1 + b1) W2). */
static mc_gb *build_mlp(const float *w1, const float *b1, const float *w2, mc_view *w1v)
{
	mc_gb *b = mc_gb_new("mlp");
	mc_gb_graph *g = mc_gb_main(b);
	mc_gb_dim in[] = {MC_GB_SYMBOL("batch"), MC_GB_FIXED(4)};
	mc_gb_dim out[] = {MC_GB_SYMBOL("batch"), MC_GB_FIXED(3)};
	mc_shape s1 = TU_SHAPE(4, 5), sb = TU_SHAPE(5), s2 = TU_SHAPE(5, 3);
	mc_gb_node *n;

	assert_non_null(b);
	mc_view_init_dense(w1v, MC_FLOAT32, &s1, w1);
	mc_gb_opset(b, "", 17);
	mc_gb_metadata(b, "labels", "[\"a\", \"b\", \"c\"]");
	mc_gb_metadata(b, "source", "test");
	mc_gb_input(g, "input", MC_FLOAT32, 2, in);
	mc_gb_output(g, "output", MC_FLOAT32, 2, out);
	mc_gb_initializer(g, "fc1.weight", w1v);
	mc_gb_initializer_copy(g, "fc1.bias", MC_FLOAT32, &sb, b1);
	mc_gb_initializer_copy(g, "fc2.weight", MC_FLOAT32, &s2, w2);
	mc_gb_node_add(g, "MatMul", "/fc1/MatMul", (const char *[]){"input", "fc1.weight"}, 2,
	               (const char *[]){"h0"}, 1);
	mc_gb_node_add(g, "Add", "/fc1/Add", (const char *[]){"h0", "fc1.bias"}, 2,
	               (const char *[]){"h1"}, 1);
	mc_gb_node_add(g, "Relu", "/relu", (const char *[]){"h1"}, 1, (const char *[]){"h2"}, 1);
	mc_gb_node_add(g, "MatMul", "/fc2/MatMul", (const char *[]){"h2", "fc2.weight"}, 2,
	               (const char *[]){"logits"}, 1);
	n = mc_gb_node_add(g, "Softmax", "/softmax", (const char *[]){"logits"}, 1,
	                   (const char *[]){"output"}, 1);
	mc_gb_attr_int(n, "axis", -1);
	assert_int_equal(mc_gb_error(b), 0);
	return b;
}

static const float W1[20] = {0.1f, -0.2f, 0.3f, 0.4f, -0.5f, 0.6f, 0.7f, -0.8f, 0.9f, 1.0f,
                             1.1f, 1.2f, -1.3f, 1.4f, 1.5f, 1.6f, -1.7f, 1.8f, 1.9f, 2.0f};
static const float B1[5] = {0.5f, -0.25f, 0.125f, 0.f, 1.f};
static const float W2[15] = {1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1, -1, 2, -3};

static void test_builder_reads_back(void **state)
{
	char out[512];
	mc_view w1v;
	mc_gb *b = build_mlp(W1, B1, W2, &w1v);
	mc_reader *r;
	const mc_onnx_model *m;
	const Onnx__GraphProto *g;
	mc_onnx_tensor_type tt;
	mc_onnx_dim d;
	mc_view v;

	(void)state;
	tmp_path(out, sizeof(out), "mlp.onnx");
	assert_int_equal(mc_gb_write(b, out, NULL), 0);
	mc_gb_free(b);
	r = open_ok(out);
	m = mc_onnx_model_of(r);
	g = mc_onnx_graph(m);
	assert_int_equal(mc_onnx_proto(m)->ir_version, 8);
	assert_int_equal(mc_onnx_opset(m, ""), 17);
	assert_string_equal(mc_onnx_proto(m)->producer_name, "modelctl");
	assert_string_equal(mc_onnx_metadata(m, "labels"), "[\"a\", \"b\", \"c\"]");
	assert_string_equal(mc_onnx_metadata(m, "source"), "test");
	assert_string_equal(g->name, "mlp");
	{
		/* what the builder makes is well formed */
		mc_onnx_problems p;
		assert_int_equal(mc_onnx_check(&p, m), 0);
		if (p.errors)
			fail_msg("%zu problems, the first: %s", p.errors, p.items[0].msg);
		mc_onnx_problems_release(&p);
	}
	assert_int_equal(g->n_node, 5);
	assert_string_equal(g->node[4]->op_type, "Softmax");
	assert_string_equal(g->node[1]->input[1], "fc1.bias");
	assert_int_equal(mc_onnx_attr(g->node[4], "axis")->i, -1);
	assert_int_equal(mc_onnx_attr_type(mc_onnx_attr(g->node[4], "axis")),
	                 ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
	assert_int_equal(g->n_input, 1);
	assert_int_equal(mc_onnx_tensor_type_of(&tt, g->input[0]->type), 0);
	assert_int_equal(tt.dtype, MC_FLOAT32);
	assert_int_equal(tt.rank, 2);
	d = mc_onnx_type_dim(&tt, 0);
	assert_string_equal(d.param, "batch");
	d = mc_onnx_type_dim(&tt, 1);
	assert_null(d.param);
	assert_int_equal(d.value, 4);
	assert_int_equal(mc_reader_count(r), 3);
	assert_int_equal(mc_reader_read(r, 0, &v), 0);
	assert_int_equal(v.shape.ndim, 2);
	assert_memory_equal(v.data, W1, sizeof(W1));
	mc_view_release(&v);
	assert_int_equal(mc_reader_read(r, 2, &v), 0);
	assert_memory_equal(v.data, W2, sizeof(W2));
	mc_view_release(&v);
	mc_reader_close(r);
}

static void test_builder_deterministic(void **state)
{
	char a[512], bpath[512];
	mc_view w1v;
	mc_gb *b1 = build_mlp(W1, B1, W2, &w1v), *b2 = build_mlp(W1, B1, W2, &w1v);

	(void)state;
	tmp_path(a, sizeof(a), "det1.onnx");
	tmp_path(bpath, sizeof(bpath), "det2.onnx");
	assert_int_equal(mc_gb_write(b1, a, NULL), 0);
	assert_int_equal(mc_gb_write(b2, bpath, NULL), 0);
	assert_true(same_bytes(a, bpath));
	/* and a model read back and rewritten is the same model */
	assert_true(rewrite(a, NULL));
	mc_gb_free(b1);
	mc_gb_free(b2);
}

/* Every attribute type and a subgraph survive the trip. */
static void test_builder_attributes(void **state)
{
	char out[512];
	mc_gb *b = mc_gb_new("attrs");
	mc_gb_graph *g = mc_gb_main(b), *then_g, *else_g;
	mc_gb_node *n;
	mc_shape s = TU_SHAPE(2, 2);
	const int64_t ints[] = {1, -2, 3};
	const float floats[] = {0.5f, -1.5f};
	const char *strs[] = {"x", "yz"};
	const int32_t tdata[] = {1, 2, 3, 4};
	const float one = 1.0f, two = 2.0f;
	mc_reader *r;
	const Onnx__GraphProto *rg;
	const Onnx__AttributeProto *a;
	mc_view v;

	(void)state;
	mc_gb_opset(b, "", 13);
	mc_gb_opset(b, "com.example", 1);
	mc_gb_opset(b, "", 17); /* replaces */
	mc_gb_input(g, "cond", MC_BOOL, 0, NULL);
	mc_gb_output(g, "y", MC_FLOAT32, 1, (mc_gb_dim[]){MC_GB_FIXED(1)});
	n = mc_gb_node_add(g, "Custom", "custom", NULL, 0, (const char *[]){"c"}, 1);
	mc_gb_node_domain(n, "com.example");
	mc_gb_attr_int(n, "i", 7);
	mc_gb_attr_float(n, "f", 0.25f);
	mc_gb_attr_string(n, "s", "hello");
	mc_gb_attr_ints(n, "ints", ints, 3);
	mc_gb_attr_floats(n, "floats", floats, 2);
	mc_gb_attr_strings(n, "strings", strs, 2);
	mc_gb_attr_tensor(n, "t", MC_INT32, &s, tdata);
	n = mc_gb_node_add(g, "If", "if", (const char *[]){"cond"}, 1, (const char *[]){"y"}, 1);
	then_g = mc_gb_attr_graph(n, "then_branch", "then");
	else_g = mc_gb_attr_graph(n, "else_branch", "else");
	assert_non_null(then_g);
	assert_non_null(else_g);
	mc_gb_output(then_g, "t_out", MC_FLOAT32, 1, (mc_gb_dim[]){MC_GB_FIXED(1)});
	n = mc_gb_node_add(then_g, "Constant", NULL, NULL, 0, (const char *[]){"t_out"}, 1);
	mc_gb_attr_tensor(n, "value", MC_FLOAT32, &(mc_shape){1, {1}}, &one);
	mc_gb_output(else_g, "e_out", MC_FLOAT32, 1, (mc_gb_dim[]){MC_GB_FIXED(1)});
	n = mc_gb_node_add(else_g, "Constant", NULL, NULL, 0, (const char *[]){"e_out"}, 1);
	mc_gb_attr_tensor(n, "value", MC_FLOAT32, &(mc_shape){1, {1}}, &two);
	tmp_path(out, sizeof(out), "attrs.onnx");
	assert_int_equal(mc_gb_write(b, out, NULL), 0);
	mc_gb_free(b);

	r = open_ok(out);
	rg = mc_onnx_graph(mc_onnx_model_of(r));
	assert_int_equal(mc_onnx_opset(mc_onnx_model_of(r), ""), 17);
	assert_int_equal(mc_onnx_opset(mc_onnx_model_of(r), "com.example"), 1);
	assert_string_equal(rg->node[0]->domain, "com.example");
	assert_int_equal(mc_onnx_attr(rg->node[0], "i")->i, 7);
	assert_true(mc_onnx_attr(rg->node[0], "f")->f == 0.25f);
	a = mc_onnx_attr(rg->node[0], "s");
	assert_int_equal(a->s.len, 5);
	assert_memory_equal(a->s.data, "hello", 5);
	a = mc_onnx_attr(rg->node[0], "ints");
	assert_int_equal(a->n_ints, 3);
	assert_int_equal(a->ints[1], -2);
	a = mc_onnx_attr(rg->node[0], "floats");
	assert_int_equal(a->n_floats, 2);
	assert_true(a->floats[1] == -1.5f);
	a = mc_onnx_attr(rg->node[0], "strings");
	assert_int_equal(a->n_strings, 2);
	assert_memory_equal(a->strings[1].data, "yz", 2);
	a = mc_onnx_attr(rg->node[0], "t");
	assert_int_equal(mc_onnx_attr_type(a), ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
	assert_int_equal(mc_onnx_tensor_read(mc_onnx_model_of(r), a->t, &v), 0);
	assert_int_equal(v.dtype, MC_INT32);
	assert_memory_equal(v.data, tdata, sizeof(tdata));
	mc_view_release(&v);
	a = mc_onnx_attr(rg->node[1], "else_branch");
	assert_non_null(a->g);
	assert_string_equal(a->g->name, "else");
	assert_string_equal(a->g->output[0]->name, "e_out");
	a = mc_onnx_attr(a->g->node[0], "value");
	assert_int_equal(mc_onnx_tensor_read(mc_onnx_model_of(r), a->t, &v), 0);
	{
		float got; /* raw_data sits at any offset of the file */
		memcpy(&got, v.data, sizeof(got));
		assert_true(got == 2.0f);
	}
	mc_view_release(&v);
	mc_reader_close(r);
}

/* A weight of 1 MiB or more starts on a 4096-byte boundary of the
 * external file; smaller ones below external_min stay in the model. */
static void test_builder_external(void **state)
{
	char out[512], data[512];
	size_t n = 300000; /* 1.2 MB of float32 */
	float *big = malloc(n * sizeof(float));
	const float small[3] = {1, 2, 3};
	mc_shape bs = TU_SHAPE((int64_t)n), ss = TU_SHAPE(3), ms = TU_SHAPE(300);
	mc_onnx_write_opts opts = {"model.onnx.data", 0};
	mc_gb *b = mc_gb_new("ext");
	mc_gb_graph *g = mc_gb_main(b);
	mc_view bv, sv, v;
	mc_reader *r;
	const Onnx__GraphProto *rg;
	struct stat st;

	(void)state;
	assert_non_null(big);
	for (size_t i = 0; i < n; i++)
		big[i] = (float)i * 0.5f;
	mc_view_init_dense(&bv, MC_FLOAT32, &bs, big);
	mc_view_init_dense(&sv, MC_FLOAT32, &ss, small);
	mc_gb_opset(b, "", 17);
	mc_gb_output(g, "big", MC_FLOAT32, 1, (mc_gb_dim[]){MC_GB_FIXED((int64_t)n)});
	mc_gb_initializer(g, "small", &sv);
	mc_gb_initializer_copy(g, "medium", MC_FLOAT32, &ms, big); /* 1200 B */
	mc_gb_initializer(g, "big", &bv);
	tmp_path(out, sizeof(out), "ext.onnx");
	tmp_path(data, sizeof(data), "model.onnx.data");
	assert_int_equal(mc_gb_write(b, out, &opts), 0);
	mc_gb_free(b);
	assert_int_equal(stat(data, &st), 0);
	assert_int_equal(st.st_size, 4096 + (off_t)(n * 4));

	r = open_ok(out);
	rg = mc_onnx_graph(mc_onnx_model_of(r));
	assert_false(rg->initializer[0]->has_data_location && rg->initializer[0]->data_location);
	assert_int_equal(rg->initializer[1]->data_location, 1);
	assert_int_equal(rg->initializer[2]->data_location, 1);
	assert_string_equal(rg->initializer[2]->external_data[0]->key, "location");
	assert_string_equal(rg->initializer[2]->external_data[0]->value, "model.onnx.data");
	assert_string_equal(rg->initializer[2]->external_data[1]->value, "4096");
	assert_string_equal(rg->initializer[2]->external_data[2]->value, "1200000");
	assert_int_equal(mc_reader_read(r, 2, &v), 0);
	assert_memory_equal(v.data, big, n * sizeof(float));
	mc_view_release(&v);
	assert_int_equal(mc_reader_read(r, 1, &v), 0);
	assert_memory_equal(v.data, big, 300 * sizeof(float));
	mc_view_release(&v);
	mc_reader_close(r);
	free(big);
}

/* ---- streamed initializers ----------------------------------------------------------------- */

typedef struct counting {
	uint32_t n;     /* elements to produce */
	uint32_t extra; /* bytes to add, to make a wrong source */
} counting;

/* uint32 0, 1, 2, ... in chunks of three elements */
static int count_up(void *ctx, mc_sink_fn sink, void *sink_ctx)
{
	const counting *c = ctx;
	uint8_t buf[12];
	int rc;

	for (uint32_t i = 0; i < c->n; i += 3) {
		uint32_t k = c->n - i < 3 ? c->n - i : 3;
		for (uint32_t j = 0; j < k; j++)
			for (int b = 0; b < 4; b++)
				buf[4 * j + (uint32_t)b] = (uint8_t)((i + j) >> (8 * b));
		if ((rc = sink(sink_ctx, buf, 4 * k)) != 0)
			return rc;
	}
	return c->extra ? sink(sink_ctx, buf, c->extra) : 0;
}

static void test_builder_streamed(void **state)
{
	char out[512], data[512];
	counting good = {1000, 0}, bad = {10, 1};
	mc_shape s1000 = TU_SHAPE(1000), s10 = TU_SHAPE(10);
	mc_onnx_write_opts ext = {"streamed.onnx.data", 1};
	mc_reader *r;
	mc_view v;

	(void)state;
	tmp_path(out, sizeof(out), "streamed.onnx");
	tmp_path(data, sizeof(data), "streamed.onnx.data");
	for (int external = 0; external < 2; external++) {
		mc_gb *b = mc_gb_new("streamed");
		mc_gb_opset(b, "", 17);
		mc_gb_initializer_stream(mc_gb_main(b), "count", MC_UINT32, &s1000, count_up, &good);
		assert_int_equal(mc_gb_write(b, out, external ? &ext : NULL), 0);
		mc_gb_free(b);
		assert_int_equal(exists(data), external);
		r = open_ok(out);
		assert_int_equal(mc_reader_read(r, 0, &v), 0);
		for (uint32_t i = 0; i < 1000; i++) {
			uint32_t x;
			memcpy(&x, v.data + 4 * i, 4);
			assert_int_equal(x, i);
		}
		mc_view_release(&v);
		mc_reader_close(r);
		unlink(out);
	}
	unlink(data);
	/* a source that feeds one byte too many fails the write, leaving nothing */
	{
		mc_gb *b = mc_gb_new("bad");
		mc_gb_opset(b, "", 17);
		mc_gb_initializer_stream(mc_gb_main(b), "count", MC_UINT32, &s10, count_up, &bad);
		tu_assert_fails(mc_gb_write(b, out, NULL), MC_EINVAL, "streamed 41 bytes, not 40");
		assert_false(exists(out));
		mc_gb_free(b);
	}
}

/* ---- errors -------------------------------------------------------------------------------- */

static void test_builder_sticky_error(void **state)
{
	char out[512];
	mc_gb *b = mc_gb_new("bad");
	mc_gb_graph *g = mc_gb_main(b);
	mc_shape s = TU_SHAPE(2);
	const int8_t q[2] = {0};

	(void)state;
	mc_gb_opset(b, "", 17);
	tu_assert_fails(mc_gb_initializer_copy(g, "", MC_INT8, &s, q), MC_EINVAL, "need a name");
	/* later calls do nothing and give the first error */
	assert_int_equal(mc_gb_input(g, "x", MC_FLOAT32, 0, NULL), MC_EINVAL);
	assert_null(mc_gb_node_add(g, "Relu", NULL, NULL, 0, NULL, 0));
	tmp_path(out, sizeof(out), "bad.onnx");
	tu_assert_fails(mc_gb_write(b, out, NULL), MC_EINVAL, "initializers need a name");
	assert_false(exists(out));
	mc_gb_free(b);
}

static void test_builder_no_opset(void **state)
{
	char out[512];
	mc_gb *b = mc_gb_new("g");

	(void)state;
	tmp_path(out, sizeof(out), "noopset.onnx");
	tu_assert_fails(mc_gb_write(b, out, NULL), MC_EINVAL, "imports no opset");
	assert_false(exists(out));
	mc_gb_free(b);
}

/* Weights past protobuf's 2 GiB: refused before a byte is written (the
 * view's data is never touched), with the way out in the hint. */
static void test_too_large_without_external_data(void **state)
{
	char out[512];
	float tiny = 0;
	mc_shape s = TU_SHAPE(600000000); /* 2.4 GB of float32 */
	mc_view v;
	mc_gb *b = mc_gb_new("huge");

	(void)state;
	mc_view_init_dense(&v, MC_FLOAT32, &s, &tiny);
	mc_gb_opset(b, "", 17);
	mc_gb_initializer(mc_gb_main(b), "w", &v);
	tmp_path(out, sizeof(out), "huge.onnx");
	tu_assert_fails(mc_gb_write(b, out, NULL), MC_ELIMIT, "2 GiB");
	assert_non_null(strstr(mc_error_last()->hint, "external data"));
	assert_false(exists(out));
	mc_gb_free(b);
}

static void test_bad_external_name(void **state)
{
	char out[512];
	mc_view w1v;
	mc_gb *b = build_mlp(W1, B1, W2, &w1v);
	mc_onnx_write_opts opts = {"../escape.bin", 0};

	(void)state;
	tmp_path(out, sizeof(out), "escape.onnx");
	tu_assert_fails(mc_gb_write(b, out, &opts), MC_EINVAL, "not usable");
	opts.external_data = "escape.onnx"; /* the model itself */
	tu_assert_fails(mc_gb_write(b, out, &opts), MC_EINVAL, "not usable");
	assert_false(exists(out));
	mc_gb_free(b);
}

static void test_unwritable_directory(void **state)
{
	mc_view w1v;
	mc_gb *b = build_mlp(W1, B1, W2, &w1v);

	(void)state;
	tu_assert_fails(mc_gb_write(b, "/nonexistent-dir/model.onnx", NULL), MC_EIO, "cannot create");
	mc_gb_free(b);
}

static void test_unsupported_dtype(void **state)
{
	mc_gb *b = mc_gb_new("g");
	(void)state;
	tu_assert_fails(mc_gb_input(mc_gb_main(b), "x", MC_DTYPE_INVALID, 0, NULL), MC_EUNSUPPORTED,
	                "no element type");
	mc_gb_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rewrite_libonnx_testdata),
		cmocka_unit_test(test_rewrite_fixtures),
		cmocka_unit_test(test_rewrite_embeds_external),
		cmocka_unit_test(test_rewrite_to_external),
		cmocka_unit_test(test_builder_reads_back),
		cmocka_unit_test(test_builder_deterministic),
		cmocka_unit_test(test_builder_attributes),
		cmocka_unit_test(test_builder_external),
		cmocka_unit_test(test_builder_streamed),
		cmocka_unit_test(test_builder_sticky_error),
		cmocka_unit_test(test_builder_no_opset),
		cmocka_unit_test(test_too_large_without_external_data),
		cmocka_unit_test(test_bad_external_name),
		cmocka_unit_test(test_unwritable_directory),
		cmocka_unit_test(test_unsupported_dtype),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
