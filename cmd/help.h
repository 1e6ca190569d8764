/* SPDX-License-Identifier: MIT */
/*
 * Help pages rendered from the man pages at build time (tools/man2help.c), so
 * `--help` and the man pages are one text.
 */
#ifndef MC_HELP_H
#define MC_HELP_H

#include <stddef.h>

typedef struct mc_help_page {
	const char *name; /* "" for modelctl(1), else the command */
	const char *text;
} mc_help_page;

extern const mc_help_page mc_help_pages[];
extern const size_t mc_help_count;

#endif
