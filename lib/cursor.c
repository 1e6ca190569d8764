/* SPDX-License-Identifier: MIT */
/*
 * The bounded cursor: every read is checked against the bytes remaining,
 * and a short read records where it happened.
 */
#include <string.h>

#include "cursor.h"
#include "banned.h"

void mc_cur_init(mc_cur *c, const uint8_t *p, size_t len, uint64_t origin,
                 const char *path, const char *entry)
{
	c->p = p;
	c->len = len;
	c->pos = 0;
	c->origin = origin;
	c->path = path;
	c->entry = entry;
}

static int need(mc_cur *c, size_t n)
{
	if (n <= mc_cur_left(c))
		return 0;
	return mc_corrupt(c, "truncated: %zu bytes needed, %zu left", n, mc_cur_left(c));
}

int mc_cur_bytes(mc_cur *c, size_t n, const uint8_t **out)
{
	int rc = need(c, n);
	if (rc)
		return rc;
	*out = c->p + c->pos;
	c->pos += n;
	return 0;
}

int mc_cur_skip(mc_cur *c, size_t n)
{
	int rc = need(c, n);
	if (rc)
		return rc;
	c->pos += n;
	return 0;
}

int mc_cur_seek(mc_cur *c, size_t pos)
{
	if (pos > c->len)
		return mc_corrupt(c, "position %zu is past the end (%zu bytes)", pos, c->len);
	c->pos = pos;
	return 0;
}

int mc_cur_sub(mc_cur *out, mc_cur *c, size_t n)
{
	int rc = need(c, n);
	if (rc)
		return rc;
	mc_cur_init(out, c->p + c->pos, n, mc_cur_offset(c), c->path, c->entry);
	c->pos += n;
	return 0;
}

static inline uint32_t load_u32be(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

#define READER(fn, type, n, expr)                   \
	int fn(mc_cur *c, type *out)                \
	{                                           \
		const uint8_t *p;                   \
		int rc = mc_cur_bytes(c, (n), &p);  \
		if (rc)                             \
			return rc;                  \
		*out = (type)(expr);                \
		return 0;                           \
	}

READER(mc_cur_u8, uint8_t, 1, p[0])
READER(mc_cur_u16le, uint16_t, 2, mc_load_u16le(p))
READER(mc_cur_u32le, uint32_t, 4, mc_load_u32le(p))
READER(mc_cur_u64le, uint64_t, 8, mc_load_u64le(p))
READER(mc_cur_u16be, uint16_t, 2, ((uint16_t)p[0] << 8) | p[1])
READER(mc_cur_u32be, uint32_t, 4, load_u32be(p))
/* one bounds check for all 8 bytes: a short read must neither move the
 * cursor nor report a 4-byte read at the wrong offset */
READER(mc_cur_u64be, uint64_t, 8,
       ((uint64_t)load_u32be(p) << 32) | load_u32be(p + 4))
READER(mc_cur_i32le, int32_t, 4, (int32_t)mc_load_u32le(p))
READER(mc_cur_i64le, int64_t, 8, (int64_t)mc_load_u64le(p))

int mc_cur_f32le(mc_cur *c, float *out)
{
	uint32_t u;
	int rc = mc_cur_u32le(c, &u);
	if (!rc)
		memcpy(out, &u, sizeof(*out));
	return rc;
}

int mc_cur_f64le(mc_cur *c, double *out)
{
	uint64_t u;
	int rc = mc_cur_u64le(c, &u);
	if (!rc)
		memcpy(out, &u, sizeof(*out));
	return rc;
}

int mc_cur_f64be(mc_cur *c, double *out)
{
	uint64_t u;
	int rc = mc_cur_u64be(c, &u);
	if (!rc)
		memcpy(out, &u, sizeof(*out));
	return rc;
}
