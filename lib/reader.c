/* SPDX-License-Identifier: MIT */
/*
 * The format registry and the generic reader: detect a file's format from
 * its first bytes, hand the mapping to that format's parser, and answer
 * the public questions (tensors, values, metadata) from what it filled in.
 */
#include <stdlib.h>
#include <string.h>

#include "checked.h"
#include "error.h"
#include "format.h"
#include "banned.h"

/* Sniffing runs in this order: more specific formats first. */
static const mc_format *const registry[] = {
	&mc_format_safetensors,
	&mc_format_npy,
	&mc_format_npz,
	&mc_format_pytorch,        /* a zip whose entries sit under one prefix with data.pkl */
	&mc_format_pytorch_legacy, /* the magic-number pickle, then the object pickle */
	&mc_format_onnx,           /* a protobuf ModelProto: ir_version (tag 0x08) first */
	&mc_format_pickle,         /* any other pickle (protocol 2 and up) */
};
#define NFORMATS (sizeof(registry) / sizeof(registry[0]))

int mc_formats_check(void)
{
	for (size_t i = 0; i < NFORMATS; i++) {
		const mc_format *f = registry[i];
		if (!f->name || !f->sniff || !f->open || !f->read || !f->close)
			return mc_fail(MC_EINVAL, NULL, NULL, -1,
			               "format registry entry %zu ('%s') lacks a required callback", i,
			               f->name ? f->name : "?");
		for (size_t j = 0; j < i; j++)
			if (strcmp(registry[j]->name, f->name) == 0)
				return mc_fail(MC_EINVAL, NULL, NULL, -1,
				               "format '%s' is registered twice", f->name);
	}
	return 0;
}

const char *const *mc_format_names(void)
{
	static const char *names[NFORMATS + 1];
	for (size_t i = 0; i < NFORMATS; i++)
		names[i] = registry[i]->name;
	names[NFORMATS] = NULL;
	return names;
}

const mc_format *mc_format_find(const char *name)
{
	for (size_t i = 0; i < NFORMATS; i++)
		if (name && strcmp(registry[i]->name, name) == 0)
			return registry[i];
	return NULL;
}

bool mc_format_can_write(const char *name)
{
	const mc_format *f = mc_format_find(name);
	return f && f->write;
}

const mc_format *mc_format_sniff(const uint8_t *head, size_t len)
{
	for (size_t i = 0; i < NFORMATS; i++)
		if (registry[i]->sniff(head, len))
			return registry[i];
	return NULL;
}

int mc_reader_alloc_tensors(mc_reader *r, size_t n)
{
	r->tensors = calloc(n ? n : 1, sizeof(*r->tensors));
	if (!r->tensors)
		return mc_nomem();
	r->ntensors = 0;
	return 0;
}

static int unknown_format(const mc_map *m)
{
	char hex[3 * 8 + 1] = "";
	size_t n = m->len < 8 ? m->len : 8;
	size_t used = 0;
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(hex + used, sizeof(hex) - used, "%s%02x", i ? " " : "",
		                         m->data[i]);
	if (m->len == 0)
		mc_fail(MC_EUNSUPPORTED, m->path, NULL, -1, "empty file");
	else
		mc_fail(MC_EUNSUPPORTED, m->path, NULL, -1,
		        "unrecognised file format (first bytes: %s)", hex);
	return mc_err_hint("modelctl reads safetensors, npy, npz, PyTorch (zip and legacy), "
	                   "pickle and ONNX files; the format is detected from the content, "
	                   "not the extension");
}

/* Takes ownership of `map` whatever happens. */
static int open_map(mc_reader **out, mc_map *map, const char *format)
{
	const char *path = map->path;
	mc_reader *r;
	size_t cap;
	int rc;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r) {
		mc_map_close(map);
		return mc_nomem();
	}
	r->map = map;
	if (format) {
		r->fmt = mc_format_find(format);
		if (!r->fmt) {
			rc = mc_fail(MC_EINVAL, path, NULL, -1, "unknown format '%s'", format);
			goto fail;
		}
	} else {
		r->fmt = mc_format_sniff(map->data, map->len < MC_SNIFF_BYTES ? map->len : MC_SNIFF_BYTES);
		if (!r->fmt) {
			rc = unknown_format(map);
			goto fail;
		}
	}
	if (!mc_mul_size(&cap, map->len, MC_VALUE_BYTES_PER_FILE_BYTE) ||
	    !mc_add_size(&cap, cap, MC_VALUE_BYTES_FLOOR))
		cap = SIZE_MAX;
	if ((rc = mc_arena_new(&r->arena, cap)) != 0)
		goto fail;
	if ((rc = r->fmt->open(r)) != 0) {
		mc_err_context(path, NULL);
		goto fail;
	}
	*out = r;
	return 0;
fail:
	mc_reader_close(r);
	return rc;
}

int mc_reader_open_as(mc_reader **out, const char *path, const char *format)
{
	mc_map *map = NULL;
	int rc;

	*out = NULL;
	if ((rc = mc_map_open(&map, path)) != 0)
		return rc;
	return open_map(out, map, format);
}

int mc_reader_open(mc_reader **out, const char *path)
{
	return mc_reader_open_as(out, path, NULL);
}

int mc_reader_open_memory(mc_reader **out, const void *data, size_t len, const char *name,
                          const char *format)
{
	mc_map *map = NULL;
	int rc;

	*out = NULL;
	if ((rc = mc_map_wrap(&map, data, len, name)) != 0)
		return rc;
	return open_map(out, map, format);
}

void mc_reader_close(mc_reader *r)
{
	if (!r)
		return;
	if (r->fmt && r->impl)
		r->fmt->close(r);
	free(r->tensors);
	mc_arena_free(r->arena);
	mc_map_close(r->map);
	free(r);
}

const char *mc_reader_path(const mc_reader *r) { return r->map->path; }
const char *mc_reader_format(const mc_reader *r) { return r->fmt->name; }
size_t mc_reader_count(const mc_reader *r) { return r->ntensors; }
const mc_value *mc_reader_values(const mc_reader *r) { return r->values; }
const mc_value *mc_reader_metadata(const mc_reader *r) { return r->metadata; }

const mc_tensor_info *mc_reader_tensor(const mc_reader *r, size_t i)
{
	return i < r->ntensors ? &r->tensors[i] : NULL;
}

int64_t mc_reader_find(const mc_reader *r, const char *name)
{
	for (size_t i = 0; i < r->ntensors; i++)
		if (strcmp(r->tensors[i].name, name) == 0)
			return (int64_t)i;
	return -1;
}

int mc_reader_read(mc_reader *r, size_t i, mc_view *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if (i >= r->ntensors)
		return mc_fail(MC_EINVAL, r->map->path, NULL, -1, "no tensor %zu", i);
	rc = r->fmt->read(r, i, out);
	if (rc)
		mc_err_context(r->map->path, r->tensors[i].name);
	return rc;
}

int mc_reader_sha256(uint8_t out[32], mc_reader *r, size_t i)
{
	mc_view v;
	int rc = mc_reader_read(r, i, &v);

	if (!rc) {
		rc = mc_view_sha256(out, &v);
		if (rc)
			mc_err_context(r->map->path, r->tensors[i].name);
	}
	mc_view_release(&v);
	return rc;
}

int mc_write(const char *format, const char *path, const mc_write_tensor *tensors,
             size_t count, const mc_value *metadata)
{
	const mc_format *f = mc_format_find(format);
	mc_outfile o;
	int rc;

	if (!f || !f->write)
		return mc_fail(MC_EINVAL, path, NULL, -1, "modelctl cannot write format '%s'",
		               format ? format : "?");
	if ((rc = mc_outfile_open(&o, path)) != 0)
		return rc;
	rc = f->write(o.fp, path, tensors, count, metadata);
	if (rc) {
		mc_err_context(path, NULL);
		mc_outfile_abort(&o);
		return rc;
	}
	return mc_outfile_commit(&o);
}
