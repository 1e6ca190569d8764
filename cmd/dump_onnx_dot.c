/* SPDX-License-Identifier: MIT */
/*
 * dump's Graphviz view of an ONNX model: graph inputs and outputs as
 * ellipses, nodes as boxes (with how many initializers they read, which are
 * not drawn), edges labelled with the value's name and shape, and the
 * subgraphs of If, Loop and Scan as dashed clusters.  A subgraph may use
 * the values of the graphs around it, so names resolve outward scope by
 * scope, and such edges are dashed.  Graphviz puts a node in the cluster
 * where it is first named, so edges are collected apart and written after
 * the last cluster is closed.
 */
#include <stdlib.h>
#include <string.h>

#include "dump_onnx.h"
#include "banned.h"

/* Indentation of DOT statements: one tab per cluster level (the walk's
 * depth cap keeps subgraph nesting far below this). */
static const char TABS[] = "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t"
                           "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t";

typedef struct dot_scope {
	const struct dot_scope *up; /* the graph holding this subgraph's node */
	const Onnx__GraphProto *g;
	size_t id;                  /* g<id>_n<i>, g<id>_i<i>, g<id>_o<i> name its shapes */
	dox_name_index made;        /* values the graph's inputs and nodes make */
	dox_name_index info;        /* inputs, outputs and value_info: types */
	dox_name_index init;        /* initializers */
} dot_scope;

static void scope_release(dot_scope *s)
{
	dox_name_index_release(&s->made);
	dox_name_index_release(&s->info);
	dox_name_index_release(&s->init);
}

static int scope_init(dot_scope *s, const Onnx__GraphProto *g, const dot_scope *up, size_t id)
{
	Onnx__ValueInfoProto *const *lists[3] = {g->input, g->output, g->value_info};
	size_t counts[3] = {g->n_input, g->n_output, g->n_value_info};
	size_t nmade = g->n_input, ninfo = g->n_input + g->n_output + g->n_value_info, pos = 0;

	memset(s, 0, sizeof(*s));
	s->up = up;
	s->g = g;
	s->id = id;
	for (size_t i = 0; i < g->n_node; i++)
		nmade += g->node[i]->n_output;
	s->made.v = malloc((nmade ? nmade : 1) * sizeof(dox_name_ref));
	s->info.v = malloc((ninfo ? ninfo : 1) * sizeof(dox_name_ref));
	if (!s->made.v || !s->info.v || dox_index_initializers(&s->init, g) != 0) {
		scope_release(s);
		return MC_ENOMEM;
	}
	for (size_t i = 0; i < g->n_input; i++, pos++)
		if (g->input[i]->name && !dox_name_find(&s->init, g->input[i]->name))
			s->made.v[s->made.n++] = (dox_name_ref){.name = g->input[i]->name, .pos = pos,
			                                        .kind = DOX_MADE_BY_INPUT, .index = i};
	for (size_t i = 0; i < g->n_node; i++)
		for (size_t j = 0; j < g->node[i]->n_output; j++, pos++)
			if (g->node[i]->output[j][0])
				s->made.v[s->made.n++] = (dox_name_ref){.name = g->node[i]->output[j],
				                                        .pos = pos, .kind = DOX_MADE_BY_NODE,
				                                        .index = i};
	qsort(s->made.v, s->made.n, sizeof(dox_name_ref), dox_name_ref_cmp);
	pos = 0;
	for (int l = 0; l < 3; l++)
		for (size_t i = 0; i < counts[l]; i++, pos++)
			if (lists[l][i]->name)
				s->info.v[s->info.n++] = (dox_name_ref){.name = lists[l][i]->name,
				                                        .pos = pos, .ptr = lists[l][i]};
	qsort(s->info.v, s->info.n, sizeof(dox_name_ref), dox_name_ref_cmp);
	return 0;
}

/* The DOT id of what makes `name` seen from scope s: a graph input or a
 * node of s or of a graph around it.  Returns the scope it was found in
 * (NULL: none, or an initializer, which is not drawn). */
static const dot_scope *scope_resolve(const dot_scope *s, const char *name, char *id, size_t size,
                                      bool *is_init)
{
	*is_init = false;
	for (; s; s = s->up) {
		const dox_name_ref *r = dox_name_find(&s->made, name);
		if (r) {
			snprintf(id, size, "g%zu_%c%zu", s->id,
			         r->kind == DOX_MADE_BY_INPUT ? 'i' : 'n', r->index);
			return s;
		}
		if (dox_name_find(&s->init, name)) {
			*is_init = true;
			return NULL;
		}
	}
	return NULL;
}

static const Onnx__ValueInfoProto *scope_info(const dot_scope *s, const char *name)
{
	for (; s; s = s->up) {
		const dox_name_ref *r = dox_name_find(&s->info, name);
		if (r)
			return r->ptr;
	}
	return NULL;
}

/* "name\n[batch, 8]" when the shape is known. */
static void dot_value_label(FILE *out, const dot_scope *s, const char *name)
{
	const Onnx__ValueInfoProto *vi = scope_info(s, name);
	mc_onnx_tensor_type tt;
	char sh[1024];

	dox_dot_esc(out, name);
	if (vi && mc_onnx_tensor_type_of(&tt, vi->type) == 0 && tt.rank >= 0) {
		fputs("\\n", out);
		dox_dot_esc(out, dox_shape_text(sh, sizeof(sh), &tt));
	}
}

static void dot_io(FILE *out, int indent, const char *id, const Onnx__ValueInfoProto *vi,
                   bool output)
{
	char dt[256], sh[1024];

	dox_type_cols(dt, sizeof(dt), sh, sizeof(sh), vi->type);
	fprintf(out, "%.*s%s [shape=ellipse%s, label=\"", indent, TABS, id,
	        output ? ", peripheries=2" : "");
	dox_dot_esc(out, vi->name);
	fputs("\\n", out);
	dox_dot_esc(out, dt);
	if (sh[0]) {
		fputc(' ', out);
		dox_dot_esc(out, sh);
	}
	fputs("\"];\n", out);
}

/* Draws graph g: its inputs and outputs as ellipses, its nodes as boxes,
 * then the clusters of its subgraphs.  Edges go to `edges`, which the
 * caller writes after every cluster is closed: an edge written inside a
 * cluster would pull the nodes it names into that cluster.  `anchor`
 * receives a shape inside the graph that an edge can point at. */
static int dot_graph(ox *d, FILE *out, FILE *edges, const Onnx__GraphProto *g,
                     const dot_scope *up, size_t id, int indent, char *anchor, size_t asize)
{
	dot_scope s;
	char from[64], to[64];
	bool init;
	int rc;

	if ((rc = scope_init(&s, g, up, id)) != 0)
		return rc;
	anchor[0] = '\0';
	for (size_t i = 0; i < g->n_input; i++) {
		if (dox_name_find(&s.init, dox_str(g->input[i]->name)))
			continue;
		snprintf(to, sizeof(to), "g%zu_i%zu", id, i);
		dot_io(out, indent, to, g->input[i], false);
		if (!anchor[0])
			snprintf(anchor, asize, "%s", to);
	}
	for (size_t i = 0; i < g->n_node; i++) {
		const Onnx__NodeProto *n = g->node[i];
		size_t ninit = 0;
		char op[256];

		for (size_t j = 0; j < n->n_input; j++)
			if (n->input[j][0] && !scope_resolve(&s, n->input[j], from, sizeof(from), &init) &&
			    init)
				ninit++;
		dox_op_name(op, sizeof(op), n);
		fprintf(out, "%.*sg%zu_n%zu [shape=box, label=\"", indent, TABS, id, i);
		dox_dot_esc(out, op);
		if (n->name && n->name[0]) {
			fputs("\\n", out);
			dox_dot_esc(out, n->name);
		}
		if (ninit)
			fprintf(out, "\\n%zu initializer%s", ninit, ninit == 1 ? "" : "s");
		fputs("\"];\n", out);
		if (!anchor[0])
			snprintf(anchor, asize, "g%zu_n%zu", id, i);
	}
	for (size_t i = 0; i < g->n_output; i++) {
		snprintf(to, sizeof(to), "g%zu_o%zu", id, i);
		dot_io(out, indent, to, g->output[i], true);
		if (!anchor[0])
			snprintf(anchor, asize, "%s", to);
	}
	if (!anchor[0]) {
		/* an empty graph still needs a shape for its cluster to exist */
		snprintf(anchor, asize, "g%zu_empty", id);
		fprintf(out, "%.*s%s [shape=plaintext, label=\"(empty)\"];\n", indent, TABS, anchor);
	}

	for (size_t i = 0; i < g->n_node; i++) {
		const Onnx__NodeProto *n = g->node[i];
		for (size_t j = 0; j < n->n_input; j++) {
			const dot_scope *at;
			if (!n->input[j][0] ||
			    !(at = scope_resolve(&s, n->input[j], from, sizeof(from), &init)))
				continue;
			fprintf(edges, "\t%s -> g%zu_n%zu [label=\"", from, id, i);
			dot_value_label(edges, &s, n->input[j]);
			fprintf(edges, "\"%s];\n", at != &s ? ", style=dashed" : "");
		}
	}
	for (size_t i = 0; i < g->n_output; i++) {
		const dot_scope *at;
		if (!g->output[i]->name ||
		    !(at = scope_resolve(&s, g->output[i]->name, from, sizeof(from), &init)))
			continue;
		fprintf(edges, "\t%s -> g%zu_o%zu%s;\n", from, id, i,
		        at != &s ? " [style=dashed]" : "");
	}

	for (size_t i = 0; i < g->n_node && rc == 0; i++) {
		const Onnx__NodeProto *n = g->node[i];
		for (size_t j = 0; j < n->n_attribute && rc == 0; j++) {
			const Onnx__AttributeProto *a = n->attribute[j];
			Onnx__GraphProto *const *graphs;
			size_t k = dox_attr_graphs(a, &graphs);
			bool many = mc_onnx_attr_type(a) == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS;
			for (size_t gi = 0; gi < k && rc == 0; gi++) {
				size_t sub = ++d->next_cluster;
				char sub_anchor[64], index[32] = "";
				if (many)
					snprintf(index, sizeof(index), "[%zu]", gi);
				fprintf(out, "%.*ssubgraph cluster_%zu {\n", indent, TABS, sub);
				fprintf(out, "%.*slabel=\"", indent + 1, TABS);
				dox_dot_esc(out, a->name);
				fprintf(out, "%s: ", index);
				dox_dot_esc(out, graphs[gi]->name);
				fprintf(out, "\";\n%.*sstyle=dashed;\n", indent + 1, TABS);
				rc = dot_graph(d, out, edges, graphs[gi], &s, sub, indent + 1, sub_anchor,
				               sizeof(sub_anchor));
				fprintf(out, "%.*s}\n", indent, TABS);
				fprintf(edges, "\tg%zu_n%zu -> %s [style=dotted, arrowhead=odot, "
				               "lhead=cluster_%zu, label=\"",
				        id, i, sub_anchor, sub);
				dox_dot_esc(edges, a->name);
				fprintf(edges, "%s\"];\n", index);
			}
		}
	}
	scope_release(&s);
	return rc;
}

void dox_dot_view(ox *d, FILE *out)
{
	char *ebuf = NULL, anchor[64];
	size_t elen = 0;
	FILE *edges = open_memstream(&ebuf, &elen);
	int rc;

	if (!edges) {
		d->nomem = true;
		return;
	}
	fputs("digraph \"", out);
	dox_dot_esc(out, d->g->name);
	fputs("\" {\n"
	      "\trankdir=TB;\n"
	      "\tcompound=true;\n"
	      "\tgraph [fontname=\"Helvetica\", fontsize=10];\n"
	      "\tnode [fontname=\"Helvetica\", fontsize=10];\n"
	      "\tedge [fontname=\"Helvetica\", fontsize=8];\n",
	      out);
	rc = dot_graph(d, out, edges, d->g, NULL, 0, 1, anchor, sizeof(anchor));
	if (ferror(edges) || fclose(edges) != 0 || rc != 0) {
		d->nomem = true;
	} else {
		fwrite(ebuf, 1, elen, out);
		fputs("}\n", out);
	}
	free(ebuf);
}
