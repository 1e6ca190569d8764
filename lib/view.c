/* SPDX-License-Identifier: MIT */
/*
 * Tensor views: turning data as stored (strided, big-endian, borrowed from
 * a mapping) into the dense little-endian C-order byte stream that hashes,
 * comparisons and writers consume.  Dense data is streamed straight from
 * the mapping; anything else is gathered a chunk at a time.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "checked.h"
#include "error.h"
#include "format.h"
#include "map.h"
#include "modelctl.h"
#include "banned.h"

void mc_view_init_dense(mc_view *v, mc_dtype dt, const mc_shape *shape, const void *data)
{
	int64_t stride = 1;

	memset(v, 0, sizeof(*v));
	v->dtype = dt;
	v->shape = *shape;
	v->data = data;
	for (int i = shape->ndim - 1; i >= 0; i--) {
		v->strides[i] = stride;
		/* a shape this large has no valid byte size either, and is refused
		 * by every consumer; only the multiplication must not overflow */
		if (__builtin_mul_overflow(stride, shape->dims[i] ? shape->dims[i] : 1, &stride))
			stride = INT64_MAX;
	}
}

bool mc_view_is_dense(const mc_view *v)
{
	int64_t expect = 1;

	if (v->swap)
		return false;
	for (int i = v->shape.ndim - 1; i >= 0; i--) {
		/* a dim of size 1 (or an empty tensor) may carry any stride */
		if (v->shape.dims[i] == 0)
			return true;
		if (v->shape.dims[i] != 1 && v->strides[i] != expect)
			return false;
		/* past INT64_MAX elements no stride can match: not a dense view */
		if (__builtin_mul_overflow(expect, v->shape.dims[i], &expect))
			return false;
	}
	return true;
}

void mc_view_release(mc_view *v)
{
	if (!v)
		return;
	free(v->owned);
	v->owned = NULL;
	v->data = NULL;
}

static void swap_bytes(uint8_t *p, size_t unit)
{
	for (size_t i = 0; i < unit / 2; i++) {
		uint8_t t = p[i];
		p[i] = p[unit - 1 - i];
		p[unit - 1 - i] = t;
	}
}

/* Gather a strided or byte-swapped view element by element into chunks. */
static int stream_gather(const mc_view *v, size_t esize, size_t swap_unit, uint64_t numel,
                         mc_sink_fn sink, void *ctx)
{
	int64_t idx[MC_MAX_DIMS] = {0};
	size_t cap = MC_STREAM_CHUNK - MC_STREAM_CHUNK % esize;
	uint8_t *buf = malloc(cap);
	size_t used = 0;
	int ndim = v->shape.ndim;
	int64_t off = 0; /* element offset of idx */
	int rc = 0;

	if (!buf)
		return mc_nomem();
	for (uint64_t n = 0; n < numel; n++) {
		uint8_t *dst = buf + used;
		memcpy(dst, v->data + (size_t)off * esize, esize);
		if (v->swap)
			for (size_t k = 0; k < esize; k += swap_unit)
				swap_bytes(dst + k, swap_unit);
		used += esize;
		if (used == cap) {
			if ((rc = sink(ctx, buf, used)) != 0)
				goto out;
			used = 0;
		}
		/* advance the multi-index, innermost dim fastest */
		for (int d = ndim - 1; d >= 0; d--) {
			idx[d]++;
			off += v->strides[d];
			if (idx[d] < v->shape.dims[d])
				break;
			off -= v->strides[d] * idx[d];
			idx[d] = 0;
		}
	}
	if (used)
		rc = sink(ctx, buf, used);
out:
	free(buf);
	return rc;
}

int mc_view_stream(const mc_view *v, mc_sink_fn sink, void *ctx)
{
	const mc_dtype_info *info = mc_dtype_get(v->dtype);
	uint64_t nbytes, numel;
	int rc;

	if (!info)
		return mc_fail(MC_EINVAL, NULL, NULL, -1, "tensor has no valid dtype");
	rc = mc_tensor_nbytes(&nbytes, v->dtype, &v->shape);
	if (rc)
		return mc_fail(rc, NULL, NULL, -1, "tensor shape has no valid byte size");
	if (nbytes == 0)
		return 0;
	if (info->block_elems != 1 || mc_view_is_dense(v)) {
		/* straight from the mapping, dropping pages once consumed */
		const uint8_t *p = v->data;
		uint64_t left = nbytes;
		while (left) {
			size_t n = left < MC_STREAM_CHUNK ? (size_t)left : MC_STREAM_CHUNK;
			if ((rc = sink(ctx, p, n)) != 0)
				return rc;
			mc_map_done_with(v->map, p, n);
			p += n;
			left -= n;
		}
		return 0;
	}
	mc_shape_numel(&numel, &v->shape);
	return stream_gather(v, info->block_bytes, info->swap_unit, numel, sink, ctx);
}

static int sha_sink(void *ctx, const uint8_t *p, size_t n)
{
	if (EVP_DigestUpdate((EVP_MD_CTX *)ctx, p, n) != 1)
		return mc_fail(MC_EINVAL, NULL, NULL, -1, "sha256 update failed");
	return 0;
}

int mc_view_sha256(uint8_t out[32], const mc_view *v)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int len = 0;
	int rc;

	if (!md)
		return mc_nomem();
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		rc = mc_fail(MC_EINVAL, NULL, NULL, -1, "sha256 is not available from libcrypto");
		goto out;
	}
	rc = mc_view_stream(v, sha_sink, md);
	if (!rc && EVP_DigestFinal_ex(md, out, &len) != 1)
		rc = mc_fail(MC_EINVAL, NULL, NULL, -1, "sha256 final failed");
out:
	EVP_MD_CTX_free(md);
	return rc;
}

struct dense_ctx {
	uint8_t *p;
	size_t used;
};

static int dense_sink(void *ctx, const uint8_t *p, size_t n)
{
	struct dense_ctx *d = ctx;
	memcpy(d->p + d->used, p, n);
	d->used += n;
	return 0;
}

int mc_view_to_dense(uint8_t **out, size_t *out_len, const mc_view *v)
{
	struct dense_ctx d = {0};
	uint64_t nbytes;
	int rc;

	*out = NULL;
	*out_len = 0;
	if (mc_tensor_nbytes(&nbytes, v->dtype, &v->shape) != 0 || nbytes > SIZE_MAX)
		return mc_fail(MC_ELIMIT, NULL, NULL, -1, "tensor too large to hold in memory");
	d.p = malloc(nbytes ? (size_t)nbytes : 1);
	if (!d.p)
		return mc_nomem();
	rc = mc_view_stream(v, dense_sink, &d);
	if (rc) {
		free(d.p);
		return rc;
	}
	*out = d.p;
	*out_len = (size_t)nbytes;
	return 0;
}

int mc_view_span(uint64_t *out, const mc_view *v)
{
	const mc_dtype_info *info = mc_dtype_get(v->dtype);
	uint64_t last = 0, numel, bytes;

	*out = 0;
	if (!info)
		return MC_EINVAL;
	if (mc_shape_numel(&numel, &v->shape) != 0)
		return MC_ELIMIT;
	if (numel == 0)
		return 0;
	if (info->block_elems != 1 || mc_view_is_dense(v))
		return mc_tensor_nbytes(out, v->dtype, &v->shape);
	for (int i = 0; i < v->shape.ndim; i++) {
		uint64_t step;
		if (v->strides[i] < 0)
			return MC_EINVAL;
		if (!mc_mul_u64(&step, (uint64_t)(v->shape.dims[i] - 1), (uint64_t)v->strides[i]) ||
		    !mc_add_u64(&last, last, step))
			return MC_ELIMIT;
	}
	if (!mc_add_u64(&last, last, 1) || !mc_mul_u64(&bytes, last, info->block_bytes))
		return MC_ELIMIT;
	*out = bytes;
	return 0;
}
