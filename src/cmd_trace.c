// SPDX-License-Identifier: GPL-2.0
/* `reapwatch trace`: stream events until SIGINT/SIGTERM or --duration. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "agent.h"
#include "args.h"
#include "commands.h"
#include "decode.h"
#include "filter.h"
#include "outq.h"
#include "render.h"
#include "util.h"

/* docs: a reader on a pipe sees events at least every 100 ms. */
#define DRAIN_INTERVAL_MS 100
#define CLOCK_RESYNC_NS 1000000000ull
/* Loss is said in-band, and on stderr, at most this often while it goes on. */
#define LOSS_REPORT_NS 1000000000ull
/* Output waiting for a reader that does not take it, before events are dropped: minutes of
 * a busy node's events, so that a reader paused for a while loses none. */
#define OUTPUT_BACKLOG_BYTES (64u << 20)

struct trace {
	struct decoder dec;
	struct event_filter filter;
	bool json;
	struct outq *outq;	/* stdout, written by its own thread (outq.h) */
	FILE *out;		/* outq__file(): where the renderers write */
	uint64_t shown;		/* events written (cgroup-name records are internal) */
	uint64_t shown_reaps;
	uint64_t shown_late;	/* of those, reported after the process was gone */
	uint64_t pending, pending_reaps, pending_late; /* rendered, not yet handed on */
	uint64_t stalled;	/* events dropped: the output's backlog was full */
	uint64_t stalled_told;
	uint64_t lost_told;	/* ring-buffer loss already said */
	uint64_t drops_told[AGENT_DROPS];
	int werr;		/* the output's first failure, -errno */
};

static int on_record(void *ctx, void *data, size_t size)
{
	struct trace *t = ctx;
	struct event ev;

	if (decoder__decode(&t->dec, data, size, &ev))
		return 0;
	if (!filter_match(&t->filter, &ev))
		return 0;
	if (t->json)
		render_json_event(t->out, &ev);
	else
		render_text_event(t->out, &ev);
	t->pending++;
	if (ev.type == RW_REC_REAP) {
		t->pending_reaps++;
		t->pending_late += ev.reap.late;
	}
	return 0;
}

static void tell_loss(struct trace *t, const char *reason, uint64_t count, uint64_t total)
{
	uint64_t unix_ns = mono_now_ns() + (uint64_t)t->dec.mono_to_unix_ns;

	if (t->json)
		render_json_lost(t->out, unix_ns, reason, count, total);
	else
		render_text_lost(t->out, unix_ns, reason, count, total);
}

/*
 * What was lost since the last look, as a `lost` record per reason in the output, where a
 * reader of the stream sees the gap, and a line on stderr for a person. Frees our program
 * missed lose nothing (the late reaps are shown, and counted at exit): not said here.
 */
static void report_loss(struct trace *t, struct agent *agent)
{
	uint64_t lost = agent__lost(agent), drops[AGENT_DROPS];

	if (t->stalled > t->stalled_told) {
		tell_loss(t, "output_stalled", t->stalled - t->stalled_told, t->stalled);
		fprintf(stderr, "reapwatch: lost %llu events (output stalled: the reader took "
				"nothing while %u MiB waited)\n",
			(unsigned long long)(t->stalled - t->stalled_told), OUTPUT_BACKLOG_BYTES >> 20);
		t->stalled_told = t->stalled;
	}
	if (lost > t->lost_told) {
		tell_loss(t, "ring_buffer_full", lost - t->lost_told, lost);
		fprintf(stderr, "reapwatch: lost %llu events (ring buffer full)\n",
			(unsigned long long)(lost - t->lost_told));
		t->lost_told = lost;
	}
	agent__drops(agent, drops);
	for (int i = 0; i < AGENT_DROPS; i++) {
		const struct agent_drop_reason *r = &agent_drop_reasons[i];

		if (r->late_only || drops[i] <= t->drops_told[i])
			continue;
		tell_loss(t, r->name, drops[i] - t->drops_told[i], drops[i]);
		fprintf(stderr, "reapwatch: lost %llu: %s (%s)\n",
			(unsigned long long)(drops[i] - t->drops_told[i]), r->cost, r->name);
		t->drops_told[i] = drops[i];
	}
}

/* Hand what the renderers wrote to the writer; false once the reader has gone away or a
 * write failed (t->werr says which). Events that did not fit the backlog are counted. */
static bool flush_output(struct trace *t)
{
	int ret;

	if (t->werr)
		return false;
	ret = outq__flush(t->outq);
	t->out = outq__file(t->outq);
	if (ret < 0) {
		t->werr = ret;
		return false;
	}
	if (ret == 1) {
		t->stalled += t->pending;
	} else {
		t->shown += t->pending;
		t->shown_reaps += t->pending_reaps;
		t->shown_late += t->pending_late;
	}
	t->pending = t->pending_reaps = t->pending_late = 0;
	return true;
}

int cmd_trace(const struct command *cmd, int argc, char **argv)
{
	struct trace_opts opts;
	struct trace t = { 0 };
	struct agent *agent = NULL;
	struct zombie_census *census = NULL;
	char err[ARGS_ERR_LEN];
	uint64_t deadline = 0, next_resync, next_loss_report;
	int ret, werr, status = EXIT_RUNTIME;

	ret = parse_trace_args(argc, argv, &opts, err, sizeof(err));
	if (ret == ARGS_HELP) {
		print_command_help(stdout, cmd);
		return EXIT_OK;
	}
	if (ret)
		return usage_error(cmd, err);

	t.json = opts.json;
	t.filter = (struct event_filter){ .event_mask = opts.event_mask,
					  .pid = opts.pid,
					  .comm = opts.comm,
					  .container = opts.container };
	rw_install_stop_signals();
	if (decoder__init(&t.dec)) {
		rw_error("out of memory");
		return EXIT_RUNTIME;
	}
	/* (stdout's FILE is not used from here on: what help and errors wrote is out) */
	fflush(stdout);
	ret = outq__new(&t.outq, STDOUT_FILENO, OUTPUT_BACKLOG_BYTES);
	if (ret) {
		rw_error("cannot start the output's writer: %s", strerror(-ret));
		decoder__fini(&t.dec);
		return EXIT_RUNTIME;
	}
	t.out = outq__file(t.outq);

	/* The kernel side sends only the types asked for; the rest of the filter is ours. */
	struct agent_config config = {
		.event_mask = opts.event_mask,
		/* Always: any running agent gives `reapwatch zombies` exact ages. */
		.track_reaping = true,
	};
	if (agent__open(&agent, &config, on_record, &t))
		goto out;

	/* After attaching: a zombie found now either died before (and is in the census)
	 * or after (and the kernel side tracks it). */
	if (config.track_reaping && !zombie_census__new(&census, "/proc"))
		t.dec.census = census;

	fprintf(stderr, "reapwatch: tracing %s events on this host (Ctrl-C to stop)\n",
		opts.event_mask == RW_EVENTS_ALL ? "all" : "selected");
	if (!t.json)
		render_text_header(t.out);
	if (!flush_output(&t))
		goto done;

	next_resync = mono_now_ns() + CLOCK_RESYNC_NS;
	next_loss_report = mono_now_ns() + LOSS_REPORT_NS;
	if (opts.duration_s > 0)
		deadline = mono_now_ns() + (uint64_t)(opts.duration_s * 1e9);

	/* poll: drain every DRAIN_INTERVAL_MS, or sooner when the kernel asks */
	while (!rw_stop_requested) {
		uint64_t now = mono_now_ns();
		int timeout = DRAIN_INTERVAL_MS;

		if (deadline) {
			if (now >= deadline)
				break;
			if (deadline - now < (uint64_t)timeout * 1000000)
				timeout = (int)((deadline - now) / 1000000) + 1;
		}
		if (now >= next_resync) {
			t.dec.mono_to_unix_ns = mono_to_unix_offset_ns();
			next_resync = now + CLOCK_RESYNC_NS;
		}
		ret = agent__poll(agent, timeout);
		if (ret < 0) {
			rw_error("reading events failed: %s", strerror(-ret));
			goto out;
		}
		if (mono_now_ns() >= next_loss_report) {
			report_loss(&t, agent);
			next_loss_report = mono_now_ns() + LOSS_REPORT_NS;
		}
		if (!flush_output(&t))
			goto done;
	}
	/* What the kernel queued before we stopped is still shown, and the reaps only a
	 * sweep would find. */
	agent__stop(agent);
	report_loss(&t, agent);
	flush_output(&t);
done:
	/* Events that were not written are not claimed as shown; a reader gone is no failure. */
	werr = outq__free(t.outq);
	t.outq = NULL;
	if (!werr)
		werr = t.werr;
	if (werr && werr != -EPIPE) {
		status = rw_output_failed(werr);
		goto out;
	}
	fprintf(stderr, "reapwatch: %llu events, %llu lost\n", (unsigned long long)t.shown,
		(unsigned long long)agent__lost(agent));
	/* Information, not a fault: the kernel skips our sched_process_free program now and
	 * then (agent.c); such a reap is still reported, from what was seen before the free. */
	if (t.shown_late)
		fprintf(stderr,
			"reapwatch: %llu of the %llu reaps shown came late, found after the kernel "
			"skipped our program at their free (it does now and then); a latency is "
			"exact where the wait() was seen, else unknown\n",
			(unsigned long long)t.shown_late, (unsigned long long)t.shown_reaps);
	if (t.dec.malformed)
		fprintf(stderr, "reapwatch: %llu malformed records ignored\n",
			(unsigned long long)t.dec.malformed);
	status = EXIT_OK;
out:
	outq__free(t.outq);
	agent__free(agent);
	decoder__fini(&t.dec);
	zombie_census__free(census);
	return status;
}
