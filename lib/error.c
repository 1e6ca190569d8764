/* SPDX-License-Identifier: MIT */
/*
 * The per-thread error record behind mc_error_last(), and its formatting
 * as the one line the commands print.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "banned.h"

static _Thread_local mc_error last_error = {.offset = -1};

static void copy_field(char *dst, size_t size, const char *src)
{
	size_t n = src ? strlen(src) : 0;
	if (n >= size)
		n = size - 1;
	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

int mc_err_vset_(int code, const char *path, const char *entry, int64_t offset,
                 const char *src_file, int src_line, const char *fmt, va_list ap)
{
	/* Build the record aside: the arguments may point into the last error
	 * (re-raising "while loading: %s" with its own message and path). */
	mc_error e;
	e.code = code;
	copy_field(e.path, sizeof(e.path), path);
	copy_field(e.entry, sizeof(e.entry), entry);
	e.offset = offset;
	vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
	e.hint[0] = '\0';
	e.src_file = src_file;
	e.src_line = src_line;
	last_error = e;
	return code;
}

int mc_err_set_(int code, const char *path, const char *entry, int64_t offset,
                const char *src_file, int src_line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	mc_err_vset_(code, path, entry, offset, src_file, src_line, fmt, ap);
	va_end(ap);
	return code;
}

int mc_err_hint(const char *fmt, ...)
{
	char hint[sizeof(last_error.hint)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(hint, sizeof(hint), fmt, ap); /* the arguments may be the old hint */
	va_end(ap);
	memcpy(last_error.hint, hint, sizeof(hint));
	return last_error.code;
}

int mc_err_context(const char *path, const char *entry)
{
	if (path && !last_error.path[0])
		copy_field(last_error.path, sizeof(last_error.path), path);
	if (entry && !last_error.entry[0])
		copy_field(last_error.entry, sizeof(last_error.entry), entry);
	return last_error.code;
}

const mc_error *mc_error_last(void)
{
	return &last_error;
}

void mc_error_clear(void)
{
	memset(&last_error, 0, sizeof(last_error));
	last_error.offset = -1;
}

/* Copy src into dst, control bytes as \xNN: names inside a file may hold
 * newlines or terminal escapes, and an error must stay one harmless line. */
static void copy_escaped(char *dst, size_t size, const char *src)
{
	static const char digits[] = "0123456789abcdef";
	size_t o = 0;

	for (; *src && o + 1 < size; src++) {
		unsigned char ch = (unsigned char)*src;
		if (ch < 0x20 || ch == 0x7f) {
			if (o + 4 >= size)
				break;
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = digits[ch >> 4];
			dst[o++] = digits[ch & 15];
		} else {
			dst[o++] = (char)ch;
		}
	}
	dst[o] = '\0';
}

const char *mc_error_format(char *buf, size_t size, const mc_error *e)
{
	size_t used = 0;
	int n;

	if (!size)
		return buf;
	buf[0] = '\0';
#define APPEND(...)                                                          \
	do {                                                                 \
		if (used < size) {                                           \
			n = snprintf(buf + used, size - used, __VA_ARGS__); \
			if (n > 0)                                           \
				used += (size_t)n;                           \
		}                                                            \
	} while (0)
	if (e->path[0])
		APPEND("%s: ", e->path);
	if (e->entry[0])
		APPEND("%s: ", e->entry);
	if (e->offset >= 0)
		APPEND("offset %lld: ", (long long)e->offset);
	APPEND("%s", e->msg[0] ? e->msg : mc_error_name(e->code));
#undef APPEND
	{
		char *raw = strdup(buf);
		if (raw) {
			copy_escaped(buf, size, raw);
			free(raw);
		}
	}
	return buf;
}

const char *mc_error_name(int code)
{
	switch (code) {
	case MC_OK: return "ok";
	case MC_EINVAL: return "invalid argument";
	case MC_ENOMEM: return "out of memory";
	case MC_EIO: return "i/o error";
	case MC_ECORRUPT: return "corrupt";
	case MC_EUNSAFE: return "unsafe";
	case MC_EUNSUPPORTED: return "unsupported";
	case MC_ELIMIT: return "over a limit";
	default: return "unknown error";
	}
}
