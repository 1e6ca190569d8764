/* SPDX-License-Identifier: MIT */
/*
 * The npy format: one array per file, as numpy's np.save writes it.
 * Specified in numpy's "NEP 1 — A simple file format for NumPy arrays" and
 * numpy/lib/format.py.
 *
 *   offset 0   "\x93NUMPY"               magic, 6 bytes
 *   offset 6   major, minor              u8 each: 1.0, 2.0 or 3.0
 *   offset 8   header length             1.0: u16 LE; 2.0 and 3.0: u32 LE
 *   offset 10  (12) header               a Python dict literal, latin-1
 *                                        (3.0: UTF-8), padded with spaces
 *                                        and ended by "\n"
 *   then       the array data            exactly the array's byte size
 *
 * The header reads, for example,
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
 * numpy evaluates it with ast.literal_eval; modelctl parses the small
 * grammar that writers actually produce instead: exactly the three keys in
 * any order, single- or double-quoted strings without escapes, True/False,
 * a tuple of non-negative decimal ints (Python 2 writers add an 'L'),
 * optional trailing commas and whitespace.  numpy pads the whole header so
 * the data starts at a multiple of 64 bytes (16 in older releases),
 * which the reader does not require.  descr is a byte order ('<' little, '>'
 * big, '|' not applicable, '=' native, which is little on every machine
 * numpy files come from) and a type code: b1 (or ?), i1..i8, u1..u8, f2,
 * f4, f8, c8, c16.  Object arrays ('|O') hold pickles and are refused as
 * unsafe; structured, string, datetime and long double dtypes as
 * unsupported.
 */
#include <stdlib.h>
#include <string.h>

#include "checked.h"
#include "cursor.h"
#include "error.h"
#include "format.h"
#include "npy.h"
#include "pickle.h"
#include "banned.h"

static const uint8_t npy_magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

/* ---- the header dict ----------------------------------------------------- */

static int peek(const mc_cur *c)
{
	return mc_cur_left(c) ? *mc_cur_ptr(c) : -1;
}

static bool is_ws(int ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\f';
}

static void skip_ws(mc_cur *c)
{
	while (is_ws(peek(c)))
		c->pos++;
}

/* Printable text for messages: bytes outside printable ASCII become '?'. */
static const char *printable(char *buf, size_t size, const uint8_t *s, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n && k + 4 < size; i++)
		buf[k++] = (s[i] >= 0x20 && s[i] < 0x7f) ? (char)s[i] : '?';
	if (k + 4 >= size && n > k) {
		memcpy(buf + k, "...", 3);
		k += 3;
	}
	buf[k] = '\0';
	return buf;
}

static int expect(mc_cur *c, char ch, const char *where)
{
	char buf[8];
	int got = peek(c);

	if (got == ch) {
		c->pos++;
		return 0;
	}
	if (got < 0)
		return mc_corrupt(c, "malformed header: expected '%c' %s, found the end of the header",
		                  ch, where);
	{
		uint8_t b = (uint8_t)got;
		return mc_corrupt(c, "malformed header: expected '%c' %s, found '%s'", ch, where,
		                  printable(buf, sizeof(buf), &b, 1));
	}
}

/* A quoted Python string without escapes: borrowed bytes between the quotes. */
static int parse_string(mc_cur *c, const uint8_t **s, size_t *n, const char *what)
{
	int q = peek(c);
	size_t start;

	if (q != '\'' && q != '"')
		return mc_corrupt(c, "malformed header: %s must be a quoted string", what);
	c->pos++;
	start = c->pos;
	for (;;) {
		int ch = peek(c);
		if (ch < 0 || ch == '\n')
			return mc_corrupt(c, "malformed header: unterminated string");
		if (ch == '\\')
			return mc_corrupt(c, "malformed header: escape sequences in strings are not "
			                  "supported");
		if (ch == q)
			break;
		c->pos++;
	}
	*s = c->p + start;
	*n = c->pos - start;
	c->pos++;
	return 0;
}

static bool word_is(const uint8_t *s, size_t n, const char *w)
{
	return n == strlen(w) && memcmp(s, w, n) == 0;
}

/* True for an object type code with any byte order and size ('|O', 'O8'). */
static bool is_object_code(const uint8_t *s, size_t n)
{
	if (n && (s[0] == '<' || s[0] == '>' || s[0] == '|' || s[0] == '='))
		s++, n--;
	if (!n || s[0] != 'O')
		return false;
	for (size_t i = 1; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int object_refused(mc_cur *c)
{
	mc_cur_fail(c, MC_EUNSAFE,
	            "object array ('|O'): loading it needs pickle, which can run code");
	return mc_err_hint("save numeric arrays instead (np.save refuses object arrays with "
	                   "allow_pickle=False)");
}

static int unsupported_dtype(mc_cur *c, const char *descr)
{
	mc_cur_fail(c, MC_EUNSUPPORTED, "unsupported dtype '%s'", descr);
	return mc_err_hint("modelctl reads npy arrays of bool, int8-64, uint8-64, float16/32/64 "
	                   "and complex64/128");
}

/* A structured dtype is a list of fields: quote it in the message, and
 * refuse it as unsafe when a field holds Python objects. */
static int structured_descr(mc_cur *c)
{
	size_t start = c->pos, depth = 0;
	bool object = false;
	char buf[96];

	for (;;) {
		int ch = peek(c);
		if (ch < 0)
			return mc_corrupt(c, "malformed header: unterminated list in 'descr'");
		if (ch == '\'' || ch == '"') {
			const uint8_t *s;
			size_t n;
			int rc = parse_string(c, &s, &n, "a field");
			if (rc)
				return rc;
			object = object || is_object_code(s, n);
			continue;
		}
		c->pos++;
		if (ch == '[' || ch == '(')
			depth++;
		else if ((ch == ']' || ch == ')') && --depth == 0)
			break;
	}
	if (object) {
		c->pos = start;
		return object_refused(c);
	}
	printable(buf, sizeof(buf), c->p + start, c->pos - start);
	c->pos = start;
	mc_cur_fail(c, MC_EUNSUPPORTED, "structured dtype %s is not supported", buf);
	return mc_err_hint("save each field as its own array");
}

typedef struct dtype_code {
	const char *code;
	mc_dtype dtype;
} dtype_code;

static const dtype_code codes[] = {
	{"b1", MC_BOOL},      {"?", MC_BOOL},     {"i1", MC_INT8},     {"u1", MC_UINT8},
	{"i2", MC_INT16},     {"u2", MC_UINT16},  {"i4", MC_INT32},    {"u4", MC_UINT32},
	{"i8", MC_INT64},     {"u8", MC_UINT64},  {"f2", MC_FLOAT16},  {"f4", MC_FLOAT32},
	{"f8", MC_FLOAT64},   {"c8", MC_COMPLEX64}, {"c16", MC_COMPLEX128},
};

static int parse_descr(mc_npy_header *h, mc_cur *c)
{
	const uint8_t *s, *code;
	size_t n, ncode;
	char order = '=', shown[64];
	int rc;

	if (peek(c) == '[')
		return structured_descr(c);
	if ((rc = parse_string(c, &s, &n, "'descr'")))
		return rc;
	printable(shown, sizeof(shown), s, n);
	code = s;
	ncode = n;
	if (ncode && (code[0] == '<' || code[0] == '>' || code[0] == '|' || code[0] == '=')) {
		order = (char)code[0];
		code++;
		ncode--;
	}
	c->pos -= n + 1; /* point messages at the string */
	if (is_object_code(s, n))
		return object_refused(c);
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		if (word_is(code, ncode, codes[i].code)) {
			h->dtype = codes[i].dtype;
			h->swap = order == '>' && mc_dtype_size(h->dtype) > 1;
			c->pos += n + 1;
			return 0;
		}
	}
	return unsupported_dtype(c, shown);
}

static int parse_bool(mc_cur *c, bool *out)
{
	const uint8_t *s = mc_cur_ptr(c);
	size_t n = 0;

	while (n < mc_cur_left(c) && ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
	                              (s[n] >= '0' && s[n] <= '9') || s[n] == '_'))
		n++;
	if (word_is(s, n, "True"))
		*out = true;
	else if (word_is(s, n, "False"))
		*out = false;
	else
		return mc_corrupt(c, "malformed header: 'fortran_order' must be True or False");
	c->pos += n;
	return 0;
}

static int parse_dim(mc_cur *c, int64_t *out)
{
	const uint8_t *s = mc_cur_ptr(c);
	size_t left = mc_cur_left(c), i = 0, digits;
	bool neg = false;
	uint64_t v = 0;
	bool big = false;
	char buf[48];

	if (i < left && s[i] == '-') {
		neg = true;
		i++;
	}
	digits = i;
	while (i < left && s[i] >= '0' && s[i] <= '9') {
		if (v > (UINT64_MAX - 9) / 10)
			big = true;
		else
			v = v * 10 + (uint64_t)(s[i] - '0');
		i++;
	}
	if (i == digits)
		return mc_corrupt(c, "malformed header: 'shape' must be a tuple of ints");
	if (s[digits] == '0' && i - digits > 1)
		return mc_corrupt(c, "malformed header: dimension '%s' has a leading zero",
		                  printable(buf, sizeof(buf), s, i));
	printable(buf, sizeof(buf), s, i);
	if (neg && (v != 0 || big))
		return mc_corrupt(c, "negative dimension %s in 'shape'", buf);
	if (big || v > (uint64_t)INT64_MAX)
		return mc_cur_fail(c, MC_ELIMIT, "dimension %s in 'shape' is too large", buf);
	if (i < left && (s[i] == 'L' || s[i] == 'l')) /* Python 2 long */
		i++;
	c->pos += i;
	*out = (int64_t)v;
	return 0;
}

static int parse_shape(mc_npy_header *h, mc_cur *c)
{
	int rc;
	size_t n = 0;
	bool comma = false;

	if (peek(c) != '(')
		return mc_corrupt(c, "malformed header: 'shape' must be a tuple");
	c->pos++;
	skip_ws(c);
	while (peek(c) != ')') {
		int64_t d = 0;
		if (n == MC_MAX_DIMS)
			return mc_cur_fail(c, MC_ELIMIT, "shape has more than %d dimensions", MC_MAX_DIMS);
		if ((rc = parse_dim(c, &d)))
			return rc;
		h->shape.dims[n++] = d;
		skip_ws(c);
		comma = false;
		if (peek(c) == ',') {
			c->pos++;
			comma = true;
			skip_ws(c);
		} else if (peek(c) != ')') {
			return expect(c, ')', "to close 'shape'");
		}
	}
	if (n == 1 && !comma)
		return mc_corrupt(c, "malformed header: 'shape' (n) is an int, not a tuple; a "
		                  "one-dimensional shape is written (n,)");
	c->pos++;
	h->shape.ndim = (int)n;
	return 0;
}

enum { KEY_DESCR = 1, KEY_FORTRAN = 2, KEY_SHAPE = 4 };

static int parse_dict(mc_npy_header *h, mc_cur *c)
{
	unsigned seen = 0;
	int rc;

	skip_ws(c);
	if ((rc = expect(c, '{', "at the start of the header")))
		return rc;
	for (;;) {
		const uint8_t *key;
		size_t n;
		unsigned bit;
		char buf[64];

		skip_ws(c);
		if (peek(c) == '}')
			break;
		if ((rc = parse_string(c, &key, &n, "a key")))
			return rc;
		if (word_is(key, n, "descr"))
			bit = KEY_DESCR;
		else if (word_is(key, n, "fortran_order"))
			bit = KEY_FORTRAN;
		else if (word_is(key, n, "shape"))
			bit = KEY_SHAPE;
		else
			return mc_corrupt(c, "malformed header: unexpected key '%s' (an npy header has "
			                  "exactly 'descr', 'fortran_order' and 'shape')",
			                  printable(buf, sizeof(buf), key, n));
		if (seen & bit)
			return mc_corrupt(c, "malformed header: duplicate key '%s'",
			                  printable(buf, sizeof(buf), key, n));
		seen |= bit;
		skip_ws(c);
		if ((rc = expect(c, ':', "after a key")))
			return rc;
		skip_ws(c);
		if (bit == KEY_DESCR)
			rc = parse_descr(h, c);
		else if (bit == KEY_FORTRAN)
			rc = parse_bool(c, &h->fortran_order);
		else
			rc = parse_shape(h, c);
		if (rc)
			return rc;
		skip_ws(c);
		if (peek(c) == ',') {
			c->pos++;
			continue;
		}
		if (peek(c) != '}')
			return expect(c, '}', "or ',' after a value");
	}
	c->pos++;
	if (seen != (KEY_DESCR | KEY_FORTRAN | KEY_SHAPE))
		return mc_corrupt(c, "malformed header: missing key '%s'",
		                  !(seen & KEY_DESCR) ? "descr"
		                  : !(seen & KEY_FORTRAN) ? "fortran_order" : "shape");
	skip_ws(c);
	if (mc_cur_left(c))
		return mc_corrupt(c, "malformed header: unexpected text after the dict");
	if (c->len == 0 || c->p[c->len - 1] != '\n') {
		c->pos = c->len;
		return mc_corrupt(c, "malformed header: it does not end with a newline");
	}
	return 0;
}

/* numpy refuses arrays whose byte size, counting only non-zero dims, does
 * not fit in a signed 64-bit size; so does modelctl, which also keeps every
 * stride of a view representable. */
static int check_size(mc_npy_header *h, mc_cur *c)
{
	uint64_t bytes = mc_dtype_size(h->dtype);
	char buf[256];

	for (int i = 0; i < h->shape.ndim; i++) {
		uint64_t d = (uint64_t)h->shape.dims[i];
		if (d && (!mc_mul_u64(&bytes, bytes, d) || bytes > (uint64_t)INT64_MAX))
			return mc_cur_fail(c, MC_ELIMIT, "array of shape %s and dtype %s is too big: "
			                   "its byte size exceeds 2^63",
			                   mc_shape_format(buf, sizeof(buf), &h->shape),
			                   mc_dtype_name(h->dtype));
	}
	if (mc_tensor_nbytes(&h->nbytes, h->dtype, &h->shape) != 0)
		return mc_cur_fail(c, MC_ELIMIT, "array of shape %s has no valid byte size",
		                   mc_shape_format(buf, sizeof(buf), &h->shape));
	return 0;
}

int mc_npy_parse_header(mc_npy_header *out, mc_cur *c)
{
	size_t start = c->pos;
	const uint8_t *magic;
	uint32_t hlen;
	mc_cur hc;
	int rc;

	memset(out, 0, sizeof(*out));
	if (mc_cur_left(c) < sizeof(npy_magic) ||
	    memcmp(mc_cur_ptr(c), npy_magic, sizeof(npy_magic)) != 0)
		return mc_corrupt(c, "not an npy file: no \\x93NUMPY magic");
	if ((rc = mc_cur_bytes(c, sizeof(npy_magic), &magic)) || (rc = mc_cur_u8(c, &out->major)) ||
	    (rc = mc_cur_u8(c, &out->minor)))
		return rc;
	if (out->major < 1 || out->major > 3 || out->minor != 0) {
		c->pos -= 2;
		mc_cur_fail(c, MC_EUNSUPPORTED, "npy version %u.%u is not supported", out->major,
		            out->minor);
		return mc_err_hint("modelctl reads npy versions 1.0, 2.0 and 3.0");
	}
	if (out->major == 1) {
		uint16_t h16;
		if ((rc = mc_cur_u16le(c, &h16)))
			return rc;
		hlen = h16;
	} else if ((rc = mc_cur_u32le(c, &hlen))) {
		return rc;
	}
	if (hlen > MC_NPY_MAX_HEADER) {
		c->pos -= out->major == 1 ? 2 : 4;
		return mc_cur_fail(c, MC_ELIMIT, "header length %u is over the limit of %u bytes",
		                   hlen, MC_NPY_MAX_HEADER);
	}
	if (hlen == 0)
		return mc_corrupt(c, "malformed header: header length is 0");
	if ((rc = mc_cur_sub(&hc, c, hlen)))
		return rc;
	if ((rc = parse_dict(out, &hc)) || (rc = check_size(out, &hc)))
		return rc;
	out->data_offset = c->pos - start;
	return 0;
}

void mc_npy_view(mc_view *out, const mc_npy_header *h, const uint8_t *data)
{
	mc_view_init_dense(out, h->dtype, &h->shape, data);
	if (h->fortran_order) {
		int64_t stride = 1;
		for (int i = 0; i < h->shape.ndim; i++) {
			out->strides[i] = stride;
			stride *= h->shape.dims[i] ? h->shape.dims[i] : 1;
		}
	}
	out->swap = h->swap;
}

/* ---- writing the header ----------------------------------------------------- */

const char *mc_npy_descr(mc_dtype dt)
{
	switch (dt) {
	case MC_BOOL: return "|b1";
	case MC_INT8: return "|i1";
	case MC_UINT8: return "|u1";
	case MC_INT16: return "<i2";
	case MC_UINT16: return "<u2";
	case MC_INT32: return "<i4";
	case MC_UINT32: return "<u4";
	case MC_INT64: return "<i8";
	case MC_UINT64: return "<u8";
	case MC_FLOAT16: return "<f2";
	case MC_FLOAT32: return "<f4";
	case MC_FLOAT64: return "<f8";
	case MC_COMPLEX64: return "<c8";
	case MC_COMPLEX128: return "<c16";
	default: return NULL;
	}
}

/* numpy leaves room for the first dimension to grow to 21 digits
 * (GROWTH_AXIS_MAX_DIGITS) so np.lib.format can append in place. */
#define GROWTH_AXIS_MAX_DIGITS 21
#define ARRAY_ALIGN 64

int mc_npy_format_header(uint8_t **out, size_t *out_len, mc_dtype dt, const mc_shape *shape)
{
	const char *descr = mc_npy_descr(dt);
	char dict[64 + MC_MAX_DIMS * 24 + GROWTH_AXIS_MAX_DIGITS];
	size_t n = 0, hlen, pad, prefix, total;
	uint8_t *buf;
	int w;

	*out = NULL;
	*out_len = 0;
	if (!descr) {
		mc_fail(MC_EUNSUPPORTED, NULL, NULL, -1, "npy cannot hold dtype %s",
		        mc_dtype_name(dt));
		return mc_err_hint("write safetensors, which holds bfloat16 and float8 tensors");
	}
	if (shape->ndim < 0 || shape->ndim > MC_MAX_DIMS)
		return mc_fail(MC_EINVAL, NULL, NULL, -1, "shape has %d dimensions", shape->ndim);
#define PUT(...)                                                                 \
	do {                                                                     \
		w = snprintf(dict + n, sizeof(dict) - n, __VA_ARGS__);           \
		if (w < 0 || (size_t)w >= sizeof(dict) - n)                      \
			return mc_fail(MC_EINVAL, NULL, NULL, -1, "npy header too long"); \
		n += (size_t)w;                                                  \
	} while (0)
	PUT("{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
	for (int i = 0; i < shape->ndim; i++) {
		if (shape->dims[i] < 0)
			return mc_fail(MC_EINVAL, NULL, NULL, -1, "negative dimension %lld",
			               (long long)shape->dims[i]);
		PUT("%s%lld", i ? ", " : "", (long long)shape->dims[i]);
	}
	PUT("%s), }", shape->ndim == 1 ? "," : "");
	if (shape->ndim > 0) {
		int digits = snprintf(NULL, 0, "%lld", (long long)shape->dims[0]);
		for (int i = digits; i < GROWTH_AXIS_MAX_DIGITS; i++)
			PUT(" ");
	}
#undef PUT
	hlen = n + 1; /* the newline */
	prefix = 8 + 2;
	pad = ARRAY_ALIGN - (prefix + hlen) % ARRAY_ALIGN;
	if (hlen + pad > 0xFFFF) {
		prefix = 8 + 4;
		pad = ARRAY_ALIGN - (prefix + hlen) % ARRAY_ALIGN;
	}
	total = prefix + hlen + pad;
	buf = malloc(total);
	if (!buf)
		return mc_nomem();
	memcpy(buf, npy_magic, sizeof(npy_magic));
	buf[6] = prefix == 10 ? 1 : 2;
	buf[7] = 0;
	if (prefix == 10)
		mc_store_u16le(buf + 8, (uint16_t)(hlen + pad));
	else
		mc_store_u32le(buf + 8, (uint32_t)(hlen + pad));
	memcpy(buf + prefix, dict, n);
	memset(buf + prefix + n, ' ', pad);
	buf[total - 1] = '\n';
	*out = buf;
	*out_len = total;
	return 0;
}

/* ---- the format ---------------------------------------------------------------- */

static int npy_sniff(const uint8_t *head, size_t len)
{
	return len >= sizeof(npy_magic) && memcmp(head, npy_magic, sizeof(npy_magic)) == 0;
}

static int npy_open(mc_reader *r)
{
	mc_npy_header *h;
	mc_tensor_info *t;
	mc_cur c;
	size_t left;
	int rc;

	mc_cur_init(&c, r->map->data, r->map->len, 0, r->map->path, NULL);
	h = calloc(1, sizeof(*h));
	if (!h)
		return mc_nomem();
	r->impl = h;
	if ((rc = mc_npy_parse_header(h, &c)))
		return rc;
	left = mc_cur_left(&c);
	if (h->nbytes > left)
		return mc_corrupt(&c, "truncated: the array needs %llu bytes of data, %zu are left",
		                  (unsigned long long)h->nbytes, left);
	if (h->nbytes < left) {
		c.pos += (size_t)h->nbytes;
		return mc_corrupt(&c, "%zu extra bytes after the array's %llu bytes of data",
		                  left - (size_t)h->nbytes, (unsigned long long)h->nbytes);
	}
	if ((rc = mc_reader_alloc_tensors(r, 1)))
		return rc;
	t = &r->tensors[0];
	if (!(t->name = mc_arena_path_stem(r->arena, r->map->path, "array")))
		return mc_error_last()->code;
	t->dtype = h->dtype;
	t->shape = h->shape;
	t->nbytes = h->nbytes;
	r->ntensors = 1;
	return 0;
}

static int npy_read(mc_reader *r, size_t i, mc_view *out)
{
	const mc_npy_header *h = r->impl;

	(void)i;
	mc_npy_view(out, h, r->map->data + h->data_offset);
	out->map = r->map;
	return 0;
}

static void npy_close(mc_reader *r)
{
	free(r->impl);
	r->impl = NULL;
}

int mc_npy_scan_object(const uint8_t *p, size_t len, uint64_t origin, const char *path,
                       const char *entry, mc_scan_report *rep)
{
	mc_npy_header h;
	mc_pickle_env env = {0};
	mc_arena *arena = NULL;
	size_t end = 0, hlen, data;
	mc_cur c;
	int rc;

	mc_cur_init(&c, p, len, origin, path, entry);
	if (mc_npy_parse_header(&h, &c) != MC_EUNSAFE || len < 10)
		return 0; /* not an object array: open reports anything else */
	/* the header was read far enough to see the object dtype, so its
	 * length field is there: data starts right after the header */
	if (p[6] == 1) {
		hlen = mc_load_u16le(p + 8);
		data = 10 + hlen;
	} else {
		if (len < 12)
			return 0;
		hlen = mc_load_u32le(p + 8);
		data = 12 + hlen;
	}
	if (data > len)
		return 0;
	if ((rc = mc_scan_add(rep, "unsafe", true, entry, (int64_t)(origin + data),
	                      "object array: loading it runs the pickle below")) != 0)
		return rc;
	if ((rc = mc_arena_new(&arena, MC_VALUE_BYTES_FLOOR + 64 * (len - data))) != 0)
		return rc;
	env.path = path;
	env.entry = entry;
	env.origin = origin + data;
	env.arena = arena;
	/* list what the pickle inside would import; open refuses the array */
	rc = mc_pickle_scan_report(rep, &end, p + data, len - data, &env);
	mc_arena_free(arena);
	return rc == MC_ENOMEM ? rc : 0;
}

static int npy_scan(const mc_map *map, mc_scan_report *rep)
{
	return mc_npy_scan_object(map->data, map->len, 0, map->path, NULL, rep);
}

const mc_format mc_format_npy = {
	.name = "npy",
	.sniff = npy_sniff,
	.open = npy_open,
	.read = npy_read,
	.close = npy_close,
	.write = NULL,
	.scan = npy_scan,
};
