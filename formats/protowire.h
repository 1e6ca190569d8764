/* SPDX-License-Identifier: MIT */
/*
 * The Protocol Buffers wire format, read through a bounded cursor: varints,
 * tags, length-delimited payloads and packed repeated scalars, each checked
 * against the bytes present; and a validating walk of a whole message
 * against the descriptors protoc-c generates, which writes a copy of the
 * message without the fields a reader wants to leave in place (ONNX
 * tensor data).  See protowire.c for the wire format and the copy's layout.
 */
#ifndef MC_PROTOWIRE_H
#define MC_PROTOWIRE_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "cursor.h"

/* Wire types: the low three bits of a tag.  3 and 4 (groups) are refused. */
enum {
	MC_PB_VARINT = 0,
	MC_PB_I64 = 1,
	MC_PB_LEN = 2,
	MC_PB_I32 = 5
};

/* Field numbers run from 1 to 2^29 - 1. */
#define MC_PB_MAX_FIELD ((UINT32_C(1) << 29) - 1)

/* A varint of at most 10 bytes whose value fits in 64 bits. */
int mc_pb_varint(mc_cur *c, uint64_t *out);
/* A tag: field number in [1, MC_PB_MAX_FIELD], wire type 0, 1, 2 or 5.
 * `msg` names the message for errors. */
int mc_pb_tag(mc_cur *c, const char *msg, uint32_t *field, int *wire);
/* The payload of a length-delimited value as a cursor of its own, after
 * checking the length against the bytes left; advances past it. */
int mc_pb_len(mc_cur *c, mc_cur *out);
/* Skip one value of wire type `wire` (a length-delimited one whole). */
int mc_pb_skip(mc_cur *c, int wire);
/* Elements in a packed payload of varints, each checked to end inside it. */
int mc_pb_count_varints(const mc_cur *payload, uint64_t *out);

/* Messages of type `desc` lose the fields whose numbers are set in `drop`
 * (all below 64) from the copy; when any was present, the copy gets one
 * `marker` field (length-delimited) in their place, holding two varints:
 * the file offset and the length of the message's own bytes, so that the
 * dropped fields can be read again from the original. */
typedef struct mc_pb_elide {
	const ProtobufCMessageDescriptor *desc;
	uint64_t drop;
	uint32_t marker;
} mc_pb_elide;

/* Walk the message in `in` (its origin is its file offset) as type `desc`
 * and write the copy to a malloc'd buffer in *out (owned by the caller).
 * The walk checks every tag, wire type, varint, length and packed payload
 * against the descriptors, refuses a non-repeated message field given
 * twice (protobuf would merge the two) and messages nested more than
 * `max_depth` deep.  The copy keeps the known fields of each message in
 * their order, drops unknown fields and the elided ones, and writes every
 * embedded message's length as a 5-byte varint (protobuf-c accepts
 * non-minimal lengths), so the copy is written in one pass.  *kept gets the
 * bytes of `in` that were not elided: the size of the structure as stored.
 * MC_ECORRUPT with the offset and the field at fault; MC_ELIMIT for the
 * depth or a copy of 2 GiB or more, which protobuf-c cannot unpack.
 * When `in` lies in `map` (at its origin), the walk lets go of the pages
 * behind it as it goes (mc_map_done_with); NULL for a buffer of one's own. */
int mc_pb_strip(uint8_t **out, size_t *out_len, size_t *kept, const mc_cur *in,
                const ProtobufCMessageDescriptor *desc, const mc_pb_elide *elide, int max_depth,
                const struct mc_map *map);

#endif
