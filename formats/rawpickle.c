/* SPDX-License-Identifier: MIT */
/*
 * Plain pickle files ("pickle"): one pickle of protocol 2 to 5, as Python's
 * pickle.dump writes it, typically a dict of numpy arrays and plain values
 * (a .pkl of weights, features or training statistics).  Specified by
 * Python's Lib/pickle.py and PEP 307 (protocol 2), PEP 3154 (4) and PEP 574
 * (5).
 *
 *   offset 0   0x80 n          PROTO, n in 2..5
 *   offset 2   (protocol 4, 5: FRAME and framed opcodes)
 *   ...        opcodes, ending with STOP ('.'); nothing after it
 *
 * The pickle runs in the non-executing pickle VM (pickle.c): only
 * allowlisted constructors, numpy arrays among them, whose bytes the pickle
 * carries.  Arrays become tensors named by their place in the value tree
 * (lib/flatten.c); Fortran-order and big-endian arrays are read through
 * view strides and byte swapping.  torch tensors are refused: their data
 * lives in storages that only a torch.save file holds.  So is a file whose
 * pickle is torch's legacy magic number (that is pytorch-legacy), and any
 * byte after STOP.
 */
#include <stdlib.h>
#include <string.h>

#include "checked.h"
#include "error.h"
#include "flatten.h"
#include "format.h"
#include "pickle.h"
#include "value.h"
#include "banned.h"

typedef struct pk_array {
	mc_flat_tensor flat;
	const uint8_t *data; /* in the reader's arena */
	bool fortran, swap;
} pk_array;

typedef struct pk_impl {
	mc_reader *r;
	mc_flat_tensor **flat; /* record of each tensor, from mc_flatten */
} pk_impl;

/* torch's magic-number pickle, which starts a legacy torch file: the LONG1
 * 0x1950a86a20f9469cfc6c right after PROTO (2, 3) or PROTO and FRAME (4, 5). */
static const uint8_t torch_magic[] = {0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46,
                                      0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};

static bool is_torch_magic(const uint8_t *p, size_t len)
{
	size_t at = (p[1] >= 4) ? 11 : 2;
	return len >= at + sizeof(torch_magic) &&
	       memcmp(p + at, torch_magic, sizeof(torch_magic)) == 0;
}

static int pk_sniff(const uint8_t *head, size_t len)
{
	return len >= 2 && head[0] == 0x80 && head[1] >= 2 && head[1] <= 5 &&
	       !is_torch_magic(head, len);
}

static int refuse_storage(void *ctx, const mc_value *pid, uint64_t off, mc_value **out)
{
	pk_impl *impl = ctx;

	(void)pid;
	(void)out;
	mc_fail(MC_EUNSUPPORTED, impl->r->map->path, NULL, (int64_t)off,
	        "persistent id in a plain pickle: a torch tensor's storage is not in this file");
	return mc_err_hint("torch tensors are read from the files torch.save writes; save them "
	                   "with torch.save, or as numpy arrays");
}

static int array_hook(void *ctx, const mc_pickle_array *a, uint64_t off, mc_value **out)
{
	pk_impl *impl = ctx;
	pk_array *rec = mc_arena_alloc(impl->r->arena, sizeof(*rec));
	uint64_t nbytes;

	if (!rec)
		return mc_err_context(impl->r->map->path, NULL);
	if (mc_tensor_nbytes(&nbytes, a->dtype, &a->shape) != 0 || nbytes != a->len)
		return mc_fail(MC_ECORRUPT, impl->r->map->path, NULL, (int64_t)off,
		               "numpy array holds %zu bytes, not its shape's size", a->len);
	rec->flat.dtype = a->dtype;
	rec->flat.shape = a->shape;
	rec->flat.nbytes = nbytes;
	rec->data = a->data;
	rec->fortran = a->fortran;
	rec->swap = a->swap;
	if (!(*out = mc_flat_placeholder(impl->r->arena, &rec->flat)))
		return mc_err_context(impl->r->map->path, NULL);
	return 0;
}

static int pk_open(mc_reader *r)
{
	pk_impl *impl = calloc(1, sizeof(*impl));
	mc_pickle_env env;
	mc_value *root = NULL;
	size_t end = 0;
	int rc;

	if (!impl)
		return mc_nomem();
	impl->r = r;
	r->impl = impl;
	memset(&env, 0, sizeof(env));
	env.path = r->map->path;
	env.arena = r->arena;
	env.ctx = impl;
	env.persistent_load = refuse_storage;
	env.array = array_hook;
	if ((rc = mc_pickle_load(&root, &end, r->map->data, r->map->len, &env)))
		return rc;
	if (end != r->map->len) {
		mc_fail(MC_ECORRUPT, r->map->path, NULL, (int64_t)end,
		        "%zu bytes after the pickle's STOP", r->map->len - end);
		return mc_err_hint("a pickle file holds one pickle; run 'modelctl scan' on it to see "
		                   "what the rest holds");
	}
	return mc_flatten(&impl->flat, r, root);
}

static int pk_read(mc_reader *r, size_t i, mc_view *out)
{
	const pk_impl *impl = r->impl;
	const pk_array *a = (const pk_array *)impl->flat[i];

	mc_view_init_dense(out, a->flat.dtype, &a->flat.shape, a->data);
	if (a->fortran) {
		int64_t stride = 1;
		for (int d = 0; d < a->flat.shape.ndim; d++) {
			out->strides[d] = stride;
			stride *= a->flat.shape.dims[d] ? a->flat.shape.dims[d] : 1;
		}
	}
	out->swap = a->swap && mc_dtype_get(a->flat.dtype)->swap_unit > 1;
	return 0;
}

static void pk_close(mc_reader *r)
{
	pk_impl *impl = r->impl;

	free(impl->flat);
	free(impl);
	r->impl = NULL;
}

static int pk_scan(const mc_map *map, mc_scan_report *rep)
{
	mc_pickle_env env;
	mc_arena *a = NULL;
	size_t end = 0, cap;
	int rc;

	if (!mc_mul_size(&cap, map->len, MC_VALUE_BYTES_PER_FILE_BYTE) ||
	    !mc_add_size(&cap, cap, MC_VALUE_BYTES_FLOOR))
		cap = SIZE_MAX;
	if ((rc = mc_arena_new(&a, cap)))
		return rc;
	memset(&env, 0, sizeof(env));
	env.path = map->path;
	env.arena = a;
	if ((rc = mc_pickle_scan_report(rep, &end, map->data, map->len, &env)))
		goto out;
	if (!rc && end != map->len) {
		rc = mc_scan_add(rep, "integrity", false, NULL, (int64_t)end,
		                 "%zu bytes after the pickle's STOP", map->len - end);
		if (!rc && rep->verdict == MC_VERDICT_SAFE)
			rep->verdict = MC_VERDICT_ERROR;
	}
out:
	mc_arena_free(a);
	return rc;
}

const mc_format mc_format_pickle = {
	.name = "pickle",
	.sniff = pk_sniff,
	.open = pk_open,
	.read = pk_read,
	.close = pk_close,
	.scan = pk_scan,
};
