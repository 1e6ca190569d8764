/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the safetensors reader: open any bytes as safetensors and,
 * when they are accepted, read and hash every tensor.  Seeds live in
 * tests/fuzz/corpus/safetensors/ (written by testdata/bad/safetensors/make_bad.py).
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
	int rc = mc_reader_open_memory(&r, data, size, "fuzz.safetensors", "safetensors");

	/* Inputs are small: running out of memory on one means a size was
	 * taken from the header without being checked against the file. */
	if (rc == MC_ENOMEM)
		abort();
	if (rc)
		return 0;
	for (size_t i = 0; i < mc_reader_count(r); i++) {
		mc_view v;
		uint8_t md[32];
		if (mc_reader_read(r, i, &v) != 0 || mc_view_sha256(md, &v) != 0)
			abort(); /* open accepted the tensor: reading it must work */
		mc_view_release(&v);
	}
	(void)mc_reader_metadata(r);
	mc_reader_close(r);
	return 0;
}
