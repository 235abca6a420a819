// SPDX-License-Identifier: GPL-2.0
/*
 * Commands whose arguments are parsed (so scripts get SPEC.md's usage errors and
 * help) but whose capability has not landed yet: they say so and exit 1.
 */
#include "args.h"
#include "commands.h"
#include "util.h"

static int not_built(const struct command *cmd)
{
	rw_error("'%s' is not built in this version yet; 'reapwatch trace' is", cmd->name);
	return EXIT_RUNTIME;
}

#define PENDING_COMMAND(name, opts_type, parse)                                                   \
	int cmd_##name(const struct command *cmd, int argc, char **argv)                          \
	{                                                                                          \
		struct opts_type opts;                                                             \
		char err[ARGS_ERR_LEN];                                                            \
		int ret = parse(argc, argv, &opts, err, sizeof(err));                              \
                                                                                                   \
		if (ret == ARGS_HELP) {                                                            \
			print_command_help(stdout, cmd);                                           \
			return EXIT_OK;                                                            \
		}                                                                                  \
		if (ret)                                                                           \
			return usage_error(cmd, err);                                              \
		return not_built(cmd);                                                             \
	}

PENDING_COMMAND(top, top_opts, parse_top_args)
