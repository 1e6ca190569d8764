/* SPDX-License-Identifier: MIT */
/*
 * ONNX models as the commands that dump, export, run and verify them see
 * them: the unpacked ModelProto (protobuf-c structs generated at build time
 * from the system's onnx.proto), and helpers for what those structs leave
 * awkward: tensor data (which the structs do not hold: see onnx.c), element
 * types, attributes, value types with symbolic dims, opsets, initializers
 * by name.  Everything returned is borrowed from the model, which lives as
 * long as the reader it came from.
 */
#ifndef MC_ONNX_H
#define MC_ONNX_H

#include <stdbool.h>
#include <stdint.h>

#include "format.h"
#include "onnx.pb-c.h"

/* TensorProto.DataType values newer than the onnx.proto modelctl builds
 * against may be (ONNX 1.14 and later name them; the field is an int32, so
 * files carry them whatever the proto says). */
enum {
	MC_ONNX_FLOAT8E4M3FN = 17,
	MC_ONNX_FLOAT8E4M3FNUZ = 18,
	MC_ONNX_FLOAT8E5M2 = 19,
	MC_ONNX_FLOAT8E5M2FNUZ = 20,
	MC_ONNX_UINT4 = 21,
	MC_ONNX_INT4 = 22,
	MC_ONNX_FLOAT4E2M1 = 23
};

typedef struct mc_onnx_model mc_onnx_model;

/* The model behind a reader opened as "onnx", or NULL for another format. */
const mc_onnx_model *mc_onnx_model_of(const mc_reader *r);

/* The unpacked model.  Every TensorProto in it (initializers, attribute
 * values, sparse tensors' parts) has its data fields left out: raw_data
 * holds a marker and the typed fields are empty.  Read data with
 * mc_onnx_tensor_read, never from the struct. */
const Onnx__ModelProto *mc_onnx_proto(const mc_onnx_model *m);
/* The mapping of the model file. */
const mc_map *mc_onnx_map(const mc_onnx_model *m);
/* The main graph (open refuses a model without one).  Never NULL. */
const Onnx__GraphProto *mc_onnx_graph(const mc_onnx_model *m);
/* The version of `domain` the model imports ("" and "ai.onnx" are the
 * default domain), or -1 when it imports none. */
int64_t mc_onnx_opset(const mc_onnx_model *m, const char *domain);
/* The value of metadata_props' `key`, or NULL. */
const char *mc_onnx_metadata(const mc_onnx_model *m, const char *key);

/* ---- tensors ------------------------------------------------------------ */

/* Index of the main graph's initializer called `name`, or -1.  The index
 * is the reader's tensor index (mc_reader_tensor, mc_reader_read) and the
 * index in mc_onnx_graph(m)->initializer. */
int64_t mc_onnx_initializer_find(const mc_onnx_model *m, const char *name);
/* Name, dtype, shape and byte size of any TensorProto of the model (an
 * initializer, a Constant's value, a subgraph's initializer).  MC_EUNSUPPORTED
 * for string tensors (modelctl's dtypes are numeric), MC_ECORRUPT or MC_ELIMIT for a bad type or shape. */
int mc_onnx_tensor_info(mc_tensor_info *out, const mc_onnx_model *m, const Onnx__TensorProto *t);
/* The data of any TensorProto of the model, checked against its shape:
 * raw_data as a view into the mapping, typed fields (float_data,
 * int32_data, ...) decoded into memory the view owns, external data as a
 * view into a mapping of the external file.  Release the view before the
 * reader is closed. */
int mc_onnx_tensor_read(const mc_onnx_model *m, const Onnx__TensorProto *t, mc_view *out);

/* The bytes of a TensorProto as the file holds them (its data fields
 * included), for copying its data exactly; *len is 0 for a tensor without
 * data fields, whose struct holds all it has. */
int mc_onnx_tensor_bytes(const mc_onnx_model *m, const Onnx__TensorProto *t, const uint8_t **data,
                         size_t *len);

/* ---- element types -------------------------------------------------------- */

/* The dtype of an ONNX element type, or MC_DTYPE_INVALID (string, unknown
 * numbers).  The 4-bit types (int4, uint4, float4_e2m1fn) are packed two
 * to a byte, low nibble first, in raw_data and in each int32_data value. */
mc_dtype mc_onnx_dtype(int32_t elem_type);
/* The ONNX element type of a dtype, or 0 (UNDEFINED). */
int32_t mc_onnx_elem_type(mc_dtype dt);
/* A name for an ONNX element type: the dtype name where there is one
 * ("float32", "int4"), else ONNX's own in lower case ("string"); NULL for
 * numbers ONNX does not define. */
const char *mc_onnx_type_name(int32_t elem_type);

/* ---- values: graph inputs, outputs and value_info ------------------------- */

/* The ValueInfoProto called `name` among g's inputs, outputs and
 * value_info (in that order), or NULL. */
const Onnx__ValueInfoProto *mc_onnx_value_info(const Onnx__GraphProto *g, const char *name);
/* True when `name` is one of the main graph's initializers (models before
 * IR 4 list every initializer among the graph inputs too). */
bool mc_onnx_is_initializer(const mc_onnx_model *m, const char *name);

/* A tensor type (TypeProto.tensor_type). */
typedef struct mc_onnx_tensor_type {
	int32_t elem_type;                   /* TensorProto.DataType, 0 when not given */
	mc_dtype dtype;                      /* or MC_DTYPE_INVALID */
	int rank;                            /* -1 when no shape is given (any rank) */
	const Onnx__TensorShapeProto *shape; /* NULL when rank is -1 */
} mc_onnx_tensor_type;

/* One dim of a tensor type: a fixed size (value >= 0, param NULL), a
 * symbol ("batch": value -1), or unknown (value -1, param NULL). */
typedef struct mc_onnx_dim {
	int64_t value;
	const char *param;
} mc_onnx_dim;

/* The tensor type of `tp` (or of a sparse tensor type); MC_EUNSUPPORTED for
 * sequences, maps, optionals and a missing type. */
int mc_onnx_tensor_type_of(mc_onnx_tensor_type *out, const Onnx__TypeProto *tp);
/* Dim i (< rank) of a tensor type. */
mc_onnx_dim mc_onnx_type_dim(const mc_onnx_tensor_type *t, int i);
/* "tensor(float32)", "seq(tensor(int64))", "map(string,tensor(float32))",
 * "optional(...)", "sparse_tensor(float32)" into buf; returns buf. */
const char *mc_onnx_type_format(char *buf, size_t size, const Onnx__TypeProto *tp);

/* ---- nodes and attributes -------------------------------------------------- */

/* The attribute of `n` called `name`, or NULL. */
const Onnx__AttributeProto *mc_onnx_attr(const Onnx__NodeProto *n, const char *name);
/* An attribute's type: its type field, or for files of IR version 1, which
 * have none, the kind of value it holds. */
Onnx__AttributeProto__AttributeType mc_onnx_attr_type(const Onnx__AttributeProto *a);
/* "float", "int", "string", "tensor", "graph", "floats", ... */
const char *mc_onnx_attr_type_name(Onnx__AttributeProto__AttributeType type);

/* ---- writing --------------------------------------------------------------- */

/* Where the writer finds a TensorProto's data (the structs leave it out
 * of tensors that were read, and the graph builder keeps it in the
 * checkpoint it came from). */
typedef enum mc_onnx_data_kind {
	MC_ONNX_DATA_STRUCT,   /* the struct's own fields hold it all */
	MC_ONNX_DATA_VIEW,     /* stream `view`: raw_data, or external data */
	MC_ONNX_DATA_ORIGINAL  /* copy the data fields of `orig` (the tensor as read) */
} mc_onnx_data_kind;

/* A tensor's bytes produced on demand (a cast, a computed table): fed to
 * `sink` dense, little-endian, in C order, in chunks of any size. */
typedef int (*mc_onnx_stream_fn)(void *ctx, mc_sink_fn sink, void *sink_ctx);

typedef struct mc_onnx_data {
	mc_onnx_data_kind kind;
	mc_view view;        /* released by the writer when done with it */
	/* VIEW: when set, the bytes come from stream(stream_ctx, ...) and the
	 * view gives only the dtype and shape */
	mc_onnx_stream_fn stream;
	void *stream_ctx;
	const uint8_t *orig;
	size_t orig_len;
	const mc_map *map;   /* the mapping orig lies in, or NULL */
} mc_onnx_data;

/* Fill *out for tensor t.  `want_view` asks for a view where one can be
 * had: the writer would put the tensor in the external data file. */
typedef int (*mc_onnx_data_fn)(void *ctx, const Onnx__TensorProto *t, bool want_view,
                               mc_onnx_data *out);

typedef struct mc_onnx_write_opts {
	/* Name of a file beside the model for initializers' data (ONNX
	 * external data, needed above protobuf's 2 GiB), or NULL to embed it. */
	const char *external_data;
	/* Initializers smaller than this stay in the model; 0: 1024 bytes. */
	uint64_t external_min;
} mc_onnx_write_opts;

/* Write `model` to path (and its external data file), both atomically:
 * fields in number order, initializer data streamed from its source.  The
 * same struct and data always give the same bytes.  MC_ELIMIT when the
 * model would pass 2 GiB without external data. */
int mc_onnx_write(const char *path, const Onnx__ModelProto *model, mc_onnx_data_fn data, void *ctx,
                  const mc_onnx_write_opts *opts);
/* The same, embedded, to an open stream (`name` for errors): for tests and
 * fuzz targets, which have no file to rename into place. */
int mc_onnx_write_stream(FILE *fp, const char *name, const Onnx__ModelProto *model,
                         mc_onnx_data_fn data, void *ctx);
/* The data callback of mc_onnx_write_model: ctx is the mc_onnx_model. */
int mc_onnx_model_data(void *ctx, const Onnx__TensorProto *t, bool want_view, mc_onnx_data *out);
/* Write a model that was read, its tensors' data taken from the reader:
 * embedded data is copied as stored (typed fields stay typed fields),
 * external data is embedded or moved to opts->external_data. */
int mc_onnx_write_model(const char *path, const mc_onnx_model *m, const mc_onnx_write_opts *opts);

#endif
