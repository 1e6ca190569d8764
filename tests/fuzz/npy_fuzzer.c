/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the npy reader: open any bytes as npy and, when they are
 * accepted, read and hash the tensor.  Seeds live in tests/fuzz/corpus/npy/
 * (written by testdata/bad/make_bad_numpy.py).
 */
#include <stdint.h>

#include "fuzzutil.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_reader(data, size, "fuzz.npy", "npy", false);
}
