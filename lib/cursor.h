/* SPDX-License-Identifier: MIT */
/*
 * A bounded reader over a byte range.  Every parser reads through a cursor,
 * never with raw pointer arithmetic: each read is checked against the bytes
 * remaining, and a failed read records a truncation error with the file,
 * entry and absolute offset where it happened.
 */
#ifndef MC_CURSOR_H
#define MC_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

typedef struct mc_cur {
	const uint8_t *p;  /* start of the range */
	size_t len;        /* bytes in the range */
	size_t pos;        /* next byte to read */
	uint64_t origin;   /* file offset of p[0], for messages */
	const char *path;  /* borrowed, for messages */
	const char *entry; /* borrowed, may be NULL */
} mc_cur;

void mc_cur_init(mc_cur *c, const uint8_t *p, size_t len, uint64_t origin,
                 const char *path, const char *entry);

static inline size_t mc_cur_left(const mc_cur *c) { return c->len - c->pos; }
static inline uint64_t mc_cur_offset(const mc_cur *c) { return c->origin + c->pos; }
static inline const uint8_t *mc_cur_ptr(const mc_cur *c) { return c->p + c->pos; }

int mc_cur_u8(mc_cur *c, uint8_t *out);
int mc_cur_u16le(mc_cur *c, uint16_t *out);
int mc_cur_u32le(mc_cur *c, uint32_t *out);
int mc_cur_u64le(mc_cur *c, uint64_t *out);
int mc_cur_u16be(mc_cur *c, uint16_t *out);
int mc_cur_u32be(mc_cur *c, uint32_t *out);
int mc_cur_u64be(mc_cur *c, uint64_t *out);
int mc_cur_i32le(mc_cur *c, int32_t *out);
int mc_cur_i64le(mc_cur *c, int64_t *out);
int mc_cur_f32le(mc_cur *c, float *out);
int mc_cur_f64le(mc_cur *c, double *out);
int mc_cur_f64be(mc_cur *c, double *out);
/* Borrow the next n bytes and advance past them. */
int mc_cur_bytes(mc_cur *c, size_t n, const uint8_t **out);
int mc_cur_skip(mc_cur *c, size_t n);
/* Move to an absolute position inside the range. */
int mc_cur_seek(mc_cur *c, size_t pos);
/* Carve the next n bytes off as a cursor of their own, and advance. */
int mc_cur_sub(mc_cur *out, mc_cur *c, size_t n);

/* Record an error at the cursor's current offset; evaluates to `code`. */
#define mc_cur_fail(c, code, ...) \
	mc_err_set_((code), (c)->path, (c)->entry, (int64_t)mc_cur_offset(c), __FILE__, __LINE__, \
	            __VA_ARGS__)
#define mc_corrupt(c, ...) mc_cur_fail((c), MC_ECORRUPT, __VA_ARGS__)

/* Little-endian loads from memory already bounds-checked by a cursor. */
static inline uint16_t mc_load_u16le(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t mc_load_u32le(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t mc_load_u64le(const uint8_t *p)
{
	return (uint64_t)mc_load_u32le(p) | ((uint64_t)mc_load_u32le(p + 4) << 32);
}
static inline void mc_store_u16le(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void mc_store_u32le(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void mc_store_u64le(uint8_t *p, uint64_t v)
{
	mc_store_u32le(p, (uint32_t)v);
	mc_store_u32le(p + 4, (uint32_t)(v >> 32));
}

#endif
