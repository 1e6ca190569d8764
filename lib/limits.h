/* SPDX-License-Identifier: MIT */
/*
 * Every cap that guards parsing lives here, each with the reason for its value.
 * A reader that needs a new limit adds it to this list rather than hiding a
 * constant in its own file, so the whole attack surface can be reviewed at once.
 */
#ifndef MC_LIMITS_H
#define MC_LIMITS_H

/* numpy's own NPY_MAXDIMS is 64 (32 before numpy 2); ONNX and torch stay far below. */
#define MC_MAX_DIMS 64

/* The safetensors spec caps the JSON header at 100 MB (MAX_HEADER_SIZE in the
 * reference implementation); a larger header is refused before it is read. */
#define MC_SAFETENSORS_MAX_HEADER (100u * 1000u * 1000u)

/* JSON nesting in headers we parse: safetensors needs 3 levels; anything deep
 * is an attack on the parser, not a model. */
#define MC_JSON_MAX_DEPTH 64

/* numpy writes headers padded to 64 bytes and refuses to read headers over
 * 10000 bytes unless allow_pickle-like overrides are given (max_header_size). */
#define MC_NPY_MAX_HEADER 10000u

/* Zip archives: entries in one central directory.  Real checkpoints hold a few
 * thousand storages at most; the cap keeps the entry table small. */
#define MC_ZIP_MAX_ENTRIES 1000000u

/* An entry name longer than this is not something torch or numpy writes. */
#define MC_ZIP_MAX_NAME 4096u

/* Deflate cannot expand data by more than 1032:1; a declared uncompressed size
 * beyond that ratio is a lie (a zip bomb) and is refused before allocating. */
#define MC_DEFLATE_MAX_RATIO 1032u

/* Tensor names: longer names are refused rather than carried into reports. */
#define MC_MAX_NAME 65536u

/* Non-tensor values of a checkpoint (the value tree) may use at most this many
 * bytes of memory per byte of the file, plus a fixed floor; a file cannot make
 * the reader allocate more than it could plausibly describe. */
#define MC_VALUE_BYTES_PER_FILE_BYTE 64u
#define MC_VALUE_BYTES_FLOOR (1u << 20)

/* Chunk size for streaming tensor data to a hash or a writer: large enough for
 * throughput, small enough to keep peak memory flat on multi-GB files. */
#define MC_STREAM_CHUNK (4u << 20)

#endif
