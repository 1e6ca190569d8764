/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the ONNX reader: open any bytes as ONNX and, when they
 * are accepted, read and hash every initializer, then walk the graph as the
 * commands will (every node's attributes, subgraph bodies, value types) and
 * read every other tensor the model holds.  Those may be refused (a
 * Constant's tensor is only checked when read), but never with MC_ENOMEM:
 * sizes are checked against the bytes present.  Then the structural check
 * (onnx_check.h) runs over the model; it too must never run out of memory,
 * and its list must stay within its cap.  Last, the model is written
 * again (onnx_write.c): the copy must open, and writing the copy must give
 * the same bytes, so the writer is exercised on every shape of model the
 * reader lets through.  Seeds live in
 * tests/fuzz/corpus/onnx/ (written by testdata/onnx/make_fixtures.py).
 */
#define _GNU_SOURCE /* open_memstream */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "fuzzutil.h"
#include "onnx.h"
#include "onnx_check.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_tensor(const mc_onnx_model *m, const Onnx__TensorProto *t)
{
	mc_view v;
	uint8_t md[32];
	int rc;

	if (!t)
		return;
	rc = mc_onnx_tensor_read(m, t, &v);
	if (rc == MC_ENOMEM)
		abort();
	if (rc == 0 && mc_view_sha256(md, &v) != 0)
		abort();
	mc_view_release(&v);
}

static void check_model(const mc_onnx_model *m)
{
	mc_onnx_problems p;
	size_t problems = 0;

	if (mc_onnx_check(&p, m) != 0)
		abort();
	for (size_t i = 0; i < p.count; i++)
		problems += !p.items[i].note && !(p.dropped && i == p.count - 1);
	if (p.count > MC_ONNX_CHECK_MAX_PROBLEMS + 1 || problems > p.errors ||
	    (p.errors && !p.count))
		abort();
	mc_onnx_problems_release(&p);
}

/* The model written to memory; NULL when the writer refused it, which it
 * may only do for a model protobuf could not hold. */
static char *rewrite(const mc_onnx_model *m, size_t *len)
{
	char *buf = NULL;
	FILE *fp = open_memstream(&buf, len);
	int rc;

	if (!fp)
		abort();
	rc = mc_onnx_write_stream(fp, "fuzz.onnx", mc_onnx_proto(m), mc_onnx_model_data, (void *)m);
	if (fclose(fp) != 0 || (rc && rc != MC_ELIMIT))
		abort();
	if (rc) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void check_rewrite(const mc_onnx_model *m)
{
	size_t n1, n2;
	char *first = rewrite(m, &n1), *second;
	mc_reader *r = NULL;

	if (!first)
		return;
	if (mc_reader_open_memory(&r, first, n1, "rewritten.onnx", "onnx") != 0)
		abort();
	second = rewrite(mc_onnx_model_of(r), &n2);
	if (!second || n1 != n2 || memcmp(first, second, n1) != 0)
		abort();
	mc_reader_close(r);
	free(first);
	free(second);
}

static void walk_type(const Onnx__TypeProto *tp)
{
	mc_onnx_tensor_type tt;
	char buf[256];

	(void)mc_onnx_type_format(buf, sizeof(buf), tp);
	if (mc_onnx_tensor_type_of(&tt, tp) == 0)
		for (int i = 0; i < tt.rank; i++)
			(void)mc_onnx_type_dim(&tt, i);
}

static void walk_graph(const mc_onnx_model *m, const Onnx__GraphProto *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->n_input; i++)
		walk_type(g->input[i]->type);
	for (size_t i = 0; i < g->n_output; i++)
		walk_type(g->output[i]->type);
	for (size_t i = 0; i < g->n_value_info; i++)
		walk_type(g->value_info[i]->type);
	for (size_t i = 0; i < g->n_initializer; i++)
		read_tensor(m, g->initializer[i]);
	for (size_t i = 0; i < g->n_node; i++) {
		const Onnx__NodeProto *n = g->node[i];
		for (size_t j = 0; j < n->n_attribute; j++) {
			const Onnx__AttributeProto *a = n->attribute[j];
			(void)mc_onnx_attr_type_name(mc_onnx_attr_type(a));
			read_tensor(m, a->t);
			walk_graph(m, a->g);
			if (a->sparse_tensor) {
				read_tensor(m, a->sparse_tensor->values);
				read_tensor(m, a->sparse_tensor->indices);
			}
			walk_type(a->tp);
			for (size_t k = 0; k < a->n_tensors; k++)
				read_tensor(m, a->tensors[k]);
			for (size_t k = 0; k < a->n_graphs; k++)
				walk_graph(m, a->graphs[k]);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mc_reader *r = NULL;

	fuzz_reader(data, size, "fuzz.onnx", "onnx", false);
	if (mc_reader_open_memory(&r, data, size, "fuzz.onnx", "onnx") == 0) {
		const mc_onnx_model *m = mc_onnx_model_of(r);
		walk_graph(m, mc_onnx_graph(m));
		(void)mc_onnx_opset(m, "");
		(void)mc_onnx_metadata(m, "author");
		check_model(m);
		check_rewrite(m);
		for (size_t i = 0; i < mc_reader_count(r); i++)
			if (mc_onnx_initializer_find(m, mc_reader_tensor(r, i)->name) < 0)
				abort();
	}
	mc_reader_close(r);
	return 0;
}
