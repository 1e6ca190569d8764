/* SPDX-License-Identifier: MIT */
/*
 * Overflow-checked size arithmetic.  Every size computed from a file goes
 * through these helpers; each returns true when the result fits.
 */
#ifndef MC_CHECKED_H
#define MC_CHECKED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

static inline bool mc_add_u64(uint64_t *out, uint64_t a, uint64_t b)
{
	return !__builtin_add_overflow(a, b, out);
}

static inline bool mc_mul_u64(uint64_t *out, uint64_t a, uint64_t b)
{
	return !__builtin_mul_overflow(a, b, out);
}

static inline bool mc_add_size(size_t *out, size_t a, size_t b)
{
	return !__builtin_add_overflow(a, b, out);
}

static inline bool mc_mul_size(size_t *out, size_t a, size_t b)
{
	return !__builtin_mul_overflow(a, b, out);
}

/* True when [off, off+len) lies inside a buffer of `total` bytes. */
static inline bool mc_range_ok(uint64_t off, uint64_t len, uint64_t total)
{
	return off <= total && len <= total - off;
}

#endif
