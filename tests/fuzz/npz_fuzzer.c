/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the npz reader: open any bytes as npz and, when they are
 * accepted, read and hash every tensor.  Reading may still fail (a CRC or
 * a deflate stream is checked only then), but must never crash.  Seeds
 * live in tests/fuzz/corpus/npz/ (written by testdata/bad/make_bad_numpy.py).
 */
#include <stdint.h>
#include <stdlib.h>

#include "format.h"
#include "modelctl.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mc_reader *r = NULL;
	int rc = mc_reader_open_memory(&r, data, size, "fuzz.npz", "npz");

	if (rc == MC_ENOMEM)
		abort(); /* declared sizes are checked before anything is allocated */
	if (rc)
		return 0;
	for (size_t i = 0; i < mc_reader_count(r); i++) {
		mc_view v;
		uint8_t md[32];
		rc = mc_reader_read(r, i, &v);
		if (rc == MC_ENOMEM)
			abort();
		if (rc == 0 && mc_view_sha256(md, &v) != 0)
			abort(); /* a view that was handed out must stream */
		mc_view_release(&v);
	}
	mc_reader_close(r);
	return 0;
}
