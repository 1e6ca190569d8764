/* SPDX-License-Identifier: MIT */
/*
 * The ONNX structural check (formats/onnx_check.c) and the schema table
 * it uses: every model of Debian's libonnx-testdata (node, simple,
 * pytorch-converted, pytorch-operator) and every fixture of testdata/onnx
 * passes with no problem; every model of testdata/onnx/invalid is reported
 * as its README row says, and, from the table here, with exactly the
 * problems listed, each in its graph, node and name; the list's cap; the
 * schema lookups.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "modelctl.h"
#include "onnx.h"
#include "onnx_check.h"
#include "onnx_schema.h"
#include "testutil.h"
#include "banned.h"

#define INVALID "testdata/onnx/invalid"

/* ---- helpers ------------------------------------------------------------------- */

static void print_problems(const char *path, const mc_onnx_problems *p)
{
	for (size_t i = 0; i < p->count; i++) {
		const mc_onnx_problem *it = &p->items[i];
		print_message("%s: %s%s[%s] node %lld (%s): %s\n", path, it->note ? "note: " : "",
		              it->graph[0] ? "" : "main ", it->graph, (long long)it->node,
		              it->where ? it->where : "-", it->msg);
	}
}

/* Open the model at `path` and check it into *out; the open's code. */
static int check_file(const char *path, mc_reader **r, mc_onnx_problems *out)
{
	int rc;

	mc_onnx_problems_init(out);
	*r = NULL;
	if ((rc = mc_reader_open_as(r, path, "onnx")) != 0)
		return rc;
	assert_int_equal(mc_onnx_check(out, mc_onnx_model_of(*r)), 0);
	return 0;
}

/* Check a model that must open and pass; returns its node count. */
static size_t assert_passes(const char *path, size_t *notes)
{
	mc_onnx_problems p;
	mc_reader *r;
	size_t nodes;

	if (check_file(path, &r, &p) != 0)
		fail_msg("%s: %s", path, mc_error_last()->msg);
	if (p.errors) {
		print_problems(path, &p);
		fail_msg("%s: %zu problems", path, p.errors);
	}
	for (size_t i = 0; i < p.count; i++)
		*notes += p.items[i].note;
	nodes = mc_onnx_graph(mc_onnx_model_of(r))->n_node;
	mc_onnx_problems_release(&p);
	mc_reader_close(r);
	return nodes;
}

static bool is_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* ---- models that pass --------------------------------------------------------------- */

typedef struct passes_count {
	size_t nodes, notes;
} passes_count;

static void libonnx_model_passes(const char *path, void *ctx)
{
	passes_count *c = ctx;
	c->nodes += assert_passes(path, &c->notes);
}

static void test_libonnx_testdata(void **state)
{
	passes_count c = {0, 0};
	size_t models;

	(void)state;
	models = tu_each_libonnx_model(libonnx_model_passes, &c);
	print_message("libonnx-testdata: %zu models checked (%zu nodes in main graphs), no "
	              "problems, %zu notes\n", models, c.nodes, c.notes);
	assert_true(models >= 1000);
}

static void test_fixtures(void **state)
{
	char dir[512];
	size_t models = 0, notes = 0;
	DIR *dp;
	struct dirent *e;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/testdata/onnx", MC_SOURCE_DIR);
	assert_non_null(dp = opendir(dir));
	while ((e = readdir(dp)) != NULL) {
		char path[1024];
		if (e->d_name[0] == '.' || !is_suffix(e->d_name, ".onnx"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		assert_passes(path, &notes);
		models++;
	}
	closedir(dp);
	assert_true(models >= 8);
	assert_int_equal(notes, 0);
}

/* ---- invalid models: the README's rows ------------------------------------------------- */

/* Check INVALID/`file` into *out as check_file does, then close the reader
 * (the problems own their strings); the open's code. */
static int check_invalid(const char *file, mc_onnx_problems *out)
{
	char path[1024];
	mc_reader *r;
	int rc;

	snprintf(path, sizeof(path), "%s/%s/%s", MC_SOURCE_DIR, INVALID, file);
	rc = check_file(path, &r, out);
	mc_reader_close(r);
	return rc;
}

static bool any_problem_has(const mc_onnx_problems *p, const char *fragment)
{
	for (size_t i = 0; i < p->count; i++)
		if (!p->items[i].note && strstr(p->items[i].msg, fragment))
			return true;
	return false;
}

/* One README row: the model is refused at open, reported, or passes. */
static void check_row(const char *file, const char *stage, const char *fragment)
{
	mc_onnx_problems p;
	int rc;

	rc = check_invalid(file, &p);
	if (strcmp(stage, "open") == 0) {
		if (rc == 0 || !strstr(mc_error_last()->msg, fragment))
			fail_msg("%s: expected open to refuse it with '%s', got %d (%s)", file, fragment,
			         rc, mc_error_last()->msg);
		return;
	}
	if (rc)
		fail_msg("%s: %s", file, mc_error_last()->msg);
	if (strcmp(stage, "none") == 0 ? p.errors != 0 : !any_problem_has(&p, fragment)) {
		print_problems(file, &p);
		fail_msg("%s: expected %s", file, strcmp(stage, "none") == 0 ? "no problem" : fragment);
	}
	mc_onnx_problems_release(&p);
}

static void test_invalid_readme(void **state)
{
	char readme[1024], line[2048];
	char cells[TU_MAX_CELLS][TU_CELL_SIZE];
	char listed[64][64];
	size_t rows = 0, files = 0;
	bool header = true;
	FILE *fp;
	DIR *dp;
	struct dirent *e;

	(void)state;
	snprintf(readme, sizeof(readme), "%s/%s/README.md", MC_SOURCE_DIR, INVALID);
	assert_non_null(fp = fopen(readme, "r"));
	while (fgets(line, sizeof(line), fp)) {
		int n = tu_table_row(line, cells, TU_MAX_CELLS);
		if (n < 0)
			continue;
		assert_int_equal(n, 4); /* file | what is wrong | found by | fragment */
		if (header || strncmp(cells[0], "---", 3) == 0) {
			header = false;
			continue;
		}
		assert_true(rows < 64 && strlen(cells[0]) < 64);
		memcpy(listed[rows++], cells[0], strlen(cells[0]) + 1);
		check_row(cells[0], cells[2], cells[3]);
	}
	fclose(fp);
	assert_non_null(dp = opendir(MC_SOURCE_DIR "/" INVALID));
	while ((e = readdir(dp)) != NULL) {
		bool found = false;
		if (!is_suffix(e->d_name, ".onnx"))
			continue;
		for (size_t i = 0; i < rows && !found; i++)
			found = strcmp(listed[i], e->d_name) == 0;
		if (!found)
			fail_msg("%s has no row in %s", e->d_name, readme);
		files++;
	}
	closedir(dp);
	assert_int_equal(files, rows);
	assert_true(rows >= 20);
}

/* ---- invalid models: every problem, located ------------------------------------------- */

typedef struct expect {
	const char *graph;    /* "" the main graph */
	int64_t node;         /* -1 none */
	const char *where;    /* NULL: none */
	const char *fragment;
} expect;

typedef struct invalid_case {
	const char *file;
	size_t errors; /* exactly these, in this order */
	expect e[8];
} invalid_case;

static const invalid_case cases[] = {
	{"not_topological.onnx", 1,
	 {{"", 0, "Relu", "input 't' is used before node 1 (Neg) defines it (nodes are not in "
	                  "topological order)"}}},
	{"undefined_input.onnx", 1,
	 {{"", 0, "Add", "input 'ghost' is never defined (no graph input, initializer or node "
	                 "output has that name)"}}},
	{"output_twice.onnx", 1, {{"", 1, "Neg", "output 'y' is already the output of node 0 (Relu)"}}},
	{"output_shadows_input.onnx", 1,
	 {{"", 0, "Relu", "output 'x' is also the name of a graph input"}}},
	{"output_shadows_initializer.onnx", 1,
	 {{"", 0, "Relu", "output 'w' is also the name of a graph initializer"}}},
	{"graph_output_undefined.onnx", 1, {{"", -1, "z", "graph output 'z' is never defined"}}},
	{"no_opset_import.onnx", 1,
	 {{"", -1, NULL, "no opset_import: a model of IR version 8 must import the ai.onnx opset"}}},
	{"domain_not_imported.onnx", 1,
	 {{"", 1, "Gizmo", "domain 'com.example' has no opset import"}}},
	{"unknown_op.onnx", 1, {{"", 0, "Frobnicate", "unknown operator 'Frobnicate' in ai.onnx opset 13"}}},
	{"op_too_new.onnx", 1,
	 {{"", 0, "Trilu", "operator 'Trilu' is not in ai.onnx opset 13 (it came in opset 14)"}}},
	{"deprecated_op.onnx", 1,
	 {{"", 0, "Upsample", "operator 'Upsample' is deprecated in ai.onnx opset 10 (since opset 10)"}}},
	{"attr_wrong_type.onnx", 1,
	 {{"", 0, "Conv", "attribute 'strides' is float, but Conv needs ints"}}},
	{"attr_type_mismatch.onnx", 1,
	 {{"", 0, "Squeeze", "attribute 'axes' is declared ints but holds float"}}},
	{"attr_unknown.onnx", 1,
	 {{"", 0, "Relu", "unknown attribute 'alpha' (Relu of opset 13 has none of that name)"}}},
	{"attr_required_missing.onnx", 1, {{"", 0, "Cast", "required attribute 'to' of Cast is missing"}}},
	{"too_many_inputs.onnx", 1, {{"", 0, "Relu", "2 inputs, but Relu (opset 13) takes 1"}}},
	{"too_few_inputs.onnx", 1, {{"", 0, "Add", "1 input, but Add (opset 13) takes 2"}}},
	{"empty_required_input.onnx", 1,
	 {{"", 0, "Conv", "input 1 ('W') of Conv is required but empty (\"\")"}}},
	{"constant_bad_size.onnx", 1,
	 {{"", 0, "Constant", "tensor of attribute 'value': raw_data holds 12 bytes but float32 "
	                      "[2, 3] needs 24"}}},
	{"constant_string_count.onnx", 1,
	 {{"", 0, "Constant", "tensor of attribute 'value': string_data holds 2 strings but the "
	                      "dims need 3"}}},
	{"constant_sparse_unsorted.onnx", 1,
	 {{"", 0, "Constant", "tensor of attribute 'sparse_value': sparse index 1 is not in "
	                      "increasing order"}}},
	{"subgraph_init_bad_size.onnx", 1,
	 {{"If_0/then_branch", -1, "bias", "initializer 'bias': raw_data holds 4 bytes but float32 "
	                                   "[2, 3] needs 24"}}},
	{"subgraph_outer_undefined.onnx", 1,
	 {{"If_0/then_branch", 0, "Add", "input 'nowhere' is never defined (no graph input, "
	                                 "initializer or node output here or in an enclosing graph "
	                                 "has that name)"}}},
	{"subgraph_outer_later.onnx", 1,
	 {{"If_0/then_branch", 0, "Add", "input 'late' of an enclosing graph is used before node 3 "
	                                 "(Neg) there defines it"}}},
	{"function_body.onnx", 2,
	 {{"function local.Scale2", -1, NULL, "opset_import lists 'ai.onnx' twice"},
	  {"function local.Scale2", 0, "Mul", "input 'nowhere' is never defined"}}},
	{"several.onnx", 6,
	 {{"", 0, "first", "input 't' is used before node 1 ('second') defines it"},
	  {"", 2, "third", "input 'ghost' is never defined"},
	  {"", 3, "fourth", "output 'v' is already the output of node 2 ('third')"},
	  {"", 4, "fifth", "required attribute 'to' of Cast is missing"},
	  {"", 5, "sixth", "unknown attribute 'alpha' (Sigmoid of opset 13 has none of that name)"},
	  {"", -1, "z", "graph output 'z' is never defined"}}},
	{"ok_subgraph_outer.onnx", 0, {{NULL}}},
};

static void assert_problem(const char *file, const mc_onnx_problem *it, const expect *e)
{
	bool where_ok = e->where ? it->where && strcmp(it->where, e->where) == 0 : !it->where;

	if (it->note || strcmp(it->graph, e->graph) != 0 || it->node != e->node || !where_ok ||
	    !strstr(it->msg, e->fragment))
		fail_msg("%s: expected [%s] node %lld (%s): %s\n  got [%s] node %lld (%s): %s", file,
		         e->graph, (long long)e->node, e->where ? e->where : "-", e->fragment,
		         it->graph, (long long)it->node, it->where ? it->where : "-", it->msg);
}

static void test_invalid_located(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const invalid_case *k = &cases[i];
		mc_onnx_problems p;

		if (check_invalid(k->file, &p) != 0)
			fail_msg("%s: %s", k->file, mc_error_last()->msg);
		if (p.errors != k->errors || p.count != k->errors || p.dropped) {
			print_problems(k->file, &p);
			fail_msg("%s: %zu problems (%zu kept), expected %zu", k->file, p.errors, p.count,
			         k->errors);
		}
		for (size_t j = 0; j < k->errors; j++)
			assert_problem(k->file, &p.items[j], &k->e[j]);
		mc_onnx_problems_release(&p);
	}
}

/* ---- the cap, and hand-made models ------------------------------------------------------ */

/* Open a hand-made model, named `name` in messages, and check it into *out;
 * the model is released. */
static void check_pb(mc_onnx_problems *out, tu_pb *m, const char *name)
{
	mc_reader *r = NULL;

	assert_int_equal(mc_reader_open_memory(&r, m->b, m->n, name, "onnx"), 0);
	assert_int_equal(mc_onnx_check(out, mc_onnx_model_of(r)), 0);
	mc_reader_close(r);
	tu_pb_release(m);
}

/* ir 8, opset 13, a graph "g" of `nodes` Relu nodes each reading "ghost":
 * as many problems, past the cap. */
static void many_problems_model(tu_pb *out, size_t nodes)
{
	tu_pb graph = TU_PB_INIT;

	for (size_t i = 0; i < nodes; i++) {
		char y[32];
		snprintf(y, sizeof(y), "y%zu", i);
		tu_pb_onnx_node(&graph, "ghost", y, NULL, "Relu");
	}
	tu_pb_str(&graph, 2, "g");
	tu_pb_onnx_model(out, &graph);
}

static void test_cap(void **state)
{
	const size_t n = MC_ONNX_CHECK_MAX_PROBLEMS + 5;
	tu_pb m = TU_PB_INIT;
	mc_onnx_problems p;

	(void)state;
	many_problems_model(&m, n);
	check_pb(&p, &m, "many.onnx");
	assert_int_equal(p.errors, n);
	assert_int_equal(p.dropped, 5);
	assert_int_equal(p.count, MC_ONNX_CHECK_MAX_PROBLEMS + 1);
	assert_string_equal(p.items[p.count - 1].msg, "... and 5 more");
	assert_string_equal(p.items[0].where, "Relu");
	assert_non_null(strstr(p.items[MC_ONNX_CHECK_MAX_PROBLEMS - 1].msg, "'ghost' is never defined"));
	mc_onnx_problems_release(&p);
	mc_onnx_problems_release(&p); /* released twice: still empty */
	mc_onnx_problems_release(NULL);
}

/* A long chain of nodes, each reading the one before, in reverse order:
 * every input is defined later; the check stays linear (this is quick). */
static void test_large_reversed(void **state)
{
	const size_t n = 100000;
	tu_pb graph = TU_PB_INIT, m = TU_PB_INIT, vin = TU_PB_INIT, vout = TU_PB_INIT;
	mc_onnx_problems p;

	(void)state;
	for (size_t k = n; k-- > 0;) {
		char in[32], out[32];
		snprintf(in, sizeof(in), k ? "v%zu" : "x", k);
		snprintf(out, sizeof(out), "v%zu", k + 1);
		tu_pb_onnx_node(&graph, in, out, NULL, "Relu");
	}
	tu_pb_str(&graph, 2, "g");
	tu_pb_str(&vin, 1, "x");
	tu_pb_msg(&graph, 11, &vin);
	tu_pb_str(&vout, 1, "v100000");
	tu_pb_msg(&graph, 12, &vout);
	tu_pb_onnx_model(&m, &graph);
	check_pb(&p, &m, "chain.onnx");
	/* every node but the first (which reads x) is out of order; x and the
	 * output lack types */
	assert_true(p.errors >= n - 1);
	assert_non_null(strstr(p.items[0].msg, "has no type"));
	mc_onnx_problems_release(&p);
}

/* Control bytes in names come back escaped. */
static void test_escaped(void **state)
{
	tu_pb graph = TU_PB_INIT, m = TU_PB_INIT;
	mc_onnx_problems p;

	(void)state;
	tu_pb_onnx_node(&graph, "bad\nname\x1b[31m", "y", "n\x07", "Relu");
	tu_pb_str(&graph, 2, "g");
	tu_pb_onnx_model(&m, &graph);
	check_pb(&p, &m, "esc.onnx");
	assert_int_equal(p.errors, 1);
	assert_string_equal(p.items[0].where, "n\\x07");
	assert_non_null(strstr(p.items[0].msg, "input 'bad\\x0aname\\x1b[31m' is never defined"));
	mc_onnx_problems_release(&p);
}

/* ---- the schema table ------------------------------------------------------------------- */

static void test_schema_table(void **state)
{
	const mc_onnx_schema *s;
	size_t n;

	(void)state;
	assert_true(mc_onnx_nschemas > 400);
	for (size_t i = 1; i < mc_onnx_nschemas; i++) {
		const mc_onnx_schema *a = &mc_onnx_schemas[i - 1], *b = &mc_onnx_schemas[i];
		int c = strcmp(a->domain, b->domain);
		if (!c)
			c = strcmp(a->op_type, b->op_type);
		assert_true(c < 0 || (c == 0 && a->since_version < b->since_version));
		for (size_t k = 1; k < b->nattrs; k++)
			assert_true(strcmp(b->attrs[k - 1].name, b->attrs[k].name) < 0);
	}
	assert_int_equal(mc_onnx_schema_max_version(""), mc_onnx_schema_max_version("ai.onnx"));
	assert_true(mc_onnx_schema_max_version("") >= 17);
	assert_true(mc_onnx_schema_max_version("ai.onnx.ml") >= 3);
	assert_int_equal(mc_onnx_schema_max_version("com.example"), 0);

	/* the largest since_version <= the import */
	assert_non_null(s = mc_onnx_schema_find("", "Conv", 13));
	assert_int_equal(s->since_version, 11);
	assert_int_equal(s->min_inputs, 2);
	assert_int_equal(s->max_inputs, 3);
	assert_int_equal(s->inputs[2].option, MC_ONNX_PARAM_OPTIONAL);
	assert_null(mc_onnx_schema_find("ai.onnx", "Trilu", 13));
	assert_non_null(s = mc_onnx_schema_find("ai.onnx", "Trilu", 14));
	assert_int_equal(s->since_version, 14);
	assert_non_null(s = mc_onnx_schema_find("", "Concat", 13));
	assert_int_equal(s->max_inputs, INT_MAX);
	assert_true(mc_onnx_schema_find("", "Upsample", 10)->deprecated);
	assert_false(mc_onnx_schema_find("", "Upsample", 9)->deprecated);
	assert_non_null(s = mc_onnx_schema_find("ai.onnx.ml", "TreeEnsembleClassifier", 3));
	assert_non_null(mc_onnx_schema_find("ai.onnx.preview.training", "Adagrad", 1));
	assert_null(mc_onnx_schema_find("", "Frobnicate", 17));
	assert_null(mc_onnx_schema_find("com.example", "Conv", 13));
	assert_null(mc_onnx_schema_find("", NULL, 13));

	assert_non_null(s = mc_onnx_schema_history(&n, "", "Relu"));
	assert_true(n >= 3);
	assert_int_equal(s[0].since_version, 1);
	assert_null(mc_onnx_schema_history(&n, "", "Frobnicate"));
	assert_int_equal(n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_libonnx_testdata),
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_invalid_readme),
		cmocka_unit_test(test_invalid_located),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_large_reversed),
		cmocka_unit_test(test_escaped),
		cmocka_unit_test(test_schema_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
