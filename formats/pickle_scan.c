/* SPDX-License-Identifier: MIT */
/*
 * The pickle opcode grammar and the linear scan.  A pickle (Lib/pickle.py,
 * Lib/pickletools.py; PEP 307 for protocol 2, PEP 3154 for 4, PEP 574 for
 * 5) is a stream of one-byte opcodes, each followed by an argument of a
 * fixed kind: nothing, a 1/2/4/8-byte little-endian integer, a big-endian
 * double, a length-prefixed byte string (1, 4 or 8 length bytes), or lines
 * of text ended by '\n' (protocol 0).  The stream ends at STOP.
 *
 * pk_read_op reads one opcode and checks its argument against the bytes
 * left before anything is allocated; both the machine (pickle.c) and the
 * scan below read through it, so they agree on where every opcode starts.
 * The text decoders of protocol 0 (STRING's escapes, UNICODE's
 * raw-unicode-escape) follow CPython's codecs exactly.
 *
 * mc_pickle_scan walks the opcodes without running anything and lists the
 * globals a pickle names.  STACK_GLOBAL takes its module and name from the
 * stack, so the walk keeps a shadow stack and memo that record, for each
 * slot, only whether it holds a literal string and which one; operands that
 * are not both literal strings cannot be resolved and are reported as such.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "checked.h"
#include "format.h"
#include "pickle_int.h"
#include "value.h"
#include "banned.h"

/* ---- the opcode table --------------------------------------------------- */

typedef enum arg_kind {
	A_NONE,
	A_U1,    /* u8 */
	A_U2,    /* u16 LE */
	A_I4,    /* i32 LE */
	A_U4,    /* u32 LE */
	A_U8,    /* u64 LE (FRAME) */
	A_F8,    /* big-endian double */
	A_LINE,  /* one line of text */
	A_LINE2, /* two lines */
	A_LEN1,  /* u8 length, then bytes */
	A_LEN4U, /* u32 length */
	A_LEN4S, /* i32 length, negative refused */
	A_LEN8   /* u64 length */
} arg_kind;

typedef struct op_info {
	const char *name;
	arg_kind arg;
} op_info;

static const op_info ops[256] = {
	[PK_MARK] = {"MARK", A_NONE},
	[PK_STOP] = {"STOP", A_NONE},
	[PK_POP] = {"POP", A_NONE},
	[PK_POP_MARK] = {"POP_MARK", A_NONE},
	[PK_DUP] = {"DUP", A_NONE},
	[PK_FLOAT] = {"FLOAT", A_LINE},
	[PK_INT] = {"INT", A_LINE},
	[PK_BININT] = {"BININT", A_I4},
	[PK_BININT1] = {"BININT1", A_U1},
	[PK_LONG] = {"LONG", A_LINE},
	[PK_BININT2] = {"BININT2", A_U2},
	[PK_NONE] = {"NONE", A_NONE},
	[PK_PERSID] = {"PERSID", A_LINE},
	[PK_BINPERSID] = {"BINPERSID", A_NONE},
	[PK_REDUCE] = {"REDUCE", A_NONE},
	[PK_STRING] = {"STRING", A_LINE},
	[PK_BINSTRING] = {"BINSTRING", A_LEN4S},
	[PK_SHORT_BINSTRING] = {"SHORT_BINSTRING", A_LEN1},
	[PK_UNICODE] = {"UNICODE", A_LINE},
	[PK_BINUNICODE] = {"BINUNICODE", A_LEN4U},
	[PK_APPEND] = {"APPEND", A_NONE},
	[PK_BUILD] = {"BUILD", A_NONE},
	[PK_GLOBAL] = {"GLOBAL", A_LINE2},
	[PK_DICT] = {"DICT", A_NONE},
	[PK_EMPTY_DICT] = {"EMPTY_DICT", A_NONE},
	[PK_APPENDS] = {"APPENDS", A_NONE},
	[PK_GET] = {"GET", A_LINE},
	[PK_BINGET] = {"BINGET", A_U1},
	[PK_INST] = {"INST", A_LINE2},
	[PK_LONG_BINGET] = {"LONG_BINGET", A_U4},
	[PK_LIST] = {"LIST", A_NONE},
	[PK_EMPTY_LIST] = {"EMPTY_LIST", A_NONE},
	[PK_OBJ] = {"OBJ", A_NONE},
	[PK_PUT] = {"PUT", A_LINE},
	[PK_BINPUT] = {"BINPUT", A_U1},
	[PK_LONG_BINPUT] = {"LONG_BINPUT", A_U4},
	[PK_SETITEM] = {"SETITEM", A_NONE},
	[PK_TUPLE] = {"TUPLE", A_NONE},
	[PK_EMPTY_TUPLE] = {"EMPTY_TUPLE", A_NONE},
	[PK_SETITEMS] = {"SETITEMS", A_NONE},
	[PK_BINFLOAT] = {"BINFLOAT", A_F8},
	[PK_PROTO] = {"PROTO", A_U1},
	[PK_NEWOBJ] = {"NEWOBJ", A_NONE},
	[PK_EXT1] = {"EXT1", A_U1},
	[PK_EXT2] = {"EXT2", A_U2},
	[PK_EXT4] = {"EXT4", A_I4},
	[PK_TUPLE1] = {"TUPLE1", A_NONE},
	[PK_TUPLE2] = {"TUPLE2", A_NONE},
	[PK_TUPLE3] = {"TUPLE3", A_NONE},
	[PK_NEWTRUE] = {"NEWTRUE", A_NONE},
	[PK_NEWFALSE] = {"NEWFALSE", A_NONE},
	[PK_LONG1] = {"LONG1", A_LEN1},
	[PK_LONG4] = {"LONG4", A_LEN4S},
	[PK_BINBYTES] = {"BINBYTES", A_LEN4U},
	[PK_SHORT_BINBYTES] = {"SHORT_BINBYTES", A_LEN1},
	[PK_SHORT_BINUNICODE] = {"SHORT_BINUNICODE", A_LEN1},
	[PK_BINUNICODE8] = {"BINUNICODE8", A_LEN8},
	[PK_BINBYTES8] = {"BINBYTES8", A_LEN8},
	[PK_EMPTY_SET] = {"EMPTY_SET", A_NONE},
	[PK_ADDITEMS] = {"ADDITEMS", A_NONE},
	[PK_FROZENSET] = {"FROZENSET", A_NONE},
	[PK_NEWOBJ_EX] = {"NEWOBJ_EX", A_NONE},
	[PK_STACK_GLOBAL] = {"STACK_GLOBAL", A_NONE},
	[PK_MEMOIZE] = {"MEMOIZE", A_NONE},
	[PK_FRAME] = {"FRAME", A_U8},
	[PK_BYTEARRAY8] = {"BYTEARRAY8", A_LEN8},
	[PK_NEXT_BUFFER] = {"NEXT_BUFFER", A_NONE},
	[PK_READONLY_BUFFER] = {"READONLY_BUFFER", A_NONE},
};

const char *pk_op_name(uint8_t code)
{
	return ops[code].name;
}

/* A line ended by '\n': borrowed, without the newline. */
static int read_line(mc_cur *c, const pk_op *op, const uint8_t **s, size_t *n)
{
	const uint8_t *p = mc_cur_ptr(c);
	const uint8_t *nl = memchr(p, '\n', mc_cur_left(c));

	if (!nl)
		return mc_corrupt(c, "truncated: %s argument has no newline before the end of the "
		                  "pickle", op->name);
	*s = p;
	*n = (size_t)(nl - p);
	c->pos += *n + 1;
	return 0;
}

/* A payload of `len` bytes, checked against the bytes left first. */
static int read_payload(mc_cur *c, pk_op *op, uint64_t len)
{
	if (len > mc_cur_left(c))
		return mc_corrupt(c, "truncated: %s of %llu bytes with %zu left", op->name,
		                  (unsigned long long)len, mc_cur_left(c));
	op->s_offset = mc_cur_offset(c);
	op->n = (size_t)len;
	return mc_cur_bytes(c, (size_t)len, &op->s);
}

int pk_read_op(mc_cur *c, pk_op *op)
{
	const op_info *info;
	uint8_t code, u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;
	int32_t i32;
	int rc;

	memset(op, 0, sizeof(*op));
	op->offset = mc_cur_offset(c);
	if (!mc_cur_left(c))
		return mc_corrupt(c, "truncated: the pickle ends without STOP");
	(void)mc_cur_u8(c, &code);
	info = &ops[code];
	if (!info->name) {
		c->pos--;
		return mc_corrupt(c, "unknown opcode 0x%02x", code);
	}
	op->code = code;
	op->name = info->name;
	switch (info->arg) {
	case A_NONE:
		return 0;
	case A_U1:
		if ((rc = mc_cur_u8(c, &u8)))
			return rc;
		op->u = u8;
		op->i = u8;
		return 0;
	case A_U2:
		if ((rc = mc_cur_u16le(c, &u16)))
			return rc;
		op->u = u16;
		op->i = u16;
		return 0;
	case A_I4:
		if ((rc = mc_cur_i32le(c, &i32)))
			return rc;
		op->i = i32;
		op->u = (uint32_t)i32;
		return 0;
	case A_U4:
		if ((rc = mc_cur_u32le(c, &u32)))
			return rc;
		op->u = u32;
		op->i = u32;
		return 0;
	case A_U8:
		if ((rc = mc_cur_u64le(c, &u64)))
			return rc;
		op->u = u64;
		op->i = (int64_t)(u64 > INT64_MAX ? INT64_MAX : u64);
		if (code == PK_FRAME && u64 > mc_cur_left(c))
			return mc_corrupt(c, "truncated: FRAME of %llu bytes with %zu left",
			                  (unsigned long long)u64, mc_cur_left(c));
		return 0;
	case A_F8:
		return mc_cur_f64be(c, &op->f);
	case A_LINE:
		if ((rc = read_line(c, op, &op->s, &op->n)))
			return rc;
		op->s_offset = op->offset + 1;
		return 0;
	case A_LINE2:
		if ((rc = read_line(c, op, &op->s, &op->n)) ||
		    (rc = read_line(c, op, &op->s2, &op->n2)))
			return rc;
		op->s_offset = op->offset + 1;
		return 0;
	case A_LEN1:
		if ((rc = mc_cur_u8(c, &u8)))
			return rc;
		return read_payload(c, op, u8);
	case A_LEN4U:
		if ((rc = mc_cur_u32le(c, &u32)))
			return rc;
		return read_payload(c, op, u32);
	case A_LEN4S:
		if ((rc = mc_cur_i32le(c, &i32)))
			return rc;
		if (i32 < 0) {
			c->pos -= 4;
			return mc_corrupt(c, "%s length %d is negative", op->name, (int)i32);
		}
		return read_payload(c, op, (uint64_t)i32);
	case A_LEN8:
		if ((rc = mc_cur_u64le(c, &u64)))
			return rc;
		return read_payload(c, op, u64);
	}
	return mc_corrupt(c, "unknown opcode 0x%02x", code);
}

/* ---- text decoders ------------------------------------------------------- */

bool pk_utf8_valid(const uint8_t *s, size_t n, bool surrogates)
{
	size_t i = 0;

	while (i < n) {
		uint8_t b = s[i];
		size_t need;
		uint32_t cp, min;

		if (b < 0x80) {
			i++;
			continue;
		}
		if (b >= 0xc2 && b <= 0xdf) {
			need = 1;
			cp = b & 0x1f;
			min = 0x80;
		} else if (b >= 0xe0 && b <= 0xef) {
			need = 2;
			cp = b & 0x0f;
			min = 0x800;
		} else if (b >= 0xf0 && b <= 0xf4) {
			need = 3;
			cp = b & 0x07;
			min = 0x10000;
		} else {
			return false;
		}
		if (n - i - 1 < need)
			return false;
		for (size_t k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (!surrogates && cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += need + 1;
	}
	return true;
}

bool pk_string_body(const uint8_t *line, size_t n, const uint8_t **body, size_t *bn,
                    const char **why)
{
	if (n < 2 || line[0] != line[n - 1] || (line[0] != '\'' && line[0] != '"')) {
		*why = "the STRING argument must be quoted";
		return false;
	}
	*body = line + 1;
	*bn = n - 2;
	return true;
}

static int hexval(uint8_t ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* CPython's _PyBytes_DecodeEscape: the escapes of a bytes literal; an
 * unknown escape keeps its backslash. */
bool pk_escape_decode(uint8_t *out, size_t *outn, const uint8_t *s, size_t n, const char **why)
{
	size_t i = 0, o = 0;

	while (i < n) {
		uint8_t ch = s[i++];
		if (ch != '\\') {
			out[o++] = ch;
			continue;
		}
		if (i == n) {
			*why = "trailing \\ in a STRING";
			return false;
		}
		ch = s[i++];
		switch (ch) {
		case '\n': break;
		case '\\': out[o++] = '\\'; break;
		case '\'': out[o++] = '\''; break;
		case '"': out[o++] = '"'; break;
		case 'b': out[o++] = '\b'; break;
		case 'f': out[o++] = '\f'; break;
		case 't': out[o++] = '\t'; break;
		case 'n': out[o++] = '\n'; break;
		case 'r': out[o++] = '\r'; break;
		case 'v': out[o++] = '\v'; break;
		case 'a': out[o++] = '\a'; break;
		case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
			unsigned v = (unsigned)(ch - '0');
			for (int k = 0; k < 2 && i < n && s[i] >= '0' && s[i] <= '7'; k++)
				v = v * 8 + (unsigned)(s[i++] - '0');
			out[o++] = (uint8_t)v;
			break;
		}
		case 'x': {
			int hi = i < n ? hexval(s[i]) : -1, lo = i + 1 < n ? hexval(s[i + 1]) : -1;
			if (hi < 0 || lo < 0) {
				*why = "invalid \\x escape in a STRING";
				return false;
			}
			out[o++] = (uint8_t)(hi * 16 + lo);
			i += 2;
			break;
		}
		default:
			out[o++] = '\\';
			i--; /* the character is read again as itself */
			break;
		}
	}
	*outn = o;
	return true;
}

static size_t put_utf8(uint8_t *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (uint8_t)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (uint8_t)(0xc0 | (cp >> 6));
		out[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (uint8_t)(0xe0 | (cp >> 12));
		out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (uint8_t)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (uint8_t)(0xf0 | (cp >> 18));
	out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return 4;
}

/* CPython's _PyUnicode_DecodeRawUnicodeEscapeStateful: bytes are latin-1
 * characters but for \uXXXX and \UXXXXXXXX; any other backslash is kept
 * with the character after it.  Worst case 2 bytes out per byte in. */
bool pk_raw_unicode_decode(uint8_t *out, size_t *outn, const uint8_t *s, size_t n,
                           const char **why)
{
	size_t i = 0, o = 0;

	while (i < n) {
		uint8_t ch = s[i++];
		int count;
		uint32_t cp = 0;

		if (ch != '\\' || i == n) {
			o += put_utf8(out + o, ch);
			continue;
		}
		ch = s[i++];
		if (ch == 'u') {
			count = 4;
		} else if (ch == 'U') {
			count = 8;
		} else {
			out[o++] = '\\';
			o += put_utf8(out + o, ch);
			continue;
		}
		for (; count; count--) {
			int h = i < n ? hexval(s[i]) : -1;
			if (h < 0) {
				*why = i < n ? "malformed \\u escape in a UNICODE"
				             : "truncated \\u escape in a UNICODE";
				return false;
			}
			cp = cp * 16 + (uint32_t)h;
			i++;
		}
		if (cp > 0x10ffff) {
			*why = "\\U escape out of range in a UNICODE";
			return false;
		}
		o += put_utf8(out + o, cp);
	}
	*outn = o;
	return true;
}

bool pk_latin1_encode(uint8_t *out, size_t *outn, const uint8_t *s, size_t n)
{
	size_t i = 0, o = 0;

	while (i < n) {
		if (s[i] < 0x80) {
			out[o++] = s[i++];
		} else if ((s[i] == 0xc2 || s[i] == 0xc3) && i + 1 < n && (s[i + 1] & 0xc0) == 0x80) {
			out[o++] = (uint8_t)(((s[i] & 0x1f) << 6) | (s[i + 1] & 0x3f));
			i += 2;
		} else {
			return false;
		}
	}
	*outn = o;
	return true;
}

/* ---- hash map -------------------------------------------------------------- */

uint64_t pk_mix(uint64_t x)
{
	return mc_hash_u64(x);
}

void pk_map_release(pk_map *m)
{
	free(m->e);
	m->e = NULL;
	m->cap = m->n = 0;
}

pk_map_entry *pk_map_find(const pk_map *m, uint64_t key)
{
	size_t mask, i;

	if (!m->cap || !key)
		return NULL;
	mask = m->cap - 1;
	for (i = pk_mix(key) & mask;; i = (i + 1) & mask) {
		if (m->e[i].key == key)
			return &m->e[i];
		if (!m->e[i].key)
			return NULL;
	}
}

int pk_map_reserve(pk_map *m)
{
	size_t cap, bytes;
	pk_map_entry *e;

	if (m->cap && (m->n + 1) * 4 <= m->cap * 3)
		return 0;
	cap = m->cap ? m->cap * 2 : 64;
	if (!mc_mul_size(&bytes, cap, sizeof(*e)))
		return mc_fail(MC_ELIMIT, NULL, NULL, -1, "pickle tables overflow a size");
	if (!(e = calloc(cap, sizeof(*e))))
		return mc_nomem();
	for (size_t k = 0; k < m->cap; k++) {
		size_t i;
		if (!m->e[k].key)
			continue;
		for (i = pk_mix(m->e[k].key) & (cap - 1); e[i].key; i = (i + 1) & (cap - 1))
			;
		e[i] = m->e[k];
	}
	free(m->e);
	m->e = e;
	m->cap = cap;
	return 0;
}

int pk_map_put(pk_map *m, uint64_t key, pk_map_entry **out)
{
	pk_map_entry *e = pk_map_find(m, key);
	size_t i;
	int rc;

	if (e) {
		*out = e;
		return 0;
	}
	if ((rc = pk_map_reserve(m)))
		return rc;
	for (i = pk_mix(key) & (m->cap - 1); m->e[i].key; i = (i + 1) & (m->cap - 1))
		;
	m->e[i].key = key;
	m->e[i].a = m->e[i].b = 0;
	m->n++;
	*out = &m->e[i];
	return 0;
}

/* ---- the linear walk ---------------------------------------------------- */

/* A shadow stack slot: the opcode and raw argument of a literal string, or
 * op 0 for anything else. */
typedef struct tag {
	const uint8_t *s;
	size_t n;
	uint8_t op;
} tag;

typedef struct walker {
	tag *stack;
	size_t sp, cap;
	size_t *marks;
	size_t nmarks, mcap;
	pk_map memo;     /* index + 1 -> a: s, b: n | op << 56 */
	uint64_t memo_count;
	uint8_t *scratch[2]; /* decoded STACK_GLOBAL operands */
	size_t scratch_cap[2];
} walker;

static const tag unknown_tag = {NULL, 0, 0};

static int push(walker *w, tag t, mc_cur *c)
{
	if (w->sp == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 256;
		tag *p;
		if (w->cap >= MC_PICKLE_MAX_STACK)
			return mc_cur_fail(c, MC_ELIMIT, "more than %u values on the pickle stack",
			                   (unsigned)MC_PICKLE_MAX_STACK);
		if (!(p = realloc(w->stack, cap * sizeof(*p))))
			return mc_nomem();
		w->stack = p;
		w->cap = cap;
	}
	w->stack[w->sp++] = t;
	return 0;
}

static size_t fence(const walker *w)
{
	return w->nmarks ? w->marks[w->nmarks - 1] : 0;
}

/* Pop up to k slots above the last mark: the walk is lenient about a
 * malformed stack, which the machine refuses anyway. */
static void pop(walker *w, size_t k)
{
	size_t avail = w->sp - fence(w);
	w->sp -= k < avail ? k : avail;
}

static void pop_mark(walker *w)
{
	if (w->nmarks)
		w->sp = w->marks[--w->nmarks];
}

static tag top(const walker *w, size_t k)
{
	return w->sp - fence(w) > k ? w->stack[w->sp - 1 - k] : unknown_tag;
}

/* A literal's text, decoded as the machine would decode it; false for a
 * literal that would not load as a str. */
static bool literal_text(walker *w, int which, tag t, const uint8_t **s, size_t *n)
{
	const char *why;
	const uint8_t *body;
	size_t need, bn;
	uint8_t *buf;

	switch (t.op) {
	case PK_BINUNICODE:
	case PK_SHORT_BINUNICODE:
	case PK_BINUNICODE8:
	case PK_BINSTRING:
	case PK_SHORT_BINSTRING:
		*s = t.s;
		*n = t.n;
		return true;
	case PK_STRING:
		if (!pk_string_body(t.s, t.n, &body, &bn, &why))
			return false;
		need = bn ? bn : 1;
		break;
	case PK_UNICODE:
		body = t.s;
		bn = t.n;
		if (!mc_mul_size(&need, bn ? bn : 1, 2))
			return false;
		break;
	default:
		return false;
	}
	if (need > w->scratch_cap[which]) {
		if (!(buf = realloc(w->scratch[which], need)))
			return false;
		w->scratch[which] = buf;
		w->scratch_cap[which] = need;
	}
	buf = w->scratch[which];
	if (t.op == PK_STRING ? !pk_escape_decode(buf, n, body, bn, &why)
	                      : !pk_raw_unicode_decode(buf, n, body, bn, &why))
		return false;
	*s = buf;
	return true;
}

static void walker_release(walker *w)
{
	free(w->stack);
	free(w->marks);
	pk_map_release(&w->memo);
	free(w->scratch[0]);
	free(w->scratch[1]);
}

/* Parse a protocol 0 memo index (decimal digits); false when it is not one. */
static bool text_index(const uint8_t *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (!n || n > 19)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return true;
}

static int memo_store(walker *w, uint64_t idx)
{
	pk_map_entry *e;
	tag t = top(w, 0);
	int rc;

	if (idx >= MC_PICKLE_MAX_MEMO)
		return 0; /* the machine refuses it */
	if (!pk_map_find(&w->memo, idx + 1))
		w->memo_count++;
	if ((rc = pk_map_put(&w->memo, idx + 1, &e)))
		return rc;
	e->a = (uint64_t)(uintptr_t)t.s;
	e->b = (uint64_t)t.n | ((uint64_t)t.op << 56);
	return 0;
}

static tag memo_fetch(walker *w, uint64_t idx)
{
	pk_map_entry *e = idx < MC_PICKLE_MAX_MEMO ? pk_map_find(&w->memo, idx + 1) : NULL;
	tag t = unknown_tag;

	if (e) {
		t.s = (const uint8_t *)(uintptr_t)e->a;
		t.n = (size_t)(e->b & ((1ull << 56) - 1));
		t.op = (uint8_t)(e->b >> 56);
	}
	return t;
}

int pk_walk(size_t *end, const uint8_t *data, size_t len, const mc_pickle_env *env,
            pk_global_fn fn, void *ctx)
{
	walker w;
	mc_cur c;
	pk_op op;
	uint64_t idx;
	int rc = 0;

	memset(&w, 0, sizeof(w));
	*end = 0;
	if (!(w.stack = malloc(256 * sizeof(*w.stack))))
		return mc_nomem();
	w.cap = 256;
	mc_cur_init(&c, data, len, env->origin, env->path, env->entry);
	for (;;) {
		if ((rc = pk_read_op(&c, &op)))
			break;
		switch (op.code) {
		case PK_STOP:
			*end = c.pos;
			goto out;
		case PK_MARK:
			if (w.nmarks == MC_PICKLE_MAX_DEPTH) {
				rc = mc_fail(MC_ELIMIT, env->path, env->entry, (int64_t)op.offset,
				             "MARKs nest deeper than %d levels", MC_PICKLE_MAX_DEPTH);
				goto out;
			}
			if (w.nmarks == w.mcap) {
				size_t cap = w.mcap ? w.mcap * 2 : 16;
				size_t *p = realloc(w.marks, cap * sizeof(*p));
				if (!p) {
					rc = mc_nomem();
					goto out;
				}
				w.marks = p;
				w.mcap = cap;
			}
			w.marks[w.nmarks++] = w.sp;
			break;
		case PK_POP:
			if (w.nmarks && w.marks[w.nmarks - 1] == w.sp)
				w.nmarks--;
			else
				pop(&w, 1);
			break;
		case PK_POP_MARK:
		case PK_APPENDS:
		case PK_SETITEMS:
		case PK_ADDITEMS:
			pop_mark(&w);
			break;
		case PK_DUP:
			rc = push(&w, top(&w, 0), &c);
			break;
		case PK_STRING:
		case PK_BINSTRING:
		case PK_SHORT_BINSTRING:
		case PK_UNICODE:
		case PK_BINUNICODE:
		case PK_SHORT_BINUNICODE:
		case PK_BINUNICODE8: {
			tag t = {op.s, op.n, op.code};
			rc = push(&w, t, &c);
			break;
		}
		case PK_BINPERSID:
		case PK_BUILD:
		case PK_APPEND:
			pop(&w, 1);
			if (op.code == PK_BINPERSID)
				rc = push(&w, unknown_tag, &c);
			break;
		case PK_REDUCE:
		case PK_NEWOBJ:
			pop(&w, 2);
			rc = push(&w, unknown_tag, &c);
			break;
		case PK_NEWOBJ_EX:
			pop(&w, 3);
			rc = push(&w, unknown_tag, &c);
			break;
		case PK_SETITEM:
			pop(&w, 2);
			break;
		case PK_TUPLE1:
		case PK_TUPLE2:
		case PK_TUPLE3:
			pop(&w, (size_t)(op.code - PK_TUPLE1 + 1));
			rc = push(&w, unknown_tag, &c);
			break;
		case PK_DICT:
		case PK_LIST:
		case PK_TUPLE:
		case PK_FROZENSET:
		case PK_OBJ:
			pop_mark(&w);
			rc = push(&w, unknown_tag, &c);
			break;
		case PK_GLOBAL:
		case PK_INST:
			rc = fn(ctx, op.s, op.n, op.s2, op.n2, op.code, 0, op.offset);
			if (rc)
				goto out;
			if (op.code == PK_INST)
				pop_mark(&w);
			rc = push(&w, unknown_tag, &c);
			break;
		case PK_STACK_GLOBAL: {
			const uint8_t *m, *nm;
			size_t mn, nn;
			if (literal_text(&w, 0, top(&w, 1), &m, &mn) &&
			    literal_text(&w, 1, top(&w, 0), &nm, &nn))
				rc = fn(ctx, m, mn, nm, nn, op.code, 0, op.offset);
			else
				rc = fn(ctx, NULL, 0, NULL, 0, op.code, 0, op.offset);
			if (rc)
				goto out;
			pop(&w, 2);
			rc = push(&w, unknown_tag, &c);
			break;
		}
		case PK_EXT1:
		case PK_EXT2:
		case PK_EXT4:
			if ((rc = fn(ctx, NULL, 0, NULL, 0, op.code, op.i, op.offset)))
				goto out;
			rc = push(&w, unknown_tag, &c);
			break;
		case PK_GET:
			if (!text_index(op.s, op.n, &idx))
				idx = UINT64_MAX;
			rc = push(&w, memo_fetch(&w, idx), &c);
			break;
		case PK_BINGET:
		case PK_LONG_BINGET:
			rc = push(&w, memo_fetch(&w, op.u), &c);
			break;
		case PK_PUT:
			if (text_index(op.s, op.n, &idx))
				rc = memo_store(&w, idx);
			break;
		case PK_BINPUT:
		case PK_LONG_BINPUT:
			rc = memo_store(&w, op.u);
			break;
		case PK_MEMOIZE:
			rc = memo_store(&w, w.memo_count);
			break;
		case PK_PROTO:
			if (op.u > PK_MAX_PROTO) {
				rc = mc_fail(MC_EUNSUPPORTED, env->path, env->entry, (int64_t)op.offset,
				             "pickle protocol %u is not supported (at most %d)",
				             (unsigned)op.u, PK_MAX_PROTO);
				goto out;
			}
			break;
		case PK_FRAME:
		case PK_READONLY_BUFFER:
			break;
		default:
			/* every other opcode pushes one value from its argument */
			rc = push(&w, unknown_tag, &c);
			break;
		}
		if (rc)
			break;
	}
out:
	walker_release(&w);
	return rc;
}

/* ---- mc_pickle_scan ------------------------------------------------------ */

typedef struct scan_ctx {
	const mc_pickle_env *env;
	mc_pickle_global *list;
	size_t n, cap;
} scan_ctx;

/* A name for the report: valid UTF-8 without control bytes, or the bytes
 * with every suspicious one as '?' (the report must stay one clean line). */
static char *report_text(mc_arena *a, const uint8_t *s, size_t n, bool *clean)
{
	char *p;
	bool utf8 = pk_utf8_valid(s, n, false);

	if (n > MC_PICKLE_MAX_GLOBAL_NAME) {
		n = MC_PICKLE_MAX_GLOBAL_NAME;
		*clean = false;
	}
	if (!(p = mc_arena_strndup(a, (const char *)s, n)))
		return NULL;
	for (size_t i = 0; i < n; i++) {
		uint8_t ch = (uint8_t)p[i];
		if (ch < 0x20 || ch == 0x7f || (!utf8 && ch >= 0x80)) {
			p[i] = '?';
			*clean = false;
		}
	}
	if (!utf8)
		*clean = false;
	return p;
}

static int scan_one(void *vctx, const uint8_t *module, size_t mlen, const uint8_t *name,
                    size_t nlen, uint8_t opcode, int64_t ext, uint64_t offset)
{
	scan_ctx *x = vctx;
	mc_arena *a = x->env->arena;
	mc_pickle_global *g;
	bool clean = true;

	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 16, bytes;
		mc_pickle_global *p;
		if (!mc_mul_size(&bytes, cap, sizeof(*p)) || !(p = mc_arena_alloc(a, bytes)))
			return mc_error_last()->code ? mc_error_last()->code : MC_ENOMEM;
		if (x->n)
			memcpy(p, x->list, x->n * sizeof(*p));
		x->list = p;
		x->cap = cap;
	}
	g = &x->list[x->n];
	memset(g, 0, sizeof(*g));
	g->offset = offset;
	if (opcode == PK_EXT1 || opcode == PK_EXT2 || opcode == PK_EXT4) {
		char buf[64];
		snprintf(buf, sizeof(buf), "_extension_registry[%lld]", (long long)ext);
		g->module = "copyreg";
		if (!(g->name = mc_arena_strndup(a, buf, strlen(buf))))
			return mc_error_last()->code;
		g->why = "an extension code names a callable registered at run time";
	} else if (!module) {
		g->module = "?";
		g->name = "?";
		g->why = "operands are not literal strings";
	} else {
		const char *m = report_text(a, module, mlen, &clean);
		const char *nm = m ? report_text(a, name, nlen, &clean) : NULL;
		if (!nm)
			return mc_error_last()->code;
		if (clean && !memchr(module, '\0', mlen) && !memchr(name, '\0', nlen))
			pk_map_py2(&m, &nm);
		else
			clean = false;
		g->module = m;
		g->name = nm;
		if (!clean)
			g->why = "name is not valid text";
		else if (strchr(nm, '.'))
			g->why = "a dotted name reaches an attribute";
		else if (!pk_global_find(m, nm))
			g->why = "not on the allowlist";
		else
			g->allowed = true;
	}
	x->n++;
	return 0;
}

int mc_pickle_scan(mc_pickle_global **out, size_t *count, size_t *end, const uint8_t *data,
                   size_t len, const mc_pickle_env *env)
{
	scan_ctx x;
	int rc;

	memset(&x, 0, sizeof(x));
	x.env = env;
	*out = NULL;
	*count = 0;
	rc = pk_walk(end, data, len, env, scan_one, &x);
	if (rc == 0) {
		*out = x.list;
		*count = x.n;
	}
	return rc;
}

/* ---- the nn.Module hint ---------------------------------------------------- */

static int nn_module_one(void *vctx, const uint8_t *module, size_t mlen, const uint8_t *name,
                         size_t nlen, uint8_t opcode, int64_t ext, uint64_t offset)
{
	static const char prefix[] = "torch.nn.modules";
	const size_t plen = sizeof(prefix) - 1;

	(void)vctx;
	(void)name;
	(void)nlen;
	(void)opcode;
	(void)ext;
	(void)offset;
	/* no Python 2 name maps into torch, so the names are compared as written */
	if (module && mlen >= plen && memcmp(module, prefix, plen) == 0 &&
	    (mlen == plen || module[plen] == '.'))
		return 1;
	return 0;
}

bool pk_names_nn_module(const uint8_t *data, size_t len, const mc_pickle_env *env)
{
	size_t end;

	return pk_walk(&end, data, len, env, nn_module_one, NULL) == 1;
}

int mc_pickle_scan_report(mc_scan_report *rep, size_t *end, const uint8_t *data, size_t len,
                          const mc_pickle_env *env)
{
	mc_pickle_global *g = NULL;
	size_t count = 0;
	int rc = mc_pickle_scan(&g, &count, end, data, len, env);

	if (rc)
		return mc_err_context(env->path, env->entry);
	for (size_t i = 0; i < count && !rc; i++) {
		if (g[i].allowed)
			rc = mc_scan_add(rep, "global", false, env->entry, (int64_t)g[i].offset,
			                 "%s.%s: allowed", g[i].module, g[i].name);
		else
			rc = mc_scan_add(rep, "global", true, env->entry, (int64_t)g[i].offset,
			                 "%s.%s: not allowed (%s)", g[i].module, g[i].name,
			                 g[i].why ? g[i].why : "not on the allowlist");
	}
	return rc;
}
