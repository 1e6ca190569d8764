/* SPDX-License-Identifier: MIT */
/*
 * The standalone driver linked into each fuzz target when it is not built
 * with libFuzzer (gcc, or clang without MC_FUZZ): it replays every stored
 * input of the directories given on the command line through the target,
 * so ctest re-runs the corpus and the known-bad files as a regression test
 * (under ASan and UBSan when MC_SANITIZE is on).  A directory that does not
 * exist is skipped with a note; a file that cannot be read is an error.
 * Each input is copied into a buffer of exactly its size, so a read one
 * byte past the end is caught by ASan just as libFuzzer would catch it.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional, as in libFuzzer: called once before the first input when the
 * target defines it (a weak reference is NULL otherwise). */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

/* Read a whole file into a malloc'd buffer of exactly its size (at least
 * one byte is allocated so that an empty input is a valid pointer). */
static int read_file(const char *path, uint8_t **out, size_t *out_len)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	uint8_t *buf = NULL;
	size_t len;
	int rc = -1;

	*out = NULL;
	*out_len = 0;
	if (!f) {
		fprintf(stderr, "replay: %s: cannot open: %s\n", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) != 0 || st.st_size < 0) {
		fprintf(stderr, "replay: %s: cannot stat: %s\n", path, strerror(errno));
		goto out;
	}
	len = (size_t)st.st_size;
	buf = malloc(len ? len : 1);
	if (!buf) {
		fprintf(stderr, "replay: %s: out of memory for %zu bytes\n", path, len);
		goto out;
	}
	if (len && fread(buf, 1, len, f) != len) {
		fprintf(stderr, "replay: %s: short read\n", path);
		goto out;
	}
	*out = buf;
	*out_len = len;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	fclose(f);
	return rc;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replay every regular file in `dir` (not recursing), in name order so
 * that runs are reproducible; add the count to *count.  Returns 0, or -1
 * when a file could not be read. */
static int replay_dir(const char *dir, size_t *count)
{
	DIR *d = opendir(dir);
	struct dirent *ent;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;

	if (!d) {
		if (errno == ENOENT) {
			fprintf(stderr, "replay: %s: no such directory, skipped\n", dir);
			return 0;
		}
		fprintf(stderr, "replay: %s: cannot open: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((ent = readdir(d)) != NULL) {
		if (strcmp(ent->d_name, ".") == 0 || strcmp(ent->d_name, "..") == 0)
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			char **p = realloc(names, ncap * sizeof(*names));
			if (!p) {
				rc = -1;
				break;
			}
			names = p;
			cap = ncap;
		}
		if (!(names[n] = strdup(ent->d_name))) {
			rc = -1;
			break;
		}
		n++;
	}
	closedir(d);
	if (rc)
		fprintf(stderr, "replay: %s: out of memory listing the directory\n", dir);
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);

	for (size_t i = 0; i < n && rc == 0; i++) {
		size_t plen = strlen(dir) + 1 + strlen(names[i]) + 1;
		char *path = malloc(plen);
		struct stat st;
		uint8_t *buf;
		size_t len;

		if (!path) {
			rc = -1;
			break;
		}
		snprintf(path, plen, "%s/%s", dir, names[i]);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
			free(path); /* subdirectories, sockets, dangling links: not inputs */
			continue;
		}
		if (read_file(path, &buf, &len) != 0) {
			rc = -1;
		} else {
			/* named first, so a crash report says which input it was */
			fprintf(stderr, "Running: %s\n", path);
			LLVMFuzzerTestOneInput(buf, len);
			free(buf);
			(*count)++;
		}
		free(path);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	size_t count = 0;
	int failed = 0;

	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++)
		if (replay_dir(argv[i], &count) != 0)
			failed = 1;
	printf("replayed %zu inputs\n", count);
	if (fflush(stdout) != 0 || ferror(stdout))
		return 1;
	return failed;
}
