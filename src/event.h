/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The decoded event model: what every renderer (text, JSON, later top and the
 * exporter) reads. Records from the kernel are decoded into it exactly once
 * (decode.c); renderers never look at raw records.
 */
#ifndef REAPWATCH_EVENT_H
#define REAPWATCH_EVENT_H

#include <stdbool.h>
#include <stdint.h>
#include "reapwatch.h"

#define COMM_BUF (RW_COMM_LEN + 1)

/* Where a cgroup v2 id leads; owned by the cgroup cache, valid while it lives. */
struct cgroup_info {
	uint64_t id;
	const char *path;	  /* "" when unknown (e.g. removed before we looked) */
	char container_id[65];	  /* "" on the host */
	const char *pod;	  /* Kubernetes names, NULL when unknown */
	const char *namespace;
	const char *container;
};

struct ev_proc {
	uint32_t pid;
	uint32_t ns_pid;
	uint32_t pidns;
	uint32_t pidns_level;
	uint64_t start_ns;
	char comm[COMM_BUF];
	const struct cgroup_info *cgroup; /* never NULL */
};

struct ev_peer {
	uint32_t pid;
	char comm[COMM_BUF];
};

struct ev_fork {
	struct ev_peer parent;
};

struct ev_exit {
	struct ev_peer parent;
	bool exited;	 /* exited normally: exit_code is valid */
	int exit_code;	 /* 0..255 */
	int term_signal; /* terminating signal, 0 if none */
	bool core_dumped;
	uint64_t lifetime_ns;
};

struct ev_reap {
	struct ev_peer reaper;
	bool latency_known; /* false for zombies that died before the agent started */
	uint64_t latency_ns; /* became a zombie -> reaped */
	bool autoreap;
	bool late; /* reported after the process was gone: its free was not seen */
	enum rw_reap_evidence how;
};

struct ev_reparent {
	struct ev_peer old_parent;
	struct ev_peer new_parent;
	enum rw_reaper_kind kind;
	bool in_pidns;	/* the adopter lives in the orphan's pid namespace */
	bool corrected; /* the adopter predicted at the father's exit was wrong; this is it */
	enum rw_reaper_kind predicted_kind; /* with corrected: the kind reported first */
};

struct ev_teardown {
	uint32_t members;
	uint32_t sigkilled;
	uint32_t sigkilled_without_sigterm;
	uint32_t npids;
	uint32_t sigkilled_pids[RW_TEARDOWN_MAX_PIDS];
	uint8_t warned_sig[RW_TEARDOWN_MAX_PIDS]; /* of each: its first termination signal, 0 */
	bool grace_known; /* a SIGTERM went into the namespace before its init exited */
	uint64_t grace_ns;
	uint64_t duration_ns; /* init exit -> namespace empty */
};

struct ev_signal {
	struct ev_peer sender;
	int sig;
	int code;
	int result;
	enum rw_signal_origin origin;
	bool group;
};

struct event {
	enum rw_record_type type;
	uint64_t mono_ns; /* CLOCK_MONOTONIC, as the kernel stamped it */
	uint64_t unix_ns; /* the same instant on the wall clock */
	struct ev_proc proc;
	union {
		struct ev_fork fork;
		struct ev_exit exit;
		struct ev_reap reap;
		struct ev_reparent reparent;
		struct ev_teardown teardown;
		struct ev_signal signal;
	};
};

/* "fork", "exit", ... ; NULL for an unknown type. */
const char *event_type_name(enum rw_record_type type);

/* "user", "kernel", "pidns_teardown", "parent_death". */
const char *signal_origin_name(enum rw_signal_origin origin);

/* "thread", "subreaper", "pidns_init", "host_init". */
const char *reaper_kind_name(enum rw_reaper_kind kind);

/*
 * Is a reap's latency exact (the reaping wait() was seen, or nothing had to wait) rather
 * than an upper bound (only the task's free, an RCU callback after the reap, was seen)?
 */
bool event_reap_latency_exact(const struct event *ev);

/* Decode a wait() status word (as in <sys/wait.h>) into an exit event. */
void ev_exit_set_status(struct ev_exit *exit, uint32_t status);

#endif /* REAPWATCH_EVENT_H */
