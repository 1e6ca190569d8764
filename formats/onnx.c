/* SPDX-License-Identifier: MIT */
/*
 * ONNX models: the reader behind mc_format_onnx and the graph access of
 * onnx.h.  Specified by onnx/onnx.proto (the system's copy, compiled by
 * protoc-c at build time), docs/IR.md and docs/ExternalData.md of the ONNX
 * project.  A model file is one protobuf message (wire format: protowire.c):
 *
 *   ModelProto      1 ir_version (every writer puts it first: the sniff
 *                     wants tag 0x08 and a small version), 8 opset_import
 *                     {domain, version}, 2/3 producer name and version,
 *                     4 domain, 5 model_version, 7 graph, 14 metadata_props
 *                     {key, value}, 20 training_info, 25 functions
 *   GraphProto      1 node, 5 initializer (TensorProto), 15 sparse_initializer,
 *                     11/12/13 input/output/value_info (ValueInfoProto: a name
 *                     and a TypeProto whose dims are dim_value or dim_param)
 *   NodeProto       input, output, name, op_type, domain, attribute; an
 *                     attribute may hold graphs (If, Loop and Scan bodies)
 *   TensorProto     1 dims, 2 data_type, 8 name, and the data in one of
 *                     9 raw_data (dense, little-endian), the typed fields
 *                     4 float_data (float, complex64), 5 int32_data (int32,
 *                     and int8/16, uint8/16, bool, float16, bfloat16, float8
 *                     as their bit patterns), 7 int64_data, 10 double_data
 *                     (double, complex128), 11 uint64_data (uint32, uint64),
 *                     6 string_data, or outside the file: 14 data_location
 *                     EXTERNAL with 13 external_data {location, offset, length}
 *
 * Opening never copies tensor data.  protobuf-c's unpack copies every bytes
 * and repeated field, so the file is not handed to it as it is: protowire.c
 * walks it once against the generated descriptors (tags, wire types,
 * varints, lengths, packed payloads, nesting at most MC_PROTO_MAX_DEPTH) and
 * writes a copy of the structure in which every TensorProto's data fields
 * are replaced by a marker, the offset and length of that TensorProto's own
 * bytes in the mapping (every raw_data of the file is dropped, so each
 * marker protobuf-c hands back is one the walk wrote; a TensorProto without
 * data fields gets none).  protobuf-c unpacks the copy (kilobytes for a model
 * of gigabytes) from an arena capped at MC_ONNX_ALLOC_PER_BYTE times the
 * structure's size in the file, and the copy is freed.  A tensor's data is found again by walking
 * its own bytes: raw_data becomes a view into the mapping, typed fields are
 * decoded into a buffer the view owns when the tensor is read, external
 * data is a view into a mapping of the external file.  Peak memory is the
 * structure and the tensors being read, never all the weights.
 *
 * A file without ir_version or without a graph is refused: any bytes that
 * happen to parse as protobuf (an empty file does) are not a model.  The
 * reader's tensors are the main graph's initializers in file order,
 * checked at open (element type, shape, data size against the shape, the
 * external range) so that reading one can fail only on I/O.  Initializers
 * of the one element type modelctl has no dtype for (string) and sparse
 * initializers are refused with MC_EUNSUPPORTED naming them:
 * listing them without data would make `verify` and `convert` quietly skip
 * weights.  External data is read relative to the model's directory; an
 * absolute location, a `..` component, a path that resolves (through
 * symbolic links) outside the directory, and a range past the end of the
 * file are refused; a model opened from memory has no directory and
 * cannot have external data.  r->metadata is metadata_props (a dict of
 * str); r->values describes the model: ir_version, producer, opset_import
 * as {domain: version} (the default domain named "ai.onnx"), and the graph
 * inputs (initializers left out) and outputs with their dtype and shape,
 * each dim an int or a symbol's name.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checked.h"
#include "cursor.h"
#include "error.h"
#include "format.h"
#include "limits.h"
#include "map.h"
#include "onnx.h"
#include "protowire.h"
#include "value.h"
#include "banned.h"

/* TensorProto field numbers of the data. */
enum {
	TP_FLOAT_DATA = 4,
	TP_INT32_DATA = 5,
	TP_STRING_DATA = 6,
	TP_INT64_DATA = 7,
	TP_RAW_DATA = 9,
	TP_DOUBLE_DATA = 10,
	TP_UINT64_DATA = 11
};
#define TP_DATA_FIELDS                                                                        \
	((UINT64_C(1) << TP_FLOAT_DATA) | (UINT64_C(1) << TP_INT32_DATA) |                    \
	 (UINT64_C(1) << TP_INT64_DATA) | (UINT64_C(1) << TP_RAW_DATA) |                      \
	 (UINT64_C(1) << TP_DOUBLE_DATA) | (UINT64_C(1) << TP_UINT64_DATA))
#define TP_NFIELDS 12

/* The sniff's ceiling for ir_version: ONNX is at 10 (2024); this leaves
 * room for growth while keeping arbitrary bytes 08 xx from matching. */
#define ONNX_SNIFF_MAX_IR 255u

/* How much of a name or location an error message quotes. */
#define QUOTE 256

static const struct {
	mc_dtype dt;
	const char *name; /* ONNX's name, for types modelctl has no dtype for */
} onnx_types[] = {
	[ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT] = {MC_FLOAT32, NULL},
	[ONNX__TENSOR_PROTO__DATA_TYPE__UINT8] = {MC_UINT8, NULL},
	[ONNX__TENSOR_PROTO__DATA_TYPE__INT8] = {MC_INT8, NULL},
	[ONNX__TENSOR_PROTO__DATA_TYPE__UINT16] = {MC_UINT16, NULL},
	[ONNX__TENSOR_PROTO__DATA_TYPE__INT16] = {MC_INT16, NULL},
	[ONNX__TENSOR_PROTO__DATA_TYPE__INT32] = {MC_INT32, NULL},
	[ONNX__TENSOR_PROTO__DATA_TYPE__INT64] = {MC_INT64, NULL},
	[ONNX__TENSOR_PROTO__DATA_TYPE__STRING] = {MC_DTYPE_INVALID, "string"},
	[ONNX__TENSOR_PROTO__DATA_TYPE__BOOL] = {MC_BOOL, NULL},
	[ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16] = {MC_FLOAT16, NULL},
	[ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE] = {MC_FLOAT64, NULL},
	[ONNX__TENSOR_PROTO__DATA_TYPE__UINT32] = {MC_UINT32, NULL},
	[ONNX__TENSOR_PROTO__DATA_TYPE__UINT64] = {MC_UINT64, NULL},
	[ONNX__TENSOR_PROTO__DATA_TYPE__COMPLEX64] = {MC_COMPLEX64, NULL},
	[ONNX__TENSOR_PROTO__DATA_TYPE__COMPLEX128] = {MC_COMPLEX128, NULL},
	[ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16] = {MC_BFLOAT16, NULL},
	[MC_ONNX_FLOAT8E4M3FN] = {MC_FLOAT8_E4M3FN, NULL},
	[MC_ONNX_FLOAT8E4M3FNUZ] = {MC_FLOAT8_E4M3FNUZ, NULL},
	[MC_ONNX_FLOAT8E5M2] = {MC_FLOAT8_E5M2, NULL},
	[MC_ONNX_FLOAT8E5M2FNUZ] = {MC_FLOAT8_E5M2FNUZ, NULL},
	[MC_ONNX_UINT4] = {MC_UINT4, NULL},
	[MC_ONNX_INT4] = {MC_INT4, NULL},
	[MC_ONNX_FLOAT4E2M1] = {MC_FLOAT4_E2M1FN, NULL},
};
#define N_ONNX_TYPES ((int32_t)(sizeof(onnx_types) / sizeof(onnx_types[0])))

/* Where a tensor's data is. */
typedef enum src_kind { SRC_NONE, SRC_RAW, SRC_TYPED, SRC_EXTERNAL } src_kind;

typedef struct onnx_src {
	src_kind kind;
	mc_tensor_info info;
	mc_cur msg;          /* the TensorProto's own bytes in the mapping */
	const uint8_t *raw;  /* SRC_RAW: info.nbytes bytes in the mapping */
	uint32_t field;      /* SRC_TYPED: the field holding the values */
	size_t file;         /* SRC_EXTERNAL: index in the external file table */
	uint64_t offset;     /* SRC_EXTERNAL: where the data starts in it */
} onnx_src;

/* Files holding external data, resolved at open and mapped when first read. */
typedef struct ext_file {
	char *real; /* realpath, inside the model's directory */
	mc_map *map;
	uint64_t size;
} ext_file;

typedef struct ext_table {
	char *dir;      /* the model's directory as given */
	char *dir_real; /* and resolved */
	ext_file *f;
	size_t n, cap;
} ext_table;

typedef struct by_name {
	const char *name;
	size_t index;
} by_name;

struct mc_onnx_model {
	const mc_map *map;
	mc_arena *arena;             /* the unpacked structure lives here */
	Onnx__ModelProto *proto;
	const Onnx__GraphProto *graph;
	onnx_src *init;              /* one per initializer of the main graph */
	size_t ninit;
	by_name *sorted;             /* initializers sorted by name */
	ext_table *ext;              /* mutable behind a const model: files map lazily */
};

static const uint8_t no_data[1];

/* ---- element types ---------------------------------------------------------- */

mc_dtype mc_onnx_dtype(int32_t elem_type)
{
	if (elem_type <= 0 || elem_type >= N_ONNX_TYPES)
		return MC_DTYPE_INVALID;
	return onnx_types[elem_type].dt;
}

int32_t mc_onnx_elem_type(mc_dtype dt)
{
	for (int32_t i = 1; i < N_ONNX_TYPES; i++)
		if (dt != MC_DTYPE_INVALID && onnx_types[i].dt == dt)
			return i;
	return 0;
}

const char *mc_onnx_type_name(int32_t elem_type)
{
	if (elem_type <= 0 || elem_type >= N_ONNX_TYPES)
		return NULL;
	if (onnx_types[elem_type].dt != MC_DTYPE_INVALID)
		return mc_dtype_name(onnx_types[elem_type].dt);
	return onnx_types[elem_type].name;
}

/* The typed field that holds values of an element type. */
static uint32_t typed_field(int32_t elem_type)
{
	switch (elem_type) {
	case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT:
	case ONNX__TENSOR_PROTO__DATA_TYPE__COMPLEX64:
		return TP_FLOAT_DATA;
	case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
		return TP_INT64_DATA;
	case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE:
	case ONNX__TENSOR_PROTO__DATA_TYPE__COMPLEX128:
		return TP_DOUBLE_DATA;
	case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32:
	case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64:
		return TP_UINT64_DATA;
	case ONNX__TENSOR_PROTO__DATA_TYPE__STRING:
		return TP_STRING_DATA;
	default:
		return TP_INT32_DATA;
	}
}

static const char *field_name(uint32_t field)
{
	switch (field) {
	case TP_FLOAT_DATA: return "float_data";
	case TP_INT32_DATA: return "int32_data";
	case TP_STRING_DATA: return "string_data";
	case TP_INT64_DATA: return "int64_data";
	case TP_RAW_DATA: return "raw_data";
	case TP_DOUBLE_DATA: return "double_data";
	case TP_UINT64_DATA: return "uint64_data";
	default: return "?";
	}
}

/* ---- sniffing ----------------------------------------------------------------- */

/* A varint from the first bytes of a file, without recording errors. */
static bool sniff_varint(mc_cur *c, uint64_t *out)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < 10 && mc_cur_left(c); i++) {
		uint8_t b;
		if (mc_cur_u8(c, &b))
			return false;
		v |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			*out = v;
			return true;
		}
	}
	return false;
}

static int onnx_sniff(const uint8_t *head, size_t len)
{
	uint64_t v;
	mc_cur c;

	if (len < 2 || head[0] != 0x08)
		return 0;
	mc_cur_init(&c, head + 1, len - 1, 1, "", NULL);
	if (!sniff_varint(&c, &v) || v == 0 || v > ONNX_SNIFF_MAX_IR)
		return 0;
	/* the fields that follow, as far as the head reaches, must be
	 * ModelProto's, each with its own wire type */
	for (int i = 0; i < 8 && mc_cur_left(&c); i++) {
		const ProtobufCFieldDescriptor *f;
		uint64_t n;
		if (!sniff_varint(&c, &v))
			return !mc_cur_left(&c);
		f = protobuf_c_message_descriptor_get_field(&onnx__model_proto__descriptor,
		                                            (unsigned)(v >> 3 & 0xffff));
		if ((v >> 3) > 0xffff || !f)
			return 0;
		switch (v & 7) {
		case MC_PB_VARINT:
			if (f->type != PROTOBUF_C_TYPE_INT64 || !sniff_varint(&c, &n))
				return !mc_cur_left(&c) && f->type == PROTOBUF_C_TYPE_INT64;
			break;
		case MC_PB_LEN:
			if (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE)
				return 0;
			if (!sniff_varint(&c, &n))
				return !mc_cur_left(&c);
			if (n >= mc_cur_left(&c))
				return 1; /* continues past the head */
			if (mc_cur_skip(&c, (size_t)n))
				return 0;
			break;
		default:
			return 0;
		}
	}
	return 1;
}

/* ---- the protobuf-c allocator --------------------------------------------------- */

typedef struct pb_alloc {
	mc_arena *arena;
	bool refused; /* the arena's cap was reached */
} pb_alloc;

static void *pb_alloc_fn(void *data, size_t size)
{
	pb_alloc *a = data;
	void *p = mc_arena_alloc(a->arena, size);

	if (!p && mc_error_last()->code == MC_ELIMIT)
		a->refused = true;
	return p;
}

/* Everything is freed with the arena. */
static void pb_free_fn(void *data, void *p)
{
	(void)data;
	(void)p;
}

/* ---- tensor data ----------------------------------------------------------- */

static const char *ename(const Onnx__TensorProto *t)
{
	return t->name && t->name[0] ? t->name : NULL;
}

/* What a TensorProto's data fields hold: found by walking its own bytes,
 * whose place the marker in raw_data records. */
typedef struct tdata {
	bool has_raw;
	mc_cur raw;
	uint64_t count[TP_NFIELDS]; /* values in each typed field */
	bool any_typed;
} tdata;

static int tensor_fields(const mc_onnx_model *m, const Onnx__TensorProto *t, mc_cur *msg,
                         tdata *d)
{
	const char *path = m->map->path;
	uint64_t off, len;
	mc_cur mk, c;

	memset(d, 0, sizeof(*d));
	mc_cur_init(msg, no_data, 0, 0, path, ename(t));
	if (!t->has_raw_data)
		return 0; /* the walk found no data fields */
	mc_cur_init(&mk, t->raw_data.data, t->raw_data.len, 0, path, ename(t));
	if (mc_pb_varint(&mk, &off) || mc_pb_varint(&mk, &len) || mc_cur_left(&mk) ||
	    !mc_range_ok(off, len, m->map->len))
		return mc_fail(MC_EINVAL, path, ename(t), -1,
		               "tensor is not part of this model (its data marker is wrong)");
	mc_cur_init(msg, m->map->data + off, (size_t)len, off, path, ename(t));
	c = *msg;
	while (mc_cur_left(&c)) {
		uint32_t field;
		int wire, rc;
		mc_cur sub;
		uint64_t n = 1;

		if ((rc = mc_pb_tag(&c, "TensorProto", &field, &wire)) != 0)
			return rc;
		if (field >= TP_NFIELDS || !(TP_DATA_FIELDS >> field & 1)) {
			if ((rc = mc_pb_skip(&c, wire)) != 0)
				return rc;
			continue;
		}
		if (wire != MC_PB_LEN) {
			if ((rc = mc_pb_skip(&c, wire)) != 0)
				return rc;
		} else {
			if ((rc = mc_pb_len(&c, &sub)) != 0)
				return rc;
			if (field == TP_RAW_DATA) {
				/* an optional bytes field: the last one counts */
				d->has_raw = true;
				d->raw = sub;
				continue;
			}
			if (field == TP_FLOAT_DATA)
				n = sub.len / 4;
			else if (field == TP_DOUBLE_DATA)
				n = sub.len / 8;
			else if ((rc = mc_pb_count_varints(&sub, &n)) != 0)
				return rc;
		}
		d->count[field] += n;
		d->any_typed |= n > 0;
	}
	/* reading the tags mapped the data around them (see onnx_open) */
	mc_map_done_with(m->map, msg->p, msg->len);
	return 0;
}

/* The file offset of a tensor's own bytes for messages, or -1 when the walk
 * did not record them (a TensorProto without data fields). */
static int64_t msg_offset(const onnx_src *s)
{
	return s->msg.len ? (int64_t)s->msg.origin : -1;
}

static bool parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || !mc_mul_u64(&v, v, 10) ||
		    !mc_add_u64(&v, v, (uint64_t)(*s - '0')))
			return false;
	}
	*out = v;
	return true;
}

static int unsafe_location(const char *path, const char *entry, const char *location,
                           const char *why)
{
	mc_fail(MC_EUNSAFE, path, entry, -1, "external data location '%.*s' %s", QUOTE, location,
	        why);
	return mc_err_hint("external data must sit in the model's directory or below it, named by a "
	                   "relative path without '..'");
}

/* The index in the table of the external file at `location`, resolved and
 * checked to lie inside the model's directory. */
static int ext_file_find(ext_table *x, const mc_map *map, const char *entry, const char *location,
                         size_t *out)
{
	char *joined = NULL, *real = NULL;
	size_t dlen, n;
	struct stat st;
	int rc = 0;

	if (!x->dir) {
		const char *slash = strrchr(map->path, '/');
		size_t len = slash ? (size_t)(slash - map->path) : 1;
		if (slash && len == 0)
			len = 1; /* "/model.onnx" */
		if (!(x->dir = malloc(len + 1)))
			return mc_nomem();
		memcpy(x->dir, slash ? map->path : ".", len);
		x->dir[len] = '\0';
		if (!(x->dir_real = realpath(x->dir, NULL))) {
			int e = errno;
			free(x->dir);
			x->dir = NULL;
			return mc_fail(e == ENOMEM ? MC_ENOMEM : MC_EIO, map->path, entry, -1,
			               "cannot resolve the model's directory: %s", strerror(e));
		}
	}
	n = strlen(x->dir_real) + 1 + strlen(location) + 1;
	if (!(joined = malloc(n)))
		return mc_nomem();
	snprintf(joined, n, "%s/%s", x->dir_real, location);
	if (!(real = realpath(joined, NULL))) {
		int e = errno;
		rc = mc_fail(e == ENOMEM ? MC_ENOMEM : MC_EIO, map->path, entry, -1,
		             "cannot open external data '%.*s': %s", QUOTE, location, strerror(e));
		goto out;
	}
	dlen = strlen(x->dir_real);
	if (strncmp(real, x->dir_real, dlen) != 0 ||
	    (dlen > 1 && real[dlen] != '/' && real[dlen] != '\0')) {
		rc = unsafe_location(map->path, entry, location,
		                     "resolves outside the model's directory (through a symbolic link)");
		goto out;
	}
	for (size_t i = 0; i < x->n; i++) {
		if (strcmp(x->f[i].real, real) == 0) {
			*out = i;
			goto out;
		}
	}
	if (stat(real, &st) != 0) {
		int e = errno;
		rc = mc_fail(MC_EIO, map->path, entry, -1, "cannot open external data '%.*s': %s",
		             QUOTE, location, strerror(e));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = mc_fail(MC_EIO, map->path, entry, -1, "external data '%.*s' is not a regular file",
		             QUOTE, location);
		goto out;
	}
	if (x->n == x->cap) {
		size_t cap = x->cap ? x->cap * 2 : 4;
		ext_file *f = realloc(x->f, cap * sizeof(*f));
		if (!f) {
			rc = mc_nomem();
			goto out;
		}
		x->f = f;
		x->cap = cap;
	}
	x->f[x->n].real = real;
	x->f[x->n].map = NULL;
	x->f[x->n].size = (uint64_t)st.st_size;
	real = NULL;
	*out = x->n++;
out:
	free(joined);
	free(real);
	return rc;
}

/* Check a tensor's external_data entries and find its file. */
static int ext_resolve(const mc_onnx_model *m, const Onnx__TensorProto *t, onnx_src *s)
{
	const char *path = m->map->path, *entry = ename(t);
	const char *location = NULL, *offset = NULL, *length = NULL;
	uint64_t off = 0, len = 0;
	const ext_file *f;
	int rc;

	for (size_t i = 0; i < t->n_external_data; i++) {
		const Onnx__StringStringEntryProto *kv = t->external_data[i];
		const char *key = kv->key ? kv->key : "", *val = kv->value ? kv->value : "";
		if (strcmp(key, "location") == 0)
			location = val;
		else if (strcmp(key, "offset") == 0)
			offset = val;
		else if (strcmp(key, "length") == 0)
			length = val;
	}
	if (!location || !*location)
		return mc_fail(MC_ECORRUPT, path, entry, msg_offset(s),
		               "data is stored externally but external_data gives no location");
	if (offset && !parse_u64(offset, &off))
		return mc_fail(MC_ECORRUPT, path, entry, msg_offset(s),
		               "external data offset '%.*s' is not a non-negative integer", QUOTE, offset);
	if (length && !parse_u64(length, &len))
		return mc_fail(MC_ECORRUPT, path, entry, msg_offset(s),
		               "external data length '%.*s' is not a non-negative integer", QUOTE, length);
	if (location[0] == '/')
		return unsafe_location(path, entry, location, "is an absolute path");
	for (const char *p = location; *p;) {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return unsafe_location(path, entry, location, "leaves the model's directory ('..')");
		p += n;
		p += *p == '/';
	}
	if (m->map->fd < 0) {
		mc_fail(MC_EUNSUPPORTED, path, entry, -1,
		        "data is stored in '%.*s', outside the model, and a model read from memory has "
		        "no directory to find it in", QUOTE, location);
		return mc_err_hint("open the model from its file");
	}
	if ((rc = ext_file_find(m->ext, m->map, entry, location, &s->file)) != 0)
		return rc;
	f = &m->ext->f[s->file];
	if (off > f->size)
		return mc_fail(MC_ECORRUPT, path, entry, -1,
		               "external data offset %llu passes the end of '%.*s' (%llu bytes)",
		               (unsigned long long)off, QUOTE, location, (unsigned long long)f->size);
	if (!length)
		len = f->size - off;
	if (!mc_range_ok(off, len, f->size))
		return mc_fail(MC_ECORRUPT, path, entry, -1,
		               "external data range %llu+%llu passes the end of '%.*s' (%llu bytes)",
		               (unsigned long long)off, (unsigned long long)len, QUOTE, location,
		               (unsigned long long)f->size);
	if (len != s->info.nbytes) {
		char shape[128];
		return mc_fail(MC_ECORRUPT, path, entry, -1,
		               "external data holds %llu bytes but %s %s needs %llu",
		               (unsigned long long)len, mc_dtype_name(s->info.dtype),
		               mc_shape_format(shape, sizeof(shape), &s->info.shape),
		               (unsigned long long)s->info.nbytes);
	}
	s->offset = off;
	s->kind = SRC_EXTERNAL;
	return 0;
}

/* Element type and shape of a TensorProto. */
static int tensor_info(mc_tensor_info *out, const mc_map *map, const Onnx__TensorProto *t)
{
	const char *path = map->path, *entry = ename(t);

	memset(out, 0, sizeof(*out));
	out->name = t->name ? t->name : "";
	if (!t->has_data_type || t->data_type == 0)
		return mc_fail(MC_ECORRUPT, path, entry, -1, "tensor has no element type (data_type)");
	out->dtype = mc_onnx_dtype(t->data_type);
	if (out->dtype == MC_DTYPE_INVALID) {
		const char *name = mc_onnx_type_name(t->data_type);
		if (name)
			mc_fail(MC_EUNSUPPORTED, path, entry, -1,
			        "element type %s has no modelctl dtype", name);
		else
			mc_fail(MC_EUNSUPPORTED, path, entry, -1, "unknown element type %d",
			        (int)t->data_type);
		return mc_err_hint("modelctl reads numeric tensors; string tensors are not "
		                   "supported");
	}
	if (t->n_dims > MC_MAX_DIMS)
		return mc_fail(MC_ELIMIT, path, entry, -1, "%zu dims, more than the %d modelctl accepts",
		               t->n_dims, MC_MAX_DIMS);
	out->shape.ndim = (int)t->n_dims;
	for (size_t i = 0; i < t->n_dims; i++) {
		if (t->dims[i] < 0)
			return mc_fail(MC_ECORRUPT, path, entry, -1, "dim %zu is negative (%lld)", i,
			               (long long)t->dims[i]);
		out->shape.dims[i] = t->dims[i];
	}
	if (mc_tensor_nbytes(&out->nbytes, out->dtype, &out->shape) != 0) {
		char shape[128];
		return mc_fail(MC_ELIMIT, path, entry, -1, "shape %s holds too many elements",
		               mc_shape_format(shape, sizeof(shape), &out->shape));
	}
	return 0;
}

/* Where the data of a TensorProto is, checked against its shape. */
static int tensor_resolve(const mc_onnx_model *m, const Onnx__TensorProto *t, onnx_src *s)
{
	const char *path = m->map->path, *entry = ename(t);
	bool complex, external;
	uint64_t numel, need;
	char shape[128];
	tdata d;
	int rc;

	memset(s, 0, sizeof(*s));
	if ((rc = tensor_info(&s->info, m->map, t)) != 0)
		return rc;
	if (t->segment) {
		mc_fail(MC_EUNSUPPORTED, path, entry, -1, "tensor is a segment of a larger one");
		return mc_err_hint("TensorProto.segment is not used by ONNX writers; re-save the model");
	}
	if ((rc = tensor_fields(m, t, &s->msg, &d)) != 0)
		return rc;
	if (mc_shape_numel(&numel, &s->info.shape) != 0)
		return mc_fail(MC_ELIMIT, path, entry, -1, "shape holds too many elements");
	mc_shape_format(shape, sizeof(shape), &s->info.shape);
	external = t->has_data_location &&
	           t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
	if (t->has_data_location && !external &&
	    t->data_location != ONNX__TENSOR_PROTO__DATA_LOCATION__DEFAULT)
		return mc_fail(MC_ECORRUPT, path, entry, msg_offset(s),
		               "unknown data_location %d", (int)t->data_location);
	if (t->n_string_data > 0)
		return mc_fail(MC_ECORRUPT, path, entry, msg_offset(s),
		               "string_data holds values, but %s tensors keep them in %s",
		               mc_dtype_name(s->info.dtype), field_name(typed_field(t->data_type)));
	if (external) {
		if (d.has_raw || d.any_typed)
			return mc_fail(MC_ECORRUPT, path, entry, msg_offset(s),
			               "data is stored externally but the tensor also holds %s",
			               d.has_raw ? "raw_data" : "typed data");
		return ext_resolve(m, t, s);
	}
	if (d.has_raw) {
		for (uint32_t f = 0; f < TP_NFIELDS; f++)
			if (d.count[f])
				return mc_fail(MC_ECORRUPT, path, entry, msg_offset(s),
				               "tensor holds both raw_data and %s", field_name(f));
		if (d.raw.len != s->info.nbytes)
			return mc_fail(MC_ECORRUPT, path, entry, (int64_t)d.raw.origin,
			               "raw_data holds %zu bytes but %s %s needs %llu", d.raw.len,
			               mc_dtype_name(s->info.dtype), shape,
			               (unsigned long long)s->info.nbytes);
		s->kind = SRC_RAW;
		s->raw = d.raw.p;
		return 0;
	}
	s->field = typed_field(t->data_type);
	for (uint32_t f = 0; f < TP_NFIELDS; f++)
		if (f != s->field && d.count[f])
			return mc_fail(MC_ECORRUPT, path, entry, msg_offset(s),
			               "%s holds values, but %s tensors keep them in %s", field_name(f),
			               mc_dtype_name(s->info.dtype), field_name(s->field));
	complex = s->info.dtype == MC_COMPLEX64 || s->info.dtype == MC_COMPLEX128;
	if (mc_dtype_size(s->info.dtype) == 0)
		need = s->info.nbytes; /* 4-bit types: each int32 holds a packed pair */
	else if (!mc_mul_u64(&need, numel, complex ? 2 : 1))
		return mc_fail(MC_ELIMIT, path, entry, -1, "shape holds too many elements");
	if (d.count[s->field] != need) {
		if (!d.any_typed)
			return mc_fail(MC_ECORRUPT, path, entry, msg_offset(s),
			               "tensor holds no data for the %llu elements of %s %s",
			               (unsigned long long)numel, mc_dtype_name(s->info.dtype), shape);
		return mc_fail(MC_ECORRUPT, path, entry, msg_offset(s),
		               "%s holds %llu values but %s %s needs %llu", field_name(s->field),
		               (unsigned long long)d.count[s->field], mc_dtype_name(s->info.dtype),
		               shape, (unsigned long long)need);
	}
	s->kind = need ? SRC_TYPED : SRC_NONE;
	return 0;
}

/* Store one value of a typed field as element bytes of `unit` size. */
static int typed_value(mc_cur *c, uint32_t field, mc_dtype dt, size_t unit, uint8_t *dst)
{
	uint64_t v;
	uint32_t u32;
	int rc;

	switch (field) {
	case TP_FLOAT_DATA:
		if ((rc = mc_cur_u32le(c, &u32)) != 0)
			return rc;
		mc_store_u32le(dst, u32);
		return 0;
	case TP_DOUBLE_DATA:
		if ((rc = mc_cur_u64le(c, &v)) != 0)
			return rc;
		mc_store_u64le(dst, v);
		return 0;
	default:
		if ((rc = mc_pb_varint(c, &v)) != 0)
			return rc;
		break;
	}
	/* narrower types keep the low bits, as numpy's astype does; bool is
	 * any non-zero value */
	if (dt == MC_BOOL)
		dst[0] = (uint32_t)v != 0;
	else if (unit == 1)
		dst[0] = (uint8_t)v;
	else if (unit == 2)
		mc_store_u16le(dst, (uint16_t)v);
	else if (unit == 4)
		mc_store_u32le(dst, (uint32_t)v);
	else
		mc_store_u64le(dst, v);
	return 0;
}

/* Decode a tensor's typed field into a dense buffer the view owns. */
static int typed_view(const onnx_src *s, mc_view *out)
{
	size_t nbytes = (size_t)s->info.nbytes, used = 0, unit = mc_dtype_size(s->info.dtype);
	mc_cur c = s->msg;
	uint8_t *buf;
	int rc = 0;

	if (s->info.dtype == MC_COMPLEX64 || s->info.dtype == MC_COMPLEX128)
		unit /= 2;
	else if (unit == 0)
		unit = 1; /* 4-bit types: a packed pair per value */
	if (!(buf = malloc(nbytes ? nbytes : 1)))
		return mc_nomem();
	while (!rc && mc_cur_left(&c)) {
		uint32_t field;
		int wire;
		mc_cur sub;
		if ((rc = mc_pb_tag(&c, "TensorProto", &field, &wire)) != 0)
			break;
		if (field != s->field) {
			rc = mc_pb_skip(&c, wire);
			continue;
		}
		if (wire != MC_PB_LEN) {
			/* one value, unpacked */
			if (used + unit > nbytes) {
				rc = mc_corrupt(&c, "%s holds more values than the shape", field_name(field));
				break;
			}
			rc = typed_value(&c, field, s->info.dtype, unit, buf + used);
			used += unit;
			continue;
		}
		if ((rc = mc_pb_len(&c, &sub)) != 0)
			break;
		while (!rc && mc_cur_left(&sub)) {
			if (used + unit > nbytes) {
				rc = mc_corrupt(&sub, "%s holds more values than the shape", field_name(field));
				break;
			}
			rc = typed_value(&sub, field, s->info.dtype, unit, buf + used);
			used += unit;
		}
	}
	if (!rc && used != nbytes)
		rc = mc_fail(MC_ECORRUPT, s->msg.path, s->msg.entry, msg_offset(s),
		             "%s holds fewer values than the shape", field_name(s->field));
	if (rc) {
		free(buf);
		return rc;
	}
	mc_view_init_dense(out, s->info.dtype, &s->info.shape, buf);
	out->owned = buf;
	return 0;
}

static int ext_view(const mc_onnx_model *m, const onnx_src *s, mc_view *out)
{
	ext_file *f = &m->ext->f[s->file];
	int rc;

	if (!f->map) {
		if ((rc = mc_map_open(&f->map, f->real)) != 0)
			return rc;
		/* keep the mapping, not the descriptor: a model may spread its
		 * weights over thousands of files */
		if (f->map->fd >= 0) {
			close(f->map->fd);
			f->map->fd = -1;
		}
	}
	if (!mc_range_ok(s->offset, s->info.nbytes, f->map->len))
		return mc_fail(MC_ECORRUPT, m->map->path, s->info.name[0] ? s->info.name : NULL, -1,
		               "external data file '%s' shrank since the model was opened", f->real);
	mc_view_init_dense(out, s->info.dtype, &s->info.shape, f->map->data + s->offset);
	out->map = f->map;
	return 0;
}

static int src_view(const mc_onnx_model *m, const onnx_src *s, mc_view *out)
{
	memset(out, 0, sizeof(*out));
	switch (s->kind) {
	case SRC_RAW:
		mc_view_init_dense(out, s->info.dtype, &s->info.shape, s->raw);
		out->map = m->map;
		return 0;
	case SRC_TYPED:
		return typed_view(s, out);
	case SRC_EXTERNAL:
		return ext_view(m, s, out);
	default:
		mc_view_init_dense(out, s->info.dtype, &s->info.shape, no_data);
		return 0;
	}
}

int mc_onnx_tensor_info(mc_tensor_info *out, const mc_onnx_model *m, const Onnx__TensorProto *t)
{
	return tensor_info(out, m->map, t);
}

int mc_onnx_tensor_read(const mc_onnx_model *m, const Onnx__TensorProto *t, mc_view *out)
{
	onnx_src s;
	int rc;

	memset(out, 0, sizeof(*out));
	/* an initializer was resolved at open: found by name (names are
	 * unique), it is this one only if it is the same struct */
	if (t->name) {
		int64_t i = mc_onnx_initializer_find(m, t->name);
		if (i >= 0 && m->graph->initializer[i] == t)
			return src_view(m, &m->init[i], out);
	}
	if ((rc = tensor_resolve(m, t, &s)) != 0)
		return rc;
	return src_view(m, &s, out);
}

int mc_onnx_tensor_bytes(const mc_onnx_model *m, const Onnx__TensorProto *t, const uint8_t **data,
                         size_t *len)
{
	mc_cur msg;
	tdata d;
	int rc;

	if ((rc = tensor_fields(m, t, &msg, &d)) != 0)
		return rc;
	*data = msg.len ? msg.p : NULL;
	*len = msg.len;
	return 0;
}

/* ---- values and metadata ---------------------------------------------------- */

static mc_value *new_str(mc_arena *a, const char *s)
{
	return mc_value_new_str(a, MC_VALUE_STR, s ? s : "", s ? strlen(s) : 0);
}

static int dict_put(mc_arena *a, mc_value *dict, const char *key, mc_value *val)
{
	mc_value *k = new_str(a, key);
	if (!k || !val)
		return mc_error_last()->code;
	return mc_value_dict_set(a, dict, k, val);
}

static int key_cmp(const void *pa, const void *pb)
{
	const mc_value *a = *(mc_value *const *)pa, *b = *(mc_value *const *)pb;
	size_t n = a->u.s.n < b->u.s.n ? a->u.s.n : b->u.s.n;
	int c = memcmp(a->u.s.p, b->u.s.p, n);

	if (c)
		return c;
	return (a->u.s.n > b->u.s.n) - (a->u.s.n < b->u.s.n);
}

/* A dict of str keys from `items` (2n values, keys at even places), built
 * without mc_value_dict_set's search (quadratic over many keys): a key
 * given twice is refused. */
static int dict_of_pairs(mc_value **out, mc_arena *a, mc_value **items, size_t n,
                         const char *path, const char *what)
{
	mc_value **keys = NULL;
	mc_value *dict;
	int rc = 0;

	if (!(dict = mc_value_new(a, MC_VALUE_DICT)))
		return mc_error_last()->code;
	if (n > 1) {
		if (!(keys = malloc(n * sizeof(*keys))))
			return mc_nomem();
		for (size_t i = 0; i < n; i++)
			keys[i] = items[2 * i];
		qsort(keys, n, sizeof(*keys), key_cmp);
		for (size_t i = 1; i < n; i++) {
			if (key_cmp(&keys[i - 1], &keys[i]) == 0) {
				rc = mc_fail(MC_ECORRUPT, path, NULL, -1, "%s lists '%.*s' twice", what, QUOTE,
				             keys[i]->u.s.p);
				break;
			}
		}
		free(keys);
	}
	dict->u.seq.items = items;
	dict->u.seq.n = dict->u.seq.cap = 2 * n;
	*out = dict;
	return rc;
}

static int build_metadata(mc_reader *r, const Onnx__ModelProto *mp)
{
	size_t n = mp->n_metadata_props;
	mc_value **items = NULL;

	if (n && !(items = mc_arena_alloc(r->arena, 2 * n * sizeof(*items))))
		return mc_error_last()->code;
	for (size_t i = 0; i < n; i++) {
		const Onnx__StringStringEntryProto *kv = mp->metadata_props[i];
		if (!(items[2 * i] = new_str(r->arena, kv->key)) ||
		    !(items[2 * i + 1] = new_str(r->arena, kv->value)))
			return mc_error_last()->code;
	}
	return dict_of_pairs(&r->metadata, r->arena, items, n, r->map->path, "metadata_props");
}

static int build_opsets(mc_value **out, mc_reader *r, const Onnx__ModelProto *mp)
{
	size_t n = mp->n_opset_import;
	mc_value **items = NULL;

	if (n && !(items = mc_arena_alloc(r->arena, 2 * n * sizeof(*items))))
		return mc_error_last()->code;
	for (size_t i = 0; i < n; i++) {
		const Onnx__OperatorSetIdProto *op = mp->opset_import[i];
		const char *domain = op->domain && op->domain[0] ? op->domain : "ai.onnx";
		if (!(items[2 * i] = new_str(r->arena, domain)) ||
		    !(items[2 * i + 1] = mc_value_new_int(r->arena, op->version)))
			return mc_error_last()->code;
	}
	return dict_of_pairs(out, r->arena, items, n, r->map->path, "opset_import");
}

/* {"name", "dtype", "shape"} for a tensor type, {"name", "type"} otherwise. */
static int value_info_value(mc_value **out, mc_arena *a, const Onnx__ValueInfoProto *vi)
{
	mc_onnx_tensor_type tt;
	mc_value *v = mc_value_new(a, MC_VALUE_DICT), *shape;
	const char *dtype;
	int rc;

	if (!v || (rc = dict_put(a, v, "name", new_str(a, vi->name))) != 0)
		return mc_error_last()->code;
	if (vi->type && vi->type->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE &&
	    mc_onnx_tensor_type_of(&tt, vi->type) == 0) {
		dtype = mc_onnx_type_name(tt.elem_type);
		if ((rc = dict_put(a, v, "dtype", dtype ? new_str(a, dtype)
		                                        : mc_value_new(a, MC_VALUE_NONE))) != 0)
			return rc;
		if (tt.rank < 0) {
			shape = mc_value_new(a, MC_VALUE_NONE);
		} else if ((shape = mc_value_new(a, MC_VALUE_LIST)) != NULL) {
			for (int i = 0; i < tt.rank; i++) {
				mc_onnx_dim d = mc_onnx_type_dim(&tt, i);
				mc_value *dv = d.value >= 0 ? mc_value_new_int(a, d.value)
				               : d.param  ? new_str(a, d.param)
				                          : mc_value_new(a, MC_VALUE_NONE);
				if (!dv || (rc = mc_value_append(a, shape, dv)) != 0)
					return mc_error_last()->code;
			}
		}
		if ((rc = dict_put(a, v, "shape", shape)) != 0)
			return rc;
	} else {
		char buf[256];
		if ((rc = dict_put(a, v, "type",
		                   new_str(a, mc_onnx_type_format(buf, sizeof(buf), vi->type)))) != 0)
			return rc;
	}
	*out = v;
	return 0;
}

static int build_values(mc_reader *r, const mc_onnx_model *m)
{
	const Onnx__ModelProto *mp = m->proto;
	const Onnx__GraphProto *g = m->graph;
	mc_arena *a = r->arena;
	mc_value *v = mc_value_new(a, MC_VALUE_DICT), *opsets = NULL, *ins, *outs;
	int rc;

	if (!v)
		return mc_error_last()->code;
	if ((rc = dict_put(a, v, "ir_version", mc_value_new_int(a, mp->ir_version))) != 0 ||
	    (rc = dict_put(a, v, "producer_name", new_str(a, mp->producer_name))) != 0 ||
	    (rc = dict_put(a, v, "producer_version", new_str(a, mp->producer_version))) != 0)
		return rc;
	if (mp->domain && mp->domain[0] && (rc = dict_put(a, v, "domain", new_str(a, mp->domain))))
		return rc;
	if (mp->has_model_version &&
	    (rc = dict_put(a, v, "model_version", mc_value_new_int(a, mp->model_version))) != 0)
		return rc;
	if ((rc = build_opsets(&opsets, r, mp)) != 0 ||
	    (rc = dict_put(a, v, "opset_import", opsets)) != 0 ||
	    (rc = dict_put(a, v, "graph_name", new_str(a, g->name))) != 0)
		return rc;
	if (!(ins = mc_value_new(a, MC_VALUE_LIST)) || !(outs = mc_value_new(a, MC_VALUE_LIST)))
		return mc_error_last()->code;
	for (size_t i = 0; i < g->n_input; i++) {
		mc_value *item;
		if (g->input[i]->name && mc_onnx_is_initializer(m, g->input[i]->name))
			continue;
		if ((rc = value_info_value(&item, a, g->input[i])) != 0 ||
		    (rc = mc_value_append(a, ins, item)) != 0)
			return rc;
	}
	for (size_t i = 0; i < g->n_output; i++) {
		mc_value *item;
		if ((rc = value_info_value(&item, a, g->output[i])) != 0 ||
		    (rc = mc_value_append(a, outs, item)) != 0)
			return rc;
	}
	if ((rc = dict_put(a, v, "inputs", ins)) != 0 || (rc = dict_put(a, v, "outputs", outs)) != 0)
		return rc;
	r->values = v;
	return 0;
}

/* ---- opening ----------------------------------------------------------------- */

static int name_cmp(const void *pa, const void *pb)
{
	const by_name *a = pa, *b = pb;
	int c = strcmp(a->name, b->name);
	return c ? c : (a->index > b->index) - (a->index < b->index);
}

static int open_initializers(mc_reader *r, mc_onnx_model *m)
{
	const Onnx__GraphProto *g = m->graph;
	size_t n = g->n_initializer;
	int rc;

	if (g->n_sparse_initializer > 0) {
		const Onnx__SparseTensorProto *sp = g->sparse_initializer[0];
		const char *name = sp->values && sp->values->name ? sp->values->name : "";
		mc_fail(MC_EUNSUPPORTED, r->map->path, name[0] ? name : NULL, -1,
		        "sparse initializer '%.*s' (%zu in the graph): modelctl reads dense tensors",
		        QUOTE, name, g->n_sparse_initializer);
		return mc_err_hint("store the initializers dense (onnx's numpy_helper.to_array, then "
		                   "from_array)");
	}
	if ((rc = mc_reader_alloc_tensors(r, n)) != 0)
		return rc;
	m->init = calloc(n ? n : 1, sizeof(*m->init));
	m->sorted = calloc(n ? n : 1, sizeof(*m->sorted));
	if (!m->init || !m->sorted)
		return mc_nomem();
	for (size_t i = 0; i < n; i++) {
		const Onnx__TensorProto *t = g->initializer[i];
		if (!t->name || !t->name[0])
			return mc_fail(MC_ECORRUPT, r->map->path, NULL, -1, "initializer %zu has no name", i);
		if (strlen(t->name) > MC_MAX_NAME)
			return mc_fail(MC_ELIMIT, r->map->path, NULL, -1,
			               "initializer %zu has a name of %zu bytes, more than %u", i,
			               strlen(t->name), MC_MAX_NAME);
		if ((rc = tensor_resolve(m, t, &m->init[i])) != 0)
			return rc;
		r->tensors[i] = m->init[i].info;
		m->sorted[i].name = t->name;
		m->sorted[i].index = i;
		m->ninit = r->ntensors = i + 1;
	}
	qsort(m->sorted, n, sizeof(*m->sorted), name_cmp);
	for (size_t i = 1; i < n; i++)
		if (strcmp(m->sorted[i - 1].name, m->sorted[i].name) == 0)
			return mc_fail(MC_ECORRUPT, r->map->path, m->sorted[i].name, -1,
			               "initializer '%.*s' is given twice", QUOTE, m->sorted[i].name);
	return 0;
}

static void model_free(mc_onnx_model *m)
{
	if (!m)
		return;
	if (m->ext) {
		for (size_t i = 0; i < m->ext->n; i++) {
			free(m->ext->f[i].real);
			mc_map_close(m->ext->f[i].map);
		}
		free(m->ext->f);
		free(m->ext->dir);
		free(m->ext->dir_real);
		free(m->ext);
	}
	free(m->init);
	free(m->sorted);
	mc_arena_free(m->arena);
	free(m);
}

static int onnx_open(mc_reader *r)
{
	static const mc_pb_elide elide = {&onnx__tensor_proto__descriptor, TP_DATA_FIELDS,
	                                  TP_RAW_DATA};
	const char *path = r->map->path;
	mc_onnx_model *m;
	uint8_t *copy = NULL;
	size_t copy_len, kept, cap;
	pb_alloc alloc = {NULL, false};
	ProtobufCAllocator pa = {pb_alloc_fn, pb_free_fn, &alloc};
	mc_cur c;
	int rc;

	if (!(m = calloc(1, sizeof(*m))) || !(m->ext = calloc(1, sizeof(*m->ext)))) {
		free(m);
		return mc_nomem();
	}
	r->impl = m;
	m->map = r->map;
	if (r->map->len > MC_ONNX_MAX_MODEL) {
		mc_fail(MC_ELIMIT, path, NULL, -1,
		        "%zu bytes, more than a protobuf message may hold (2 GiB)", r->map->len);
		return mc_err_hint("models this large keep their weights as external data "
		                   "(onnx.save_model(..., save_as_external_data=True))");
	}
	mc_cur_init(&c, r->map->data, r->map->len, 0, path, NULL);
	if ((rc = mc_pb_strip(&copy, &copy_len, &kept, &c, &onnx__model_proto__descriptor, &elide,
	                      MC_PROTO_MAX_DEPTH, r->map)) != 0) {
		mc_err_context(path, NULL);
		return rc;
	}
	if (!mc_mul_size(&cap, kept, MC_ONNX_ALLOC_PER_BYTE) ||
	    !mc_add_size(&cap, cap, MC_ONNX_ALLOC_FLOOR))
		cap = SIZE_MAX;
	if ((rc = mc_arena_new(&m->arena, cap)) != 0) {
		free(copy);
		return rc;
	}
	alloc.arena = m->arena;
	m->proto = onnx__model_proto__unpack(&pa, copy_len, copy);
	free(copy);
	if (!m->proto) {
		if (alloc.refused) {
			mc_fail(MC_ELIMIT, path, NULL, -1,
			        "the model's structure (%zu bytes without tensor data) needs more than "
			        "%zu bytes of memory", kept, cap);
			return mc_err_hint("real models need at most a few times their structure's "
			                   "size; this one is mostly empty messages");
		}
		if (mc_error_last()->code == MC_ENOMEM)
			return MC_ENOMEM;
		return mc_fail(MC_ECORRUPT, path, NULL, -1, "protobuf-c could not unpack the model");
	}
	if (!m->proto->has_ir_version || m->proto->ir_version <= 0) {
		mc_fail(MC_ECORRUPT, path, NULL, -1, "no ir_version: not an ONNX model");
		return mc_err_hint("every ONNX writer records the IR version first");
	}
	if (!m->proto->graph)
		return mc_fail(MC_ECORRUPT, path, NULL, -1, "model has no graph");
	m->graph = m->proto->graph;
	if ((rc = open_initializers(r, m)) != 0 || (rc = build_metadata(r, m->proto)) != 0 ||
	    (rc = build_values(r, m)) != 0)
		return rc;
	/* The walk touched every message's tags, and the kernel maps whole
	 * large folios around each touch: megabytes of weights per tensor
	 * that nothing has read.  Unmap them; reads fault them back in. */
	mc_map_done_with(r->map, r->map->data, r->map->len);
	return 0;
}

static int onnx_read(mc_reader *r, size_t i, mc_view *out)
{
	const mc_onnx_model *m = r->impl;
	return src_view(m, &m->init[i], out);
}

static void onnx_close(mc_reader *r)
{
	model_free(r->impl);
	r->impl = NULL;
}

const mc_format mc_format_onnx = {
	.name = "onnx",
	.sniff = onnx_sniff,
	.open = onnx_open,
	.read = onnx_read,
	.close = onnx_close,
};

/* ---- the graph API ------------------------------------------------------------ */

const mc_onnx_model *mc_onnx_model_of(const mc_reader *r)
{
	return r && r->fmt == &mc_format_onnx ? r->impl : NULL;
}

const Onnx__ModelProto *mc_onnx_proto(const mc_onnx_model *m) { return m->proto; }
const mc_map *mc_onnx_map(const mc_onnx_model *m) { return m->map; }
const Onnx__GraphProto *mc_onnx_graph(const mc_onnx_model *m) { return m->graph; }

static bool default_domain(const char *d)
{
	return !d || !d[0] || strcmp(d, "ai.onnx") == 0;
}

int64_t mc_onnx_opset(const mc_onnx_model *m, const char *domain)
{
	for (size_t i = 0; i < m->proto->n_opset_import; i++) {
		const char *d = m->proto->opset_import[i]->domain;
		if (default_domain(domain) ? default_domain(d) : (d && strcmp(d, domain) == 0))
			return m->proto->opset_import[i]->version;
	}
	return -1;
}

const char *mc_onnx_metadata(const mc_onnx_model *m, const char *key)
{
	for (size_t i = 0; i < m->proto->n_metadata_props; i++) {
		const Onnx__StringStringEntryProto *kv = m->proto->metadata_props[i];
		if (kv->key && strcmp(kv->key, key) == 0)
			return kv->value ? kv->value : "";
	}
	return NULL;
}

int64_t mc_onnx_initializer_find(const mc_onnx_model *m, const char *name)
{
	size_t lo = 0, hi = m->ninit;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(m->sorted[mid].name, name);
		if (c == 0)
			return (int64_t)m->sorted[mid].index;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

bool mc_onnx_is_initializer(const mc_onnx_model *m, const char *name)
{
	return name && mc_onnx_initializer_find(m, name) >= 0;
}

const Onnx__ValueInfoProto *mc_onnx_value_info(const Onnx__GraphProto *g, const char *name)
{
	const Onnx__ValueInfoProto *const *lists[] = {(const Onnx__ValueInfoProto *const *)g->input,
	                                               (const Onnx__ValueInfoProto *const *)g->output,
	                                               (const Onnx__ValueInfoProto *const *)
	                                                       g->value_info};
	const size_t counts[] = {g->n_input, g->n_output, g->n_value_info};

	for (size_t l = 0; l < 3; l++)
		for (size_t i = 0; i < counts[l]; i++)
			if (lists[l][i]->name && strcmp(lists[l][i]->name, name) == 0)
				return lists[l][i];
	return NULL;
}

int mc_onnx_tensor_type_of(mc_onnx_tensor_type *out, const Onnx__TypeProto *tp)
{
	const Onnx__TensorShapeProto *shape = NULL;

	memset(out, 0, sizeof(*out));
	out->rank = -1;
	if (tp && tp->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE && tp->tensor_type) {
		out->elem_type = tp->tensor_type->has_elem_type ? tp->tensor_type->elem_type : 0;
		shape = tp->tensor_type->shape;
	} else if (tp && tp->value_case == ONNX__TYPE_PROTO__VALUE_SPARSE_TENSOR_TYPE &&
	           tp->sparse_tensor_type) {
		out->elem_type =
			tp->sparse_tensor_type->has_elem_type ? tp->sparse_tensor_type->elem_type : 0;
		shape = tp->sparse_tensor_type->shape;
	} else {
		return mc_fail(MC_EUNSUPPORTED, NULL, NULL, -1, "not a tensor type");
	}
	out->dtype = mc_onnx_dtype(out->elem_type);
	if (shape) {
		out->shape = shape;
		out->rank = shape->n_dim > INT32_MAX ? INT32_MAX : (int)shape->n_dim;
	}
	return 0;
}

mc_onnx_dim mc_onnx_type_dim(const mc_onnx_tensor_type *t, int i)
{
	mc_onnx_dim d = {-1, NULL};
	const Onnx__TensorShapeProto__Dimension *dim;

	if (!t->shape || i < 0 || (size_t)i >= t->shape->n_dim)
		return d;
	dim = t->shape->dim[i];
	if (dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
	    dim->dim_value >= 0)
		d.value = dim->dim_value;
	else if (dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM &&
	         dim->dim_param && dim->dim_param[0])
		d.param = dim->dim_param;
	return d;
}

/* Append the type's text to buf at *used; nesting is bounded by the walk's
 * depth cap, and the text by the buffer. */
static void type_text(char *buf, size_t size, size_t *used, const Onnx__TypeProto *tp)
{
#define PUT(...)                                                                              \
	do {                                                                                  \
		int n_ = *used < size ? snprintf(buf + *used, size - *used, __VA_ARGS__) : 0; \
		*used += n_ > 0 ? (size_t)n_ : 0;                                             \
	} while (0)
	const char *name;
	int32_t et;

	switch (tp ? tp->value_case : ONNX__TYPE_PROTO__VALUE__NOT_SET) {
	case ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE:
	case ONNX__TYPE_PROTO__VALUE_SPARSE_TENSOR_TYPE:
		et = tp->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE
		             ? (tp->tensor_type->has_elem_type ? tp->tensor_type->elem_type : 0)
		             : (tp->sparse_tensor_type->has_elem_type ? tp->sparse_tensor_type->elem_type
		                                                      : 0);
		name = mc_onnx_type_name(et);
		if (name)
			PUT("%s(%s)", tp->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ? "tensor"
			                                                                     : "sparse_tensor",
			    name);
		else
			PUT("%s(%d)", tp->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ? "tensor"
			                                                                     : "sparse_tensor",
			    (int)et);
		break;
	case ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE:
		PUT("seq(");
		type_text(buf, size, used, tp->sequence_type->elem_type);
		PUT(")");
		break;
	case ONNX__TYPE_PROTO__VALUE_MAP_TYPE:
		name = mc_onnx_type_name(tp->map_type->has_key_type ? tp->map_type->key_type : 0);
		PUT("map(%s,", name ? name : "?");
		type_text(buf, size, used, tp->map_type->value_type);
		PUT(")");
		break;
	case ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE:
		PUT("optional(");
		type_text(buf, size, used, tp->optional_type->elem_type);
		PUT(")");
		break;
	default:
		PUT("?");
		break;
	}
#undef PUT
}

const char *mc_onnx_type_format(char *buf, size_t size, const Onnx__TypeProto *tp)
{
	size_t used = 0;

	if (size == 0)
		return buf;
	buf[0] = '\0';
	type_text(buf, size, &used, tp);
	return buf;
}

const Onnx__AttributeProto *mc_onnx_attr(const Onnx__NodeProto *n, const char *name)
{
	for (size_t i = 0; i < n->n_attribute; i++)
		if (n->attribute[i]->name && strcmp(n->attribute[i]->name, name) == 0)
			return n->attribute[i];
	return NULL;
}

Onnx__AttributeProto__AttributeType mc_onnx_attr_type(const Onnx__AttributeProto *a)
{
	if (a->has_type && a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED)
		return a->type;
	if (a->has_f)
		return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
	if (a->has_i)
		return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
	if (a->has_s)
		return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
	if (a->t)
		return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
	if (a->g)
		return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH;
	if (a->sparse_tensor)
		return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSOR;
	if (a->tp)
		return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTO;
	if (a->n_floats)
		return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
	if (a->n_ints)
		return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
	if (a->n_strings)
		return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS;
	if (a->n_tensors)
		return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSORS;
	if (a->n_graphs)
		return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS;
	if (a->n_sparse_tensors)
		return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSORS;
	if (a->n_type_protos)
		return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTOS;
	return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED;
}

const char *mc_onnx_attr_type_name(Onnx__AttributeProto__AttributeType type)
{
	switch (type) {
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT: return "float";
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT: return "int";
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING: return "string";
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR: return "tensor";
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH: return "graph";
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSOR: return "sparse_tensor";
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTO: return "type_proto";
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS: return "floats";
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS: return "ints";
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS: return "strings";
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSORS: return "tensors";
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS: return "graphs";
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSORS: return "sparse_tensors";
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTOS: return "type_protos";
	default: return "undefined";
	}
}
