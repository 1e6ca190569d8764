/* SPDX-License-Identifier: MIT */
/*
 * Selecting a sub-tree of a checkpoint by a dotted key path, the way
 * `ckpt["model_state"]` would in Python: the tensors whose flattened names
 * lie under the key (named relative to it), and the value found there.
 */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "format.h"
#include "banned.h"

void mc_selection_release(mc_selection *s)
{
	if (!s)
		return;
	free(s->index);
	free(s->name);
	memset(s, 0, sizeof(*s));
}

int mc_select(mc_selection *out, const mc_reader *r, const char *key)
{
	size_t klen = key ? strlen(key) : 0;
	size_t n = mc_reader_count(r);

	memset(out, 0, sizeof(*out));
	out->index = malloc((n ? n : 1) * sizeof(*out->index));
	out->name = malloc((n ? n : 1) * sizeof(*out->name));
	if (!out->index || !out->name) {
		mc_selection_release(out);
		return mc_nomem();
	}
	for (size_t i = 0; i < n; i++) {
		const char *name = mc_reader_tensor(r, i)->name;
		const char *rel;
		if (!klen)
			rel = name;
		else if (strcmp(name, key) == 0)
			rel = name;
		else if (strncmp(name, key, klen) == 0 && name[klen] == '.')
			rel = name + klen + 1;
		else
			continue;
		out->index[out->n] = i;
		out->name[out->n] = rel;
		out->n++;
	}
	return 0;
}

/* Write a scalar dict key as the text a flattened name uses, or return 0
 * when the key has no such form. */
static int key_text(const mc_value *k, char *buf, size_t size, const char **out, size_t *len)
{
	if (k->kind == MC_VALUE_STR || k->kind == MC_VALUE_BIGINT) {
		*out = k->u.s.p;
		*len = k->u.s.n;
		return 1;
	}
	if (k->kind == MC_VALUE_INT) {
		int n = snprintf(buf, size, "%lld", (long long)k->u.i);
		*out = buf;
		*len = (size_t)n;
		return n > 0;
	}
	return 0;
}

/* Whether `path` is `seg` alone or `seg.` and more; *rest gets the rest. */
static int match_segment(const char *path, const char *seg, size_t len, const char **rest)
{
	if (strncmp(path, seg, len) != 0)
		return 0;
	if (path[len] == '\0') {
		*rest = NULL;
		return 1;
	}
	if (path[len] == '.') {
		*rest = path + len + 1;
		return 1;
	}
	return 0;
}

const mc_value *mc_value_find(const mc_value *root, const char *path)
{
	char num[32];
	const char *rest;

	if (!root || !path || !*path)
		return root;
	if (root->kind == MC_VALUE_DICT) {
		for (size_t i = 0; i < mc_value_len(root); i++) {
			const char *k;
			size_t klen;
			if (!key_text(mc_value_dict_key(root, i), num, sizeof(num), &k, &klen))
				continue;
			if (match_segment(path, k, klen, &rest)) {
				const mc_value *v = mc_value_dict_val(root, i);
				const mc_value *found = rest ? mc_value_find(v, rest) : v;
				if (found)
					return found;
			}
		}
		return NULL;
	}
	if (root->kind == MC_VALUE_LIST || root->kind == MC_VALUE_TUPLE) {
		for (size_t i = 0; i < mc_value_len(root); i++) {
			int n = snprintf(num, sizeof(num), "%zu", i);
			if (match_segment(path, num, (size_t)n, &rest))
				return rest ? mc_value_find(mc_value_at(root, i), rest) : mc_value_at(root, i);
		}
	}
	return NULL;
}
