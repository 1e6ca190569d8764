/* SPDX-License-Identifier: MIT */
/*
 * The structural check of an ONNX model, the first half of `verify
 * MODEL.onnx` alone: what onnx.checker.check_model checks (SSA names,
 * nodes in topological order, opset imports, operators and their
 * attributes against onnx's schemas, tensors consistent with their dims),
 * a little more where the checker is lax (graph outputs defined, outer
 * names used by a subgraph defined before the node that holds it, tensors
 * of subgraphs and attributes read as the runtime will read them), and
 * every problem found rather than the first.  onnx_check.c's top comment
 * lists the rules.
 */
#ifndef MC_ONNX_CHECK_H
#define MC_ONNX_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "onnx.h"

/* Problems kept in a list: a model broken throughout (every node in an
 * unimported domain) is reported by its first problems and a count, not by
 * a line per node. */
#define MC_ONNX_CHECK_MAX_PROBLEMS 1000

/* One problem, located as precisely as the check can.  The strings are
 * one line each (control bytes written as \xNN) and belong to the list. */
typedef struct mc_onnx_problem {
	char *graph;  /* "" for the main graph, else a path of the node and
	                 attribute holding the subgraph ("If_0/then_branch",
	                 "Loop#3/body/If_1/else_branch"; an unnamed node is
	                 op_type#index), or "function DOMAIN.NAME" */
	int64_t node; /* the node's index in that graph, or -1 */
	char *where;  /* the node's name (its op_type when unnamed), or the
	                 value, initializer or opset concerned; NULL for the
	                 model as a whole */
	char *msg;    /* what is wrong: lowercase, names quoted */
	bool note;    /* not a problem of the model but a limit of the check
	                 (an opset newer than the schema table, an
	                 experimental operator it cannot check) */
} mc_onnx_problem;

typedef struct mc_onnx_problems {
	mc_onnx_problem *items;
	size_t count, cap;
	size_t errors;  /* problems found (not notes), including any not kept */
	size_t dropped; /* problems and notes found past MC_ONNX_CHECK_MAX_PROBLEMS;
	                   when non-zero the last item says "... and N more" */
} mc_onnx_problems;

/* An empty list (mc_onnx_check initialises its own). */
void mc_onnx_problems_init(mc_onnx_problems *p);
/* Free the list's contents and leave it empty; NULL is accepted. */
void mc_onnx_problems_release(mc_onnx_problems *p);

/* Check the model behind an open ONNX reader and set *out to every problem
 * found (out->errors == 0: the model is well formed).  Returns 0 when the
 * check ran, whatever it found; MC_ENOMEM when it could not finish, with
 * *out released.  The model's tensors are read (views released before
 * returning): external data files are opened, as the runtime would. */
int mc_onnx_check(mc_onnx_problems *out, const mc_onnx_model *m);

#endif
