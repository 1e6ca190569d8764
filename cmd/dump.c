/* SPDX-License-Identifier: MIT */
/*
 * modelctl dump: what is inside a model file.  A table of tensors (name,
 * dtype, shape, bytes, sha256 with --hash) with the parameter count and
 * total size, the non-tensor values of a training checkpoint as a tree, and
 * the format's metadata; or the same as JSON in the contract's shape.
 * ONNX models have a view of their own (dump_onnx.c), which shares the
 * helpers exported here.  Everything that can fail (reading, hashing)
 * happens before the first byte is printed, so a refused file never leaves
 * half a report.
 */
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "onnx.h"
#include "banned.h"

typedef struct dump_opts {
	const char *format; /* text, json, dot */
	const char *key;
	int hash;
	const char *file;
} dump_opts;

typedef struct dump_ctx {
	mc_reader *r;
	mc_selection sel;
	uint8_t (*sha)[32]; /* per selected tensor, with --hash */
	const mc_value *values;
	const mc_value *metadata;
} dump_ctx;

static int parse_args(dump_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"format", required_argument, NULL, 'f'},
		{"hash", no_argument, NULL, 'H'},
		{"key", required_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->format = "text";
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(optarg, "text") && strcmp(optarg, "json") && strcmp(optarg, "dot"))
				return cmd_usage_error("dump", "unknown --format '%s' (text, json or dot)",
				                       optarg);
			o->format = optarg;
			break;
		case 'H': o->hash = 1; break;
		case 'k': o->key = optarg; break;
		case 'h': return -1;
		case ':': return cmd_usage_error("dump", "option '%s' needs a value", argv[optind - 1]);
		default: return cmd_usage_error("dump", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cmd_usage_error("dump", "no file given");
	if (optind + 1 < argc)
		return cmd_usage_error("dump", "one file at a time ('%s' and '%s' given)", argv[optind],
		                       argv[optind + 1]);
	o->file = argv[optind];
	return 0;
}

void cmd_sha256_hex(char out[65], const uint8_t sha[32])
{
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", sha[i]);
}

int cmd_hash_tensors(uint8_t (**out)[32], mc_reader *r, const mc_selection *sel)
{
	*out = calloc(sel->n ? sel->n : 1, sizeof(**out));
	if (!*out) {
		fprintf(stderr, "modelctl: out of memory\n");
		return EXIT_REFUSED;
	}
	for (size_t i = 0; i < sel->n; i++) {
		if (mc_reader_sha256((*out)[i], r, sel->index[i]) != 0)
			return cmd_report_error();
	}
	return 0;
}

/* ---- JSON ------------------------------------------------------------- */

cJSON *cmd_json_u64(uint64_t n)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%" PRIu64, n);
	return cJSON_CreateRaw(buf); /* exact beyond 2^53, unlike a double */
}

cJSON *cmd_json_i64(int64_t n)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%" PRId64, n);
	return cJSON_CreateRaw(buf);
}

static cJSON *json_shape(const mc_shape *s)
{
	cJSON *a = cJSON_CreateArray();
	for (int i = 0; a && i < s->ndim; i++)
		cJSON_AddItemToArray(a, cmd_json_i64(s->dims[i]));
	return a;
}

static cJSON *json_float(double f)
{
	if (isnan(f))
		return cJSON_CreateString("nan");
	if (isinf(f))
		return cJSON_CreateString(f > 0 ? "inf" : "-inf");
	return cJSON_CreateNumber(f);
}

cJSON *cmd_json_bytes(const char *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	cJSON *o = cJSON_CreateObject();
	char *h = malloc(2 * n + 1);
	if (!o || !h) {
		free(h);
		cJSON_Delete(o);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		h[2 * i] = digits[(uint8_t)p[i] >> 4];
		h[2 * i + 1] = digits[(uint8_t)p[i] & 15];
	}
	h[2 * n] = '\0';
	cJSON_AddStringToObject(o, "bytes", h);
	free(h);
	return o;
}

/* The shortest text that reads back as the same value (a double, or with
 * `single` a float), as Python's repr prints floats: 0.9, not
 * 0.90000000000000002. */
static void format_shortest(char *buf, size_t size, double f, bool single)
{
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, size, "%.*g", prec, f);
		if (single ? strtof(buf, NULL) == (float)f : strtod(buf, NULL) == f)
			break;
	}
	if (!strpbrk(buf, ".eEni")) {
		size_t n = strlen(buf);
		if (n + 2 < size) {
			buf[n] = '.';
			buf[n + 1] = '0';
			buf[n + 2] = '\0';
		}
	}
}

void cmd_format_double(char *buf, size_t size, double f)
{
	format_shortest(buf, size, f, false);
}

void cmd_format_float(char *buf, size_t size, float f)
{
	format_shortest(buf, size, f, true);
}

static void key_string(char *buf, size_t size, const mc_value *k)
{
	switch (k->kind) {
	case MC_VALUE_STR:
	case MC_VALUE_BIGINT: snprintf(buf, size, "%s", k->u.s.p); break;
	case MC_VALUE_INT: snprintf(buf, size, "%" PRId64, k->u.i); break;
	case MC_VALUE_BOOL: snprintf(buf, size, "%s", k->u.b ? "True" : "False"); break;
	case MC_VALUE_NONE: snprintf(buf, size, "None"); break;
	case MC_VALUE_FLOAT: cmd_format_double(buf, size, k->u.f); break;
	default: snprintf(buf, size, "<%s key>", k->kind == MC_VALUE_TUPLE ? "tuple" : "object"); break;
	}
}

static cJSON *json_value(const mc_reader *r, const mc_value *v, int depth)
{
	cJSON *o;

	if (!v)
		return cJSON_CreateNull();
	if (depth > 200)
		return cJSON_CreateString("<nested too deep>");
	switch (v->kind) {
	case MC_VALUE_NONE: return cJSON_CreateNull();
	case MC_VALUE_BOOL: return cJSON_CreateBool(v->u.b);
	case MC_VALUE_INT: return cmd_json_i64(v->u.i);
	case MC_VALUE_BIGINT: return cJSON_CreateRaw(v->u.s.p);
	case MC_VALUE_FLOAT: return json_float(v->u.f);
	case MC_VALUE_STR: return cJSON_CreateString(v->u.s.p);
	case MC_VALUE_BYTES: return cmd_json_bytes(v->u.s.p, v->u.s.n);
	case MC_VALUE_TENSOR:
		o = cJSON_CreateObject();
		if (o)
			cJSON_AddStringToObject(o, "tensor", v->u.tensor < mc_reader_count(r)
			                                         ? mc_reader_tensor(r, v->u.tensor)->name
			                                         : "?");
		return o;
	case MC_VALUE_OBJECT:
		o = cJSON_CreateObject();
		if (o) {
			cJSON_AddStringToObject(o, "object", v->u.obj.type ? v->u.obj.type : "?");
			cJSON_AddItemToObject(o, "args", v->u.obj.args ? json_value(r, v->u.obj.args, depth + 1)
			                                               : cJSON_CreateArray());
		}
		return o;
	case MC_VALUE_DICT:
		o = cJSON_CreateObject();
		for (size_t i = 0; o && i < mc_value_len(v); i++) {
			char key[256];
			key_string(key, sizeof(key), mc_value_dict_key(v, i));
			cJSON_AddItemToObject(o, key, json_value(r, mc_value_dict_val(v, i), depth + 1));
		}
		return o;
	default: /* list, tuple, set */
		o = cJSON_CreateArray();
		for (size_t i = 0; o && i < mc_value_len(v); i++)
			cJSON_AddItemToArray(o, json_value(r, mc_value_at(v, i), depth + 1));
		return o;
	}
}

static int print_json(const dump_ctx *d, const char *file)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *tensors = cJSON_CreateArray();
	char *text;

	cJSON_AddStringToObject(root, "file", file);
	cJSON_AddStringToObject(root, "format", mc_reader_format(d->r));
	cJSON_AddItemToObject(root, "tensors", tensors);
	for (size_t i = 0; i < d->sel.n; i++) {
		const mc_tensor_info *t = mc_reader_tensor(d->r, d->sel.index[i]);
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", d->sel.name[i]);
		cJSON_AddStringToObject(o, "dtype", mc_dtype_name(t->dtype));
		cJSON_AddItemToObject(o, "shape", json_shape(&t->shape));
		cJSON_AddItemToObject(o, "nbytes", cmd_json_u64(t->nbytes));
		if (d->sha) {
			char h[65];
			cmd_sha256_hex(h, d->sha[i]);
			cJSON_AddStringToObject(o, "sha256", h);
		}
		cJSON_AddItemToArray(tensors, o);
	}
	cJSON_AddItemToObject(root, "values",
	                      d->values ? json_value(d->r, d->values, 0) : cJSON_CreateObject());
	cJSON_AddItemToObject(root, "metadata",
	                      d->metadata ? json_value(d->r, d->metadata, 0) : cJSON_CreateObject());
	text = cJSON_Print(root);
	cJSON_Delete(root);
	if (!text) {
		fprintf(stderr, "modelctl: out of memory\n");
		return EXIT_REFUSED;
	}
	fputs(text, stdout);
	fputc('\n', stdout);
	cJSON_free(text);
	return EXIT_OK;
}

/* ---- text ------------------------------------------------------------- */

static int is_container(const mc_value *v);

static void print_scalar(const mc_reader *r, const mc_value *v)
{
	switch (v->kind) {
	case MC_VALUE_NONE: fputs("None", stdout); break;
	case MC_VALUE_BOOL: fputs(v->u.b ? "True" : "False", stdout); break;
	case MC_VALUE_INT: printf("%" PRId64, v->u.i); break;
	case MC_VALUE_BIGINT: fputs(v->u.s.p, stdout); break;
	case MC_VALUE_FLOAT: {
		char num[64];
		cmd_format_double(num, sizeof(num), v->u.f);
		fputs(num, stdout);
		break;
	}
	case MC_VALUE_STR: printf("'%s'", v->u.s.p); break;
	case MC_VALUE_BYTES: printf("<%zu bytes>", v->u.s.n); break;
	case MC_VALUE_TENSOR:
		printf("<tensor %s>", v->u.tensor < mc_reader_count(r)
		                          ? mc_reader_tensor(r, v->u.tensor)->name : "?");
		break;
	case MC_VALUE_OBJECT:
		/* torch.device('cpu'): the constructor and its scalar arguments */
		printf("%s(", v->u.obj.type ? v->u.obj.type : "?");
		for (size_t i = 0; i < mc_value_len(v->u.obj.args); i++) {
			const mc_value *a = mc_value_at(v->u.obj.args, i);
			if (i)
				fputs(", ", stdout);
			if (is_container(a))
				fputs("...", stdout);
			else
				print_scalar(r, a);
		}
		fputc(')', stdout);
		break;
	default: break;
	}
}

static int is_container(const mc_value *v)
{
	return v->kind == MC_VALUE_DICT || v->kind == MC_VALUE_LIST || v->kind == MC_VALUE_TUPLE ||
	       v->kind == MC_VALUE_SET;
}

/* A short container of scalars prints on one line: [1, 2, 3]. */
static int is_flat(const mc_value *v)
{
	if (v->kind == MC_VALUE_DICT || mc_value_len(v) > 16)
		return 0;
	for (size_t i = 0; i < mc_value_len(v); i++)
		if (is_container(mc_value_at(v, i)))
			return 0;
	return 1;
}

/* Whether a subtree holds anything but tensors: the text view leaves
 * tensor-only branches out of the values tree, since the table lists them. */
static int has_plain(const mc_value *v, int depth)
{
	if (v->kind == MC_VALUE_TENSOR)
		return 0;
	if (!is_container(v) || !mc_value_len(v) || depth > 200)
		return 1;
	for (size_t i = 0; i < mc_value_len(v); i++) {
		const mc_value *item = v->kind == MC_VALUE_DICT ? mc_value_dict_val(v, i) : mc_value_at(v, i);
		if (has_plain(item, depth + 1))
			return 1;
	}
	return 0;
}

static void print_tree(const mc_reader *r, const mc_value *v, int indent, int depth)
{
	if (depth > 200) {
		printf("%*s...\n", indent, "");
		return;
	}
	if (v->kind == MC_VALUE_DICT) {
		for (size_t i = 0; i < mc_value_len(v); i++) {
			const mc_value *val = mc_value_dict_val(v, i);
			char key[256];
			if (!has_plain(val, depth + 1))
				continue;
			key_string(key, sizeof(key), mc_value_dict_key(v, i));
			printf("%*s%s:", indent, "", key);
			if (is_container(val) && !(val->kind != MC_VALUE_DICT && is_flat(val))) {
				if (!mc_value_len(val)) {
					fputs(val->kind == MC_VALUE_DICT ? " {}\n" : " []\n", stdout);
					continue;
				}
				fputc('\n', stdout);
				print_tree(r, val, indent + 2, depth + 1);
			} else {
				fputc(' ', stdout);
				print_tree(r, val, 0, depth + 1);
			}
		}
		return;
	}
	if (is_container(v) && is_flat(v)) {
		printf("%*s%c", indent, "", v->kind == MC_VALUE_TUPLE ? '(' : '[');
		for (size_t i = 0; i < mc_value_len(v); i++) {
			if (i)
				fputs(", ", stdout);
			print_scalar(r, mc_value_at(v, i));
		}
		printf("%c\n", v->kind == MC_VALUE_TUPLE ? ')' : ']');
		return;
	}
	if (is_container(v)) {
		for (size_t i = 0; i < mc_value_len(v); i++) {
			const mc_value *item = mc_value_at(v, i);
			if (!has_plain(item, depth + 1))
				continue;
			printf("%*s-", indent, "");
			if (is_container(item) && !is_flat(item)) {
				fputc('\n', stdout);
				print_tree(r, item, indent + 2, depth + 1);
			} else {
				fputc(' ', stdout);
				print_tree(r, item, 0, depth + 1);
			}
		}
		return;
	}
	printf("%*s", indent, "");
	print_scalar(r, v);
	fputc('\n', stdout);
}

void cmd_group_digits(char *buf, size_t size, uint64_t n)
{
	char raw[32];
	int len = snprintf(raw, sizeof(raw), "%" PRIu64, n);
	size_t j = 0;
	for (int i = 0; i < len && j + 2 < size; i++) {
		if (i && (len - i) % 3 == 0)
			buf[j++] = ',';
		buf[j++] = raw[i];
	}
	buf[j] = '\0';
}

void cmd_tensor_totals(uint64_t *params, uint64_t *bytes, const mc_reader *r,
                       const mc_selection *sel)
{
	*params = *bytes = 0;
	for (size_t i = 0; i < sel->n; i++) {
		const mc_tensor_info *t = mc_reader_tensor(r, sel->index[i]);
		uint64_t numel = 0;
		mc_shape_numel(&numel, &t->shape);
		*params += numel;
		*bytes += t->nbytes;
	}
}

void cmd_print_tensor_table(FILE *out, const mc_reader *r, const mc_selection *sel,
                            const uint8_t (*sha)[32])
{
	size_t wname = 4, wdtype = 5, wshape = 5, wbytes = 5;
	uint64_t params, total;
	char buf[64], p[64], shape[1024];

	for (size_t i = 0; i < sel->n; i++) {
		const mc_tensor_info *t = mc_reader_tensor(r, sel->index[i]);
		size_t n;
		if ((n = strlen(sel->name[i])) > wname)
			wname = n;
		if ((n = strlen(mc_dtype_name(t->dtype))) > wdtype)
			wdtype = n;
		if ((n = strlen(mc_shape_format(shape, sizeof(shape), &t->shape))) > wshape)
			wshape = n;
		cmd_group_digits(buf, sizeof(buf), t->nbytes);
		if ((n = strlen(buf)) > wbytes)
			wbytes = n;
	}
	if (sel->n) {
		fprintf(out, "\n%-*s  %-*s  %-*s  %*s%s\n", (int)wname, "NAME", (int)wdtype, "DTYPE",
		        (int)wshape, "SHAPE", (int)wbytes, "BYTES", sha ? "  SHA256" : "");
		for (size_t i = 0; i < sel->n; i++) {
			const mc_tensor_info *t = mc_reader_tensor(r, sel->index[i]);
			cmd_group_digits(buf, sizeof(buf), t->nbytes);
			fprintf(out, "%-*s  %-*s  %-*s  %*s", (int)wname, sel->name[i], (int)wdtype,
			        mc_dtype_name(t->dtype), (int)wshape,
			        mc_shape_format(shape, sizeof(shape), &t->shape), (int)wbytes, buf);
			if (sha) {
				char h[65];
				cmd_sha256_hex(h, sha[i]);
				fprintf(out, "  %s", h);
			}
			fputc('\n', out);
		}
	}
	cmd_tensor_totals(&params, &total, r, sel);
	cmd_group_digits(buf, sizeof(buf), total);
	cmd_group_digits(p, sizeof(p), params);
	fprintf(out, "\ntotal: %zu tensor%s, %s parameter%s, %s byte%s\n", sel->n,
	        sel->n == 1 ? "" : "s", p, params == 1 ? "" : "s", buf, total == 1 ? "" : "s");
}

static int print_text(const dump_ctx *d, const char *file)
{
	uint64_t params, total;
	char buf[64];

	cmd_tensor_totals(&params, &total, d->r, &d->sel);
	printf("file:     %s\n", file);
	printf("format:   %s\n", mc_reader_format(d->r));
	cmd_group_digits(buf, sizeof(buf), params);
	printf("tensors:  %zu (%s parameter%s, ", d->sel.n, buf, params == 1 ? "" : "s");
	printf("%s)\n", cmd_human_bytes(buf, sizeof(buf), total));
	if (d->metadata && mc_value_len(d->metadata)) {
		printf("\nmetadata:\n");
		print_tree(d->r, d->metadata, 2, 0);
	}
	if (d->values && mc_value_len(d->values) && has_plain(d->values, 0)) {
		printf("\nvalues:\n");
		print_tree(d->r, d->values, 2, 0);
	}
	cmd_print_tensor_table(stdout, d->r, &d->sel, (const uint8_t (*)[32])d->sha);
	return EXIT_OK;
}

int cmd_dump(int argc, char **argv)
{
	dump_opts o;
	dump_ctx d = {0};
	int rc = parse_args(&o, argc, argv);

	if (rc < 0)
		return cmd_print_help("dump");
	if (rc)
		return rc;
	if (mc_reader_open(&d.r, o.file) != 0)
		return cmd_report_error();
	if (mc_onnx_model_of(d.r)) {
		rc = dump_onnx(d.r, o.file, o.format, o.key, o.hash);
		goto out;
	}
	if (!strcmp(o.format, "dot")) {
		rc = cmd_usage_error("dump", "--format dot draws ONNX graphs; '%s' is a %s file", o.file,
		                     mc_reader_format(d.r));
		goto out;
	}
	if (mc_select(&d.sel, d.r, o.key) != 0) {
		rc = cmd_report_error();
		goto out;
	}
	d.values = mc_value_find(mc_reader_values(d.r), o.key);
	d.metadata = mc_reader_metadata(d.r);
	if (o.key && *o.key && !d.sel.n && !d.values) {
		fprintf(stderr, "modelctl: %s: no tensor or value under key '%s'\n", o.file, o.key);
		fprintf(stderr, "hint: run 'modelctl dump %s' to see the names it holds\n", o.file);
		rc = EXIT_REFUSED;
		goto out;
	}
	if (o.key && *o.key && d.values && !d.sel.n)
		d.metadata = NULL; /* a sub-tree of values alone */
	if (o.hash && (rc = cmd_hash_tensors(&d.sha, d.r, &d.sel)) != 0)
		goto out;
	rc = !strcmp(o.format, "json") ? print_json(&d, o.file) : print_text(&d, o.file);
	rc = cmd_finish_stdout(rc);
out:
	free(d.sha);
	mc_selection_release(&d.sel);
	mc_reader_close(d.r);
	return rc;
}
