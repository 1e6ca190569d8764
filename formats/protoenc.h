/* SPDX-License-Identifier: MIT */
/*
 * Writing Protocol Buffers messages from protobuf-c structs, in two passes
 * over the same walk: the first measures every embedded message (a length
 * prefix must precede its payload), the second writes to a stream using
 * those lengths.  Nothing is assembled in memory, so a field whose bytes
 * come from elsewhere (ONNX tensor data from a mapped checkpoint) can be
 * streamed by a hook instead of being copied into the struct first.
 *
 * Fields are written in field-number order, repeated scalars packed where
 * the .proto says so, unknown fields never: the same struct always gives
 * the same bytes, and they are the bytes the reference protobuf library
 * gives for it.
 */
#ifndef MC_PROTOENC_H
#define MC_PROTOENC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <protobuf-c/protobuf-c.h>

typedef struct mc_pb_enc mc_pb_enc;

/* Encodes every field of `m` itself (with the helpers below) in place of
 * the generic walk, for messages of the type the hook was registered for.
 * It must do exactly the same in both passes (mc_pb_enc_writing tells
 * which is running, for work only the second needs).  0 or an error. */
typedef int (*mc_pb_hook_fn)(mc_pb_enc *e, const ProtobufCMessage *m, void *ctx);

typedef struct mc_pb_hook {
	const ProtobufCMessageDescriptor *desc;
	mc_pb_hook_fn fn;
} mc_pb_hook;

#define MC_PB_MAX_HOOKS 4

struct mc_pb_enc {
	FILE *fp;          /* NULL while measuring */
	const char *path;  /* for errors */
	uint64_t pos;      /* bytes measured or written so far */
	uint64_t *sizes;   /* embedded messages' sizes, in walk order */
	size_t nsizes, cap, next;
	mc_pb_hook hooks[MC_PB_MAX_HOOKS];
	size_t nhooks;
	void *ctx;
	int depth;
};

/* Start an encoder that names `path` in errors; hooks are added after. */
void mc_pb_enc_init(mc_pb_enc *e, const char *path, void *ctx);
int mc_pb_enc_hook(mc_pb_enc *e, const ProtobufCMessageDescriptor *desc, mc_pb_hook_fn fn);
void mc_pb_enc_free(mc_pb_enc *e);

/* The encoded size of `m` (first pass). */
int mc_pb_enc_measure(mc_pb_enc *e, const ProtobufCMessage *m, uint64_t *size);
/* Write `m` to fp (second pass; measure first).  MC_EIO on a write error. */
int mc_pb_enc_write(mc_pb_enc *e, const ProtobufCMessage *m, FILE *fp);

static inline bool mc_pb_enc_writing(const mc_pb_enc *e) { return e->fp != NULL; }

/* ---- for hooks ------------------------------------------------------------- */

/* One field of m as the generic walk writes it (nothing when absent). */
int mc_pb_enc_field(mc_pb_enc *e, const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f);
/* An embedded message as field `id` (hooks apply to it too). */
int mc_pb_enc_message(mc_pb_enc *e, uint32_t id, const ProtobufCMessage *m);
int mc_pb_enc_tag(mc_pb_enc *e, uint32_t id, int wire);
int mc_pb_enc_varint(mc_pb_enc *e, uint64_t v);
/* Bytes as they are: a payload announced with a tag and a length. */
int mc_pb_enc_raw(mc_pb_enc *e, const void *data, size_t len);
/* The stream being written (NULL while measuring), for hooks that stream a
 * payload themselves; they must add what they write with mc_pb_enc_add. */
static inline FILE *mc_pb_enc_stream(mc_pb_enc *e) { return e->fp; }
int mc_pb_enc_add(mc_pb_enc *e, uint64_t n);

/* Bytes of v as a varint. */
unsigned mc_pb_varint_size(uint64_t v);

#endif
