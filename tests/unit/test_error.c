/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of error recording: mc_error_format gives the one line the
 * commands print ("FILE: ENTRY: offset N: msg", each part only when known),
 * truncates safely, and falls back to the code's name; hints attach to the
 * last error and a new error drops the old hint; mc_err_context fills in
 * only what the detecting code did not know; the record is per thread.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>

#include "error.h"
#include "modelctl.h"

static int reset(void **state)
{
	(void)state;
	mc_error_clear();
	return 0;
}

static const char *fmt_last(char *buf, size_t size)
{
	return mc_error_format(buf, size, mc_error_last());
}

static void test_format_all_parts(void **state)
{
	char buf[256];
	int rc;
	int line;
	(void)state;

	line = __LINE__ + 1;
	rc = mc_fail(MC_ECORRUPT, "model.safetensors", "tensor 'fc.weight'", 42, "data_offsets end %zu past the data (%zu bytes)", (size_t)4096, (size_t)100);
	assert_int_equal(rc, MC_ECORRUPT);
	assert_string_equal(fmt_last(buf, sizeof(buf)),
	                    "model.safetensors: tensor 'fc.weight': offset 42: data_offsets end "
	                    "4096 past the data (100 bytes)");
	/* the record keeps each part apart, and where it was detected */
	assert_int_equal(mc_error_last()->code, MC_ECORRUPT);
	assert_string_equal(mc_error_last()->path, "model.safetensors");
	assert_string_equal(mc_error_last()->entry, "tensor 'fc.weight'");
	assert_int_equal(mc_error_last()->offset, 42);
	assert_string_equal(mc_error_last()->hint, "");
	assert_string_equal(mc_error_last()->src_file, __FILE__);
	assert_int_equal(mc_error_last()->src_line, line);
}

static void test_format_missing_parts(void **state)
{
	char buf[256];
	(void)state;

	mc_fail(MC_EIO, "w.bin", NULL, -1, "cannot open: %s", "No such file or directory");
	assert_string_equal(fmt_last(buf, sizeof(buf)), "w.bin: cannot open: No such file or directory");
	mc_fail(MC_ECORRUPT, "a.npz", "b.npy", -1, "bad magic");
	assert_string_equal(fmt_last(buf, sizeof(buf)), "a.npz: b.npy: bad magic");
	mc_fail(MC_ECORRUPT, "a.npz", NULL, 0, "bad magic");
	assert_string_equal(fmt_last(buf, sizeof(buf)), "a.npz: offset 0: bad magic");
	mc_fail(MC_ECORRUPT, NULL, "e", INT64_MAX, "m");
	assert_string_equal(fmt_last(buf, sizeof(buf)), "e: offset 9223372036854775807: m");
	mc_fail(MC_ECORRUPT, "", "", -1, "m");
	assert_string_equal(fmt_last(buf, sizeof(buf)), "m");
	mc_fail(MC_EINVAL, NULL, NULL, -1, "only a message");
	assert_string_equal(fmt_last(buf, sizeof(buf)), "only a message");
	/* no message: the code's name stands in */
	mc_fail(MC_EUNSAFE, "p.pt", NULL, -1, "%s", "");
	assert_string_equal(fmt_last(buf, sizeof(buf)), "p.pt: unsafe");
}

static void test_format_truncation(void **state)
{
	char buf[64];
	(void)state;

	mc_fail(MC_ECORRUPT, "file", "entry", 7, "message");
	memset(buf, 'x', sizeof(buf));
	/* "file: entry: offset 7: message" is 30 characters */
	assert_string_equal(mc_error_format(buf, 31, mc_error_last()), "file: entry: offset 7: message");
	memset(buf, 'x', sizeof(buf));
	assert_string_equal(mc_error_format(buf, 30, mc_error_last()), "file: entry: offset 7: messag");
	assert_int_equal(buf[30], 'x');
	for (size_t size = 1; size < 31; size++) {
		memset(buf, 'x', sizeof(buf));
		mc_error_format(buf, size, mc_error_last());
		assert_int_equal(strlen(buf), size - 1);
		assert_memory_equal(buf, "file: entry: offset 7: message", size - 1);
		assert_int_equal(buf[size], 'x');
	}
	memset(buf, 'x', sizeof(buf));
	assert_ptr_equal(mc_error_format(buf, 0, mc_error_last()), buf);
	assert_int_equal(buf[0], 'x');
}

static void test_long_fields_truncated(void **state)
{
	static char path[4096], msg[4096];
	const mc_error *e;
	(void)state;

	memset(path, 'p', sizeof(path) - 1);
	memset(msg, 'm', sizeof(msg) - 1);
	mc_fail(MC_ECORRUPT, path, path, 1, "%s", msg);
	e = mc_error_last();
	assert_int_equal(strlen(e->path), sizeof(e->path) - 1);
	assert_int_equal(strlen(e->entry), sizeof(e->entry) - 1);
	assert_int_equal(strlen(e->msg), sizeof(e->msg) - 1);
	{
		char buf[4096];
		mc_error_format(buf, sizeof(buf), e);
		assert_int_equal(strlen(buf), 1023 + 2 + 511 + 2 + strlen("offset 1: ") + 1023);
	}
}

static void test_hint(void **state)
{
	char buf[256];
	int rc;
	(void)state;

	mc_fail(MC_EUNSUPPORTED, "x.bin", NULL, -1, "unrecognised file format");
	rc = mc_err_hint("modelctl reads %s files", "safetensors");
	/* the hint returns the error's code, so `return mc_err_hint(...)` works */
	assert_int_equal(rc, MC_EUNSUPPORTED);
	assert_string_equal(mc_error_last()->hint, "modelctl reads safetensors files");
	/* the hint is a second line: the first is unchanged */
	assert_string_equal(fmt_last(buf, sizeof(buf)), "x.bin: unrecognised file format");
	/* a later hint replaces the earlier one */
	mc_err_hint("second");
	assert_string_equal(mc_error_last()->hint, "second");
	/* a new error does not inherit the old hint */
	mc_fail(MC_EIO, "y.bin", NULL, -1, "cannot read");
	assert_string_equal(mc_error_last()->hint, "");
	{
		static char long_hint[2048];
		memset(long_hint, 'h', sizeof(long_hint) - 1);
		mc_err_hint("%s", long_hint);
		assert_int_equal(strlen(mc_error_last()->hint), sizeof(mc_error_last()->hint) - 1);
	}
}

static void test_context(void **state)
{
	char buf[256];
	int rc;
	(void)state;

	/* a parser deep down knows only the offset */
	mc_fail(MC_ECORRUPT, NULL, NULL, 12, "bad header");
	rc = mc_err_context("m.npz", "w.npy");
	assert_int_equal(rc, MC_ECORRUPT);
	assert_string_equal(fmt_last(buf, sizeof(buf)), "m.npz: w.npy: offset 12: bad header");
	/* what the detecting code knew is never replaced */
	rc = mc_err_context("outer.npz", "outer entry");
	assert_string_equal(fmt_last(buf, sizeof(buf)), "m.npz: w.npy: offset 12: bad header");
	/* NULL adds nothing; one part can be filled without the other */
	mc_fail(MC_ECORRUPT, "a.safetensors", NULL, -1, "m");
	mc_err_context(NULL, NULL);
	assert_string_equal(fmt_last(buf, sizeof(buf)), "a.safetensors: m");
	mc_err_context("b.safetensors", "t");
	assert_string_equal(fmt_last(buf, sizeof(buf)), "a.safetensors: t: m");
	assert_int_equal(mc_error_last()->code, MC_ECORRUPT);
	/* context keeps the hint */
	mc_fail(MC_EUNSAFE, NULL, NULL, -1, "imports os.system");
	mc_err_hint("convert it with a trusted tool");
	mc_err_context("p.pt", "archive/data.pkl");
	assert_string_equal(mc_error_last()->hint, "convert it with a trusted tool");
	assert_string_equal(fmt_last(buf, sizeof(buf)), "p.pt: archive/data.pkl: imports os.system");
}

static void test_reraise_own_fields(void **state)
{
	char buf[512];
	(void)state;

	/* a caller may re-raise with the last error's own fields as arguments */
	mc_fail(MC_EIO, "dir/a.bin", "e1", 5, "cannot read");
	mc_fail(MC_ECORRUPT, mc_error_last()->path, mc_error_last()->entry, mc_error_last()->offset,
	        "while loading: %s", mc_error_last()->msg);
	assert_string_equal(fmt_last(buf, sizeof(buf)), "dir/a.bin: e1: offset 5: while loading: cannot read");
	mc_err_hint("%s, then retry", mc_error_last()->hint[0] ? mc_error_last()->hint : "fix it");
	assert_string_equal(mc_error_last()->hint, "fix it, then retry");
	mc_err_hint("%s, then retry", mc_error_last()->hint);
	assert_string_equal(mc_error_last()->hint, "fix it, then retry, then retry");
}

static void test_clear_and_names(void **state)
{
	char buf[64];
	const mc_error *e;
	(void)state;

	mc_fail(MC_ELIMIT, "f", "e", 3, "too big");
	mc_err_hint("h");
	mc_error_clear();
	e = mc_error_last();
	assert_non_null(e);
	assert_int_equal(e->code, 0);
	assert_int_equal(e->offset, -1);
	assert_string_equal(e->path, "");
	assert_string_equal(e->entry, "");
	assert_string_equal(e->msg, "");
	assert_string_equal(e->hint, "");
	assert_null(e->src_file);
	assert_string_equal(mc_error_format(buf, sizeof(buf), e), "ok");

	assert_string_equal(mc_error_name(MC_OK), "ok");
	assert_string_equal(mc_error_name(MC_EINVAL), "invalid argument");
	assert_string_equal(mc_error_name(MC_ENOMEM), "out of memory");
	assert_string_equal(mc_error_name(MC_EIO), "i/o error");
	assert_string_equal(mc_error_name(MC_ECORRUPT), "corrupt");
	assert_string_equal(mc_error_name(MC_EUNSAFE), "unsafe");
	assert_string_equal(mc_error_name(MC_EUNSUPPORTED), "unsupported");
	assert_string_equal(mc_error_name(MC_ELIMIT), "over a limit");
	assert_string_equal(mc_error_name(-99), "unknown error");
	assert_string_equal(mc_error_name(1), "unknown error");

	assert_int_equal(mc_nomem(), MC_ENOMEM);
	assert_string_equal(mc_error_last()->msg, "out of memory");
	assert_int_equal(mc_error_last()->offset, -1);
}

static void *other_thread(void *arg)
{
	(void)arg;
	/* a fresh thread starts with no error, and its errors stay its own */
	if (mc_error_last()->code != 0 || mc_error_last()->offset != -1)
		return (void *)1;
	mc_fail(MC_EUNSAFE, "thread.pt", NULL, 9, "from the other thread");
	return NULL;
}

static void test_per_thread(void **state)
{
	pthread_t t;
	void *ret = (void *)2;
	char buf[128];
	(void)state;

	mc_fail(MC_ECORRUPT, "main.bin", NULL, 1, "from main");
	assert_int_equal(pthread_create(&t, NULL, other_thread, NULL), 0);
	assert_int_equal(pthread_join(t, &ret), 0);
	assert_null(ret);
	assert_string_equal(fmt_last(buf, sizeof(buf)), "main.bin: offset 1: from main");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_format_all_parts, reset),
		cmocka_unit_test_setup(test_format_missing_parts, reset),
		cmocka_unit_test_setup(test_format_truncation, reset),
		cmocka_unit_test_setup(test_long_fields_truncated, reset),
		cmocka_unit_test_setup(test_hint, reset),
		cmocka_unit_test_setup(test_context, reset),
		cmocka_unit_test_setup(test_reraise_own_fields, reset),
		cmocka_unit_test_setup(test_clear_and_names, reset),
		cmocka_unit_test_setup(test_per_thread, reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
