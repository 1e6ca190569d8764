/* SPDX-License-Identifier: MIT */
/*
 * Output files written atomically: data goes to a temporary file beside the
 * target and is renamed over it only once complete and flushed, so a failed
 * or interrupted write never leaves a partial file where a user expects one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "format.h"
#include "banned.h"

int mc_outfile_open(mc_outfile *o, const char *path)
{
	size_t n = strlen(path);
	int fd;

	memset(o, 0, sizeof(*o));
	o->path = strdup(path);
	o->tmp_path = malloc(n + sizeof(".tmp-XXXXXX"));
	if (!o->path || !o->tmp_path) {
		mc_outfile_abort(o);
		return mc_nomem();
	}
	memcpy(o->tmp_path, path, n);
	memcpy(o->tmp_path + n, ".tmp-XXXXXX", sizeof(".tmp-XXXXXX"));
	fd = mkstemp(o->tmp_path);
	if (fd < 0) {
		int e = errno;
		free(o->tmp_path);
		o->tmp_path = NULL;
		mc_outfile_abort(o);
		return mc_fail(MC_EIO, path, NULL, -1, "cannot create: %s", strerror(e));
	}
	/* mkstemp makes the file 0600; give it the usual umask-based mode */
	{
		mode_t mask = umask(0);
		umask(mask);
		fchmod(fd, 0666 & ~mask);
	}
	o->fp = fdopen(fd, "wb");
	if (!o->fp) {
		int e = errno;
		close(fd);
		mc_outfile_abort(o);
		return mc_fail(MC_EIO, path, NULL, -1, "cannot open for writing: %s", strerror(e));
	}
	return 0;
}

int mc_outfile_commit(mc_outfile *o)
{
	int failed = ferror(o->fp) | fflush(o->fp);
	int e = errno;

	if (!failed && fsync(fileno(o->fp)) != 0) {
		failed = 1;
		e = errno;
	}
	if (fclose(o->fp) != 0 && !failed) {
		failed = 1;
		e = errno;
	}
	o->fp = NULL;
	if (!failed && rename(o->tmp_path, o->path) != 0) {
		failed = 1;
		e = errno;
	}
	if (failed) {
		char *path = o->path;
		o->path = NULL;
		mc_outfile_abort(o);
		mc_fail(MC_EIO, path, NULL, -1, "cannot write: %s", strerror(e));
		free(path);
		return MC_EIO;
	}
	free(o->tmp_path);
	free(o->path);
	memset(o, 0, sizeof(*o));
	return 0;
}

void mc_outfile_abort(mc_outfile *o)
{
	if (o->fp)
		fclose(o->fp);
	if (o->tmp_path)
		unlink(o->tmp_path);
	free(o->tmp_path);
	free(o->path);
	memset(o, 0, sizeof(*o));
}
