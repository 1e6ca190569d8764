/* SPDX-License-Identifier: MIT */
/*
 * Building value trees.  A reader's values live in one arena with a byte
 * cap derived from the file's size, so no file can make a reader allocate
 * more than it could plausibly describe, shared references (a pickle memo)
 * need no reference counts, and everything is freed at once with the reader.
 */
#ifndef MC_VALUE_H
#define MC_VALUE_H

#include <stddef.h>

#include "modelctl.h"

typedef struct mc_arena mc_arena;

/* An arena that refuses to hold more than `cap` bytes in all. */
int mc_arena_new(mc_arena **out, size_t cap);
void mc_arena_free(mc_arena *a);
/* Zeroed memory from the arena; NULL (with MC_ELIMIT or MC_ENOMEM
 * recorded) when the cap is reached. */
void *mc_arena_alloc(mc_arena *a, size_t n);
char *mc_arena_strndup(mc_arena *a, const char *s, size_t n);
size_t mc_arena_used(const mc_arena *a);
/* The file's stem as Python's Path.stem gives it (the base name without its
 * last suffix: "weights.npy" -> "weights"), or `fallback` when that is
 * empty; copied into the arena.  Names a lone tensor after its file. */
char *mc_arena_path_stem(mc_arena *a, const char *path, const char *fallback);

mc_value *mc_value_new(mc_arena *a, mc_value_kind kind);
mc_value *mc_value_new_int(mc_arena *a, int64_t i);
mc_value *mc_value_new_float(mc_arena *a, double f);
mc_value *mc_value_new_bool(mc_arena *a, bool b);
/* str, bytes or bigint holding a copy of n bytes (NUL-terminated). */
mc_value *mc_value_new_str(mc_arena *a, mc_value_kind kind, const char *s, size_t n);
mc_value *mc_value_new_tensor(mc_arena *a, size_t index);
/* Append to a list, tuple or set. */
int mc_value_append(mc_arena *a, mc_value *seq, mc_value *item);
/* Set key to val in a dict: replaces the value of an equal str or int key,
 * otherwise appends the pair, keeping insertion order as Python does. */
int mc_value_dict_set(mc_arena *a, mc_value *dict, mc_value *key, mc_value *val);
/* Equality of scalar keys (str, bytes, int, bigint, bool, none, float). */
bool mc_value_key_equal(const mc_value *x, const mc_value *y);

#endif
