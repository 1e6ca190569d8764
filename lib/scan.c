/* SPDX-License-Identifier: MIT */
/*
 * Scanning a file for content that would run code when loaded.  The format
 * is sniffed as for reading; its own scan callback (if any) lists what it
 * finds inside (every pickle's globals, container integrity), and then the
 * same reader that `dump` uses opens the file, so a file scan calls safe is
 * one the readers accept.  Tensor data is not read: a scan of a multi-GB
 * checkpoint touches its directory and pickles only.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "format.h"
#include "banned.h"

int mc_scan_add(mc_scan_report *rep, const char *kind, bool unsafe, const char *entry,
                int64_t offset, const char *fmt, ...)
{
	mc_finding *f;
	char detail[1024];
	va_list ap;

	if (rep->count == rep->cap) {
		size_t cap = rep->cap ? rep->cap * 2 : 8;
		mc_finding *grown = realloc(rep->findings, cap * sizeof(*grown));
		if (!grown)
			return mc_nomem();
		rep->findings = grown;
		rep->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	f = &rep->findings[rep->count];
	f->kind = kind;
	f->detail = strdup(detail);
	f->entry = strdup(entry ? entry : "");
	f->offset = offset;
	f->unsafe = unsafe;
	if (!f->detail || !f->entry) {
		free(f->detail);
		free(f->entry);
		return mc_nomem();
	}
	rep->count++;
	if (unsafe)
		rep->verdict = MC_VERDICT_UNSAFE;
	else if ((!strcmp(kind, "error") || !strcmp(kind, "integrity")) &&
	         rep->verdict == MC_VERDICT_SAFE)
		rep->verdict = MC_VERDICT_ERROR;
	return 0;
}

/* Turn the last recorded error into a finding: refusals for safety are
 * unsafe findings, anything else means the file cannot be parsed. */
static int add_error(mc_scan_report *rep)
{
	const mc_error *e = mc_error_last();
	bool unsafe = e->code == MC_EUNSAFE;
	char msg[sizeof(e->msg) + sizeof(e->hint) + 8];

	if (e->code == MC_ENOMEM)
		return MC_ENOMEM;
	snprintf(msg, sizeof(msg), "%s%s%s", e->msg, e->hint[0] ? "; " : "", e->hint);
	return mc_scan_add(rep, unsafe ? "unsafe" : "error", unsafe, e->entry, e->offset, "%s", msg);
}

int mc_scan_file(mc_scan_report *out, const char *path)
{
	const mc_format *fmt;
	mc_reader *r = NULL;
	mc_map *map = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	out->format = "";
	out->verdict = MC_VERDICT_SAFE;
	if (!(out->path = strdup(path)))
		return mc_nomem();
	mc_error_clear();
	if (mc_map_open(&map, path) != 0)
		return add_error(out);
	fmt = mc_format_sniff(map->data, map->len < MC_SNIFF_BYTES ? map->len : MC_SNIFF_BYTES);
	if (!fmt) {
		rc = mc_scan_add(out, "error", false, NULL, -1,
		                 map->len ? "unrecognised file format" : "empty file");
		goto out;
	}
	out->format = fmt->name;
	if (fmt->scan) {
		mc_error_clear();
		rc = fmt->scan(map, out);
		if (rc == MC_ENOMEM)
			goto out;
		if (rc && (rc = add_error(out)) != 0)
			goto out;
	}
	/* The reader's own checks; a refusal already reported by the format's
	 * scan is not reported twice. */
	mc_error_clear();
	rc = mc_reader_open_as(&r, path, fmt->name);
	if (rc) {
		rc = (out->verdict == MC_VERDICT_SAFE) ? add_error(out) : 0;
		if (rc == MC_ENOMEM)
			goto out;
		rc = 0;
	}
out:
	mc_reader_close(r);
	mc_map_close(map);
	return rc;
}

void mc_scan_report_release(mc_scan_report *rep)
{
	if (!rep)
		return;
	for (size_t i = 0; i < rep->count; i++) {
		free(rep->findings[i].detail);
		free(rep->findings[i].entry);
	}
	free(rep->findings);
	free(rep->path);
	memset(rep, 0, sizeof(*rep));
}
