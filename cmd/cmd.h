/* SPDX-License-Identifier: MIT */
/*
 * What the subcommands share: their entry points, exit codes, and the
 * helpers that print errors and help the same way everywhere.
 */
#ifndef MC_CMD_H
#define MC_CMD_H

#include <stdio.h>

#include "modelctl.h"

/* Exit codes of the contract (design.md). */
enum {
	EXIT_OK = 0,
	EXIT_FOUND = 1,   /* verify mismatch, scan found unsafe content */
	EXIT_USAGE = 2,
	EXIT_REFUSED = 3  /* an input was refused; nothing written */
};

int cmd_dump(int argc, char **argv);
int cmd_scan(int argc, char **argv);

/* Print the last library error as "modelctl: FILE: ENTRY: offset N: msg"
 * (and its hint on a second line); returns EXIT_REFUSED. */
int cmd_report_error(void);
/* Print "modelctl: CMD: msg" and the command's usage line; returns EXIT_USAGE. */
int cmd_usage_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 2, 3)))
#endif
	;
/* The rendered man page of a command ("" for modelctl itself), or NULL. */
const char *cmd_help_text(const char *name);
/* Print the help page of a command to stdout; returns EXIT_OK. */
int cmd_print_help(const char *name);
/* The SYNOPSIS lines of a command's page, for usage errors; never NULL. */
const char *cmd_synopsis(const char *name, char *buf, size_t size);
/* Flush and check stdout: a full disk is an error, not silence.
 * Returns `code`, or EXIT_REFUSED when stdout could not be written. */
int cmd_finish_stdout(int code);

/* Human-readable byte count: "1.5 MB". */
const char *cmd_human_bytes(char *buf, size_t size, uint64_t n);

#endif
