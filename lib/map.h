/* SPDX-License-Identifier: MIT */
/*
 * Read-only memory-mapped files.  Readers parse straight from the mapping
 * and hand out views into it, so tensor data is never copied to be read.
 */
#ifndef MC_MAP_H
#define MC_MAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct mc_map {
	const uint8_t *data; /* never NULL, even for an empty file */
	size_t len;
	char *path;          /* owned copy of the path, for messages */
	int fd;
	int mapped;          /* data is an mmap of len bytes */
} mc_map;

/* Map a regular file read-only.  MC_EIO with the system's reason when it
 * cannot be opened; directories and devices are refused. */
int mc_map_open(mc_map **out, const char *path);
/* Wrap a caller's buffer (borrowed, must outlive the map) as if it were a
 * mapped file called `name`: used by fuzz targets and in-memory tests. */
int mc_map_wrap(mc_map **out, const void *data, size_t len, const char *name);
void mc_map_close(mc_map *m);
/* Tell the kernel the range will not be read again soon, so streaming a
 * multi-GB file does not keep it all resident.  Purely advisory. */
void mc_map_done_with(const mc_map *m, const uint8_t *p, size_t len);

#endif
