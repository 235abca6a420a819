// SPDX-License-Identifier: GPL-2.0
/*
 * `reapwatch top`: the exporter's model on a terminal, redrawn every interval.
 * On a terminal it takes the alternate screen and reads keys unbuffered ('q' quits);
 * the terminal is restored on every way out. Without a terminal (a pipe, a test) it
 * prints one table per interval.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>
#include "agent.h"
#include "args.h"
#include "collect.h"
#include "commands.h"
#include "decode.h"
#include "metrics.h"
#include "render.h"
#include "timefmt.h"
#include "util.h"

#define DRAIN_INTERVAL_MS 100

static struct termios saved_termios;
static bool terminal_taken;

static void restore_terminal(void)
{
	if (!terminal_taken)
		return;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios);
	/* line wrap, cursor back, leave the alternate screen */
	fputs("\033[?7h\033[?25h\033[?1049l", stdout);
	rw_output_error(stdout);
	terminal_taken = false;
}

static void take_terminal(void)
{
	struct termios raw;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO) ||
	    tcgetattr(STDIN_FILENO, &saved_termios))
		return;
	raw = saved_termios;
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	raw.c_cc[VMIN] = 0;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw))
		return;
	terminal_taken = true;
	atexit(restore_terminal);
	/* The alternate screen, no cursor, and no line wrap (DECAWM off): a line wider than the
	 * terminal is cut at its edge, not wrapped onto the next row, pushing the title off. */
	fputs("\033[?1049h\033[?25l\033[?7l", stdout);
}

static size_t screen_rows(void)
{
	struct winsize ws;

	/* The title, the header, the rows and "... N more", each ending in a newline: one row
	 * is left for the cursor, or the screen scrolls the title off. */
	if (terminal_taken && !ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_row > 4)
		return ws.ws_row - 4;
	return 50;
}

/* 'q' (or Ctrl-C, delivered as a key in raw mode without ISIG... it stays a signal) */
static bool quit_pressed(void)
{
	struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };
	char c;

	if (!terminal_taken)
		return false;
	while (poll(&pfd, 1, 0) > 0 && read(STDIN_FILENO, &c, 1) == 1)
		if (c == 'q' || c == 'Q')
			return true;
	return false;
}

struct top {
	struct decoder dec;
	struct metrics *metrics;
	struct zombie_census *census; /* the last interval's */
};

static int on_record(void *ctx, void *data, size_t size)
{
	struct top *t = ctx;
	struct event ev;

	if (!decoder__decode(&t->dec, data, size, &ev))
		metrics__count_event(t->metrics, &ev);
	return 0;
}

static void draw(struct top *t, struct agent *agent, double interval_s)
{
	char now[RFC3339_US_LEN];
	uint64_t mono = mono_now_ns();

	collect_interval(t->metrics, agent, &t->census, mono);
	format_rfc3339_us(now, sizeof(now), mono + (uint64_t)mono_to_unix_offset_ns());
	now[19] = '\0'; /* to the second */
	if (terminal_taken)
		fputs("\033[H\033[2J", stdout);
	render_top(stdout, t->metrics, now, interval_s, screen_rows(), terminal_taken);
	if (!terminal_taken)
		putchar('\n');
	rw_output_error(stdout); /* a failure is kept for the loop to see */
}

int cmd_top(const struct command *cmd, int argc, char **argv)
{
	struct top_opts opts;
	struct top t = { 0 };
	struct agent *agent = NULL;
	struct agent_config config = agent_config_counting();
	char err[ARGS_ERR_LEN];
	uint64_t next_draw;
	int ret, status = EXIT_RUNTIME;

	ret = parse_top_args(argc, argv, &opts, err, sizeof(err));
	if (ret == ARGS_HELP) {
		print_command_help(stdout, cmd);
		return EXIT_OK;
	}
	if (ret)
		return usage_error(cmd, err);

	if (collect_begin(&t.dec, &t.metrics))
		return EXIT_RUNTIME;
	if (agent__open(&agent, &config, on_record, &t))
		goto out;
	take_terminal();
	draw(&t, agent, opts.interval_s);
	next_draw = mono_now_ns() + (uint64_t)(opts.interval_s * 1e9);
	while (!rw_stop_requested && !quit_pressed()) {
		ret = agent__poll(agent, DRAIN_INTERVAL_MS);
		if (ret < 0) {
			restore_terminal();
			rw_error("reading events failed: %s", strerror(-ret));
			goto out;
		}
		if (mono_now_ns() >= next_draw) {
			draw(&t, agent, opts.interval_s);
			next_draw = mono_now_ns() + (uint64_t)(opts.interval_s * 1e9);
		}
		if (rw_output_error(stdout))
			break; /* the reader went away, or a write failed: main() tells which */
	}
	status = EXIT_OK;
out:
	restore_terminal();
	agent__free(agent);
	decoder__fini(&t.dec);
	metrics__free(t.metrics);
	zombie_census__free(t.census);
	return status;
}
