// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include "decode.h"
#include "util.h"

static const size_t record_size[RW_REC_MAX] = {
	[RW_REC_FORK] = sizeof(struct rw_fork_record),
	[RW_REC_EXIT] = sizeof(struct rw_exit_record),
	[RW_REC_SIGNAL] = sizeof(struct rw_signal_record),
	[RW_REC_REAP] = sizeof(struct rw_reap_record),
	[RW_REC_REPARENT] = sizeof(struct rw_reparent_record),
	[RW_REC_TEARDOWN] = sizeof(struct rw_teardown_record),
};

/* The kernel's comm is NUL-padded but a 16-byte one has no NUL: copy with a bound. */
static void copy_comm(char *dst, const char *src)
{
	size_t n = strnlen(src, RW_COMM_LEN);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void decode_proc(struct decoder *dec, const struct rw_proc *raw, struct ev_proc *proc)
{
	proc->pid = raw->pid;
	proc->ns_pid = raw->ns_pid;
	proc->pidns = raw->pidns;
	proc->pidns_level = raw->pidns_level;
	proc->start_ns = raw->start_ns;
	copy_comm(proc->comm, raw->comm);
	proc->cgroup = cgroup_cache__lookup(dec->cgroups, raw->cgroup_id);
}

static void decode_peer(const struct rw_peer *raw, struct ev_peer *peer)
{
	peer->pid = raw->pid;
	copy_comm(peer->comm, raw->comm);
}

/*
 * The reap happened at reap_ns when something showed it; with only the free to go
 * by (hdr.ts_ns), that is an upper bound. Latency runs from zombie start.
 */
static int decode_reap(struct decoder *dec, const struct rw_reap_record *rec, struct event *ev)
{
	uint64_t zombie = rec->zombie_ns ? rec->zombie_ns : rec->exit_ns;
	uint64_t reaped = rec->reap_ns ? rec->reap_ns : rec->hdr.ts_ns;

	if (rec->how == RW_REAP_UNTRACKED) {
		/* Died before we started: only a zombie we found at start is news. */
		const struct zombie *z =
			dec->census ? zombie_census_find(dec->census, rec->proc.pid,
							 boot_ns_to_ticks(rec->proc.start_ns))
				    : NULL;
		struct rw_proc proc = rec->proc;

		if (!z)
			return -ENOENT;
		proc.ns_pid = z->ns_pid;
		proc.pidns = z->pidns;
		proc.cgroup_id = z->cgroup_id;
		proc.start_ns = 0;
		decode_proc(dec, &proc, &ev->proc);
	} else {
		decode_proc(dec, &rec->proc, &ev->proc);
	}
	decode_peer(&rec->reaper, &ev->reap.reaper);
	ev->reap.how = rec->how;
	ev->reap.autoreap = rec->autoreap;
	ev->reap.late = rec->late;
	/* Swept without evidence: when it was reaped is not known, only that it was. */
	ev->reap.latency_known = rec->how != RW_REAP_UNTRACKED && rec->how != RW_REAP_SWEPT && zombie;
	if (ev->reap.latency_known)
		ev->reap.latency_ns = reaped > zombie ? reaped - zombie : 0;
	ev->mono_ns = reaped;
	ev->unix_ns = (uint64_t)((int64_t)reaped + dec->mono_to_unix_ns);
	return 0;
}

static void decode_teardown(struct decoder *dec, const struct rw_teardown_record *rec,
			    struct event *ev)
{
	const struct rw_teardown *t = &rec->td;
	struct ev_teardown *td = &ev->teardown;

	decode_proc(dec, &t->init, &ev->proc);
	td->members = t->members;
	td->sigkilled = t->sigkilled;
	td->sigkilled_without_sigterm = t->sigkilled_without_sigterm;
	td->npids = t->npids < RW_TEARDOWN_MAX_PIDS ? t->npids : RW_TEARDOWN_MAX_PIDS;
	memcpy(td->sigkilled_pids, t->sigkilled_pids, td->npids * sizeof(td->sigkilled_pids[0]));
	memcpy(td->warned_sig, t->sigkilled_warned, td->npids * sizeof(td->warned_sig[0]));
	td->grace_known = t->first_sigterm_ns && t->first_sigterm_ns <= t->init_exit_ns;
	if (td->grace_known)
		td->grace_ns = t->init_exit_ns - t->first_sigterm_ns;
	td->duration_ns = rec->hdr.ts_ns > t->init_exit_ns ? rec->hdr.ts_ns - t->init_exit_ns : 0;
}

int decoder_init(struct decoder *dec)
{
	memset(dec, 0, sizeof(*dec));
	dec->cgroups = cgroup_cache__new();
	if (!dec->cgroups)
		return -ENOMEM;
	cgroup_cache__scan(dec->cgroups);
	dec->mono_to_unix_ns = mono_to_unix_offset_ns();
	return 0;
}

void decoder_fini(struct decoder *dec)
{
	cgroup_cache__free(dec->cgroups);
	dec->cgroups = NULL;
}

int decode_record(struct decoder *dec, const void *data, size_t size, struct event *ev)
{
	const struct rw_header *hdr = data;

	if (size >= sizeof(struct rw_cgroup_record) && hdr->type == RW_REC_CGROUP &&
	    hdr->size == sizeof(struct rw_cgroup_record)) {
		const struct rw_cgroup_record *rec = data;
		char path[RW_CGROUP_PATH_LEN + 1];

		memcpy(path, rec->path, RW_CGROUP_PATH_LEN);
		path[RW_CGROUP_PATH_LEN] = '\0';
		cgroup_cache__learn(dec->cgroups, rec->cgroup_id, path);
		return -ENOENT; /* not an event */
	}
	if (size < sizeof(*hdr) || hdr->type >= RW_REC_MAX || !record_size[hdr->type] ||
	    hdr->size != record_size[hdr->type] || size < hdr->size) {
		dec->malformed++;
		return -EINVAL;
	}
	memset(ev, 0, sizeof(*ev));
	ev->type = hdr->type;
	ev->mono_ns = hdr->ts_ns;
	ev->unix_ns = (uint64_t)((int64_t)hdr->ts_ns + dec->mono_to_unix_ns);

	switch (hdr->type) {
	case RW_REC_FORK: {
		const struct rw_fork_record *rec = data;

		decode_proc(dec, &rec->child, &ev->proc);
		decode_peer(&rec->parent, &ev->fork.parent);
		break;
	}
	case RW_REC_EXIT: {
		const struct rw_exit_record *rec = data;

		decode_proc(dec, &rec->proc, &ev->proc);
		decode_peer(&rec->parent, &ev->exit.parent);
		ev_exit_set_status(&ev->exit, rec->exit_status);
		ev->exit.lifetime_ns = rec->lifetime_ns;
		break;
	}
	case RW_REC_REAP:
		return decode_reap(dec, data, ev);
	case RW_REC_TEARDOWN:
		decode_teardown(dec, data, ev);
		break;
	case RW_REC_REPARENT: {
		const struct rw_reparent_record *rec = data;

		decode_proc(dec, &rec->orphan, &ev->proc);
		decode_peer(&rec->old_parent, &ev->reparent.old_parent);
		decode_peer(&rec->new_parent, &ev->reparent.new_parent);
		ev->reparent.kind = rec->reaper_kind;
		ev->reparent.in_pidns = rec->reaper_in_pidns;
		ev->reparent.corrected = rec->corrected;
		ev->reparent.predicted_kind = rec->predicted_kind;
		break;
	}
	case RW_REC_SIGNAL: {
		const struct rw_signal_record *rec = data;

		decode_proc(dec, &rec->target, &ev->proc);
		decode_peer(&rec->sender, &ev->signal.sender);
		ev->signal.sig = rec->sig;
		ev->signal.code = rec->code;
		ev->signal.result = rec->result;
		ev->signal.origin = rec->origin;
		ev->signal.group = rec->group;
		break;
	}
	default:
		dec->malformed++;
		return -EINVAL;
	}
	return 0;
}
