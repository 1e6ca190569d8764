/* SPDX-License-Identifier: MIT */
/*
 * Lookups in ONNX's operator schemas: an operator's versions, the one an
 * opset selects, and a domain's newest opset.  The table they search,
 * mc_onnx_schemas (sorted by domain, op_type and since_version as strcmp
 * orders the names) and mc_onnx_domains, is generated into
 * onnx_schema_table.c by tools/gen_onnx_schema.py; this file is written by
 * hand.
 */
#include <stddef.h>
#include <string.h>

#include "onnx_schema.h"
#include "banned.h"

/* The default domain has two names; the table uses "". */
static const char *table_domain(const char *domain)
{
	return !domain || strcmp(domain, "ai.onnx") == 0 ? "" : domain;
}

/* The table's order: domain, then op_type. */
static int key_cmp(const mc_onnx_schema *s, const char *domain, const char *op_type)
{
	int c = strcmp(s->domain, domain);
	return c ? c : strcmp(s->op_type, op_type);
}

const mc_onnx_schema *mc_onnx_schema_history(size_t *count, const char *domain,
                                             const char *op_type)
{
	const mc_onnx_schema *t = mc_onnx_schemas;
	size_t lo = 0, hi = mc_onnx_nschemas, end;

	*count = 0;
	if (!op_type)
		return NULL;
	domain = table_domain(domain);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (key_cmp(&t[mid], domain, op_type) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (end = lo; end < mc_onnx_nschemas && key_cmp(&t[end], domain, op_type) == 0;)
		end++;
	*count = end - lo;
	return end > lo ? &t[lo] : NULL;
}

const mc_onnx_schema *mc_onnx_schema_find(const char *domain, const char *op_type,
                                          int64_t version)
{
	const mc_onnx_schema *h, *found = NULL;
	size_t n;

	h = mc_onnx_schema_history(&n, domain, op_type);
	for (size_t i = 0; i < n && h[i].since_version <= version; i++)
		found = &h[i];
	return found;
}

int mc_onnx_schema_max_version(const char *domain)
{
	domain = table_domain(domain);
	for (size_t i = 0; i < mc_onnx_ndomains; i++)
		if (strcmp(mc_onnx_domains[i].domain, domain) == 0)
			return mc_onnx_domains[i].max_version;
	return 0;
}
