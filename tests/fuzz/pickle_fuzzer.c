/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the pickle reader: run any bytes through mc_pickle_load
 * with hooks that accept every persistent id, tensor and array (returning
 * dummy objects, after checking what the reader promises about them), then
 * walk the value tree it built, and scan the same bytes with
 * mc_pickle_scan.  What must never happen aborts: running out of memory
 * (the arena is capped at 64 bytes per input byte plus 1 MB, as readers
 * cap it, so a size taken from the input unchecked shows up here), a
 * tensor or array that breaks its contract, and a pickle the loader
 * accepts although the scan cannot walk it, stops elsewhere, or calls one
 * of its globals unsafe.  Seeds live in tests/fuzz/corpus/pickle/
 * (copies of testdata/pickle/ and of torch's data.pkl files, and
 * hand-made ones); the replay driver also runs testdata/bad/pickle/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "modelctl.h"
#include "pickle.h"
#include "value.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char dummy_type[] = "fuzz.object";

typedef struct fuzz_ctx {
	mc_arena *arena;
	uint64_t sum; /* touches every byte handed over, for ASan */
} fuzz_ctx;

static mc_value *dummy(fuzz_ctx *x)
{
	mc_value *v = mc_value_new(x->arena, MC_VALUE_OBJECT);
	if (v)
		v->u.obj.type = dummy_type;
	return v;
}

static int on_pid(void *ctx, const mc_value *pid, uint64_t offset, mc_value **out)
{
	(void)pid;
	(void)offset;
	*out = dummy(ctx);
	return *out ? 0 : MC_ELIMIT;
}

static void check_tensor(const mc_pickle_tensor *t)
{
	if (!t->storage || t->storage_offset < 0 || t->shape.ndim < 0 || t->shape.ndim > MC_MAX_DIMS)
		abort();
	for (int d = 0; d < t->shape.ndim; d++)
		if (t->shape.dims[d] < 0 || t->strides[d] < 0)
			abort();
}

static int on_tensor(void *ctx, const mc_pickle_tensor *t, uint64_t offset, mc_value **out)
{
	(void)offset;
	check_tensor(t);
	if (t->parameter)
		abort(); /* only ever true in the parameter hook */
	*out = dummy(ctx);
	return *out ? 0 : MC_ELIMIT;
}

static int on_parameter(void *ctx, const mc_pickle_tensor *t, mc_value *tensor, uint64_t offset)
{
	(void)ctx;
	(void)offset;
	check_tensor(t);
	if (!t->parameter || !tensor || tensor->kind != MC_VALUE_OBJECT ||
	    tensor->u.obj.type != dummy_type)
		abort();
	return 0;
}

static int on_array(void *ctx, const mc_pickle_array *a, uint64_t offset, mc_value **out)
{
	fuzz_ctx *x = ctx;
	uint64_t nbytes;

	(void)offset;
	if (a->shape.ndim < 0 || a->shape.ndim > MC_MAX_DIMS || !mc_dtype_get(a->dtype) ||
	    mc_tensor_nbytes(&nbytes, a->dtype, &a->shape) != 0 || nbytes != a->len)
		abort();
	for (size_t i = 0; i < a->len; i++)
		x->sum += a->data[i];
	*out = dummy(ctx);
	return *out ? 0 : MC_ELIMIT;
}

/* Visit the tree (bounded: a pickle can build cycles and shared subtrees)
 * and read every byte it points at. */
static void walk(fuzz_ctx *x, const mc_value *v, int depth, uint64_t *visits)
{
	if (!v)
		abort();
	if (depth > 2 * MC_PICKLE_MAX_DEPTH || ++*visits > 100000)
		return;
	switch (v->kind) {
	case MC_VALUE_STR:
	case MC_VALUE_BIGINT:
		if (v->u.s.p[v->u.s.n] != '\0')
			abort();
		/* fall through */
	case MC_VALUE_BYTES:
		for (size_t i = 0; i < v->u.s.n; i++)
			x->sum += (uint8_t)v->u.s.p[i];
		break;
	case MC_VALUE_LIST:
	case MC_VALUE_TUPLE:
	case MC_VALUE_SET:
	case MC_VALUE_DICT:
		if (v->kind == MC_VALUE_DICT && v->u.seq.n % 2)
			abort();
		for (size_t i = 0; i < v->u.seq.n; i++)
			walk(x, v->u.seq.items[i], depth + 1, visits);
		break;
	case MC_VALUE_OBJECT:
		if (!v->u.obj.type)
			abort();
		x->sum += (uint8_t)v->u.obj.type[0];
		if (v->u.obj.args)
			walk(x, v->u.obj.args, depth + 1, visits);
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_ctx x;
	mc_pickle_env env;
	mc_value *root = NULL;
	mc_pickle_global *g = NULL;
	size_t end = 0, scan_end = 0, count = 0;
	uint64_t visits = 0;
	int rc, scan_rc;

	memset(&x, 0, sizeof(x));
	if (mc_arena_new(&x.arena, size * MC_VALUE_BYTES_PER_FILE_BYTE + MC_VALUE_BYTES_FLOOR))
		abort();
	memset(&env, 0, sizeof(env));
	env.path = "fuzz.pkl";
	env.arena = x.arena;
	env.ctx = &x;
	env.persistent_load = on_pid;
	env.tensor = on_tensor;
	env.array = on_array;
	env.parameter = on_parameter;

	rc = mc_pickle_load(&root, &end, data, size, &env);
	if (rc == MC_ENOMEM || rc == MC_EINVAL)
		abort();
	if (rc == 0) {
		if (!root || end == 0 || end > size)
			abort();
		walk(&x, root, 0, &visits);
	}

	scan_rc = mc_pickle_scan(&g, &count, &scan_end, data, size, &env);
	if (scan_rc == MC_ENOMEM || scan_rc == MC_EINVAL)
		abort();
	if (rc == 0) {
		/* what the loader accepted, the scan walks to the same STOP and
		 * calls safe; the loader stops at the first refusal, so the
		 * converse does not hold */
		if (scan_rc == MC_ELIMIT)
			goto out; /* the scan's own arena ran out listing globals */
		if (scan_rc != 0 || scan_end != end)
			abort();
		for (size_t i = 0; i < count; i++)
			if (!g[i].allowed || !mc_pickle_allowed(g[i].module, g[i].name))
				abort();
	}
out:
	mc_arena_free(x.arena);
	return x.sum == 0xdeadbeefcafeull; /* keep the sum alive */
}
