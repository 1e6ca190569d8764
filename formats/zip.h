/* SPDX-License-Identifier: MIT */
/*
 * A strict zip reader over bytes already in memory (a mapped file), and a
 * deterministic streaming zip writer.  npz files are zip archives of npy
 * members; PyTorch checkpoints (torch.save) are zip archives of a pickle and
 * raw storages.  The reader accepts what Python's zipfile and PyTorch's
 * writer produce and refuses everything that lets two zip readers disagree
 * about an archive's content: see zip.c for the rules.
 */
#ifndef MC_ZIP_H
#define MC_ZIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "modelctl.h"

/* Compression methods modelctl reads and writes. */
#define MC_ZIP_STORED 0
#define MC_ZIP_DEFLATED 8

/* General-purpose flag bits. */
#define MC_ZIP_FLAG_ENCRYPTED 0x0001u     /* traditional PKWARE encryption */
#define MC_ZIP_FLAG_DESCRIPTOR 0x0008u    /* sizes and CRC follow the data */
#define MC_ZIP_FLAG_PATCH 0x0020u         /* compressed patched data */
#define MC_ZIP_FLAG_STRONG 0x0040u        /* strong encryption */
#define MC_ZIP_FLAG_UTF8 0x0800u          /* name is UTF-8 (else CP437) */
#define MC_ZIP_FLAG_MASKED 0x2000u        /* central directory encryption */

typedef struct mc_zip_entry {
	const char *name;       /* UTF-8, NUL-terminated; validated (see zip.c) */
	uint16_t method;        /* MC_ZIP_STORED or MC_ZIP_DEFLATED */
	uint16_t flags;         /* general-purpose bit flags */
	uint32_t crc32;         /* from the central directory */
	uint64_t comp_size;     /* bytes of (compressed) data in the file */
	uint64_t size;          /* uncompressed size */
	uint64_t header_offset; /* file offset of the local header */
	uint64_t data_offset;   /* file offset of the (compressed) data */
	const uint8_t *data;    /* the comp_size bytes at data_offset, borrowed */
} mc_zip_entry;

typedef struct mc_zip mc_zip;

/* Parse the archive in data[0..len) (borrowed: it must outlive the mc_zip).
 * `path` names the file in messages (copied).  Checks the whole structure,
 * every entry's name, local header and data range; does not inflate or
 * check CRCs (mc_zip_read and mc_zip_check_crc do).  The result is freed
 * with mc_zip_free.  MC_ECORRUPT, MC_EUNSAFE, MC_EUNSUPPORTED, MC_ELIMIT or
 * MC_ENOMEM with the message recorded. */
int mc_zip_open(mc_zip **out, const uint8_t *data, size_t len, const char *path);
void mc_zip_free(mc_zip *z);

/* Entries in central directory order. */
size_t mc_zip_count(const mc_zip *z);
/* Entry i, or NULL when i is out of range; borrowed from z. */
const mc_zip_entry *mc_zip_entry_at(const mc_zip *z, size_t i);
/* Index of the entry called `name`, or -1 (nothing recorded). */
int64_t mc_zip_index(const mc_zip *z, const char *name);
/* The entry called `name` in *out, or MC_ECORRUPT "no entry" recorded. */
int mc_zip_find(const mc_zip_entry **out, const mc_zip *z, const char *name);
/* Whether the archive used zip64 end records. */
bool mc_zip_is_zip64(const mc_zip *z);

/* The entry's uncompressed bytes in a malloc'd buffer owned by the caller
 * (*out is non-NULL even for an empty entry).  Inflates deflated entries,
 * checks that the output is exactly the declared size and that its CRC-32
 * matches.  A declared size that deflate could not produce from the
 * compressed bytes is refused before anything is allocated. */
int mc_zip_read(uint8_t **out, size_t *out_len, const mc_zip *z, const mc_zip_entry *e);
/* The first min(cap, e->size) uncompressed bytes of the entry into buf, and
 * their count in *out_len.  Inflates only as much as needed (listing an npz
 * reads just each member's npy header); no CRC check is possible. */
int mc_zip_read_prefix(size_t *out_len, uint8_t *buf, size_t cap, const mc_zip *z,
                       const mc_zip_entry *e);
/* Check the entry's CRC-32 (and, for deflated entries, its inflated size)
 * without keeping the data: stored entries used in place are checked this
 * way before their bytes are handed out.  Memory use is constant. */
int mc_zip_check_crc(const mc_zip *z, const mc_zip_entry *e);

/* Check a name by the rules the reader applies: non-empty, at most
 * MC_ZIP_MAX_NAME bytes, no NUL, no backslash, not absolute, no ".."
 * component.  MC_EUNSAFE or MC_ECORRUPT with a message quoting the name
 * (path is for the message). */
int mc_zip_check_name(const char *path, const char *name, size_t len);

/* ---- writing ----------------------------------------------------------- */

typedef struct mc_zip_writer mc_zip_writer;

/* Feed the entry's bytes, in any number of chunks, to sink(sink_ctx, ...),
 * returning 0 or the first non-zero result of sink. */
typedef int (*mc_zip_source_fn)(void *ctx, mc_sink_fn sink, void *sink_ctx);

/* Start an archive on `fp`, which must be seekable (local headers are
 * patched once each entry's CRC and sizes are known) and positioned at the
 * start of the file.  `path` names it in messages.  Output is
 * deterministic and laid out as Python's zipfile writes it with
 * force_zip64 (as numpy's savez does): every local header carries a zip64
 * extra field, timestamps are 1980-01-01 00:00:00, permissions 0600. */
int mc_zip_writer_open(mc_zip_writer **out, FILE *fp, const char *path);
/* Append an entry of exactly `size` uncompressed bytes produced by `src`.
 * `method` is MC_ZIP_STORED or MC_ZIP_DEFLATED.  The name is checked with
 * mc_zip_check_name and must not repeat an earlier entry's. */
int mc_zip_writer_add(mc_zip_writer *w, const char *name, int method, uint64_t size,
                      mc_zip_source_fn src, void *ctx);
/* The same with the bytes in a buffer. */
int mc_zip_writer_add_buffer(mc_zip_writer *w, const char *name, int method, const void *data,
                             size_t len);
/* Write the central directory and end records (zip64 ones when needed).
 * The stream is not closed or flushed. */
int mc_zip_writer_finish(mc_zip_writer *w);
/* Free the writer (accepts NULL); does not close the stream. */
void mc_zip_writer_free(mc_zip_writer *w);

#endif
