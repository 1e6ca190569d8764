/* SPDX-License-Identifier: MIT */
/*
 * Helpers the cmocka unit tests share, compiled into every tests/unit
 * executable: shapes from a list of dims, whole files read into memory,
 * README code names ("corrupt", "MC_ECORRUPT", ...) mapped to MC_E* codes,
 * cells of a markdown table row, "open, read and hash every tensor", an
 * assertion that a call failed with a code and a message fragment, and the
 * two directory checks the format tests run: every file of a
 * testdata/bad/<fmt> directory is refused as its README row says (columns
 * found by the header row's names), and every fuzz seed is accepted; a
 * walk over the models of Debian's libonnx-testdata.  They fail (or skip)
 * the running test through cmocka, so they may only be called from one.
 */
#ifndef MC_TESTUTIL_H
#define MC_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "modelctl.h"

/* ---- shapes ------------------------------------------------------------- */

/* A shape of `ndim` dims from `dims` (NULL when ndim is 0), the rest zero. */
mc_shape tu_shape(int ndim, const int64_t *dims);
#define TU_SHAPE(...) \
	tu_shape((int)(sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t)), (int64_t[]){__VA_ARGS__})

/* ---- files ---------------------------------------------------------------- */

/* All of an open stream, from its start, in a malloc'd buffer (one spare
 * byte); the stream stays open. */
uint8_t *tu_read_stream(FILE *fp, size_t *len);
/* A whole file in a malloc'd buffer (one spare byte). */
uint8_t *tu_read_file(const char *path, size_t *len);

/* ---- errors --------------------------------------------------------------- */

/* The MC_E* code a README names, as "corrupt" or "MC_ECORRUPT" (likewise
 * unsafe, unsupported, limit); any other name fails the test. */
int tu_code_of(const char *name);

/* Fail unless rc is `code` and the last error's message contains
 * `fragment`; `what` (or NULL) names the case in the failure. */
void tu_assert_fails_at(int rc, int code, const char *fragment, const char *what, const char *file,
                        int line);
#define tu_assert_fails(rc, code, fragment) \
	tu_assert_fails_at((rc), (code), (fragment), NULL, __FILE__, __LINE__)
#define tu_assert_fails_as(what, rc, code, fragment) \
	tu_assert_fails_at((rc), (code), (fragment), (what), __FILE__, __LINE__)

/* ---- readers ---------------------------------------------------------------- */

/* Read and hash every tensor of `r`; 0 or the first failure. */
int tu_read_all(mc_reader *r);
/* Open a buffer as `format` (NULL sniffs), named `name` in messages, then
 * tu_read_all; 0 or the first failure. */
int tu_open_read_all(const uint8_t *data, size_t len, const char *name, const char *format);

/* A check of one file for the directory walks below: 0 when accepted, or
 * the code it was refused with (the message in mc_error_last()). */
typedef int (*tu_check_fn)(const char *path, const char *name, const char *format);
/* Read the file into memory and tu_open_read_all it under `name`. */
int tu_load_read_all(const char *path, const char *name, const char *format);
/* Open the file itself (mapped) with mc_reader_open_as, then tu_read_all. */
int tu_path_read_all(const char *path, const char *name, const char *format);

/* ---- README tables and directories ------------------------------------------ */

#define TU_MAX_CELLS 8
#define TU_CELL_SIZE 512

/* Split a markdown table row "| a | b |" into its cells: the text between
 * the first pair of backticks, or else the text trimmed of spaces; "\|"
 * stands for "|".  Returns the number of cells (at most `max`; a longer
 * row fails), or -1 when the line is not a table row. */
int tu_table_row(const char *line, char cells[][TU_CELL_SIZE], int max);

/* Every row of MC_SOURCE_DIR/dir/README.md (its table has columns named
 * "file", "code" and "message fragment", in any order) names a file that
 * `check` refuses with that code and a message containing the fragment;
 * every file of the directory (but README.md and dot files; only names
 * ending in `suffix` when it is not NULL) has exactly one row; and there
 * are at least `min_rows` rows. */
void tu_check_bad_dir(const char *dir, const char *suffix, size_t min_rows, tu_check_fn check,
                      const char *format);

/* Every file of MC_SOURCE_DIR/dir (but dot files) passes `check`, and
 * there are at least `min_files`. */
void tu_check_corpus(const char *dir, size_t min_files, tu_check_fn check, const char *format);

/* ---- libonnx-testdata ---------------------------------------------------------- */

/* Where Debian's libonnx-testdata puts its models. */
#define TU_LIBONNX_TESTDATA "/usr/share/libonnx-testdata/data"

/* Call fn(path, ctx) for every <test>/model.onnx of libonnx-testdata's
 * node, simple, pytorch-converted and pytorch-operator directories, and
 * return how many there were.  When TU_LIBONNX_TESTDATA is absent, says so
 * and skips the running test (it does not return). */
size_t tu_each_libonnx_model(void (*fn)(const char *path, void *ctx), void *ctx);

#endif
