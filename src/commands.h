/* SPDX-License-Identifier: GPL-2.0 */
/* Subcommands: each takes its own argv (argv[0] is the command name) and returns an exit status. */
#ifndef REAPWATCH_COMMANDS_H
#define REAPWATCH_COMMANDS_H

#include <stdio.h>

struct arg_command;

struct command {
	const char *name;
	int (*run)(const struct command *cmd, int argc, char **argv);
	const char *summary;
	const char *usage;		   /* the help text before the options */
	const struct arg_command *options; /* its options (args.h); NULL: none */
};

int cmd_trace(const struct command *cmd, int argc, char **argv);

/* Prints a usage error naming the bad argument and returns EXIT_USAGE. */
int usage_error(const struct command *cmd, const char *msg);
void print_command_help(FILE *out, const struct command *cmd);

#endif /* REAPWATCH_COMMANDS_H */
