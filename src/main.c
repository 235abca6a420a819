// SPDX-License-Identifier: GPL-2.0
/* reapwatch: command dispatch, help and version. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "agent.h"
#include "args.h"
#include "commands.h"
#include "util.h"

int cmd_zombies(const struct command *cmd, int argc, char **argv);
int cmd_top(const struct command *cmd, int argc, char **argv);
int cmd_export(const struct command *cmd, int argc, char **argv);
int cmd_healthcheck(const struct command *cmd, int argc, char **argv);
static int cmd_version(const struct command *cmd, int argc, char **argv);
static int cmd_help(const struct command *cmd, int argc, char **argv);

/* Each command's options, and their lines in its --help, are in its table in args.c. */
static const struct command commands[] = {
	{ "trace", cmd_trace, "stream fork, exit, reap, reparent, signal and teardown events",
	  "Usage: reapwatch trace [-j|--json] [-p|--pid PID] [-c|--comm NAME] [--container ID]\n"
	  "                       [-e|--events LIST] [-d|--duration SECONDS]\n"
	  "\n"
	  "Streams process lifecycle events on this host, one per line, until Ctrl-C,\n"
	  "SIGTERM or --duration.\n"
	  "\n",
	  &args_trace },
	{ "zombies", cmd_zombies, "list the zombies present now, under the parent not reaping them",
	  "Usage: reapwatch zombies [-j|--json] [--min-age SECONDS] [--container ID]\n"
	  "\n",
	  &args_zombies },
	{ "top", cmd_top, "live per-container view of zombies, reaping, orphans and teardowns",
	  "Usage: reapwatch top [-i|--interval SECONDS]\n"
	  "\n",
	  &args_top },
	{ "export", cmd_export, "keep state and write Prometheus metrics for node_exporter",
	  "Usage: reapwatch export --textfile-dir DIR [-i|--interval SECONDS] [--log-events]\n"
	  "                        [--max-containers N] [--container-detail]\n"
	  "\n",
	  &args_export },
	{ "healthcheck", cmd_healthcheck, "exit 0 if an export runs and rewrites reapwatch.prom",
	  "Usage: reapwatch healthcheck --textfile-dir DIR [--max-age SECONDS]\n"
	  "\n"
	  "Checks that a reapwatch export runs for DIR (it holds the directory's lock)\n"
	  "and has rewritten DIR/reapwatch.prom within SECONDS: exit status 0 if so,\n"
	  "else 1 with one line saying what is wrong. Needs no privileges beyond\n"
	  "reading DIR; for exec probes (the image has no shell) and for people.\n"
	  "\n",
	  &args_healthcheck },
	{ "version", cmd_version, "print the version", "Usage: reapwatch version\n", NULL },
	{ "help", cmd_help, "help on a command", "Usage: reapwatch help [COMMAND]\n", NULL },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void print_usage(FILE *out)
{
	fprintf(out, "Usage: reapwatch COMMAND [OPTIONS]\n"
		     "\n"
		     "Shows how processes die on this host and in its containers: zombies and\n"
		     "reaping latency, orphans and their adopters, and the SIGKILLs of a pid\n"
		     "namespace's teardown.\n"
		     "\n"
		     "Commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-11s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nreapwatch COMMAND --help shows a command's options.\n"
		     "Needs root (or CAP_BPF and CAP_PERFMON) and kernel BTF.\n");
}

void print_command_help(FILE *out, const struct command *cmd)
{
	fputs(cmd->usage, out);
	if (cmd->options)
		args_print_options(out, cmd->options);
}

int usage_error(const struct command *cmd, const char *msg)
{
	if (cmd)
		rw_error("%s: %s (see 'reapwatch %s --help')", cmd->name, msg, cmd->name);
	else
		rw_error("%s (see 'reapwatch --help')", msg);
	return EXIT_USAGE;
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static bool is_help_flag(const char *arg)
{
	return !strcmp(arg, "--help") || !strcmp(arg, "-h");
}

/* `COMMAND --help` for the commands without an options table. */
static bool asks_help(int argc, char **argv)
{
	return argc == 2 && is_help_flag(argv[1]);
}

static int command_help(const struct command *cmd)
{
	print_command_help(stdout, cmd);
	return EXIT_OK;
}

static int unexpected_argument(const struct command *cmd, const char *arg, const char *why)
{
	char msg[128];

	snprintf(msg, sizeof(msg), "unexpected argument '%.64s' (%s)", arg, why);
	return usage_error(cmd, msg);
}

static int cmd_version(const struct command *cmd, int argc, char **argv)
{
	if (asks_help(argc, argv))
		return command_help(cmd);
	if (argc > 1)
		return unexpected_argument(cmd, argv[1], "it takes none");
	printf("reapwatch %s (%s)\n", REAPWATCH_VERSION, REAPWATCH_GIT_REV);
	return EXIT_OK;
}

static int cmd_help(const struct command *cmd, int argc, char **argv)
{
	const struct command *about;
	char msg[128];

	if (argc == 1) {
		print_usage(stdout);
		return EXIT_OK;
	}
	if (asks_help(argc, argv))
		return command_help(cmd);
	if (argc > 2)
		return unexpected_argument(cmd, argv[2], "one COMMAND at most");
	about = find_command(argv[1]);
	if (!about) {
		snprintf(msg, sizeof(msg), "no such command '%.64s'", argv[1]);
		return usage_error(cmd, msg);
	}
	print_command_help(stdout, about);
	return EXIT_OK;
}

/*
 * libbpf's own diagnostics (verifier logs, its guesses about RLIMIT_MEMLOCK) only when asked
 * for: every command, since `zombies` asks the kernel for subreapers too, and without
 * CAP_BPF libbpf's lines would bury the answer it still gives.
 */
/*
 * Every command's output is checked once more at its end, help and version included: a
 * full disk (ENOSPC) or an I/O error is a failure with one line, a reader that went away
 * (EPIPE, `| head -1`) is not. A command that failed has said why already.
 */
static int finish_output(int status)
{
	int err = rw_output_error(stdout);

	if (fclose(stdout) && !err)
		err = errno ? -errno : -EIO;
	if (status != EXIT_OK || !err || err == -EPIPE)
		return status;
	return rw_output_failed(err);
}

int main(int argc, char **argv)
{
	const struct command *cmd;
	char msg[128];

	libbpf_set_print(agent_libbpf_print);
	/* A closed pipe shows as EPIPE from a write, for every command, not as a death. */
	signal(SIGPIPE, SIG_IGN);

	if (argc < 2) {
		print_usage(stderr);
		return EXIT_USAGE;
	}
	if (is_help_flag(argv[1]))
		return finish_output(cmd_help(find_command("help"), 1, argv + 1));
	/* (the flag takes what the command does: `--version extra` is the usage error
	 * `version extra` is) */
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
		return finish_output(cmd_version(find_command("version"), argc - 1, argv + 1));
	cmd = find_command(argv[1]);
	if (!cmd) {
		snprintf(msg, sizeof(msg), "unknown command '%.64s'", argv[1]);
		return usage_error(NULL, msg);
	}
	return finish_output(cmd->run(cmd, argc - 1, argv + 1));
}
