/* SPDX-License-Identifier: MIT */
/*
 * modelctl scan: is this file safe to load?  Every file named, and every
 * model file under a directory named, is scanned by the library without
 * executing anything; the report lists every global each pickle imports
 * with its verdict, and what else was found.  Exit 0 when every file is
 * safe, 1 when any holds unsafe content, 3 when any cannot be parsed.
 */
#include <dirent.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "cmd.h"
#include "banned.h"

/* Directory walks stop here: deeper trees are almost surely loops or traps. */
#define SCAN_MAX_DEPTH 64

typedef struct scan_list {
	mc_scan_report *items;
	size_t n, cap;
} scan_list;

typedef struct scan_opts {
	int json;
} scan_opts;

/* Files in a walked directory that are scanned even when their content is
 * not recognised: the extensions model files travel under. */
static const char *const model_exts[] = {
	".pt", ".pth", ".bin", ".ckpt", ".pkl", ".pickle", ".joblib", ".dat", ".data",
	".npy", ".npz", ".safetensors", ".onnx", ".gguf", ".zip", ".tar", ".model",
};

static int has_model_ext(const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < sizeof(model_exts) / sizeof(model_exts[0]); i++) {
		size_t e = strlen(model_exts[i]);
		if (n > e && strcmp(name + n - e, model_exts[i]) == 0)
			return 1;
	}
	return 0;
}

static int add_report(scan_list *l, const char *path, int from_walk)
{
	mc_scan_report rep;
	int rc = mc_scan_file(&rep, path);

	if (rc) /* out of memory */
		return cmd_report_error();
	/* In a walked directory, a file that is neither recognised nor named
	 * like a model (config.json, a README) is not a model file: skip it. */
	if (from_walk && !rep.format[0] && !has_model_ext(path)) {
		mc_scan_report_release(&rep);
		return 0;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		mc_scan_report *grown = realloc(l->items, cap * sizeof(*grown));
		if (!grown) {
			mc_scan_report_release(&rep);
			fprintf(stderr, "modelctl: out of memory\n");
			return EXIT_REFUSED;
		}
		l->items = grown;
		l->cap = cap;
	}
	l->items[l->n++] = rep;
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int walk(scan_list *l, const char *dir, int depth)
{
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	DIR *d;
	int rc = 0;

	if (depth > SCAN_MAX_DEPTH) {
		fprintf(stderr, "modelctl: %s: directories nested deeper than %d levels\n", dir,
		        SCAN_MAX_DEPTH);
		return EXIT_REFUSED;
	}
	if (!(d = opendir(dir))) {
		fprintf(stderr, "modelctl: %s: cannot open directory\n", dir);
		return EXIT_REFUSED;
	}
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (n == cap) {
			size_t ncap = cap ? 2 * cap : 32;
			char **grown = realloc(names, ncap * sizeof(*grown));
			if (!grown)
				break;
			names = grown;
			cap = ncap;
		}
		if (!(names[n] = strdup(e->d_name)))
			break;
		n++;
	}
	closedir(d);
	/* sorted, so reports are the same on every machine */
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n && !rc; i++) {
		size_t len = strlen(dir) + strlen(names[i]) + 2;
		char *path = malloc(len);
		struct stat st;
		if (!path) {
			rc = EXIT_REFUSED;
			break;
		}
		snprintf(path, len, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", names[i]);
		/* links are not followed inside a walk: they may loop or escape */
		if (lstat(path, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				rc = walk(l, path, depth + 1);
			else if (S_ISREG(st.st_mode))
				rc = add_report(l, path, 1);
		}
		free(path);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

static const char *verdict_name(mc_verdict v)
{
	switch (v) {
	case MC_VERDICT_SAFE: return "safe";
	case MC_VERDICT_UNSAFE: return "unsafe";
	default: return "error";
	}
}

static void print_text(const scan_list *l)
{
	size_t counts[3] = {0, 0, 0};

	for (size_t i = 0; i < l->n; i++) {
		const mc_scan_report *r = &l->items[i];
		counts[r->verdict]++;
		printf("%s: %s%s%s%s\n", r->path, verdict_name(r->verdict), r->format[0] ? " (" : "",
		       r->format, r->format[0] ? ")" : "");
		for (size_t k = 0; k < r->count; k++) {
			const mc_finding *f = &r->findings[k];
			printf("  %s %s: %s", f->unsafe ? "!" : "-", f->kind, f->detail);
			if (f->entry[0])
				printf(" [%s]", f->entry);
			if (f->offset >= 0)
				printf(" (offset %" PRId64 ")", f->offset);
			fputc('\n', stdout);
		}
	}
	printf("%zu file%s: %zu safe, %zu unsafe, %zu error%s\n", l->n, l->n == 1 ? "" : "s",
	       counts[MC_VERDICT_SAFE], counts[MC_VERDICT_UNSAFE], counts[MC_VERDICT_ERROR],
	       counts[MC_VERDICT_ERROR] == 1 ? "" : "s");
}

static int print_json(const scan_list *l)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *files = cJSON_AddArrayToObject(root, "files");
	char *text;

	for (size_t i = 0; files && i < l->n; i++) {
		const mc_scan_report *r = &l->items[i];
		cJSON *f = cJSON_CreateObject();
		cJSON *findings;
		cJSON_AddStringToObject(f, "path", r->path);
		cJSON_AddStringToObject(f, "format", r->format);
		cJSON_AddStringToObject(f, "verdict", verdict_name(r->verdict));
		findings = cJSON_AddArrayToObject(f, "findings");
		for (size_t k = 0; findings && k < r->count; k++) {
			const mc_finding *x = &r->findings[k];
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "kind", x->kind);
			cJSON_AddStringToObject(o, "detail", x->detail);
			if (x->entry[0])
				cJSON_AddStringToObject(o, "entry", x->entry);
			else
				cJSON_AddNullToObject(o, "entry");
			if (x->offset >= 0) {
				char num[32];
				snprintf(num, sizeof(num), "%" PRId64, x->offset);
				cJSON_AddRawToObject(o, "offset", num);
			} else {
				cJSON_AddNullToObject(o, "offset");
			}
			cJSON_AddBoolToObject(o, "unsafe", x->unsafe);
			cJSON_AddItemToArray(findings, o);
		}
		cJSON_AddItemToArray(files, f);
	}
	text = cJSON_Print(root);
	cJSON_Delete(root);
	if (!text) {
		fprintf(stderr, "modelctl: out of memory\n");
		return EXIT_REFUSED;
	}
	puts(text);
	cJSON_free(text);
	return 0;
}

static int parse_args(scan_opts *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	memset(o, 0, sizeof(*o));
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (strcmp(optarg, "text") && strcmp(optarg, "json"))
				return cmd_usage_error("scan", "unknown --format '%s' (text or json)", optarg);
			o->json = !strcmp(optarg, "json");
			break;
		case 'h': return -1;
		case ':': return cmd_usage_error("scan", "option '%s' needs a value", argv[optind - 1]);
		default: return cmd_usage_error("scan", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cmd_usage_error("scan", "no path given");
	return 0;
}

int cmd_scan(int argc, char **argv)
{
	scan_list l = {0};
	scan_opts o;
	int rc = parse_args(&o, argc, argv);
	int any_unsafe = 0, any_error = 0;

	if (rc < 0)
		return cmd_print_help("scan");
	if (rc)
		return rc;
	for (int i = optind; i < argc && !rc; i++) {
		struct stat st;
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
			rc = walk(&l, argv[i], 0);
		else
			rc = add_report(&l, argv[i], 0);
	}
	if (!rc) {
		for (size_t i = 0; i < l.n; i++) {
			const mc_scan_report *r = &l.items[i];
			any_unsafe |= r->verdict == MC_VERDICT_UNSAFE;
			any_error |= r->verdict == MC_VERDICT_ERROR;
			/* the reason a file could not be parsed also goes to stderr,
			 * one line, as every refusal does */
			for (size_t k = 0; r->verdict == MC_VERDICT_ERROR && k < r->count; k++)
				if (strcmp(r->findings[k].kind, "global") != 0) {
					fprintf(stderr, "modelctl: %s: %s%s%s\n", r->path, r->findings[k].entry,
					        r->findings[k].entry[0] ? ": " : "", r->findings[k].detail);
					break;
				}
		}
		rc = o.json ? print_json(&l) : (print_text(&l), 0);
		if (!rc)
			rc = any_unsafe ? EXIT_FOUND : any_error ? EXIT_REFUSED : EXIT_OK;
		rc = cmd_finish_stdout(rc);
	}
	for (size_t i = 0; i < l.n; i++)
		mc_scan_report_release(&l.items[i]);
	free(l.items);
	return rc;
}
