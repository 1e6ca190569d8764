/* SPDX-License-Identifier: MIT */
/*
 * modelctl dump for ONNX models: what Netron's side panel and polygraphy's
 * `inspect model` show, as text, as JSON in the contract's shape or as a
 * Graphviz graph (dump_onnx_text.c, dump_onnx_json.c, dump_onnx_dot.c, over
 * the helpers of dump_onnx_util.c).  This file picks the initializers --key
 * selects, hashes them, and runs the view.  Text and dot are written to
 * memory first and JSON is built as a tree, so a read that fails (a hash, a
 * small constant's elements) refuses the file before anything reaches
 * stdout.
 */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "dump_onnx.h"
#include "banned.h"

int dump_onnx(mc_reader *r, const char *file, const char *format, const char *key, int hash)
{
	ox d = {0};
	char *buf = NULL;
	size_t len = 0;
	FILE *out;
	int rc;

	d.r = r;
	d.m = mc_onnx_model_of(r);
	d.mp = mc_onnx_proto(d.m);
	d.g = mc_onnx_graph(d.m);
	d.file = file;
	d.key = key;
	if (mc_select(&d.sel, r, key) != 0) {
		rc = cmd_report_error();
		goto out;
	}
	if (key && *key && !d.sel.n) {
		fprintf(stderr, "modelctl: %s: no initializer under key '%s'\n", file, key);
		fprintf(stderr, "hint: run 'modelctl dump %s' to see the names it holds\n", file);
		rc = EXIT_REFUSED;
		goto out;
	}
	/* the graph drawing has no table to put hashes in */
	if (hash && strcmp(format, "dot") != 0 && (rc = cmd_hash_tensors(&d.sha, r, &d.sel)) != 0)
		goto out;
	if (!strcmp(format, "json")) {
		rc = dox_json_view(&d);
		goto out;
	}
	if (!(out = open_memstream(&buf, &len))) {
		d.nomem = true;
	} else {
		if (!strcmp(format, "dot"))
			dox_dot_view(&d, out);
		else
			dox_text_view(&d, out);
		if (ferror(out))
			d.nomem = true;
		if (fclose(out) != 0)
			d.nomem = true;
	}
	if (d.failed) {
		rc = cmd_report_error();
	} else if (d.nomem) {
		fprintf(stderr, "modelctl: out of memory\n");
		rc = EXIT_REFUSED;
	} else {
		fwrite(buf, 1, len, stdout);
		rc = cmd_finish_stdout(EXIT_OK);
	}
out:
	free(buf);
	free(d.sha);
	mc_selection_release(&d.sel);
	return rc;
}
