/* SPDX-License-Identifier: MIT */
/*
 * Helpers the cmocka unit tests share (see testutil.h): shapes, whole files
 * in memory, README code names, markdown table rows, reading and hashing
 * every tensor of a reader, and the checks of a testdata/bad/<fmt>
 * directory against its README and of a fuzz seed directory, the walk
 * over libonnx-testdata's models, a protobuf writer for hand-made ONNX
 * models.  Failures go through cmocka's fail_msg
 * and assertions, so these run inside a test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "format.h"
#include "modelctl.h"
#include "testutil.h"
#include "banned.h"

/* ---- shapes ------------------------------------------------------------- */

mc_shape tu_shape(int ndim, const int64_t *dims)
{
	mc_shape s;
	memset(&s, 0, sizeof(s));
	s.ndim = ndim;
	for (int i = 0; i < ndim; i++)
		s.dims[i] = dims[i];
	return s;
}

/* ---- files ---------------------------------------------------------------- */

uint8_t *tu_read_stream(FILE *fp, size_t *len)
{
	long n;
	uint8_t *p;

	assert_non_null(fp);
	assert_int_equal(fflush(fp), 0);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n >= 0);
	rewind(fp);
	p = malloc((size_t)n + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, fp), (size_t)n);
	*len = (size_t)n;
	return p;
}

uint8_t *tu_read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *p;

	if (!fp)
		fail_msg("cannot open %s", path);
	p = tu_read_stream(fp, len);
	fclose(fp);
	return p;
}

/* ---- errors --------------------------------------------------------------- */

int tu_code_of(const char *name)
{
	static const struct {
		const char *word, *macro;
		int code;
	} codes[] = {
		{"corrupt", "MC_ECORRUPT", MC_ECORRUPT},
		{"unsafe", "MC_EUNSAFE", MC_EUNSAFE},
		{"unsupported", "MC_EUNSUPPORTED", MC_EUNSUPPORTED},
		{"limit", "MC_ELIMIT", MC_ELIMIT},
	};

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(name, codes[i].word) == 0 || strcmp(name, codes[i].macro) == 0)
			return codes[i].code;
	fail_msg("unknown code '%s' in README", name);
	return 0;
}

void tu_assert_fails_at(int rc, int code, const char *fragment, const char *what, const char *file,
                        int line)
{
	if (rc == code && strstr(mc_error_last()->msg, fragment))
		return;
	print_error("%s%sexpected %d '%s', got %d '%s'\n", what ? what : "", what ? ": " : "", code,
	            fragment, rc, mc_error_last()->msg);
	_fail(file, line);
}

/* ---- readers ---------------------------------------------------------------- */

int tu_read_all(mc_reader *r)
{
	int rc = 0;

	for (size_t i = 0; i < mc_reader_count(r) && !rc; i++) {
		mc_view v;
		uint8_t h[32];
		rc = mc_reader_read(r, i, &v);
		if (!rc)
			rc = mc_view_sha256(h, &v);
		mc_view_release(&v);
	}
	return rc;
}

int tu_open_read_all(const uint8_t *data, size_t len, const char *name, const char *format)
{
	mc_reader *r;
	int rc = mc_reader_open_memory(&r, data, len, name, format);

	if (rc)
		return rc;
	rc = tu_read_all(r);
	mc_reader_close(r);
	return rc;
}

int tu_load_read_all(const char *path, const char *name, const char *format)
{
	size_t len;
	uint8_t *data = tu_read_file(path, &len);
	int rc = tu_open_read_all(data, len, name, format);

	free(data);
	return rc;
}

int tu_path_read_all(const char *path, const char *name, const char *format)
{
	mc_reader *r = NULL;
	int rc = mc_reader_open_as(&r, path, format);

	(void)name;
	if (rc)
		return rc;
	assert_non_null(r);
	rc = tu_read_all(r);
	mc_reader_close(r);
	return rc;
}

/* ---- README tables and directories ------------------------------------------ */

/* One cell: between the first pair of backticks, or trimmed; "\|" is "|". */
static void cell(char *out, const char *s, size_t n)
{
	const char *a = memchr(s, '`', n), *b = a ? memchr(a + 1, '`', n - (size_t)(a + 1 - s)) : NULL;
	size_t k = 0;

	if (a && b) {
		s = a + 1;
		n = (size_t)(b - s);
	} else {
		while (n && *s == ' ')
			s++, n--;
		while (n && s[n - 1] == ' ')
			n--;
	}
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 1 < n && s[i + 1] == '|')
			i++;
		if (k + 1 >= TU_CELL_SIZE)
			fail_msg("table cell longer than %d bytes: %.*s", TU_CELL_SIZE - 1, (int)n, s);
		out[k++] = s[i];
	}
	out[k] = '\0';
}

int tu_table_row(const char *line, char cells[][TU_CELL_SIZE], int max)
{
	const char *start, *p;
	int n = 0;

	if (line[0] != '|')
		return -1;
	start = line + 1;
	for (p = start; *p; p++) {
		if (*p != '|' || p[-1] == '\\')
			continue;
		if (n == max)
			fail_msg("table row has more than %d cells: %s", max, line);
		cell(cells[n++], start, (size_t)(p - start));
		start = p + 1;
	}
	/* after the closing '|' only the end of the line */
	if (start[strspn(start, " \t\r\n")] != '\0')
		fail_msg("table row does not end with '|': %s", line);
	return n;
}

/* The index of the cell called `name`; the test fails when there is none. */
static int column_named(char cells[][TU_CELL_SIZE], int n, const char *name, const char *readme)
{
	for (int i = 0; i < n; i++)
		if (strcmp(cells[i], name) == 0)
			return i;
	fail_msg("%s: the table has no '%s' column", readme, name);
	return -1;
}

static bool is_separator(char cells[][TU_CELL_SIZE], int n)
{
	for (int i = 0; i < n; i++)
		if (!cells[i][0] || cells[i][strspn(cells[i], "-:")] != '\0')
			return false;
	return n > 0;
}

enum { TU_MAX_ROWS = 256, TU_NAME_SIZE = 256 };

void tu_check_bad_dir(const char *dir, const char *suffix, size_t min_rows, tu_check_fn check,
                      const char *format)
{
	char readme[1024], path[1024], line[2048], err[2048];
	char cells[TU_MAX_CELLS][TU_CELL_SIZE];
	static char listed[TU_MAX_ROWS][TU_NAME_SIZE];
	int ncols = 0, c_file = -1, c_code = -1, c_frag = -1;
	enum { OUTSIDE, HEADER, BODY } where = OUTSIDE;
	size_t rows = 0, files = 0;
	FILE *fp;
	DIR *d;
	struct dirent *de;

	snprintf(readme, sizeof(readme), "%s/%s/README.md", MC_SOURCE_DIR, dir);
	fp = fopen(readme, "r");
	if (!fp)
		fail_msg("cannot open %s", readme);
	while (fgets(line, sizeof(line), fp)) {
		int n, rc, code;
		const char *file;

		if (!strchr(line, '\n') && !feof(fp))
			fail_msg("%s: line longer than %zu bytes", readme, sizeof(line) - 2);
		n = tu_table_row(line, cells, TU_MAX_CELLS);
		if (n < 0) {
			where = OUTSIDE;
			continue;
		}
		if (where == OUTSIDE) { /* the header row names the columns */
			ncols = n;
			c_file = column_named(cells, n, "file", readme);
			c_code = column_named(cells, n, "code", readme);
			c_frag = column_named(cells, n, "message fragment", readme);
			where = HEADER;
			continue;
		}
		if (n != ncols)
			fail_msg("%s: row of %d cells in a table of %d columns: %s", readme, n, ncols, line);
		if (where == HEADER) {
			if (!is_separator(cells, n))
				fail_msg("%s: no separator row after the header: %s", readme, line);
			where = BODY;
			continue;
		}
		file = cells[c_file];
		code = tu_code_of(cells[c_code]);
		if (!file[0] || !cells[c_frag][0])
			fail_msg("%s: row without a file or a fragment: %s", readme, line);
		if (strlen(file) >= TU_NAME_SIZE || rows >= TU_MAX_ROWS)
			fail_msg("%s: too many rows or too long a name: %s", readme, file);
		for (size_t i = 0; i < rows; i++)
			if (strcmp(listed[i], file) == 0)
				fail_msg("%s: %s has two rows", readme, file);
		memcpy(listed[rows], file, strlen(file) + 1);
		if ((size_t)snprintf(path, sizeof(path), "%s/%s/%s", MC_SOURCE_DIR, dir, file) >= sizeof(path))
			fail_msg("%s: path too long", file);
		mc_error_clear();
		rc = check(path, file, format);
		if (rc != code || !strstr(mc_error_last()->msg, cells[c_frag])) {
			fclose(fp);
			fail_msg("%s: expected %s '%s', got %d (%s): %s", file, cells[c_code], cells[c_frag], rc,
			         mc_error_name(rc), mc_error_format(err, sizeof(err), mc_error_last()));
		}
		rows++;
	}
	fclose(fp);

	/* every file of the directory has its row */
	snprintf(path, sizeof(path), "%s/%s", MC_SOURCE_DIR, dir);
	d = opendir(path);
	if (!d)
		fail_msg("cannot open directory %s", path);
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name), k = suffix ? strlen(suffix) : 0;
		bool found = false;
		if (de->d_name[0] == '.' || strcmp(de->d_name, "README.md") == 0)
			continue;
		if (suffix && (n < k || strcmp(de->d_name + n - k, suffix) != 0))
			continue;
		for (size_t i = 0; i < rows && !found; i++)
			found = strcmp(listed[i], de->d_name) == 0;
		if (!found) {
			char name[TU_NAME_SIZE];
			snprintf(name, sizeof(name), "%s", de->d_name);
			closedir(d);
			fail_msg("%s/%s is not listed in %s", dir, name, readme);
		}
		files++;
	}
	closedir(d);
	assert_int_equal(rows, files);
	assert_true(rows >= min_rows);
}

void tu_check_corpus(const char *dir, size_t min_files, tu_check_fn check, const char *format)
{
	char path[1024], err[2048];
	size_t n = 0;
	DIR *d;
	struct dirent *de;

	snprintf(path, sizeof(path), "%s/%s", MC_SOURCE_DIR, dir);
	d = opendir(path);
	if (!d)
		fail_msg("cannot open directory %s", path);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/%s", MC_SOURCE_DIR, dir, de->d_name);
		mc_error_clear();
		if (check(path, de->d_name, format) != 0) {
			mc_error_format(err, sizeof(err), mc_error_last());
			closedir(d);
			fail_msg("%s is refused: %s", path, err);
		}
		n++;
	}
	closedir(d);
	assert_true(n >= min_files);
}

/* ---- libonnx-testdata ---------------------------------------------------------- */

size_t tu_each_libonnx_model(void (*fn)(const char *path, void *ctx), void *ctx)
{
	static const char *dirs[] = {"node", "simple", "pytorch-converted", "pytorch-operator"};
	size_t models = 0;
	struct stat st;

	if (stat(TU_LIBONNX_TESTDATA, &st) != 0) {
		print_message("%s is absent (apt-get install libonnx-testdata): skipped\n",
		              TU_LIBONNX_TESTDATA);
		skip();
	}
	for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
		char dir[512];
		DIR *dp;
		struct dirent *e;
		snprintf(dir, sizeof(dir), "%s/%s", TU_LIBONNX_TESTDATA, dirs[d]);
		if (!(dp = opendir(dir)))
			continue;
		while ((e = readdir(dp)) != NULL) {
			char path[1024];
			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s/model.onnx", dir, e->d_name);
			if (stat(path, &st) != 0)
				continue;
			fn(path, ctx);
			models++;
		}
		closedir(dp);
	}
	return models;
}

/* ---- a protobuf writer for hand-made models ---------------------------------------- */

void tu_pb_release(tu_pb *p)
{
	if (!p)
		return;
	free(p->b);
	memset(p, 0, sizeof(*p));
}

void tu_pb_raw(tu_pb *p, const void *d, size_t n)
{
	if (n > p->cap - p->n) {
		p->cap = (p->n + n) * 2;
		assert_non_null(p->b = realloc(p->b, p->cap));
	}
	if (n) /* an empty message has no buffer to copy from */
		memcpy(p->b + p->n, d, n);
	p->n += n;
}

void tu_pb_varint(tu_pb *p, uint64_t v)
{
	do {
		uint8_t byte = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		tu_pb_raw(p, &byte, 1);
		v >>= 7;
	} while (v);
}

void tu_pb_key(tu_pb *p, uint32_t field, int wire)
{
	tu_pb_varint(p, (uint64_t)field << 3 | (uint64_t)wire);
}

void tu_pb_int(tu_pb *p, uint32_t field, uint64_t v)
{
	tu_pb_key(p, field, TU_PB_VARINT);
	tu_pb_varint(p, v);
}

void tu_pb_bytes(tu_pb *p, uint32_t field, const void *d, size_t n)
{
	tu_pb_key(p, field, TU_PB_LEN);
	tu_pb_varint(p, n);
	tu_pb_raw(p, d, n);
}

void tu_pb_str(tu_pb *p, uint32_t field, const char *s) { tu_pb_bytes(p, field, s, strlen(s)); }

void tu_pb_msg(tu_pb *p, uint32_t field, tu_pb *m)
{
	tu_pb_bytes(p, field, m->b, m->n);
	tu_pb_release(m);
}

void tu_pb_onnx_node(tu_pb *graph, const char *in, const char *out, const char *name,
                     const char *op)
{
	tu_pb node = TU_PB_INIT;

	tu_pb_str(&node, 1, in);
	tu_pb_str(&node, 2, out);
	if (name)
		tu_pb_str(&node, 3, name);
	tu_pb_str(&node, 4, op);
	tu_pb_msg(graph, 1, &node);
}

void tu_pb_onnx_model(tu_pb *out, tu_pb *graph)
{
	tu_pb opset = TU_PB_INIT;

	tu_pb_int(&opset, 2, 13);
	tu_pb_int(out, 1, 8);
	tu_pb_msg(out, 8, &opset);
	tu_pb_msg(out, 7, graph);
}
