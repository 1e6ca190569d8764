/* SPDX-License-Identifier: MIT */
/*
 * The graph builder: how export (and anything else that makes a model)
 * puts an ONNX model together without handling protobuf structs: graph
 * inputs and outputs with fixed and symbolic dims, nodes with attributes
 * of every type, subgraphs, initializers, opset imports and metadata.
 *
 * Initializers are not copied: mc_gb_initializer keeps the view it is
 * given, and mc_gb_write streams each one from its source (a mapped
 * checkpoint, say) into the file, or into the external data file; a weight
 * that must change on the way (a cast) comes from a stream function
 * (mc_gb_initializer_stream).  Small tensors that are computed (a reshape
 * target, a scale) are copied with mc_gb_initializer_copy.
 *
 * Errors are sticky: the first failure is recorded (and returned by the
 * call that failed), later calls do nothing and return it, and mc_gb_write
 * refuses to write.  A long sequence of calls needs one check at the end.
 * Everything is freed by mc_gb_free.
 */
#ifndef MC_GRAPH_H
#define MC_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "modelctl.h"
#include "onnx.h"

typedef struct mc_gb mc_gb;             /* a model being built */
typedef struct mc_gb_graph mc_gb_graph; /* its main graph, or a subgraph */
typedef struct mc_gb_node mc_gb_node;

/* One dim of a graph input or output: a symbol ("batch") when `symbol` is
 * set, else the fixed size `size`. */
typedef struct mc_gb_dim {
	int64_t size;
	const char *symbol;
} mc_gb_dim;

#define MC_GB_FIXED(n) ((mc_gb_dim){(n), NULL})
#define MC_GB_SYMBOL(s) ((mc_gb_dim){-1, (s)})

/* A model whose main graph is called graph_name; NULL when out of memory.
 * Defaults: IR version 8, producer "modelctl" MC_VERSION, no opsets. */
mc_gb *mc_gb_new(const char *graph_name);
void mc_gb_free(mc_gb *b);
/* The first error recorded, or 0. */
int mc_gb_error(const mc_gb *b);

int mc_gb_ir_version(mc_gb *b, int64_t version);
/* Import `domain` ("" is the default domain) at `version`; again replaces. */
int mc_gb_opset(mc_gb *b, const char *domain, int64_t version);
int mc_gb_producer(mc_gb *b, const char *name, const char *version);
int mc_gb_doc_string(mc_gb *b, const char *doc);
/* A metadata_props entry, in the order added; a key set again is replaced. */
int mc_gb_metadata(mc_gb *b, const char *key, const char *value);

mc_gb_graph *mc_gb_main(mc_gb *b);

/* Graph inputs, outputs and value_info: a tensor of `dtype` with `rank`
 * dims (rank -1: any shape). */
int mc_gb_input(mc_gb_graph *g, const char *name, mc_dtype dtype, int rank, const mc_gb_dim *dims);
int mc_gb_output(mc_gb_graph *g, const char *name, mc_dtype dtype, int rank, const mc_gb_dim *dims);
int mc_gb_value_info(mc_gb_graph *g, const char *name, mc_dtype dtype, int rank,
                     const mc_gb_dim *dims);

/* An initializer whose data is streamed from `v` when the model is
 * written: v's data (and the reader it may come from) must stay valid until
 * mc_gb_write returns; the builder keeps a copy of the struct, never owns
 * v's memory. */
int mc_gb_initializer(mc_gb_graph *g, const char *name, const mc_view *v);
/* An initializer whose bytes `fn` produces when the model is written (a
 * weight cast to float16 on the way, say), once per write: it must feed
 * exactly the dense size of dtype and shape (anything else fails the
 * write), and ctx must stay valid until mc_gb_write returns. */
int mc_gb_initializer_stream(mc_gb_graph *g, const char *name, mc_dtype dtype,
                             const mc_shape *shape, mc_onnx_stream_fn fn, void *ctx);
/* An initializer holding a copy of `data` (dense, little-endian, C order). */
int mc_gb_initializer_copy(mc_gb_graph *g, const char *name, mc_dtype dtype, const mc_shape *shape,
                           const void *data);

/* A node; names of absent optional inputs are "".  NULL after an error. */
mc_gb_node *mc_gb_node_add(mc_gb_graph *g, const char *op_type, const char *name,
                           const char *const *inputs, size_t ninputs, const char *const *outputs,
                           size_t noutputs);
int mc_gb_node_domain(mc_gb_node *n, const char *domain);

int mc_gb_attr_int(mc_gb_node *n, const char *name, int64_t value);
int mc_gb_attr_float(mc_gb_node *n, const char *name, float value);
int mc_gb_attr_string(mc_gb_node *n, const char *name, const char *value);
int mc_gb_attr_ints(mc_gb_node *n, const char *name, const int64_t *values, size_t count);
int mc_gb_attr_floats(mc_gb_node *n, const char *name, const float *values, size_t count);
int mc_gb_attr_strings(mc_gb_node *n, const char *name, const char *const *values, size_t count);
/* A tensor attribute (Constant's value): a copy of dense little-endian data. */
int mc_gb_attr_tensor(mc_gb_node *n, const char *name, mc_dtype dtype, const mc_shape *shape,
                      const void *data);
/* A graph attribute (If's branches, Loop's body): a new, empty subgraph
 * to fill in; names of the enclosing graphs are visible inside it. */
mc_gb_graph *mc_gb_attr_graph(mc_gb_node *n, const char *name, const char *graph_name);

/* The model as built, for inspection; its tensors carry no data. */
const Onnx__ModelProto *mc_gb_proto(const mc_gb *b);
/* Write the model (atomically; see mc_onnx_write for the options). */
int mc_gb_write(mc_gb *b, const char *path, const mc_onnx_write_opts *opts);

#endif
