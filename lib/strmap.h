/* SPDX-License-Identifier: MIT */
/*
 * A map from strings to pointers, for the readers' and writers' name
 * tables (storages by key, tensor names, zip entry names): open
 * addressing over the keyed hash of hash.h, at most half full.  Keys are
 * borrowed and must outlive the map; nothing is ever removed.
 */
#ifndef MC_STRMAP_H
#define MC_STRMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct mc_strmap_slot {
	const char *key; /* NULL: free */
	uint64_t hash;
	void *value;
} mc_strmap_slot;

typedef struct mc_strmap {
	mc_strmap_slot *slot;
	size_t cap, n; /* cap 0 or a power of two */
} mc_strmap;

/* Zeroed, a map is empty. */
void mc_strmap_release(mc_strmap *m);
/* The slot holding `key`, or NULL. */
const mc_strmap_slot *mc_strmap_find(const mc_strmap *m, const char *key);
/* Add key -> value; when key is there already nothing changes and *dup is
 * set (*dup may be NULL when the caller knows keys are new).  MC_ENOMEM. */
int mc_strmap_put(mc_strmap *m, const char *key, void *value, int *dup);

#endif
