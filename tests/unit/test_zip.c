/* SPDX-License-Identifier: MIT */
/*
 * Tests of the zip reader and writer (formats/zip.c): archives as numpy,
 * Python's zipfile and torch.save lay them out, zip64 records and extra
 * fields, the writer's round trip and determinism, tables of hostile
 * field values, and the files of testdata/bad/zip/.
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

#include <zlib.h>

#include "cursor.h"
#include "error.h"
#include "zip.h"
#include "testutil.h"
#include "banned.h"

/* ---- building archives in memory -------------------------------------- */

typedef struct buf {
	uint8_t *p;
	size_t n, cap;
} buf;

static void put(buf *b, const void *p, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	if (n)
		memcpy(b->p + b->n, p, n);
	b->n += n;
}

static void put16(buf *b, uint16_t v) { uint8_t x[2]; mc_store_u16le(x, v); put(b, x, 2); }
static void put32(buf *b, uint32_t v) { uint8_t x[4]; mc_store_u32le(x, v); put(b, x, 4); }
static void put64(buf *b, uint64_t v) { uint8_t x[8]; mc_store_u64le(x, v); put(b, x, 8); }

typedef struct tz_entry {
	const char *name;
	const void *data;
	size_t len;
	int method;         /* 0 stored, 8 deflated */
	uint16_t flags;
	bool descriptor;    /* zero CRC/sizes in the local header, a descriptor after */
	bool zip64_local;   /* numpy's forced zip64 local extra field */
	bool zip64_central; /* sizes and offset only in a central zip64 extra field */
	bool pad;           /* torch's "FB" extra field aligning data to 64 bytes */
} tz_entry;

typedef struct tz_opts {
	bool zip64_end;       /* zip64 end record and locator */
	bool saturate_end;    /* end record fields 0xFFFF / 0xFFFFFFFF */
	const char *prefix;   /* bytes before the first entry */
	const char *comment;
} tz_opts;

static uint8_t *raw_deflate(const void *data, size_t len, size_t *out_len)
{
	z_stream s;
	uint8_t *out = malloc(len + 64);

	assert_non_null(out);
	memset(&s, 0, sizeof(s));
	assert_int_equal(deflateInit2(&s, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8,
	                              Z_DEFAULT_STRATEGY), Z_OK);
	s.next_in = (Bytef *)(uintptr_t)data;
	s.avail_in = (uInt)len;
	s.next_out = out;
	s.avail_out = (uInt)len + 64;
	assert_int_equal(deflate(&s, Z_FINISH), Z_STREAM_END);
	*out_len = s.total_out;
	deflateEnd(&s);
	return out;
}

static uint8_t *tz_build(size_t *out_len, const tz_entry *e, size_t n, const tz_opts *o)
{
	tz_opts none = {0};
	buf b = {0};
	uint64_t *offs = calloc(n ? n : 1, sizeof(*offs));
	uint64_t *comps = calloc(n ? n : 1, sizeof(*comps));
	uint32_t *crcs = calloc(n ? n : 1, sizeof(*crcs));
	uint64_t cd, cd_size;

	if (!o)
		o = &none;
	if (o->prefix)
		put(&b, o->prefix, strlen(o->prefix));
	for (size_t i = 0; i < n; i++) {
		size_t nlen = strlen(e[i].name), clen = e[i].len, xlen = 0, padn = 0;
		uint8_t *comp = NULL;
		const void *payload = e[i].data;
		uint32_t crc = (uint32_t)crc32(0, e[i].data, (uInt)e[i].len);
		if (e[i].method == 8) {
			comp = raw_deflate(e[i].data, e[i].len, &clen);
			payload = comp;
		}
		offs[i] = b.n;
		comps[i] = clen;
		crcs[i] = crc;
		if (e[i].zip64_local)
			xlen += 20;
		if (e[i].pad) {
			size_t at = b.n + 30 + nlen + xlen + 4;
			padn = (64 - at % 64) % 64;
			xlen += 4 + padn;
		}
		put32(&b, 0x04034b50);
		put16(&b, 20);
		put16(&b, e[i].flags);
		put16(&b, (uint16_t)e[i].method);
		put16(&b, 0);
		put16(&b, 0x21);
		put32(&b, e[i].descriptor ? 0 : crc);
		put32(&b, e[i].descriptor ? 0 : (uint32_t)clen);
		put32(&b, e[i].descriptor ? 0 : (uint32_t)e[i].len);
		put16(&b, (uint16_t)nlen);
		put16(&b, (uint16_t)xlen);
		put(&b, e[i].name, nlen);
		if (e[i].zip64_local) {
			put16(&b, 1);
			put16(&b, 16);
			put64(&b, e[i].descriptor ? 0 : e[i].len);
			put64(&b, e[i].descriptor ? 0 : clen);
		}
		if (e[i].pad) {
			put16(&b, 0x4246);
			put16(&b, (uint16_t)padn);
			for (size_t k = 0; k < padn; k++)
				put(&b, "Z", 1);
		}
		put(&b, payload, clen);
		if (e[i].descriptor) {
			put32(&b, 0x08074b50);
			put32(&b, crc);
			if (e[i].zip64_local) {
				put64(&b, clen);
				put64(&b, e[i].len);
			} else {
				put32(&b, (uint32_t)clen);
				put32(&b, (uint32_t)e[i].len);
			}
		}
		free(comp);
	}
	cd = b.n;
	for (size_t i = 0; i < n; i++) {
		bool z = e[i].zip64_central;
		size_t nlen = strlen(e[i].name);
		put32(&b, 0x02014b50);
		put16(&b, 0x032d);
		put16(&b, z ? 45 : 20);
		put16(&b, e[i].flags);
		put16(&b, (uint16_t)e[i].method);
		put16(&b, 0);
		put16(&b, 0x21);
		put32(&b, crcs[i]);
		put32(&b, z ? 0xFFFFFFFFu : (uint32_t)comps[i]);
		put32(&b, z ? 0xFFFFFFFFu : (uint32_t)e[i].len);
		put16(&b, (uint16_t)nlen);
		put16(&b, z ? 28 : 0);
		put16(&b, 0);
		put16(&b, 0);
		put16(&b, 0);
		put32(&b, 0600u << 16);
		put32(&b, z ? 0xFFFFFFFFu : (uint32_t)offs[i]);
		put(&b, e[i].name, nlen);
		if (z) {
			put16(&b, 1);
			put16(&b, 24);
			put64(&b, e[i].len);
			put64(&b, comps[i]);
			put64(&b, offs[i]);
		}
	}
	cd_size = b.n - cd;
	if (o->zip64_end) {
		uint64_t rec = b.n;
		put32(&b, 0x06064b50);
		put64(&b, 44);
		put16(&b, 45);
		put16(&b, 45);
		put32(&b, 0);
		put32(&b, 0);
		put64(&b, n);
		put64(&b, n);
		put64(&b, cd_size);
		put64(&b, cd);
		put32(&b, 0x07064b50);
		put32(&b, 0);
		put64(&b, rec);
		put32(&b, 1);
	}
	put32(&b, 0x06054b50);
	put16(&b, 0);
	put16(&b, 0);
	put16(&b, o->saturate_end ? 0xFFFF : (uint16_t)n);
	put16(&b, o->saturate_end ? 0xFFFF : (uint16_t)n);
	put32(&b, o->saturate_end ? 0xFFFFFFFFu : (uint32_t)cd_size);
	put32(&b, o->saturate_end ? 0xFFFFFFFFu : (uint32_t)cd);
	put16(&b, o->comment ? (uint16_t)strlen(o->comment) : 0);
	if (o->comment)
		put(&b, o->comment, strlen(o->comment));
	free(offs);
	free(comps);
	free(crcs);
	*out_len = b.n;
	return b.p;
}

static const char hello[] = "hello, world\nhello, world\nhello, world\nhello, world\n";
static uint8_t bytes256[256];

static void fill_bytes(void)
{
	for (int i = 0; i < 256; i++)
		bytes256[i] = (uint8_t)i;
}

/* Read every entry; return the first failure. */
static int read_all(const mc_zip *z)
{
	for (size_t i = 0; i < mc_zip_count(z); i++) {
		uint8_t *p;
		size_t n;
		int rc = mc_zip_read(&p, &n, z, mc_zip_entry_at(z, i));
		if (rc)
			return rc;
		free(p);
		if ((rc = mc_zip_check_crc(z, mc_zip_entry_at(z, i))))
			return rc;
	}
	return 0;
}

/* Open `data` as an archive called `name` and read_all it. */
static int open_read_all(const uint8_t *data, size_t len, const char *name)
{
	mc_zip *z = NULL;
	int rc = mc_zip_open(&z, data, len, name);
	if (!rc)
		rc = read_all(z);
	mc_zip_free(z);
	return rc;
}

static int open_and_read(const uint8_t *data, size_t len)
{
	return open_read_all(data, len, "t.zip");
}

static void assert_entry_data(const mc_zip *z, const char *name, const void *want, size_t len)
{
	const mc_zip_entry *e;
	uint8_t *p;
	size_t n;

	assert_int_equal(mc_zip_find(&e, z, name), 0);
	assert_int_equal(e->size, len);
	assert_int_equal(mc_zip_read(&p, &n, z, e), 0);
	assert_int_equal(n, len);
	assert_memory_equal(p, want, len);
	free(p);
	assert_int_equal(mc_zip_check_crc(z, e), 0);
}

/* ---- archives real writers produce ---------------------------------------- */

static void test_numpy_layout(void **state)
{
	tz_entry e[] = {
		{.name = "a.txt", .data = hello, .len = sizeof(hello) - 1, .zip64_local = true},
		{.name = "dir/b.bin", .data = bytes256, .len = 256, .zip64_local = true},
	};
	size_t len, got;
	uint8_t *a = tz_build(&len, e, 2, NULL), pre[8];
	const mc_zip_entry *x;
	mc_zip *z;

	(void)state;
	assert_int_equal(mc_zip_open(&z, a, len, "t.zip"), 0);
	assert_int_equal(mc_zip_count(z), 2);
	assert_false(mc_zip_is_zip64(z));
	x = mc_zip_entry_at(z, 0);
	assert_string_equal(x->name, "a.txt");
	assert_int_equal(x->method, MC_ZIP_STORED);
	assert_int_equal(x->header_offset, 0);
	assert_int_equal(x->data_offset, 30 + 5 + 20);
	assert_ptr_equal(x->data, a + x->data_offset);
	assert_int_equal(x->crc32, crc32(0, (const Bytef *)hello, sizeof(hello) - 1));
	assert_null(mc_zip_entry_at(z, 2));
	assert_int_equal(mc_zip_index(z, "dir/b.bin"), 1);
	assert_int_equal(mc_zip_index(z, "nope"), -1);
	tu_assert_fails(mc_zip_find(&x, z, "nope"), MC_ECORRUPT, "no entry 'nope'");
	assert_null(x);
	assert_entry_data(z, "a.txt", hello, sizeof(hello) - 1);
	assert_entry_data(z, "dir/b.bin", bytes256, 256);
	assert_int_equal(mc_zip_read_prefix(&got, pre, sizeof(pre), z, mc_zip_entry_at(z, 1)), 0);
	assert_int_equal(got, 8);
	assert_memory_equal(pre, bytes256, 8);
	mc_zip_free(z);
	free(a);
}

static void test_deflated(void **state)
{
	static uint8_t big[20000];
	tz_entry e[] = {
		{.name = "big", .data = big, .len = sizeof(big), .method = 8},
		{.name = "empty", .data = "", .len = 0, .method = 8},
		{.name = "small", .data = hello, .len = sizeof(hello) - 1, .method = 8},
	};
	size_t len, got;
	uint8_t *a, pre[300];
	mc_zip *z;

	(void)state;
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)((i * 7) ^ (i >> 5));
	a = tz_build(&len, e, 3, NULL);
	assert_int_equal(mc_zip_open(&z, a, len, "t.zip"), 0);
	assert_int_equal(mc_zip_entry_at(z, 0)->method, MC_ZIP_DEFLATED);
	assert_true(mc_zip_entry_at(z, 0)->comp_size < sizeof(big));
	assert_entry_data(z, "big", big, sizeof(big));
	assert_entry_data(z, "empty", "", 0);
	assert_entry_data(z, "small", hello, sizeof(hello) - 1);
	assert_int_equal(mc_zip_read_prefix(&got, pre, 300, z, mc_zip_entry_at(z, 0)), 0);
	assert_int_equal(got, 300);
	assert_memory_equal(pre, big, 300);
	assert_int_equal(mc_zip_read_prefix(&got, pre, 300, z, mc_zip_entry_at(z, 2)), 0);
	assert_int_equal(got, sizeof(hello) - 1);
	assert_memory_equal(pre, hello, got);
	assert_int_equal(mc_zip_read_prefix(&got, pre, 300, z, mc_zip_entry_at(z, 1)), 0);
	assert_int_equal(got, 0);
	mc_zip_free(z);

	/* a stream that ends before the declared size fails a prefix read too
	 * (found by the fuzzer) */
	{
		uint8_t *cd = a + mc_load_u32le(a + len - 6);
		uint8_t *c3 = cd + (46 + 3) + (46 + 5); /* after "big" and "empty" */
		assert_int_equal(mc_load_u32le(c3), 0x02014b50);
		mc_store_u32le(c3 + 24, (uint32_t)(sizeof(hello) - 1 + 10));
		mc_store_u32le(a + mc_load_u32le(c3 + 42) + 22, (uint32_t)(sizeof(hello) - 1 + 10));
		assert_int_equal(mc_zip_open(&z, a, len, "t.zip"), 0);
		tu_assert_fails(mc_zip_read_prefix(&got, pre, 300, z, mc_zip_entry_at(z, 2)), MC_ECORRUPT,
		                "inflates to only 52 bytes but 62 are declared");
		tu_assert_fails(mc_zip_check_crc(z, mc_zip_entry_at(z, 2)), MC_ECORRUPT,
		                "inflates to 52 bytes but 62 are declared");
		mc_zip_free(z);
	}
	free(a);
}

/* torch.save: flags 0x0808, data descriptors, zero sizes in local headers,
 * "FB" padding to 64 bytes, a zip64 end record with real values. */
static void test_torch_layout(void **state)
{
	static const float w[4] = {1, 2, 3, 4};
	tz_entry e[] = {
		{.name = "archive/data.pkl", .data = "\x80\x02}q\x00.", .len = 6, .flags = 0x0808,
		 .descriptor = true, .pad = true},
		{.name = "archive/byteorder", .data = "little", .len = 6, .flags = 0x0808,
		 .descriptor = true, .pad = true},
		{.name = "archive/data/0", .data = w, .len = sizeof(w), .flags = 0x0808,
		 .descriptor = true, .pad = true},
		{.name = "archive/.data/serialization_id", .data = "0123456789", .len = 10,
		 .flags = 0x0808, .descriptor = true, .pad = true},
	};
	tz_opts o = {.zip64_end = true};
	size_t len;
	uint8_t *a = tz_build(&len, e, 4, &o);
	mc_zip *z;

	(void)state;
	assert_int_equal(mc_zip_open(&z, a, len, "model.pt"), 0);
	assert_true(mc_zip_is_zip64(z));
	assert_int_equal(mc_zip_count(z), 4);
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(mc_zip_entry_at(z, i)->data_offset % 64, 0);
		assert_int_equal(mc_zip_entry_at(z, i)->flags, 0x0808);
	}
	assert_entry_data(z, "archive/data/0", w, sizeof(w));
	assert_entry_data(z, "archive/byteorder", "little", 6);
	mc_zip_free(z);
	free(a);
}

/* Sizes and offsets only in zip64 extra fields, counts only in the zip64
 * end record: what a writer does past 4 GiB, made small. */
static void test_zip64_extra_fields(void **state)
{
	tz_entry e[] = {
		{.name = "a.txt", .data = hello, .len = sizeof(hello) - 1, .zip64_central = true},
		{.name = "b.bin", .data = bytes256, .len = 256, .zip64_central = true, .method = 8},
	};
	tz_opts o = {.zip64_end = true, .saturate_end = true};
	size_t len;
	uint8_t *a = tz_build(&len, e, 2, &o);
	mc_zip *z;

	(void)state;
	assert_int_equal(mc_zip_open(&z, a, len, "t.zip"), 0);
	assert_true(mc_zip_is_zip64(z));
	assert_int_equal(mc_zip_entry_at(z, 1)->header_offset, 30 + 5 + sizeof(hello) - 1);
	assert_entry_data(z, "a.txt", hello, sizeof(hello) - 1);
	assert_entry_data(z, "b.bin", bytes256, 256);
	mc_zip_free(z);

	/* a saturated end record without the zip64 records is taken literally and fails */
	{
		tz_opts o2 = {.saturate_end = true};
		uint8_t *b = tz_build(&len, e, 2, &o2);
		assert_int_equal(mc_zip_open(&z, b, len, "t.zip"), MC_ECORRUPT);
		free(b);
	}
	free(a);
}

/* Python's zipfile writing to an unseekable stream: descriptor with
 * 8-byte sizes after a zip64 local header. */
static void test_descriptor64(void **state)
{
	tz_entry e[] = {{.name = "a.txt", .data = hello, .len = sizeof(hello) - 1, .flags = 8,
	                 .descriptor = true, .zip64_local = true}};
	size_t len;
	uint8_t *a = tz_build(&len, e, 1, NULL);

	(void)state;
	assert_int_equal(open_and_read(a, len), 0);
	free(a);
}

static void test_names(void **state)
{
	tz_entry e[] = {{.name = "caf\x82.txt", .data = hello, .len = 4},
	                {.name = "caf\xc3\xa9.bin", .data = hello, .len = 4, .flags = 0x800}};
	tz_opts o = {.comment = "an archive comment"};
	size_t len;
	uint8_t *a = tz_build(&len, e, 2, &o);
	mc_zip *z;

	(void)state;
	assert_int_equal(mc_zip_open(&z, a, len, "t.zip"), 0);
	assert_string_equal(mc_zip_entry_at(z, 0)->name, "caf\xc3\xa9.txt"); /* CP437 0x82 */
	assert_string_equal(mc_zip_entry_at(z, 1)->name, "caf\xc3\xa9.bin");
	mc_zip_free(z);
	free(a);

	assert_int_equal(mc_zip_check_name("p", "a/b/c.npy", 9), 0);
	assert_int_equal(mc_zip_check_name("p", "..a/b..", 7), 0);
	assert_int_equal(mc_zip_check_name("p", ".data/x", 7), 0);
	tu_assert_fails(mc_zip_check_name("p", "a/../b", 6), MC_EUNSAFE, "escapes the archive");
	tu_assert_fails(mc_zip_check_name("p", "..", 2), MC_EUNSAFE, "escapes the archive");
	tu_assert_fails(mc_zip_check_name("p", "a/..", 4), MC_EUNSAFE, "escapes the archive");
	tu_assert_fails(mc_zip_check_name("p", "/a", 2), MC_EUNSAFE, "absolute");
	tu_assert_fails(mc_zip_check_name("p", "c:x", 3), MC_EUNSAFE, "absolute");
	tu_assert_fails(mc_zip_check_name("p", "\\\\srv\\x", 7), MC_EUNSAFE, "backslash");
	tu_assert_fails(mc_zip_check_name("p", "a\0b", 3), MC_ECORRUPT, "NUL");
	tu_assert_fails(mc_zip_check_name("p", "", 0), MC_ECORRUPT, "empty entry name");
	{
		char *longname = malloc(MC_ZIP_MAX_NAME + 2);
		memset(longname, 'a', MC_ZIP_MAX_NAME + 1);
		longname[MC_ZIP_MAX_NAME + 1] = '\0';
		assert_int_equal(mc_zip_check_name("p", longname, MC_ZIP_MAX_NAME), 0);
		tu_assert_fails(mc_zip_check_name("p", longname, MC_ZIP_MAX_NAME + 1), MC_ELIMIT,
		                "over the limit");
		free(longname);
	}
}

static void test_empty_archive(void **state)
{
	size_t len;
	uint8_t *a = tz_build(&len, NULL, 0, NULL);
	mc_zip *z;

	(void)state;
	assert_int_equal(len, 22);
	assert_int_equal(mc_zip_open(&z, a, len, "t.zip"), 0);
	assert_int_equal(mc_zip_count(z), 0);
	mc_zip_free(z);
	free(a);
	mc_zip_free(NULL);
}

/* Every proper prefix of an archive is refused, without a crash. */
static void test_truncations(void **state)
{
	tz_entry e[] = {{.name = "a.txt", .data = hello, .len = sizeof(hello) - 1, .method = 8},
	                {.name = "b", .data = bytes256, .len = 256, .zip64_local = true}};
	tz_opts o = {.zip64_end = true};
	size_t len;
	uint8_t *a = tz_build(&len, e, 2, &o);

	(void)state;
	for (size_t n = 0; n < len; n++) {
		uint8_t *copy = malloc(n ? n : 1); /* exact size so ASan sees overreads */
		memcpy(copy, a, n);
		assert_int_not_equal(open_and_read(copy, n), 0);
		free(copy);
	}
	assert_int_equal(open_and_read(a, len), 0);
	free(a);
}

/* A declared size above comp * MC_DEFLATE_MAX_RATIO + 1024 is refused when
 * the archive is opened, before anything is allocated; at the cap it is not. */
static void test_ratio_cap(void **state)
{
	tz_entry e[] = {{.name = "a", .data = hello, .len = sizeof(hello) - 1, .method = 8}};
	size_t len;
	uint8_t *a = tz_build(&len, e, 1, NULL);
	uint8_t *cd = a + mc_load_u32le(a + len - 6);
	uint64_t comp = mc_load_u32le(cd + 20);
	uint32_t cap = (uint32_t)(comp * MC_DEFLATE_MAX_RATIO + 1024);
	mc_zip *z;

	(void)state;
	mc_store_u32le(cd + 24, cap + 1);
	mc_store_u32le(a + 22, cap + 1);
	tu_assert_fails(mc_zip_open(&z, a, len, "t.zip"), MC_ECORRUPT, "more than deflate can produce");
	assert_string_equal(mc_error_last()->entry, "a");
	mc_store_u32le(cd + 24, cap);
	mc_store_u32le(a + 22, cap);
	assert_int_equal(mc_zip_open(&z, a, len, "t.zip"), 0);
	tu_assert_fails(read_all(z), MC_ECORRUPT, "inflates to");
	mc_zip_free(z);
	free(a);
}

/* ---- hostile values ------------------------------------------------------- */

/* Base archive for the tables: one stored 52-byte entry "a.txt", no extra
 * fields.  Local header at 0, data at 35, central directory at 87, end
 * record at 138, 160 bytes in all. */
enum { L0 = 0, C0 = 87, E0 = 138, BASE_LEN = 160 };

static uint8_t *base_archive(size_t *len)
{
	tz_entry e[] = {{.name = "a.txt", .data = hello, .len = sizeof(hello) - 1}};
	uint8_t *a = tz_build(len, e, 1, NULL);
	assert_int_equal(*len, BASE_LEN);
	return a;
}

typedef struct field {
	const char *what;
	size_t off;
	int width; /* 2 or 4 */
} field;

static const field fields[] = {
	{"local crc", L0 + 14, 4},        {"local compressed size", L0 + 18, 4},
	{"local size", L0 + 22, 4},       {"local name length", L0 + 26, 2},
	{"local extra length", L0 + 28, 2}, {"local method", L0 + 8, 2},
	{"central crc", C0 + 16, 4},      {"central compressed size", C0 + 20, 4},
	{"central size", C0 + 24, 4},     {"central name length", C0 + 28, 2},
	{"central extra length", C0 + 30, 2}, {"central comment length", C0 + 32, 2},
	{"central disk", C0 + 34, 2},     {"central local offset", C0 + 42, 4},
	{"central method", C0 + 10, 2},   {"end entries on disk", E0 + 8, 2},
	{"end entries", E0 + 10, 2},      {"end directory size", E0 + 12, 4},
	{"end directory offset", E0 + 16, 4}, {"end comment length", E0 + 20, 2},
	{"end disk", E0 + 4, 2},
};

/* Lengths 0, 1, 0x7fffffff, 0xffffffff (0x7fff, 0xffff in 16-bit fields)
 * in every field of the base archive: each is refused (or, for a CRC, the
 * read fails), with a message. */
static void test_hostile_lengths(void **state)
{
	static const uint32_t values[] = {0, 1, 0x7fffffffu, 0xffffffffu};
	size_t len;
	uint8_t *base = base_archive(&len);

	(void)state;
	for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
		for (size_t v = 0; v < 4; v++) {
			uint8_t *a = malloc(len);
			uint32_t val = values[v], old;
			int rc;
			memcpy(a, base, len);
			if (fields[f].width == 2) {
				val = v < 2 ? val : (v == 2 ? 0x7fff : 0xffff);
				old = mc_load_u16le(a + fields[f].off);
				mc_store_u16le(a + fields[f].off, (uint16_t)val);
			} else {
				old = mc_load_u32le(a + fields[f].off);
				mc_store_u32le(a + fields[f].off, val);
			}
			if (old == val) {
				free(a);
				continue;
			}
			mc_error_clear();
			rc = open_and_read(a, len);
			if (rc != MC_ECORRUPT && rc != MC_ELIMIT && rc != MC_EUNSUPPORTED &&
			    rc != MC_EUNSAFE)
				fail_msg("%s = 0x%x: rc %d (%s)", fields[f].what, val, rc,
				         mc_error_last()->msg);
			assert_true(mc_error_last()->msg[0] != '\0');
			assert_string_equal(mc_error_last()->path, "t.zip");
			free(a);
		}
	}
	free(base);
}

/* 2^63 (and other huge values) in the 64-bit fields of zip64 records. */
static void test_hostile_zip64_values(void **state)
{
	tz_entry e[] = {{.name = "a.txt", .data = hello, .len = sizeof(hello) - 1,
	                 .zip64_central = true}};
	tz_opts o = {.zip64_end = true, .saturate_end = true};
	static const uint64_t values[] = {0, 1, 0x7fffffffu, 0xffffffffu, 1ull << 63, UINT64_MAX};
	size_t len;
	uint8_t *base = tz_build(&len, e, 1, &o);
	size_t cd = 30 + 5 + sizeof(hello) - 1, x = cd + 46 + 5 + 4, rec = cd + 46 + 5 + 28;
	struct {
		const char *what;
		size_t off;
	} f64[] = {
		{"zip64 extra size", x},       {"zip64 extra compressed size", x + 8},
		{"zip64 extra offset", x + 16}, {"zip64 record size", rec + 4},
		{"zip64 record entries on disk", rec + 24}, {"zip64 record entries", rec + 32},
		{"zip64 record directory size", rec + 40}, {"zip64 record directory offset", rec + 48},
		{"zip64 locator offset", rec + 56 + 8},
	};

	(void)state;
	assert_int_equal(open_and_read(base, len), 0);
	for (size_t f = 0; f < sizeof(f64) / sizeof(f64[0]); f++) {
		for (size_t v = 0; v < sizeof(values) / sizeof(values[0]); v++) {
			uint8_t *a = malloc(len);
			int rc;
			memcpy(a, base, len);
			if (mc_load_u64le(a + f64[f].off) == values[v]) {
				free(a);
				continue;
			}
			mc_store_u64le(a + f64[f].off, values[v]);
			rc = open_and_read(a, len);
			if (rc != MC_ECORRUPT && rc != MC_ELIMIT && rc != MC_EUNSUPPORTED)
				fail_msg("%s = 0x%llx: rc %d (%s)", f64[f].what,
				         (unsigned long long)values[v], rc, mc_error_last()->msg);
			free(a);
		}
	}
	/* the entry count cap */
	{
		uint8_t *a = malloc(len);
		memcpy(a, base, len);
		mc_store_u64le(a + rec + 24, (uint64_t)MC_ZIP_MAX_ENTRIES + 1);
		mc_store_u64le(a + rec + 32, (uint64_t)MC_ZIP_MAX_ENTRIES + 1);
		tu_assert_fails(open_and_read(a, len), MC_ELIMIT, "over the limit of 1000000");
		mc_store_u64le(a + rec + 24, 1ull << 63);
		mc_store_u64le(a + rec + 32, 1ull << 63);
		tu_assert_fails(open_and_read(a, len), MC_ELIMIT, "9223372036854775808 entries");
		free(a);
	}
	free(base);
}

typedef void (*mutate_fn)(buf *b);

static void m_prefix(buf *b)
{
	/* a pickle glued in front, offsets shifted to still point at the entry */
	static const char pk[] = "\x80\x02" "cos\nsystem\n.";
	size_t n = sizeof(pk) - 1;
	uint8_t *p = malloc(b->n + n);
	memcpy(p, pk, n);
	memcpy(p + n, b->p, b->n);
	free(b->p);
	b->p = p;
	b->n += n;
	mc_store_u32le(b->p + n + C0 + 42, (uint32_t)n);
	mc_store_u32le(b->p + n + E0 + 16, (uint32_t)(C0 + n));
}
static void m_suffix(buf *b) { put(b, "xyz", 3); }
static void m_name(buf *b) { b->p[L0 + 30] = 'b'; }
static void m_crc(buf *b)
{
	mc_store_u32le(b->p + L0 + 14, 0x1234abcd);
	mc_store_u32le(b->p + C0 + 16, 0x1234abcd);
}
static void m_encrypted(buf *b) { b->p[L0 + 6] |= 1; b->p[C0 + 8] |= 1; }
static void m_method(buf *b) { b->p[L0 + 8] = 93; b->p[C0 + 10] = 93; }
static void m_abs(buf *b) { b->p[L0 + 30] = '/'; b->p[C0 + 46] = '/'; }
static void m_dotdot(buf *b) { memcpy(b->p + L0 + 30, "../a/", 5); memcpy(b->p + C0 + 46, "../a/", 5); }
static void m_drive(buf *b) { memcpy(b->p + L0 + 30, "C:", 2); memcpy(b->p + C0 + 46, "C:", 2); }
static void m_backslash(buf *b) { b->p[L0 + 31] = '\\'; b->p[C0 + 47] = '\\'; }
static void m_nul(buf *b) { b->p[L0 + 31] = 0; b->p[C0 + 47] = 0; }
static void m_truncate(buf *b) { b->n -= 1; }
static void m_cut_cd(buf *b)
{
	memmove(b->p + C0 + 20, b->p + E0, 22);
	b->n = C0 + 20 + 22;
}
static void m_local_sig(buf *b) { b->p[L0 + 3] = 5; }
static void m_version(buf *b) { b->p[C0 + 6] = 64; }
static void m_patch(buf *b) { b->p[L0 + 6] |= 0x20; b->p[C0 + 8] |= 0x20; }
static void m_strong(buf *b) { b->p[L0 + 6] |= 0x41; b->p[C0 + 8] |= 0x41; }

static const struct hostile {
	const char *what;
	mutate_fn fn;
	int code;
	const char *fragment;
} hostile[] = {
	{"pickle before the first entry", m_prefix, MC_ECORRUPT, "bytes before the first entry"},
	{"bytes after the end record", m_suffix, MC_ECORRUPT,
	 "3 bytes after the end of central directory record"},
	{"local and central names differ", m_name, MC_ECORRUPT, "local header names the entry 'b.txt'"},
	{"crc mismatch", m_crc, MC_ECORRUPT, "crc-32 mismatch (stored 0x1234abcd, computed 0x"},
	{"encrypted", m_encrypted, MC_EUNSAFE, "encrypted entry"},
	{"strong encryption", m_strong, MC_EUNSAFE, "encrypted entry"},
	{"patch data", m_patch, MC_EUNSUPPORTED, "patch data"},
	{"zstandard", m_method, MC_EUNSUPPORTED, "compression method 93 (zstandard) is not supported"},
	{"absolute name", m_abs, MC_EUNSAFE, "is an absolute path"},
	{"escaping name", m_dotdot, MC_EUNSAFE, "escapes the archive ('..' component)"},
	{"drive letter", m_drive, MC_EUNSAFE, "is an absolute path"},
	{"backslash", m_backslash, MC_EUNSAFE, "contains a backslash"},
	{"nul in name", m_nul, MC_ECORRUPT, "contains a NUL byte"},
	{"truncated by one byte", m_truncate, MC_ECORRUPT, "no end of central directory record"},
	{"central directory cut", m_cut_cd, MC_ECORRUPT, "does not end where the end records start"},
	{"local signature", m_local_sig, MC_ECORRUPT, "no local header at offset 0"},
	{"version 6.4", m_version, MC_EUNSUPPORTED, "newer than 6.3"},
};

static void test_hostile_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		buf b = {0};
		int rc;
		b.p = base_archive(&b.n);
		b.cap = b.n;
		hostile[i].fn(&b);
		rc = open_and_read(b.p, b.n);
		tu_assert_fails_as(hostile[i].what, rc, hostile[i].code, hostile[i].fragment);
		free(b.p);
	}
}

/* Two entries with one name, and two entries sharing bytes. */
static void test_duplicates_and_overlap(void **state)
{
	tz_entry e[] = {{.name = "a.txt", .data = hello, .len = 5},
	                {.name = "a.txt", .data = hello, .len = 6}};
	size_t len;
	uint8_t *a = tz_build(&len, e, 2, NULL);
	mc_zip *z;

	(void)state;
	tu_assert_fails(mc_zip_open(&z, a, len, "t.zip"), MC_ECORRUPT, "duplicate entry name 'a.txt'");
	free(a);

	/* second central entry points at the first local header */
	e[1].name = "b.txt";
	a = tz_build(&len, e, 2, NULL);
	{
		uint8_t *cd = a + mc_load_u32le(a + len - 6);
		uint8_t *c2 = cd + 46 + 5;
		mc_store_u32le(c2 + 42, 0);
		tu_assert_fails(mc_zip_open(&z, a, len, "t.zip"), MC_ECORRUPT,
		                "local header names the entry 'a.txt'");
	}
	free(a);
}

/* ---- the writer --------------------------------------------------------------- */

typedef struct chunks {
	const uint8_t *p;
	size_t n, step;
} chunks;

static int chunk_source(void *ctx, mc_sink_fn sink, void *sink_ctx)
{
	chunks *c = ctx;
	for (size_t i = 0; i < c->n; i += c->step) {
		int rc = sink(sink_ctx, c->p + i, c->n - i < c->step ? c->n - i : c->step);
		if (rc)
			return rc;
	}
	return 0;
}

static uint8_t *write_sample(size_t *len)
{
	static uint8_t big[100000];
	FILE *fp = tmpfile();
	mc_zip_writer *w;
	chunks c;
	uint8_t *out;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i % 251);
	c.p = big;
	c.n = sizeof(big);
	c.step = 4096 + 7;
	assert_non_null(fp);
	assert_int_equal(mc_zip_writer_open(&w, fp, "out.zip"), 0);
	assert_int_equal(mc_zip_writer_add_buffer(w, "a.txt", MC_ZIP_STORED, hello, sizeof(hello) - 1), 0);
	assert_int_equal(mc_zip_writer_add_buffer(w, "dir/b.bin", MC_ZIP_DEFLATED, bytes256, 256), 0);
	assert_int_equal(mc_zip_writer_add(w, "big", MC_ZIP_DEFLATED, sizeof(big), chunk_source, &c), 0);
	assert_int_equal(mc_zip_writer_add(w, "big-stored", MC_ZIP_STORED, sizeof(big), chunk_source, &c), 0);
	assert_int_equal(mc_zip_writer_add_buffer(w, "empty", MC_ZIP_STORED, "", 0), 0);
	assert_int_equal(mc_zip_writer_add_buffer(w, "\xc3\xa9t\xc3\xa9", MC_ZIP_STORED, "x", 1), 0);
	assert_int_equal(mc_zip_writer_finish(w), 0);
	mc_zip_writer_free(w);
	out = tu_read_stream(fp, len);
	fclose(fp);
	return out;
}

static void test_writer_roundtrip(void **state)
{
	size_t len, len2;
	uint8_t *a = write_sample(&len), *b = write_sample(&len2);
	const mc_zip_entry *e;
	mc_zip *z;

	(void)state;
	assert_int_equal(len, len2);
	assert_memory_equal(a, b, len); /* deterministic */
	assert_int_equal(mc_zip_open(&z, a, len, "out.zip"), 0);
	assert_int_equal(mc_zip_count(z), 6);
	assert_int_equal(read_all(z), 0);
	assert_entry_data(z, "a.txt", hello, sizeof(hello) - 1);
	assert_entry_data(z, "dir/b.bin", bytes256, 256);
	assert_int_equal(mc_zip_find(&e, z, "big"), 0);
	assert_int_equal(e->method, MC_ZIP_DEFLATED);
	assert_int_equal(e->size, 100000);
	assert_true(e->comp_size < 100000);
	assert_int_equal(mc_zip_find(&e, z, "\xc3\xa9t\xc3\xa9"), 0);
	assert_int_equal(e->flags, MC_ZIP_FLAG_UTF8);
	assert_int_equal(mc_zip_find(&e, z, "a.txt"), 0);
	assert_int_equal(e->flags, 0);
	/* Python's layout: zip64 local extra, 1980-01-01, version 20, mode 0600 */
	assert_int_equal(mc_load_u16le(a + 4), 20);
	assert_int_equal(mc_load_u16le(a + 10), 0);
	assert_int_equal(mc_load_u16le(a + 12), 0x21);
	assert_int_equal(mc_load_u16le(a + 28), 20);
	assert_int_equal(mc_load_u16le(a + 30 + 5), 1);
	assert_int_equal(mc_load_u64le(a + 30 + 5 + 4), sizeof(hello) - 1);
	mc_zip_free(z);
	free(a);
	free(b);
}

static int short_source(void *ctx, mc_sink_fn sink, void *sink_ctx)
{
	(void)ctx;
	return sink(sink_ctx, (const uint8_t *)"abc", 3);
}

static void test_writer_refuses(void **state)
{
	FILE *fp = tmpfile();
	mc_zip_writer *w;
	int pipefd[2];

	(void)state;
	assert_int_equal(mc_zip_writer_open(&w, fp, "out.zip"), 0);
	tu_assert_fails(mc_zip_writer_add_buffer(w, "../x", 0, "a", 1), MC_EUNSAFE, "escapes");
	tu_assert_fails(mc_zip_writer_add_buffer(w, "/x", 0, "a", 1), MC_EUNSAFE, "absolute");
	tu_assert_fails(mc_zip_writer_add_buffer(w, "a\\x", 0, "a", 1), MC_EUNSAFE, "backslash");
	tu_assert_fails(mc_zip_writer_add_buffer(w, "", 0, "a", 1), MC_ECORRUPT, "empty entry name");
	tu_assert_fails(mc_zip_writer_add_buffer(w, "\xff", 0, "a", 1), MC_EINVAL, "utf-8");
	tu_assert_fails(mc_zip_writer_add_buffer(w, "a", 12, "a", 1), MC_EINVAL, "method 12");
	assert_int_equal(mc_zip_writer_add_buffer(w, "a", 0, "a", 1), 0);
	tu_assert_fails(mc_zip_writer_add_buffer(w, "a", 8, "b", 1), MC_EINVAL, "duplicate entry name 'a'");
	for (int i = 0; i < 200; i++) { /* grows the name set */
		char name[16];
		snprintf(name, sizeof(name), "n%d", i);
		assert_int_equal(mc_zip_writer_add_buffer(w, name, 0, "", 0), 0);
	}
	tu_assert_fails(mc_zip_writer_add_buffer(w, "n150", 0, "", 0), MC_EINVAL, "duplicate");
	tu_assert_fails(mc_zip_writer_add(w, "short", 0, 10, short_source, NULL), MC_EINVAL,
	                "gave 3 bytes but 10 were declared");
	/* a failed writer stays failed */
	tu_assert_fails(mc_zip_writer_finish(w), MC_EINVAL, "already failed");
	mc_zip_writer_free(w);
	mc_zip_writer_free(NULL);
	fclose(fp);

	assert_int_equal(pipe(pipefd), 0);
	fp = fdopen(pipefd[1], "wb");
	tu_assert_fails(mc_zip_writer_open(&w, fp, "pipe"), MC_EIO, "must be seekable");
	assert_null(w);
	fclose(fp);
	close(pipefd[0]);
}

/* ---- testdata/bad/zip ----------------------------------------------------------- */

/* A file of the archive directories: read into memory, opened and read_all. */
static int check_zip(const char *path, const char *name, const char *format)
{
	size_t len;
	uint8_t *data = tu_read_file(path, &len);
	int rc = open_read_all(data, len, name);

	(void)format;
	free(data);
	return rc;
}

static void test_bad_files(void **state)
{
	(void)state;
	tu_check_bad_dir("testdata/bad/zip", NULL, 12, check_zip, NULL);
}

/* The fuzz seeds are valid archives. */
static void test_corpus(void **state)
{
	(void)state;
	tu_check_corpus("tests/fuzz/corpus/zip", 5, check_zip, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numpy_layout),
		cmocka_unit_test(test_deflated),
		cmocka_unit_test(test_torch_layout),
		cmocka_unit_test(test_zip64_extra_fields),
		cmocka_unit_test(test_descriptor64),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_empty_archive),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_ratio_cap),
		cmocka_unit_test(test_hostile_lengths),
		cmocka_unit_test(test_hostile_zip64_values),
		cmocka_unit_test(test_hostile_table),
		cmocka_unit_test(test_duplicates_and_overlap),
		cmocka_unit_test(test_writer_roundtrip),
		cmocka_unit_test(test_writer_refuses),
		cmocka_unit_test(test_bad_files),
		cmocka_unit_test(test_corpus),
	};
	fill_bytes();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
