#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Helper of bench_pytorch.sh: write a large torch.save'd state dict, and time
torch.load on it.  Needs torch (apt-get install python3-torch).

  bench_pytorch.py make PATH MIB [--legacy]
      a GPT-2-style state dict of about MIB MiB of float32 tensors (20 blocks
      of attention and MLP weights, norms and biases, an embedding tied to
      lm_head), seeded, written by torch.save in the zip format or, with
      --legacy, in the legacy format (_use_new_zipfile_serialization=False).
      Prints the number of tensors.
  bench_pytorch.py load PATH
      prints the best wall time in seconds of 3 runs of
      torch.load(PATH, weights_only=True), which reads every storage into memory.
"""
import sys
import time

import torch


def make(path, mib, legacy):
    torch.manual_seed(0)
    d, blocks = 1024, 20
    per_block = 4 * (d * 3 * d + d * d + 2 * d * 4 * d)  # the four big matrices
    vocab = max(1, (mib * 2**20 - blocks * per_block) // (4 * d))
    if vocab < 1000:  # a small file: fewer blocks
        blocks = max(1, (mib * 2**20) // (2 * per_block))
        vocab = max(1, (mib * 2**20 - blocks * per_block) // (4 * d))
    sd = {}
    for i in range(blocks):
        p = "transformer.h.%d." % i
        for name, shape in (("ln_1.weight", (d,)), ("ln_1.bias", (d,)),
                            ("attn.c_attn.weight", (d, 3 * d)), ("attn.c_attn.bias", (3 * d,)),
                            ("attn.c_proj.weight", (d, d)), ("attn.c_proj.bias", (d,)),
                            ("ln_2.weight", (d,)), ("ln_2.bias", (d,)),
                            ("mlp.c_fc.weight", (d, 4 * d)), ("mlp.c_fc.bias", (4 * d,)),
                            ("mlp.c_proj.weight", (4 * d, d)), ("mlp.c_proj.bias", (d,))):
            sd[p + name] = torch.randn(shape)
    sd["transformer.wte.weight"] = torch.randn(vocab, d)
    sd["lm_head.weight"] = sd["transformer.wte.weight"]  # tied: one storage
    torch.save(sd, path, _use_new_zipfile_serialization=not legacy)
    print(len(sd))


def load(path):
    best = None
    for _ in range(3):
        t0 = time.perf_counter()
        sd = torch.load(path, weights_only=True)
        t1 = time.perf_counter()
        del sd
        best = t1 - t0 if best is None else min(best, t1 - t0)
    print("%.4f" % best)


def main(argv):
    if len(argv) >= 4 and argv[1] == "make":
        make(argv[2], int(argv[3]), "--legacy" in argv[4:])
    elif len(argv) == 3 and argv[1] == "load":
        load(argv[2])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
