/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the npz reader: open any bytes as npz and, when they are
 * accepted, read and hash every tensor.  Reading may still fail (a CRC or
 * a deflate stream is checked only then), but must never crash.  Seeds
 * live in tests/fuzz/corpus/npz/ (written by testdata/bad/make_bad_numpy.py).
 */
#include <stdint.h>

#include "fuzzutil.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a CRC or a deflate stream is checked only when a member is read */
	return fuzz_reader(data, size, "fuzz.npz", "npz", true);
}
