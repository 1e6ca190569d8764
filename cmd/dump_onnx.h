/* SPDX-License-Identifier: MIT */
/*
 * What the pieces of `modelctl dump` for ONNX models share, and nothing
 * else sees.  dump_onnx.c owns the command: it selects and hashes the
 * initializers and prints a view only once all of it could be made.
 * dump_onnx_util.c owns what more than one view needs: the escaping of
 * strings from the file for each medium, the elements of small constants,
 * the text of types and shapes, names looked up in a graph.
 * dump_onnx_text.c, dump_onnx_json.c and dump_onnx_dot.c own one view each.
 */
#ifndef MC_DUMP_ONNX_H
#define MC_DUMP_ONNX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "modelctl.h"
#include "onnx.h"

/* ---- the dump (dump_onnx.c) ---------------------------------------------- */

/* One dump: the model, what --key selects, and what went wrong.  A view
 * that fails sets `failed` or `nomem` and stops; the error is reported
 * once, at the end. */
typedef struct ox {
	mc_reader *r;
	const mc_onnx_model *m;
	const Onnx__ModelProto *mp;
	const Onnx__GraphProto *g; /* the main graph */
	const char *file;
	const char *key;
	mc_selection sel;          /* the initializers --key selects */
	uint8_t (*sha)[32];        /* per selected initializer, with --hash */
	bool failed;               /* a read failed; mc_error_last() says why */
	bool nomem;
	size_t next_cluster;       /* dot: numbers subgraphs */
} ox;

/* ---- the views (dump_onnx_text.c, dump_onnx_json.c, dump_onnx_dot.c) ----- */

/* Text and dot write to `out`, a memory stream that dump_onnx() prints
 * only when neither d->failed nor d->nomem was set. */
void dox_text_view(ox *d, FILE *out);
void dox_dot_view(ox *d, FILE *out);
/* JSON prints the report, or the error, itself; returns the exit code. */
int dox_json_view(ox *d);

/* ---- strings from the file (dump_onnx_util.c) ---------------------------- */

/* s, or "" for NULL (protobuf-c leaves absent strings NULL). */
static inline const char *dox_str(const char *s)
{
	return s ? s : "";
}

/* Whether an operator or opset domain is ONNX's own ("", "ai.onnx"). */
static inline bool dox_default_domain(const char *d)
{
	return !d || !d[0] || strcmp(d, "ai.onnx") == 0;
}

/* Whether n bytes at p are well-formed UTF-8 throughout. */
bool dox_utf8_valid(const uint8_t *p, size_t n);
/* Write n bytes of s for a terminal: control bytes and bytes that are not
 * UTF-8 as \xNN, so a name cannot break a line or move the cursor.  With
 * max > 0, stops at a character boundary before max bytes and adds "…". */
void dox_put_esc(FILE *out, const char *s, size_t n, size_t max);
/* dox_put_esc of the whole string s (NULL as ""). */
void dox_put_name(FILE *out, const char *s);
/* s as a DOT quoted string's content: quotes and backslashes escaped,
 * control bytes and bytes that are not UTF-8 shown as \xNN (the backslash
 * itself escaped, so Graphviz prints it rather than reading an escape). */
void dox_dot_esc(FILE *out, const char *s);
/* A copy of n bytes of s (the caller frees it) with every byte that is not
 * UTF-8 replaced by U+FFFD: protobuf-c does not check that string fields
 * are UTF-8, and the report must stay valid JSON.  NULL when out of memory. */
char *dox_utf8_clean(const char *s, size_t n);

/* ---- small tensors and their elements (dump_onnx_util.c) ----------------- */

/* What a tensor attribute shows: its type and shape, and its elements when
 * it has few and modelctl reads its dtype. */
typedef struct dox_small_tensor {
	const char *dtype;    /* the contract's name, ONNX's own, or NULL */
	const int64_t *dims;
	size_t ndims;
	mc_dtype dt;          /* MC_DTYPE_INVALID: no elements */
	uint8_t *data;        /* dense, little-endian; owned, NULL when not read */
	size_t n;             /* elements in data */
} dox_small_tensor;

/* Reads the elements of a small tensor into *out (dims borrowed from t,
 * data owned: release it).  A dtype modelctl has no name for leaves them
 * out; data that does not match its shape is an error (the file is
 * refused, as a bad initializer is).  Returns 0 or a negative code. */
int dox_small_tensor_load(dox_small_tensor *out, const ox *d, const Onnx__TensorProto *t);
void dox_small_tensor_release(dox_small_tensor *t);

/* What an element's text is: a number, a boolean, or a word that JSON has
 * no number for ("nan", "inf", "?"). */
enum { DOX_ELEM_NUMBER, DOX_ELEM_BOOL, DOX_ELEM_NONFINITE };

/* One element of a real dtype as text: "3", "-0.5", "true", "nan".
 * Returns its DOX_ELEM_* kind. */
int dox_elem_text(char *buf, size_t size, mc_dtype dt, const uint8_t *p);
/* Bytes one element of a small tensor takes (4-bit ones are unpacked to a
 * byte each by dox_small_tensor_load). */
size_t dox_elem_width(mc_dtype dt);
/* A float attribute as text: "0.5", "nan", "inf", "-inf". */
void dox_float_text(char *buf, size_t size, float f);
/* The part dtype of a complex dtype, or MC_DTYPE_INVALID. */
mc_dtype dox_complex_part(mc_dtype dt);

/* ---- types and shapes (dump_onnx_util.c) --------------------------------- */

/* "[batch, 3, ?, 4]" for a tensor type with a shape, "?" without one;
 * cut with "..." to fit.  Returns buf. */
const char *dox_shape_text(char *buf, size_t size, const mc_onnx_tensor_type *tt);
/* The dtype and shape of a value's type for people: "float32" and
 * "[batch, 3]"; a type that is not a tensor's in the dtype alone
 * ("seq(tensor(float32))"), a missing one as "?". */
void dox_type_cols(char *dt, size_t dts, char *sh, size_t shs, const Onnx__TypeProto *tp);

/* ---- names in a graph (dump_onnx_util.c) --------------------------------- */

/* Where a value comes from in one graph. */
enum { DOX_MADE_BY_INPUT, DOX_MADE_BY_NODE };

/* Names looked up while drawing: which node or graph input makes a value,
 * its ValueInfoProto, the initializers.  Sorted by name, then by position,
 * so the first of a name given twice is found. */
typedef struct dox_name_ref {
	const char *name;
	size_t pos;      /* order in the graph: the first of a name wins */
	int kind;        /* made: DOX_MADE_BY_INPUT or DOX_MADE_BY_NODE */
	size_t index;    /* made: the input's or the node's index */
	const void *ptr; /* info: the ValueInfoProto */
} dox_name_ref;

typedef struct dox_name_index {
	dox_name_ref *v;
	size_t n;
} dox_name_index;

/* The order of an index, for qsort: by name, then by position. */
int dox_name_ref_cmp(const void *pa, const void *pb);
/* The first entry named `name`, or NULL; borrowed from x. */
const dox_name_ref *dox_name_find(const dox_name_index *x, const char *name);
/* Frees the entries and leaves x empty. */
void dox_name_index_release(dox_name_index *x);
/* The initializers of g by name, into *out (release it; empty on failure).
 * Returns 0 or MC_ENOMEM. */
int dox_index_initializers(dox_name_index *out, const Onnx__GraphProto *g);
/* Whether a graph input is an initializer (models before IR 4 list every
 * initializer among the inputs too): the main graph's by the model's own
 * index, a subgraph's by `inits`. */
bool dox_is_initializer(const ox *d, const dox_name_index *inits, const char *name);
/* The graphs an attribute holds (If's branches, Loop's and Scan's bodies):
 * their count, and in *out an array borrowed from a. */
size_t dox_attr_graphs(const Onnx__AttributeProto *a, Onnx__GraphProto *const **out);
/* Whether an attribute holds a graph or graphs. */
bool dox_is_graph_attr(const Onnx__AttributeProto *a);
/* "Conv", or for another domain than ONNX's own "com.microsoft.FusedConv",
 * as ONNX's operator documents name them. */
void dox_op_name(char *buf, size_t size, const Onnx__NodeProto *n);

#endif
