/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the safetensors reader: open any bytes as safetensors and,
 * when they are accepted, read and hash every tensor.  Seeds live in
 * tests/fuzz/corpus/safetensors/ (written by testdata/bad/safetensors/make_bad.py).
 */
#include <stdint.h>

#include "fuzzutil.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_reader(data, size, "fuzz.safetensors", "safetensors", false);
}
