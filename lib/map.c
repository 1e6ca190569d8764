/* SPDX-License-Identifier: MIT */
/*
 * Read-only mappings of regular files.  An empty file gets a static empty
 * buffer instead of a zero-length mmap, which POSIX does not allow.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "map.h"
#include "banned.h"

static const uint8_t empty_file[1];

int mc_map_open(mc_map **out, const char *path)
{
	struct stat st;
	mc_map *m;
	int fd;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return mc_fail(MC_EIO, path, NULL, -1, "cannot open: %s", strerror(errno));
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		return mc_fail(MC_EIO, path, NULL, -1, "cannot stat: %s", strerror(e));
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		return mc_fail(MC_EIO, path, NULL, -1, "is a directory, not a model file");
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return mc_fail(MC_EIO, path, NULL, -1, "not a regular file");
	}
	if ((uint64_t)st.st_size > (uint64_t)SIZE_MAX) {
		close(fd);
		return mc_fail(MC_ELIMIT, path, NULL, -1, "file too large to map");
	}
	m = calloc(1, sizeof(*m));
	if (!m || !(m->path = strdup(path))) {
		free(m);
		close(fd);
		return mc_nomem();
	}
	m->fd = fd;
	m->len = (size_t)st.st_size;
	if (m->len == 0) {
		m->data = empty_file;
	} else {
		void *p = mmap(NULL, m->len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED) {
			int e = errno;
			mc_map_close(m);
			return mc_fail(MC_EIO, path, NULL, -1, "cannot map: %s", strerror(e));
		}
		m->data = p;
		m->mapped = 1;
	}
	*out = m;
	return 0;
}

int mc_map_wrap(mc_map **out, const void *data, size_t len, const char *name)
{
	mc_map *m = calloc(1, sizeof(*m));

	*out = NULL;
	if (!m || !(m->path = strdup(name ? name : "<memory>"))) {
		free(m);
		return mc_nomem();
	}
	m->fd = -1;
	m->data = len ? data : empty_file;
	m->len = len;
	*out = m;
	return 0;
}

void mc_map_close(mc_map *m)
{
	if (!m)
		return;
	if (m->mapped)
		munmap((void *)m->data, m->len);
	if (m->fd >= 0)
		close(m->fd);
	free(m->path);
	free(m);
}

void mc_map_done_with(const mc_map *m, const uint8_t *p, size_t len)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t start, end;

	if (!m || !m->mapped || p < m->data || len == 0)
		return;
	/* Only whole pages inside the range: a neighbour may still be in use. */
	start = ((uintptr_t)p + page - 1) & ~(page - 1);
	end = ((uintptr_t)p + len) & ~(page - 1);
	if (end > start)
		madvise((void *)start, end - start, MADV_DONTNEED);
}
