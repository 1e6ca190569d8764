/* SPDX-License-Identifier: MIT */
/*
 * modelctl dump for ONNX models: what Netron's side panel and polygraphy's
 * `inspect model` show, in three forms.  Text: IR and opset versions,
 * producer, metadata, graph inputs and outputs with their symbolic dims,
 * the initializers' totals, an operator histogram, every node in file order
 * with its inputs, outputs and attributes (subgraph bodies indented under
 * their node), and the initializer table the checkpoint view prints.  JSON:
 * the contract's shape (design.md, "dump").  Dot: the graph for Graphviz,
 * subgraphs as clusters.  Text and dot are written to memory first and JSON
 * is built as a tree, so a read that fails (a hash, a small constant's
 * elements) refuses the file before anything reaches stdout.  Strings from
 * the file are escaped for the medium: control bytes and bytes that are not
 * UTF-8 never reach a terminal or a DOT file raw, and JSON stays valid.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "onnx.h"
#include "banned.h"

/* A tensor attribute's elements are shown when it has at most this many:
 * enough for the shapes, axes and scalars that Constant nodes hold, small
 * enough that reading them costs nothing. */
#define SMALL_TENSOR 16
/* Text shows lists of up to LIST_MAX items whole, longer ones as their first
 * LIST_HEAD items and a count (JSON keeps them whole). */
#define LIST_MAX 16
#define LIST_HEAD 8
/* Text shortens string attributes and the model's doc string to this many
 * bytes. */
#define TEXT_STR_MAX 80

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

static const char *str(const char *s)
{
	return s ? s : "";
}

static bool default_domain(const char *d)
{
	return !d || !d[0] || strcmp(d, "ai.onnx") == 0;
}

/* ---- strings from the file ----------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at p, or 0 (overlong forms,
 * surrogates and code points past U+10FFFF are not well-formed). */
static size_t utf8_seq(const uint8_t *p, size_t n)
{
	uint32_t c;
	size_t len;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, c = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, c = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, c = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if (len == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff)))
		return 0;
	if (len == 4 && (c < 0x10000 || c > 0x10ffff))
		return 0;
	return len;
}

static bool utf8_valid(const uint8_t *p, size_t n)
{
	for (size_t i = 0, k; i < n; i += k)
		if (!(k = utf8_seq(p + i, n - i)))
			return false;
	return true;
}

/* Write n bytes of s for a terminal: control bytes and bytes that are not
 * UTF-8 as \xNN, so a name cannot break a line or move the cursor.  With
 * max > 0, stops at a character boundary before max bytes and adds "…". */
static void put_esc(FILE *out, const char *s, size_t n, size_t max)
{
	const uint8_t *p = (const uint8_t *)s;

	for (size_t i = 0, k; i < n; i += k) {
		k = utf8_seq(p + i, n - i);
		if (max && i + (k ? k : 1) > max) {
			fputs("…", out);
			return;
		}
		if (k == 1 && (p[i] < 0x20 || p[i] == 0x7f))
			fprintf(out, "\\x%02x", p[i]);
		else if (k)
			fwrite(p + i, 1, k, out);
		else
			fprintf(out, "\\x%02x", p[i]);
		if (!k)
			k = 1;
	}
}

static void put_name(FILE *out, const char *s)
{
	put_esc(out, str(s), strlen(str(s)), 0);
}

/* s as a DOT quoted string's content: quotes and backslashes escaped,
 * control bytes and bytes that are not UTF-8 shown as \xNN (the backslash
 * itself escaped, so Graphviz prints it rather than reading an escape). */
static void dot_esc(FILE *out, const char *s)
{
	const uint8_t *p = (const uint8_t *)str(s);
	size_t n = strlen((const char *)p);

	for (size_t i = 0, k; i < n; i += k) {
		k = utf8_seq(p + i, n - i);
		if (k == 1 && (p[i] == '"' || p[i] == '\\'))
			fprintf(out, "\\%c", p[i]);
		else if (k == 1 && (p[i] < 0x20 || p[i] == 0x7f))
			fprintf(out, "\\\\x%02x", p[i]);
		else if (k)
			fwrite(p + i, 1, k, out);
		else
			fprintf(out, "\\\\x%02x", p[i]);
		if (!k)
			k = 1;
	}
}

/* A copy of n bytes of s (the caller frees it) with every byte that is not
 * UTF-8 replaced by U+FFFD: protobuf-c does not check that string fields
 * are UTF-8, and the report must stay valid JSON. */
static char *utf8_clean(const char *s, size_t n)
{
	const uint8_t *p = (const uint8_t *)s;
	char *out = malloc(3 * n + 1);
	size_t j = 0;

	if (!out)
		return NULL;
	for (size_t i = 0, k; i < n; i += k) {
		k = utf8_seq(p + i, n - i);
		if (k) {
			memcpy(out + j, p + i, k);
			j += k;
		} else {
			memcpy(out + j, "\xef\xbf\xbd", 3);
			j += 3;
			k = 1;
		}
	}
	out[j] = '\0';
	return out;
}

/* ---- small tensors and their elements ------------------------------------ */

/* What a tensor attribute shows: its type and shape, and its elements when
 * it has few and modelctl reads its dtype. */
typedef struct small_tensor {
	const char *dtype;    /* the contract's name, ONNX's own, or NULL */
	const int64_t *dims;
	size_t ndims;
	mc_dtype dt;          /* MC_DTYPE_INVALID: no elements */
	uint8_t *data;        /* dense, little-endian; owned, NULL when not read */
	size_t n;             /* elements in data */
} small_tensor;

static void small_tensor_release(small_tensor *t)
{
	free(t->data);
	t->data = NULL;
}

/* Reads the elements of a small tensor.  A dtype modelctl has no name for
 * leaves them out; data that does not match its shape is an error (the file
 * is refused, as a bad initializer is). */
static int small_tensor_load(small_tensor *out, const ox *d, const Onnx__TensorProto *t)
{
	mc_tensor_info info;
	uint64_t numel;
	mc_view v;
	size_t len;
	int rc;

	memset(out, 0, sizeof(*out));
	out->dtype = mc_onnx_type_name(t->has_data_type ? t->data_type : 0);
	out->dims = t->dims;
	out->ndims = t->n_dims;
	rc = mc_onnx_tensor_info(&info, d->m, t);
	if (rc == MC_EUNSUPPORTED)
		return 0;
	if (rc)
		return rc;
	if (mc_shape_numel(&numel, &info.shape) != 0 || numel > SMALL_TENSOR)
		return 0;
	rc = mc_onnx_tensor_read(d->m, t, &v);
	if (rc == MC_EUNSUPPORTED)
		return 0;
	if (rc)
		return rc;
	rc = mc_view_to_dense(&out->data, &len, &v);
	mc_view_release(&v);
	if (rc)
		return rc;
	out->dt = info.dtype;
	out->n = (size_t)numel;
	return 0;
}

static uint64_t le_bits(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = n; i-- > 0;)
		v = v << 8 | p[i];
	return v;
}

enum { ELEM_NUMBER, ELEM_BOOL, ELEM_NONFINITE };

/* The bits of the narrow float type dt nearest to f. */
static uint64_t narrow_bits(mc_dtype dt, float f)
{
	switch (dt) {
	case MC_FLOAT16: return mc_f32_to_f16(f);
	case MC_BFLOAT16: return mc_f32_to_bf16(f);
	case MC_FLOAT8_E4M3FN: return mc_f32_to_f8e4m3fn(f, false);
	case MC_FLOAT8_E5M2: return mc_f32_to_f8e5m2(f, false);
	default: return 0;
	}
}

/* A finite float16, bfloat16 or float8 value as the shortest text that
 * reads back as the same bits of its own type, as numpy prints a float16:
 * 0.1, not the 0.099975586 its float32 value would print as. */
static void narrow_text(char *buf, size_t size, mc_dtype dt, uint64_t bits, float f)
{
	for (int prec = 1; prec <= 9; prec++) {
		snprintf(buf, size, "%.*g", prec, f);
		if (narrow_bits(dt, strtof(buf, NULL)) == bits)
			break;
	}
	if (!strpbrk(buf, ".e")) {
		size_t n = strlen(buf);
		if (n + 2 < size)
			memcpy(buf + n, ".0", 3);
	}
}

/* One element of a real dtype as text: "3", "-0.5", "true", "nan". */
static int elem_text(char *buf, size_t size, mc_dtype dt, const uint8_t *p)
{
	uint64_t b = le_bits(p, mc_dtype_size(dt));
	uint32_t b32;
	double x;
	float f;

	switch (dt) {
	case MC_BOOL: snprintf(buf, size, "%s", b ? "true" : "false"); return ELEM_BOOL;
	case MC_INT8: snprintf(buf, size, "%d", (int)(int8_t)(uint8_t)b); return ELEM_NUMBER;
	case MC_INT16: snprintf(buf, size, "%d", (int)(int16_t)(uint16_t)b); return ELEM_NUMBER;
	case MC_INT32: snprintf(buf, size, "%" PRId32, (int32_t)(uint32_t)b); return ELEM_NUMBER;
	case MC_INT64: snprintf(buf, size, "%" PRId64, (int64_t)b); return ELEM_NUMBER;
	case MC_UINT8:
	case MC_UINT16:
	case MC_UINT32:
	case MC_UINT64: snprintf(buf, size, "%" PRIu64, b); return ELEM_NUMBER;
	case MC_FLOAT16: f = mc_f16_to_f32((uint16_t)b); break;
	case MC_BFLOAT16: f = mc_bf16_to_f32((uint16_t)b); break;
	case MC_FLOAT8_E4M3FN: f = mc_f8e4m3fn_to_f32((uint8_t)b); break;
	case MC_FLOAT8_E5M2: f = mc_f8e5m2_to_f32((uint8_t)b); break;
	case MC_FLOAT32:
		b32 = (uint32_t)b;
		memcpy(&f, &b32, sizeof(f));
		break;
	case MC_FLOAT64:
		memcpy(&x, &b, sizeof(x));
		if (!isfinite(x)) {
			snprintf(buf, size, "%s", isnan(x) ? "nan" : x > 0 ? "inf" : "-inf");
			return ELEM_NONFINITE;
		}
		cmd_format_double(buf, size, x);
		return ELEM_NUMBER;
	default: snprintf(buf, size, "?"); return ELEM_NONFINITE;
	}
	if (!isfinite(f)) {
		snprintf(buf, size, "%s", isnan(f) ? "nan" : f > 0 ? "inf" : "-inf");
		return ELEM_NONFINITE;
	}
	if (dt == MC_FLOAT32)
		cmd_format_float(buf, size, f);
	else
		narrow_text(buf, size, dt, b, f);
	return ELEM_NUMBER;
}

static void float_text(char *buf, size_t size, float f)
{
	if (isnan(f))
		snprintf(buf, size, "nan");
	else if (isinf(f))
		snprintf(buf, size, "%s", f > 0 ? "inf" : "-inf");
	else
		cmd_format_float(buf, size, f);
}

/* The part dtype of a complex dtype, or MC_DTYPE_INVALID. */
static mc_dtype complex_part(mc_dtype dt)
{
	return dt == MC_COMPLEX64 ? MC_FLOAT32 : dt == MC_COMPLEX128 ? MC_FLOAT64 : MC_DTYPE_INVALID;
}

/* ---- types and shapes ------------------------------------------------------ */

/* A bounded string that says when it was cut. */
typedef struct tbuf {
	char *p;
	size_t size, len;
	bool cut;
} tbuf;

static void tb_add(tbuf *b, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;

static void tb_add(tbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->cut || b->len + 1 >= b->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, b->size - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < b->size - b->len) {
		b->len += (size_t)n;
		return;
	}
	/* cut: end on a character boundary with "..." */
	b->cut = true;
	b->len = b->size - 1;
	if (b->size > 4) {
		size_t at = b->size - 4;
		while (at > 0 && ((uint8_t)b->p[at] & 0xc0) == 0x80)
			at--;
		memcpy(b->p + at, "...", 4);
		b->len = at + 3;
	}
}

/* "[batch, 3, ?, 4]" for a tensor type with a shape, "?" without one. */
static const char *shape_text(char *buf, size_t size, const mc_onnx_tensor_type *tt)
{
	tbuf b = {buf, size, 0, false};

	buf[0] = '\0';
	if (tt->rank < 0) {
		tb_add(&b, "?");
		return buf;
	}
	tb_add(&b, "[");
	for (int i = 0; i < tt->rank; i++) {
		mc_onnx_dim dim = mc_onnx_type_dim(tt, i);
		if (dim.value >= 0)
			tb_add(&b, "%s%" PRId64, i ? ", " : "", dim.value);
		else
			tb_add(&b, "%s%s", i ? ", " : "", dim.param ? dim.param : "?");
	}
	tb_add(&b, "]");
	return buf;
}

/* The dtype and shape of a value's type for people: "float32" and
 * "[batch, 3]"; a type that is not a tensor's in the dtype alone
 * ("seq(tensor(float32))"), a missing one as "?". */
static void type_cols(char *dt, size_t dts, char *sh, size_t shs, const Onnx__TypeProto *tp)
{
	mc_onnx_tensor_type tt;

	sh[0] = '\0';
	if (!tp || tp->value_case == ONNX__TYPE_PROTO__VALUE__NOT_SET) {
		snprintf(dt, dts, "?");
		return;
	}
	if (mc_onnx_tensor_type_of(&tt, tp) != 0) {
		mc_onnx_type_format(dt, dts, tp);
		return;
	}
	if (tp->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE) {
		const char *name = mc_onnx_type_name(tt.elem_type);
		snprintf(dt, dts, "%s", name ? name : "?");
	} else {
		mc_onnx_type_format(dt, dts, tp);
	}
	shape_text(sh, shs, &tt);
}

/* Where a value comes from in one graph. */
enum { MADE_BY_INPUT, MADE_BY_NODE };

/* Indentation of DOT statements: one tab per cluster level (the walk's
 * depth cap keeps subgraph nesting far below this). */
static const char TABS[] = "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t"
                           "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t";

/* Names looked up while drawing: which node or graph input makes a value,
 * its ValueInfoProto, the initializers.  Sorted by name, then by position,
 * so the first of a name given twice is found. */
typedef struct name_ref {
	const char *name;
	size_t pos;      /* order in the graph: the first of a name wins */
	int kind;        /* made: MADE_BY_INPUT or MADE_BY_NODE */
	size_t index;    /* made: the input's or the node's index */
	const void *ptr; /* info: the ValueInfoProto */
} name_ref;

typedef struct name_index {
	name_ref *v;
	size_t n;
} name_index;

static int name_ref_cmp(const void *pa, const void *pb)
{
	const name_ref *a = pa, *b = pb;
	int c = strcmp(a->name, b->name);
	return c ? c : (a->pos > b->pos) - (a->pos < b->pos);
}

static const name_ref *name_find(const name_index *x, const char *name)
{
	size_t lo = 0, hi = x->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(x->v[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < x->n && strcmp(x->v[lo].name, name) == 0 ? &x->v[lo] : NULL;
}

static void name_index_release(name_index *x)
{
	free(x->v);
	x->v = NULL;
	x->n = 0;
}

static int index_initializers(name_index *out, const Onnx__GraphProto *g)
{
	out->n = 0;
	out->v = malloc((g->n_initializer ? g->n_initializer : 1) * sizeof(name_ref));
	if (!out->v)
		return MC_ENOMEM;
	for (size_t i = 0; i < g->n_initializer; i++)
		if (g->initializer[i]->name)
			out->v[out->n++] = (name_ref){.name = g->initializer[i]->name, .pos = i};
	qsort(out->v, out->n, sizeof(name_ref), name_ref_cmp);
	return 0;
}

/* Whether a graph input is an initializer (models before IR 4 list every
 * initializer among the inputs too): the main graph's by the model's own
 * index, a subgraph's by `inits`. */
static bool is_initializer(const ox *d, const name_index *inits, const char *name)
{
	if (!name)
		return false;
	return inits ? name_find(inits, name) != NULL : mc_onnx_is_initializer(d->m, name);
}

/* The graphs an attribute holds (If's branches, Loop's and Scan's bodies). */
static size_t attr_graphs(const Onnx__AttributeProto *a, Onnx__GraphProto *const **out)
{
	switch (mc_onnx_attr_type(a)) {
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH:
		*out = (Onnx__GraphProto *const *)&a->g;
		return a->g ? 1 : 0;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS:
		*out = (Onnx__GraphProto *const *)a->graphs;
		return a->n_graphs;
	default: *out = NULL; return 0;
	}
}

static bool is_graph_attr(const Onnx__AttributeProto *a)
{
	Onnx__AttributeProto__AttributeType t = mc_onnx_attr_type(a);
	return t == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH ||
	       t == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS;
}

/* ---- operator histogram ------------------------------------------------------ */

static size_t count_nodes(const Onnx__GraphProto *g)
{
	size_t n = g->n_node;
	for (size_t i = 0; i < g->n_node; i++)
		for (size_t j = 0; j < g->node[i]->n_attribute; j++) {
			Onnx__GraphProto *const *sub;
			size_t k = attr_graphs(g->node[i]->attribute[j], &sub);
			while (k-- > 0)
				n += count_nodes(sub[k]);
		}
	return n;
}

static void collect_nodes(const Onnx__NodeProto **v, size_t *n, const Onnx__GraphProto *g)
{
	for (size_t i = 0; i < g->n_node; i++) {
		v[(*n)++] = g->node[i];
		for (size_t j = 0; j < g->node[i]->n_attribute; j++) {
			Onnx__GraphProto *const *sub;
			size_t k = attr_graphs(g->node[i]->attribute[j], &sub);
			for (size_t s = 0; s < k; s++)
				collect_nodes(v, n, sub[s]);
		}
	}
}

/* "Conv", or for another domain than ONNX's own "com.microsoft.FusedConv",
 * as ONNX's operator documents name them. */
static void op_name(char *buf, size_t size, const Onnx__NodeProto *n)
{
	if (default_domain(n->domain))
		snprintf(buf, size, "%s", str(n->op_type));
	else
		snprintf(buf, size, "%s.%s", n->domain, str(n->op_type));
}

static int node_op_cmp(const void *pa, const void *pb)
{
	const Onnx__NodeProto *a = *(const Onnx__NodeProto *const *)pa;
	const Onnx__NodeProto *b = *(const Onnx__NodeProto *const *)pb;
	int c = strcmp(default_domain(a->domain) ? "" : a->domain,
	               default_domain(b->domain) ? "" : b->domain);
	return c ? c : strcmp(str(a->op_type), str(b->op_type));
}

typedef struct op_count {
	const Onnx__NodeProto *node; /* one node of the operator */
	size_t n;
} op_count;

static int op_count_cmp(const void *pa, const void *pb)
{
	const op_count *a = pa, *b = pb;
	char na[256], nb[256];

	if (a->n != b->n)
		return a->n > b->n ? -1 : 1;
	op_name(na, sizeof(na), a->node);
	op_name(nb, sizeof(nb), b->node);
	return strcmp(na, nb);
}

/* "operators (7 nodes): Conv 2, Relu 2, Flatten 1": every graph's nodes,
 * subgraphs' included, by count then name. */
static void text_histogram(ox *d, FILE *out)
{
	size_t total = count_nodes(d->g), n = 0, nops = 0;
	const Onnx__NodeProto **v = malloc((total ? total : 1) * sizeof(*v));
	op_count *ops = malloc((total ? total : 1) * sizeof(*ops));

	if (!v || !ops) {
		d->nomem = true;
		goto out;
	}
	collect_nodes(v, &n, d->g);
	qsort(v, n, sizeof(*v), node_op_cmp);
	for (size_t i = 0; i < n; i++) {
		if (i && node_op_cmp(&v[i - 1], &v[i]) == 0) {
			ops[nops - 1].n++;
			continue;
		}
		ops[nops].node = v[i];
		ops[nops++].n = 1;
	}
	qsort(ops, nops, sizeof(*ops), op_count_cmp);
	fprintf(out, "operators (%zu node%s", total, total == 1 ? "" : "s");
	if (total > d->g->n_node)
		fprintf(out, ", %zu in subgraphs", total - d->g->n_node);
	fputs(nops ? "): " : ")", out);
	for (size_t i = 0; i < nops; i++) {
		char name[256];
		op_name(name, sizeof(name), ops[i].node);
		fputs(i ? ", " : "", out);
		put_name(out, name);
		fprintf(out, " %zu", ops[i].n);
	}
	fputc('\n', out);
out:
	free(v);
	free(ops);
}

/* ---- text ---------------------------------------------------------------- */

static void text_header(ox *d, FILE *out)
{
	const Onnx__ModelProto *mp = d->mp;
	const char *prod = str(mp->producer_name), *pver = str(mp->producer_version);

	fprintf(out, "file:      %s\n", d->file);
	fprintf(out, "format:    onnx (IR %" PRId64, mp->ir_version);
	for (size_t i = 0; i < mp->n_opset_import; i++) {
		const Onnx__OperatorSetIdProto *op = mp->opset_import[i];
		fputs(i ? ", " : mp->n_opset_import > 1 ? ", opsets " : ", opset ", out);
		put_name(out, default_domain(op->domain) ? "ai.onnx" : op->domain);
		fprintf(out, " %" PRId64, op->version);
	}
	fputs(")\n", out);
	if (prod[0] || pver[0]) {
		fputs("producer:  ", out);
		put_name(out, prod[0] ? prod : "?");
		if (pver[0]) {
			fputc(' ', out);
			put_name(out, pver);
		}
		fputc('\n', out);
	}
	fputs("graph:     ", out);
	put_name(out, d->g->name);
	fputc('\n', out);
	if ((mp->domain && mp->domain[0]) || mp->has_model_version) {
		fputs("model:     ", out);
		if (mp->domain && mp->domain[0]) {
			fputs("domain ", out);
			put_name(out, mp->domain);
		}
		if (mp->has_model_version)
			fprintf(out, "%sversion %" PRId64, mp->domain && mp->domain[0] ? ", " : "",
			        mp->model_version);
		fputc('\n', out);
	}
	if (mp->doc_string && mp->doc_string[0]) {
		fputs("doc:       ", out);
		put_esc(out, mp->doc_string, strlen(mp->doc_string), TEXT_STR_MAX);
		fputc('\n', out);
	}
	if (mp->n_functions) {
		fprintf(out, "functions: %zu:", mp->n_functions);
		for (size_t i = 0; i < mp->n_functions; i++) {
			const Onnx__FunctionProto *f = mp->functions[i];
			fputs(i ? ", " : " ", out);
			if (!default_domain(f->domain)) {
				put_name(out, f->domain);
				fputc('.', out);
			}
			put_name(out, f->name);
		}
		fputc('\n', out);
	}
	for (size_t i = 0; i < mp->n_metadata_props; i++) {
		const Onnx__StringStringEntryProto *kv = mp->metadata_props[i];
		fputs(i ? "           " : "metadata:  ", out);
		put_name(out, kv->key);
		fputs(": ", out);
		put_name(out, kv->value);
		fputc('\n', out);
	}
}

/* One "name  dtype  shape" line per graph input (initializers left out) and
 * output, in aligned columns. */
static void text_values(ox *d, FILE *out)
{
	const Onnx__GraphProto *g = d->g;
	size_t wname = 0, wdtype = 0;
	char dt[256], sh[1024];

	for (int pass = 0; pass < 2; pass++) {
		for (int io = 0; io < 2; io++) {
			Onnx__ValueInfoProto *const *v = io ? g->output : g->input;
			size_t n = io ? g->n_output : g->n_input, shown = 0;
			if (pass)
				fputs(io ? "outputs:" : "\ninputs:", out);
			for (size_t i = 0; i < n; i++) {
				if (!io && is_initializer(d, NULL, v[i]->name))
					continue;
				type_cols(dt, sizeof(dt), sh, sizeof(sh), v[i]->type);
				if (!pass) {
					size_t l = strlen(str(v[i]->name));
					wname = l > wname ? l : wname;
					/* a type without a shape (a sequence's) ends its line */
					if (sh[0] && strlen(dt) > wdtype)
						wdtype = strlen(dt);
					continue;
				}
				fputs(shown++ ? "  " : "\n  ", out);
				put_name(out, v[i]->name);
				fprintf(out, "%*s", (int)(wname - strlen(str(v[i]->name)) + 2), "");
				if (sh[0]) {
					fprintf(out, "%-*s  ", (int)wdtype, dt);
					put_name(out, sh);
				} else {
					put_name(out, dt);
				}
				fputc('\n', out);
			}
			if (pass && !shown)
				fputs(" (none)\n", out);
		}
	}
}

/* Opens item i of a list, or once LIST_HEAD items of a long one are shown
 * closes it with "…] (N values)" and returns false: the rest is left out. */
static bool list_sep(FILE *out, size_t i, size_t n)
{
	if (n > LIST_MAX && i == LIST_HEAD) {
		fprintf(out, ", …] (%zu values)", n);
		return false;
	}
	fputs(i ? ", " : "[", out);
	return true;
}

static void list_end(FILE *out, size_t n)
{
	if (n <= LIST_MAX)
		fputs(n ? "]" : "[]", out);
}

static void text_bytes(FILE *out, const ProtobufCBinaryData *s)
{
	fputc('\'', out);
	put_esc(out, (const char *)s->data, s->len, TEXT_STR_MAX);
	fputc('\'', out);
}

/* "tensor(float32 [2, 3])", with the elements of a small one after a
 * colon: "tensor(int64 [2]: 1, -1)". */
static void text_tensor(ox *d, FILE *out, const Onnx__TensorProto *t)
{
	small_tensor st;
	char e[64];
	int rc;

	if (!t) {
		fputs("tensor(?)", out);
		return;
	}
	if ((rc = small_tensor_load(&st, d, t)) != 0) {
		d->failed = true;
		return;
	}
	fprintf(out, "tensor(%s [", st.dtype ? st.dtype : "?");
	for (size_t i = 0; i < st.ndims; i++)
		fprintf(out, "%s%" PRId64, i ? ", " : "", st.dims[i]);
	fputc(']', out);
	for (size_t i = 0; st.data && i < st.n; i++) {
		mc_dtype part = complex_part(st.dt);
		fputs(i ? ", " : ": ", out);
		if (part) {
			size_t w = mc_dtype_size(part);
			char im[64];
			elem_text(e, sizeof(e), part, st.data + 2 * w * i);
			elem_text(im, sizeof(im), part, st.data + 2 * w * i + w);
			fprintf(out, "(%s%s%sj)", e, im[0] == '-' ? "" : "+", im);
		} else {
			elem_text(e, sizeof(e), st.dt, st.data + mc_dtype_size(st.dt) * i);
			fputs(e, out);
		}
	}
	fputc(')', out);
	small_tensor_release(&st);
}

static void text_sparse(FILE *out, const Onnx__SparseTensorProto *s)
{
	const char *dt = s && s->values && s->values->has_data_type
	                         ? mc_onnx_type_name(s->values->data_type) : NULL;

	fprintf(out, "sparse_tensor(%s [", dt ? dt : "?");
	for (size_t i = 0; s && i < s->n_dims; i++)
		fprintf(out, "%s%" PRId64, i ? ", " : "", s->dims[i]);
	fputs("])", out);
}

static void text_type(FILE *out, const Onnx__TypeProto *tp)
{
	char buf[512];
	put_name(out, mc_onnx_type_format(buf, sizeof(buf), tp));
}

/* An attribute's value as "name=value" text (graphs are listed apart). */
static void text_attr(ox *d, FILE *out, const Onnx__AttributeProto *a)
{
	char num[64];
	size_t i;

	put_name(out, a->name);
	fputc('=', out);
	switch (mc_onnx_attr_type(a)) {
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT:
		float_text(num, sizeof(num), a->f);
		fputs(num, out);
		break;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT: fprintf(out, "%" PRId64, a->i); break;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING: text_bytes(out, &a->s); break;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR: text_tensor(d, out, a->t); break;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSOR:
		text_sparse(out, a->sparse_tensor);
		break;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTO: text_type(out, a->tp); break;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
		for (i = 0; i < a->n_floats && list_sep(out, i, a->n_floats); i++) {
			float_text(num, sizeof(num), a->floats[i]);
			fputs(num, out);
		}
		list_end(out, a->n_floats);
		break;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
		for (i = 0; i < a->n_ints && list_sep(out, i, a->n_ints); i++)
			fprintf(out, "%" PRId64, a->ints[i]);
		list_end(out, a->n_ints);
		break;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS:
		for (i = 0; i < a->n_strings && list_sep(out, i, a->n_strings); i++)
			text_bytes(out, &a->strings[i]);
		list_end(out, a->n_strings);
		break;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSORS:
		for (i = 0; i < a->n_tensors && list_sep(out, i, a->n_tensors) && !d->failed; i++)
			text_tensor(d, out, a->tensors[i]);
		list_end(out, a->n_tensors);
		break;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSORS:
		for (i = 0; i < a->n_sparse_tensors && list_sep(out, i, a->n_sparse_tensors); i++)
			text_sparse(out, a->sparse_tensors[i]);
		list_end(out, a->n_sparse_tensors);
		break;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTOS:
		for (i = 0; i < a->n_type_protos && list_sep(out, i, a->n_type_protos); i++)
			text_type(out, a->type_protos[i]);
		list_end(out, a->n_type_protos);
		break;
	default: fputc('?', out); break;
	}
}

/* "in:  a, b" (empty names, an optional input left out, as ""). */
static void text_names(FILE *out, int indent, const char *label, char *const *names, size_t n)
{
	if (!n)
		return;
	fprintf(out, "%*s%s", indent, "", label);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? ", " : "", out);
		if (names[i][0])
			put_name(out, names[i]);
		else
			fputs("\"\"", out);
	}
	fputc('\n', out);
}

static void text_value_names(FILE *out, int indent, const char *label,
                             Onnx__ValueInfoProto *const *v, size_t n)
{
	if (!n)
		return;
	fprintf(out, "%*s%s", indent, "", label);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? ", " : "", out);
		put_name(out, v[i]->name);
	}
	fputc('\n', out);
}

static void text_nodes(ox *d, FILE *out, const Onnx__GraphProto *g, int indent);

/* "then_branch: graph 'then' (2 nodes)", its inputs and outputs, and its
 * nodes, indented under the node that holds it. */
static void text_subgraph(ox *d, FILE *out, const Onnx__GraphProto *sub, const char *label,
                          int indent)
{
	size_t ninit = sub->n_initializer;

	fprintf(out, "%*s", indent, "");
	put_name(out, label);
	fputs(": graph '", out);
	put_name(out, sub->name);
	fprintf(out, "' (%zu node%s", sub->n_node, sub->n_node == 1 ? "" : "s");
	if (ninit)
		fprintf(out, ", %zu initializer%s", ninit, ninit == 1 ? "" : "s");
	fputs(")\n", out);
	text_value_names(out, indent + 2, "in:  ", sub->input, sub->n_input);
	text_value_names(out, indent + 2, "out: ", sub->output, sub->n_output);
	text_nodes(d, out, sub, indent + 2);
}

static void text_nodes(ox *d, FILE *out, const Onnx__GraphProto *g, int indent)
{
	int widx = snprintf(NULL, 0, "%zu", g->n_node ? g->n_node - 1 : 0);
	size_t wop = 0;
	char op[256];

	for (size_t i = 0; i < g->n_node; i++) {
		op_name(op, sizeof(op), g->node[i]);
		wop = strlen(op) > wop ? strlen(op) : wop;
	}
	for (size_t i = 0; i < g->n_node && !d->failed; i++) {
		const Onnx__NodeProto *n = g->node[i];
		int sub = indent + widx + 4;
		bool any = false;

		op_name(op, sizeof(op), n);
		fprintf(out, "%*s%*zu  ", indent, "", widx, i);
		put_name(out, op);
		if (n->name && n->name[0]) {
			fprintf(out, "%*s", (int)(wop - strlen(op) + 2), "");
			put_name(out, n->name);
		}
		fputc('\n', out);
		text_names(out, sub, "in:  ", n->input, n->n_input);
		text_names(out, sub, "out: ", n->output, n->n_output);
		for (size_t j = 0; j < n->n_attribute && !d->failed; j++) {
			if (is_graph_attr(n->attribute[j]))
				continue;
			fprintf(out, any ? " " : "%*s", sub, "");
			any = true;
			text_attr(d, out, n->attribute[j]);
		}
		if (any)
			fputc('\n', out);
		for (size_t j = 0; j < n->n_attribute && !d->failed; j++) {
			const Onnx__AttributeProto *a = n->attribute[j];
			Onnx__GraphProto *const *graphs;
			size_t k = attr_graphs(a, &graphs);
			if (mc_onnx_attr_type(a) == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH) {
				if (k)
					text_subgraph(d, out, graphs[0], str(a->name), sub);
				continue;
			}
			for (size_t s = 0; s < k && !d->failed; s++) {
				char label[300];
				snprintf(label, sizeof(label), "%s[%zu]", str(a->name), s);
				text_subgraph(d, out, graphs[s], label, sub);
			}
		}
	}
}

static void text_view(ox *d, FILE *out)
{
	uint64_t params, bytes;
	char p[64], b[64];

	text_header(d, out);
	text_values(d, out);
	cmd_tensor_totals(&params, &bytes, d->r, &d->sel);
	cmd_group_digits(p, sizeof(p), params);
	cmd_human_bytes(b, sizeof(b), bytes);
	fprintf(out, "\ninitializers: %zu", d->sel.n);
	if (d->key && d->key[0]) {
		fprintf(out, " of %zu under '", mc_reader_count(d->r));
		put_name(out, d->key);
		fputc('\'', out);
	}
	fprintf(out, " (%s parameter%s, %s)\n", p, params == 1 ? "" : "s", b);
	text_histogram(d, out);
	if (d->g->n_node) {
		fputs("\nnodes:\n", out);
		text_nodes(d, out, d->g, 2);
	}
	if (!d->failed)
		cmd_print_tensor_table(out, d->r, &d->sel, (const uint8_t(*)[32])d->sha);
}

/* ---- JSON ------------------------------------------------------------------ */

/* Adds item to an object (under key) or an array; remembers a failed
 * allocation, which the caller reports once at the end. */
static cJSON *add(ox *d, cJSON *to, const char *key, cJSON *item)
{
	bool ok = false;

	if (to && item) {
		if (!key) {
			ok = cJSON_AddItemToArray(to, item);
		} else {
			char *k = utf8_clean(key, strlen(key));
			ok = k && cJSON_AddItemToObject(to, k, item);
			free(k);
		}
	}
	if (!ok) {
		cJSON_Delete(item);
		d->nomem = true;
		return NULL;
	}
	return item;
}

static cJSON *json_str(const char *s)
{
	char *clean = utf8_clean(str(s), strlen(str(s)));
	cJSON *item = clean ? cJSON_CreateString(clean) : NULL;
	free(clean);
	return item;
}

/* An attribute's bytes: a string when they are UTF-8 text, else as dump
 * writes bytes ({"bytes": HEX}). */
static cJSON *json_binary(const ProtobufCBinaryData *s)
{
	cJSON *item;
	char *text;

	if (!utf8_valid(s->data, s->len) || memchr(s->data, 0, s->len))
		return cmd_json_bytes((const char *)s->data, s->len);
	if (!(text = malloc(s->len + 1)))
		return NULL;
	if (s->len)
		memcpy(text, s->data, s->len);
	text[s->len] = '\0';
	item = cJSON_CreateString(text);
	free(text);
	return item;
}

static cJSON *json_elem(mc_dtype dt, const uint8_t *p)
{
	char buf[64];
	switch (elem_text(buf, sizeof(buf), dt, p)) {
	case ELEM_BOOL: return cJSON_CreateBool(buf[0] == 't');
	case ELEM_NUMBER: return cJSON_CreateRaw(buf);
	default: return cJSON_CreateString(buf);
	}
}

static cJSON *json_f32(float f)
{
	char buf[64];
	float_text(buf, sizeof(buf), f);
	return isfinite(f) ? cJSON_CreateRaw(buf) : cJSON_CreateString(buf);
}

static cJSON *json_dims(ox *d, const int64_t *dims, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; a && i < n; i++)
		add(d, a, NULL, cmd_json_i64(dims[i]));
	return a;
}

/* {"dtype", "shape"} and "value" (the elements, flat; a complex one as
 * [re, im]) when the tensor is small and its dtype one modelctl reads. */
static cJSON *json_tensor(ox *d, const Onnx__TensorProto *t)
{
	cJSON *o, *v;
	small_tensor st;

	if (!t)
		return cJSON_CreateNull();
	if (small_tensor_load(&st, d, t) != 0) {
		d->failed = true;
		return cJSON_CreateNull();
	}
	o = cJSON_CreateObject();
	add(d, o, "dtype", st.dtype ? cJSON_CreateString(st.dtype) : cJSON_CreateNull());
	add(d, o, "shape", json_dims(d, st.dims, st.ndims));
	if (st.data && (v = add(d, o, "value", cJSON_CreateArray()))) {
		mc_dtype part = complex_part(st.dt);
		for (size_t i = 0; i < st.n; i++) {
			if (part) {
				size_t w = mc_dtype_size(part);
				cJSON *c = add(d, v, NULL, cJSON_CreateArray());
				add(d, c, NULL, json_elem(part, st.data + 2 * w * i));
				add(d, c, NULL, json_elem(part, st.data + 2 * w * i + w));
			} else {
				add(d, v, NULL, json_elem(st.dt, st.data + mc_dtype_size(st.dt) * i));
			}
		}
	}
	small_tensor_release(&st);
	return o;
}

static cJSON *json_sparse(ox *d, const Onnx__SparseTensorProto *s)
{
	const char *dt = s && s->values && s->values->has_data_type
	                         ? mc_onnx_type_name(s->values->data_type) : NULL;
	cJSON *o = cJSON_CreateObject(), *inner = add(d, o, "sparse_tensor", cJSON_CreateObject());

	add(d, inner, "dtype", dt ? cJSON_CreateString(dt) : cJSON_CreateNull());
	add(d, inner, "shape", s ? json_dims(d, s->dims, s->n_dims) : cJSON_CreateArray());
	return o;
}

static cJSON *json_type(const Onnx__TypeProto *tp)
{
	char buf[512];
	return json_str(mc_onnx_type_format(buf, sizeof(buf), tp));
}

/* {"name", "dtype", "shape"}: dims are ints, symbols, or null when unknown;
 * the shape null when no rank is given; a type that is not a tensor's
 * ("seq(tensor(float32))") in "dtype" with a null shape. */
static cJSON *json_value_info(ox *d, const Onnx__ValueInfoProto *vi)
{
	cJSON *o = cJSON_CreateObject(), *shape;
	mc_onnx_tensor_type tt;

	add(d, o, "name", json_str(vi->name));
	if (!vi->type || vi->type->value_case == ONNX__TYPE_PROTO__VALUE__NOT_SET) {
		add(d, o, "dtype", cJSON_CreateNull());
		add(d, o, "shape", cJSON_CreateNull());
		return o;
	}
	if (mc_onnx_tensor_type_of(&tt, vi->type) != 0) {
		add(d, o, "dtype", json_type(vi->type));
		add(d, o, "shape", cJSON_CreateNull());
		return o;
	}
	if (vi->type->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE) {
		const char *name = mc_onnx_type_name(tt.elem_type);
		add(d, o, "dtype", name ? cJSON_CreateString(name) : cJSON_CreateNull());
	} else {
		add(d, o, "dtype", json_type(vi->type));
	}
	if (tt.rank < 0) {
		add(d, o, "shape", cJSON_CreateNull());
		return o;
	}
	shape = add(d, o, "shape", cJSON_CreateArray());
	for (int i = 0; shape && i < tt.rank; i++) {
		mc_onnx_dim dim = mc_onnx_type_dim(&tt, i);
		add(d, shape, NULL, dim.value >= 0 ? cmd_json_i64(dim.value)
		                    : dim.param    ? json_str(dim.param)
		                                   : cJSON_CreateNull());
	}
	return o;
}

/* Values of a graph; `inits` (NULL for the main graph) leaves out inputs
 * that are initializers. */
static cJSON *json_value_infos(ox *d, Onnx__ValueInfoProto *const *v, size_t n, bool inputs,
                               const name_index *inits)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; a && i < n; i++)
		if (!inputs || !is_initializer(d, inits, v[i]->name))
			add(d, a, NULL, json_value_info(d, v[i]));
	return a;
}

static cJSON *json_names(ox *d, char *const *names, size_t n)
{
	cJSON *a = cJSON_CreateArray();
	for (size_t i = 0; a && i < n; i++)
		add(d, a, NULL, json_str(names[i]));
	return a;
}

static cJSON *json_node(ox *d, const Onnx__NodeProto *n);

/* A subgraph: {"name", "inputs", "outputs", "nodes", "initializers"}, its
 * initializers as {"name", "dtype", "shape"} and "nbytes" where modelctl
 * knows the dtype. */
static cJSON *json_graph(ox *d, const Onnx__GraphProto *g)
{
	cJSON *o, *nodes, *inits;
	name_index index;

	if (!g)
		return cJSON_CreateNull();
	if (index_initializers(&index, g) != 0) {
		d->nomem = true;
		return NULL;
	}
	o = cJSON_CreateObject();
	add(d, o, "name", json_str(g->name));
	add(d, o, "inputs", json_value_infos(d, g->input, g->n_input, true, &index));
	add(d, o, "outputs", json_value_infos(d, g->output, g->n_output, false, NULL));
	name_index_release(&index);
	nodes = add(d, o, "nodes", cJSON_CreateArray());
	for (size_t i = 0; nodes && i < g->n_node && !d->failed; i++)
		add(d, nodes, NULL, json_node(d, g->node[i]));
	inits = add(d, o, "initializers", cJSON_CreateArray());
	for (size_t i = 0; inits && i < g->n_initializer; i++) {
		const Onnx__TensorProto *t = g->initializer[i];
		const char *dt = mc_onnx_type_name(t->has_data_type ? t->data_type : 0);
		cJSON *e = add(d, inits, NULL, cJSON_CreateObject());
		mc_tensor_info info;
		add(d, e, "name", json_str(t->name));
		add(d, e, "dtype", dt ? cJSON_CreateString(dt) : cJSON_CreateNull());
		add(d, e, "shape", json_dims(d, t->dims, t->n_dims));
		if (mc_onnx_tensor_info(&info, d->m, t) == 0)
			add(d, e, "nbytes", cmd_json_u64(info.nbytes));
	}
	return o;
}

static cJSON *json_attr(ox *d, const Onnx__AttributeProto *a)
{
	cJSON *v;
	size_t i;

	switch (mc_onnx_attr_type(a)) {
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT: return json_f32(a->f);
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT: return cmd_json_i64(a->i);
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING: return json_binary(&a->s);
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR: return json_tensor(d, a->t);
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH: return json_graph(d, a->g);
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSOR:
		return json_sparse(d, a->sparse_tensor);
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTO: return json_type(a->tp);
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
		v = cJSON_CreateArray();
		for (i = 0; v && i < a->n_floats; i++)
			add(d, v, NULL, json_f32(a->floats[i]));
		return v;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
		return json_dims(d, a->ints, a->n_ints);
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS:
		v = cJSON_CreateArray();
		for (i = 0; v && i < a->n_strings; i++)
			add(d, v, NULL, json_binary(&a->strings[i]));
		return v;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSORS:
		v = cJSON_CreateArray();
		for (i = 0; v && i < a->n_tensors && !d->failed; i++)
			add(d, v, NULL, json_tensor(d, a->tensors[i]));
		return v;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS:
		v = cJSON_CreateArray();
		for (i = 0; v && i < a->n_graphs && !d->failed; i++)
			add(d, v, NULL, json_graph(d, a->graphs[i]));
		return v;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSORS:
		v = cJSON_CreateArray();
		for (i = 0; v && i < a->n_sparse_tensors; i++)
			add(d, v, NULL, json_sparse(d, a->sparse_tensors[i]));
		return v;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTOS:
		v = cJSON_CreateArray();
		for (i = 0; v && i < a->n_type_protos; i++)
			add(d, v, NULL, json_type(a->type_protos[i]));
		return v;
	default: return cJSON_CreateNull();
	}
}

static cJSON *json_node(ox *d, const Onnx__NodeProto *n)
{
	cJSON *o = cJSON_CreateObject(), *attrs;

	add(d, o, "name", json_str(n->name));
	add(d, o, "op_type", json_str(n->op_type));
	add(d, o, "domain", json_str(n->domain));
	add(d, o, "inputs", json_names(d, n->input, n->n_input));
	add(d, o, "outputs", json_names(d, n->output, n->n_output));
	attrs = add(d, o, "attributes", cJSON_CreateObject());
	for (size_t i = 0; attrs && i < n->n_attribute && !d->failed; i++)
		add(d, attrs, str(n->attribute[i]->name), json_attr(d, n->attribute[i]));
	return o;
}

static int json_view(ox *d)
{
	const Onnx__ModelProto *mp = d->mp;
	cJSON *root = cJSON_CreateObject(), *opset, *nodes, *inits, *meta;
	char *text = NULL;

	add(d, root, "file", cJSON_CreateString(d->file));
	add(d, root, "format", cJSON_CreateString("onnx"));
	add(d, root, "ir_version", cmd_json_i64(mp->ir_version));
	opset = add(d, root, "opset", cJSON_CreateObject());
	for (size_t i = 0; opset && i < mp->n_opset_import; i++) {
		const Onnx__OperatorSetIdProto *op = mp->opset_import[i];
		add(d, opset, default_domain(op->domain) ? "ai.onnx" : op->domain,
		    cmd_json_i64(op->version));
	}
	add(d, root, "producer_name", json_str(mp->producer_name));
	add(d, root, "producer_version", json_str(mp->producer_version));
	add(d, root, "graph_name", json_str(d->g->name));
	add(d, root, "inputs", json_value_infos(d, d->g->input, d->g->n_input, true, NULL));
	add(d, root, "outputs", json_value_infos(d, d->g->output, d->g->n_output, false, NULL));
	nodes = add(d, root, "nodes", cJSON_CreateArray());
	for (size_t i = 0; nodes && i < d->g->n_node && !d->failed; i++)
		add(d, nodes, NULL, json_node(d, d->g->node[i]));
	inits = add(d, root, "initializers", cJSON_CreateArray());
	for (size_t i = 0; inits && i < d->sel.n; i++) {
		const mc_tensor_info *t = mc_reader_tensor(d->r, d->sel.index[i]);
		cJSON *o = add(d, inits, NULL, cJSON_CreateObject());
		add(d, o, "name", json_str(d->sel.name[i]));
		add(d, o, "dtype", cJSON_CreateString(mc_dtype_name(t->dtype)));
		add(d, o, "shape", json_dims(d, t->shape.dims, (size_t)t->shape.ndim));
		add(d, o, "nbytes", cmd_json_u64(t->nbytes));
		if (d->sha) {
			char h[65];
			cmd_sha256_hex(h, d->sha[i]);
			add(d, o, "sha256", cJSON_CreateString(h));
		}
	}
	meta = add(d, root, "metadata", cJSON_CreateObject());
	for (size_t i = 0; meta && i < mp->n_metadata_props; i++)
		add(d, meta, str(mp->metadata_props[i]->key), json_str(mp->metadata_props[i]->value));
	if (!d->failed && !d->nomem && !(text = cJSON_Print(root)))
		d->nomem = true;
	cJSON_Delete(root);
	if (d->failed)
		return cmd_report_error();
	if (d->nomem) {
		cJSON_free(text);
		fprintf(stderr, "modelctl: out of memory\n");
		return EXIT_REFUSED;
	}
	fputs(text, stdout);
	fputc('\n', stdout);
	cJSON_free(text);
	return cmd_finish_stdout(EXIT_OK);
}

/* ---- dot --------------------------------------------------------------------- */

typedef struct dot_scope {
	const struct dot_scope *up; /* the graph holding this subgraph's node */
	const Onnx__GraphProto *g;
	size_t id;                  /* g<id>_n<i>, g<id>_i<i>, g<id>_o<i> name its shapes */
	name_index made;            /* values the graph's inputs and nodes make */
	name_index info;            /* inputs, outputs and value_info: types */
	name_index init;            /* initializers */
} dot_scope;

static void scope_release(dot_scope *s)
{
	name_index_release(&s->made);
	name_index_release(&s->info);
	name_index_release(&s->init);
}

static int scope_init(dot_scope *s, const Onnx__GraphProto *g, const dot_scope *up, size_t id)
{
	Onnx__ValueInfoProto *const *lists[3] = {g->input, g->output, g->value_info};
	size_t counts[3] = {g->n_input, g->n_output, g->n_value_info};
	size_t nmade = g->n_input, ninfo = g->n_input + g->n_output + g->n_value_info, pos = 0;

	memset(s, 0, sizeof(*s));
	s->up = up;
	s->g = g;
	s->id = id;
	for (size_t i = 0; i < g->n_node; i++)
		nmade += g->node[i]->n_output;
	s->made.v = malloc((nmade ? nmade : 1) * sizeof(name_ref));
	s->info.v = malloc((ninfo ? ninfo : 1) * sizeof(name_ref));
	if (!s->made.v || !s->info.v || index_initializers(&s->init, g) != 0) {
		scope_release(s);
		return MC_ENOMEM;
	}
	for (size_t i = 0; i < g->n_input; i++, pos++)
		if (g->input[i]->name && !name_find(&s->init, g->input[i]->name))
			s->made.v[s->made.n++] = (name_ref){.name = g->input[i]->name, .pos = pos,
			                                    .kind = MADE_BY_INPUT, .index = i};
	for (size_t i = 0; i < g->n_node; i++)
		for (size_t j = 0; j < g->node[i]->n_output; j++, pos++)
			if (g->node[i]->output[j][0])
				s->made.v[s->made.n++] = (name_ref){.name = g->node[i]->output[j], .pos = pos,
				                                    .kind = MADE_BY_NODE, .index = i};
	qsort(s->made.v, s->made.n, sizeof(name_ref), name_ref_cmp);
	pos = 0;
	for (int l = 0; l < 3; l++)
		for (size_t i = 0; i < counts[l]; i++, pos++)
			if (lists[l][i]->name)
				s->info.v[s->info.n++] =
					(name_ref){.name = lists[l][i]->name, .pos = pos, .ptr = lists[l][i]};
	qsort(s->info.v, s->info.n, sizeof(name_ref), name_ref_cmp);
	return 0;
}

/* The DOT id of what makes `name` seen from scope s: a graph input or a
 * node of s or of a graph around it.  Returns the scope it was found in
 * (NULL: none, or an initializer, which is not drawn). */
static const dot_scope *scope_resolve(const dot_scope *s, const char *name, char *id, size_t size,
                                      bool *is_init)
{
	*is_init = false;
	for (; s; s = s->up) {
		const name_ref *r = name_find(&s->made, name);
		if (r) {
			snprintf(id, size, "g%zu_%c%zu", s->id, r->kind == MADE_BY_INPUT ? 'i' : 'n',
			         r->index);
			return s;
		}
		if (name_find(&s->init, name)) {
			*is_init = true;
			return NULL;
		}
	}
	return NULL;
}

static const Onnx__ValueInfoProto *scope_info(const dot_scope *s, const char *name)
{
	for (; s; s = s->up) {
		const name_ref *r = name_find(&s->info, name);
		if (r)
			return r->ptr;
	}
	return NULL;
}

/* "name\n[batch, 8]" when the shape is known. */
static void dot_value_label(FILE *out, const dot_scope *s, const char *name)
{
	const Onnx__ValueInfoProto *vi = scope_info(s, name);
	mc_onnx_tensor_type tt;
	char sh[1024];

	dot_esc(out, name);
	if (vi && mc_onnx_tensor_type_of(&tt, vi->type) == 0 && tt.rank >= 0) {
		fputs("\\n", out);
		dot_esc(out, shape_text(sh, sizeof(sh), &tt));
	}
}

static void dot_io(FILE *out, int indent, const char *id, const Onnx__ValueInfoProto *vi,
                   bool output)
{
	char dt[256], sh[1024];

	type_cols(dt, sizeof(dt), sh, sizeof(sh), vi->type);
	fprintf(out, "%.*s%s [shape=ellipse%s, label=\"", indent, TABS, id,
	        output ? ", peripheries=2" : "");
	dot_esc(out, vi->name);
	fputs("\\n", out);
	dot_esc(out, dt);
	if (sh[0]) {
		fputc(' ', out);
		dot_esc(out, sh);
	}
	fputs("\"];\n", out);
}

/* Draws graph g: its inputs and outputs as ellipses, its nodes as boxes,
 * then the clusters of its subgraphs.  Edges go to `edges`, which the
 * caller writes after every cluster is closed: an edge written inside a
 * cluster would pull the nodes it names into that cluster.  `anchor`
 * receives a shape inside the graph that an edge can point at. */
static int dot_graph(ox *d, FILE *out, FILE *edges, const Onnx__GraphProto *g,
                     const dot_scope *up, size_t id, int indent, char *anchor, size_t asize)
{
	dot_scope s;
	char from[64], to[64];
	bool init;
	int rc;

	if ((rc = scope_init(&s, g, up, id)) != 0)
		return rc;
	anchor[0] = '\0';
	for (size_t i = 0; i < g->n_input; i++) {
		if (name_find(&s.init, str(g->input[i]->name)))
			continue;
		snprintf(to, sizeof(to), "g%zu_i%zu", id, i);
		dot_io(out, indent, to, g->input[i], false);
		if (!anchor[0])
			snprintf(anchor, asize, "%s", to);
	}
	for (size_t i = 0; i < g->n_node; i++) {
		const Onnx__NodeProto *n = g->node[i];
		size_t ninit = 0;
		char op[256];

		for (size_t j = 0; j < n->n_input; j++)
			if (n->input[j][0] && !scope_resolve(&s, n->input[j], from, sizeof(from), &init) &&
			    init)
				ninit++;
		op_name(op, sizeof(op), n);
		fprintf(out, "%.*sg%zu_n%zu [shape=box, label=\"", indent, TABS, id, i);
		dot_esc(out, op);
		if (n->name && n->name[0]) {
			fputs("\\n", out);
			dot_esc(out, n->name);
		}
		if (ninit)
			fprintf(out, "\\n%zu initializer%s", ninit, ninit == 1 ? "" : "s");
		fputs("\"];\n", out);
		if (!anchor[0])
			snprintf(anchor, asize, "g%zu_n%zu", id, i);
	}
	for (size_t i = 0; i < g->n_output; i++) {
		snprintf(to, sizeof(to), "g%zu_o%zu", id, i);
		dot_io(out, indent, to, g->output[i], true);
		if (!anchor[0])
			snprintf(anchor, asize, "%s", to);
	}
	if (!anchor[0]) {
		/* an empty graph still needs a shape for its cluster to exist */
		snprintf(anchor, asize, "g%zu_empty", id);
		fprintf(out, "%.*s%s [shape=plaintext, label=\"(empty)\"];\n", indent, TABS, anchor);
	}

	for (size_t i = 0; i < g->n_node; i++) {
		const Onnx__NodeProto *n = g->node[i];
		for (size_t j = 0; j < n->n_input; j++) {
			const dot_scope *at;
			if (!n->input[j][0] ||
			    !(at = scope_resolve(&s, n->input[j], from, sizeof(from), &init)))
				continue;
			fprintf(edges, "\t%s -> g%zu_n%zu [label=\"", from, id, i);
			dot_value_label(edges, &s, n->input[j]);
			fprintf(edges, "\"%s];\n", at != &s ? ", style=dashed" : "");
		}
	}
	for (size_t i = 0; i < g->n_output; i++) {
		const dot_scope *at;
		if (!g->output[i]->name ||
		    !(at = scope_resolve(&s, g->output[i]->name, from, sizeof(from), &init)))
			continue;
		fprintf(edges, "\t%s -> g%zu_o%zu%s;\n", from, id, i,
		        at != &s ? " [style=dashed]" : "");
	}

	for (size_t i = 0; i < g->n_node && rc == 0; i++) {
		const Onnx__NodeProto *n = g->node[i];
		for (size_t j = 0; j < n->n_attribute && rc == 0; j++) {
			const Onnx__AttributeProto *a = n->attribute[j];
			Onnx__GraphProto *const *graphs;
			size_t k = attr_graphs(a, &graphs);
			bool many = mc_onnx_attr_type(a) == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS;
			for (size_t gi = 0; gi < k && rc == 0; gi++) {
				size_t sub = ++d->next_cluster;
				char sub_anchor[64], index[32] = "";
				if (many)
					snprintf(index, sizeof(index), "[%zu]", gi);
				fprintf(out, "%.*ssubgraph cluster_%zu {\n", indent, TABS, sub);
				fprintf(out, "%.*slabel=\"", indent + 1, TABS);
				dot_esc(out, a->name);
				fprintf(out, "%s: ", index);
				dot_esc(out, graphs[gi]->name);
				fprintf(out, "\";\n%.*sstyle=dashed;\n", indent + 1, TABS);
				rc = dot_graph(d, out, edges, graphs[gi], &s, sub, indent + 1, sub_anchor,
				               sizeof(sub_anchor));
				fprintf(out, "%.*s}\n", indent, TABS);
				fprintf(edges, "\tg%zu_n%zu -> %s [style=dotted, arrowhead=odot, "
				               "lhead=cluster_%zu, label=\"",
				        id, i, sub_anchor, sub);
				dot_esc(edges, a->name);
				fprintf(edges, "%s\"];\n", index);
			}
		}
	}
	scope_release(&s);
	return rc;
}

static void dot_view(ox *d, FILE *out)
{
	char *ebuf = NULL, anchor[64];
	size_t elen = 0;
	FILE *edges = open_memstream(&ebuf, &elen);
	int rc;

	if (!edges) {
		d->nomem = true;
		return;
	}
	fputs("digraph \"", out);
	dot_esc(out, d->g->name);
	fputs("\" {\n"
	      "\trankdir=TB;\n"
	      "\tcompound=true;\n"
	      "\tgraph [fontname=\"Helvetica\", fontsize=10];\n"
	      "\tnode [fontname=\"Helvetica\", fontsize=10];\n"
	      "\tedge [fontname=\"Helvetica\", fontsize=8];\n",
	      out);
	rc = dot_graph(d, out, edges, d->g, NULL, 0, 1, anchor, sizeof(anchor));
	if (ferror(edges) || fclose(edges) != 0 || rc != 0) {
		d->nomem = true;
	} else {
		fwrite(ebuf, 1, elen, out);
		fputs("}\n", out);
	}
	free(ebuf);
}

/* ---- the command ------------------------------------------------------------- */

int dump_onnx(mc_reader *r, const char *file, const char *format, const char *key, int hash)
{
	ox d = {0};
	char *buf = NULL;
	size_t len = 0;
	FILE *out;
	int rc;

	d.r = r;
	d.m = mc_onnx_model_of(r);
	d.mp = mc_onnx_proto(d.m);
	d.g = mc_onnx_graph(d.m);
	d.file = file;
	d.key = key;
	if (mc_select(&d.sel, r, key) != 0) {
		rc = cmd_report_error();
		goto out;
	}
	if (key && *key && !d.sel.n) {
		fprintf(stderr, "modelctl: %s: no initializer under key '%s'\n", file, key);
		fprintf(stderr, "hint: run 'modelctl dump %s' to see the names it holds\n", file);
		rc = EXIT_REFUSED;
		goto out;
	}
	/* the graph drawing has no table to put hashes in */
	if (hash && strcmp(format, "dot") != 0 && (rc = cmd_hash_tensors(&d.sha, r, &d.sel)) != 0)
		goto out;
	if (!strcmp(format, "json")) {
		rc = json_view(&d);
		goto out;
	}
	if (!(out = open_memstream(&buf, &len))) {
		d.nomem = true;
	} else {
		if (!strcmp(format, "dot"))
			dot_view(&d, out);
		else
			text_view(&d, out);
		if (ferror(out))
			d.nomem = true;
		if (fclose(out) != 0)
			d.nomem = true;
	}
	if (d.failed) {
		rc = cmd_report_error();
	} else if (d.nomem) {
		fprintf(stderr, "modelctl: out of memory\n");
		rc = EXIT_REFUSED;
	} else {
		fwrite(buf, 1, len, stdout);
		rc = cmd_finish_stdout(EXIT_OK);
	}
out:
	free(buf);
	free(d.sha);
	mc_selection_release(&d.sel);
	return rc;
}
