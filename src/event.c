// SPDX-License-Identifier: GPL-2.0
/* The event model's names and small rules (event.h): type, origin and reaper-kind names,
 * whether a reap's latency is exact, wait() status words. */
#include <stddef.h>
#include "event.h"

static const char *const type_names[RW_REC_MAX] = {
	[RW_REC_FORK] = "fork",	    [RW_REC_EXIT] = "exit",	    [RW_REC_REAP] = "reap",
	[RW_REC_REPARENT] = "reparent", [RW_REC_SIGNAL] = "signal", [RW_REC_TEARDOWN] = "teardown",
};

const char *event_type_name(enum rw_record_type type)
{
	if ((unsigned)type >= RW_REC_MAX)
		return NULL;
	return type_names[type];
}

/* The decoding of WIFEXITED/WEXITSTATUS/WTERMSIG/WCOREDUMP, without <sys/wait.h>'s macros. */
void ev_exit_set_status(struct ev_exit *exit, uint32_t status)
{
	int sig = status & 0x7f;

	exit->exited = sig == 0;
	exit->exit_code = exit->exited ? (int)((status >> 8) & 0xff) : 0;
	exit->term_signal = exit->exited ? 0 : sig;
	exit->core_dumped = !exit->exited && (status & 0x80);
}

const char *signal_origin_name(enum rw_signal_origin origin)
{
	switch (origin) {
	case RW_ORIGIN_USER:
		return "user";
	case RW_ORIGIN_KERNEL:
		return "kernel";
	case RW_ORIGIN_PIDNS_TEARDOWN:
		return "pidns_teardown";
	case RW_ORIGIN_PARENT_DEATH:
		return "parent_death";
	}
	return "unknown";
}

bool event_reap_latency_exact(const struct event *ev)
{
	switch (ev->reap.how) {
	case RW_REAP_WAIT_ENTRY:
	case RW_REAP_BLOCKED_WAITER:
	case RW_REAP_AUTOREAP:
		return true;
	case RW_REAP_UNTRACKED:
	case RW_REAP_FREE_ONLY:
	case RW_REAP_SWEPT:
		break;
	}
	return false;
}

const char *reaper_kind_name(enum rw_reaper_kind kind)
{
	switch (kind) {
	case RW_REAPER_THREAD:
		return "thread";
	case RW_REAPER_SUBREAPER:
		return "subreaper";
	case RW_REAPER_PIDNS_INIT:
		return "pidns_init";
	case RW_REAPER_HOST_INIT:
		return "host_init";
	}
	return "unknown";
}
