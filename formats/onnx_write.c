/* SPDX-License-Identifier: MIT */
/*
 * Writing ONNX models.  The ModelProto struct is encoded by protoenc.c in
 * field-number order (what onnx.save writes), with two hooks: one on
 * GraphProto, to know which tensors are initializers (only those may go to
 * the external data file, as torch.onnx.export and onnx's
 * convert_model_to_external_data do), and one on TensorProto, which writes
 * a tensor's data from where its source says it is instead of from the
 * struct:
 *   - a view (the graph builder's weights, or data that was external) is
 *     streamed into raw_data (9), or into the external file with
 *     data_location (14) EXTERNAL and external_data (13) {location,
 *     offset, length};
 *   - a tensor that was read is copied field by field from its bytes in
 *     the file, so float_data stays float_data and nothing is converted.
 * Offsets in the external file are assigned in the measuring pass and
 * again, identically, in the writing pass; tensors of 1 MiB or more start
 * on a 4096-byte boundary so that a runtime can map them in place.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "checked.h"
#include "cursor.h"
#include "error.h"
#include "format.h"
#include "onnx.h"
#include "protoenc.h"
#include "protowire.h"
#include "banned.h"

enum {
	TP_FLOAT_DATA = 4,
	TP_INT32_DATA = 5,
	TP_INT64_DATA = 7,
	TP_RAW_DATA = 9,
	TP_DOUBLE_DATA = 10,
	TP_UINT64_DATA = 11,
	TP_EXTERNAL_DATA = 13,
	TP_DATA_LOCATION = 14,
	GP_INITIALIZER = 5
};

#define EXTERNAL_MIN_DEFAULT 1024u
#define ALIGN_MIN (UINT64_C(1) << 20)
#define ALIGN 4096u
#define COPY_CHUNK ((size_t)1 << 22)
/* protobuf refuses messages of 2 GiB or more */
#define MODEL_MAX ((UINT64_C(1) << 31) - 1)

typedef struct writer {
	const char *path;
	mc_onnx_data_fn data;
	void *data_ctx;
	const char *ext_name;   /* NULL: embed everything */
	uint64_t ext_min;
	FILE *ext_fp;           /* NULL while measuring */
	const char *ext_path;
	uint64_t ext_pos;       /* end of the external file so far */
	bool in_initializer;
} writer;

static bool is_data_field(uint32_t id)
{
	return id == TP_FLOAT_DATA || id == TP_INT32_DATA || id == TP_INT64_DATA ||
	       id == TP_RAW_DATA || id == TP_DOUBLE_DATA || id == TP_UINT64_DATA;
}

/* ---- sinks ------------------------------------------------------------------ */

typedef struct file_sink {
	FILE *fp;
	const char *path;
	uint64_t n;
} file_sink;

static int sink_write(void *ctx, const uint8_t *data, size_t len)
{
	file_sink *s = ctx;
	if (len && fwrite(data, 1, len, s->fp) != len)
		return mc_fail(MC_EIO, s->path, NULL, -1, "cannot write: %s", strerror(errno));
	s->n += len;
	return 0;
}

static int view_nbytes(const mc_view *v, uint64_t *out)
{
	return mc_tensor_nbytes(out, v->dtype, &v->shape);
}

/* ---- tensor data -------------------------------------------------------------- */

/* The fields numbered `id` of the tensor's original bytes, verbatim. */
static int copy_original(mc_pb_enc *e, const mc_onnx_data *d, uint32_t id)
{
	mc_cur c;
	int rc;

	mc_cur_init(&c, d->orig, d->orig_len, 0, NULL, NULL);
	while (mc_cur_left(&c)) {
		size_t start = c.pos;
		uint32_t field;
		int wire;

		if ((rc = mc_pb_tag(&c, "TensorProto", &field, &wire)) != 0 ||
		    (rc = mc_pb_skip(&c, wire)) != 0)
			return rc;
		if (field != id)
			continue;
		/* in chunks, letting go of each once written, as views stream */
		for (size_t at = start; at < c.pos;) {
			size_t n = c.pos - at < COPY_CHUNK ? c.pos - at : COPY_CHUNK;
			if ((rc = mc_pb_enc_raw(e, d->orig + at, n)) != 0)
				return rc;
			mc_map_done_with(d->map, d->orig + at, n);
			at += n;
		}
	}
	/* reading the tags mapped the data around them too */
	mc_map_done_with(d->map, d->orig, d->orig_len);
	return 0;
}

/* Feed the tensor's bytes to sink, from its stream or its view. */
static int data_stream(const mc_onnx_data *d, mc_sink_fn sink, void *ctx)
{
	if (d->stream)
		return d->stream(d->stream_ctx, sink, ctx);
	return mc_view_stream(&d->view, sink, ctx);
}

static int stream_data(mc_pb_enc *e, const mc_onnx_data *d, uint64_t nbytes)
{
	file_sink s = {mc_pb_enc_stream(e), e->path, 0};
	int rc;

	if (!s.fp)
		return mc_pb_enc_add(e, nbytes);
	if ((rc = data_stream(d, sink_write, &s)) != 0)
		return rc;
	if (s.n != nbytes)
		return mc_fail(MC_EINVAL, e->path, NULL, -1, "tensor streamed %llu bytes, not %llu",
		               (unsigned long long)s.n, (unsigned long long)nbytes);
	return mc_pb_enc_add(e, nbytes);
}

static int entry(mc_pb_enc *e, const char *key, const char *value)
{
	Onnx__StringStringEntryProto kv = ONNX__STRING_STRING_ENTRY_PROTO__INIT;
	kv.key = (char *)key;
	kv.value = (char *)value;
	return mc_pb_enc_message(e, TP_EXTERNAL_DATA, &kv.base);
}

/* Put the view's bytes at the end of the external file; the fields that
 * point at them go into the tensor. */
static int external_fields(mc_pb_enc *e, writer *w, const mc_onnx_data *d, uint64_t nbytes,
                           uint64_t *offset)
{
	uint64_t off = w->ext_pos;
	int rc;

	if (nbytes >= ALIGN_MIN && off % ALIGN)
		off += ALIGN - off % ALIGN;
	if (w->ext_fp) {
		static const uint8_t zeros[ALIGN];
		file_sink s = {w->ext_fp, w->ext_path, 0};
		if ((rc = sink_write(&s, zeros, (size_t)(off - w->ext_pos))) != 0 ||
		    (rc = data_stream(d, sink_write, &s)) != 0)
			return rc;
		if (s.n != off - w->ext_pos + nbytes)
			return mc_fail(MC_EINVAL, w->ext_path, NULL, -1, "tensor streamed %llu bytes",
			               (unsigned long long)s.n);
	}
	if (!mc_add_u64(&w->ext_pos, off, nbytes))
		return mc_fail(MC_ELIMIT, w->ext_path, NULL, -1, "external data too large");
	*offset = off;
	return 0;
}

static int tensor_hook(mc_pb_enc *e, const ProtobufCMessage *msg, void *ctx)
{
	writer *w = ctx;
	const Onnx__TensorProto *t = (const Onnx__TensorProto *)msg;
	const ProtobufCMessageDescriptor *desc = msg->descriptor;
	bool initializer = w->in_initializer; /* set by graph_hook */
	mc_onnx_data d;
	uint64_t nbytes = 0, offset = 0;
	bool external = false;
	int rc = 0;

	memset(&d, 0, sizeof(d));
	if ((rc = w->data(w->data_ctx, t, initializer && w->ext_name, &d)) != 0)
		return rc;
	if (d.kind == MC_ONNX_DATA_VIEW) {
		if ((rc = view_nbytes(&d.view, &nbytes)) != 0)
			goto out;
		external = initializer && w->ext_name && nbytes >= w->ext_min;
		if (external && (rc = external_fields(e, w, &d, nbytes, &offset)) != 0)
			goto out;
	}
	for (unsigned i = 0; i < desc->n_fields && !rc; i++) {
		const ProtobufCFieldDescriptor *f = &desc->fields[i];
		bool data_field = is_data_field(f->id);
		bool ext_field = f->id == TP_EXTERNAL_DATA || f->id == TP_DATA_LOCATION;

		if (d.kind == MC_ONNX_DATA_STRUCT || (!data_field && !ext_field)) {
			rc = mc_pb_enc_field(e, msg, f);
		} else if (d.kind == MC_ONNX_DATA_ORIGINAL) {
			if (data_field)
				rc = copy_original(e, &d, f->id);
		} else if (f->id == TP_RAW_DATA && !external) {
			if (!(rc = mc_pb_enc_tag(e, TP_RAW_DATA, MC_PB_LEN)) &&
			    !(rc = mc_pb_enc_varint(e, nbytes)))
				rc = stream_data(e, &d, nbytes);
		} else if (f->id == TP_EXTERNAL_DATA && external) {
			char num[24];
			if (!(rc = entry(e, "location", w->ext_name))) {
				snprintf(num, sizeof(num), "%llu", (unsigned long long)offset);
				if (!(rc = entry(e, "offset", num))) {
					snprintf(num, sizeof(num), "%llu", (unsigned long long)nbytes);
					rc = entry(e, "length", num);
				}
			}
		} else if (f->id == TP_DATA_LOCATION && external) {
			if (!(rc = mc_pb_enc_tag(e, TP_DATA_LOCATION, MC_PB_VARINT)))
				rc = mc_pb_enc_varint(e, ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL);
		}
	}
out:
	mc_view_release(&d.view);
	if (rc)
		mc_err_context(w->path, t->name && t->name[0] ? t->name : NULL);
	return rc;
}

static int graph_hook(mc_pb_enc *e, const ProtobufCMessage *msg, void *ctx)
{
	writer *w = ctx;
	const ProtobufCMessageDescriptor *desc = msg->descriptor;
	int rc;

	for (unsigned i = 0; i < desc->n_fields; i++) {
		w->in_initializer = desc->fields[i].id == GP_INITIALIZER;
		rc = mc_pb_enc_field(e, msg, &desc->fields[i]);
		w->in_initializer = false;
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- files -------------------------------------------------------------------- */

static int check_ext_name(const char *path, const char *name)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (!*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, "..") ||
	    !strcmp(name, base)) {
		mc_fail(MC_EINVAL, path, NULL, -1, "external data file name '%s' is not usable", name);
		return mc_err_hint("name a plain file beside the model, e.g. model.onnx.data");
	}
	return 0;
}

/* The external file's path: the model's directory joined with its name. */
static char *sibling_path(const char *path, const char *name)
{
	const char *slash = strrchr(path, '/');
	size_t dlen = slash ? (size_t)(slash - path) + 1 : 0;
	size_t n = strlen(name);
	char *out = malloc(dlen + n + 1);

	if (!out)
		return NULL;
	memcpy(out, path, dlen);
	memcpy(out + dlen, name, n + 1);
	return out;
}

/* Set up the encoder for w and measure the model: the first pass, which
 * also refuses a model protobuf could not hold before anything is written. */
static int measure(mc_pb_enc *e, writer *w, const Onnx__ModelProto *model)
{
	uint64_t size;
	int rc;

	mc_pb_enc_init(e, w->path, w);
	if ((rc = mc_pb_enc_hook(e, &onnx__tensor_proto__descriptor, tensor_hook)) != 0 ||
	    (rc = mc_pb_enc_hook(e, &onnx__graph_proto__descriptor, graph_hook)) != 0 ||
	    (rc = mc_pb_enc_measure(e, &model->base, &size)) != 0)
		return rc;
	if (size > MODEL_MAX) {
		mc_fail(MC_ELIMIT, w->path, NULL, -1,
		        "the model would be %llu bytes; protobuf limits a message to 2 GiB",
		        (unsigned long long)size);
		return mc_err_hint("write the weights as external data (modelctl export --external-data)");
	}
	return 0;
}

int mc_onnx_write(const char *path, const Onnx__ModelProto *model, mc_onnx_data_fn data, void *ctx,
                  const mc_onnx_write_opts *opts)
{
	writer w = {0};
	mc_pb_enc e;
	mc_outfile out = {0}, ext = {0};
	char *ext_path = NULL;
	int rc;

	w.path = path;
	w.data = data;
	w.data_ctx = ctx;
	w.ext_name = opts ? opts->external_data : NULL;
	w.ext_min = opts && opts->external_min ? opts->external_min : EXTERNAL_MIN_DEFAULT;
	if (w.ext_name) {
		if ((rc = check_ext_name(path, w.ext_name)) != 0)
			return rc;
		if (!(ext_path = sibling_path(path, w.ext_name)))
			return mc_nomem();
		w.ext_path = ext_path;
	}
	if ((rc = measure(&e, &w, model)) != 0)
		goto done;
	if ((rc = mc_outfile_open(&out, path)) != 0)
		goto done;
	if (ext_path && (rc = mc_outfile_open(&ext, ext_path)) != 0)
		goto done;
	w.ext_fp = ext.fp;
	w.ext_pos = 0;
	if ((rc = mc_pb_enc_write(&e, &model->base, out.fp)) != 0)
		goto done;
	if (ext_path && (rc = mc_outfile_commit(&ext)) != 0)
		goto done;
	rc = mc_outfile_commit(&out);
done:
	if (ext.fp)
		mc_outfile_abort(&ext);
	if (out.fp)
		mc_outfile_abort(&out);
	mc_pb_enc_free(&e);
	free(ext_path);
	return rc;
}

int mc_onnx_write_stream(FILE *fp, const char *name, const Onnx__ModelProto *model,
                         mc_onnx_data_fn data, void *ctx)
{
	writer w = {0};
	mc_pb_enc e;
	int rc;

	w.path = name;
	w.data = data;
	w.data_ctx = ctx;
	if (!(rc = measure(&e, &w, model)))
		rc = mc_pb_enc_write(&e, &model->base, fp);
	mc_pb_enc_free(&e);
	return rc;
}

/* ---- models that were read ------------------------------------------------------ */

int mc_onnx_model_data(void *ctx, const Onnx__TensorProto *t, bool want_view, mc_onnx_data *out)
{
	const mc_onnx_model *m = ctx;
	bool was_external = t->has_data_location &&
	                    t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
	int rc;

	if ((rc = mc_onnx_tensor_bytes(m, t, &out->orig, &out->orig_len)) != 0)
		return rc;
	if (was_external || want_view) {
		rc = mc_onnx_tensor_read(m, t, &out->view);
		if (!rc) {
			out->kind = MC_ONNX_DATA_VIEW;
			return 0;
		}
		/* element types modelctl has no dtype for stay as stored */
		if (was_external || rc != MC_EUNSUPPORTED)
			return rc;
	}
	out->kind = out->orig_len ? MC_ONNX_DATA_ORIGINAL : MC_ONNX_DATA_STRUCT;
	out->map = mc_onnx_map(m);
	return 0;
}

int mc_onnx_write_model(const char *path, const mc_onnx_model *m, const mc_onnx_write_opts *opts)
{
	return mc_onnx_write(path, mc_onnx_proto(m), mc_onnx_model_data, (void *)m, opts);
}
