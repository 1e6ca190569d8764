/* SPDX-License-Identifier: MIT */
/*
 * The writing side of the wire format (see protowire.c for the layout).
 * Both passes run the same walk; the measuring pass records the size of
 * every embedded message in walk order, and the writing pass takes them
 * back in the same order to put each length before its payload.  A hook
 * that behaved differently in the two passes would desynchronise them, so
 * the writing pass checks every payload against its measured size.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "protoenc.h"
#include "protowire.h"
#include "banned.h"

/* Deeper than any struct the ONNX reader or the graph builder makes. */
#define ENC_MAX_DEPTH 256

void mc_pb_enc_init(mc_pb_enc *e, const char *path, void *ctx)
{
	memset(e, 0, sizeof(*e));
	e->path = path;
	e->ctx = ctx;
}

int mc_pb_enc_hook(mc_pb_enc *e, const ProtobufCMessageDescriptor *desc, mc_pb_hook_fn fn)
{
	if (e->nhooks == MC_PB_MAX_HOOKS)
		return mc_fail(MC_EINVAL, NULL, NULL, -1, "too many encoder hooks");
	e->hooks[e->nhooks].desc = desc;
	e->hooks[e->nhooks].fn = fn;
	e->nhooks++;
	return 0;
}

void mc_pb_enc_free(mc_pb_enc *e)
{
	free(e->sizes);
	e->sizes = NULL;
	e->nsizes = e->cap = e->next = 0;
}

unsigned mc_pb_varint_size(uint64_t v)
{
	unsigned n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static unsigned varint_put(uint8_t *buf, uint64_t v)
{
	unsigned n = 0;
	while (v >= 0x80) {
		buf[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	buf[n++] = (uint8_t)v;
	return n;
}

int mc_pb_enc_add(mc_pb_enc *e, uint64_t n)
{
	e->pos += n;
	return 0;
}

int mc_pb_enc_raw(mc_pb_enc *e, const void *data, size_t len)
{
	if (e->fp && len && fwrite(data, 1, len, e->fp) != len)
		return mc_fail(MC_EIO, e->path, NULL, (int64_t)e->pos, "cannot write: %s",
		               strerror(errno));
	e->pos += len;
	return 0;
}

int mc_pb_enc_varint(mc_pb_enc *e, uint64_t v)
{
	uint8_t buf[10];
	return mc_pb_enc_raw(e, buf, varint_put(buf, v));
}

int mc_pb_enc_tag(mc_pb_enc *e, uint32_t id, int wire)
{
	return mc_pb_enc_varint(e, (uint64_t)id << 3 | (unsigned)wire);
}

/* ---- scalars --------------------------------------------------------------- */

static int wire_of(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT: return MC_PB_I32;
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE: return MC_PB_I64;
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_BYTES:
	case PROTOBUF_C_TYPE_MESSAGE: return MC_PB_LEN;
	default: return MC_PB_VARINT;
	}
}

/* Bytes one element of a field takes in the struct. */
static size_t slot_size(ProtobufCType t)
{
	switch (t) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_ENUM: return 4;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE: return 8;
	case PROTOBUF_C_TYPE_BOOL: return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING: return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES: return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE: return sizeof(ProtobufCMessage *);
	}
	return 0;
}

static unsigned le_put(uint8_t *buf, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		buf[i] = (uint8_t)(v >> (8 * i));
	return n;
}

/* The wire bytes of one numeric element at p. */
static unsigned scalar_put(uint8_t buf[10], ProtobufCType t, const void *p)
{
	int32_t i32;
	int64_t i64;
	uint32_t u32;
	uint64_t u64;

	switch (t) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_ENUM:
		memcpy(&i32, p, 4);
		return varint_put(buf, (uint64_t)(int64_t)i32); /* negative: 10 bytes */
	case PROTOBUF_C_TYPE_SINT32:
		memcpy(&u32, p, 4);
		return varint_put(buf, (uint32_t)(u32 << 1) ^ (uint32_t)-(u32 >> 31));
	case PROTOBUF_C_TYPE_UINT32:
		memcpy(&u32, p, 4);
		return varint_put(buf, u32);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_UINT64:
		memcpy(&u64, p, 8);
		return varint_put(buf, u64);
	case PROTOBUF_C_TYPE_SINT64:
		memcpy(&u64, p, 8);
		return varint_put(buf, (u64 << 1) ^ (uint64_t)-(u64 >> 63));
	case PROTOBUF_C_TYPE_BOOL: {
		protobuf_c_boolean b;
		memcpy(&b, p, sizeof(b));
		return varint_put(buf, b ? 1 : 0);
	}
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
		memcpy(&u32, p, 4);
		return le_put(buf, u32, 4);
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		memcpy(&i64, p, 8);
		return le_put(buf, (uint64_t)i64, 8);
	default: return 0;
	}
}

/* ---- messages -------------------------------------------------------------- */

static int body(mc_pb_enc *e, const ProtobufCMessage *m);

static int slot_push(mc_pb_enc *e, size_t *slot)
{
	if (e->nsizes == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 64;
		uint64_t *p;
		if (cap > SIZE_MAX / sizeof(*p) || !(p = realloc(e->sizes, cap * sizeof(*p))))
			return mc_nomem();
		e->sizes = p;
		e->cap = cap;
	}
	*slot = e->nsizes++;
	return 0;
}

int mc_pb_enc_message(mc_pb_enc *e, uint32_t id, const ProtobufCMessage *m)
{
	uint64_t start, size = 0;
	size_t slot = 0;
	int rc;

	if (e->depth >= ENC_MAX_DEPTH)
		return mc_fail(MC_ELIMIT, e->path, NULL, -1, "messages nested more than %d deep",
		               ENC_MAX_DEPTH);
	if (!e->fp) {
		if ((rc = slot_push(e, &slot)) != 0)
			return rc;
	} else {
		if (e->next >= e->nsizes)
			return mc_fail(MC_EINVAL, e->path, NULL, -1, "encoder passes disagree");
		size = e->sizes[e->next++];
		if ((rc = mc_pb_enc_tag(e, id, MC_PB_LEN)) != 0 ||
		    (rc = mc_pb_enc_varint(e, size)) != 0)
			return rc;
	}
	start = e->pos;
	e->depth++;
	rc = body(e, m);
	e->depth--;
	if (rc)
		return rc;
	if (!e->fp) {
		/* the tag and length go before the payload when written */
		size = e->pos - start;
		e->sizes[slot] = size;
		e->pos += mc_pb_varint_size((uint64_t)id << 3) + mc_pb_varint_size(size);
	} else if (e->pos - start != size) {
		return mc_fail(MC_EINVAL, e->path, NULL, (int64_t)start,
		               "%s: %llu bytes written where %llu were measured", m->descriptor->name,
		               (unsigned long long)(e->pos - start), (unsigned long long)size);
	}
	return 0;
}

static int element(mc_pb_enc *e, const ProtobufCFieldDescriptor *f, const void *p)
{
	uint8_t buf[10];
	int rc;

	switch (f->type) {
	case PROTOBUF_C_TYPE_MESSAGE:
		return mc_pb_enc_message(e, f->id, *(const ProtobufCMessage *const *)p);
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(const char *const *)p;
		size_t n = s ? strlen(s) : 0;
		if ((rc = mc_pb_enc_tag(e, f->id, MC_PB_LEN)) != 0 ||
		    (rc = mc_pb_enc_varint(e, n)) != 0)
			return rc;
		return mc_pb_enc_raw(e, s, n);
	}
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *b = p;
		if ((rc = mc_pb_enc_tag(e, f->id, MC_PB_LEN)) != 0 ||
		    (rc = mc_pb_enc_varint(e, b->len)) != 0)
			return rc;
		return mc_pb_enc_raw(e, b->data, b->len);
	}
	default:
		if ((rc = mc_pb_enc_tag(e, f->id, wire_of(f->type))) != 0)
			return rc;
		return mc_pb_enc_raw(e, buf, scalar_put(buf, f->type, p));
	}
}

static bool present(const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	const uint8_t *base = (const uint8_t *)m;
	const void *member = base + f->offset;

	if (f->label == PROTOBUF_C_LABEL_REQUIRED)
		return true;
	if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
		uint32_t which;
		memcpy(&which, base + f->quantifier_offset, sizeof(which));
		return which == f->id;
	}
	if (f->type == PROTOBUF_C_TYPE_MESSAGE || f->type == PROTOBUF_C_TYPE_STRING) {
		const void *ptr = *(const void *const *)member;
		/* protobuf-c marks an absent string by its default's address */
		return ptr && ptr != f->default_value;
	}
	if (f->label == PROTOBUF_C_LABEL_OPTIONAL) {
		protobuf_c_boolean has;
		memcpy(&has, base + f->quantifier_offset, sizeof(has));
		return has != 0;
	}
	/* proto3 without presence: written when not zero */
	if (f->type == PROTOBUF_C_TYPE_BYTES)
		return ((const ProtobufCBinaryData *)member)->len != 0;
	{
		uint8_t zero[8] = {0};
		return memcmp(member, zero, slot_size(f->type)) != 0;
	}
}

static int repeated(mc_pb_enc *e, const ProtobufCFieldDescriptor *f, const uint8_t *arr, size_t n)
{
	size_t unit = slot_size(f->type);
	uint8_t buf[10];
	int rc;

	if (!n)
		return 0;
	if ((f->flags & PROTOBUF_C_FIELD_FLAG_PACKED) && wire_of(f->type) != MC_PB_LEN) {
		uint64_t len = 0;
		for (size_t i = 0; i < n; i++)
			len += scalar_put(buf, f->type, arr + i * unit);
		if ((rc = mc_pb_enc_tag(e, f->id, MC_PB_LEN)) != 0 ||
		    (rc = mc_pb_enc_varint(e, len)) != 0)
			return rc;
		for (size_t i = 0; i < n; i++)
			if ((rc = mc_pb_enc_raw(e, buf, scalar_put(buf, f->type, arr + i * unit))) != 0)
				return rc;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if ((rc = element(e, f, arr + i * unit)) != 0)
			return rc;
	return 0;
}

int mc_pb_enc_field(mc_pb_enc *e, const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
	const uint8_t *base = (const uint8_t *)m;

	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		size_t n;
		const uint8_t *arr;
		memcpy(&n, base + f->quantifier_offset, sizeof(n));
		memcpy(&arr, base + f->offset, sizeof(arr));
		return repeated(e, f, arr, n);
	}
	if (!present(m, f))
		return 0;
	return element(e, f, base + f->offset);
}

static int body(mc_pb_enc *e, const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	int rc;

	for (size_t i = 0; i < e->nhooks; i++)
		if (e->hooks[i].desc == d)
			return e->hooks[i].fn(e, m, e->ctx);
	/* protoc-c lists fields by number, the order the reference writes */
	for (unsigned i = 0; i < d->n_fields; i++)
		if ((rc = mc_pb_enc_field(e, m, &d->fields[i])) != 0)
			return rc;
	return 0;
}

/* Start a pass: measuring (fp NULL) forgets the sizes, writing replays them. */
static void pass_begin(mc_pb_enc *e, FILE *fp)
{
	e->fp = fp;
	e->pos = 0;
	e->next = 0;
	e->depth = 0;
	if (!fp)
		e->nsizes = 0;
}

int mc_pb_enc_measure(mc_pb_enc *e, const ProtobufCMessage *m, uint64_t *size)
{
	int rc;

	pass_begin(e, NULL);
	if ((rc = body(e, m)) != 0)
		return rc;
	*size = e->pos;
	return 0;
}

int mc_pb_enc_write(mc_pb_enc *e, const ProtobufCMessage *m, FILE *fp)
{
	int rc;

	pass_begin(e, fp);
	rc = body(e, m);
	e->fp = NULL;
	if (!rc && e->next != e->nsizes)
		rc = mc_fail(MC_EINVAL, e->path, NULL, -1, "encoder passes disagree");
	return rc;
}
