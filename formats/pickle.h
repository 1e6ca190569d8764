/* SPDX-License-Identifier: MIT */
/*
 * A pickle reader that never executes anything.  A stack machine over every
 * opcode of protocols 0 to 5 builds a value tree (lib/modelctl.h mc_value);
 * GLOBAL, STACK_GLOBAL and INST resolve only names on an allowlist of
 * data-only constructors (torch's tensor and parameter rebuild functions,
 * storage types, OrderedDict, torch.Size, dtypes, devices, _codecs.encode,
 * numpy's array/dtype/scalar reconstruction), each of which checks its
 * arguments.  Everything else is refused with the global's name and offset.
 *
 * The reader knows nothing about where tensor data lives: the format that
 * owns the pickle (formats/pytorch.c, formats/rawpickle.c) supplies hooks
 * that turn a persistent id into a storage, and rebuilt tensors and numpy
 * arrays into MC_VALUE_TENSOR references in its own tensor table.
 *
 * The same code serves `scan`: mc_pickle_scan lists every global a pickle
 * names with its verdict, so nothing scan calls safe is read differently.
 */
#ifndef MC_PICKLE_H
#define MC_PICKLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "modelctl.h"
#include "value.h"

/* A tensor rebuilt by torch._utils._rebuild_tensor_v2 (or _rebuild_tensor,
 * _rebuild_parameter, _rebuild_from_type_v2 around one), with its
 * arguments already checked for type, sign and overflow by the reader. */
typedef struct mc_pickle_tensor {
	const mc_value *storage;      /* what persistent_load returned */
	int64_t storage_offset;       /* in elements, >= 0 */
	mc_shape shape;               /* dims >= 0 */
	int64_t strides[MC_MAX_DIMS]; /* in elements, >= 0 */
	mc_dtype dtype;               /* _rebuild_tensor_v3 (torch 2.x float8, uint16/32/64
	                                 over an untyped storage): the tensor's dtype;
	                                 MC_DTYPE_INVALID: the storage type's */
	bool requires_grad;
	bool parameter;               /* wrapped by _rebuild_parameter: only
	                                 ever true in the parameter hook */
} mc_pickle_tensor;

/* A numpy array rebuilt inside the pickle (numpy.core.multiarray._reconstruct
 * + BUILD, or numpy's newer reduce), data carried in the pickle's bytes. */
typedef struct mc_pickle_array {
	mc_dtype dtype;
	mc_shape shape;
	bool fortran;        /* column-major data */
	bool swap;           /* big-endian data */
	const uint8_t *data; /* borrowed: the bytes value in env->arena */
	size_t len;          /* exactly the array's byte size */
	uint64_t offset;     /* file offset of data when the pickle holds it
	                        verbatim (BINBYTES...), else of the opcode that
	                        built it (_codecs.encode of a str) */
} mc_pickle_array;

typedef struct mc_pickle_env {
	const char *path;  /* for messages */
	const char *entry; /* zip entry, or NULL */
	uint64_t origin;   /* file offset of the pickle's first byte */
	mc_arena *arena;   /* values are allocated here; its cap bounds the load */
	void *ctx;         /* passed to the hooks */
	/* BINPERSID / PERSID: turn a persistent id (torch: the tuple
	 * ('storage', storage_type, key, location, numel)) into a value, or
	 * refuse it.  NULL: persistent ids are refused. */
	int (*persistent_load)(void *ctx, const mc_value *pid, uint64_t offset, mc_value **out);
	/* A rebuilt torch tensor.  NULL: tensors are refused. */
	int (*tensor)(void *ctx, const mc_pickle_tensor *t, uint64_t offset, mc_value **out);
	/* A rebuilt numpy array.  NULL: numpy arrays are refused. */
	int (*array)(void *ctx, const mc_pickle_array *a, uint64_t offset, mc_value **out);
	/* Optional: `tensor`, a value the tensor hook returned, was wrapped by
	 * torch._utils._rebuild_parameter(_with_state) or rebuilt as a
	 * Parameter by _rebuild_from_type_v2.  The tensor hook runs first
	 * (the pickle rebuilds the tensor before the wrapper), so it sees
	 * t->parameter false; here t->parameter is true and t->requires_grad
	 * is the parameter's.  The value stays what the tensor hook returned.
	 * NULL: nothing to do. */
	int (*parameter)(void *ctx, const mc_pickle_tensor *t, mc_value *tensor, uint64_t offset);
} mc_pickle_env;

/* What the loader builds (all in env->arena; a memo reference shares the
 * same mc_value, and a pickle can build cycles, so walk the tree bounded):
 *   None, bool, int (MC_VALUE_BIGINT, a decimal string, past int64), float,
 *   str (UTF-8; Python 2 strings that are not UTF-8 become bytes), bytes
 *   (bytearray too), list, tuple (torch.Size too), dict (OrderedDict too;
 *   insertion order, a repeated key keeps its first place and takes the
 *   last value), set (frozenset too);
 *   whatever the hooks return for persistent ids, tensors and arrays
 *   (a parameter stays the tensor hook's value);
 *   MC_VALUE_OBJECT for the data-only objects of the allowlist:
 *     type "torch.FloatStorage" ... "torch.UntypedStorage" (also for
 *       torch.storage.UntypedStorage), tag the mc_dtype (MC_UINT8 for
 *       untyped, MC_DTYPE_INVALID for the quantized QInt8Storage, ...);
 *     type "torch.dtype", tag the mc_dtype, args ("float32",) by contract
 *       name;
 *     type "torch.device", args ("cpu",) or ("cuda", 0);
 *     type "numpy.dtype", tag the mc_dtype, args ("<f4",) with its byte
 *       order;
 *     type "numpy.ndarray": a numpy._reconstruct that no BUILD completed;
 *     a global used as a value (the class collections.OrderedDict itself):
 *       type its qualified name, ptr the reader's own, args NULL.
 * numpy scalars become int, float, bool or a (real, imag) tuple of floats. */

/* Load one pickle from data[0..len): run it to its STOP and return the
 * top value in *out (allocated in env->arena).  *end gets the offset just
 * past STOP, so a caller can read consecutive pickles (the legacy torch
 * format) or refuse trailing bytes (everyone else).  Refusals:
 * MC_EUNSAFE for a global off the allowlist (message names module.name and
 * the pickle offset; a pickled nn.Module gets a hint to save
 * model.state_dict() instead), MC_ECORRUPT for malformed pickles,
 * MC_ELIMIT for nesting, memo or size limits. */
int mc_pickle_load(mc_value **out, size_t *end, const uint8_t *data, size_t len,
                   const mc_pickle_env *env);

/* One global a pickle names (GLOBAL, INST, STACK_GLOBAL, or an extension
 * registry code), with the verdict the loader would give it. */
typedef struct mc_pickle_global {
	const char *module; /* after the Python 2 name mapping; in env->arena */
	const char *name;
	uint64_t offset;    /* file offset of the opcode */
	bool allowed;
	const char *why;    /* for refused ones: "not on the allowlist", "operands are not literal strings", ... */
} mc_pickle_global;

/* Walk the opcodes of one pickle without running it and list every global
 * it names, in order (array in env->arena).  Fails only when the opcode
 * stream itself cannot be walked (truncated, unknown opcode). */
int mc_pickle_scan(mc_pickle_global **out, size_t *count, size_t *end, const uint8_t *data,
                   size_t len, const mc_pickle_env *env);

/* mc_pickle_scan, with every global added to `rep` as a "global" finding
 * (unsafe when not allowed) under env->entry.  Returns what mc_pickle_scan
 * returns (with env's context), or MC_ENOMEM. */
int mc_pickle_scan_report(mc_scan_report *rep, size_t *end, const uint8_t *data, size_t len,
                          const mc_pickle_env *env);

/* Whether module.name (after the Python 2 mapping) is on the allowlist. */
bool mc_pickle_allowed(const char *module, const char *name);

#endif
