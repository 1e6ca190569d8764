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
 * walk over the models of Debian's libonnx-testdata; a protobuf writer
 * for hand-made ONNX models.  They fail (or skip) the running test through
 * cmocka, so they may only be called from one.
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

/* ---- a protobuf writer for hand-made models ---------------------------------------- */

/* The bytes of a protobuf message written field by field, for models the
 * library's encoder and onnx's helpers would not make (lengths past the
 * end, problems the checker must find).  b[0..n) in a buffer of cap bytes
 * that grows as fields are added: start from {0} (or TU_PB_INIT) and free
 * with tu_pb_release. */
typedef struct tu_pb {
	uint8_t *b;
	size_t n, cap;
} tu_pb;

#define TU_PB_INIT {NULL, 0, 0}

/* The wire types a key names. */
enum { TU_PB_VARINT = 0, TU_PB_LEN = 2 };

/* Free the buffer and leave the message empty; NULL is accepted. */
void tu_pb_release(tu_pb *p);

/* Append n bytes as they are. */
void tu_pb_raw(tu_pb *p, const void *d, size_t n);
/* Append v as a base-128 varint. */
void tu_pb_varint(tu_pb *p, uint64_t v);
/* Append the key of `field` with wire type `wire` (TU_PB_*). */
void tu_pb_key(tu_pb *p, uint32_t field, int wire);
/* Append `field` as a varint. */
void tu_pb_int(tu_pb *p, uint32_t field, uint64_t v);
/* Append `field` as length-delimited bytes. */
void tu_pb_bytes(tu_pb *p, uint32_t field, const void *d, size_t n);
/* Append `field` as a string, without its NUL. */
void tu_pb_str(tu_pb *p, uint32_t field, const char *s);
/* Append message m as `field` and release m: nested messages are built
 * inner first and each handed to its parent. */
void tu_pb_msg(tu_pb *p, uint32_t field, tu_pb *m);

/* Append to `graph` (a GraphProto) a NodeProto of op_type `op` reading
 * `in`, writing `out` and named `name` (NULL: no name). */
void tu_pb_onnx_node(tu_pb *graph, const char *in, const char *out, const char *name,
                     const char *op);
/* Append to `out` a ModelProto of IR version 8 that imports ai.onnx opset
 * 13 and holds `graph` (released). */
void tu_pb_onnx_model(tu_pb *out, tu_pb *graph);

#endif
