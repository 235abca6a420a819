// SPDX-License-Identifier: GPL-2.0
/* `trace --json`: one object per event with docs/reapwatch.md's keys ("Events"). */
#include "json.h"
#include "render.h"
#include "signames.h"
#include "timefmt.h"

static void json_kv_name_or_number(struct json_writer *w, const char *key, const char *name,
				   int number)
{
	json_key(w, key);
	if (name)
		json_string(w, name);
	else
		json_int(w, number);
}

static void json_kv_name_or_null(struct json_writer *w, const char *key, const char *name)
{
	json_key(w, key);
	if (name)
		json_string(w, name);
	else
		json_null(w);
}

void render_json_record_type(struct json_writer *w, const char *type, uint64_t unix_ns)
{
	char time[RFC3339_US_LEN];

	format_rfc3339_us(time, sizeof(time), unix_ns);
	json_kv_string(w, "type", type);
	json_kv_string(w, "time", time);
}

static void render_subject(struct json_writer *w, const struct event *ev)
{
	const struct cgroup_info *cg = ev->proc.cgroup;

	render_json_record_type(w, event_type_name(ev->type), ev->unix_ns);
	json_kv_uint(w, "pid", ev->proc.pid);
	json_kv_string(w, "comm", ev->proc.comm);
	json_kv_uint(w, "ns_pid", ev->proc.ns_pid);
	json_kv_uint(w, "pidns", ev->proc.pidns);
	json_kv_string(w, "container_id", cg->container_id);
	json_kv_string(w, "cgroup", cg->path);
	if (cg->pod)
		json_kv_string(w, "pod", cg->pod);
	if (cg->namespace)
		json_kv_string(w, "namespace", cg->namespace);
	if (cg->container && cg->container[0]) /* (a pod's sandbox has none) */
		json_kv_string(w, "container", cg->container);
}

static void render_parent(struct json_writer *w, const struct ev_peer *parent)
{
	json_kv_uint(w, "ppid", parent->pid);
	json_kv_string(w, "parent_comm", parent->comm);
}

/* Those of a teardown's sigkilled_pids that had a termination signal first, and which:
 * [{"pid": P, "signal": "SIGTERM"}, ...]. */
static void render_warned(struct json_writer *w, const struct ev_teardown *td)
{
	json_begin_array(w);
	for (uint32_t i = 0; i < td->npids; i++) {
		if (!td->warned_sig[i])
			continue;
		json_begin_object(w);
		json_kv_uint(w, "pid", td->sigkilled_pids[i]);
		json_kv_string(w, "signal", signal_name(td->warned_sig[i]));
		json_end_object(w);
	}
	json_end_array(w);
}

void render_json_event(FILE *out, const struct event *ev)
{
	struct json_writer w;

	json_init(&w, out);
	json_begin_object(&w);
	render_subject(&w, ev);
	switch (ev->type) {
	case RW_REC_FORK:
		render_parent(&w, &ev->fork.parent);
		break;
	case RW_REC_EXIT:
		render_parent(&w, &ev->exit.parent);
		if (ev->exit.exited)
			json_kv_int(&w, "exit_code", ev->exit.exit_code);
		else
			json_kv_null(&w, "exit_code");
		json_kv_name_or_null(&w, "signal",
				     ev->exit.exited ? NULL : signal_name(ev->exit.term_signal));
		json_kv_bool(&w, "core_dumped", ev->exit.core_dumped);
		json_kv_uint(&w, "lifetime_ns", ev->exit.lifetime_ns);
		break;
	case RW_REC_REAP:
		json_kv_uint(&w, "reaper_pid", ev->reap.reaper.pid);
		json_kv_string(&w, "reaper_comm", ev->reap.reaper.comm);
		if (ev->reap.latency_known) {
			json_kv_uint(&w, "latency_ns", ev->reap.latency_ns);
			/* docs: accurate where the reaper's wait is seen, else an upper bound */
			json_kv_bool(&w, "latency_exact", event_reap_latency_exact(ev));
		} else {
			json_kv_null(&w, "latency_ns");
			json_kv_null(&w, "latency_exact");
		}
		json_kv_bool(&w, "autoreap", ev->reap.autoreap);
		break;
	case RW_REC_REPARENT:
		json_kv_uint(&w, "old_ppid", ev->reparent.old_parent.pid);
		json_kv_string(&w, "old_parent_comm", ev->reparent.old_parent.comm);
		json_kv_uint(&w, "new_ppid", ev->reparent.new_parent.pid);
		json_kv_string(&w, "new_parent_comm", ev->reparent.new_parent.comm);
		json_kv_string(&w, "reaper_kind", reaper_kind_name(ev->reparent.kind));
		json_kv_bool(&w, "reaper_in_pidns", ev->reparent.in_pidns);
		json_kv_bool(&w, "corrected", ev->reparent.corrected);
		break;
	case RW_REC_TEARDOWN:
		if (ev->teardown.members == RW_MEMBERS_UNKNOWN)
			json_kv_null(&w, "members"); /* a kernel without bpf_loop() */
		else
			json_kv_uint(&w, "members", ev->teardown.members);
		json_kv_uint(&w, "sigkilled", ev->teardown.sigkilled);
		json_kv_uint(&w, "sigkilled_without_sigterm", ev->teardown.sigkilled_without_sigterm);
		json_key(&w, "sigkilled_pids");
		json_begin_array(&w);
		for (uint32_t i = 0; i < ev->teardown.npids; i++)
			json_uint(&w, ev->teardown.sigkilled_pids[i]);
		json_end_array(&w);
		json_key(&w, "warned_pids");
		render_warned(&w, &ev->teardown);
		if (ev->teardown.grace_known)
			json_kv_uint(&w, "grace_ns", ev->teardown.grace_ns);
		else
			json_kv_null(&w, "grace_ns");
		json_kv_uint(&w, "duration_ns", ev->teardown.duration_ns);
		break;
	case RW_REC_SIGNAL:
		json_kv_int(&w, "sig", ev->signal.sig);
		json_kv_name_or_null(&w, "signal", signal_name(ev->signal.sig));
		json_kv_uint(&w, "sender_pid", ev->signal.sender.pid);
		json_kv_string(&w, "sender_comm", ev->signal.sender.comm);
		json_kv_name_or_number(&w, "code", si_code_name(ev->signal.sig, ev->signal.code),
				       ev->signal.code);
		json_kv_string(&w, "origin", signal_origin_name(ev->signal.origin));
		json_kv_name_or_number(&w, "result", signal_result_name(ev->signal.result),
				       ev->signal.result);
		break;
	default:
		break;
	}
	json_end_object(&w);
	putc_unlocked('\n', out);
}

void render_json_lost(FILE *out, uint64_t unix_ns, const char *reason, uint64_t count,
		      uint64_t total)
{
	struct json_writer w;

	json_init(&w, out);
	json_begin_object(&w);
	render_json_record_type(&w, "lost", unix_ns);
	json_kv_string(&w, "reason", reason);
	json_kv_uint(&w, "count", count);
	json_kv_uint(&w, "total", total);
	json_end_object(&w);
	putc_unlocked('\n', out);
}
