/* SPDX-License-Identifier: MIT */
/*
 * PyTorch checkpoints as torch.save writes them, in both of its formats:
 * the zip format ("pytorch", torch >= 1.6 by default) and the legacy
 * format ("pytorch-legacy", torch < 1.6 or _use_new_zipfile_serialization=
 * False).  Specified by torch/serialization.py (_save, _legacy_save, _load,
 * _legacy_load), caffe2/serialize/inline_container.cc (the zip writer) and
 * torch/csrc/serialization.cpp (THPStorage_writeFileRaw).
 *
 * The zip format: a zip archive (see zip.c) whose entries all sit under one
 * prefix directory (the file's stem when it was saved, e.g. "archive/"):
 *
 *   <prefix>/data.pkl                the object pickle (protocol 2 unless
 *                                    pickle_protocol= says 3, 4 or 5)
 *   <prefix>/.format_version         "1"            (recent torch 2.x)
 *   <prefix>/.storage_alignment      "64"           (recent torch 2.x)
 *   <prefix>/byteorder               "little"/"big" (torch 2.x): the byte
 *                                    order of every storage
 *   <prefix>/data/<key>              one storage's raw bytes per key "0", "1", ...
 *   <prefix>/version                 "3\n": the archive format version
 *   <prefix>/.data/serialization_id  a random id    (recent torch 2.x)
 *
 * Entries are stored (not deflated), flagged 0x0808 with data descriptors,
 * padded by an extra field so data is 64-byte aligned.  Each storage is
 * named in data.pkl by a persistent id ('storage', storage_type, key,
 * location, numel): storage_type is torch.FloatStorage and the like (the
 * dtype) or torch.UntypedStorage (bytes), numel counts its elements.
 * Tensors are torch._utils._rebuild_tensor_v2(storage, storage_offset,
 * size, stride, ...): a strided view into the storage, so views, slices and
 * tied weights share one storage.  TorchScript archives (torch.jit.save:
 * code/, constants.pkl) and torch.package archives (.data/extern_modules,
 * Python sources) use the same container but hold code: they are refused.
 *
 * The legacy format: consecutive pickles, then raw storages.
 *
 *   pickle  MAGIC_NUMBER, the int 0x1950a86a20f9469cfc6c
 *   pickle  PROTOCOL_VERSION, the int 1001
 *   pickle  sys_info {'protocol_version': 1001, 'little_endian': bool,
 *                     'type_sizes': {'short': 2, 'int': 4, 'long': 4 or 8}}
 *   pickle  the object; persistent ids ('storage', storage_type, root_key,
 *           location, numel, view_metadata), view_metadata None since 1.0
 *   pickle  the storage keys, a list of str (sorted)
 *   then, for each key in that order, u64 LE numel and numel * element size
 *   bytes, little-endian whatever machine wrote them; then end of file.
 *
 * The tar-format checkpoints of torch 0.3 and earlier are recognised and
 * refused.
 *
 * What is checked.  The magic-number pickle must be the literal bytes torch
 * writes (it is never run); every other pickle runs in the non-executing
 * pickle VM (pickle.c), whose hooks here check each persistent id (the
 * storage exists; its size is numel times the element size; a key named
 * twice means the same storage) and each tensor (storage offset plus the
 * span of size and stride fits in the storage, in overflow-checked
 * arithmetic).  Bytes after a pickle's STOP, after the last storage, or in
 * an archive entry that torch.save does not write are refused, and so is
 * a storage that no tensor uses: a file holds exactly what it appears to.
 *
 * CRC-32.  Pickles and records are CRC-checked when the archive is opened
 * (and by scan).  Storages are not: a tensor is a view into the mapping,
 * handed out without a pass over its bytes.  torch.load checks no CRC
 * either (torch builds miniz without its reader's CRC checks), and a CRC
 * pass costs about 0.4 s per GB with zlib, as long as torch.load takes to
 * read the whole file: checking on read would make reading a state dict no
 * faster than torch's.  A storage whose bytes changed shows as a tensor
 * whose sha256 differs (dump --hash, verify).  Deflated storages, which
 * torch never writes, are inflated on read and checked then.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"
#include "checked.h"
#include "cursor.h"
#include "error.h"
#include "flatten.h"
#include "format.h"
#include "pickle.h"
#include "value.h"
#include "zip.h"
#include "banned.h"

/* torch's magic number pickle, as protocols 2/3 and 4/5 (framed) write it:
 * PROTO n, [FRAME 13], LONG1 10 bytes, STOP. */
static const uint8_t magic_p2[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46,
                                   0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e};
static const uint8_t magic_p4[] = {0x80, 0x04, 0x95, 0x0d, 0, 0, 0, 0, 0, 0, 0, 0x8a,
                                   0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a,
                                   0xa8, 0x50, 0x19, 0x2e};

#define TORCH_PROTOCOL_VERSION 1001
/* caffe2/serialize/versions.h: the archive versions torch.load accepts */
#define TORCH_MIN_FILE_VERSION 1
#define TORCH_MAX_FILE_VERSION 10
/* How much of a name or key a message quotes. */
#define QUOTE 200

enum { PT_STORAGE = 1, PT_TENSOR, PT_ARRAY };

typedef struct pt_storage {
	mc_flat_tensor flat;       /* the storage as a 1-d tensor, if saved alone */
	mc_value *value;           /* its placeholder: every reference gets this one */
	struct pt_storage *next;   /* all storages, in order of first reference */
	const char *key;           /* in the arena */
	uint64_t numel, nbytes;
	bool untyped;              /* torch.UntypedStorage: bytes of no known dtype */
	int64_t zip_index;         /* zip: its entry */
	const uint8_t *data;       /* legacy: its bytes, once found */
	bool listed;               /* legacy: named in the storage keys pickle */
} pt_storage;

typedef struct pt_tensor {
	mc_flat_tensor flat;
	pt_storage *storage;
	uint64_t offset_bytes;
	int64_t strides[MC_MAX_DIMS];
} pt_tensor;

typedef struct pt_array {
	mc_flat_tensor flat;
	const uint8_t *data;
	bool fortran, swap;
} pt_array;

typedef struct pt_impl {
	mc_reader *r;
	bool legacy;
	mc_zip *zip;
	char *prefix;              /* "archive/" */
	size_t prefix_len;
	char *pickle_name;         /* "archive/data.pkl" */
	uint8_t *pickle_copy;      /* inflated data.pkl when it was deflated */
	bool big_endian;           /* byteorder record says "big" */
	mc_strmap table;           /* storages by key */
	size_t nstorages;
	pt_storage *first, *last;
	pt_storage **by_entry;     /* zip: storage of each entry, or NULL */
	mc_flat_tensor **flat;     /* record of each tensor, from mc_flatten */
	char *namebuf;             /* scratch for entry names */
	size_t namebuf_cap;
} pt_impl;

/* ---- storage types -------------------------------------------------------- */

static const struct {
	const char *name;
	mc_dtype dtype;
} storage_types[] = {
	{"DoubleStorage", MC_FLOAT64},       {"FloatStorage", MC_FLOAT32},
	{"HalfStorage", MC_FLOAT16},         {"BFloat16Storage", MC_BFLOAT16},
	{"LongStorage", MC_INT64},           {"IntStorage", MC_INT32},
	{"ShortStorage", MC_INT16},          {"CharStorage", MC_INT8},
	{"ByteStorage", MC_UINT8},           {"BoolStorage", MC_BOOL},
	{"ComplexDoubleStorage", MC_COMPLEX128}, {"ComplexFloatStorage", MC_COMPLEX64},
	{"UntypedStorage", MC_UINT8},
};

/* The dtype of a storage class named by a persistent id. */
static int storage_dtype(mc_dtype *dt, bool *untyped, const mc_value *type, const char *path,
                         const char *entry, uint64_t off)
{
	const char *name, *base;

	if (!type || type->kind != MC_VALUE_OBJECT || !type->u.obj.type)
		return mc_fail(MC_ECORRUPT, path, entry, (int64_t)off,
		               "persistent id's storage type is not a torch storage class");
	name = type->u.obj.type;
	if (strncmp(name, "torch.cuda.", 11) == 0)
		base = name + 11;
	else if (strncmp(name, "torch.", 6) == 0)
		base = name + 6;
	else
		base = "";
	for (size_t i = 0; i < sizeof(storage_types) / sizeof(storage_types[0]); i++) {
		if (strcmp(base, storage_types[i].name) == 0) {
			*dt = storage_types[i].dtype;
			*untyped = strcmp(base, "UntypedStorage") == 0;
			return 0;
		}
	}
	if (strstr(base, "QInt") || strstr(base, "QUInt")) {
		mc_fail(MC_EUNSUPPORTED, path, entry, (int64_t)off,
		        "quantized storage type '%.*s' is not supported", QUOTE, name);
		return mc_err_hint("dequantize the tensors (tensor.dequantize()) and save again");
	}
	return mc_fail(MC_ECORRUPT, path, entry, (int64_t)off,
	               "persistent id's storage type '%.*s' is not a torch storage class", QUOTE,
	               name);
}

/* ---- the storage table ---------------------------------------------------- */

static pt_storage *table_find(const pt_impl *impl, const char *key)
{
	const mc_strmap_slot *slot = mc_strmap_find(&impl->table, key);
	return slot ? slot->value : NULL;
}

/* Add a storage whose key the caller found absent. */
static int table_add(pt_impl *impl, pt_storage *s)
{
	int rc;

	if ((rc = mc_strmap_put(&impl->table, s->key, s, NULL)) != 0)
		return rc;
	if (impl->last)
		impl->last->next = s;
	else
		impl->first = s;
	impl->last = s;
	impl->nstorages++;
	return 0;
}

/* ---- values from the pickle ----------------------------------------------- */

/* A str (or a Python 2 byte string) without NUL bytes, or NULL. */
static const char *text_of(const mc_value *v, size_t *n)
{
	if (!v || (v->kind != MC_VALUE_STR && v->kind != MC_VALUE_BYTES))
		return NULL;
	if (memchr(v->u.s.p, '\0', v->u.s.n))
		return NULL;
	*n = v->u.s.n;
	return v->u.s.p;
}

static bool is_text(const mc_value *v, const char *s)
{
	size_t n;
	const char *t = text_of(v, &n);
	return t && n == strlen(s) && memcmp(t, s, n) == 0;
}

/* What both formats' persistent ids say. */
typedef struct pid_info {
	mc_dtype dtype;
	bool untyped;
	const char *key;  /* NUL-terminated, in the pickle's values */
	uint64_t numel, nbytes;
	const mc_value *view_metadata; /* legacy only */
} pid_info;

static int parse_pid(pid_info *out, pt_impl *impl, const mc_value *pid, uint64_t off)
{
	const char *path = impl->r->map->path, *entry = impl->pickle_name;
	size_t want = impl->legacy ? 6 : 5, n, klen;
	const mc_value *numel;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!pid || pid->kind != MC_VALUE_TUPLE || mc_value_len(pid) == 0)
		return mc_fail(MC_ECORRUPT, path, entry, (int64_t)off,
		               "persistent id is not a tuple naming a storage");
	if (is_text(mc_value_at(pid, 0), "module")) {
		mc_fail(MC_EUNSAFE, path, entry, (int64_t)off,
		        "persistent id carries a module's source code (a pickled nn.Module)");
		return mc_err_hint("save model.state_dict() instead of the model object");
	}
	if (!is_text(mc_value_at(pid, 0), "storage"))
		return mc_fail(MC_ECORRUPT, path, entry, (int64_t)off,
		               "persistent id of an unknown kind (torch writes ('storage', ...))");
	n = mc_value_len(pid);
	if (n != want)
		return mc_fail(MC_ECORRUPT, path, entry, (int64_t)off,
		               "storage persistent id has %zu items, not %zu", n, want);
	if ((rc = storage_dtype(&out->dtype, &out->untyped, mc_value_at(pid, 1), path, entry, off)))
		return rc;
	out->key = text_of(mc_value_at(pid, 2), &klen);
	if (!out->key || klen == 0)
		return mc_fail(MC_ECORRUPT, path, entry, (int64_t)off,
		               "storage persistent id's key is not a non-empty str");
	if (!text_of(mc_value_at(pid, 3), &n))
		return mc_fail(MC_ECORRUPT, path, entry, (int64_t)off,
		               "storage '%.*s': location is not a str", QUOTE, out->key);
	numel = mc_value_at(pid, 4);
	if (numel && numel->kind == MC_VALUE_BIGINT)
		return mc_fail(MC_ELIMIT, path, entry, (int64_t)off,
		               "storage '%.*s': numel %.*s is too large", QUOTE, out->key, 40,
		               numel->u.s.p);
	if (!numel || numel->kind != MC_VALUE_INT)
		return mc_fail(MC_ECORRUPT, path, entry, (int64_t)off,
		               "storage '%.*s': numel is not an int", QUOTE, out->key);
	if (numel->u.i < 0)
		return mc_fail(MC_ECORRUPT, path, entry, (int64_t)off,
		               "storage '%.*s': numel %" PRId64 " is negative", QUOTE, out->key,
		               numel->u.i);
	out->numel = (uint64_t)numel->u.i;
	if (!mc_mul_u64(&out->nbytes, out->numel, mc_dtype_size(out->dtype)))
		return mc_fail(MC_ELIMIT, path, entry, (int64_t)off,
		               "storage '%.*s': %" PRIu64 " elements of %s overflow a byte count",
		               QUOTE, out->key, out->numel, mc_dtype_name(out->dtype));
	if (impl->legacy)
		out->view_metadata = mc_value_at(pid, 5);
	return 0;
}

/* A new storage record with its placeholder. */
static int new_storage(pt_storage **out, pt_impl *impl, const pid_info *p)
{
	mc_arena *a = impl->r->arena;
	pt_storage *s = mc_arena_alloc(a, sizeof(*s));

	*out = NULL;
	if (!s || !(s->key = mc_arena_strndup(a, p->key, strlen(p->key))) ||
	    !(s->value = mc_flat_placeholder(a, &s->flat)))
		return mc_err_context(impl->r->map->path, impl->pickle_name);
	s->flat.tag = PT_STORAGE;
	s->flat.dtype = p->dtype;
	s->flat.shape.ndim = 1;
	s->flat.shape.dims[0] = (int64_t)p->numel;
	s->flat.nbytes = p->nbytes;
	s->numel = p->numel;
	s->nbytes = p->nbytes;
	s->untyped = p->untyped;
	s->zip_index = -1;
	*out = s;
	return table_add(impl, s);
}

/* A key named again must describe the same storage. */
static int same_storage(const pt_impl *impl, const pt_storage *s, const pid_info *p, uint64_t off)
{
	if (s->flat.dtype != p->dtype || s->numel != p->numel)
		return mc_fail(MC_ECORRUPT, impl->r->map->path, impl->pickle_name, (int64_t)off,
		               "storage '%.*s' is named as %" PRIu64 " %s elements here but as %" PRIu64
		               " %s elements before", QUOTE, s->key, p->numel,
		               mc_dtype_name(p->dtype), s->numel, mc_dtype_name(s->flat.dtype));
	return 0;
}

/* "<prefix>data/<key>" in the scratch buffer. */
static const char *storage_entry_name(pt_impl *impl, const char *key)
{
	size_t klen = strlen(key), need = impl->prefix_len + 5 + klen + 1;

	if (need > impl->namebuf_cap) {
		char *p = realloc(impl->namebuf, need);
		if (!p) {
			mc_nomem();
			return NULL;
		}
		impl->namebuf = p;
		impl->namebuf_cap = need;
	}
	memcpy(impl->namebuf, impl->prefix, impl->prefix_len);
	memcpy(impl->namebuf + impl->prefix_len, "data/", 5);
	memcpy(impl->namebuf + impl->prefix_len + 5, key, klen + 1);
	return impl->namebuf;
}

static int zip_persistent_load(void *ctx, const mc_value *pid, uint64_t off, mc_value **out)
{
	pt_impl *impl = ctx;
	const char *path = impl->r->map->path;
	const mc_zip_entry *e;
	const char *name;
	pid_info p;
	pt_storage *s;
	int64_t idx;
	int rc;

	if ((rc = parse_pid(&p, impl, pid, off)))
		return rc;
	if ((s = table_find(impl, p.key)) != NULL) {
		if ((rc = same_storage(impl, s, &p, off)))
			return rc;
		*out = s->value;
		return 0;
	}
	if (!(name = storage_entry_name(impl, p.key)))
		return MC_ENOMEM;
	idx = mc_zip_index(impl->zip, name);
	if (idx < 0 || !impl->by_entry || impl->by_entry[idx] != NULL) {
		/* by_entry[idx] set means the entry is not a storage slot */
		mc_fail(MC_ECORRUPT, path, impl->pickle_name, (int64_t)off,
		        "persistent id names storage '%.*s' but the archive has no entry '%.*s'", QUOTE,
		        p.key, QUOTE, name);
		return MC_ECORRUPT;
	}
	e = mc_zip_entry_at(impl->zip, (size_t)idx);
	if (e->size != p.nbytes)
		return mc_fail(MC_ECORRUPT, path, e->name, (int64_t)e->data_offset,
		               "storage entry '%.*s' holds %" PRIu64 " bytes but its persistent id "
		               "says %" PRIu64 " %s elements (%" PRIu64 " bytes)", QUOTE, e->name,
		               e->size, p.numel, mc_dtype_name(p.dtype), p.nbytes);
	if ((rc = new_storage(&s, impl, &p)))
		return rc;
	s->zip_index = idx;
	impl->by_entry[idx] = s;
	*out = s->value;
	return 0;
}

static int legacy_persistent_load(void *ctx, const mc_value *pid, uint64_t off, mc_value **out)
{
	pt_impl *impl = ctx;
	pid_info p;
	pt_storage *s;
	int rc;

	if ((rc = parse_pid(&p, impl, pid, off)))
		return rc;
	if (p.view_metadata && p.view_metadata->kind != MC_VALUE_NONE) {
		mc_fail(MC_EUNSUPPORTED, impl->r->map->path, NULL, (int64_t)off,
		        "storage '%.*s' is a view of another storage (written by torch before 1.0), "
		        "which is not supported", QUOTE, p.key);
		return mc_err_hint("load the file with torch and save it again");
	}
	if ((s = table_find(impl, p.key)) != NULL) {
		if ((rc = same_storage(impl, s, &p, off)))
			return rc;
		*out = s->value;
		return 0;
	}
	if ((rc = new_storage(&s, impl, &p)))
		return rc;
	*out = s->value;
	return 0;
}

static void format_dims(char *buf, size_t size, const int64_t *d, int n)
{
	size_t used = 0;

	buf[0] = '\0';
	used += (size_t)snprintf(buf, size, "[");
	for (int i = 0; i < n && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%" PRId64, i ? ", " : "", d[i]);
	if (used < size)
		snprintf(buf + used, size - used, "]");
}

static int tensor_hook(void *ctx, const mc_pickle_tensor *t, uint64_t off, mc_value **out)
{
	pt_impl *impl = ctx;
	const char *path = impl->r->map->path, *entry = impl->pickle_name;
	mc_flat_tensor *f = mc_flat_pending(t->storage);
	pt_storage *s;
	pt_tensor *rec;
	mc_view v;
	uint64_t span, numel, start, end;
	size_t esize;
	char size_s[256], stride_s[256];

	if (!f || f->tag != PT_STORAGE)
		return mc_fail(MC_ECORRUPT, path, entry, (int64_t)off,
		               "tensor is not built on a storage from a persistent id");
	s = (pt_storage *)f;
	if (s->untyped && t->dtype == MC_DTYPE_INVALID)
		return mc_fail(MC_ECORRUPT, path, entry, (int64_t)off,
		               "tensor over untyped storage '%.*s' names no dtype", QUOTE, s->key);
	if (!s->untyped && t->dtype != MC_DTYPE_INVALID && t->dtype != s->flat.dtype)
		return mc_fail(MC_ECORRUPT, path, entry, (int64_t)off,
		               "tensor of dtype %s over storage '%.*s' of dtype %s",
		               mc_dtype_name(t->dtype), QUOTE, s->key, mc_dtype_name(s->flat.dtype));
	memset(&v, 0, sizeof(v));
	/* _rebuild_tensor_v3 names the dtype; an untyped storage is just bytes */
	v.dtype = t->dtype != MC_DTYPE_INVALID ? t->dtype : s->flat.dtype;
	v.shape = t->shape;
	memcpy(v.strides, t->strides, sizeof(v.strides));
	esize = mc_dtype_size(v.dtype);
	format_dims(size_s, sizeof(size_s), t->shape.dims, t->shape.ndim);
	format_dims(stride_s, sizeof(stride_s), t->strides, t->shape.ndim);
	if (mc_shape_numel(&numel, &t->shape) != 0 || mc_view_span(&span, &v) != 0 ||
	    t->storage_offset < 0 || !mc_mul_u64(&start, (uint64_t)t->storage_offset, esize) ||
	    !mc_add_u64(&end, start, span))
		return mc_fail(MC_ELIMIT, path, entry, (int64_t)off,
		               "tensor of size %s, stride %s at storage offset %" PRId64
		               " overflows a byte count", size_s, stride_s, t->storage_offset);
	/* torch checks the bounds of non-empty tensors only */
	if (numel > 0 && end > s->nbytes)
		return mc_fail(MC_ECORRUPT, path, entry, (int64_t)off,
		               "tensor of size %s, stride %s at storage offset %" PRId64 " needs %"
		               PRIu64 " bytes of storage '%.*s', which holds %" PRIu64, size_s, stride_s,
		               t->storage_offset, end, QUOTE, s->key, s->nbytes);
	rec = mc_arena_alloc(impl->r->arena, sizeof(*rec));
	if (!rec)
		return mc_err_context(path, entry);
	rec->flat.tag = PT_TENSOR;
	rec->flat.dtype = v.dtype;
	rec->flat.shape = t->shape;
	if (mc_tensor_nbytes(&rec->flat.nbytes, v.dtype, &t->shape) != 0)
		return mc_fail(MC_ELIMIT, path, entry, (int64_t)off,
		               "tensor of size %s overflows a byte count", size_s);
	rec->storage = s;
	rec->offset_bytes = numel > 0 ? start : 0;
	memcpy(rec->strides, t->strides, sizeof(rec->strides));
	if (!(*out = mc_flat_placeholder(impl->r->arena, &rec->flat)))
		return mc_err_context(path, entry);
	return 0;
}

static int array_hook(void *ctx, const mc_pickle_array *a, uint64_t off, mc_value **out)
{
	pt_impl *impl = ctx;
	const char *path = impl->r->map->path, *entry = impl->pickle_name;
	pt_array *rec = mc_arena_alloc(impl->r->arena, sizeof(*rec));
	uint64_t nbytes;

	if (!rec)
		return mc_err_context(path, entry);
	if (mc_tensor_nbytes(&nbytes, a->dtype, &a->shape) != 0 || nbytes != a->len)
		return mc_fail(MC_ECORRUPT, path, entry, (int64_t)off,
		               "numpy array holds %zu bytes, not its shape's size", a->len);
	rec->flat.tag = PT_ARRAY;
	rec->flat.dtype = a->dtype;
	rec->flat.shape = a->shape;
	rec->flat.nbytes = nbytes;
	rec->data = a->data;
	rec->fortran = a->fortran;
	rec->swap = a->swap;
	if (!(*out = mc_flat_placeholder(impl->r->arena, &rec->flat)))
		return mc_err_context(path, entry);
	return 0;
}

static void pickle_env(mc_pickle_env *env, pt_impl *impl, uint64_t origin, bool hooks)
{
	memset(env, 0, sizeof(*env));
	env->path = impl->r->map->path;
	env->entry = impl->pickle_name;
	env->origin = origin;
	env->arena = impl->r->arena;
	env->ctx = impl;
	if (hooks) {
		env->persistent_load = impl->legacy ? legacy_persistent_load : zip_persistent_load;
		env->tensor = tensor_hook;
		env->array = array_hook;
	}
}

/* ---- the zip format ---------------------------------------------------------- */

typedef enum entry_kind {
	ENTRY_PICKLE,       /* data.pkl */
	ENTRY_STORAGE,      /* data/<key> */
	ENTRY_VERSION,      /* version, .data/version */
	ENTRY_BYTEORDER,
	ENTRY_NUMBER,       /* .format_version, .storage_alignment */
	ENTRY_ID,           /* .data/serialization_id */
	ENTRY_TORCHSCRIPT,  /* code/, constants.pkl, ...: code */
	ENTRY_PACKAGE,      /* torch.package: .data/..., Python sources */
	ENTRY_OTHER_PICKLE, /* any other *.pkl */
	ENTRY_OUTSIDE,      /* not under the prefix */
	ENTRY_UNKNOWN
} entry_kind;

static bool starts(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

static bool ends(const char *s, const char *p)
{
	size_t n = strlen(s), m = strlen(p);
	return n >= m && memcmp(s + n - m, p, m) == 0;
}

/* What an entry name (below the prefix) is in an archive torch.save wrote. */
static entry_kind classify_rest(const char *rest)
{
	if (!strcmp(rest, "data.pkl"))
		return ENTRY_PICKLE;
	if (starts(rest, "data/") && rest[5] && !strchr(rest + 5, '/'))
		return ENTRY_STORAGE;
	if (!strcmp(rest, "version") || !strcmp(rest, ".data/version"))
		return ENTRY_VERSION;
	if (!strcmp(rest, "byteorder"))
		return ENTRY_BYTEORDER;
	if (!strcmp(rest, ".format_version") || !strcmp(rest, ".storage_alignment"))
		return ENTRY_NUMBER;
	if (!strcmp(rest, ".data/serialization_id"))
		return ENTRY_ID;
	if (starts(rest, "code/") || starts(rest, "constants") || !strcmp(rest, "bytecode.pkl") ||
	    starts(rest, "extra/") || starts(rest, ".data/ts_code/"))
		return ENTRY_TORCHSCRIPT;
	if (starts(rest, ".data/") || ends(rest, ".py"))
		return ENTRY_PACKAGE;
	if (ends(rest, ".pkl"))
		return ENTRY_OTHER_PICKLE;
	return ENTRY_UNKNOWN;
}

/* The prefix directory: the first entry's name up to its first '/'. */
static size_t prefix_of(const char *name)
{
	const char *slash = strchr(name, '/');
	return slash && slash != name ? (size_t)(slash - name) + 1 : 0;
}

static entry_kind classify(const char *name, const char *prefix, size_t plen)
{
	if (!plen || strncmp(name, prefix, plen) != 0)
		return ENTRY_OUTSIDE;
	return classify_rest(name + plen);
}

static int pt_sniff(const uint8_t *head, size_t len)
{
	char name[MC_SNIFF_BYTES + 1];
	size_t nlen, plen;
	entry_kind k;

	if (len < 30 || memcmp(head, "PK\3\4", 4) != 0)
		return 0;
	nlen = mc_load_u16le(head + 26);
	if (nlen > len - 30 || nlen >= sizeof(name) || nlen == 0)
		return 0;
	memcpy(name, head + 30, nlen);
	name[nlen] = '\0';
	if (memchr(name, '\0', nlen) || !(plen = prefix_of(name)))
		return 0;
	k = classify_rest(name + plen);
	return k != ENTRY_UNKNOWN && k != ENTRY_OUTSIDE;
}

static int refuse_code(const pt_impl *impl, const mc_zip_entry *e, entry_kind k)
{
	const char *path = impl->r->map->path;

	if (k == ENTRY_TORCHSCRIPT) {
		mc_fail(MC_EUNSAFE, path, e->name, (int64_t)e->header_offset,
		        "TorchScript archive (entry '%.*s'): it holds code, which modelctl never runs",
		        QUOTE, e->name);
		return mc_err_hint("save the weights with torch.save(model.state_dict(), PATH) "
		                   "instead of torch.jit.save");
	}
	mc_fail(MC_EUNSAFE, path, e->name, (int64_t)e->header_offset,
	        "torch.package archive (entry '%.*s'): it holds code, which modelctl never runs",
	        QUOTE, e->name);
	return mc_err_hint("save the weights with torch.save(model.state_dict(), PATH)");
}

/* A small record's bytes, CRC-checked, in a malloc'd NUL-terminated buffer. */
static int read_record(char **out, size_t *len, const pt_impl *impl, const mc_zip_entry *e)
{
	uint8_t *buf = NULL;
	char *s;
	int rc;

	*out = NULL;
	if (e->size > MC_TORCH_MAX_RECORD)
		return mc_fail(MC_ECORRUPT, impl->r->map->path, e->name, (int64_t)e->data_offset,
		               "record '%.*s' holds %" PRIu64 " bytes, more than torch writes (%u at "
		               "most)", QUOTE, e->name, e->size, MC_TORCH_MAX_RECORD);
	if ((rc = mc_zip_read(&buf, len, impl->zip, e)))
		return rc;
	s = malloc(*len + 1);
	if (!s) {
		free(buf);
		return mc_nomem();
	}
	memcpy(s, buf, *len);
	s[*len] = '\0';
	free(buf);
	*out = s;
	return 0;
}

/* A decimal number of at most 9 digits, optionally followed by "\n". */
static bool parse_small_uint(const char *s, size_t len, unsigned *out)
{
	unsigned v = 0;
	size_t i = 0;

	if (len && s[len - 1] == '\n')
		len--;
	if (len == 0 || len > 9)
		return false;
	for (; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	*out = v;
	return true;
}

static int check_record(pt_impl *impl, const mc_zip_entry *e, entry_kind k)
{
	const char *path = impl->r->map->path;
	char *s = NULL;
	size_t len = 0;
	unsigned v;
	int rc;

	if ((rc = read_record(&s, &len, impl, e)))
		return rc;
	switch (k) {
	case ENTRY_VERSION:
		if (!parse_small_uint(s, len, &v))
			rc = mc_fail(MC_ECORRUPT, path, e->name, (int64_t)e->data_offset,
			             "version record is not a decimal number");
		else if (v < TORCH_MIN_FILE_VERSION || v > TORCH_MAX_FILE_VERSION)
			rc = mc_fail(MC_EUNSUPPORTED, path, e->name, (int64_t)e->data_offset,
			             "archive format version %u is not one torch reads (%d to %d)", v,
			             TORCH_MIN_FILE_VERSION, TORCH_MAX_FILE_VERSION);
		break;
	case ENTRY_BYTEORDER:
		if (len == 6 && !memcmp(s, "little", 6))
			impl->big_endian = false;
		else if (len == 3 && !memcmp(s, "big", 3))
			impl->big_endian = true;
		else
			rc = mc_fail(MC_ECORRUPT, path, e->name, (int64_t)e->data_offset,
			             "byteorder record is neither 'little' nor 'big'");
		break;
	case ENTRY_NUMBER:
		if (!parse_small_uint(s, len, &v))
			rc = mc_fail(MC_ECORRUPT, path, e->name, (int64_t)e->data_offset,
			             "record '%.*s' is not a decimal number", QUOTE, e->name);
		break;
	default: /* ENTRY_ID: printable ASCII */
		for (size_t i = 0; i < len && !rc; i++)
			if (s[i] < 0x20 || s[i] > 0x7e)
				rc = mc_fail(MC_ECORRUPT, path, e->name, (int64_t)e->data_offset,
				             "record '%.*s' is not printable text", QUOTE, e->name);
		break;
	}
	free(s);
	return rc;
}

/* data.pkl's bytes: in place when stored (after its CRC check), else
 * inflated into impl->pickle_copy. */
static int pickle_bytes(const uint8_t **data, size_t *len, uint64_t *origin, pt_impl *impl,
                        const mc_zip_entry *e)
{
	int rc;

	if (e->method == MC_ZIP_STORED) {
		if ((rc = mc_zip_check_crc(impl->zip, e)))
			return rc;
		*data = e->data;
		*len = (size_t)e->size;
		*origin = e->data_offset;
		return 0;
	}
	if ((rc = mc_zip_read(&impl->pickle_copy, len, impl->zip, e)))
		return rc;
	*data = impl->pickle_copy;
	*origin = 0; /* offsets count from the start of the inflated pickle */
	return 0;
}

static int load_pickle(mc_value **root, pt_impl *impl, const uint8_t *data, size_t len,
                       uint64_t origin, bool hooks, const char *what, size_t *used)
{
	mc_pickle_env env;
	size_t end = 0;
	int rc;

	pickle_env(&env, impl, origin, hooks);
	if ((rc = mc_pickle_load(root, &end, data, len, &env)))
		return mc_err_context(impl->r->map->path, impl->pickle_name);
	if (used) {
		*used = end;
		return 0;
	}
	if (end != len)
		return mc_fail(MC_ECORRUPT, impl->r->map->path, impl->pickle_name,
		               (int64_t)(origin + end), "%zu bytes after the STOP of %s", len - end,
		               what);
	return 0;
}

static pt_impl *new_impl(mc_reader *r, bool legacy)
{
	pt_impl *impl = calloc(1, sizeof(*impl));

	if (!impl) {
		mc_nomem();
		return NULL;
	}
	impl->r = r;
	impl->legacy = legacy;
	r->impl = impl;
	return impl;
}

/* Marks the entries of by_entry that a persistent id may not name. */
static pt_storage not_a_storage;

static int zip_open(mc_reader *r)
{
	pt_impl *impl = new_impl(r, false);
	const char *path = r->map->path;
	const mc_zip_entry *pkl = NULL, *version = NULL;
	const uint8_t *data;
	mc_value *root = NULL;
	uint64_t origin;
	size_t n, len;
	int rc;

	if (!impl)
		return MC_ENOMEM;
	if ((rc = mc_zip_open(&impl->zip, r->map->data, r->map->len, path)))
		return rc;
	n = mc_zip_count(impl->zip);
	if (n == 0)
		return mc_fail(MC_ECORRUPT, path, NULL, -1, "empty archive: no data.pkl");
	impl->prefix_len = prefix_of(mc_zip_entry_at(impl->zip, 0)->name);
	if (!impl->prefix_len) {
		const mc_zip_entry *e = mc_zip_entry_at(impl->zip, 0);
		return mc_fail(MC_ECORRUPT, path, e->name, (int64_t)e->header_offset,
		               "entry '%.*s' is not under an archive prefix directory", QUOTE, e->name);
	}
	if (!(impl->prefix = malloc(impl->prefix_len + 1)) ||
	    !(impl->by_entry = calloc(n, sizeof(*impl->by_entry))))
		return mc_nomem();
	memcpy(impl->prefix, mc_zip_entry_at(impl->zip, 0)->name, impl->prefix_len);
	impl->prefix[impl->prefix_len] = '\0';
	/* code first, wherever it is in the archive: it decides the refusal */
	for (size_t i = 0; i < n; i++) {
		const mc_zip_entry *e = mc_zip_entry_at(impl->zip, i);
		entry_kind k = classify(e->name, impl->prefix, impl->prefix_len);
		if (k == ENTRY_TORCHSCRIPT || k == ENTRY_PACKAGE)
			return refuse_code(impl, e, k);
	}
	for (size_t i = 0; i < n; i++) {
		const mc_zip_entry *e = mc_zip_entry_at(impl->zip, i);
		entry_kind k = classify(e->name, impl->prefix, impl->prefix_len);
		switch (k) {
		case ENTRY_PICKLE:
			pkl = e;
			impl->by_entry[i] = &not_a_storage;
			break;
		case ENTRY_STORAGE:
			break;
		case ENTRY_VERSION:
			if (version)
				return mc_fail(MC_ECORRUPT, path, e->name, (int64_t)e->header_offset,
				               "two version records ('%.*s' and '%.*s')", QUOTE,
				               version->name, QUOTE, e->name);
			version = e;
			/* fall through */
		case ENTRY_BYTEORDER:
		case ENTRY_NUMBER:
		case ENTRY_ID:
			impl->by_entry[i] = &not_a_storage;
			if ((rc = check_record(impl, e, k)))
				return rc;
			break;
		case ENTRY_OUTSIDE:
			return mc_fail(MC_ECORRUPT, path, e->name, (int64_t)e->header_offset,
			               "entry '%.*s' is outside the archive's prefix directory '%s'", QUOTE,
			               e->name, impl->prefix);
		case ENTRY_OTHER_PICKLE:
			mc_fail(MC_ECORRUPT, path, e->name, (int64_t)e->header_offset,
			        "extra pickle '%.*s' beside data.pkl: torch.save writes one pickle", QUOTE,
			        e->name);
			return mc_err_hint("run 'modelctl scan' on the file to see what it holds");
		default:
			return mc_fail(MC_ECORRUPT, path, e->name, (int64_t)e->header_offset,
			               "unexpected entry '%.*s': torch.save does not write it", QUOTE,
			               e->name);
		}
	}
	if (!pkl)
		return mc_fail(MC_ECORRUPT, path, NULL, -1, "archive has no '%sdata.pkl'", impl->prefix);
	if (!version)
		return mc_fail(MC_ECORRUPT, path, NULL, -1, "archive has no '%sversion' record",
		               impl->prefix);
	if (!(impl->pickle_name = strdup(pkl->name)))
		return mc_nomem();
	if ((rc = pickle_bytes(&data, &len, &origin, impl, pkl)))
		return rc;
	if ((rc = load_pickle(&root, impl, data, len, origin, true, "data.pkl", NULL)))
		return rc;
	for (size_t i = 0; i < n; i++) {
		const mc_zip_entry *e = mc_zip_entry_at(impl->zip, i);
		if (!impl->by_entry[i])
			return mc_fail(MC_ECORRUPT, path, e->name, (int64_t)e->header_offset,
			               "storage entry '%.*s' is not used by data.pkl", QUOTE, e->name);
	}
	return mc_flatten(&impl->flat, r, root);
}

/* ---- the legacy format --------------------------------------------------------- */

static bool is_tar(const uint8_t *p, size_t len)
{
	return len >= 263 && memcmp(p + 257, "ustar", 5) == 0;
}

/* The length of the literal magic-number pickle at p, or 0. */
static size_t magic_len(const uint8_t *p, size_t len)
{
	if (len >= sizeof(magic_p2) && (p[1] == 2 || p[1] == 3) &&
	    p[0] == magic_p2[0] && memcmp(p + 2, magic_p2 + 2, sizeof(magic_p2) - 2) == 0)
		return sizeof(magic_p2);
	if (len >= sizeof(magic_p4) && (p[1] == 4 || p[1] == 5) &&
	    p[0] == magic_p4[0] && memcmp(p + 2, magic_p4 + 2, sizeof(magic_p4) - 2) == 0)
		return sizeof(magic_p4);
	return 0;
}

static int legacy_sniff(const uint8_t *head, size_t len)
{
	return magic_len(head, len) != 0 || is_tar(head, len);
}

static int refuse_tar(const char *path)
{
	mc_fail(MC_EUNSUPPORTED, path, NULL, 257,
	        "tar archive: the tar-format checkpoints of torch 0.3 and earlier are not supported");
	return mc_err_hint("load the file with torch and save it again with torch.save");
}

static const mc_value *dict_get(const mc_value *d, const char *key)
{
	return d && d->kind == MC_VALUE_DICT ? mc_value_dict_get(d, key) : NULL;
}

static int check_sys_info(const pt_impl *impl, const mc_value *v, uint64_t off)
{
	const char *path = impl->r->map->path;
	const mc_value *pv = dict_get(v, "protocol_version");
	const mc_value *le = dict_get(v, "little_endian");
	const mc_value *ts = dict_get(v, "type_sizes");

	if (!v || v->kind != MC_VALUE_DICT)
		return mc_fail(MC_ECORRUPT, path, NULL, (int64_t)off, "sys_info pickle is not a dict");
	if (!pv || pv->kind != MC_VALUE_INT || pv->u.i != TORCH_PROTOCOL_VERSION)
		return mc_fail(MC_ECORRUPT, path, NULL, (int64_t)off,
		               "sys_info's protocol_version is not %d", TORCH_PROTOCOL_VERSION);
	if (!le || le->kind != MC_VALUE_BOOL)
		return mc_fail(MC_ECORRUPT, path, NULL, (int64_t)off,
		               "sys_info's little_endian is not a bool");
	if (!ts || ts->kind != MC_VALUE_DICT)
		return mc_fail(MC_ECORRUPT, path, NULL, (int64_t)off,
		               "sys_info's type_sizes is not a dict");
	/* storages are little-endian whatever little_endian says: torch converts
	 * them when it writes (THPStorage_writeFileRaw) */
	return 0;
}

static int legacy_open(mc_reader *r)
{
	pt_impl *impl = new_impl(r, true);
	const char *path = r->map->path;
	const uint8_t *p = r->map->data;
	size_t len = r->map->len, pos, used = 0;
	mc_value *v = NULL, *root = NULL, *keys = NULL;
	mc_cur c;
	int rc;

	if (!impl)
		return MC_ENOMEM;
	if (is_tar(p, len))
		return refuse_tar(path);
	if (!(pos = magic_len(p, len))) {
		mc_fail(MC_ECORRUPT, path, NULL, 0,
		        "not a legacy torch file: the first pickle is not torch's magic number "
		        "0x1950a86a20f9469cfc6c as torch.save writes it");
		return mc_err_hint("run 'modelctl scan' on the file to see what its pickles hold");
	}
	/* PROTOCOL_VERSION */
	if ((rc = load_pickle(&v, impl, p + pos, len - pos, pos, false, NULL, &used)))
		return rc;
	if (v->kind != MC_VALUE_INT || v->u.i != TORCH_PROTOCOL_VERSION)
		return mc_fail(MC_ECORRUPT, path, NULL, (int64_t)pos,
		               "protocol version pickle does not hold %d", TORCH_PROTOCOL_VERSION);
	pos += used;
	/* sys_info */
	if ((rc = load_pickle(&v, impl, p + pos, len - pos, pos, false, NULL, &used)) ||
	    (rc = check_sys_info(impl, v, pos)))
		return rc;
	pos += used;
	/* the object */
	if ((rc = load_pickle(&root, impl, p + pos, len - pos, pos, true, NULL, &used)))
		return rc;
	pos += used;
	/* the storage keys */
	if ((rc = load_pickle(&keys, impl, p + pos, len - pos, pos, false, NULL, &used)))
		return rc;
	if (keys->kind != MC_VALUE_LIST)
		return mc_fail(MC_ECORRUPT, path, NULL, (int64_t)pos,
		               "storage keys pickle is not a list");
	pos += used;
	/* which storages have data: a storage the object names but the keys
	 * leave out is reported first, then keys naming no storage */
	{
		const char *unknown = NULL;
		for (size_t i = 0; i < mc_value_len(keys); i++) {
			size_t klen;
			const char *key = text_of(mc_value_at(keys, i), &klen);
			pt_storage *s;
			if (!key)
				return mc_fail(MC_ECORRUPT, path, NULL, (int64_t)pos,
				               "storage key %zu is not a str", i);
			if (!(s = klen ? table_find(impl, key) : NULL)) {
				if (!unknown)
					unknown = key;
				continue;
			}
			if (s->listed)
				return mc_fail(MC_ECORRUPT, path, NULL, (int64_t)pos,
				               "storage key '%.*s' is listed twice", QUOTE, key);
			s->listed = true;
		}
		for (pt_storage *s = impl->first; s; s = s->next)
			if (!s->listed)
				return mc_fail(MC_ECORRUPT, path, NULL, (int64_t)pos,
				               "storage '%.*s' named by the object pickle has no data (it is "
				               "not in the storage keys)", QUOTE, s->key);
		if (unknown)
			return mc_fail(MC_ECORRUPT, path, NULL, (int64_t)pos,
			               "storage key '%.*s' names no storage of the object pickle", QUOTE,
			               unknown);
	}
	mc_cur_init(&c, p, len, 0, path, NULL);
	c.pos = pos;
	for (size_t i = 0; i < mc_value_len(keys); i++) {
		size_t klen;
		pt_storage *s = table_find(impl, text_of(mc_value_at(keys, i), &klen));
		uint64_t numel;
		if ((rc = mc_cur_u64le(&c, &numel)))
			return rc;
		if (numel != s->numel) {
			c.pos -= 8;
			return mc_corrupt(&c, "storage '%.*s' has %" PRIu64 " elements here but %" PRIu64
			                  " in its persistent id", QUOTE, s->key, numel, s->numel);
		}
		if (s->nbytes > mc_cur_left(&c))
			return mc_corrupt(&c, "truncated: storage '%.*s' needs %" PRIu64 " bytes, %zu "
			                  "are left", QUOTE, s->key, s->nbytes, mc_cur_left(&c));
		if ((rc = mc_cur_bytes(&c, (size_t)s->nbytes, &s->data)))
			return rc;
	}
	if (mc_cur_left(&c))
		return mc_corrupt(&c, "%zu bytes after the last storage", mc_cur_left(&c));
	return mc_flatten(&impl->flat, r, root);
}

/* ---- reading ---------------------------------------------------------------------- */

/* A storage's bytes: in the mapping, or inflated (and CRC-checked) into
 * *owned. */
static int storage_data(const uint8_t **data, void **owned, pt_impl *impl, pt_storage *s)
{
	const mc_zip_entry *e;
	uint8_t *buf;
	size_t len;
	int rc;

	*owned = NULL;
	if (impl->legacy) {
		*data = s->data;
		return 0;
	}
	e = mc_zip_entry_at(impl->zip, (size_t)s->zip_index);
	if (e->method == MC_ZIP_STORED) {
		*data = e->data; /* in place, no CRC pass: see the top of the file */
		return 0;
	}
	if ((rc = mc_zip_read(&buf, &len, impl->zip, e)))
		return rc;
	*data = buf;
	*owned = buf;
	return 0;
}

static int pt_read(mc_reader *r, size_t i, mc_view *out)
{
	pt_impl *impl = r->impl;
	mc_flat_tensor *f = impl->flat[i];
	const uint8_t *data;
	void *owned = NULL;
	int rc;

	switch (f->tag) {
	case PT_ARRAY: {
		const pt_array *a = (const pt_array *)f;
		mc_view_init_dense(out, f->dtype, &f->shape, a->data);
		if (a->fortran) {
			int64_t stride = 1;
			for (int d = 0; d < f->shape.ndim; d++) {
				out->strides[d] = stride;
				stride *= f->shape.dims[d] ? f->shape.dims[d] : 1;
			}
		}
		out->swap = a->swap && mc_dtype_get(f->dtype)->swap_unit > 1;
		return 0; /* the bytes are in the arena, not the mapping */
	}
	case PT_STORAGE: {
		pt_storage *s = (pt_storage *)f;
		if ((rc = storage_data(&data, &owned, impl, s)))
			return rc;
		mc_view_init_dense(out, f->dtype, &f->shape, data);
		break;
	}
	default: {
		const pt_tensor *t = (const pt_tensor *)f;
		if ((rc = storage_data(&data, &owned, impl, t->storage)))
			return rc;
		mc_view_init_dense(out, f->dtype, &f->shape, data + t->offset_bytes);
		memcpy(out->strides, t->strides, sizeof(out->strides));
		break;
	}
	}
	out->swap = impl->big_endian && mc_dtype_get(f->dtype)->swap_unit > 1;
	out->owned = owned;
	out->map = owned ? NULL : r->map;
	return 0;
}

static void pt_close(mc_reader *r)
{
	pt_impl *impl = r->impl;

	mc_zip_free(impl->zip);
	free(impl->prefix);
	free(impl->pickle_name);
	free(impl->pickle_copy);
	mc_strmap_release(&impl->table);
	free(impl->by_entry);
	free(impl->flat);
	free(impl->namebuf);
	free(impl);
	r->impl = NULL;
}

/* ---- scanning ------------------------------------------------------------------- */

/* List the globals of the pickle at data[0..len) in the report; *end gets
 * the offset past its STOP. */
static int scan_pickle(mc_scan_report *rep, mc_arena *a, const char *path, const char *entry,
                       const uint8_t *data, size_t len, uint64_t origin, size_t *end)
{
	mc_pickle_env env;

	memset(&env, 0, sizeof(env));
	env.path = path;
	env.entry = entry;
	env.origin = origin;
	env.arena = a;
	return mc_pickle_scan_report(rep, end, data, len, &env);
}

static int scan_arena(mc_arena **a, const mc_map *map)
{
	size_t cap;

	if (!mc_mul_size(&cap, map->len, MC_VALUE_BYTES_PER_FILE_BYTE) ||
	    !mc_add_size(&cap, cap, MC_VALUE_BYTES_FLOOR))
		cap = SIZE_MAX;
	return mc_arena_new(a, cap);
}

/* A finding for an entry that fails its CRC check; the file is then not
 * readable as it stands. */
static int add_crc_finding(mc_scan_report *rep, const mc_zip_entry *e)
{
	const mc_error *err = mc_error_last();
	int rc;

	if (err->code == MC_ENOMEM)
		return MC_ENOMEM;
	rc = mc_scan_add(rep, "integrity", false, e->name, (int64_t)e->data_offset, "%s", err->msg);
	if (!rc && rep->verdict == MC_VERDICT_SAFE)
		rep->verdict = MC_VERDICT_ERROR;
	return rc;
}

static int zip_scan(const mc_map *map, mc_scan_report *rep)
{
	mc_zip *z = NULL;
	mc_arena *a = NULL;
	size_t n, plen;
	char *prefix = NULL;
	int rc;

	if ((rc = mc_zip_open(&z, map->data, map->len, map->path)))
		return rc;
	if ((rc = scan_arena(&a, map)))
		goto out;
	n = mc_zip_count(z);
	plen = n ? prefix_of(mc_zip_entry_at(z, 0)->name) : 0;
	if (plen && !(prefix = strndup(mc_zip_entry_at(z, 0)->name, plen))) {
		rc = mc_nomem();
		goto out;
	}
	for (size_t i = 0; i < n && !rc; i++) {
		const mc_zip_entry *e = mc_zip_entry_at(z, i);
		entry_kind k = classify(e->name, prefix, plen);
		uint8_t *copy = NULL;
		size_t end = 0;

		if (k == ENTRY_TORCHSCRIPT || k == ENTRY_PACKAGE) {
			rc = mc_scan_add(rep, "code", true, e->name, (int64_t)e->header_offset,
			                 "%s: %s", k == ENTRY_TORCHSCRIPT ? "TorchScript code"
			                                                 : "torch.package content",
			                 "torch.load would run it");
			if (rc || !ends(e->name, ".pkl"))
				continue;
		}
		if (k == ENTRY_STORAGE)
			continue; /* tensor bytes: not read by scan */
		if (ends(e->name, ".pkl")) {
			const uint8_t *data;
			size_t len;
			uint64_t origin = e->data_offset;
			if (e->method == MC_ZIP_STORED) {
				if (mc_zip_check_crc(z, e)) {
					rc = add_crc_finding(rep, e);
					continue;
				}
				data = e->data;
				len = (size_t)e->size;
			} else {
				if (mc_zip_read(&copy, &len, z, e)) {
					rc = add_crc_finding(rep, e);
					continue;
				}
				data = copy;
				origin = 0;
			}
			rc = scan_pickle(rep, a, map->path, e->name, data, len, origin, &end);
			if (!rc && end != len) {
				/* torch.load stops at STOP; the file is refused, not unsafe */
				rc = mc_scan_add(rep, "integrity", false, e->name, (int64_t)(origin + end),
				                 "%zu bytes after the pickle's STOP", len - end);
				if (!rc && rep->verdict == MC_VERDICT_SAFE)
					rep->verdict = MC_VERDICT_ERROR;
			}
			free(copy);
			continue;
		}
		if (mc_zip_check_crc(z, e))
			rc = add_crc_finding(rep, e);
	}
out:
	free(prefix);
	mc_arena_free(a);
	mc_zip_free(z);
	return rc;
}

static int legacy_scan(const mc_map *map, mc_scan_report *rep)
{
	mc_arena *a = NULL;
	size_t pos, end = 0;
	int rc;

	if (is_tar(map->data, map->len))
		return refuse_tar(map->path);
	if (!(pos = magic_len(map->data, map->len)))
		return mc_fail(MC_ECORRUPT, map->path, NULL, 0,
		               "not a legacy torch file: the first pickle is not torch's magic number");
	if ((rc = scan_arena(&a, map)))
		return rc;
	/* protocol version, sys_info, the object, the storage keys */
	for (int k = 0; k < 4 && !rc; k++) {
		rc = scan_pickle(rep, a, map->path, NULL, map->data + pos, map->len - pos, pos, &end);
		pos += end;
	}
	mc_arena_free(a);
	return rc;
}

const mc_format mc_format_pytorch = {
	.name = "pytorch",
	.sniff = pt_sniff,
	.open = zip_open,
	.read = pt_read,
	.close = pt_close,
	.scan = zip_scan,
};

const mc_format mc_format_pytorch_legacy = {
	.name = "pytorch-legacy",
	.sniff = legacy_sniff,
	.open = legacy_open,
	.read = pt_read,
	.close = pt_close,
	.scan = legacy_scan,
};
