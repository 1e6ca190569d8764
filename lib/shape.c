/* SPDX-License-Identifier: MIT */
/*
 * Shapes: element and byte counts with every product checked for overflow,
 * and the "[2, 3]" form used in messages and tables.
 */
#include <inttypes.h>
#include <stdio.h>

#include "checked.h"
#include "modelctl.h"
#include "banned.h"

int mc_shape_numel(uint64_t *out, const mc_shape *shape)
{
	uint64_t n = 1;

	*out = 0;
	if (shape->ndim < 0 || shape->ndim > MC_MAX_DIMS)
		return MC_EINVAL;
	/* Check every dim for sign first: a zero dim must not hide a negative one. */
	for (int i = 0; i < shape->ndim; i++)
		if (shape->dims[i] < 0)
			return MC_EINVAL;
	for (int i = 0; i < shape->ndim; i++)
		if (!mc_mul_u64(&n, n, (uint64_t)shape->dims[i]))
			return MC_ELIMIT;
	*out = n;
	return 0;
}

int mc_tensor_nbytes(uint64_t *out, mc_dtype dt, const mc_shape *shape)
{
	const mc_dtype_info *info = mc_dtype_get(dt);
	uint64_t numel;
	int rc;

	*out = 0;
	if (!info)
		return MC_EINVAL;
	rc = mc_shape_numel(&numel, shape);
	if (rc)
		return rc;
	if (info->kind != MC_KIND_QUANT && info->block_elems > 1) {
		/* packed sub-byte elements: the last byte may be half used */
		numel = numel / info->block_elems + (numel % info->block_elems != 0);
	} else if (numel % info->block_elems) {
		return MC_EINVAL;
	} else {
		numel /= info->block_elems;
	}
	if (!mc_mul_u64(out, numel, info->block_bytes))
		return MC_ELIMIT;
	return 0;
}

const char *mc_shape_format(char *buf, size_t size, const mc_shape *shape)
{
	size_t used = 0;

	if (!size)
		return buf;
	buf[0] = '\0';
	for (int i = -1; i <= shape->ndim && used < size; i++) {
		int n;
		if (i < 0)
			n = snprintf(buf + used, size - used, "[");
		else if (i == shape->ndim)
			n = snprintf(buf + used, size - used, "]");
		else
			n = snprintf(buf + used, size - used, "%s%" PRId64, i ? ", " : "",
			             shape->dims[i]);
		if (n < 0)
			break;
		used += (size_t)n;
	}
	return buf;
}
