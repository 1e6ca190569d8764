/* SPDX-License-Identifier: MIT */
/*
 * Models made with the graph builder for onnxruntime to run
 * (tests/ort/run.js): each comes with inputs at two batch sizes and the
 * outputs computed here, in plain C, from the same weights.  If the writer
 * put a field wrong, onnxruntime refuses the model or computes something
 * else, and the test fails.  A model read and rewritten with external data
 * is checked against the original the same way (run.js runs both).
 *
 *   make_models OUTDIR      writes OUTDIR/<case>.onnx and OUTDIR/cases.json
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "graph.h"
#include "onnx.h"

#define MAXN 4096

static const char *outdir;
static FILE *cases;
static int ncases;

static void die(const char *what)
{
	char buf[2048];
	fprintf(stderr, "make_models: %s: %s\n", what, mc_error_format(buf, sizeof(buf), mc_error_last()));
	exit(1);
}

/* Deterministic values in [-1, 1). */
static uint32_t seed = 12345;
static float rnd(void)
{
	seed = seed * 1664525u + 1013904223u;
	return (float)(seed >> 8) / (float)(1u << 23) - 1.0f;
}

static void fill(float *p, size_t n, float scale)
{
	for (size_t i = 0; i < n; i++)
		p[i] = rnd() * scale;
}

static void path_of(char *out, size_t size, const char *name)
{
	snprintf(out, size, "%s/%s.onnx", outdir, name);
}

static void write_model(mc_gb *b, const char *name, const mc_onnx_write_opts *opts)
{
	char path[1024];
	path_of(path, sizeof(path), name);
	if (mc_gb_write(b, path, opts))
		die(name);
	mc_gb_free(b);
}

/* ---- cases.json ------------------------------------------------------------------ */

static void json_floats(const float *p, size_t n)
{
	fputc('[', cases);
	for (size_t i = 0; i < n; i++)
		fprintf(cases, "%s%.9g", i ? "," : "", (double)p[i]);
	fputc(']', cases);
}

static void json_tensor(const char *name, const char *type, const int64_t *dims, int rank,
                        const float *p, size_t n, int last)
{
	fprintf(cases, "\"%s\":{\"type\":\"%s\",\"dims\":[", name, type);
	for (int i = 0; i < rank; i++)
		fprintf(cases, "%s%lld", i ? "," : "", (long long)dims[i]);
	fprintf(cases, "],\"data\":");
	json_floats(p, n);
	fprintf(cases, "}%s", last ? "" : ",");
}

static void case_begin(const char *name, const char *model, const char *reference, double atol)
{
	fprintf(cases, "%s{\"name\":\"%s\",\"model\":\"%s.onnx\",", ncases++ ? ",\n" : "", name, model);
	if (reference)
		fprintf(cases, "\"reference\":\"%s\",", reference);
	fprintf(cases, "\"atol\":%g,\"inputs\":{", atol);
}

static void case_expected(void) { fprintf(cases, "},\"expected\":{"); }
static void case_end(void) { fprintf(cases, "}}"); }

/* ---- an MLP: softmax(relu(x W1 + b1) W2 + b2) --------------------------------------- */

enum { MLP_IN = 6, MLP_HID = 8, MLP_OUT = 4 };
static float w1[MLP_IN * MLP_HID], b1[MLP_HID], w2[MLP_HID * MLP_OUT], b2[MLP_OUT];

static void mlp_ref(const float *x, int batch, float *y, const float *w1q)
{
	for (int n = 0; n < batch; n++) {
		float h[MLP_HID], z[MLP_OUT], m = -INFINITY, s = 0;
		for (int j = 0; j < MLP_HID; j++) {
			float a = b1[j];
			for (int i = 0; i < MLP_IN; i++)
				a += x[n * MLP_IN + i] * w1q[i * MLP_HID + j];
			h[j] = a > 0 ? a : 0;
		}
		for (int k = 0; k < MLP_OUT; k++) {
			float a = b2[k];
			for (int j = 0; j < MLP_HID; j++)
				a += h[j] * w2[j * MLP_OUT + k];
			z[k] = a;
			m = a > m ? a : m;
		}
		for (int k = 0; k < MLP_OUT; k++)
			s += expf(z[k] - m);
		for (int k = 0; k < MLP_OUT; k++)
			y[n * MLP_OUT + k] = expf(z[k] - m) / s;
	}
}

/* W1 cast to float16 while it is written, in chunks: what export
 * --dtype float16 does with a float32 checkpoint. */
static int w1_as_f16(void *ctx, mc_sink_fn sink, void *sink_ctx)
{
	const float *w = ctx;
	uint16_t chunk[5]; /* small, so that several chunks are needed */
	uint8_t bytes[sizeof(chunk)];
	size_t n = MLP_IN * MLP_HID;

	for (size_t i = 0; i < n; i += 5) {
		size_t k = n - i < 5 ? n - i : 5;
		int rc;
		for (size_t j = 0; j < k; j++) {
			chunk[j] = mc_f32_to_f16(w[i + j]);
			bytes[2 * j] = (uint8_t)chunk[j];
			bytes[2 * j + 1] = (uint8_t)(chunk[j] >> 8);
		}
		if ((rc = sink(sink_ctx, bytes, 2 * k)) != 0)
			return rc;
	}
	return 0;
}

/* fp16: W1 is stored as float16 and cast to float32 in the graph. */
static mc_gb *mlp_build(int fp16, mc_view *w1v)
{
	mc_gb *b = mc_gb_new("mlp");
	mc_gb_graph *g = mc_gb_main(b);
	mc_gb_dim din[] = {MC_GB_SYMBOL("batch"), MC_GB_FIXED(MLP_IN)};
	mc_gb_dim dout[] = {MC_GB_SYMBOL("batch"), MC_GB_FIXED(MLP_OUT)};
	mc_shape s1 = {2, {MLP_IN, MLP_HID}}, sb1 = {1, {MLP_HID}}, s2 = {2, {MLP_HID, MLP_OUT}},
	         sb2 = {1, {MLP_OUT}};
	mc_gb_node *n;

	if (!b)
		die("mc_gb_new");
	mc_gb_opset(b, "", 17);
	mc_gb_metadata(b, "labels", "[\"a\",\"b\",\"c\",\"d\"]");
	mc_gb_input(g, "input", MC_FLOAT32, 2, din);
	mc_gb_output(g, "output", MC_FLOAT32, 2, dout);
	if (fp16) {
		mc_gb_initializer_stream(g, "fc1.weight.f16", MC_FLOAT16, &s1, w1_as_f16, w1);
		n = mc_gb_node_add(g, "Cast", "/fc1/Cast", (const char *[]){"fc1.weight.f16"}, 1,
		                   (const char *[]){"fc1.weight"}, 1);
		mc_gb_attr_int(n, "to", 1);
	} else {
		mc_view_init_dense(w1v, MC_FLOAT32, &s1, w1);
		mc_gb_initializer(g, "fc1.weight", w1v);
	}
	mc_gb_initializer_copy(g, "fc1.bias", MC_FLOAT32, &sb1, b1);
	mc_gb_initializer_copy(g, "fc2.weight", MC_FLOAT32, &s2, w2);
	mc_gb_initializer_copy(g, "fc2.bias", MC_FLOAT32, &sb2, b2);
	mc_gb_node_add(g, "MatMul", "/fc1/MatMul", (const char *[]){"input", "fc1.weight"}, 2,
	               (const char *[]){"/fc1/MatMul_output_0"}, 1);
	mc_gb_node_add(g, "Add", "/fc1/Add", (const char *[]){"/fc1/MatMul_output_0", "fc1.bias"}, 2,
	               (const char *[]){"/fc1/Add_output_0"}, 1);
	mc_gb_node_add(g, "Relu", "/relu/Relu", (const char *[]){"/fc1/Add_output_0"}, 1,
	               (const char *[]){"/relu/Relu_output_0"}, 1);
	n = mc_gb_node_add(g, "Gemm", "/fc2/Gemm",
	                   (const char *[]){"/relu/Relu_output_0", "fc2.weight", "fc2.bias"}, 3,
	                   (const char *[]){"logits"}, 1);
	mc_gb_attr_float(n, "alpha", 1.0f);
	mc_gb_attr_float(n, "beta", 1.0f);
	n = mc_gb_node_add(g, "Softmax", "/softmax/Softmax", (const char *[]){"logits"}, 1,
	                   (const char *[]){"output"}, 1);
	mc_gb_attr_int(n, "axis", -1);
	return b;
}

static void mlp_cases(const char *name, const char *model, int fp16)
{
	float w1q[MLP_IN * MLP_HID];
	for (size_t i = 0; i < MLP_IN * MLP_HID; i++)
		w1q[i] = fp16 ? mc_f16_to_f32(mc_f32_to_f16(w1[i])) : w1[i];
	for (int batch = 2; batch <= 5; batch += 3) {
		float x[5 * MLP_IN], y[5 * MLP_OUT];
		int64_t dx[] = {batch, MLP_IN}, dy[] = {batch, MLP_OUT};
		char cname[128];
		fill(x, (size_t)batch * MLP_IN, 2.0f);
		mlp_ref(x, batch, y, w1q);
		snprintf(cname, sizeof(cname), "%s batch %d", name, batch);
		case_begin(cname, model, NULL, 1e-5);
		json_tensor("input", "float32", dx, 2, x, (size_t)batch * MLP_IN, 1);
		case_expected();
		json_tensor("output", "float32", dy, 2, y, (size_t)batch * MLP_OUT, 1);
		case_end();
	}
}

static void mlp_models(void)
{
	mc_view v;
	mc_onnx_write_opts ext = {"mlp_external.onnx.data", 1};

	fill(w1, MLP_IN * MLP_HID, 0.5f);
	fill(b1, MLP_HID, 0.1f);
	fill(w2, MLP_HID * MLP_OUT, 0.5f);
	fill(b2, MLP_OUT, 0.1f);
	write_model(mlp_build(0, &v), "mlp", NULL);
	mlp_cases("mlp", "mlp", 0);
	write_model(mlp_build(0, &v), "mlp_external", &ext);
	mlp_cases("mlp with external data", "mlp_external", 0);
	write_model(mlp_build(1, &v), "mlp_fp16", NULL);
	mlp_cases("mlp with float16 weights", "mlp_fp16", 1);
}

/* ---- a convolutional classifier, as export will write one -------------------------------- */

enum { C_IN = 3, C_OUT = 4, HW = 6, K = 3, CLASSES = 2 };
static float cw[C_OUT * C_IN * K * K], cb[C_OUT], bn_scale[C_OUT], bn_bias[C_OUT], bn_mean[C_OUT],
	bn_var[C_OUT], fw[CLASSES * C_OUT], fb[CLASSES];

static void conv_ref(const float *x, int batch, float *y)
{
	for (int n = 0; n < batch; n++) {
		float pooled[C_OUT];
		for (int o = 0; o < C_OUT; o++) {
			float sum = 0;
			for (int i = 0; i < HW; i++)
				for (int j = 0; j < HW; j++) {
					float a = cb[o];
					for (int c = 0; c < C_IN; c++)
						for (int ki = 0; ki < K; ki++)
							for (int kj = 0; kj < K; kj++) {
								int si = i + ki - 1, sj = j + kj - 1;
								if (si < 0 || sj < 0 || si >= HW || sj >= HW)
									continue;
								a += x[((n * C_IN + c) * HW + si) * HW + sj] *
								     cw[((o * C_IN + c) * K + ki) * K + kj];
							}
					a = (a - bn_mean[o]) / sqrtf(bn_var[o] + 1e-5f) * bn_scale[o] + bn_bias[o];
					sum += a > 0 ? a : 0;
				}
			pooled[o] = sum / (HW * HW);
		}
		for (int k = 0; k < CLASSES; k++) {
			float a = fb[k];
			for (int o = 0; o < C_OUT; o++)
				a += pooled[o] * fw[k * C_OUT + o];
			y[n * CLASSES + k] = a;
		}
	}
}

static void conv_model(void)
{
	mc_gb *b = mc_gb_new("classifier");
	mc_gb_graph *g = mc_gb_main(b);
	mc_gb_dim din[] = {MC_GB_SYMBOL("batch"), MC_GB_FIXED(C_IN), MC_GB_FIXED(HW), MC_GB_FIXED(HW)};
	mc_gb_dim dout[] = {MC_GB_SYMBOL("batch"), MC_GB_FIXED(CLASSES)};
	mc_shape sw = {4, {C_OUT, C_IN, K, K}}, sc = {1, {C_OUT}}, sf = {2, {CLASSES, C_OUT}},
	         sfb = {1, {CLASSES}};
	const int64_t pads[] = {1, 1, 1, 1}, kernel[] = {K, K}, ones[] = {1, 1};
	mc_gb_node *n;

	fill(cw, sizeof(cw) / sizeof(cw[0]), 0.4f);
	fill(cb, C_OUT, 0.1f);
	fill(bn_scale, C_OUT, 1.0f);
	fill(bn_bias, C_OUT, 0.2f);
	fill(bn_mean, C_OUT, 0.1f);
	for (int i = 0; i < C_OUT; i++)
		bn_var[i] = 0.5f + 0.25f * (float)i;
	fill(fw, CLASSES * C_OUT, 1.0f);
	fill(fb, CLASSES, 0.1f);
	mc_gb_opset(b, "", 13);
	mc_gb_ir_version(b, 7);
	mc_gb_input(g, "input", MC_FLOAT32, 4, din);
	mc_gb_output(g, "output", MC_FLOAT32, 2, dout);
	mc_gb_initializer_copy(g, "0.weight", MC_FLOAT32, &sw, cw);
	mc_gb_initializer_copy(g, "0.bias", MC_FLOAT32, &sc, cb);
	mc_gb_initializer_copy(g, "1.weight", MC_FLOAT32, &sc, bn_scale);
	mc_gb_initializer_copy(g, "1.bias", MC_FLOAT32, &sc, bn_bias);
	mc_gb_initializer_copy(g, "1.running_mean", MC_FLOAT32, &sc, bn_mean);
	mc_gb_initializer_copy(g, "1.running_var", MC_FLOAT32, &sc, bn_var);
	mc_gb_initializer_copy(g, "5.weight", MC_FLOAT32, &sf, fw);
	mc_gb_initializer_copy(g, "5.bias", MC_FLOAT32, &sfb, fb);
	n = mc_gb_node_add(g, "Conv", "/0/Conv", (const char *[]){"input", "0.weight", "0.bias"}, 3,
	                   (const char *[]){"/0/Conv_output_0"}, 1);
	mc_gb_attr_ints(n, "kernel_shape", kernel, 2);
	mc_gb_attr_ints(n, "pads", pads, 4);
	mc_gb_attr_ints(n, "strides", ones, 2);
	mc_gb_attr_ints(n, "dilations", ones, 2);
	mc_gb_attr_int(n, "group", 1);
	n = mc_gb_node_add(g, "BatchNormalization", "/1/BatchNormalization",
	                   (const char *[]){"/0/Conv_output_0", "1.weight", "1.bias", "1.running_mean",
	                                    "1.running_var"},
	                   5, (const char *[]){"/1/BatchNormalization_output_0"}, 1);
	mc_gb_attr_float(n, "epsilon", 1e-5f);
	mc_gb_node_add(g, "Relu", "/2/Relu", (const char *[]){"/1/BatchNormalization_output_0"}, 1,
	               (const char *[]){"/2/Relu_output_0"}, 1);
	mc_gb_node_add(g, "GlobalAveragePool", "/3/GlobalAveragePool",
	               (const char *[]){"/2/Relu_output_0"}, 1,
	               (const char *[]){"/3/GlobalAveragePool_output_0"}, 1);
	n = mc_gb_node_add(g, "Flatten", "/4/Flatten",
	                   (const char *[]){"/3/GlobalAveragePool_output_0"}, 1,
	                   (const char *[]){"/4/Flatten_output_0"}, 1);
	mc_gb_attr_int(n, "axis", 1);
	n = mc_gb_node_add(g, "Gemm", "/5/Gemm",
	                   (const char *[]){"/4/Flatten_output_0", "5.weight", "5.bias"}, 3,
	                   (const char *[]){"output"}, 1);
	mc_gb_attr_int(n, "transB", 1);
	mc_gb_value_info(g, "/4/Flatten_output_0", MC_FLOAT32, 2,
	                 (mc_gb_dim[]){MC_GB_SYMBOL("batch"), MC_GB_FIXED(C_OUT)});
	write_model(b, "classifier", NULL);

	for (int batch = 3; batch <= 4; batch++) {
		static float x[4 * C_IN * HW * HW], y[4 * CLASSES];
		int64_t dx[] = {batch, C_IN, HW, HW}, dy[] = {batch, CLASSES};
		char cname[64];
		fill(x, (size_t)batch * C_IN * HW * HW, 1.0f);
		conv_ref(x, batch, y);
		snprintf(cname, sizeof(cname), "classifier batch %d", batch);
		case_begin(cname, "classifier", NULL, 1e-4);
		json_tensor("input", "float32", dx, 4, x, (size_t)batch * C_IN * HW * HW, 1);
		case_expected();
		json_tensor("output", "float32", dy, 2, y, (size_t)batch * CLASSES, 1);
		case_end();
	}
}

/* ---- If with subgraphs that use outer names; a Constant tensor; Reshape ---------------- */

static void if_model(void)
{
	mc_gb *b = mc_gb_new("branches");
	mc_gb_graph *g = mc_gb_main(b), *tg, *eg;
	mc_gb_dim dx[] = {MC_GB_SYMBOL("batch"), MC_GB_FIXED(4)};
	mc_gb_dim dy[] = {MC_GB_SYMBOL("batch"), MC_GB_FIXED(2), MC_GB_FIXED(2)};
	const float scale[4] = {1, 2, 3, 4}, shift = 10.0f;
	const int64_t shape[3] = {-1, 2, 2};
	mc_shape s4 = {1, {4}}, s3 = {1, {3}}, s0 = {0, {0}};
	mc_gb_node *n;

	mc_gb_opset(b, "", 17);
	mc_gb_input(g, "x", MC_FLOAT32, 2, dx);
	mc_gb_input(g, "flag", MC_BOOL, 0, NULL);
	mc_gb_output(g, "y", MC_FLOAT32, 3, dy);
	mc_gb_initializer_copy(g, "scale", MC_FLOAT32, &s4, scale);
	mc_gb_initializer_copy(g, "shape", MC_INT64, &s3, shape);
	n = mc_gb_node_add(g, "Constant", "/shift", NULL, 0, (const char *[]){"shift"}, 1);
	mc_gb_attr_tensor(n, "value", MC_FLOAT32, &s0, &shift);
	n = mc_gb_node_add(g, "If", "/if", (const char *[]){"flag"}, 1, (const char *[]){"z"}, 1);
	tg = mc_gb_attr_graph(n, "then_branch", "then");
	eg = mc_gb_attr_graph(n, "else_branch", "else");
	if (!tg || !eg)
		die("subgraph");
	mc_gb_output(tg, "t", MC_FLOAT32, 2, dx);
	mc_gb_node_add(tg, "Mul", "/then/Mul", (const char *[]){"x", "scale"}, 2, (const char *[]){"t"},
	               1);
	mc_gb_output(eg, "e", MC_FLOAT32, 2, dx);
	mc_gb_node_add(eg, "Add", "/else/Add", (const char *[]){"x", "shift"}, 2, (const char *[]){"e"},
	               1);
	mc_gb_node_add(g, "Reshape", "/reshape", (const char *[]){"z", "shape"}, 2,
	               (const char *[]){"y"}, 1);
	write_model(b, "branches", NULL);

	for (int flag = 0; flag <= 1; flag++) {
		float x[3 * 4], y[3 * 4], f = (float)flag;
		int64_t ddx[] = {3, 4}, ddy[] = {3, 2, 2};
		fill(x, 12, 3.0f);
		for (int i = 0; i < 12; i++)
			y[i] = flag ? x[i] * scale[i % 4] : x[i] + shift;
		case_begin(flag ? "If then-branch" : "If else-branch", "branches", NULL, 1e-6);
		json_tensor("x", "float32", ddx, 2, x, 12, 0);
		json_tensor("flag", "bool", NULL, 0, &f, 1, 1);
		case_expected();
		json_tensor("y", "float32", ddy, 3, y, 12, 1);
		case_end();
	}
}

/* ---- a model read and rewritten: the same outputs as the original --------------------- */

static void rewritten_model(const char *src)
{
	char path[1024];
	mc_reader *r;
	mc_onnx_write_opts ext = {"torch_convbn_external.onnx.data", 1};
	float x[2 * 3 * 8 * 8];
	int64_t dx[] = {2, 3, 8, 8};

	if (mc_reader_open(&r, src))
		die(src);
	path_of(path, sizeof(path), "torch_convbn_external");
	if (mc_onnx_write_model(path, mc_onnx_model_of(r), &ext))
		die(path);
	mc_reader_close(r);
	fill(x, sizeof(x) / sizeof(x[0]), 1.0f);
	case_begin("torch_convbn rewritten with external data", "torch_convbn_external", src, 1e-6);
	json_tensor("input", "float32", dx, 4, x, sizeof(x) / sizeof(x[0]), 1);
	case_expected();
	case_end();
}

int main(int argc, char **argv)
{
	char path[1024];

	if (argc != 3) {
		fprintf(stderr, "usage: make_models OUTDIR testdata/onnx/torch_convbn.onnx\n");
		return 2;
	}
	outdir = argv[1];
	snprintf(path, sizeof(path), "%s/cases.json", outdir);
	if (!(cases = fopen(path, "w"))) {
		perror(path);
		return 1;
	}
	fprintf(cases, "[\n");
	mlp_models();
	conv_model();
	if_model();
	rewritten_model(argv[2]);
	fprintf(cases, "\n]\n");
	if (fclose(cases) != 0) {
		perror(path);
		return 1;
	}
	printf("make_models: %d cases in %s\n", ncases, outdir);
	return 0;
}
