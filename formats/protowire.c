/* SPDX-License-Identifier: MIT */
/*
 * The Protocol Buffers wire format, as specified in "Encoding"
 * (https://protobuf.dev/programming-guides/encoding/):
 *
 *   message := (tag value)*            fields in any order, any may repeat
 *   tag     := varint  field_number << 3 | wire_type
 *   varint  := 1-10 bytes, 7 bits each, least significant group first,
 *              the high bit set on every byte but the last
 *   value   := wire type 0  varint        int32/64, uint32/64, bool, enum
 *              wire type 1  8 bytes LE    fixed64, sfixed64, double
 *              wire type 2  varint N, then N bytes: string, bytes, an
 *                           embedded message, or packed repeated scalars
 *              wire type 5  4 bytes LE    fixed32, sfixed32, float
 *              (3 and 4, groups, are deprecated; nothing here uses them)
 *
 * A repeated scalar field may come packed (one length-delimited payload
 * of back-to-back values) or one value per tag; readers accept both.
 *
 * mc_pb_strip walks a message against protobuf-c's generated descriptors
 * and writes a copy for protobuf_c_message_unpack.  It exists because
 * protobuf-c copies every bytes and repeated field it unpacks: handing it
 * an ONNX model as it is would copy every weight.  The copy leaves out the
 * elided fields and puts a marker (offset and length of the message in
 * the original) in their place, leaves out unknown fields (protobuf-c
 * would copy those too), and gives every embedded message a 5-byte
 * length, written once the message has been copied.  Nothing the copy
 * holds can make protobuf-c fail or recurse deeper than the walk did.
 */
#include <string.h>
#include <stdlib.h>

#include "checked.h"
#include "cursor.h"
#include "error.h"
#include "map.h"
#include "protowire.h"
#include "banned.h"

/* Bytes of the length the copy gives each embedded message: a varint
 * padded with continuation bits, enough for protobuf-c's 2 GiB limit. */
#define LEN_BYTES 5u

static const char *wire_name(int wire)
{
	switch (wire) {
	case MC_PB_VARINT: return "varint";
	case MC_PB_I64: return "64-bit";
	case MC_PB_LEN: return "length-delimited";
	case 3: return "group start";
	case 4: return "group end";
	case MC_PB_I32: return "32-bit";
	default: return "invalid";
	}
}

int mc_pb_varint(mc_cur *c, uint64_t *out)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < 10; i++) {
		uint8_t b;
		if (!mc_cur_left(c))
			return mc_corrupt(c, "truncated varint");
		if (mc_cur_u8(c, &b))
			return MC_ECORRUPT;
		if (i == 9 && b > 1)
			return mc_corrupt(c, "varint larger than 64 bits");
		v |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return mc_corrupt(c, "varint larger than 64 bits"); /* not reached */
}

int mc_pb_tag(mc_cur *c, const char *msg, uint32_t *field, int *wire)
{
	size_t start = c->pos;
	uint64_t v;
	int rc = mc_pb_varint(c, &v);

	if (rc)
		return rc;
	if (c->pos - start > 5) {
		c->pos = start;
		return mc_corrupt(c, "tag in %s is longer than 5 bytes", msg);
	}
	if ((v >> 3) > MC_PB_MAX_FIELD) {
		c->pos = start;
		return mc_corrupt(c, "field number %llu in %s is out of range",
		                  (unsigned long long)(v >> 3), msg);
	}
	*field = (uint32_t)(v >> 3);
	*wire = (int)(v & 7);
	if (*field == 0) {
		c->pos = start;
		return mc_corrupt(c, "field number 0 in %s", msg);
	}
	if (*wire != MC_PB_VARINT && *wire != MC_PB_I64 && *wire != MC_PB_LEN &&
	    *wire != MC_PB_I32) {
		c->pos = start;
		return mc_corrupt(c, "wire type %d (%s) of field %u in %s is not one protobuf uses", *wire,
		                  wire_name(*wire), *field, msg);
	}
	return 0;
}

int mc_pb_len(mc_cur *c, mc_cur *out)
{
	size_t start = c->pos;
	uint64_t n;
	int rc = mc_pb_varint(c, &n);

	if (rc)
		return rc;
	if (n > mc_cur_left(c)) {
		uint64_t left = mc_cur_left(c);
		c->pos = start;
		return mc_corrupt(c, "length %llu passes the end of the enclosing message (%llu bytes left)",
		                  (unsigned long long)n, (unsigned long long)left);
	}
	return mc_cur_sub(out, c, (size_t)n);
}

int mc_pb_skip(mc_cur *c, int wire)
{
	uint64_t v;
	mc_cur sub;

	switch (wire) {
	case MC_PB_VARINT: return mc_pb_varint(c, &v);
	case MC_PB_I64: return mc_cur_skip(c, 8);
	case MC_PB_LEN: return mc_pb_len(c, &sub);
	case MC_PB_I32: return mc_cur_skip(c, 4);
	default: return mc_corrupt(c, "wire type %d cannot be skipped", wire);
	}
}

int mc_pb_count_varints(const mc_cur *payload, uint64_t *out)
{
	mc_cur c = *payload;
	uint64_t n = 0, v;

	while (mc_cur_left(&c)) {
		int rc = mc_pb_varint(&c, &v);
		if (rc)
			return rc;
		n++;
	}
	*out = n;
	return 0;
}

/* ---- the validating copy ------------------------------------------------- */

typedef struct strip {
	uint8_t *out;
	size_t len, cap;
	const mc_pb_elide *elide;
	int max_depth;
	size_t dropped; /* bytes of the input left out of the copy */
	const mc_map *map; /* the mapping the input lies in, or NULL */
	uint64_t released; /* file offset up to which it was let go of */
} strip;

/* How far the walk goes between letting go of the mapping behind it. */
#define RELEASE_STEP ((uint64_t)16 << 20)

/* The kernel maps a whole large folio around each tag the walk reads:
 * megabytes of tensor data per message that nothing reads.  Let go of
 * what lies behind the walk now and then, so that peak memory does not
 * grow with the file. */
static void release_behind(strip *s, const mc_cur *c)
{
	uint64_t at = c->origin + c->pos;

	if (s->map && at > s->released && at - s->released >= RELEASE_STEP) {
		mc_map_done_with(s->map, s->map->data + s->released, (size_t)(at - s->released));
		s->released = at;
	}
}

static int reserve(strip *s, size_t n)
{
	size_t need, cap;

	if (!mc_add_size(&need, s->len, n))
		return mc_fail(MC_ELIMIT, NULL, NULL, -1, "model structure too large to copy");
	if (need <= s->cap)
		return 0;
	cap = s->cap ? s->cap : 4096;
	while (cap < need)
		if (!mc_mul_size(&cap, cap, 2))
			return mc_fail(MC_ELIMIT, NULL, NULL, -1, "model structure too large to copy");
	{
		uint8_t *p = realloc(s->out, cap);
		if (!p)
			return mc_nomem();
		s->out = p;
		s->cap = cap;
	}
	return 0;
}

static int emit(strip *s, const uint8_t *p, size_t n)
{
	int rc = reserve(s, n);
	if (rc)
		return rc;
	if (n)
		memcpy(s->out + s->len, p, n);
	s->len += n;
	return 0;
}

/* Write v as a varint into buf (10 bytes at most); returns its length. */
static size_t put_varint(uint8_t buf[10], uint64_t v)
{
	size_t n = 0;

	do {
		buf[n] = (uint8_t)(v & 0x7f);
		v >>= 7;
		if (v)
			buf[n] |= 0x80;
		n++;
	} while (v);
	return n;
}

static int emit_varint(strip *s, uint64_t v)
{
	uint8_t buf[10];
	return emit(s, buf, put_varint(buf, v));
}

/* The wire type a field's values take when not packed. */
static int scalar_wire(const ProtobufCFieldDescriptor *f)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
		return MC_PB_I32;
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return MC_PB_I64;
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_BYTES:
	case PROTOBUF_C_TYPE_MESSAGE:
		return MC_PB_LEN;
	default:
		return MC_PB_VARINT;
	}
}

/* Put "Message.field: " before the message of the error just recorded. */
static int in_field(int rc, const ProtobufCMessageDescriptor *desc,
                    const ProtobufCFieldDescriptor *f)
{
	const mc_error *e = mc_error_last();
	char msg[sizeof(e->msg)];

	memcpy(msg, e->msg, sizeof(msg));
	return mc_fail(rc, e->path[0] ? e->path : NULL, e->entry[0] ? e->entry : NULL, e->offset,
	               "%s.%s: %s", desc->short_name, f->name, msg);
}

/* A packed payload of field f must hold whole values. */
static int check_packed(mc_cur *payload, const ProtobufCMessageDescriptor *desc,
                        const ProtobufCFieldDescriptor *f)
{
	int wire = scalar_wire(f);
	size_t size = wire == MC_PB_I32 ? 4 : 8;
	uint64_t n;
	int rc;

	if (wire != MC_PB_VARINT) {
		if (mc_cur_left(payload) % size)
			return mc_corrupt(payload, "packed %s.%s holds %zu bytes, not a whole number of "
			                  "%zu-byte values", desc->short_name, f->name,
			                  mc_cur_left(payload), size);
		return 0;
	}
	if ((rc = mc_pb_count_varints(payload, &n)) != 0)
		return in_field(rc, desc, f);
	if (f->type == PROTOBUF_C_TYPE_BOOL) {
		/* protobuf-c refuses packed booleans other than 0 and 1 */
		mc_cur b = *payload;
		uint8_t v;
		while (mc_cur_left(&b)) {
			if ((rc = mc_cur_u8(&b, &v)) != 0)
				return rc;
			if (v > 1)
				return mc_corrupt(&b, "packed %s.%s holds a boolean other than 0 or 1",
				                  desc->short_name, f->name);
		}
	}
	return 0;
}

static int strip_message(strip *s, mc_cur *c, const ProtobufCMessageDescriptor *desc, int depth)
{
	const mc_pb_elide *el = s->elide;
	bool elided = el && desc == el->desc, dropped = false;
	uint64_t msg_off = c->origin;
	size_t msg_len = c->len;
	uint64_t seen = 0; /* non-repeated message fields met, by field index */

	while (mc_cur_left(c)) {
		size_t start = c->pos, tag_end;
		const ProtobufCFieldDescriptor *f;
		uint32_t field;
		int wire, want, rc;
		bool packed = false;
		mc_cur sub;

		release_behind(s, c);
		if ((rc = mc_pb_tag(c, desc->short_name, &field, &wire)) != 0)
			return rc;
		tag_end = c->pos;
		f = protobuf_c_message_descriptor_get_field(desc, field);
		if (!f) {
			if ((rc = mc_pb_skip(c, wire)) != 0)
				return rc;
			continue;
		}
		want = scalar_wire(f);
		if (wire != want) {
			if (wire == MC_PB_LEN && want != MC_PB_LEN && f->label == PROTOBUF_C_LABEL_REPEATED) {
				packed = true;
			} else {
				c->pos = start;
				return mc_corrupt(c, "%s.%s (field %u) has wire type %d (%s), not %d (%s)",
				                  desc->short_name, f->name, field, wire, wire_name(wire), want,
				                  wire_name(want));
			}
		}
		if (wire == MC_PB_LEN) {
			if ((rc = mc_pb_len(c, &sub)) != 0)
				return in_field(rc, desc, f);
			if (packed && (rc = check_packed(&sub, desc, f)) != 0)
				return rc;
		} else if ((rc = mc_pb_skip(c, wire)) != 0) {
			return in_field(rc, desc, f);
		}
		if (elided && field < 64 && (el->drop >> field & 1)) {
			dropped = true;
			s->dropped += c->pos - start;
			continue;
		}
		if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
			size_t index = (size_t)(f - desc->fields), hole;
			uint64_t len;
			if (f->label != PROTOBUF_C_LABEL_REPEATED && index < 64) {
				if (seen >> index & 1) {
					c->pos = start;
					return mc_corrupt(c, "%s.%s appears twice", desc->short_name, f->name);
				}
				seen |= UINT64_C(1) << index;
			}
			if (depth >= s->max_depth) {
				c->pos = start;
				return mc_cur_fail(c, MC_ELIMIT,
				                   "messages nested more than %d deep at %s.%s (subgraphs "
				                   "inside subgraphs?)", s->max_depth, desc->short_name,
				                   f->name);
			}
			if ((rc = emit(s, c->p + start, tag_end - start)) != 0 ||
			    (rc = reserve(s, LEN_BYTES)) != 0)
				return rc;
			hole = s->len;
			s->len += LEN_BYTES;
			if ((rc = strip_message(s, &sub, f->descriptor, depth + 1)) != 0)
				return rc;
			len = s->len - hole - LEN_BYTES;
			if (len > 0x7fffffffu)
				return mc_fail(MC_ELIMIT, NULL, NULL, (int64_t)sub.origin,
				               "%s.%s is 2 GiB or more without its tensor data",
				               desc->short_name, f->name);
			for (unsigned i = 0; i < LEN_BYTES; i++)
				s->out[hole + i] = (uint8_t)(((len >> (7 * i)) & 0x7f) |
				                             (i + 1 < LEN_BYTES ? 0x80 : 0));
			continue;
		}
		if ((rc = emit(s, c->p + start, c->pos - start)) != 0)
			return rc;
	}
	if (elided && dropped) {
		uint8_t payload[20];
		size_t n = put_varint(payload, msg_off);
		int rc;
		n += put_varint(payload + n, msg_len);
		if ((rc = emit_varint(s, (uint64_t)el->marker << 3 | MC_PB_LEN)) != 0 ||
		    (rc = emit_varint(s, n)) != 0 || (rc = emit(s, payload, n)) != 0)
			return rc;
	}
	return 0;
}

int mc_pb_strip(uint8_t **out, size_t *out_len, size_t *kept, const mc_cur *in,
                const ProtobufCMessageDescriptor *desc, const mc_pb_elide *elide, int max_depth,
                const mc_map *map)
{
	strip s = {NULL, 0, 0, elide, max_depth, 0, map, in->origin};
	mc_cur c = *in;
	int rc;

	*out = NULL;
	*out_len = 0;
	*kept = 0;
	c.pos = 0;
	rc = strip_message(&s, &c, desc, 0);
	if (!rc && s.len > 0x7fffffffu)
		rc = mc_fail(MC_ELIMIT, NULL, NULL, -1,
		             "%s is 2 GiB or more without its tensor data", desc->short_name);
	if (rc) {
		free(s.out);
		return rc;
	}
	*out = s.out;
	*out_len = s.len;
	*kept = in->len - s.dropped;
	return 0;
}
