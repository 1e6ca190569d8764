/* SPDX-License-Identifier: MIT */
/*
 * The npz format: a zip archive (see zip.c) of npy members (see npy.c), as
 * numpy's np.savez (stored) and np.savez_compressed (deflated) write it.
 * Specified by numpy's documentation of numpy.savez and numpy/lib/npyio.py.
 *
 *   "<name>.npy" members, one per array: each a complete npy file
 *   the usual zip central directory and end record
 *
 * Every member must be called "<name>.npy"; the tensor is "<name>".  The
 * format is recognised by a first member named "*.npy", or by an archive
 * that is nothing but an end record (np.savez with no arrays).
 * Listing parses only each member's npy header (in place for stored
 * members, by inflating just the header for deflated ones) and checks that
 * the member holds exactly the header and the array.  Reading a stored
 * member checks its CRC-32 and hands out a view into the mapping; a
 * deflated member is inflated, CRC-checked, into memory the view owns.
 *
 * The writer produces what np.savez produces, byte for byte: stored
 * members with numpy's npy v1.0 headers (little-endian descr, C order,
 * padded to 64 bytes), laid out by Python's zipfile with forced zip64
 * local headers and 1980-01-01 timestamps.
 */
#include <stdlib.h>
#include <string.h>

#include "checked.h"
#include "cursor.h"
#include "error.h"
#include "format.h"
#include "npy.h"
#include "zip.h"
#include "banned.h"

typedef struct npz_member {
	const mc_zip_entry *entry;
	mc_npy_header h;
} npz_member;

typedef struct npz_impl {
	mc_zip *zip;
	npz_member *m;
} npz_impl;

static bool ends_with_npy(const char *s, size_t n)
{
	return n >= 4 && memcmp(s + n - 4, ".npy", 4) == 0;
}

static int npz_sniff(const uint8_t *head, size_t len)
{
	size_t nlen;

	/* np.savez() with no arrays writes only an end record */
	if (len >= 22 && memcmp(head, "PK\5\6", 4) == 0)
		return len == 22u + mc_load_u16le(head + 20);
	if (len < 30 || memcmp(head, "PK\3\4", 4) != 0)
		return 0;
	nlen = mc_load_u16le(head + 26);
	return nlen <= len - 30 && ends_with_npy((const char *)head + 30, nlen);
}

/* Parse one member's npy header and check the member's size against it. */
static int open_member(mc_reader *r, npz_impl *impl, size_t i, uint8_t *prefix)
{
	const mc_zip_entry *e = mc_zip_entry_at(impl->zip, i);
	npz_member *m = &impl->m[i];
	size_t nlen = strlen(e->name);
	mc_tensor_info *t = &r->tensors[i];
	uint64_t need;
	mc_cur c;
	int rc;

	m->entry = e;
	if (nlen <= 4 || !ends_with_npy(e->name, nlen)) {
		mc_fail(MC_EUNSUPPORTED, r->map->path, e->name, (int64_t)e->header_offset,
		        "entry '%s' is not an npy member", e->name);
		return mc_err_hint("an npz holds only '<name>.npy' members, as np.savez writes them");
	}
	if (e->method == MC_ZIP_STORED) {
		mc_cur_init(&c, e->data, (size_t)e->size, e->data_offset, r->map->path, e->name);
	} else {
		/* offsets in messages count from the start of the inflated member */
		size_t got;
		if ((rc = mc_zip_read_prefix(&got, prefix, MC_NPY_PREFIX_MAX, impl->zip, e)))
			return rc;
		mc_cur_init(&c, prefix, got, 0, r->map->path, e->name);
	}
	if ((rc = mc_npy_parse_header(&m->h, &c)))
		return rc;
	if (!mc_add_u64(&need, m->h.data_offset, m->h.nbytes) || need > e->size)
		return mc_fail(MC_ECORRUPT, r->map->path, e->name, (int64_t)e->data_offset,
		               "truncated: the array needs %llu bytes after its %llu-byte header but "
		               "the member holds %llu", (unsigned long long)m->h.nbytes,
		               (unsigned long long)m->h.data_offset, (unsigned long long)e->size);
	if (need < e->size)
		return mc_fail(MC_ECORRUPT, r->map->path, e->name, (int64_t)e->data_offset,
		               "%llu extra bytes after the array's %llu bytes of data",
		               (unsigned long long)(e->size - need), (unsigned long long)m->h.nbytes);
	if (!(t->name = mc_arena_strndup(r->arena, e->name, nlen - 4)))
		return mc_error_last()->code;
	t->dtype = m->h.dtype;
	t->shape = m->h.shape;
	t->nbytes = m->h.nbytes;
	return 0;
}

static int npz_open(mc_reader *r)
{
	npz_impl *impl = calloc(1, sizeof(*impl));
	uint8_t *prefix = NULL;
	size_t n;
	int rc;

	if (!impl)
		return mc_nomem();
	r->impl = impl;
	if ((rc = mc_zip_open(&impl->zip, r->map->data, r->map->len, r->map->path)))
		return rc;
	n = mc_zip_count(impl->zip);
	impl->m = calloc(n ? n : 1, sizeof(*impl->m));
	prefix = malloc(MC_NPY_PREFIX_MAX);
	if (!impl->m || !prefix) {
		free(prefix);
		return mc_nomem();
	}
	if ((rc = mc_reader_alloc_tensors(r, n)))
		goto out;
	for (size_t i = 0; i < n; i++) {
		if ((rc = open_member(r, impl, i, prefix)))
			goto out;
		r->ntensors = i + 1;
	}
out:
	free(prefix);
	return rc;
}

static int npz_read(mc_reader *r, size_t i, mc_view *out)
{
	npz_impl *impl = r->impl;
	const npz_member *m = &impl->m[i];
	uint8_t *buf;
	size_t len;
	int rc;

	if (m->entry->method == MC_ZIP_STORED) {
		if ((rc = mc_zip_check_crc(impl->zip, m->entry)))
			return rc;
		mc_npy_view(out, &m->h, m->entry->data + m->h.data_offset);
		out->map = r->map;
		return 0;
	}
	if ((rc = mc_zip_read(&buf, &len, impl->zip, m->entry)))
		return rc;
	if (len != m->h.data_offset + m->h.nbytes) {
		free(buf);
		return mc_fail(MC_ECORRUPT, r->map->path, m->entry->name, -1,
		               "member inflated to %zu bytes, not the %llu it declared", len,
		               (unsigned long long)(m->h.data_offset + m->h.nbytes));
	}
	mc_npy_view(out, &m->h, buf + m->h.data_offset);
	out->owned = buf;
	return 0;
}

static void npz_close(mc_reader *r)
{
	npz_impl *impl = r->impl;

	mc_zip_free(impl->zip);
	free(impl->m);
	free(impl);
	r->impl = NULL;
}

/* ---- writing ------------------------------------------------------------- */

typedef struct member_src {
	const uint8_t *header;
	size_t header_len;
	const mc_view *view;
} member_src;

static int member_source(void *ctx, mc_sink_fn sink, void *sink_ctx)
{
	const member_src *s = ctx;
	int rc = sink(sink_ctx, s->header, s->header_len);
	return rc ? rc : mc_view_stream(s->view, sink, sink_ctx);
}

/* "<name>.npy" in a malloc'd string, or NULL with the error recorded. */
static char *member_name(const char *path, const char *name)
{
	size_t n = strlen(name);
	char *s;

	if (n == 0) {
		mc_fail(MC_EINVAL, path, NULL, -1, "tensor with an empty name");
		return NULL;
	}
	s = malloc(n + 5);
	if (!s) {
		mc_nomem();
		return NULL;
	}
	memcpy(s, name, n);
	memcpy(s + n, ".npy", 5);
	if (mc_zip_check_name(path, s, n + 4) != 0) {
		mc_err_context(NULL, name);
		free(s);
		return NULL;
	}
	return s;
}

static int npz_write(FILE *fp, const char *path, const mc_write_tensor *tensors, size_t count,
                     const mc_value *metadata)
{
	mc_zip_writer *w = NULL;
	int rc = 0;

	if (metadata && mc_value_len(metadata) > 0) {
		mc_fail(MC_EUNSUPPORTED, path, NULL, -1,
		        "npz has no place for metadata (%zu keys given)", mc_value_len(metadata));
		return mc_err_hint("write safetensors to keep metadata, or leave it out");
	}
	/* refuse what cannot be written before writing anything */
	for (size_t i = 0; i < count; i++) {
		const mc_view *v = tensors[i].view;
		char *name;
		if (!mc_npy_descr(v->dtype)) {
			mc_fail(MC_EUNSUPPORTED, path, tensors[i].name, -1,
			        "npy cannot hold dtype %s", mc_dtype_name(v->dtype));
			return mc_err_hint("write safetensors, which holds bfloat16 and float8 tensors");
		}
		if (!(name = member_name(path, tensors[i].name)))
			return mc_error_last()->code;
		free(name);
	}
	if ((rc = mc_zip_writer_open(&w, fp, path)))
		return rc;
	for (size_t i = 0; i < count; i++) {
		const mc_view *v = tensors[i].view;
		member_src s = {NULL, 0, v};
		uint8_t *header = NULL;
		uint64_t nbytes, total;
		char *name = NULL;

		if (mc_tensor_nbytes(&nbytes, v->dtype, &v->shape) != 0) {
			rc = mc_fail(MC_EINVAL, path, tensors[i].name, -1, "tensor has no valid byte size");
			goto out;
		}
		if ((rc = mc_npy_format_header(&header, &s.header_len, v->dtype, &v->shape))) {
			mc_err_context(path, tensors[i].name);
			goto out;
		}
		s.header = header;
		if (!mc_add_u64(&total, s.header_len, nbytes) ||
		    !(name = member_name(path, tensors[i].name))) {
			free(header);
			rc = name ? mc_fail(MC_ELIMIT, path, tensors[i].name, -1, "tensor too large")
			          : mc_error_last()->code;
			goto out;
		}
		rc = mc_zip_writer_add(w, name, MC_ZIP_STORED, total, member_source, &s);
		free(header);
		free(name);
		if (rc) {
			mc_err_context(path, tensors[i].name);
			goto out;
		}
	}
	rc = mc_zip_writer_finish(w);
out:
	mc_zip_writer_free(w);
	return rc;
}

/* Scan checks what open does not: the CRC-32 of every member, which means
 * reading (and inflating) all of the data, once, in constant memory. */
static int npz_scan(const mc_map *map, mc_scan_report *rep)
{
	mc_zip *zip = NULL;
	int rc = mc_zip_open(&zip, map->data, map->len, map->path);

	for (size_t i = 0; !rc && i < mc_zip_count(zip); i++) {
		const mc_zip_entry *e = mc_zip_entry_at(zip, i);
		if (e->method == MC_ZIP_STORED &&
		    (rc = mc_npy_scan_object(e->data, (size_t)e->size, e->data_offset, map->path,
		                             e->name, rep)) != 0)
			break;
		if (mc_zip_check_crc(zip, e) != 0) {
			const mc_error *err = mc_error_last();
			if (err->code == MC_ENOMEM) {
				rc = MC_ENOMEM;
				break;
			}
			rc = mc_scan_add(rep, "integrity", false, e->name, err->offset, "%s", err->msg);
		}
	}
	mc_zip_free(zip);
	return rc;
}

const mc_format mc_format_npz = {
	.name = "npz",
	.sniff = npz_sniff,
	.open = npz_open,
	.read = npz_read,
	.close = npz_close,
	.write = npz_write,
	.scan = npz_scan,
};
