/* SPDX-License-Identifier: MIT */
/*
 * Naming the tensors of a loaded checkpoint.  A reader that rebuilds a value
 * tree from a pickle (formats/pytorch.c, formats/rawpickle.c) does not yet
 * know where in the tree a tensor will end up when its pickle hook runs, so
 * the hook returns a placeholder; once the whole tree is loaded, mc_flatten
 * walks it and names every tensor by its path, as design.md specifies and as
 * PyTorch state dicts name parameters: dict keys (integers in decimal) and
 * list or tuple indices joined with '.' ("model_state.fc.weight",
 * "optimizer_state.state.0.exp_avg").
 */
#ifndef MC_FLATTEN_H
#define MC_FLATTEN_H

#include <stdint.h>

#include "format.h"
#include "value.h"

/* What a reader knows of a tensor before it has a name.  Readers embed it as
 * the first member of their own record (which says where the bytes are) and
 * use `tag` to tell their kinds of record apart. */
typedef struct mc_flat_tensor {
	int tag;        /* the reader's own */
	mc_dtype dtype;
	mc_shape shape;
	uint64_t nbytes; /* dense size */
} mc_flat_tensor;

/* A placeholder value standing for `t` in the tree (an MC_VALUE_OBJECT whose
 * ptr is t), allocated in `a`.  `t` is borrowed and must live as long as the
 * reader.  NULL with the error recorded when the arena is full. */
mc_value *mc_flat_placeholder(mc_arena *a, mc_flat_tensor *t);

/* The record behind a placeholder, or NULL when `v` is not one. */
mc_flat_tensor *mc_flat_pending(const mc_value *v);

/* Flatten `root` into the reader: one r->tensors entry per position at
 * which a placeholder occurs, depth-first in container order, named by its
 * path (copied into r->arena; the empty name of a tensor at the top becomes
 * the file's stem, as a lone .npy array is named).  Each such position is
 * rewritten to an MC_VALUE_TENSOR with the entry's index, so a tensor saved
 * once and referenced twice (tied weights) gets two names with the same
 * data.  r->values becomes the rewritten tree (NULL for a tensor alone).
 * *out gets a malloc'd array, owned by the caller, of each entry's record.
 *
 * Refused: two tensors with the same flattened name, a name over
 * MC_MAX_NAME bytes, a tensor under a key with no text form (a float or
 * tuple key) or inside a set (MC_EUNSUPPORTED / MC_ELIMIT); a cycle, nesting
 * deeper than MC_FLATTEN_MAX_DEPTH, MC_FLATTEN_MAX_VISITS positions more
 * than the tree has values, and a tensor table larger than the reader's
 * value budget (MC_ELIMIT).  Messages carry r's path. */
int mc_flatten(mc_flat_tensor ***out, mc_reader *r, mc_value *root);

#endif
