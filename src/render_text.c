// SPDX-License-Identifier: GPL-2.0
/* `trace` for a person: aligned columns, one event per line, hostile names escaped. */
#include <inttypes.h>
#include <string.h>
#include "escape.h"
#include "kube.h"
#include "render.h"
#include "signames.h"
#include "timefmt.h"

/* A comm escaped for text: at most 16 bytes, each at most 4 bytes escaped. */
#define COMM_TEXT (RW_COMM_LEN * 4 + 1)
#define CONTAINER_SHORT 12

/* The COMM column's display width, as the header's "%-16s" gives it. */
#define COMM_WIDTH 16
#define COMM_COLUMN TEXT_COLUMN_CAP(COMM_WIDTH)

static const char *text_comm(char buf[COMM_TEXT], const char *comm)
{
	text_escape(buf, COMM_TEXT, comm, strlen(comm));
	return buf;
}

/* Cut or padded to exactly COMM_WIDTH columns: the columns after it stay in line. */
static const char *comm_column(char buf[COMM_COLUMN], const char *comm)
{
	char esc[COMM_TEXT];

	text_column(buf, COMM_COLUMN, text_comm(esc, comm), COMM_WIDTH);
	return buf;
}

static void print_signal(FILE *out, const char *key, int sig)
{
	const char *name = signal_name(sig);

	if (name)
		fprintf(out, "%s=%s", key, name);
	else
		fprintf(out, "%s=%d", key, sig);
}

static void print_peer(FILE *out, const char *key, const struct ev_peer *peer)
{
	char comm[COMM_TEXT];

	fprintf(out, "%s=%" PRIu32 "(%s)", key, peer->pid, text_comm(comm, peer->comm));
}

/* " KEY=VALUE" for a Kubernetes name that is known (NULL: not; "": a sandbox's container). */
static void print_name(FILE *out, const char *key, const char *name)
{
	char esc[4 * KUBE_NAME_MAX + 1]; /* (each byte at most 4 escaped) */

	if (!name || !name[0])
		return;
	text_escape(esc, sizeof(esc), name, strlen(name));
	fprintf(out, " %s=%s", key, esc);
}

void render_text_header(FILE *out)
{
	fprintf(out, "%-15s %-8s %-7s %-16s %-7s %-12s %s\n", "TIME(UTC)", "EVENT", "PID", "COMM",
		"NS_PID", "CONTAINER", "DETAILS");
}

void render_text_event(FILE *out, const struct event *ev)
{
	const char *container = ev->proc.cgroup->container_id;
	char time[RFC3339_US_LEN], comm[COMM_COLUMN];

	format_rfc3339_us(time, sizeof(time), ev->unix_ns);
	/* "2026-11-23T16:00:00.123456Z" -> "16:00:00.123456" */
	fprintf(out, "%-15.15s %-8s %-7" PRIu32 " %s %-7" PRIu32 " %-12.*s ", time + 11,
		event_type_name(ev->type), ev->proc.pid, comm_column(comm, ev->proc.comm),
		ev->proc.ns_pid, CONTAINER_SHORT, container[0] ? container : "-");

	switch (ev->type) {
	case RW_REC_FORK:
		print_peer(out, "parent", &ev->fork.parent);
		break;
	case RW_REC_EXIT:
		if (ev->exit.exited)
			fprintf(out, "exit_code=%d", ev->exit.exit_code);
		else
			print_signal(out, "signal", ev->exit.term_signal);
		if (ev->exit.core_dumped)
			fputs(" core_dumped", out);
		fputc(' ', out);
		print_peer(out, "parent", &ev->exit.parent);
		fprintf(out, " lifetime=%.6fs", (double)ev->exit.lifetime_ns / 1e9);
		break;
	case RW_REC_REAP:
		print_peer(out, "reaper", &ev->reap.reaper);
		if (ev->reap.latency_known)
			fprintf(out, " latency=%s%.6fs", event_reap_latency_exact(ev) ? "" : "<=",
				(double)ev->reap.latency_ns / 1e9);
		else
			fputs(" latency=unknown", out);
		if (ev->reap.autoreap)
			fputs(" autoreap", out);
		break;
	case RW_REC_REPARENT:
		print_peer(out, "from", &ev->reparent.old_parent);
		fputc(' ', out);
		print_peer(out, "to", &ev->reparent.new_parent);
		fprintf(out, " kind=%s%s%s", reaper_kind_name(ev->reparent.kind),
			ev->reparent.in_pidns ? "" : " outside_pidns",
			ev->reparent.corrected ? " corrected" : "");
		break;
	case RW_REC_TEARDOWN:
		if (ev->teardown.members == RW_MEMBERS_UNKNOWN)
			fputs("members=unknown", out);
		else
			fprintf(out, "members=%" PRIu32, ev->teardown.members);
		fprintf(out, " sigkilled=%" PRIu32 " without_sigterm=%" PRIu32,
			ev->teardown.sigkilled, ev->teardown.sigkilled_without_sigterm);
		if (ev->teardown.grace_known)
			fprintf(out, " grace=%.6fs", (double)ev->teardown.grace_ns / 1e9);
		else
			fputs(" grace=none", out);
		fprintf(out, " duration=%.6fs", (double)ev->teardown.duration_ns / 1e9);
		if (ev->teardown.npids) {
			fputs(" killed=", out);
			/* pid, or pid:SIGNAL for one that had a termination signal first */
			for (uint32_t i = 0; i < ev->teardown.npids; i++) {
				fprintf(out, "%s%" PRIu32, i ? "," : "", ev->teardown.sigkilled_pids[i]);
				if (ev->teardown.warned_sig[i])
					fprintf(out, ":%s", signal_name(ev->teardown.warned_sig[i]));
			}
			if (ev->teardown.sigkilled > ev->teardown.npids)
				fputs(",...", out);
		}
		break;
	case RW_REC_SIGNAL: {
		const char *code = si_code_name(ev->signal.sig, ev->signal.code);
		const char *result = signal_result_name(ev->signal.result);

		print_signal(out, "sig", ev->signal.sig);
		fputc(' ', out);
		print_peer(out, "sender", &ev->signal.sender);
		if (code)
			fprintf(out, " code=%s", code);
		else
			fprintf(out, " code=%d", ev->signal.code);
		fprintf(out, " origin=%s", signal_origin_name(ev->signal.origin));
		if (result)
			fprintf(out, " result=%s", result);
		else
			fprintf(out, " result=%d", ev->signal.result);
		break;
	}
	default:
		break;
	}
	/* The subject's Kubernetes names, as JSON has them: last, known only on a node. */
	print_name(out, "pod", ev->proc.cgroup->pod);
	print_name(out, "namespace", ev->proc.cgroup->namespace);
	print_name(out, "container", ev->proc.cgroup->container);
	fputc('\n', out);
}

void render_text_lost(FILE *out, uint64_t unix_ns, const char *reason, uint64_t count,
		      uint64_t total)
{
	char time[RFC3339_US_LEN];

	format_rfc3339_us(time, sizeof(time), unix_ns);
	fprintf(out, "%-15.15s %-8s %-7s %-16s %-7s %-12s reason=%s count=%" PRIu64
		     " total=%" PRIu64 "\n",
		time + 11, "lost", "-", "-", "-", "-", reason, count, total);
}
