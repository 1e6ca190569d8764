/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the npy reader: open any bytes as npy and, when they are
 * accepted, read and hash the tensor.  Seeds live in tests/fuzz/corpus/npy/
 * (written by testdata/bad/make_bad_numpy.py).
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
	int rc = mc_reader_open_memory(&r, data, size, "fuzz.npy", "npy");

	if (rc == MC_ENOMEM)
		abort(); /* nothing in a small input may need much memory */
	if (rc)
		return 0;
	for (size_t i = 0; i < mc_reader_count(r); i++) {
		mc_view v;
		uint8_t md[32];
		if (mc_reader_read(r, i, &v) != 0 || mc_view_sha256(md, &v) != 0)
			abort(); /* open accepted the array: reading it must work */
		mc_view_release(&v);
	}
	mc_reader_close(r);
	return 0;
}
