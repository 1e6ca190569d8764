/* SPDX-License-Identifier: MIT */
/*
 * Make the Nth allocation fail, for every N, while opening, listing,
 * hashing and closing each fixture: every error path must return
 * MC_ENOMEM cleanly (and, under LeakSanitizer, free what it allocated).
 * Linked with -Wl,--wrap for the allocation functions the library calls.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "format.h"
#include "graph.h"
#include "modelctl.h"
#include "onnx.h"
#include "onnx_check.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);

static long countdown = -1; /* fail when it reaches 0; -1: never */
static int injected;

static int should_fail(void)
{
	if (countdown < 0)
		return 0;
	if (countdown-- == 0) {
		injected = 1;
		return 1;
	}
	return 0;
}

void *__wrap_malloc(size_t n) { return should_fail() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t m) { return should_fail() ? NULL : __real_calloc(n, m); }
void *__wrap_realloc(void *p, size_t n) { return should_fail() ? NULL : __real_realloc(p, n); }
char *__wrap_strdup(const char *s) { return should_fail() ? NULL : __real_strdup(s); }

static int exercise(const char *path)
{
	mc_reader *r = NULL;
	int rc = mc_reader_open(&r, path);

	for (size_t i = 0; !rc && i < mc_reader_count(r); i++) {
		uint8_t sha[32];
		rc = mc_reader_sha256(sha, r, i);
	}
	mc_reader_close(r);
	return rc;
}

/* Build a model with every kind of part and write it; rewrite a model
 * that was read, embedded and with external data. */
static int exercise_write(const char *path)
{
	static const float w[6] = {1, 2, 3, 4, 5, 6};
	const int64_t ints[2] = {1, 2};
	const float floats[2] = {0.5f, 1.5f};
	const char *strs[2] = {"a", "b"};
	mc_shape s = {2, {2, 3}};
	mc_view v;
	mc_gb *b = mc_gb_new("g");
	mc_gb_graph *g, *sub;
	mc_gb_node *n;
	mc_onnx_write_opts ext = {"alloc_fail.onnx.data", 1};
	mc_reader *r = NULL;
	int rc;

	if (!b)
		return mc_error_last()->code;
	g = mc_gb_main(b);
	mc_view_init_dense(&v, MC_FLOAT32, &s, w);
	mc_gb_opset(b, "", 17);
	mc_gb_metadata(b, "k", "v");
	mc_gb_input(g, "x", MC_FLOAT32, 2, (mc_gb_dim[]){MC_GB_SYMBOL("batch"), MC_GB_FIXED(2)});
	mc_gb_output(g, "y", MC_FLOAT32, 2, (mc_gb_dim[]){MC_GB_SYMBOL("batch"), MC_GB_FIXED(3)});
	mc_gb_initializer(g, "w", &v);
	mc_gb_initializer_copy(g, "c", MC_FLOAT32, &s, w);
	n = mc_gb_node_add(g, "MatMul", "mm", (const char *[]){"x", "w"}, 2, (const char *[]){"y"}, 1);
	if (n) {
		mc_gb_attr_int(n, "i", 1);
		mc_gb_attr_float(n, "f", 1);
		mc_gb_attr_string(n, "s", "x");
		mc_gb_attr_ints(n, "is", ints, 2);
		mc_gb_attr_floats(n, "fs", floats, 2);
		mc_gb_attr_strings(n, "ss", strs, 2);
		mc_gb_attr_tensor(n, "t", MC_FLOAT32, &s, w);
		if ((sub = mc_gb_attr_graph(n, "g", "sub")))
			mc_gb_output(sub, "z", MC_FLOAT32, -1, NULL);
	}
	rc = mc_gb_write(b, "build-alloc-fail.onnx", &ext);
	mc_gb_free(b);
	remove("build-alloc-fail.onnx");
	remove("alloc_fail.onnx.data");
	if (rc)
		return rc;
	if ((rc = mc_reader_open(&r, path)) != 0)
		return rc;
	rc = mc_onnx_write_model("rewrite-alloc-fail.onnx", mc_onnx_model_of(r), NULL);
	if (!rc)
		rc = mc_onnx_write_model("rewrite-alloc-fail.onnx", mc_onnx_model_of(r), &ext);
	mc_reader_close(r);
	remove("rewrite-alloc-fail.onnx");
	remove("alloc_fail.onnx.data");
	return rc;
}

/* The structural check over a model that opens (every problem it finds
 * is a string it allocates). */
static int exercise_check(const char *path)
{
	mc_reader *r = NULL;
	mc_onnx_problems p;
	int rc = mc_reader_open(&r, path);

	if (!rc) {
		rc = mc_onnx_check(&p, mc_onnx_model_of(r));
		if (!rc)
			mc_onnx_problems_release(&p);
	}
	mc_reader_close(r);
	return rc;
}

static void fail_each_allocation_of(int (*fn)(const char *), const char *path)
{
	for (long n = 0;; n++) {
		int rc;
		injected = 0;
		countdown = n;
		rc = fn(path);
		countdown = -1;
		if (!injected) {
			if (rc != 0)
				fail_msg("%s: fails without an injected failure: %s", path,
				         mc_error_last()->msg);
			break;
		}
		if (rc != MC_ENOMEM)
			fail_msg("%s: allocation %ld failed but the result was %d (%s)", path, n, rc,
			         mc_error_last()->msg);
		assert_true(n < 100000);
	}
}

static void test_fixtures(void **state)
{
	static const char *dirs[] = {"testdata/safetensors", "testdata/npy", "testdata/npz",
	                             "testdata/sample", "testdata/onnx", "testdata/pytorch"};
	int files = 0;
	(void)state;
	for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
		DIR *dir = opendir(dirs[d]);
		struct dirent *e;
		assert_non_null(dir);
		while ((e = readdir(dir)) != NULL) {
			char path[1024];
			struct stat st;
			size_t n = strlen(e->d_name);
			if (e->d_name[0] == '.' || (n > 5 && !strcmp(e->d_name + n - 5, ".json")) ||
			    (n > 3 && !strcmp(e->d_name + n - 3, ".md")) ||
			    (n > 3 && !strcmp(e->d_name + n - 3, ".py")) ||
			    (n > 4 && !strcmp(e->d_name + n - 4, ".bin")))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dirs[d], e->d_name);
			if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
				continue; /* testdata/onnx/invalid/ and the like */
			fail_each_allocation_of(exercise, path);
			files++;
		}
		closedir(dir);
	}
	assert_true(files >= 10);
}

static void test_onnx_writer(void **state)
{
	(void)state;
	fail_each_allocation_of(exercise_write, "testdata/onnx/subgraphs.onnx");
	fail_each_allocation_of(exercise_write, "testdata/onnx/external.onnx");
}

static void test_onnx_check(void **state)
{
	static const char *models[] = {"testdata/onnx/subgraphs.onnx", "testdata/onnx/attributes.onnx",
	                               "testdata/onnx/torch_convbn.onnx",
	                               "testdata/onnx/invalid/several.onnx",
	                               "testdata/onnx/invalid/function_body.onnx",
	                               "testdata/onnx/invalid/subgraph_outer_later.onnx"};
	(void)state;
	for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++)
		fail_each_allocation_of(exercise_check, models[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_onnx_writer),
		cmocka_unit_test(test_onnx_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
