/* SPDX-License-Identifier: MIT */
/*
 * dump's text view of an ONNX model, for a person at a terminal: IR and
 * opset versions, producer, metadata, graph inputs and outputs with their
 * symbolic dims, the initializers' totals, an operator histogram, every node
 * in file order with its inputs, outputs and attributes (subgraph bodies
 * indented under their node), and the initializer table the checkpoint view
 * prints.  Long lists and strings are shortened so that a node takes a line
 * or two; the JSON view keeps them whole for scripts.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "dump_onnx.h"
#include "banned.h"

/* Text shows lists of up to LIST_MAX items whole, longer ones as their first
 * LIST_HEAD items and a count (JSON keeps them whole). */
#define LIST_MAX 16
#define LIST_HEAD 8
/* Text shortens string attributes and the model's doc string to this many
 * bytes. */
#define TEXT_STR_MAX 80

/* ---- operator histogram ------------------------------------------------------ */

static size_t count_nodes(const Onnx__GraphProto *g)
{
	size_t n = g->n_node;
	for (size_t i = 0; i < g->n_node; i++)
		for (size_t j = 0; j < g->node[i]->n_attribute; j++) {
			Onnx__GraphProto *const *sub;
			size_t k = dox_attr_graphs(g->node[i]->attribute[j], &sub);
			while (k-- > 0)
				n += count_nodes(sub[k]);
		}
	return n;
}

static void collect_nodes(const Onnx__NodeProto **v, size_t *n, const Onnx__GraphProto *g)
{
	for (size_t i = 0; i < g->n_node; i++) {
		v[(*n)++] = g->node[i];
		for (size_t j = 0; j < g->node[i]->n_attribute; j++) {
			Onnx__GraphProto *const *sub;
			size_t k = dox_attr_graphs(g->node[i]->attribute[j], &sub);
			for (size_t s = 0; s < k; s++)
				collect_nodes(v, n, sub[s]);
		}
	}
}

static int node_op_cmp(const void *pa, const void *pb)
{
	const Onnx__NodeProto *a = *(const Onnx__NodeProto *const *)pa;
	const Onnx__NodeProto *b = *(const Onnx__NodeProto *const *)pb;
	int c = strcmp(dox_default_domain(a->domain) ? "" : a->domain,
	               dox_default_domain(b->domain) ? "" : b->domain);
	return c ? c : strcmp(dox_str(a->op_type), dox_str(b->op_type));
}

typedef struct op_count {
	const Onnx__NodeProto *node; /* one node of the operator */
	size_t n;
} op_count;

static int op_count_cmp(const void *pa, const void *pb)
{
	const op_count *a = pa, *b = pb;
	char na[256], nb[256];

	if (a->n != b->n)
		return a->n > b->n ? -1 : 1;
	dox_op_name(na, sizeof(na), a->node);
	dox_op_name(nb, sizeof(nb), b->node);
	return strcmp(na, nb);
}

/* "operators (7 nodes): Conv 2, Relu 2, Flatten 1": every graph's nodes,
 * subgraphs' included, by count then name. */
static void text_histogram(ox *d, FILE *out)
{
	size_t total = count_nodes(d->g), n = 0, nops = 0;
	const Onnx__NodeProto **v = malloc((total ? total : 1) * sizeof(*v));
	op_count *ops = malloc((total ? total : 1) * sizeof(*ops));

	if (!v || !ops) {
		d->nomem = true;
		goto out;
	}
	collect_nodes(v, &n, d->g);
	qsort(v, n, sizeof(*v), node_op_cmp);
	for (size_t i = 0; i < n; i++) {
		if (i && node_op_cmp(&v[i - 1], &v[i]) == 0) {
			ops[nops - 1].n++;
			continue;
		}
		ops[nops].node = v[i];
		ops[nops++].n = 1;
	}
	qsort(ops, nops, sizeof(*ops), op_count_cmp);
	fprintf(out, "operators (%zu node%s", total, total == 1 ? "" : "s");
	if (total > d->g->n_node)
		fprintf(out, ", %zu in subgraphs", total - d->g->n_node);
	fputs(nops ? "): " : ")", out);
	for (size_t i = 0; i < nops; i++) {
		char name[256];
		dox_op_name(name, sizeof(name), ops[i].node);
		fputs(i ? ", " : "", out);
		dox_put_name(out, name);
		fprintf(out, " %zu", ops[i].n);
	}
	fputc('\n', out);
out:
	free(v);
	free(ops);
}

/* ---- text ---------------------------------------------------------------- */

static void text_header(ox *d, FILE *out)
{
	const Onnx__ModelProto *mp = d->mp;
	const char *prod = dox_str(mp->producer_name), *pver = dox_str(mp->producer_version);

	fprintf(out, "file:      %s\n", d->file);
	fprintf(out, "format:    onnx (IR %" PRId64, mp->ir_version);
	for (size_t i = 0; i < mp->n_opset_import; i++) {
		const Onnx__OperatorSetIdProto *op = mp->opset_import[i];
		fputs(i ? ", " : mp->n_opset_import > 1 ? ", opsets " : ", opset ", out);
		dox_put_name(out, dox_default_domain(op->domain) ? "ai.onnx" : op->domain);
		fprintf(out, " %" PRId64, op->version);
	}
	fputs(")\n", out);
	if (prod[0] || pver[0]) {
		fputs("producer:  ", out);
		dox_put_name(out, prod[0] ? prod : "?");
		if (pver[0]) {
			fputc(' ', out);
			dox_put_name(out, pver);
		}
		fputc('\n', out);
	}
	fputs("graph:     ", out);
	dox_put_name(out, d->g->name);
	fputc('\n', out);
	if ((mp->domain && mp->domain[0]) || mp->has_model_version) {
		fputs("model:     ", out);
		if (mp->domain && mp->domain[0]) {
			fputs("domain ", out);
			dox_put_name(out, mp->domain);
		}
		if (mp->has_model_version)
			fprintf(out, "%sversion %" PRId64, mp->domain && mp->domain[0] ? ", " : "",
			        mp->model_version);
		fputc('\n', out);
	}
	if (mp->doc_string && mp->doc_string[0]) {
		fputs("doc:       ", out);
		dox_put_esc(out, mp->doc_string, strlen(mp->doc_string), TEXT_STR_MAX);
		fputc('\n', out);
	}
	if (mp->n_functions) {
		fprintf(out, "functions: %zu:", mp->n_functions);
		for (size_t i = 0; i < mp->n_functions; i++) {
			const Onnx__FunctionProto *f = mp->functions[i];
			fputs(i ? ", " : " ", out);
			if (!dox_default_domain(f->domain)) {
				dox_put_name(out, f->domain);
				fputc('.', out);
			}
			dox_put_name(out, f->name);
		}
		fputc('\n', out);
	}
	for (size_t i = 0; i < mp->n_metadata_props; i++) {
		const Onnx__StringStringEntryProto *kv = mp->metadata_props[i];
		fputs(i ? "           " : "metadata:  ", out);
		dox_put_name(out, kv->key);
		fputs(": ", out);
		dox_put_name(out, kv->value);
		fputc('\n', out);
	}
}

/* One "name  dtype  shape" line per graph input (initializers left out) and
 * output, in aligned columns. */
static void text_values(ox *d, FILE *out)
{
	const Onnx__GraphProto *g = d->g;
	size_t wname = 0, wdtype = 0;
	char dt[256], sh[1024];

	for (int pass = 0; pass < 2; pass++) {
		for (int io = 0; io < 2; io++) {
			Onnx__ValueInfoProto *const *v = io ? g->output : g->input;
			size_t n = io ? g->n_output : g->n_input, shown = 0;
			if (pass)
				fputs(io ? "outputs:" : "\ninputs:", out);
			for (size_t i = 0; i < n; i++) {
				if (!io && dox_is_initializer(d, NULL, v[i]->name))
					continue;
				dox_type_cols(dt, sizeof(dt), sh, sizeof(sh), v[i]->type);
				if (!pass) {
					size_t l = strlen(dox_str(v[i]->name));
					wname = l > wname ? l : wname;
					/* a type without a shape (a sequence's) ends its line */
					if (sh[0] && strlen(dt) > wdtype)
						wdtype = strlen(dt);
					continue;
				}
				fputs(shown++ ? "  " : "\n  ", out);
				dox_put_name(out, v[i]->name);
				fprintf(out, "%*s", (int)(wname - strlen(dox_str(v[i]->name)) + 2), "");
				if (sh[0]) {
					fprintf(out, "%-*s  ", (int)wdtype, dt);
					dox_put_name(out, sh);
				} else {
					dox_put_name(out, dt);
				}
				fputc('\n', out);
			}
			if (pass && !shown)
				fputs(" (none)\n", out);
		}
	}
}

/* Opens item i of a list, or once LIST_HEAD items of a long one are shown
 * closes it with "…] (N values)" and returns false: the rest is left out. */
static bool list_sep(FILE *out, size_t i, size_t n)
{
	if (n > LIST_MAX && i == LIST_HEAD) {
		fprintf(out, ", …] (%zu values)", n);
		return false;
	}
	fputs(i ? ", " : "[", out);
	return true;
}

static void list_end(FILE *out, size_t n)
{
	if (n <= LIST_MAX)
		fputs(n ? "]" : "[]", out);
}

static void text_bytes(FILE *out, const ProtobufCBinaryData *s)
{
	fputc('\'', out);
	dox_put_esc(out, (const char *)s->data, s->len, TEXT_STR_MAX);
	fputc('\'', out);
}

/* "tensor(float32 [2, 3])", with the elements of a small one after a
 * colon: "tensor(int64 [2]: 1, -1)". */
static void text_tensor(ox *d, FILE *out, const Onnx__TensorProto *t)
{
	dox_small_tensor st;
	char e[64];
	int rc;

	if (!t) {
		fputs("tensor(?)", out);
		return;
	}
	if ((rc = dox_small_tensor_load(&st, d, t)) != 0) {
		d->failed = true;
		return;
	}
	fprintf(out, "tensor(%s [", st.dtype ? st.dtype : "?");
	for (size_t i = 0; i < st.ndims; i++)
		fprintf(out, "%s%" PRId64, i ? ", " : "", st.dims[i]);
	fputc(']', out);
	for (size_t i = 0; st.data && i < st.n; i++) {
		mc_dtype part = dox_complex_part(st.dt);
		fputs(i ? ", " : ": ", out);
		if (part) {
			size_t w = mc_dtype_size(part);
			char im[64];
			dox_elem_text(e, sizeof(e), part, st.data + 2 * w * i);
			dox_elem_text(im, sizeof(im), part, st.data + 2 * w * i + w);
			fprintf(out, "(%s%s%sj)", e, im[0] == '-' ? "" : "+", im);
		} else {
			dox_elem_text(e, sizeof(e), st.dt, st.data + dox_elem_width(st.dt) * i);
			fputs(e, out);
		}
	}
	fputc(')', out);
	dox_small_tensor_release(&st);
}

static void text_sparse(FILE *out, const Onnx__SparseTensorProto *s)
{
	const char *dt = s && s->values && s->values->has_data_type
	                         ? mc_onnx_type_name(s->values->data_type) : NULL;

	fprintf(out, "sparse_tensor(%s [", dt ? dt : "?");
	for (size_t i = 0; s && i < s->n_dims; i++)
		fprintf(out, "%s%" PRId64, i ? ", " : "", s->dims[i]);
	fputs("])", out);
}

static void text_type(FILE *out, const Onnx__TypeProto *tp)
{
	char buf[512];
	dox_put_name(out, mc_onnx_type_format(buf, sizeof(buf), tp));
}

/* An attribute's value as "name=value" text (graphs are listed apart). */
static void text_attr(ox *d, FILE *out, const Onnx__AttributeProto *a)
{
	char num[64];
	size_t i;

	dox_put_name(out, a->name);
	fputc('=', out);
	switch (mc_onnx_attr_type(a)) {
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT:
		dox_float_text(num, sizeof(num), a->f);
		fputs(num, out);
		break;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT: fprintf(out, "%" PRId64, a->i); break;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING: text_bytes(out, &a->s); break;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR: text_tensor(d, out, a->t); break;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSOR:
		text_sparse(out, a->sparse_tensor);
		break;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTO: text_type(out, a->tp); break;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
		for (i = 0; i < a->n_floats && list_sep(out, i, a->n_floats); i++) {
			dox_float_text(num, sizeof(num), a->floats[i]);
			fputs(num, out);
		}
		list_end(out, a->n_floats);
		break;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
		for (i = 0; i < a->n_ints && list_sep(out, i, a->n_ints); i++)
			fprintf(out, "%" PRId64, a->ints[i]);
		list_end(out, a->n_ints);
		break;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS:
		for (i = 0; i < a->n_strings && list_sep(out, i, a->n_strings); i++)
			text_bytes(out, &a->strings[i]);
		list_end(out, a->n_strings);
		break;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSORS:
		for (i = 0; i < a->n_tensors && list_sep(out, i, a->n_tensors) && !d->failed; i++)
			text_tensor(d, out, a->tensors[i]);
		list_end(out, a->n_tensors);
		break;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSORS:
		for (i = 0; i < a->n_sparse_tensors && list_sep(out, i, a->n_sparse_tensors); i++)
			text_sparse(out, a->sparse_tensors[i]);
		list_end(out, a->n_sparse_tensors);
		break;
	case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTOS:
		for (i = 0; i < a->n_type_protos && list_sep(out, i, a->n_type_protos); i++)
			text_type(out, a->type_protos[i]);
		list_end(out, a->n_type_protos);
		break;
	default: fputc('?', out); break;
	}
}

/* "in:  a, b" (empty names, an optional input left out, as ""). */
static void text_names(FILE *out, int indent, const char *label, char *const *names, size_t n)
{
	if (!n)
		return;
	fprintf(out, "%*s%s", indent, "", label);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? ", " : "", out);
		if (names[i][0])
			dox_put_name(out, names[i]);
		else
			fputs("\"\"", out);
	}
	fputc('\n', out);
}

static void text_value_names(FILE *out, int indent, const char *label,
                             Onnx__ValueInfoProto *const *v, size_t n)
{
	if (!n)
		return;
	fprintf(out, "%*s%s", indent, "", label);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? ", " : "", out);
		dox_put_name(out, v[i]->name);
	}
	fputc('\n', out);
}

static void text_nodes(ox *d, FILE *out, const Onnx__GraphProto *g, int indent);

/* "then_branch: graph 'then' (2 nodes)", its inputs and outputs, and its
 * nodes, indented under the node that holds it. */
static void text_subgraph(ox *d, FILE *out, const Onnx__GraphProto *sub, const char *label,
                          int indent)
{
	size_t ninit = sub->n_initializer;

	fprintf(out, "%*s", indent, "");
	dox_put_name(out, label);
	fputs(": graph '", out);
	dox_put_name(out, sub->name);
	fprintf(out, "' (%zu node%s", sub->n_node, sub->n_node == 1 ? "" : "s");
	if (ninit)
		fprintf(out, ", %zu initializer%s", ninit, ninit == 1 ? "" : "s");
	fputs(")\n", out);
	text_value_names(out, indent + 2, "in:  ", sub->input, sub->n_input);
	text_value_names(out, indent + 2, "out: ", sub->output, sub->n_output);
	text_nodes(d, out, sub, indent + 2);
}

static void text_nodes(ox *d, FILE *out, const Onnx__GraphProto *g, int indent)
{
	int widx = snprintf(NULL, 0, "%zu", g->n_node ? g->n_node - 1 : 0);
	size_t wop = 0;
	char op[256];

	for (size_t i = 0; i < g->n_node; i++) {
		dox_op_name(op, sizeof(op), g->node[i]);
		wop = strlen(op) > wop ? strlen(op) : wop;
	}
	for (size_t i = 0; i < g->n_node && !d->failed; i++) {
		const Onnx__NodeProto *n = g->node[i];
		int sub = indent + widx + 4;
		bool any = false;

		dox_op_name(op, sizeof(op), n);
		fprintf(out, "%*s%*zu  ", indent, "", widx, i);
		dox_put_name(out, op);
		if (n->name && n->name[0]) {
			fprintf(out, "%*s", (int)(wop - strlen(op) + 2), "");
			dox_put_name(out, n->name);
		}
		fputc('\n', out);
		text_names(out, sub, "in:  ", n->input, n->n_input);
		text_names(out, sub, "out: ", n->output, n->n_output);
		for (size_t j = 0; j < n->n_attribute && !d->failed; j++) {
			if (dox_is_graph_attr(n->attribute[j]))
				continue;
			fprintf(out, any ? " " : "%*s", sub, "");
			any = true;
			text_attr(d, out, n->attribute[j]);
		}
		if (any)
			fputc('\n', out);
		for (size_t j = 0; j < n->n_attribute && !d->failed; j++) {
			const Onnx__AttributeProto *a = n->attribute[j];
			Onnx__GraphProto *const *graphs;
			size_t k = dox_attr_graphs(a, &graphs);
			if (mc_onnx_attr_type(a) == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH) {
				if (k)
					text_subgraph(d, out, graphs[0], dox_str(a->name), sub);
				continue;
			}
			for (size_t s = 0; s < k && !d->failed; s++) {
				char label[300];
				snprintf(label, sizeof(label), "%s[%zu]", dox_str(a->name), s);
				text_subgraph(d, out, graphs[s], label, sub);
			}
		}
	}
}

void dox_text_view(ox *d, FILE *out)
{
	uint64_t params, bytes;
	char p[64], b[64];

	text_header(d, out);
	text_values(d, out);
	cmd_tensor_totals(&params, &bytes, d->r, &d->sel);
	cmd_group_digits(p, sizeof(p), params);
	cmd_human_bytes(b, sizeof(b), bytes);
	fprintf(out, "\ninitializers: %zu", d->sel.n);
	if (d->key && d->key[0]) {
		fprintf(out, " of %zu under '", mc_reader_count(d->r));
		dox_put_name(out, d->key);
		fputc('\'', out);
	}
	fprintf(out, " (%s parameter%s, %s)\n", p, params == 1 ? "" : "s", b);
	text_histogram(d, out);
	if (d->g->n_node) {
		fputs("\nnodes:\n", out);
		text_nodes(d, out, d->g, 2);
	}
	if (!d->failed)
		cmd_print_tensor_table(out, d->r, &d->sel, (const uint8_t(*)[32])d->sha);
}
