/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target for the PyTorch readers and the plain pickle reader: open any
 * bytes as a zip checkpoint ("pytorch"), as a legacy checkpoint
 * ("pytorch-legacy") and as a plain pickle ("pickle") and, when accepted,
 * read and hash every tensor.  A deflated zip storage (which torch never
 * writes) is inflated and CRC-checked only when read, so reads may fail
 * there; a legacy file or a pickle that opened must read.  Seeds live in
 * tests/fuzz/corpus/pytorch/: small fixtures copied from testdata/pytorch/
 * (made by its make_fixtures.py) in both formats, protocols 2 to 5, and two
 * plain pickles.
 */
#include <stdint.h>

#include "fuzzutil.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_reader(data, size, "fuzz.pt", "pytorch", true);
	fuzz_reader(data, size, "fuzz.pt", "pytorch-legacy", false);
	return fuzz_reader(data, size, "fuzz.pkl", "pickle", false);
}
