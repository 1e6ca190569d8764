/* SPDX-License-Identifier: MIT */
/*
 * What the reader fuzz targets share: open the input as one format and,
 * when it is accepted, read and hash every tensor, calling abort() on what
 * must never happen so that libFuzzer (or the replay driver under ASan)
 * reports it.  Inputs are small, so running out of memory means a size was
 * taken from the input without being checked against it; a view that was
 * handed out must stream; and unless `reads_may_fail` (for formats that
 * check a CRC or inflate data only when a tensor is read), a tensor that
 * open accepted must read.  Header-only, static inline: the targets build
 * with no extra source.
 */
#ifndef MC_FUZZUTIL_H
#define MC_FUZZUTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "format.h"
#include "modelctl.h"

static inline int fuzz_reader(const uint8_t *data, size_t size, const char *name,
                              const char *format, bool reads_may_fail)
{
	mc_reader *r = NULL;
	int rc = mc_reader_open_memory(&r, data, size, name, format);

	if (rc == MC_ENOMEM)
		abort();
	if (rc)
		return 0;
	for (size_t i = 0; i < mc_reader_count(r); i++) {
		mc_view v;
		uint8_t md[32];
		rc = mc_reader_read(r, i, &v);
		if (rc == MC_ENOMEM || (rc && !reads_may_fail))
			abort();
		if (rc == 0 && mc_view_sha256(md, &v) != 0)
			abort();
		mc_view_release(&v);
	}
	(void)mc_reader_metadata(r);
	mc_reader_close(r);
	return 0;
}

#endif
