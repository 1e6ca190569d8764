/* SPDX-License-Identifier: MIT */
/*
 * What more than one of dump's ONNX views needs.  The escaping of strings
 * from the file for each medium lives here, side by side, so its rules read
 * together: control bytes and bytes that are not UTF-8 never reach a
 * terminal or a DOT file raw, and JSON stays valid.  The elements of small
 * constants are read here once for text and JSON, each narrow float written
 * as the shortest text of its own type; types and shapes get the text that
 * text and dot print; and a graph's names are indexed for lookup, since
 * JSON needs a subgraph's initializers and dot every value's maker.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "dump_onnx.h"
#include "banned.h"

/* A tensor attribute's elements are shown when it has at most this many:
 * enough for the shapes, axes and scalars that Constant nodes hold, small
 * enough that reading them costs nothing. */
#define SMALL_TENSOR 16

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

bool dox_utf8_valid(const uint8_t *p, size_t n)
{
	for (size_t i = 0, k; i < n; i += k)
		if (!(k = utf8_seq(p + i, n - i)))
			return false;
	return true;
}

void dox_put_esc(FILE *out, const char *s, size_t n, size_t max)
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

void dox_put_name(FILE *out, const char *s)
{
	dox_put_esc(out, dox_str(s), strlen(dox_str(s)), 0);
}

void dox_dot_esc(FILE *out, const char *s)
{
	const uint8_t *p = (const uint8_t *)dox_str(s);
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

char *dox_utf8_clean(const char *s, size_t n)
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

void dox_small_tensor_release(dox_small_tensor *t)
{
	free(t->data);
	t->data = NULL;
}

int dox_small_tensor_load(dox_small_tensor *out, const ox *d, const Onnx__TensorProto *t)
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
	if (mc_dtype_size(info.dtype) == 0) {
		/* 4-bit elements: one to a byte from here on */
		uint8_t *unpacked = malloc(numel ? (size_t)numel : 1);
		if (!unpacked) {
			dox_small_tensor_release(out);
			return mc_nomem();
		}
		for (uint64_t i = 0; i < numel; i++)
			unpacked[i] = mc_nibble(out->data, i);
		free(out->data);
		out->data = unpacked;
	}
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

size_t dox_elem_width(mc_dtype dt)
{
	size_t w = mc_dtype_size(dt);
	return w ? w : 1;
}

int dox_elem_text(char *buf, size_t size, mc_dtype dt, const uint8_t *p)
{
	uint64_t b = le_bits(p, dox_elem_width(dt));
	uint32_t b32;
	double x;
	float f;

	switch (dt) {
	case MC_BOOL: snprintf(buf, size, "%s", b ? "true" : "false"); return DOX_ELEM_BOOL;
	case MC_INT8: snprintf(buf, size, "%d", (int)(int8_t)(uint8_t)b); return DOX_ELEM_NUMBER;
	case MC_INT16: snprintf(buf, size, "%d", (int)(int16_t)(uint16_t)b); return DOX_ELEM_NUMBER;
	case MC_INT32: snprintf(buf, size, "%" PRId32, (int32_t)(uint32_t)b); return DOX_ELEM_NUMBER;
	case MC_INT64: snprintf(buf, size, "%" PRId64, (int64_t)b); return DOX_ELEM_NUMBER;
	case MC_UINT8:
	case MC_UINT16:
	case MC_UINT32:
	case MC_UINT64: snprintf(buf, size, "%" PRIu64, b); return DOX_ELEM_NUMBER;
	case MC_FLOAT16: f = mc_f16_to_f32((uint16_t)b); break;
	case MC_BFLOAT16: f = mc_bf16_to_f32((uint16_t)b); break;
	case MC_FLOAT8_E4M3FN: f = mc_f8e4m3fn_to_f32((uint8_t)b); break;
	case MC_FLOAT8_E5M2: f = mc_f8e5m2_to_f32((uint8_t)b); break;
	case MC_INT4: snprintf(buf, size, "%d", (int)(b & 0xf) - (b & 0x8 ? 16 : 0)); return DOX_ELEM_NUMBER;
	case MC_UINT4: snprintf(buf, size, "%d", (int)(b & 0xf)); return DOX_ELEM_NUMBER;
	/* exact in float32, and too narrow for a shortest text of their own */
	case MC_FLOAT8_E4M3FNUZ: f = mc_f8e4m3fnuz_to_f32((uint8_t)b); dt = MC_FLOAT32; break;
	case MC_FLOAT8_E5M2FNUZ: f = mc_f8e5m2fnuz_to_f32((uint8_t)b); dt = MC_FLOAT32; break;
	case MC_FLOAT4_E2M1FN: f = mc_f4e2m1_to_f32((uint8_t)b); dt = MC_FLOAT32; break;
	case MC_FLOAT32:
		b32 = (uint32_t)b;
		memcpy(&f, &b32, sizeof(f));
		break;
	case MC_FLOAT64:
		memcpy(&x, &b, sizeof(x));
		if (!isfinite(x)) {
			snprintf(buf, size, "%s", isnan(x) ? "nan" : x > 0 ? "inf" : "-inf");
			return DOX_ELEM_NONFINITE;
		}
		cmd_format_double(buf, size, x);
		return DOX_ELEM_NUMBER;
	default: snprintf(buf, size, "?"); return DOX_ELEM_NONFINITE;
	}
	if (!isfinite(f)) {
		snprintf(buf, size, "%s", isnan(f) ? "nan" : f > 0 ? "inf" : "-inf");
		return DOX_ELEM_NONFINITE;
	}
	if (dt == MC_FLOAT32)
		cmd_format_float(buf, size, f);
	else
		narrow_text(buf, size, dt, b, f);
	return DOX_ELEM_NUMBER;
}

void dox_float_text(char *buf, size_t size, float f)
{
	if (isnan(f))
		snprintf(buf, size, "nan");
	else if (isinf(f))
		snprintf(buf, size, "%s", f > 0 ? "inf" : "-inf");
	else
		cmd_format_float(buf, size, f);
}

mc_dtype dox_complex_part(mc_dtype dt)
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

const char *dox_shape_text(char *buf, size_t size, const mc_onnx_tensor_type *tt)
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

void dox_type_cols(char *dt, size_t dts, char *sh, size_t shs, const Onnx__TypeProto *tp)
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
	dox_shape_text(sh, shs, &tt);
}

/* ---- names in a graph ---------------------------------------------------- */

int dox_name_ref_cmp(const void *pa, const void *pb)
{
	const dox_name_ref *a = pa, *b = pb;
	int c = strcmp(a->name, b->name);
	return c ? c : (a->pos > b->pos) - (a->pos < b->pos);
}

const dox_name_ref *dox_name_find(const dox_name_index *x, const char *name)
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

void dox_name_index_release(dox_name_index *x)
{
	free(x->v);
	x->v = NULL;
	x->n = 0;
}

int dox_index_initializers(dox_name_index *out, const Onnx__GraphProto *g)
{
	out->n = 0;
	out->v = malloc((g->n_initializer ? g->n_initializer : 1) * sizeof(dox_name_ref));
	if (!out->v)
		return MC_ENOMEM;
	for (size_t i = 0; i < g->n_initializer; i++)
		if (g->initializer[i]->name)
			out->v[out->n++] = (dox_name_ref){.name = g->initializer[i]->name, .pos = i};
	qsort(out->v, out->n, sizeof(dox_name_ref), dox_name_ref_cmp);
	return 0;
}

bool dox_is_initializer(const ox *d, const dox_name_index *inits, const char *name)
{
	if (!name)
		return false;
	return inits ? dox_name_find(inits, name) != NULL : mc_onnx_is_initializer(d->m, name);
}

size_t dox_attr_graphs(const Onnx__AttributeProto *a, Onnx__GraphProto *const **out)
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

bool dox_is_graph_attr(const Onnx__AttributeProto *a)
{
	Onnx__AttributeProto__AttributeType t = mc_onnx_attr_type(a);
	return t == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH ||
	       t == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS;
}

void dox_op_name(char *buf, size_t size, const Onnx__NodeProto *n)
{
	if (dox_default_domain(n->domain))
		snprintf(buf, size, "%s", dox_str(n->op_type));
	else
		snprintf(buf, size, "%s.%s", n->domain, dox_str(n->op_type));
}
