/* SPDX-License-Identifier: MIT */
/*
 * Hashing for the library's hash tables (names in a zip, storages of a
 * checkpoint, pickle dict keys, tensor names, ONNX value names).  Every
 * key comes from a file, so an unkeyed hash would let a file be made whose
 * keys all collide, turning each table into a list and a lookup loop into
 * minutes of work.  SipHash-1-3 with a key drawn at random once per process
 * makes such a file impossible to prepare in advance.  Tables must not let
 * the hash decide anything visible: output order comes from the file.
 */
#ifndef MC_HASH_H
#define MC_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t mc_hash(const void *data, size_t n);
uint64_t mc_hash_str(const char *s);
/* An integer key (its 8 bytes, little-endian). */
uint64_t mc_hash_u64(uint64_t v);

/* SipHash with c compression and d finalisation rounds under an explicit
 * key: for tests against the reference vectors. */
uint64_t mc_siphash(uint64_t k0, uint64_t k1, const void *data, size_t n, int c, int d);

#endif
