/* SPDX-License-Identifier: MIT */
/*
 * The string map of strmap.h.  Each slot keeps its key's hash, so growing
 * never hashes a key again and a probe compares strings only on a full
 * hash match.
 */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "hash.h"
#include "strmap.h"
#include "banned.h"

#define FIRST_CAP 64

void mc_strmap_release(mc_strmap *m)
{
	free(m->slot);
	memset(m, 0, sizeof(*m));
}

/* The slot of `key` (hash h), or the free slot where it would go. */
static mc_strmap_slot *probe(const mc_strmap *m, const char *key, uint64_t h)
{
	size_t mask = m->cap - 1;
	for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
		mc_strmap_slot *s = &m->slot[i];
		if (!s->key || (s->hash == h && strcmp(s->key, key) == 0))
			return s;
	}
}

const mc_strmap_slot *mc_strmap_find(const mc_strmap *m, const char *key)
{
	const mc_strmap_slot *s;
	if (!m->cap)
		return NULL;
	s = probe(m, key, mc_hash_str(key));
	return s->key ? s : NULL;
}

static int grow(mc_strmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : FIRST_CAP;
	mc_strmap old = *m;

	if (cap < m->cap || cap > SIZE_MAX / sizeof(*m->slot))
		return mc_nomem();
	if (!(m->slot = calloc(cap, sizeof(*m->slot)))) {
		*m = old;
		return mc_nomem();
	}
	m->cap = cap;
	for (size_t i = 0; i < old.cap; i++)
		if (old.slot[i].key)
			*probe(m, old.slot[i].key, old.slot[i].hash) = old.slot[i];
	free(old.slot);
	return 0;
}

int mc_strmap_put(mc_strmap *m, const char *key, void *value, int *dup)
{
	uint64_t h = mc_hash_str(key);
	mc_strmap_slot *s;
	int rc;

	if (dup)
		*dup = 0;
	if ((m->n + 1) * 2 > m->cap && (rc = grow(m)) != 0)
		return rc;
	s = probe(m, key, h);
	if (s->key) {
		if (dup)
			*dup = 1;
		return 0;
	}
	s->key = key;
	s->hash = h;
	s->value = value;
	m->n++;
	return 0;
}
