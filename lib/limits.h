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

/* Flattening a checkpoint's value tree into tensor names (lib/flatten.c).
 * Nesting: a state dict is 2-4 levels deep and a training checkpoint a few
 * more; a pickle can also build a cycle, which this depth ends.  Positions:
 * a pickle's memo lets a few bytes repeat a container many times (a list of
 * a list of ... each twice), so the walk counts every position it visits and
 * allows this many beyond one per value the tree holds. */
#define MC_FLATTEN_MAX_DEPTH 256
#define MC_FLATTEN_MAX_VISITS (1u << 24)

/* PyTorch zip archives: the small records beside data.pkl ("version",
 * "byteorder", ".format_version", ".storage_alignment",
 * ".data/serialization_id") hold a few bytes; a larger one is not torch's. */
#define MC_TORCH_MAX_RECORD 256u

/* Pickles (formats/pickle.c).  Python's pickler recurses once per level of
 * nesting and stops at the interpreter's recursion limit (1000 frames by
 * default, several per level), so no pickle Python writes nests containers or
 * MARKs this deep; a deeper one is an attack on whoever walks the tree. */
#define MC_PICKLE_MAX_DEPTH 1000

/* Values on the pickle machine's stack at once.  Lists, dicts and sets are
 * written in batches of 1000 items; only a huge tuple or frozenset puts many
 * values on the stack together.  Each slot is one opcode (at least a byte)
 * of the file, so the stack also stays below a few times the file's size. */
#define MC_PICKLE_MAX_STACK (1u << 24)

/* Memo entries (PUT, BINPUT, LONG_BINPUT, MEMOIZE), and the largest memo
 * index accepted.  Python memoises every container, string and global it
 * writes, about one entry per object; 16M objects is far beyond the
 * non-tensor content of any checkpoint.  The memo is a hash table that grows
 * with the entries actually stored, never with the value of an index. */
#define MC_PICKLE_MAX_MEMO (1u << 24)

/* Big integers (LONG1, LONG4, text INT and LONG past int64) become decimal
 * strings.  Python 3.11 refuses to convert integers of more than 4300 decimal
 * digits to or from text (sys.int_info.default_max_str_digits); 1785 bytes is
 * the two's complement size of such a number.  The conversion is quadratic in
 * the length, so the cap also bounds the time one opcode can take. */
#define MC_PICKLE_MAX_BIGINT_DIGITS 4300u
#define MC_PICKLE_MAX_LONG_BYTES 1785u

/* Module and attribute names of GLOBAL, INST and STACK_GLOBAL: Python's own
 * qualified names are short; a longer one is refused rather than copied. */
#define MC_PICKLE_MAX_GLOBAL_NAME 1024u

/* The text FLOAT opcode holds repr(float), at most 24 characters. */
#define MC_PICKLE_MAX_FLOAT_TEXT 64u

/* Work on dict keys and set items (hashing, comparing equal-hash keys,
 * inserting), counted in bytes touched plus 16 per insertion.  Python
 * writes each key once and never two equal keys into one dict, so a pickle
 * costs a few units per byte; one that makes the reader do more than this
 * per byte of the pickle (plus the floor) -- set(L) of a memoised list over
 * and over, long equal keys under different references -- is built to make
 * it slow and is refused, where the arena cap would not stop it because
 * the work allocates nothing. */
#define MC_PICKLE_WORK_PER_BYTE 64u
#define MC_PICKLE_WORK_FLOOR (64u << 20)

/* ONNX models (formats/onnx.c).  A model is one protobuf message, and
 * protobuf's own parsers refuse messages of 2 GiB or more (onnx.save asks
 * for external data beyond that), so a larger file is not a model any ONNX
 * writer produced.  Its mapping is the only thing that grows with it. */
#define MC_ONNX_MAX_MODEL 0x7fffffffu

/* Protobuf messages nested inside one another (formats/protowire.c): the
 * limit of Google's parsers (CodedInputStream's default recursion limit).
 * One level of subgraph costs three (GraphProto > NodeProto > AttributeProto
 * > GraphProto), so If/Loop/Scan bodies may nest about 30 deep, far beyond
 * what exporters write; protobuf-c's unpack recurses once per level. */
#define MC_PROTO_MAX_DEPTH 100

/* protobuf-c unpacks an ONNX model's structure into an arena capped at this
 * many bytes per byte of the structure as stored (the file less its tensor
 * data), plus a floor.  The 1082 models of libonnx-testdata and testdata/onnx
 * need 11 times on average and 16 at most, the larger ones less (4 for
 * structures of kilobytes); a file of nothing but empty messages needs up to
 * 150 (a 2-byte AttributeProto unpacks into 248 bytes and more): refused.  Repeated fields have no count of their own:
 * protobuf-c counts the values actually present (each at least a byte), and
 * tensor data is checked against the tensor's dims. */
#define MC_ONNX_ALLOC_PER_BYTE 32u
#define MC_ONNX_ALLOC_FLOOR (16u << 20)

#endif
