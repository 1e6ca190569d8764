/* SPDX-License-Identifier: MIT */
/*
 * Tests of the plain pickle reader (formats/rawpickle.c): pickle.dump of a
 * dict of numpy arrays and plain values in protocols 2 to 5
 * (testdata/pytorch/arrays_p*.pkl) read with the same names, dtypes, shapes
 * and hashes whatever the protocol; Fortran-order arrays through strides;
 * the value tree; sniffing against the legacy torch format; refusals
 * (bytes after STOP, persistent ids, torch tensors); and scanning.
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
#include "value.h"
#include "testutil.h"
#include "banned.h"

static const char *const names[] = {
	"weights", "bias", "fortran", "big_endian", "flags", "ids", "scalar", "nested.a",
	"nested.list.0",
};
#define NNAMES (sizeof(names) / sizeof(names[0]))

static uint8_t *fixture(const char *name, size_t *len)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/testdata/pytorch/%s", MC_SOURCE_DIR, name);
	return tu_read_file(path, len);
}

static void hex(char out[65], const uint8_t md[32])
{
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void test_protocols_agree(void **state)
{
	char first[NNAMES][65];

	(void)state;
	for (int p = 2; p <= 5; p++) {
		char file[32];
		size_t len;
		uint8_t *data;
		mc_reader *r = NULL;
		const mc_value *v;
		snprintf(file, sizeof(file), "arrays_p%d.pkl", p);
		data = fixture(file, &len);
		assert_string_equal(mc_format_sniff(data, len)->name, "pickle");
		if (mc_reader_open_memory(&r, data, len, file, NULL) != 0)
			fail_msg("%s: %s", file, mc_error_last()->msg);
		assert_string_equal(mc_reader_format(r), "pickle");
		assert_int_equal(mc_reader_count(r), NNAMES);
		for (size_t i = 0; i < NNAMES; i++) {
			uint8_t md[32];
			char h[65];
			assert_string_equal(mc_reader_tensor(r, i)->name, names[i]);
			assert_int_equal(mc_reader_sha256(md, r, i), 0);
			hex(h, md);
			if (p == 2)
				memcpy(first[i], h, 65);
			else
				assert_string_equal(h, first[i]);
		}
		assert_int_equal(mc_reader_tensor(r, 0)->dtype, MC_FLOAT32);
		assert_int_equal(mc_reader_tensor(r, 3)->dtype, MC_INT32);
		assert_int_equal(mc_reader_tensor(r, 4)->dtype, MC_BOOL);
		assert_int_equal(mc_reader_tensor(r, 5)->dtype, MC_UINT16);
		assert_int_equal(mc_reader_tensor(r, 6)->shape.ndim, 0);
		assert_int_equal(mc_reader_tensor(r, 8)->dtype, MC_COMPLEX64);
		{
			mc_view view;
			assert_int_equal(mc_reader_read(r, 2, &view), 0);
			assert_int_equal(view.strides[0], 1);
			assert_int_equal(view.strides[1], 2);
			mc_view_release(&view);
		}
		v = mc_reader_values(r);
		assert_int_equal(v->kind, MC_VALUE_DICT);
		assert_true(mc_value_dict_get(v, "lr")->u.f == 0.01);
		assert_string_equal(mc_value_dict_get(v, "name")->u.s.p, "features");
		assert_int_equal(mc_value_find(v, "nested.list.1")->u.i, 5);
		assert_int_equal(mc_value_find(v, "weights")->kind, MC_VALUE_TENSOR);
		mc_reader_close(r);
		free(data);
	}
}

static void test_refusals(void **state)
{
	/* {'t': BINPERSID of ('storage', ...)} */
	static const uint8_t persid[] = "\x80\x02}X\x01\x00\x00\x00tX\x07\x00\x00\x00storageQs.";
	/* torch.storage._load_from_bytes(b'...'): a storage pickled by plain pickle */
	static const uint8_t load_bytes[] = "\x80\x03" "ctorch.storage\n_load_from_bytes\n"
	                                    "C\x02xy\x85R.";
	static const uint8_t plain[] = "\x80\x04\x95\x0a\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01"
	                               "a\x94K\x01s.";
	size_t len;
	uint8_t *p = fixture("arrays_p3.pkl", &len), *q = malloc(len + 2);
	mc_reader *r = NULL;

	(void)state;
	memcpy(q, p, len);
	memcpy(q + len, "N.", 2);
	tu_assert_fails(mc_reader_open_memory(&r, q, len + 2, "t.pkl", NULL), MC_ECORRUPT,
	                "2 bytes after the pickle's STOP");
	tu_assert_fails(mc_reader_open_memory(&r, persid, sizeof(persid) - 1, "t.pkl", NULL),
	                MC_EUNSUPPORTED, "persistent id in a plain pickle");
	tu_assert_fails(mc_reader_open_memory(&r, load_bytes, sizeof(load_bytes) - 1, "t.pkl", NULL),
	                MC_EUNSAFE, "_load_from_bytes");
	/* a pickle of plain values: no tensors, the values tree */
	assert_int_equal(mc_reader_open_memory(&r, plain, sizeof(plain) - 1, "t.pkl", NULL), 0);
	assert_int_equal(mc_reader_count(r), 0);
	assert_int_equal(mc_value_dict_get(mc_reader_values(r), "a")->u.i, 1);
	mc_reader_close(r);
	/* protocol 0 and 1 pickles are not sniffed as pickles */
	assert_null(mc_format_sniff((const uint8_t *)"(dp0\n.", 6));
	assert_null(mc_format_sniff((const uint8_t *)"}q\x00.", 4));
	free(q);
	free(p);
	/* a legacy torch file is pytorch-legacy; opened as a pickle it is one
	 * pickle (the magic number) and bytes after it */
	p = fixture("bare_tensor_legacy.pt", &len);
	assert_string_equal(mc_format_sniff(p, len)->name, "pytorch-legacy");
	tu_assert_fails(mc_reader_open_memory(&r, p, len, "t.pt", "pickle"), MC_ECORRUPT,
	                "bytes after the pickle's STOP");
	free(p);
}

static void test_scan(void **state)
{
	mc_scan_report rep;
	char path[1024];

	(void)state;
	snprintf(path, sizeof(path), "%s/testdata/pytorch/arrays_p2.pkl", MC_SOURCE_DIR);
	assert_int_equal(mc_scan_file(&rep, path), 0);
	assert_string_equal(rep.format, "pickle");
	assert_int_equal(rep.verdict, MC_VERDICT_SAFE);
	assert_true(rep.count > 0);
	for (size_t i = 0; i < rep.count; i++) {
		assert_string_equal(rep.findings[i].kind, "global");
		assert_non_null(strstr(rep.findings[i].detail, ": allowed"));
		assert_false(rep.findings[i].unsafe);
	}
	mc_scan_report_release(&rep);
	/* bytes after STOP: the file is not readable as it stands */
	{
		char tmp[] = "/tmp/test_rawpickle_XXXXXX";
		size_t len;
		uint8_t *p = fixture("arrays_p4.pkl", &len);
		int fd = mkstemp(tmp);
		FILE *fp;
		assert_true(fd >= 0);
		fp = fdopen(fd, "wb");
		assert_int_equal(fwrite(p, 1, len, fp), len);
		assert_int_equal(fwrite("junk", 1, 4, fp), 4);
		fclose(fp);
		assert_int_equal(mc_scan_file(&rep, tmp), 0);
		assert_int_equal(rep.verdict, MC_VERDICT_ERROR);
		assert_string_equal(rep.findings[rep.count - 1].kind, "integrity");
		assert_non_null(strstr(rep.findings[rep.count - 1].detail, "4 bytes after"));
		mc_scan_report_release(&rep);
		unlink(tmp);
		free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_protocols_agree),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_scan),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
