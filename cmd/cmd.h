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

/* ---- dump's views (dump.c, dump_onnx.c) ---------------------------------- */

struct cJSON;

/* dump's view of an ONNX model (text, json or dot) on stdout: the model's
 * header, graph inputs and outputs, operators, nodes, and the initializers
 * --key selects (with their SHA-256 for `hash`).  Nothing is printed unless
 * everything could be read.  Returns the exit code. */
int dump_onnx(mc_reader *r, const char *file, const char *format, const char *key, int hash);

/* The contract's SHA-256 of each tensor of `sel`, into *out (an array the
 * caller frees, set even on failure).  Prints the error; returns 0 or an
 * exit code. */
int cmd_hash_tensors(uint8_t (**out)[32], mc_reader *r, const mc_selection *sel);
/* Parameters and bytes of the tensors of `sel`. */
void cmd_tensor_totals(uint64_t *params, uint64_t *bytes, const mc_reader *r,
                       const mc_selection *sel);
/* The table of `sel` (NAME DTYPE SHAPE BYTES, and SHA256 when `sha` is not
 * NULL) after a blank line, and the "total: ..." line. */
void cmd_print_tensor_table(FILE *out, const mc_reader *r, const mc_selection *sel,
                            const uint8_t (*sha)[32]);
/* The shortest %g text that reads back as the same double (or float),
 * with ".0" on whole numbers: "0.9" (not 0.90000000000000002), "1.0",
 * "1e-05"; values that are not finite as printf writes them. */
void cmd_format_double(char *buf, size_t size, double f);
void cmd_format_float(char *buf, size_t size, float f);
/* "1,234,567" */
void cmd_group_digits(char *buf, size_t size, uint64_t n);
/* 64 hex digits and a NUL. */
void cmd_sha256_hex(char out[65], const uint8_t sha[32]);
/* JSON integers written exactly (beyond 2^53), and bytes as {"bytes": HEX}. */
struct cJSON *cmd_json_i64(int64_t n);
struct cJSON *cmd_json_u64(uint64_t n);
struct cJSON *cmd_json_bytes(const char *p, size_t n);

#endif
