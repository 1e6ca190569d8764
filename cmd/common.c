/* SPDX-License-Identifier: MIT */
/*
 * Error, usage and help printing shared by every subcommand.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "help.h"
#include "banned.h"

int cmd_report_error(void)
{
	const mc_error *e = mc_error_last();
	char line[4096];

	mc_error_format(line, sizeof(line), e);
	if (getenv("MODELCTL_DEBUG") && e->src_file)
		fprintf(stderr, "modelctl: %s [%s:%d]\n", line, e->src_file, e->src_line);
	else
		fprintf(stderr, "modelctl: %s\n", line);
	if (e->hint[0])
		fprintf(stderr, "hint: %s\n", e->hint);
	return EXIT_REFUSED;
}

const char *cmd_help_text(const char *name)
{
	for (size_t i = 0; i < mc_help_count; i++)
		if (strcmp(mc_help_pages[i].name, name) == 0)
			return mc_help_pages[i].text;
	return NULL;
}

int cmd_print_help(const char *name)
{
	const char *text = cmd_help_text(name);
	if (text)
		fputs(text, stdout);
	return cmd_finish_stdout(EXIT_OK);
}

const char *cmd_synopsis(const char *name, char *buf, size_t size)
{
	const char *text = cmd_help_text(name);
	const char *start, *end;
	size_t n;

	buf[0] = '\0';
	if (!text || !(start = strstr(text, "SYNOPSIS\n")))
		return buf;
	start += strlen("SYNOPSIS\n");
	while (*start == ' ')
		start++;
	end = strstr(start, "\n\n");
	n = end ? (size_t)(end - start) : strlen(start);
	if (n >= size)
		n = size - 1;
	memcpy(buf, start, n);
	buf[n] = '\0';
	return buf;
}

int cmd_usage_error(const char *cmd, const char *fmt, ...)
{
	char syn[2048];
	va_list ap;

	fprintf(stderr, "modelctl: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	cmd_synopsis(cmd, syn, sizeof(syn));
	if (syn[0])
		fprintf(stderr, "usage: %s\n", syn);
	return EXIT_USAGE;
}

int cmd_finish_stdout(int code)
{
	int failed = fflush(stdout) != 0 || ferror(stdout);
	int e = errno;

	if (fclose(stdout) != 0 && !failed) {
		failed = 1;
		e = errno;
	}
	if (failed) {
		fprintf(stderr, "modelctl: cannot write output: %s\n", strerror(e));
		return EXIT_REFUSED;
	}
	return code;
}

const char *cmd_human_bytes(char *buf, size_t size, uint64_t n)
{
	static const char *units[] = {"B", "KB", "MB", "GB", "TB", "PB", "EB"};
	double v = (double)n;
	int u = 0;

	while (v >= 1000.0 && u < 6) {
		v /= 1000.0;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%llu B", (unsigned long long)n);
	else
		snprintf(buf, size, "%.1f %s", v, units[u]);
	return buf;
}
