/* SPDX-License-Identifier: MIT */
/*
 * Recording errors where they are detected.  A failing function records
 * the message once, with the file, entry and offset it knows, and returns
 * the negative code; callers only pass the code up.  Debug builds also keep
 * the source location, which makes a fuzz crash or a report quick to place.
 */
#ifndef MC_ERROR_H
#define MC_ERROR_H

#include <stdarg.h>
#include <stdint.h>

#include "modelctl.h"

#if defined(__GNUC__)
#define MC_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define MC_PRINTF(a, b)
#endif

int mc_err_set_(int code, const char *path, const char *entry, int64_t offset,
                const char *src_file, int src_line, const char *fmt, ...) MC_PRINTF(7, 8);
int mc_err_vset_(int code, const char *path, const char *entry, int64_t offset,
                 const char *src_file, int src_line, const char *fmt, va_list ap)
	MC_PRINTF(7, 0);

/* Record an error with explicit context; evaluates to `code`. */
#define mc_fail(code, path, entry, offset, ...) \
	mc_err_set_((code), (path), (entry), (offset), __FILE__, __LINE__, __VA_ARGS__)

/* Record out-of-memory; evaluates to MC_ENOMEM. */
#define mc_nomem() mc_fail(MC_ENOMEM, NULL, NULL, -1, "out of memory")

/* Add the "what to do instead" line to the last error; returns its code. */
int mc_err_hint(const char *fmt, ...) MC_PRINTF(1, 2);

/* Fill in context the detecting code did not know (the file path, an entry
 * name), without replacing what it did know.  Returns the error's code. */
int mc_err_context(const char *path, const char *entry);

#endif
