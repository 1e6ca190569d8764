/* SPDX-License-Identifier: MIT */
/*
 * What the three parts of the pickle reader share, and nothing else sees.
 * pickle_scan.c owns the opcode grammar (the table of opcodes, reading one
 * opcode with its argument, the text decoders of protocol 0) and the linear
 * walk behind mc_pickle_scan; pickle.c owns the machine (stack, marks, memo,
 * the table of values with a known origin); pickle_globals.c owns the
 * allowlist, the Python 2 name mapping and the handlers of the allowed
 * callables, which run inside the machine and use its helpers declared here.
 */
#ifndef MC_PICKLE_INT_H
#define MC_PICKLE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"
#include "error.h"
#include "pickle.h"

/* ---- opcodes (pickle_scan.c) --------------------------------------------- */

/* Every opcode of protocols 0 to 5, as Lib/pickle.py names them. */
enum {
	PK_MARK = '(', PK_STOP = '.', PK_POP = '0', PK_POP_MARK = '1', PK_DUP = '2',
	PK_FLOAT = 'F', PK_INT = 'I', PK_BININT = 'J', PK_BININT1 = 'K', PK_LONG = 'L',
	PK_BININT2 = 'M', PK_NONE = 'N', PK_PERSID = 'P', PK_BINPERSID = 'Q', PK_REDUCE = 'R',
	PK_STRING = 'S', PK_BINSTRING = 'T', PK_SHORT_BINSTRING = 'U', PK_UNICODE = 'V',
	PK_BINUNICODE = 'X', PK_APPEND = 'a', PK_BUILD = 'b', PK_GLOBAL = 'c', PK_DICT = 'd',
	PK_EMPTY_DICT = '}', PK_APPENDS = 'e', PK_GET = 'g', PK_BINGET = 'h', PK_INST = 'i',
	PK_LONG_BINGET = 'j', PK_LIST = 'l', PK_EMPTY_LIST = ']', PK_OBJ = 'o', PK_PUT = 'p',
	PK_BINPUT = 'q', PK_LONG_BINPUT = 'r', PK_SETITEM = 's', PK_TUPLE = 't',
	PK_EMPTY_TUPLE = ')', PK_SETITEMS = 'u', PK_BINFLOAT = 'G',
	/* protocol 2 */
	PK_PROTO = 0x80, PK_NEWOBJ = 0x81, PK_EXT1 = 0x82, PK_EXT2 = 0x83, PK_EXT4 = 0x84,
	PK_TUPLE1 = 0x85, PK_TUPLE2 = 0x86, PK_TUPLE3 = 0x87, PK_NEWTRUE = 0x88,
	PK_NEWFALSE = 0x89, PK_LONG1 = 0x8a, PK_LONG4 = 0x8b,
	/* protocol 3 */
	PK_BINBYTES = 'B', PK_SHORT_BINBYTES = 'C',
	/* protocol 4 */
	PK_SHORT_BINUNICODE = 0x8c, PK_BINUNICODE8 = 0x8d, PK_BINBYTES8 = 0x8e,
	PK_EMPTY_SET = 0x8f, PK_ADDITEMS = 0x90, PK_FROZENSET = 0x91, PK_NEWOBJ_EX = 0x92,
	PK_STACK_GLOBAL = 0x93, PK_MEMOIZE = 0x94, PK_FRAME = 0x95,
	/* protocol 5 */
	PK_BYTEARRAY8 = 0x96, PK_NEXT_BUFFER = 0x97, PK_READONLY_BUFFER = 0x98
};

/* The highest protocol this reader knows. */
#define PK_MAX_PROTO 5

/* One opcode as read from the stream, its argument checked against the
 * bytes left but not interpreted (text is not parsed, lengths are). */
typedef struct pk_op {
	uint8_t code;
	const char *name;   /* "BINUNICODE" */
	uint64_t offset;    /* file offset of the opcode byte */
	uint64_t u;         /* fixed-size integer argument (unsigned view) */
	int64_t i;          /* the same, sign-extended where the opcode is signed */
	double f;           /* BINFLOAT */
	const uint8_t *s;   /* payload of a length-prefixed opcode, or a text line
	                       without its '\n' (the first of two for GLOBAL/INST) */
	size_t n;
	const uint8_t *s2;  /* second line of GLOBAL and INST */
	size_t n2;
	uint64_t s_offset;  /* file offset of s */
} pk_op;

/* Read the opcode at the cursor and its argument.  Unknown opcodes, lines
 * without their newline, negative and too-large lengths are MC_ECORRUPT,
 * recorded at the cursor. */
int pk_read_op(mc_cur *c, pk_op *op);

/* The name of an opcode byte ("SETITEMS"), or NULL for an unknown one. */
const char *pk_op_name(uint8_t code);

/* Text decoders.  Each returns false with *why set on malformed input;
 * `out` must hold what the comment says. */
/* Well-formed UTF-8; `surrogates` lets encoded surrogates through, as
 * Python's 'surrogatepass' (which pickle uses for str) does. */
bool pk_utf8_valid(const uint8_t *s, size_t n, bool surrogates);
/* The body of a protocol 0 STRING argument: the line must be quoted with '
 * or " at both ends; *body points inside the line. */
bool pk_string_body(const uint8_t *line, size_t n, const uint8_t **body, size_t *bn,
                    const char **why);
/* Python's codecs.escape_decode of a STRING body; out holds n bytes. */
bool pk_escape_decode(uint8_t *out, size_t *outn, const uint8_t *s, size_t n, const char **why);
/* Python's raw-unicode-escape decoding of a UNICODE line into UTF-8; out
 * holds 2n bytes. */
bool pk_raw_unicode_decode(uint8_t *out, size_t *outn, const uint8_t *s, size_t n,
                           const char **why);
/* A str value (UTF-8) as latin-1 bytes, as str.encode('latin-1') does;
 * out holds n bytes.  False when a character is above U+00FF. */
bool pk_latin1_encode(uint8_t *out, size_t *outn, const uint8_t *s, size_t n);

/* Walk every opcode of the pickle at data[0..len) without running it and
 * call `fn` for each global it names: module and name as the pickle holds
 * them (decoded from protocol 0 text, not mapped, not checked; borrowed for
 * the call only), the opcode (GLOBAL, INST, STACK_GLOBAL, EXT1/2/4) and its
 * file offset.  A NULL module stands for STACK_GLOBAL operands that are not
 * both literal strings, and for the EXTs, whose code is in `ext`.  `fn`
 * returns 0 to go on, 1 to stop the walk (pk_walk then returns 1), or a
 * negative code.  *end gets the offset past STOP. */
typedef int (*pk_global_fn)(void *ctx, const uint8_t *module, size_t mlen, const uint8_t *name,
                            size_t nlen, uint8_t opcode, int64_t ext, uint64_t offset);
int pk_walk(size_t *end, const uint8_t *data, size_t len, const mc_pickle_env *env,
            pk_global_fn fn, void *ctx);

/* True when a global of the pickle at data[0..len) lives in torch.nn.modules
 * (a whole nn.Module was pickled).  A pickle that cannot be walked to its
 * end is judged on what was walked.  It may record an error: call it before
 * recording your own. */
bool pk_names_nn_module(const uint8_t *data, size_t len, const mc_pickle_env *env);

/* ---- hash map (pickle_scan.c) -------------------------------------------- */

/* Open addressing over 64-bit keys (0 is the empty slot), two 64-bit words
 * of payload.  It grows with the entries stored (doubling when three
 * quarters full), so it costs 32 to 64 bytes per entry and never depends on
 * the value of a key. */
typedef struct pk_map_entry {
	uint64_t key, a, b;
} pk_map_entry;

typedef struct pk_map {
	pk_map_entry *e;
	size_t cap, n; /* cap is 0 or a power of two */
} pk_map;

void pk_map_release(pk_map *m);
/* The slot hash of an integer key: keyed per process (hash.h), since
 * memo indices and dict keys come from the file. */
uint64_t pk_mix(uint64_t x);
/* The entry of `key`, or NULL. */
pk_map_entry *pk_map_find(const pk_map *m, uint64_t key);
/* The entry of `key`, added with a zero payload when absent. */
int pk_map_put(pk_map *m, uint64_t key, pk_map_entry **out);
/* Room for one more entry (the table may move). */
int pk_map_reserve(pk_map *m);

/* ---- globals (pickle_globals.c) ------------------------------------------ */

typedef struct pk_vm pk_vm;
typedef struct pk_global pk_global;

/* How a global may be used. */
typedef enum pk_gkind {
	PK_G_VALUE,    /* it is a value: a storage type, a torch dtype */
	PK_G_CALLABLE, /* REDUCE, INST, OBJ (and NEWOBJ where flagged) call it */
	PK_G_ARGUMENT  /* only as an argument of another allowed callable
	                  (numpy.ndarray, torch.Tensor, torch.nn.parameter.Parameter) */
} pk_gkind;

/* NEWOBJ calls cls.__new__(cls, *args) without __init__: allowed only where
 * that builds what the call would. */
#define PK_NEW_SAME 1u  /* __new__ alone builds the value */
#define PK_NEW_EMPTY 2u /* __new__ builds an empty value; args must be empty */

typedef int (*pk_call_fn)(pk_vm *vm, const pk_global *g, mc_value *const *argv, size_t argc,
                          mc_value **out);

struct pk_global {
	const char *module;
	const char *name;
	const char *qualname; /* module.name, the type of the values it makes */
	pk_gkind kind;
	unsigned flags;       /* PK_NEW_* */
	int fn;               /* which handler family (pickle_globals.c's own) */
	int64_t tag;          /* a dtype, for storage types and torch dtypes */
	pk_call_fn call;      /* PK_G_CALLABLE only */
};

/* Apply Python's _compat_pickle mapping (Lib/_compat_pickle.py) to a
 * module and name; the results are static strings or the arguments. */
void pk_map_py2(const char **module, const char **name);

/* The allowlist entry of module.name (already mapped), or NULL.  A dotted
 * name is never on it. */
const pk_global *pk_global_find(const char *module, const char *name);

/* The entry behind a value GLOBAL pushed for a callable or argument-only
 * global, or NULL when `v` is not one. */
const pk_global *pk_global_of(const mc_value *v);

/* The value a GLOBAL, INST or STACK_GLOBAL of `g` pushes. */
int pk_global_value(pk_vm *vm, const pk_global *g, mc_value **out);

/* BUILD on `inst` with `state`, when inst is one of the values the
 * handlers made (an OrderedDict, a numpy array or dtype under
 * construction, a tensor).  Returns 1 when no handler claims inst (the
 * machine refuses it), 0 when done, or a negative code. */
int pk_global_build(pk_vm *vm, mc_value *inst, mc_value *state);

/* ---- the machine (pickle.c), for the handlers ---------------------------- */

/* Origins of values the machine keeps track of by identity. */
typedef enum pk_origin {
	PK_O_NONE = 0,
	PK_O_STORAGE,   /* returned by env->persistent_load */
	PK_O_TENSOR,    /* returned by env->tensor; aux: its pk_tensor_rec */
	PK_O_ODICT,     /* a dict made by collections.OrderedDict */
	PK_O_FROZENSET, /* a set that is a frozenset */
	PK_O_NDARRAY,   /* numpy.ndarray from _reconstruct, waiting for BUILD */
	PK_O_ARRAY,     /* a numpy array handed to env->array (built) */
	PK_O_BYTES      /* bytes; aux: the file offset to report for them (of the
	                   data when the pickle holds it verbatim, else of the
	                   opcode that built them) */
} pk_origin;

/* What the parameter hook needs of a tensor the tensor hook made. */
typedef struct pk_tensor_rec {
	const mc_value *storage;
	int64_t storage_offset;
	bool requires_grad;
	int ndim;
	int64_t v[]; /* ndim dims, then ndim strides */
} pk_tensor_rec;

struct pk_vm {
	const mc_pickle_env *env;
	mc_arena *a;
	const uint8_t *data;
	size_t len;
	uint64_t op_off;       /* file offset of the opcode being run */
	uint8_t op;            /* and its byte */
	int proto;
	mc_value *none, *yes, *no;
};

/* Record an error at the current opcode; evaluates to `code`. */
#define pk_fail(vm, code, ...) \
	mc_fail((code), (vm)->env->path, (vm)->env->entry, (int64_t)(vm)->op_off, __VA_ARGS__)

/* The origin recorded for `v` (PK_O_NONE when none), and its aux. */
pk_origin pk_origin_of(pk_vm *vm, const mc_value *v, uint64_t *aux);
int pk_set_origin(pk_vm *vm, const mc_value *v, pk_origin o, uint64_t aux);

/* New values in the arena; NULL with the error recorded. */
mc_value *pk_new(pk_vm *vm, mc_value_kind kind);
mc_value *pk_new_int(pk_vm *vm, int64_t i);
mc_value *pk_new_float(pk_vm *vm, double f);
mc_value *pk_new_str(pk_vm *vm, mc_value_kind kind, const void *s, size_t n);
/* A tuple of n items copied from items. */
mc_value *pk_new_tuple(pk_vm *vm, mc_value *const *items, size_t n);

/* dict[key] = val as Python does (an equal key keeps its place and takes
 * the new value); unhashable keys are refused. */
int pk_dict_set(pk_vm *vm, mc_value *dict, mc_value *key, mc_value *val);
/* set.add(item), for sets and frozensets under construction. */
int pk_set_add(pk_vm *vm, mc_value *set, mc_value *item);

/* A decimal string of an unsigned magnitude, as an MC_VALUE_INT when it
 * fits or an MC_VALUE_BIGINT otherwise. */
int pk_int_from_u64(pk_vm *vm, uint64_t mag, bool negative, mc_value **out);

/* "a str", "an OrderedDict", "a torch.device": what a value is, for
 * messages. */
const char *pk_what(pk_vm *vm, const mc_value *v);

#endif
