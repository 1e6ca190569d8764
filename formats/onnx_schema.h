/* SPDX-License-Identifier: MIT */
/*
 * ONNX operator schemas: for every operator of ai.onnx, ai.onnx.ml and
 * ai.onnx.preview.training, every version onnx defines, with its input
 * and output counts, formal parameters and attributes.  The table
 * (onnx_schema_table.c) is generated from onnx's own schemas by
 * tools/gen_onnx_schema.py; its header comment names the onnx version and
 * the newest opset of each domain it knows.  The lookups (onnx_schema.c)
 * are written by hand.  The structural check
 * (onnx_check.c) verifies nodes against it; the runtime can find an
 * operator's inputs and attribute defaults' presence here too.  Everything
 * is static data: pointers returned live as long as the program.
 */
#ifndef MC_ONNX_SCHEMA_H
#define MC_ONNX_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* FormalParameterOption: how many values a formal input or output takes. */
enum {
	MC_ONNX_PARAM_SINGLE = 0,   /* exactly one, never "" */
	MC_ONNX_PARAM_OPTIONAL = 1, /* zero or one ("" or left off the end) */
	MC_ONNX_PARAM_VARIADIC = 2  /* the last parameter: any number */
};

typedef struct mc_onnx_param_schema {
	const char *name;
	const char *type; /* a type variable ("T") or a type ("tensor(int64)") */
	int option;       /* MC_ONNX_PARAM_* */
} mc_onnx_param_schema;

typedef struct mc_onnx_attr_schema {
	const char *name;
	int type; /* Onnx__AttributeProto__AttributeType */
	bool required;
} mc_onnx_attr_schema;

typedef struct mc_onnx_schema {
	const char *domain;  /* "" for ai.onnx */
	const char *op_type;
	int since_version;
	bool deprecated;     /* the operator is gone from since_version on */
	int min_inputs, max_inputs;   /* INT_MAX: no upper bound */
	int min_outputs, max_outputs;
	const mc_onnx_param_schema *inputs, *outputs;
	size_t ninputs, noutputs;
	const mc_onnx_attr_schema *attrs; /* sorted by name (strcmp) */
	size_t nattrs;
	bool unchecked_attrs; /* other attributes are allowed too (onnx 1.12:
	                         LayerNormalization-17 only) */
} mc_onnx_schema;

/* The newest opset of a domain the table knows. */
typedef struct mc_onnx_domain {
	const char *domain; /* "" for ai.onnx */
	int max_version;
} mc_onnx_domain;

/* The whole table, sorted by domain, op_type and since_version as strcmp
 * orders the names (generated: onnx_schema_table.c). */
extern const mc_onnx_schema mc_onnx_schemas[];
extern const size_t mc_onnx_nschemas;

/* Every domain the table knows, sorted by name (generated:
 * onnx_schema_table.c). */
extern const mc_onnx_domain mc_onnx_domains[];
extern const size_t mc_onnx_ndomains;

/* The schema of op_type in domain ("" or "ai.onnx" for the default one)
 * at opset `version`: the one with the largest since_version <= version,
 * as onnx's registry chooses it; NULL when there is none (an unknown
 * operator, a domain the table does not hold, or a version older than the
 * operator).  A deprecated schema is returned like any other. */
const mc_onnx_schema *mc_onnx_schema_find(const char *domain, const char *op_type,
                                          int64_t version);

/* Every version of op_type in domain, oldest first: the first of *count
 * consecutive schemas, or NULL (and *count 0) when the table has none. */
const mc_onnx_schema *mc_onnx_schema_history(size_t *count, const char *domain,
                                             const char *op_type);

/* The newest opset of `domain` the table knows, or 0 for a domain it does
 * not hold. */
int mc_onnx_schema_max_version(const char *domain);

#endif
