/* SPDX-License-Identifier: MIT */
/*
 * The safetensors format: reader (zero-copy views into the mapping) and
 * writer.  Specified by Hugging Face's safetensors project (the README's
 * "Format" section and the reference implementation, safetensors/src/tensor.rs):
 *
 *   offset 0      u64 little-endian N: the byte length of the header
 *   offset 8      N bytes of UTF-8 JSON, an object; the reference writer pads
 *                 it with spaces so that 8 + N is a multiple of 8
 *   offset 8 + N  the data buffer: every tensor's bytes, dense, C order,
 *                 little-endian, back to back
 *
 * The header maps each tensor name to
 *   {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}
 * with offsets relative to the start of the data buffer, and may hold one
 * "__metadata__" object of string to string.  As in the reference reader,
 * the tensors sorted by offset must tile the data buffer exactly: the first
 * begins at 0, each begins where the previous ends, the last ends at the
 * end of the file, and each spans exactly its dtype's size times its
 * element count.  N is capped at MC_SAFETENSORS_MAX_HEADER.
 *
 * The header is read in two walks over its bytes, neither of which builds a
 * tree.  A strict validating scan checks the syntax (RFC 8259, UTF-8,
 * nesting depth, no NUL characters) and allocates nothing, so a JSON error
 * anywhere is reported before anything the header means.  Then a parser of
 * this one schema walks the top-level object member by member: keys are
 * decoded into the reader's arena, each tensor's fields straight into a
 * small entry, integers exactly from their text, and every error names the
 * file offset of the value at fault.  Memory grows with what has actually
 * been read (the entry table, the names, the metadata), never on the word
 * of a count or a length the header declares.
 */
#include <inttypes.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checked.h"
#include "cursor.h"
#include "error.h"
#include "format.h"
#include "limits.h"
#include "value.h"
#include "banned.h"

/* Bytes before the header: the u64 header length. */
#define ST_PREFIX 8u
/* Shape dims and data offsets above 2^53 are refused: JSON readers other
 * than serde lose precision beyond it, and no file holds that many bytes. */
#define ST_MAX_INT (UINT64_C(1) << 53)
/* Numbers are copied into a buffer of this size to be read; no writer
 * needs more digits, and a longer one is refused (as it was when cJSON,
 * whose buffer this was, parsed the header). */
#define ST_MAX_NUMBER_CHARS 63u
/* How much of a name or a dtype string an error message quotes. */
#define ST_QUOTE 256

static const struct {
	const char *name;
	mc_dtype dtype;
} st_dtypes[] = {
	{"BOOL", MC_BOOL},
	{"U8", MC_UINT8},
	{"I8", MC_INT8},
	{"U16", MC_UINT16},
	{"I16", MC_INT16},
	{"U32", MC_UINT32},
	{"I32", MC_INT32},
	{"U64", MC_UINT64},
	{"I64", MC_INT64},
	{"F16", MC_FLOAT16},
	{"BF16", MC_BFLOAT16},
	{"F32", MC_FLOAT32},
	{"F64", MC_FLOAT64},
	{"C64", MC_COMPLEX64},
	{"F8_E4M3", MC_FLOAT8_E4M3FN},
	{"F8_E5M2", MC_FLOAT8_E5M2},
};
#define ST_NDTYPES (sizeof(st_dtypes) / sizeof(st_dtypes[0]))

static mc_dtype st_dtype_from_name(const char *name)
{
	for (size_t i = 0; i < ST_NDTYPES; i++)
		if (strcmp(st_dtypes[i].name, name) == 0)
			return st_dtypes[i].dtype;
	return MC_DTYPE_INVALID;
}

static const char *st_dtype_name(mc_dtype dt)
{
	for (size_t i = 0; i < ST_NDTYPES; i++)
		if (st_dtypes[i].dtype == dt)
			return st_dtypes[i].name;
	return NULL;
}

/* A string with its length, for duplicate detection by sorting. */
typedef struct st_str {
	const char *p;
	size_t n;
} st_str;

static int st_str_cmp(const void *a, const void *b)
{
	const st_str *x = a, *y = b;
	size_t n = x->n < y->n ? x->n : y->n;
	int c = n ? memcmp(x->p, y->p, n) : 0;
	if (c)
		return c;
	return (x->n > y->n) - (x->n < y->n);
}

/* Sort `s` and return the first string that occurs twice, or NULL. */
static const st_str *st_find_duplicate(st_str *s, size_t n)
{
	if (n < 2)
		return NULL;
	qsort(s, n, sizeof(*s), st_str_cmp);
	for (size_t i = 1; i < n; i++)
		if (st_str_cmp(&s[i - 1], &s[i]) == 0)
			return &s[i];
	return NULL;
}

/* Length of the well-formed UTF-8 sequence at p[0..n), or 0 when it is not
 * one (overlong forms, surrogates and code points past U+10FFFF included). */
static size_t st_utf8_seq(const uint8_t *p, size_t n)
{
	uint8_t b = p[0], lo = 0x80, hi = 0xbf;
	size_t len;

	if (b < 0x80)
		return 1;
	if (b >= 0xc2 && b <= 0xdf)
		len = 2;
	else if (b >= 0xe0 && b <= 0xef)
		len = 3;
	else if (b >= 0xf0 && b <= 0xf4)
		len = 4;
	else
		return 0;
	if (b == 0xe0)
		lo = 0xa0;
	else if (b == 0xed)
		hi = 0x9f;
	else if (b == 0xf0)
		lo = 0x90;
	else if (b == 0xf4)
		hi = 0x8f;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

static bool st_utf8_valid(const char *s, size_t n)
{
	const uint8_t *p = (const uint8_t *)s;
	for (size_t i = 0; i < n;) {
		size_t k = st_utf8_seq(p + i, n - i);
		if (!k)
			return false;
		i += k;
	}
	return true;
}

/* ---- the validating scan ---------------------------------------------- */

/* The scan reads through a cursor over the header.  It moves the cursor's
 * position itself only past bytes that lx_peek has just seen, so the
 * position never leaves the range; everything else goes through mc_cur_*.
 * It allocates nothing: its only state is the cursor and a recursion no
 * deeper than MC_JSON_MAX_DEPTH. */

static int lx_peek(const mc_cur *c)
{
	return mc_cur_left(c) ? mc_cur_ptr(c)[0] : -1;
}

static void lx_ws(mc_cur *c)
{
	int ch;
	while ((ch = lx_peek(c)) == ' ' || ch == '\t' || ch == '\n' || ch == '\r')
		c->pos++;
}

/* "header is not valid JSON: <what>, found <the byte at the cursor>" */
static int lx_bad(mc_cur *c, const char *what)
{
	int ch = lx_peek(c);
	if (ch < 0)
		return mc_corrupt(c, "header is not valid JSON: %s, found the end of the header", what);
	if (ch > 0x20 && ch < 0x7f)
		return mc_corrupt(c, "header is not valid JSON: %s, found '%c'", what, ch);
	return mc_corrupt(c, "header is not valid JSON: %s, found byte 0x%02x", what, ch);
}

static int lx_hex4(mc_cur *c, unsigned *out)
{
	unsigned v = 0;

	*out = 0;
	for (int i = 0; i < 4; i++) {
		int ch = lx_peek(c);
		if (ch >= '0' && ch <= '9')
			v = v * 16 + (unsigned)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			v = v * 16 + (unsigned)(ch - 'a' + 10);
		else if (ch >= 'A' && ch <= 'F')
			v = v * 16 + (unsigned)(ch - 'A' + 10);
		else
			return lx_bad(c, "expected 4 hex digits after \\u");
		c->pos++;
	}
	*out = v;
	return 0;
}

static int lx_string(mc_cur *c)
{
	size_t start = c->pos;
	int rc;

	c->pos++; /* the opening quote */
	for (;;) {
		int ch = lx_peek(c);
		if (ch < 0) {
			mc_cur_seek(c, start);
			return mc_corrupt(c, "header is not valid JSON: unterminated string");
		}
		if (ch == '"') {
			c->pos++;
			return 0;
		}
		if (ch < 0x20)
			return lx_bad(c, "control characters in a string must be escaped");
		if (ch >= 0x80) {
			size_t k = st_utf8_seq(mc_cur_ptr(c), mc_cur_left(c));
			if (!k)
				return mc_corrupt(c, "header is not valid UTF-8");
			c->pos += k;
			continue;
		}
		c->pos++;
		if (ch != '\\')
			continue;
		ch = lx_peek(c);
		if (ch == 'u') {
			unsigned u, lo;
			size_t at = c->pos - 1;
			c->pos++;
			if ((rc = lx_hex4(c, &u)) != 0)
				return rc;
			if (u == 0) {
				mc_cur_seek(c, at);
				return mc_cur_fail(c, MC_EUNSUPPORTED,
				                   "header string holds a NUL character (\\u0000)");
			}
			if (u >= 0xdc00 && u <= 0xdfff) {
				mc_cur_seek(c, at);
				return mc_corrupt(c, "header is not valid JSON: unpaired UTF-16 surrogate "
				                  "\\u%04x", u);
			}
			if (u >= 0xd800 && u <= 0xdbff) {
				if (lx_peek(c) != '\\')
					return lx_bad(c, "expected a low surrogate after a high one");
				c->pos++;
				if (lx_peek(c) != 'u')
					return lx_bad(c, "expected a low surrogate after a high one");
				c->pos++;
				if ((rc = lx_hex4(c, &lo)) != 0)
					return rc;
				if (lo < 0xdc00 || lo > 0xdfff) {
					mc_cur_seek(c, at);
					return mc_corrupt(c, "header is not valid JSON: unpaired UTF-16 "
					                  "surrogate \\u%04x", u);
				}
			}
			continue;
		}
		if (ch <= 0 || !strchr("\"\\/bfnrt", ch))
			return lx_bad(c, "invalid escape in a string");
		c->pos++;
	}
}

static int lx_digits(mc_cur *c)
{
	int ch = lx_peek(c);
	if (ch < '0' || ch > '9')
		return lx_bad(c, "expected a digit");
	while ((ch = lx_peek(c)) >= '0' && ch <= '9')
		c->pos++;
	return 0;
}

static int lx_number(mc_cur *c)
{
	size_t start = c->pos;
	int ch, rc;

	if (lx_peek(c) == '-')
		c->pos++;
	if (lx_peek(c) == '0')
		c->pos++;
	else if ((rc = lx_digits(c)) != 0)
		return rc;
	if (lx_peek(c) == '.') {
		c->pos++;
		if ((rc = lx_digits(c)) != 0)
			return rc;
	}
	if ((ch = lx_peek(c)) == 'e' || ch == 'E') {
		c->pos++;
		if ((ch = lx_peek(c)) == '+' || ch == '-')
			c->pos++;
		if ((rc = lx_digits(c)) != 0)
			return rc;
	}
	if (c->pos - start > ST_MAX_NUMBER_CHARS) {
		size_t n = c->pos - start;
		mc_cur_seek(c, start);
		return mc_cur_fail(c, MC_ELIMIT, "header number of %zu characters is longer than "
		                   "the limit of %u", n, ST_MAX_NUMBER_CHARS);
	}
	return 0;
}

static int lx_word(mc_cur *c, const char *word)
{
	size_t n = strlen(word);
	if (mc_cur_left(c) < n || memcmp(mc_cur_ptr(c), word, n) != 0)
		return lx_bad(c, "expected a value");
	c->pos += n;
	return 0;
}

static int lx_value(mc_cur *c, int depth);

/* An object or an array, with `close` its closing bracket. */
static int lx_container(mc_cur *c, int depth, int close)
{
	int rc;

	c->pos++;
	lx_ws(c);
	if (lx_peek(c) == close) {
		c->pos++;
		return 0;
	}
	for (;;) {
		lx_ws(c);
		if (close == '}') {
			if (lx_peek(c) != '"')
				return lx_bad(c, "expected a string key");
			if ((rc = lx_string(c)) != 0)
				return rc;
			lx_ws(c);
			if (lx_peek(c) != ':')
				return lx_bad(c, "expected ':' after an object key");
			c->pos++;
			lx_ws(c);
		}
		if ((rc = lx_value(c, depth + 1)) != 0)
			return rc;
		lx_ws(c);
		if (lx_peek(c) == ',') {
			c->pos++;
			continue;
		}
		if (lx_peek(c) == close) {
			c->pos++;
			return 0;
		}
		return lx_bad(c, close == '}' ? "expected ',' or '}' in an object"
		                              : "expected ',' or ']' in an array");
	}
}

/* Check (and step over) the value at the cursor, `depth` levels deep. */
static int lx_value(mc_cur *c, int depth)
{
	int ch = lx_peek(c);

	if (depth > MC_JSON_MAX_DEPTH)
		return mc_cur_fail(c, MC_ELIMIT, "header nests deeper than %d levels",
		                   MC_JSON_MAX_DEPTH);
	switch (ch) {
	case '{': return lx_container(c, depth, '}');
	case '[': return lx_container(c, depth, ']');
	case '"': return lx_string(c);
	case 't': return lx_word(c, "true");
	case 'f': return lx_word(c, "false");
	case 'n': return lx_word(c, "null");
	default:
		if (ch == '-' || (ch >= '0' && ch <= '9'))
			return lx_number(c);
		return lx_bad(c, "expected a value");
	}
}

/* Check the whole header is one JSON object (and trailing whitespace). */
static int lx_header(mc_cur *c)
{
	int rc = lx_value(c, 1);
	if (rc)
		return rc;
	lx_ws(c);
	if (mc_cur_left(c))
		return lx_bad(c, "expected the end of the header after the object");
	return 0;
}

/* Step over the ',' or the closing bracket after a member or element:
 * 1 when another follows, 0 at the end of the container.  The scan has
 * checked the syntax, so anything else is a bug, reported as corruption. */
static int lx_next(mc_cur *c, int close, int *more)
{
	lx_ws(c);
	if (lx_peek(c) == ',' || lx_peek(c) == close) {
		*more = lx_peek(c) == ',';
		c->pos++;
		lx_ws(c);
		return 0;
	}
	return lx_bad(c, "expected ',' or the end of a container");
}

/* Step into the object or array at the cursor: 1 in `more` unless it is empty. */
static void lx_open(mc_cur *c, int close, int *more)
{
	c->pos++;
	lx_ws(c);
	*more = lx_peek(c) != close;
	if (!*more)
		c->pos++;
}

/* Step over the ':' after an object key. */
static int lx_colon(mc_cur *c)
{
	lx_ws(c);
	if (lx_peek(c) != ':')
		return lx_bad(c, "expected ':' after an object key");
	c->pos++;
	lx_ws(c);
	return 0;
}

/* ---- the schema parser ---------------------------------------------------- */

/* Once the scan has accepted the header, one walk reads it: keys are
 * decoded straight into the reader's arena and tensor fields straight into
 * st_ent; of __metadata__ only its place is kept, and it is read into its
 * dict once the tensors are known good (so its errors come after theirs).
 * Memory grows with what the header holds, never with a count it declares. */

typedef struct st_impl {
	size_t data_start; /* file offset of the data buffer */
	uint64_t begin[];  /* per tensor (in r->tensors order), relative to it */
} st_impl;

/* The header is at most MC_SAFETENSORS_MAX_HEADER bytes, so an offset into
 * it, a count of its entries or of its dims all fit in 32 bits. */
_Static_assert(MC_SAFETENSORS_MAX_HEADER <= UINT32_MAX, "header offsets must fit in uint32_t");

/* One tensor entry of the header, as validated. */
typedef struct st_ent {
	const char *name;    /* decoded, in r->arena: it becomes the tensor's name */
	uint64_t begin, end; /* data_offsets */
	uint32_t name_len;   /* at most MC_MAX_NAME */
	uint32_t at;         /* header offset of the data_offsets array, for messages */
	uint32_t index;      /* position in the header: ties in data order keep it */
	uint32_t dims;       /* the shape is st_ctx.dims[dims, dims + ndim) */
	mc_dtype dtype;
	uint8_t ndim;
} st_ent;

typedef struct st_ctx {
	mc_reader *r;
	const char *path;
	mc_cur hdr;          /* over the header; offsets in messages are file offsets */
	uint64_t data_len;
	st_ent *ents;        /* in header order, then sorted by name, then by offset */
	size_t nents, ents_cap;
	int64_t *dims;       /* every entry's dims, back to back */
	size_t ndims, dims_cap;
	bool has_meta;
	size_t meta;         /* header offset of __metadata__'s value */
} st_ctx;

/* Grow a malloc'd array of `elem`-byte items by doubling; returns the new
 * array, or NULL with the error recorded (the old one is then still valid). */
static void *st_grow(void *p, size_t *cap, size_t elem)
{
	size_t ncap = *cap ? *cap : 256, bytes;
	void *q;

	if ((*cap && !mc_mul_size(&ncap, *cap, 2)) || !mc_mul_size(&bytes, ncap, elem)) {
		mc_nomem();
		return NULL;
	}
	q = realloc(p, bytes);
	if (!q) {
		mc_nomem();
		return NULL;
	}
	*cap = ncap;
	return q;
}

/* File offset of the header position `pos`. */
static int64_t st_off(size_t pos)
{
	return (int64_t)(ST_PREFIX + pos);
}

/* A cursor over the header at position `pos`. */
static int st_at(const st_ctx *cx, size_t pos, mc_cur *out)
{
	*out = cx->hdr;
	return mc_cur_seek(out, pos);
}

static void st_put(char *out, size_t cap, size_t *n, unsigned byte)
{
	if (*n < cap)
		out[*n] = (char)byte;
	(*n)++;
}

/* Decode the JSON string at the cursor, which the scan has accepted, to
 * UTF-8: its first `cap` bytes go to `out` (NULL when cap is 0) and its
 * whole length to `len`; the cursor moves past the closing quote. */
static int st_decode(mc_cur *c, char *out, size_t cap, size_t *len)
{
	size_t n = 0;
	int rc;

	if (lx_peek(c) != '"')
		return lx_bad(c, "expected a string");
	c->pos++;
	for (;;) {
		unsigned u, lo;
		int ch = lx_peek(c);
		if (ch < 0)
			return mc_corrupt(c, "header is not valid JSON: unterminated string");
		c->pos++;
		if (ch == '"')
			break;
		if (ch != '\\') {
			st_put(out, cap, &n, (unsigned)ch);
			continue;
		}
		if ((ch = lx_peek(c)) >= 0)
			c->pos++;
		switch (ch) {
		case '"': case '\\': case '/': st_put(out, cap, &n, (unsigned)ch); continue;
		case 'b': st_put(out, cap, &n, '\b'); continue;
		case 'f': st_put(out, cap, &n, '\f'); continue;
		case 'n': st_put(out, cap, &n, '\n'); continue;
		case 'r': st_put(out, cap, &n, '\r'); continue;
		case 't': st_put(out, cap, &n, '\t'); continue;
		case 'u': break;
		default: return lx_bad(c, "invalid escape in a string");
		}
		if ((rc = lx_hex4(c, &u)) != 0)
			return rc;
		if (u >= 0xd800 && u <= 0xdbff) {
			/* the scan checked a low surrogate follows */
			if (mc_cur_skip(c, 2) != 0 || (rc = lx_hex4(c, &lo)) != 0)
				return mc_error_last()->code;
			u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
		}
		if (u == 0)
			return mc_cur_fail(c, MC_EUNSUPPORTED, "header string holds a NUL character (\\u0000)");
		if (u < 0x80) {
			st_put(out, cap, &n, u);
		} else if (u < 0x800) {
			st_put(out, cap, &n, 0xc0 | (u >> 6));
			st_put(out, cap, &n, 0x80 | (u & 0x3f));
		} else if (u < 0x10000) {
			st_put(out, cap, &n, 0xe0 | (u >> 12));
			st_put(out, cap, &n, 0x80 | ((u >> 6) & 0x3f));
			st_put(out, cap, &n, 0x80 | (u & 0x3f));
		} else {
			st_put(out, cap, &n, 0xf0 | (u >> 18));
			st_put(out, cap, &n, 0x80 | ((u >> 12) & 0x3f));
			st_put(out, cap, &n, 0x80 | ((u >> 6) & 0x3f));
			st_put(out, cap, &n, 0x80 | (u & 0x3f));
		}
	}
	*len = n;
	return 0;
}

/* The header is mapped from a file that another process may write to
 * while it is read: what a second read relies on from the first is checked,
 * never assumed. */
static int st_changed(mc_cur *c)
{
	return mc_corrupt(c, "header changed while it was read");
}

/* Decode the string at the cursor into the reader's arena, NUL-terminated:
 * measured first, so it takes just its own length. */
static int st_decode_arena(const st_ctx *cx, mc_cur *c, char **out, size_t *len)
{
	size_t start = c->pos, n;
	char *p;
	int rc;

	if ((rc = st_decode(c, NULL, 0, &n)) != 0)
		return rc;
	if (!(p = mc_arena_alloc(cx->r->arena, n + 1)))
		return mc_error_last()->code;
	mc_cur_seek(c, start);
	if ((rc = st_decode(c, p, n, len)) != 0)
		return rc;
	if (*len != n)
		return st_changed(c);
	p[n] = '\0';
	*out = p;
	return 0;
}

/* Decode a short string (a field name, a dtype) into buf[ST_QUOTE + 1]:
 * whole when it fits, else its first ST_QUOTE bytes, enough to quote it. */
static int st_decode_short(mc_cur *c, char buf[ST_QUOTE + 1], size_t *len)
{
	int rc = st_decode(c, buf, ST_QUOTE, len);
	if (rc)
		return rc;
	buf[*len < ST_QUOTE ? *len : ST_QUOTE] = '\0';
	return 0;
}

/* How much of a decoded short string to quote. */
static int st_quote_len(size_t len)
{
	return (int)(len < ST_QUOTE ? len : ST_QUOTE);
}

static bool st_is(const char *s, size_t len, const char *word)
{
	return len == strlen(word) && memcmp(s, word, len) == 0;
}

/* Read the non-negative integer at the cursor as written in the header and
 * step over it.  `what` names it in messages ("shape dim", "data_offsets
 * begin"); `name` is the tensor, the error's entry. */
static int st_uint(const st_ctx *cx, mc_cur *c, const char *name, const char *what,
                   uint64_t *out)
{
	size_t start = c->pos, n;
	int64_t off = (int64_t)mc_cur_offset(c);
	char text[ST_MAX_NUMBER_CHARS + 1];
	const uint8_t *p;
	uint64_t v = 0;
	int ch = lx_peek(c), rc;

	*out = 0;
	if (ch != '-' && (ch < '0' || ch > '9'))
		return mc_fail(MC_ECORRUPT, cx->path, name, off, "%s is not a number", what);
	/* the scan accepted a number here of at most ST_MAX_NUMBER_CHARS */
	if ((rc = lx_number(c)) != 0)
		return rc;
	n = c->pos - start;
	mc_cur_seek(c, start);
	if (mc_cur_bytes(c, n, &p) != 0)
		return mc_error_last()->code;
	memcpy(text, p, n);
	text[n] = '\0';
	if (text[0] == '-')
		return mc_fail(MC_ECORRUPT, cx->path, name, off, "%s %s is negative", what, text);
	if (strpbrk(text, ".eE"))
		return mc_fail(MC_ECORRUPT, cx->path, name, off, "%s %s is not an integer", what, text);
	for (size_t i = 0; i < n; i++) {
		if (!mc_mul_u64(&v, v, 10) || !mc_add_u64(&v, v, (uint64_t)(text[i] - '0')) ||
		    v > ST_MAX_INT)
			return mc_fail(MC_ELIMIT, cx->path, name, off, "%s %s is larger than 2^53", what,
			               text);
	}
	*out = v;
	return 0;
}

/* The shape array at header position `pos`, into `out`. */
static int st_shape(const st_ctx *cx, size_t pos, const char *name, mc_shape *out)
{
	int64_t off = st_off(pos);
	int more, rc;
	mc_cur c;

	out->ndim = 0;
	if ((rc = st_at(cx, pos, &c)) != 0)
		return rc;
	if (lx_peek(&c) != '[')
		return mc_fail(MC_ECORRUPT, cx->path, name, off, "shape is not an array");
	lx_open(&c, ']', &more);
	while (more) {
		uint64_t v;
		if (out->ndim == MC_MAX_DIMS) {
			/* count them all for the message */
			size_t n = MC_MAX_DIMS;
			for (; more; n++)
				if ((rc = lx_value(&c, 4)) != 0 || (rc = lx_next(&c, ']', &more)) != 0)
					return rc;
			return mc_fail(MC_ELIMIT, cx->path, name, off,
			               "shape has %zu dims, more than the limit of %d", n, MC_MAX_DIMS);
		}
		if ((rc = st_uint(cx, &c, name, "shape dim", &v)) != 0 ||
		    (rc = lx_next(&c, ']', &more)) != 0)
			return rc;
		out->dims[out->ndim++] = (int64_t)v;
	}
	return 0;
}

/* The data_offsets array at header position `pos`, into e->begin and e->end. */
static int st_offsets(const st_ctx *cx, size_t pos, st_ent *e)
{
	size_t at[2] = {0, 0}, n = 0;
	int more, rc;
	mc_cur c;

	if ((rc = st_at(cx, pos, &c)) != 0)
		return rc;
	if (lx_peek(&c) == '[') {
		lx_open(&c, ']', &more);
		for (; more; n++) {
			if (n < 2)
				at[n] = c.pos;
			if ((rc = lx_value(&c, 4)) != 0 || (rc = lx_next(&c, ']', &more)) != 0)
				return rc;
		}
	}
	if (n != 2)
		return mc_fail(MC_ECORRUPT, cx->path, e->name, st_off(pos),
		               "data_offsets is not an array of two integers");
	if ((rc = mc_cur_seek(&c, at[0])) != 0 ||
	    (rc = st_uint(cx, &c, e->name, "data_offsets begin", &e->begin)) != 0 ||
	    (rc = mc_cur_seek(&c, at[1])) != 0 ||
	    (rc = st_uint(cx, &c, e->name, "data_offsets end", &e->end)) != 0)
		return rc;
	return 0;
}

/* Read the tensor entry at the cursor, called `name`, into a new st_ent
 * (everything but its place among the others), and step over it. */
static int st_entry(st_ctx *cx, mc_cur *c, const char *name, size_t name_len)
{
	static const char *const fields[3] = {"dtype", "shape", "data_offsets"};
	size_t off_pos = c->pos, pos[3] = {0, 0, 0};
	int64_t off = st_off(off_pos);
	bool seen[3] = {false, false, false};
	char buf[ST_QUOTE + 1], shbuf[256];
	const char *dtname;
	uint64_t nbytes, span, prod = 1;
	mc_shape sh;
	st_ent *e;
	size_t len;
	int more, rc;

	if (name_len == 0)
		return mc_fail(MC_ECORRUPT, cx->path, NULL, off, "empty tensor name");
	if (name_len > MC_MAX_NAME)
		return mc_fail(MC_ELIMIT, cx->path, NULL, off,
		               "tensor name of %zu bytes is longer than the limit of %u bytes", name_len,
		               MC_MAX_NAME);
	if (lx_peek(c) != '{')
		return mc_fail(MC_ECORRUPT, cx->path, name, off, "entry is not an object");

	/* Field names first, each value only stepped over: as in serde, an
	 * unknown or repeated field is the error even when a value before it
	 * is also wrong. */
	lx_open(c, '}', &more);
	while (more) {
		int f;
		if ((rc = st_decode_short(c, buf, &len)) != 0 || (rc = lx_colon(c)) != 0)
			return rc;
		for (f = 0; f < 3 && !st_is(buf, len, fields[f]); f++)
			;
		if (f == 3)
			return mc_fail(MC_ECORRUPT, cx->path, name, st_off(c->pos), "unknown field '%.*s'",
			               st_quote_len(len), buf);
		if (seen[f])
			return mc_fail(MC_ECORRUPT, cx->path, name, st_off(c->pos),
			               "duplicate field '%s'", fields[f]);
		seen[f] = true;
		pos[f] = c->pos;
		if ((rc = lx_value(c, 3)) != 0 || (rc = lx_next(c, '}', &more)) != 0)
			return rc;
	}
	for (int f = 0; f < 3; f++)
		if (!seen[f])
			return mc_fail(MC_ECORRUPT, cx->path, name, off, "missing field '%s'", fields[f]);

	if (cx->nents == cx->ents_cap) {
		st_ent *p = st_grow(cx->ents, &cx->ents_cap, sizeof(*p));
		if (!p)
			return MC_ENOMEM;
		cx->ents = p;
	}
	e = &cx->ents[cx->nents];
	memset(e, 0, sizeof(*e));
	e->name = name;
	e->name_len = (uint32_t)name_len;
	e->index = (uint32_t)cx->nents;
	e->at = (uint32_t)pos[2];

	{
		mc_cur d;
		if ((rc = st_at(cx, pos[0], &d)) != 0)
			return rc;
		if (lx_peek(&d) != '"')
			return mc_fail(MC_ECORRUPT, cx->path, name, st_off(pos[0]), "dtype is not a string");
		if ((rc = st_decode_short(&d, buf, &len)) != 0)
			return rc;
		e->dtype = len < ST_QUOTE ? st_dtype_from_name(buf) : MC_DTYPE_INVALID;
		if (e->dtype == MC_DTYPE_INVALID) {
			mc_fail(MC_EUNSUPPORTED, cx->path, name, st_off(pos[0]), "unsupported dtype '%.*s'",
			        st_quote_len(len), buf);
			return mc_err_hint("modelctl reads the safetensors dtypes BOOL, U8, I8, U16, I16, "
			                   "U32, I32, U64, I64, F16, BF16, F32, F64, C64, F8_E4M3 and "
			                   "F8_E5M2");
		}
		dtname = st_dtype_name(e->dtype);
	}
	if ((rc = st_shape(cx, pos[1], name, &sh)) != 0 || (rc = st_offsets(cx, pos[2], e)) != 0)
		return rc;
	if (e->begin > e->end)
		return mc_fail(MC_ECORRUPT, cx->path, name, st_off(pos[2]),
		               "data_offsets begin %" PRIu64 " is after end %" PRIu64, e->begin, e->end);
	if (e->end > cx->data_len)
		return mc_fail(MC_ECORRUPT, cx->path, name, st_off(pos[2]),
		               "data_offsets end %" PRIu64 " past the data (%" PRIu64 " bytes)", e->end,
		               cx->data_len);

	/* the shape is formatted only for a message, not for every good entry */
	if (mc_tensor_nbytes(&nbytes, e->dtype, &sh) != 0)
		return mc_fail(MC_ECORRUPT, cx->path, name, st_off(pos[1]),
		               "byte size of %s %s overflows 64 bits", dtname,
		               mc_shape_format(shbuf, sizeof(shbuf), &sh));
	/* Views compute strides as products of the dims, zeros counted as
	 * ones: a zero-size tensor must still keep that product in range. */
	for (int i = 0; i < sh.ndim; i++)
		if (!mc_mul_u64(&prod, prod, sh.dims[i] ? (uint64_t)sh.dims[i] : 1) || prod > INT64_MAX)
			return mc_fail(MC_ELIMIT, cx->path, name, st_off(pos[1]),
			               "shape %s is too large to address",
			               mc_shape_format(shbuf, sizeof(shbuf), &sh));
	span = e->end - e->begin;
	if (span != nbytes)
		return mc_fail(MC_ECORRUPT, cx->path, name, st_off(pos[2]),
		               "data_offsets span %" PRIu64 " bytes but %s %s needs %" PRIu64, span,
		               dtname, mc_shape_format(shbuf, sizeof(shbuf), &sh), nbytes);

	while (cx->dims_cap - cx->ndims < (size_t)sh.ndim) {
		int64_t *p = st_grow(cx->dims, &cx->dims_cap, sizeof(*p));
		if (!p)
			return MC_ENOMEM;
		cx->dims = p;
	}
	e->dims = (uint32_t)cx->ndims;
	e->ndim = (uint8_t)sh.ndim;
	for (int i = 0; i < sh.ndim; i++)
		cx->dims[cx->ndims++] = sh.dims[i];
	cx->nents++;
	return 0;
}

/* Walk the top-level object: every tensor into cx->ents, in header order,
 * and where __metadata__ is, read once the tensors are known good. */
static int st_parse(st_ctx *cx)
{
	mc_cur c = cx->hdr;
	int more, rc;

	lx_open(&c, '}', &more);
	while (more) {
		char *key = NULL;
		size_t len = 0;
		if ((rc = st_decode_arena(cx, &c, &key, &len)) != 0 || (rc = lx_colon(&c)) != 0)
			return rc;
		if (st_is(key, len, "__metadata__")) {
			if (cx->has_meta)
				return mc_fail(MC_ECORRUPT, cx->path, NULL, st_off(c.pos),
				               "duplicate key '__metadata__'");
			cx->has_meta = true;
			cx->meta = c.pos;
			rc = lx_value(&c, 2);
		} else {
			rc = st_entry(cx, &c, key, len);
		}
		if (rc || (rc = lx_next(&c, '}', &more)) != 0)
			return rc;
	}
	return 0;
}

static int st_ent_name_cmp(const void *a, const void *b)
{
	const st_ent *x = a, *y = b;
	size_t n = x->name_len < y->name_len ? x->name_len : y->name_len;
	int c = n ? memcmp(x->name, y->name, n) : 0;
	if (c)
		return c;
	return (x->name_len > y->name_len) - (x->name_len < y->name_len);
}

static int st_ent_cmp(const void *a, const void *b)
{
	const st_ent *x = a, *y = b;
	if (x->begin != y->begin)
		return x->begin < y->begin ? -1 : 1;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return (x->index > y->index) - (x->index < y->index);
}

/* Sorted by offset, the tensors must tile the data buffer exactly. */
static int st_tile(const st_ctx *cx)
{
	const st_ent *ents = cx->ents;
	uint64_t expect = 0;

	for (size_t i = 0; i < cx->nents; i++) {
		const st_ent *e = &ents[i];
		int64_t off = st_off(e->at);
		if (e->begin > expect) {
			if (i == 0)
				return mc_fail(MC_ECORRUPT, cx->path, e->name, off,
				               "gap of %" PRIu64 " unused bytes at the start of the data "
				               "(data_offsets begin %" PRIu64 ", not 0)",
				               e->begin - expect, e->begin);
			return mc_fail(MC_ECORRUPT, cx->path, e->name, off,
			               "gap of %" PRIu64 " unused bytes before data_offsets begin %" PRIu64
			               " (tensor '%.*s' ends at %" PRIu64 ")",
			               e->begin - expect, e->begin, ST_QUOTE, ents[i - 1].name, expect);
		}
		if (e->begin < expect)
			return mc_fail(MC_ECORRUPT, cx->path, e->name, off,
			               "data_offsets [%" PRIu64 ", %" PRIu64 "] overlap tensor '%.*s' "
			               "[%" PRIu64 ", %" PRIu64 "]",
			               e->begin, e->end, ST_QUOTE, ents[i - 1].name, ents[i - 1].begin,
			               ents[i - 1].end);
		expect = e->end;
	}
	if (expect != cx->data_len)
		return mc_fail(MC_ECORRUPT, cx->path, NULL,
		               (int64_t)(ST_PREFIX + cx->hdr.len + expect),
		               "%" PRIu64 " bytes of trailing data after the last tensor "
		               "(tensors cover %" PRIu64 " of %" PRIu64 " data bytes)",
		               cx->data_len - expect, expect, cx->data_len);
	return 0;
}

static int st_key_cmp(const void *a, const void *b)
{
	const mc_value *x = *(const mc_value *const *)a, *y = *(const mc_value *const *)b;
	size_t n = x->u.s.n < y->u.s.n ? x->u.s.n : y->u.s.n;
	int c = n ? memcmp(x->u.s.p, y->u.s.p, n) : 0;
	if (c)
		return c;
	return (x->u.s.n > y->u.s.n) - (x->u.s.n < y->u.s.n);
}

/* __metadata__ at header position cx->meta: an object of string values,
 * kept in header order.  A first walk checks the values and sizes the
 * dict, a second decodes every string into one arena block. */
static int st_metadata(const st_ctx *cx)
{
	mc_reader *r = cx->r;
	int64_t off = st_off(cx->meta);
	size_t n = 0, text = 0, bytes, len, used = 0;
	const mc_value **keys = NULL;
	mc_value *dict, *vals = NULL;
	mc_value **items = NULL;
	char *pool = NULL;
	int more, rc = 0;
	mc_cur c;

	if ((rc = st_at(cx, cx->meta, &c)) != 0)
		return rc;
	if (lx_peek(&c) == 'n')
		return 0; /* serde reads null as an absent Option, so does modelctl */
	if (lx_peek(&c) != '{')
		return mc_fail(MC_ECORRUPT, cx->path, "__metadata__", off,
		               "__metadata__ is not an object");
	lx_open(&c, '}', &more);
	for (; more; n++) {
		size_t key = c.pos, klen, vlen;
		if ((rc = st_decode(&c, NULL, 0, &klen)) != 0 || (rc = lx_colon(&c)) != 0)
			return rc;
		if (lx_peek(&c) != '"') {
			char buf[ST_QUOTE + 1];
			size_t value = c.pos;
			mc_cur_seek(&c, key);
			if ((rc = st_decode_short(&c, buf, &klen)) != 0)
				return rc;
			return mc_fail(MC_ECORRUPT, cx->path, "__metadata__", st_off(value),
			               "__metadata__ value of '%.*s' is not a string", st_quote_len(klen),
			               buf);
		}
		if ((rc = st_decode(&c, NULL, 0, &vlen)) != 0 || (rc = lx_next(&c, '}', &more)) != 0)
			return rc;
		/* each string and its NUL: no more than the header's own bytes */
		text += klen + vlen + 2;
	}

	dict = mc_value_new(r->arena, MC_VALUE_DICT);
	if (!dict)
		return mc_error_last()->code;
	if (n) {
		if (!mc_mul_size(&bytes, n, 2 * sizeof(mc_value)) ||
		    !(vals = mc_arena_alloc(r->arena, bytes)) ||
		    !mc_mul_size(&bytes, n, 2 * sizeof(mc_value *)) ||
		    !(items = mc_arena_alloc(r->arena, bytes)) || !(pool = mc_arena_alloc(r->arena, text)))
			return mc_error_last()->code;
		if (!(keys = calloc(n, sizeof(*keys))))
			return mc_nomem();
	}
	mc_cur_seek(&c, cx->meta);
	lx_open(&c, '}', &more);
	for (size_t i = 0; i < n; i++) {
		for (int k = 0; k < 2; k++) {
			mc_value *v = &vals[2 * i + (size_t)k];
			/* the first walk sized the pool for every string and its NUL */
			if (!more || lx_peek(&c) != '"') {
				rc = st_changed(&c);
				goto out;
			}
			if ((rc = st_decode(&c, pool + used, text - used, &len)) != 0 ||
			    (rc = k ? lx_next(&c, '}', &more) : lx_colon(&c)) != 0)
				goto out;
			if (len >= text - used) {
				rc = st_changed(&c);
				goto out;
			}
			v->kind = MC_VALUE_STR;
			v->u.s.p = pool + used;
			v->u.s.n = len;
			pool[used + len] = '\0';
			used += len + 1;
			items[2 * i + (size_t)k] = v;
		}
		keys[i] = &vals[2 * i];
	}
	/* Check keys are distinct by sorting, rather than filling the dict
	 * through mc_value_dict_set, whose search for an equal key would make a
	 * header with many keys quadratic. */
	if (n > 1) {
		qsort(keys, n, sizeof(*keys), st_key_cmp);
		for (size_t i = 1; i < n; i++) {
			if (st_key_cmp(&keys[i - 1], &keys[i]) == 0) {
				rc = mc_fail(MC_ECORRUPT, cx->path, "__metadata__", off,
				             "duplicate __metadata__ key '%.*s'", ST_QUOTE, keys[i]->u.s.p);
				goto out;
			}
		}
	}
	dict->u.seq.items = items;
	dict->u.seq.n = dict->u.seq.cap = 2 * n;
	r->metadata = dict;
out:
	free(keys);
	return rc;
}

static int st_sniff(const uint8_t *head, size_t len)
{
	return len > ST_PREFIX && head[ST_PREFIX] == '{';
}

static int st_open(mc_reader *r)
{
	const char *path = r->map->path;
	st_ctx cx = {0};
	st_impl *impl = NULL;
	const uint8_t *hdr;
	uint64_t n;
	size_t bytes;
	mc_cur cur, hc;
	int rc;

	mc_cur_init(&cur, r->map->data, r->map->len, 0, path, NULL);
	if (r->map->len < ST_PREFIX) {
		rc = mc_corrupt(&cur, "file of %zu bytes is too short for the 8-byte header length",
		                r->map->len);
		goto out;
	}
	if ((rc = mc_cur_u64le(&cur, &n)) != 0)
		goto out;
	if (n > mc_cur_left(&cur)) {
		rc = mc_fail(MC_ECORRUPT, path, NULL, 0,
		             "header length %" PRIu64 " is past the end of the file (%zu bytes)", n,
		             r->map->len);
		goto out;
	}
	if (n > MC_SAFETENSORS_MAX_HEADER) {
		rc = mc_fail(MC_ELIMIT, path, NULL, 0,
		             "header length %" PRIu64 " is over the limit of %u bytes", n,
		             MC_SAFETENSORS_MAX_HEADER);
		goto out;
	}
	if ((rc = mc_cur_sub(&hc, &cur, (size_t)n)) != 0 ||
	    (rc = mc_cur_bytes(&hc, (size_t)n, &hdr)) != 0)
		goto out;
	mc_cur_seek(&hc, 0);
	if (n == 0 || hdr[0] != '{') {
		rc = mc_corrupt(&hc, "header is not a JSON object%s", n == 0 ? " (it is empty)" : "");
		goto out;
	}
	/* The whole header's syntax first, so that a JSON error anywhere is
	 * reported before what the header means. */
	if ((rc = lx_header(&hc)) != 0)
		goto out;
	mc_cur_seek(&hc, 0);

	cx.r = r;
	cx.path = path;
	cx.hdr = hc;
	cx.data_len = mc_cur_left(&cur);
	if ((rc = st_parse(&cx)) != 0)
		goto out;
	if (cx.nents > 1) {
		qsort(cx.ents, cx.nents, sizeof(*cx.ents), st_ent_name_cmp);
		for (size_t i = 1; i < cx.nents; i++) {
			const char *dup = cx.ents[i].name;
			if (st_ent_name_cmp(&cx.ents[i - 1], &cx.ents[i]) == 0) {
				rc = mc_fail(MC_ECORRUPT, path, dup, ST_PREFIX, "duplicate tensor name '%.*s'",
				             ST_QUOTE, dup);
				goto out;
			}
		}
		qsort(cx.ents, cx.nents, sizeof(*cx.ents), st_ent_cmp);
	}
	if ((rc = st_tile(&cx)) != 0)
		goto out;
	if (cx.has_meta && (rc = st_metadata(&cx)) != 0)
		goto out;

	if ((rc = mc_reader_alloc_tensors(r, cx.nents)) != 0)
		goto out;
	if (!mc_mul_size(&bytes, cx.nents, sizeof(impl->begin[0])) ||
	    !mc_add_size(&bytes, bytes, sizeof(*impl)) || !(impl = malloc(bytes))) {
		rc = mc_nomem();
		goto out;
	}
	impl->data_start = ST_PREFIX + (size_t)n;
	/* tensors are listed in data order, as the reference reader lists them */
	for (size_t i = 0; i < cx.nents; i++) {
		const st_ent *e = &cx.ents[i];
		mc_tensor_info *t = &r->tensors[i];
		t->name = e->name;
		t->dtype = e->dtype;
		t->shape.ndim = e->ndim;
		for (int d = 0; d < e->ndim; d++)
			t->shape.dims[d] = cx.dims[e->dims + (size_t)d];
		t->nbytes = e->end - e->begin;
		impl->begin[i] = e->begin;
	}
	r->ntensors = cx.nents;
	r->impl = impl;
	impl = NULL;
	r->values = NULL;
out:
	free(cx.ents);
	free(cx.dims);
	free(impl);
	return rc;
}

static int st_read(mc_reader *r, size_t i, mc_view *out)
{
	const st_impl *impl = r->impl;
	const mc_tensor_info *t = &r->tensors[i];
	const uint8_t *p;
	mc_cur cur;
	int rc;

	/* open checked the range; the cursor checks it again for free */
	mc_cur_init(&cur, r->map->data, r->map->len, 0, r->map->path, t->name);
	if ((rc = mc_cur_seek(&cur, impl->data_start)) != 0 ||
	    (rc = mc_cur_skip(&cur, (size_t)impl->begin[i])) != 0 ||
	    (rc = mc_cur_bytes(&cur, (size_t)t->nbytes, &p)) != 0)
		return rc;
	mc_view_init_dense(out, t->dtype, &t->shape, p);
	out->map = r->map;
	return 0;
}

static void st_close(mc_reader *r)
{
	free(r->impl);
	r->impl = NULL;
}

/* ---- the writer ----------------------------------------------------------- */

typedef struct st_buf {
	char *p;
	size_t len, cap;
	int err; /* MC_ELIMIT or MC_ENOMEM once an append failed */
} st_buf;

static void sb_put(st_buf *b, const char *s, size_t n)
{
	if (b->err)
		return;
	if (n > b->cap - b->len) {
		size_t cap = b->cap ? b->cap : 1024;
		char *p;
		while (n > cap - b->len) {
			/* the header never grows past the cap: stop before it would */
			if (cap > MC_SAFETENSORS_MAX_HEADER) {
				b->err = MC_ELIMIT;
				return;
			}
			cap *= 2;
		}
		p = realloc(b->p, cap);
		if (!p) {
			b->err = MC_ENOMEM;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void sb_puts(st_buf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

/* A JSON string, escaped as serde_json escapes it. */
static void sb_json_str(st_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t run = 0;

	sb_put(b, "\"", 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		char esc[7];
		size_t elen = 2;
		if (ch >= 0x20 && ch != '"' && ch != '\\')
			continue;
		sb_put(b, s + run, i - run);
		run = i + 1;
		esc[0] = '\\';
		switch (ch) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[ch >> 4];
			esc[5] = hex[ch & 15];
			elen = 6;
		}
		sb_put(b, esc, elen);
	}
	sb_put(b, s + run, n - run);
	sb_put(b, "\"", 1);
}

static void sb_u64(st_buf *b, uint64_t v)
{
	char num[24];
	int k = snprintf(num, sizeof(num), "%" PRIu64, v);
	sb_put(b, num, (size_t)k);
}

typedef struct st_sink {
	FILE *fp;
	const char *path;
	const char *name;
} st_sink;

static int st_write_sink(void *ctx, const uint8_t *p, size_t n)
{
	const st_sink *s = ctx;
	if (fwrite(p, 1, n, s->fp) != n)
		return mc_fail(MC_EIO, s->path, s->name, -1, "cannot write: %s", strerror(errno));
	return 0;
}

/* Check the metadata is a dict of str to str that JSON can carry. */
static int st_check_metadata(const char *path, const mc_value *md)
{
	size_t n = mc_value_len(md);
	st_str *keys;
	const st_str *dup;
	int rc = 0;

	if (md->kind != MC_VALUE_DICT)
		return mc_fail(MC_EINVAL, path, NULL, -1, "safetensors metadata is not a dict");
	keys = calloc(n ? n : 1, sizeof(*keys));
	if (!keys)
		return mc_nomem();
	for (size_t i = 0; i < n; i++) {
		const mc_value *k = mc_value_dict_key(md, i), *v = mc_value_dict_val(md, i);
		if (k->kind != MC_VALUE_STR || v->kind != MC_VALUE_STR) {
			rc = mc_fail(MC_EINVAL, path, NULL, -1,
			             "safetensors metadata must map strings to strings (item %zu does not)", i);
			goto out;
		}
		if (memchr(k->u.s.p, 0, k->u.s.n) || memchr(v->u.s.p, 0, v->u.s.n) ||
		    !st_utf8_valid(k->u.s.p, k->u.s.n) || !st_utf8_valid(v->u.s.p, v->u.s.n)) {
			rc = mc_fail(MC_EINVAL, path, NULL, -1,
			             "safetensors metadata item %zu is not UTF-8 text without NUL", i);
			goto out;
		}
		keys[i].p = k->u.s.p;
		keys[i].n = k->u.s.n;
	}
	if ((dup = st_find_duplicate(keys, n)) != NULL)
		rc = mc_fail(MC_EINVAL, path, NULL, -1, "duplicate metadata key '%.*s'",
		             (int)(dup->n < ST_QUOTE ? dup->n : ST_QUOTE), dup->p);
out:
	free(keys);
	return rc;
}

/* Check one tensor can be written; its dense size goes in `nbytes`. */
static int st_check_tensor(const char *path, const mc_write_tensor *t, uint64_t *nbytes)
{
	const char *name = t->name;
	const mc_view *v = t->view;
	size_t len;

	if (!name || !(len = strlen(name)))
		return mc_fail(MC_EINVAL, path, NULL, -1, "empty tensor name");
	if (len > MC_MAX_NAME)
		return mc_fail(MC_EINVAL, path, NULL, -1,
		               "tensor name of %zu bytes is longer than the limit of %u bytes", len,
		               MC_MAX_NAME);
	if (strcmp(name, "__metadata__") == 0)
		return mc_fail(MC_EINVAL, path, name, -1,
		               "tensor name '__metadata__' is reserved by safetensors");
	if (!st_utf8_valid(name, len))
		return mc_fail(MC_EINVAL, path, NULL, -1, "tensor name is not valid UTF-8");
	if (!v)
		return mc_fail(MC_EINVAL, path, name, -1, "tensor '%.*s' has no data", ST_QUOTE, name);
	if (!st_dtype_name(v->dtype))
		return mc_fail(MC_EUNSUPPORTED, path, name, -1,
		               "tensor '%.*s': safetensors cannot store dtype '%s'", ST_QUOTE, name,
		               mc_dtype_name(v->dtype));
	if (v->shape.ndim < 0 || v->shape.ndim > MC_MAX_DIMS)
		return mc_fail(MC_EINVAL, path, name, -1, "tensor '%.*s' has %d dims", ST_QUOTE, name,
		               v->shape.ndim);
	for (int i = 0; i < v->shape.ndim; i++)
		if (v->shape.dims[i] < 0 || (uint64_t)v->shape.dims[i] > ST_MAX_INT)
			return mc_fail(MC_EINVAL, path, name, -1,
			               "tensor '%.*s': shape dim %" PRId64 " is out of range", ST_QUOTE,
			               name, v->shape.dims[i]);
	if (mc_tensor_nbytes(nbytes, v->dtype, &v->shape) != 0)
		return mc_fail(MC_ELIMIT, path, name, -1, "tensor '%.*s' is too large", ST_QUOTE, name);
	if (*nbytes && !v->data)
		return mc_fail(MC_EINVAL, path, name, -1, "tensor '%.*s' has no data", ST_QUOTE, name);
	return 0;
}

static int st_write(FILE *out, const char *path, const mc_write_tensor *tensors, size_t count,
                    const mc_value *metadata)
{
	st_buf b = {0};
	st_str *names = NULL;
	const st_str *dup;
	uint64_t offset = 0;
	uint8_t lenbuf[ST_PREFIX];
	int rc = 0;

	if (count && !tensors)
		return mc_fail(MC_EINVAL, path, NULL, -1, "no tensor list to write");
	if (metadata && (rc = st_check_metadata(path, metadata)) != 0)
		return rc;
	names = calloc(count ? count : 1, sizeof(*names));
	if (!names)
		return mc_nomem();

	sb_put(&b, "{", 1);
	if (metadata) {
		sb_json_str(&b, "__metadata__", strlen("__metadata__"));
		sb_put(&b, ":{", 2);
		for (size_t i = 0; i < mc_value_len(metadata); i++) {
			const mc_value *k = mc_value_dict_key(metadata, i);
			const mc_value *v = mc_value_dict_val(metadata, i);
			if (i)
				sb_put(&b, ",", 1);
			sb_json_str(&b, k->u.s.p, k->u.s.n);
			sb_put(&b, ":", 1);
			sb_json_str(&b, v->u.s.p, v->u.s.n);
		}
		sb_put(&b, "}", 1);
	}
	for (size_t i = 0; i < count; i++) {
		const mc_view *v = tensors[i].view;
		uint64_t nbytes;
		if ((rc = st_check_tensor(path, &tensors[i], &nbytes)) != 0)
			goto out;
		names[i].p = tensors[i].name;
		names[i].n = strlen(tensors[i].name);
		if (metadata || i)
			sb_put(&b, ",", 1);
		sb_json_str(&b, names[i].p, names[i].n);
		sb_puts(&b, ":{\"dtype\":\"");
		sb_puts(&b, st_dtype_name(v->dtype));
		sb_puts(&b, "\",\"shape\":[");
		for (int d = 0; d < v->shape.ndim; d++) {
			if (d)
				sb_put(&b, ",", 1);
			sb_u64(&b, (uint64_t)v->shape.dims[d]);
		}
		sb_puts(&b, "],\"data_offsets\":[");
		sb_u64(&b, offset);
		sb_put(&b, ",", 1);
		if (!mc_add_u64(&offset, offset, nbytes) || offset > ST_MAX_INT) {
			rc = mc_fail(MC_ELIMIT, path, tensors[i].name, -1,
			             "tensors add up to more than 2^53 bytes");
			goto out;
		}
		sb_u64(&b, offset);
		sb_puts(&b, "]}");
	}
	sb_put(&b, "}", 1);
	/* pad like the reference writer: 8 + N is a multiple of 8 */
	while (!b.err && b.len % 8)
		sb_put(&b, " ", 1);
	if (b.err == MC_ENOMEM) {
		rc = mc_nomem();
		goto out;
	}
	if (b.err || b.len > MC_SAFETENSORS_MAX_HEADER) {
		rc = mc_fail(MC_ELIMIT, path, NULL, -1,
		             "safetensors header would be over the limit of %u bytes",
		             MC_SAFETENSORS_MAX_HEADER);
		goto out;
	}
	if ((dup = st_find_duplicate(names, count)) != NULL) {
		rc = mc_fail(MC_EINVAL, path, dup->p, -1, "duplicate tensor name '%.*s'", ST_QUOTE,
		             dup->p);
		goto out;
	}

	mc_store_u64le(lenbuf, (uint64_t)b.len);
	if (fwrite(lenbuf, 1, sizeof(lenbuf), out) != sizeof(lenbuf) ||
	    fwrite(b.p, 1, b.len, out) != b.len) {
		rc = mc_fail(MC_EIO, path, NULL, -1, "cannot write: %s", strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < count; i++) {
		st_sink s = {out, path, tensors[i].name};
		if ((rc = mc_view_stream(tensors[i].view, st_write_sink, &s)) != 0) {
			mc_err_context(path, tensors[i].name);
			goto out;
		}
	}
out:
	free(b.p);
	free(names);
	return rc;
}

const mc_format mc_format_safetensors = {
	.name = "safetensors",
	.sniff = st_sniff,
	.open = st_open,
	.read = st_read,
	.close = st_close,
	.write = st_write,
};
