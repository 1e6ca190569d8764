/* SPDX-License-Identifier: MIT */
/*
 * The interface every file format implements, and the reader state they
 * share.  A format is one module in formats/ that fills in an mc_format and
 * is listed once in lib/registry.c; mc_formats_check() verifies the table at
 * start-up so a missing callback is found before any file is read.
 */
#ifndef MC_FORMAT_H
#define MC_FORMAT_H

#include <stdio.h>

#include "map.h"
#include "modelctl.h"
#include "error.h"
#include "value.h"

struct mc_reader {
	const struct mc_format *fmt;
	mc_map *map;              /* owned: the whole file, read-only */
	mc_tensor_info *tensors;  /* owned array, filled by open */
	size_t ntensors;
	mc_arena *arena;          /* owned: names, values and metadata live here */
	mc_value *values;         /* non-tensor values, or NULL */
	mc_value *metadata;       /* dict of the format's metadata, or NULL */
	void *impl;               /* the format's own state, freed by close */
};

typedef struct mc_format {
	const char *name;
	/* 1 when the first bytes of a file (all of it when shorter than
	 * MC_SNIFF_BYTES) are this format, 0 otherwise.  Must not fail. */
	int (*sniff)(const uint8_t *head, size_t len);
	/* Parse r->map and fill r->tensors, r->ntensors, r->values and
	 * r->metadata (allocated from r->arena), and r->impl. */
	int (*open)(mc_reader *r);
	/* Describe tensor i's stored data in `out`. */
	int (*read)(mc_reader *r, size_t i, mc_view *out);
	/* Free r->impl (and only that). */
	void (*close)(mc_reader *r);
	/* Optional: scan the file for unsafe content beyond what open checks
	 * (every pickle's globals, container integrity), adding findings to
	 * `rep`.  Without it, scan opens the file and reads every tensor. */
	int (*scan)(const mc_map *map, mc_scan_report *rep);
	/* Optional: write tensors and str metadata to an open stream. */
	int (*write)(FILE *out, const char *path, const mc_write_tensor *tensors, size_t count,
	             const mc_value *metadata);
} mc_format;

#define MC_SNIFF_BYTES 4096

extern const mc_format mc_format_safetensors;
extern const mc_format mc_format_npy;
extern const mc_format mc_format_npz;
extern const mc_format mc_format_pytorch;
extern const mc_format mc_format_pytorch_legacy;
extern const mc_format mc_format_onnx;
extern const mc_format mc_format_pickle;

/* The format called `name`, or NULL. */
const mc_format *mc_format_find(const char *name);
/* The format whose sniff accepts these bytes, or NULL. */
const mc_format *mc_format_sniff(const uint8_t *head, size_t len);

/* Open a buffer held in memory (borrowed; it must outlive the reader) as
 * `format`, or sniff it when format is NULL.  `name` stands for the path in
 * messages.  Fuzz targets and unit tests use this. */
int mc_reader_open_memory(mc_reader **out, const void *data, size_t len, const char *name,
                          const char *format);

/* Add a finding to a scan report (detail formatted printf-style); an
 * unsafe finding makes the verdict unsafe.  Returns 0 or MC_ENOMEM. */
int mc_scan_add(mc_scan_report *rep, const char *kind, bool unsafe, const char *entry,
                int64_t offset, const char *fmt, ...) MC_PRINTF(6, 7);

/* Helpers for format implementations. */
/* Allocate the tensor table for n tensors (zeroed). */
int mc_reader_alloc_tensors(mc_reader *r, size_t n);



/* Bytes from v->data to the end of the view's last element, for checking
 * a strided view against the storage it points into.  MC_EINVAL for a
 * negative stride, MC_ELIMIT on overflow. */
int mc_view_span(uint64_t *out, const mc_view *v);

/* Open a stream for writing `path` through a temporary file in the same
 * directory; mc_outfile_commit renames it into place, mc_outfile_abort
 * removes it.  Nothing is ever left half-written at `path`. */
typedef struct mc_outfile {
	FILE *fp;
	char *tmp_path;
	char *path;
} mc_outfile;
int mc_outfile_open(mc_outfile *o, const char *path);
int mc_outfile_commit(mc_outfile *o);
void mc_outfile_abort(mc_outfile *o);
#endif
