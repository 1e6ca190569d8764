/* SPDX-License-Identifier: MIT */
/*
 * modelctl's public interface: open a model file in any supported format
 * without executing anything from it, list and read its tensors, walk its
 * non-tensor values, and learn precisely why a file was refused.
 *
 * Conventions: functions return 0 or a negative MC_E* code; the message
 * with its context (file, entry, offset) is kept per thread and read with
 * mc_error_last().  Output parameters come first.  A pointer returned
 * through `**` belongs to the caller; a plain returned pointer is borrowed
 * from its parent and lives as long as it.  Free functions accept NULL.
 */
#ifndef MODELCTL_H
#define MODELCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "limits.h"

#define MC_VERSION "0.1.0"

/* ---- errors ---------------------------------------------------------- */

enum {
	MC_OK = 0,
	MC_EINVAL = -1,       /* a caller's argument is wrong */
	MC_ENOMEM = -2,       /* allocation failed */
	MC_EIO = -3,          /* the operating system refused a read or write */
	MC_ECORRUPT = -4,     /* the file breaks its format's rules */
	MC_EUNSAFE = -5,      /* the file would run code or escape its directory */
	MC_EUNSUPPORTED = -6, /* valid, but a feature modelctl does not read */
	MC_ELIMIT = -7        /* a size or count is beyond what modelctl accepts */
};

typedef struct mc_error {
	int code;
	char path[1024];  /* file the problem is in, or "" */
	char entry[512];  /* entry inside it (zip member, tensor name), or "" */
	int64_t offset;   /* byte offset in the file, or -1 */
	char msg[1024];   /* lowercase, problem first, no full stop */
	char hint[512];   /* one line of what to do instead, or "" */
	const char *src_file; /* where the error was detected (debug aid) */
	int src_line;
} mc_error;

/* The last error recorded on this thread.  Never NULL. */
const mc_error *mc_error_last(void);
void mc_error_clear(void);
/* "FILE: ENTRY: offset N: message" into buf; returns buf. */
const char *mc_error_format(char *buf, size_t size, const mc_error *err);
/* A stable name for a code: "corrupt", "unsafe", ... */
const char *mc_error_name(int code);

/* ---- dtypes ---------------------------------------------------------- */

typedef enum mc_dtype {
	MC_DTYPE_INVALID = 0,
	MC_BOOL,
	MC_INT8,
	MC_UINT8,
	MC_INT16,
	MC_UINT16,
	MC_INT32,
	MC_UINT32,
	MC_INT64,
	MC_UINT64,
	MC_FLOAT16,
	MC_BFLOAT16,
	MC_FLOAT32,
	MC_FLOAT64,
	MC_COMPLEX64,
	MC_COMPLEX128,
	MC_FLOAT8_E4M3FN,
	MC_FLOAT8_E5M2,
	MC_FLOAT8_E4M3FNUZ,
	MC_FLOAT8_E5M2FNUZ,
	MC_INT4,          /* 4-bit types: two per byte, the first in the low nibble */
	MC_UINT4,
	MC_FLOAT4_E2M1FN,
	MC_DTYPE_COUNT
} mc_dtype;

typedef enum mc_dtype_kind {
	MC_KIND_BOOL,
	MC_KIND_INT,
	MC_KIND_UINT,
	MC_KIND_FLOAT,
	MC_KIND_COMPLEX,
	MC_KIND_QUANT /* block-quantized (GGUF); elements are not addressable */
} mc_dtype_kind;

typedef struct mc_dtype_info {
	const char *name;     /* the contract's name: "float32", "q4_0" */
	mc_dtype_kind kind;
	uint32_t block_elems; /* elements per block: 1 for plain types, 2 for the
	                         4-bit types (whose last byte may hold one) */
	uint32_t block_bytes; /* bytes per block: the element size for plain types */
	uint32_t swap_unit;   /* bytes per byte-swapped unit (complex: the component) */
} mc_dtype_info;

/* Table entry for a dtype, or NULL for an invalid value. */
const mc_dtype_info *mc_dtype_get(mc_dtype dt);
const char *mc_dtype_name(mc_dtype dt);
/* Dtype by contract name, or MC_DTYPE_INVALID. */
mc_dtype mc_dtype_from_name(const char *name);
/* Element size in bytes, 0 for block-quantized types. */
size_t mc_dtype_size(mc_dtype dt);

/* Conversions between float32 and the narrow float types.  Narrowing rounds
 * to nearest even; values beyond the range become inf, or NaN for e4m3fn
 * which has no inf, unless `saturate` asks for the largest finite value (as
 * ONNX Cast's default does). */
float mc_f16_to_f32(uint16_t h);
uint16_t mc_f32_to_f16(float f);
float mc_bf16_to_f32(uint16_t h);
uint16_t mc_f32_to_bf16(float f);
float mc_f8e4m3fn_to_f32(uint8_t v);
uint8_t mc_f32_to_f8e4m3fn(float f, bool saturate);
float mc_f8e5m2_to_f32(uint8_t v);
uint8_t mc_f32_to_f8e5m2(float f, bool saturate);
/* The "fnuz" float8 formats (no infinities, no negative zero, 0x80 the
 * only NaN) and the OCP 4-bit float E2M1 (no infinities or NaN; the low
 * four bits of v). */
float mc_f8e4m3fnuz_to_f32(uint8_t v);
float mc_f8e5m2fnuz_to_f32(uint8_t v);
float mc_f4e2m1_to_f32(uint8_t v);
/* Element i of a 4-bit tensor's bytes, as its 4-bit pattern. */
static inline uint8_t mc_nibble(const uint8_t *data, uint64_t i)
{
	return (uint8_t)(data[i / 2] >> (4 * (i % 2)) & 0xf);
}

/* ---- shapes ---------------------------------------------------------- */

typedef struct mc_shape {
	int ndim;
	int64_t dims[MC_MAX_DIMS];
} mc_shape;

/* Element count; MC_EINVAL for a negative dim, MC_ELIMIT on overflow. */
int mc_shape_numel(uint64_t *out, const mc_shape *shape);
/* Dense byte size of a tensor; MC_EINVAL for a block-quantized tensor whose
 * element count is not a whole number of blocks. */
int mc_tensor_nbytes(uint64_t *out, mc_dtype dt, const mc_shape *shape);
/* "[2, 3]" into buf; returns buf. */
const char *mc_shape_format(char *buf, size_t size, const mc_shape *shape);

/* ---- tensor data ----------------------------------------------------- */

/* A tensor's data as stored: a pointer to its first element, element
 * strides, and whether each element's bytes are stored big-endian.  Data
 * either borrows the reader's mapping or sits in `owned`, which the view
 * frees on release. */
typedef struct mc_view {
	mc_dtype dtype;
	mc_shape shape;
	const uint8_t *data;
	int64_t strides[MC_MAX_DIMS]; /* in elements, C order when dense */
	bool swap;                    /* stored big-endian */
	void *owned;
	const struct mc_map *map;     /* mapping `data` borrows from, or NULL */
} mc_view;

/* Initialise a dense little-endian view over `data` (borrowed). */
void mc_view_init_dense(mc_view *v, mc_dtype dt, const mc_shape *shape, const void *data);
/* True when the bytes are stored dense, C order, little-endian. */
bool mc_view_is_dense(const mc_view *v);
void mc_view_release(mc_view *v);

typedef int (*mc_sink_fn)(void *ctx, const uint8_t *data, size_t len);
/* Feed the tensor's elements to `sink` in C order, little-endian, dense, in
 * chunks; stops at the first non-zero return of the sink and returns it. */
int mc_view_stream(const mc_view *v, mc_sink_fn sink, void *ctx);
/* SHA-256 of the dense little-endian C-order bytes (the contract's hash). */
int mc_view_sha256(uint8_t out[32], const mc_view *v);
/* A malloc'd dense little-endian copy of the data, owned by the caller. */
int mc_view_to_dense(uint8_t **out, size_t *out_len, const mc_view *v);

/* ---- values: the non-tensor part of a checkpoint --------------------- */

typedef enum mc_value_kind {
	MC_VALUE_NONE,
	MC_VALUE_BOOL,
	MC_VALUE_INT,
	MC_VALUE_BIGINT, /* arbitrary precision, kept as a decimal string */
	MC_VALUE_FLOAT,
	MC_VALUE_STR,    /* UTF-8 */
	MC_VALUE_BYTES,
	MC_VALUE_LIST,
	MC_VALUE_TUPLE,
	MC_VALUE_DICT,   /* ordered key/value pairs; keys are values */
	MC_VALUE_SET,
	MC_VALUE_TENSOR, /* a reference to one of the reader's tensors */
	MC_VALUE_OBJECT  /* a data-only object an allowed constructor rebuilt:
	                    torch.device('cpu'), torch.float32, numpy.dtype('<f4') */
} mc_value_kind;

typedef struct mc_value mc_value;
struct mc_value {
	mc_value_kind kind;
	union {
		bool b;
		int64_t i;
		double f;
		struct {
			char *p; /* NUL-terminated for str and bigint */
			size_t n;
		} s;
		struct {
			mc_value **items; /* dict: keys and values alternate */
			size_t n;         /* number of items (2 per dict pair) */
			size_t cap;
		} seq;
		size_t tensor; /* index in the reader's tensor list */
		struct {
			const char *type; /* qualified name: "torch.device" */
			mc_value *args;   /* what it was built from (a tuple), or NULL */
			int64_t tag;      /* the reader's own use (e.g. a dtype) */
			void *ptr;        /* the reader's own use (e.g. a storage) */
		} obj;
	} u;
};

size_t mc_value_len(const mc_value *v); /* elements, or pairs for a dict */
const mc_value *mc_value_at(const mc_value *v, size_t i);
const mc_value *mc_value_dict_key(const mc_value *dict, size_t i);
const mc_value *mc_value_dict_val(const mc_value *dict, size_t i);
/* Value of the str key `key` in a dict, or NULL. */
const mc_value *mc_value_dict_get(const mc_value *dict, const char *key);

/* ---- readers --------------------------------------------------------- */

typedef struct mc_tensor_info {
	const char *name;
	mc_dtype dtype;
	mc_shape shape;
	uint64_t nbytes; /* dense size in bytes */
} mc_tensor_info;

typedef struct mc_reader mc_reader;

/* Open `path`, detecting its format from its content.  The reader maps the
 * file; tensor data stays in place until read. */
int mc_reader_open(mc_reader **out, const char *path);
/* Open `path` as the named format, without sniffing. */
int mc_reader_open_as(mc_reader **out, const char *path, const char *format);
void mc_reader_close(mc_reader *r);

const char *mc_reader_path(const mc_reader *r);
const char *mc_reader_format(const mc_reader *r);
size_t mc_reader_count(const mc_reader *r);
const mc_tensor_info *mc_reader_tensor(const mc_reader *r, size_t i);
/* Index of the tensor called `name`, or -1. */
int64_t mc_reader_find(const mc_reader *r, const char *name);
/* The tensor's data; release the view before closing the reader. */
int mc_reader_read(mc_reader *r, size_t i, mc_view *out);
/* The contract's SHA-256 of tensor i (dense, C order, little-endian). */
int mc_reader_sha256(uint8_t out[32], mc_reader *r, size_t i);
/* Non-tensor values (a training checkpoint's epoch, config...), or NULL. */
const mc_value *mc_reader_values(const mc_reader *r);
/* The format's own metadata as a dict (safetensors __metadata__), or NULL. */
const mc_value *mc_reader_metadata(const mc_reader *r);

/* ---- selecting a sub-tree ------------------------------------------- */

/* The tensors under a dotted key path (all of them for NULL or ""), with
 * their names relative to the key; names borrow from the reader. */
typedef struct mc_selection {
	size_t *index;
	const char **name;
	size_t n;
} mc_selection;

int mc_select(mc_selection *out, const mc_reader *r, const char *key);
void mc_selection_release(mc_selection *s);
/* The value at a dotted path (dict keys, list indices), or NULL; the root
 * itself for NULL or "". */
const mc_value *mc_value_find(const mc_value *root, const char *path);

/* ---- writers --------------------------------------------------------- */

typedef struct mc_write_tensor {
	const char *name;
	const mc_view *view; /* dtype, shape and data */
} mc_write_tensor;

/* Write tensors (and a dict of str metadata, or NULL) as `format` to
 * `path`, through a temporary file renamed on success: on failure nothing
 * is left at `path`. */
int mc_write(const char *format, const char *path, const mc_write_tensor *tensors,
             size_t count, const mc_value *metadata);

/* ---- scanning: is a file safe to load? -------------------------------- */

typedef enum mc_verdict {
	MC_VERDICT_SAFE,   /* every check holds */
	MC_VERDICT_UNSAFE, /* it would run code, or escape, or hide content */
	MC_VERDICT_ERROR   /* it cannot be parsed: not safe either */
} mc_verdict;

typedef struct mc_finding {
	const char *kind; /* "global", "code", "unsafe", "integrity", "error": the last
	                     two (when not unsafe) make the verdict an error */
	char *detail;     /* "os.system: not on the allowlist" */
	char *entry;      /* zip entry or "" */
	int64_t offset;   /* file offset, or -1 */
	bool unsafe;      /* this finding alone makes the file unsafe */
} mc_finding;

typedef struct mc_scan_report {
	char *path;
	const char *format; /* "" when not recognised */
	mc_verdict verdict;
	mc_finding *findings;
	size_t count, cap;
} mc_scan_report;

/* Scan one file without executing anything: every pickle it holds (every
 * global listed with its verdict), container integrity, object arrays.
 * Returns 0 with the verdict in the report (an unparseable file is
 * MC_VERDICT_ERROR with an "error" finding); negative only when memory
 * runs out.  Release the report with mc_scan_report_release. */
int mc_scan_file(mc_scan_report *out, const char *path);
void mc_scan_report_release(mc_scan_report *rep);

/* ---- formats --------------------------------------------------------- */

/* Check the format registry: every format has its required callbacks.
 * Called once at start-up; MC_EINVAL names the broken format. */
int mc_formats_check(void);
/* Names of the registered formats, NULL-terminated. */
const char *const *mc_format_names(void);
/* True when `format` has a writer. */
bool mc_format_can_write(const char *format);

#endif
