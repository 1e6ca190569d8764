/* SPDX-License-Identifier: MIT */
/*
 * The npy header: parsed for .npy files and for the members of .npz
 * archives, and written (numpy's exact layout) by the npz writer.
 */
#ifndef MC_NPY_H
#define MC_NPY_H

#include <stdbool.h>
#include <stdint.h>

#include "cursor.h"
#include "modelctl.h"

/* Bytes that always hold a complete npy header when one is acceptable:
 * magic, version, a 4-byte length and MC_NPY_MAX_HEADER bytes. */
#define MC_NPY_PREFIX_MAX (12u + MC_NPY_MAX_HEADER)

typedef struct mc_npy_header {
	uint8_t major, minor; /* format version: 1.0, 2.0 or 3.0 */
	mc_dtype dtype;
	mc_shape shape;
	bool fortran_order;   /* data in column-major order */
	bool swap;            /* elements stored big-endian */
	uint64_t data_offset; /* from the magic to the first byte of data */
	uint64_t nbytes;      /* the array's byte size */
} mc_npy_header;

/* Parse the npy header at the cursor (positioned at the magic) and leave
 * the cursor at the first byte of data.  Only checks the header: the
 * caller checks that exactly out->nbytes of data follow.  MC_ECORRUPT,
 * MC_EUNSAFE (object arrays), MC_EUNSUPPORTED (dtypes and versions modelctl
 * does not read) or MC_ELIMIT, recorded with the cursor's context. */
int mc_npy_parse_header(mc_npy_header *out, mc_cur *c);

/* Describe the array at `data` (borrowed) as a view: C or Fortran order
 * strides, and swap for big-endian data. */
void mc_npy_view(mc_view *out, const mc_npy_header *h, const uint8_t *data);

/* numpy's descr for a dtype ("<f4", "|b1"), or NULL when npy cannot hold it. */
const char *mc_npy_descr(mc_dtype dt);

/* The header numpy's np.save writes for a C-order little-endian array of
 * this dtype and shape (version 1.0, or 2.0 when the header needs more than
 * 65535 bytes), padded so the data starts at a multiple of 64 bytes.
 * *out is malloc'd and owned by the caller.  MC_EUNSUPPORTED for a dtype
 * npy cannot hold. */
int mc_npy_format_header(uint8_t **out, size_t *out_len, mc_dtype dt, const mc_shape *shape);

/* For scan: when the npy data at p (a file, or an npz member: `entry`) is
 * an object array, list the globals its pickle would import as findings.
 * Returns 0 (also for anything that is not an object array), or
 * MC_ENOMEM. */
int mc_npy_scan_object(const uint8_t *p, size_t len, uint64_t origin, const char *path,
                       const char *entry, mc_scan_report *rep);

#endif
