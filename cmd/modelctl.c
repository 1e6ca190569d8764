/* SPDX-License-Identifier: MIT */
/*
 * modelctl's entry point: the table of subcommands and the dispatch to
 * them.  Each subcommand lives in cmd/<name>.c, parses its own options,
 * calls the library and prints.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "banned.h"

typedef struct command {
	const char *name;
	int (*run)(int argc, char **argv); /* NULL: not in this build yet */
	const char *summary;
} command;

static const command commands[] = {
	{"dump", cmd_dump, "show what is inside a model file: tensors, training state, graphs"},
	{"scan", cmd_scan, "check that a file is safe to load, without executing it"},
	{"convert", NULL, "rewrite a checkpoint in a safe format"},
	{"export", NULL, "build a static ONNX graph from a checkpoint and an architecture config"},
	{"run", NULL, "execute an ONNX graph on the CPU"},
	{"verify", NULL, "diff-check outputs and tensors between formats, for CI"},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const command *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static int not_yet(const command *c)
{
	fprintf(stderr, "modelctl: '%s' is not available in this build yet\n", c->name);
	return EXIT_USAGE;
}

static int print_main_help(void)
{
	fputs(cmd_help_text(""), stdout);
	return cmd_finish_stdout(EXIT_OK);
}

static int help(int argc, char **argv)
{
	const command *c;

	if (argc < 2)
		return print_main_help();
	c = find_command(argv[1]);
	if (!c) {
		fprintf(stderr, "modelctl: help: unknown command '%s'\n", argv[1]);
		return EXIT_USAGE;
	}
	if (!c->run)
		return not_yet(c);
	return cmd_print_help(c->name);
}

static int list_commands(void)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		printf("%-8s %s%s\n", commands[i].name, commands[i].summary,
		       commands[i].run ? "" : " (not in this build yet)");
	return cmd_finish_stdout(EXIT_OK);
}

int main(int argc, char **argv)
{
	const command *c;

	if (mc_formats_check() != 0) {
		cmd_report_error();
		return EXIT_REFUSED;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: modelctl COMMAND [OPTIONS] [ARGS]\n"
		                "run 'modelctl --help' for the commands\n");
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return print_main_help();
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("modelctl %s\n", MC_VERSION);
		return cmd_finish_stdout(EXIT_OK);
	}
	if (!strcmp(argv[1], "help"))
		return help(argc - 1, argv + 1);
	if (!strcmp(argv[1], "--list-commands"))
		return list_commands();
	c = find_command(argv[1]);
	if (!c) {
		fprintf(stderr, "modelctl: '%s' is not a modelctl command\n"
		                "run 'modelctl --help' for the commands\n", argv[1]);
		return EXIT_USAGE;
	}
	if (!c->run)
		return not_yet(c);
	return c->run(argc - 1, argv + 1);
}
