/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the zip reader that npz and PyTorch checkpoints share:
 * open any bytes as a zip archive and, when they are accepted, look every
 * entry up by name, read a prefix of it, check its CRC-32 in place and
 * read it whole.  Seeds live in tests/fuzz/corpus/zip/ (written by
 * testdata/bad/make_bad_numpy.py).
 */
#include <stdint.h>
#include <stdlib.h>

#include "modelctl.h"
#include "zip.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mc_zip *z = NULL;
	int rc = mc_zip_open(&z, data, size, "fuzz.zip");

	if (rc == MC_ENOMEM)
		abort(); /* the entry table is sized by the directory, which is in the input */
	if (rc)
		return 0;
	for (size_t i = 0; i < mc_zip_count(z); i++) {
		const mc_zip_entry *e = mc_zip_entry_at(z, i), *found = NULL;
		uint8_t head[64], *out = NULL;
		size_t n = 0;
		int crc_rc;

		if (mc_zip_find(&found, z, e->name) != 0 || found != e)
			abort(); /* names are unique and every one can be found */
		if (mc_zip_read_prefix(&n, head, sizeof(head), z, e) == 0 &&
		    n != (e->size < sizeof(head) ? e->size : sizeof(head)))
			abort();
		crc_rc = mc_zip_check_crc(z, e);
		rc = mc_zip_read(&out, &n, z, e);
		if (rc == MC_ENOMEM)
			abort();
		if ((rc == 0) != (crc_rc == 0))
			abort(); /* checking in place and reading agree */
		if (rc == 0 && n != e->size)
			abort();
		free(out);
	}
	mc_zip_free(z);
	return 0;
}
