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

#include "modelctl.h"

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

static void fail_each_allocation(const char *path)
{
	for (long n = 0;; n++) {
		int rc;
		injected = 0;
		countdown = n;
		rc = exercise(path);
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
			size_t n = strlen(e->d_name);
			if (e->d_name[0] == '.' || (n > 5 && !strcmp(e->d_name + n - 5, ".json")) ||
			    (n > 3 && !strcmp(e->d_name + n - 3, ".md")) ||
			    (n > 3 && !strcmp(e->d_name + n - 3, ".py")) ||
			    (n > 4 && !strcmp(e->d_name + n - 4, ".bin")))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dirs[d], e->d_name);
			fail_each_allocation(path);
			files++;
		}
		closedir(dir);
	}
	assert_true(files >= 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixtures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
