/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one definition of what the kernel side (bpf/) tells userspace (src/).
 * Fixed-size types only. Every record starts with struct rw_header whose `size`
 * userspace checks against the size it expects for that type, so the two halves
 * cannot silently disagree about a layout.
 */
#ifndef REAPWATCH_H
#define REAPWATCH_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#include <stdbool.h>
#endif

#define RW_COMM_LEN 16

/* Record types on the ring buffer; also the event types of `trace --events`. */
enum rw_record_type {
	RW_REC_FORK = 1,
	RW_REC_EXIT = 2,
	RW_REC_REAP = 3,
	RW_REC_REPARENT = 4,
	RW_REC_SIGNAL = 5,
	RW_REC_TEARDOWN = 6,
	RW_REC_MAX,
	/* Not events: what userspace needs to know to attribute them. */
	RW_REC_CGROUP = 16,
};

#define RW_EVENT_BIT(type) (1u << (type))
#define RW_EVENTS_ALL                                                                              \
	(RW_EVENT_BIT(RW_REC_FORK) | RW_EVENT_BIT(RW_REC_EXIT) | RW_EVENT_BIT(RW_REC_REAP) |      \
	 RW_EVENT_BIT(RW_REC_REPARENT) | RW_EVENT_BIT(RW_REC_SIGNAL) |                             \
	 RW_EVENT_BIT(RW_REC_TEARDOWN))
/* `trace` without --events: everything but fork, which doubles the volume on a busy node. */
#define RW_EVENTS_DEFAULT (RW_EVENTS_ALL & ~RW_EVENT_BIT(RW_REC_FORK))

/* Why a signal was generated (signal record `origin`). */
enum rw_signal_origin {
	RW_ORIGIN_USER = 0,	      /* si_code <= 0: kill(), tkill(), sigqueue() ... */
	RW_ORIGIN_KERNEL = 1,	      /* SI_KERNEL or a positive, signal-specific code */
	RW_ORIGIN_PIDNS_TEARDOWN = 2, /* zap_pid_ns_processes() killing what its init left */
	RW_ORIGIN_PARENT_DEATH = 3,   /* a child's PR_SET_PDEATHSIG, sent as its parent exits */
};

/* Per-CPU counters in the `counters` map, summed by userspace. */
enum rw_counter {
	RW_CTR_RINGBUF_LOST = 0, /* bpf_ringbuf_reserve() failed: an event was lost */
	RW_CTR_PROCS_FULL,	 /* an exited process could not be tracked: state map full */
	RW_CTR_WAIT_WALK_CUT,	 /* a wait()'s walk of the waiter's children hit its bound */
	RW_CTR_ORPHAN_WALK_CUT,	 /* a dying father had more children than we walk */
	RW_CTR_ORPHANS_FULL,	 /* an orphan's adopter could not be remembered for checking */
	RW_CTR_REPARENT_CORRECTED, /* the adopter predicted at the father's exit was not the one */
	RW_CTR_TERMED_FULL,	 /* a termination signal to a container process was not remembered */
	RW_CTR_TEARDOWNS_FULL,	 /* a pid namespace teardown could not be followed */
	RW_CTR_TASK_WALK_CUT,	 /* counting a dying namespace's members hit its bound */
	RW_CTR_STATS_FULL,	 /* a cgroup's counters could not be kept: stats map full */
	RW_CTR_FREE_MISSED,	 /* a process's free never ran our program; reaped late */
	RW_CTR_PENDING_FULL,	 /* an exiting thread's children could not be remembered */
	RW_CTR_FIRST_SIGTERM_FULL, /* a pid namespace's first SIGTERM was not remembered */
	RW_CTR_WAITERS_FULL,	 /* a sleeping waiter could not be remembered: reap timed at SIGCHLD */
	RW_CTR_MAX,
};

/* What tells us when a zombie was reaped (reap record `how`). */
enum rw_reap_evidence {
	RW_REAP_UNTRACKED = 0,	   /* exited before the agent started: no exit, no latency */
	RW_REAP_WAIT_ENTRY = 1,	   /* a do_wait() entered while it was the first waitable child */
	RW_REAP_BLOCKED_WAITER = 2, /* a do_wait() already asleep for it when it became a zombie */
	RW_REAP_AUTOREAP = 3,	   /* released at exit: parent ignores SIGCHLD or SA_NOCLDWAIT */
	RW_REAP_FREE_ONLY = 4,	   /* nothing seen but the free: reap_ns is an upper bound */
	RW_REAP_SWEPT = 5,	   /* its free never reached us (see agent.c): found gone later */
};

struct rw_header {
	__u16 type; /* enum rw_record_type */
	__u16 size; /* sizeof the whole record */
	__u32 cpu;
	__u64 ts_ns; /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
};

/* The subject of an event, as the kernel knew it at that moment. */
struct rw_proc {
	__u32 pid;	   /* host thread-group id */
	__u32 ns_pid;	   /* thread-group id inside its own pid namespace */
	__u32 pidns;	   /* inode number of that pid namespace */
	__u32 pidns_level; /* 0 on the host */
	__u64 cgroup_id;   /* cgroup v2 (default hierarchy) id, 0 if unknown */
	__u64 start_ns;	   /* group leader's start time: (pid, start_ns) names one process */
	char comm[RW_COMM_LEN];
};

/* A process related to the subject: its parent, a signal's sender, a reaper. */
struct rw_peer {
	__u32 pid; /* host thread-group id, 0 if none */
	__u32 _pad;
	char comm[RW_COMM_LEN];
};

struct rw_fork_record {
	struct rw_header hdr;
	struct rw_proc child;
	struct rw_peer parent;
};

struct rw_exit_record {
	struct rw_header hdr;
	struct rw_proc proc;
	struct rw_peer parent;
	__u32 exit_status; /* the wait() status word the parent will see */
	__u32 _pad;
	__u64 lifetime_ns; /* group leader's start -> last thread's exit */
};

struct rw_signal_record {
	struct rw_header hdr;
	struct rw_proc target;
	struct rw_peer sender; /* `current`: si_pid is namespace-translated, this is not */
	__s32 sig;
	__s32 code;   /* si_code; SEND_SIG_NOINFO -> SI_USER, SEND_SIG_PRIV -> SI_KERNEL */
	__s32 result; /* signal_generate's TRACE_SIGNAL_* result */
	__u8 origin;  /* enum rw_signal_origin */
	__u8 group;   /* sent to the whole thread group */
	__u16 _pad;
};

/* Who adopts an orphan (kernel/exit.c, find_new_reaper()). */
enum rw_reaper_kind {
	RW_REAPER_THREAD = 0,	  /* another thread of the dead father's process */
	RW_REAPER_SUBREAPER = 1,  /* nearest PR_SET_CHILD_SUBREAPER ancestor */
	RW_REAPER_PIDNS_INIT = 2, /* the pid namespace's init (a container's PID 1) */
	RW_REAPER_HOST_INIT = 3,  /* the host's init */
};

/*
 * A process lost its parent and was handed to a reaper. Sent at the father's exit,
 * from the kernel's own rule replayed there; if the orphan's real parent later
 * disagrees, a second record with `corrected` set gives the real adopter.
 */
struct rw_reparent_record {
	struct rw_header hdr;
	struct rw_proc orphan;
	struct rw_peer old_parent;
	struct rw_peer new_parent;
	__u8 reaper_kind;     /* enum rw_reaper_kind */
	__u8 reaper_in_pidns; /* the adopter's pid level is the orphan's */
	__u8 corrected;
	__u8 predicted_kind;  /* with corrected: the kind first reported (enum rw_reaper_kind) */
	__u8 _pad[4];
};

/*
 * Counters the kernel side keeps per cgroup for `export` (map `cgroup_stats`, per
 * CPU, keyed by cgroup v2 id), so that counting needs no ring-buffer record.
 * Reap latency goes into fixed buckets: upper bounds in ns, 100 us to 1 h, then +Inf.
 */
#define RW_LATENCY_BUCKETS 22
#define RW_LATENCY_BOUNDS_NS                                                                       \
	{ 100000ull,	   250000ull,	    500000ull,	     1000000ull,      2500000ull,          \
	  5000000ull,	   10000000ull,	    25000000ull,     50000000ull,     100000000ull,        \
	  250000000ull,	   500000000ull,    1000000000ull,   2500000000ull,   5000000000ull,       \
	  10000000000ull,  30000000000ull,  60000000000ull,  300000000000ull, 900000000000ull,     \
	  1800000000000ull, 3600000000000ull }

/* The bucket of a reap latency: the first whose bound it does not exceed, else
 * RW_LATENCY_BUCKETS (+Inf). One definition for the kernel side's counts and the agent's
 * late reaps (src/metrics.c), so that both land in the same buckets. */
static inline __u32 rw_latency_bucket(__u64 latency_ns)
{
	static const __u64 bounds[RW_LATENCY_BUCKETS] = RW_LATENCY_BOUNDS_NS;

	for (__u32 i = 0; i < RW_LATENCY_BUCKETS; i++)
		if (latency_ns <= bounds[i])
			return i;
	return RW_LATENCY_BUCKETS;
}

struct rw_cgroup_stats {
	__u64 forks;
	__u64 exits;
	__u64 reaps;	       /* with an exact latency (a wait seen, or an autoreap) */
	__u64 reap_latency_sum_ns;
	__u64 reap_latency_buckets[RW_LATENCY_BUCKETS + 1]; /* not cumulative; last: +Inf */
	__u64 reaps_unmeasured; /* reaped, but its time only bounded (its free) or unknown */
};

/* A cgroup's slot in `stats_owners`/`stats_slots` (bpf/stats.bpf.h); the others go to
 * `cgroup_stats`. A slot also counts the SIGCHLDs its cgroup's processes are sent by the
 * kernel (one per exit: a child's exit notification), which `signal_stats` counts for the
 * others. */
struct rw_cgroup_slot {
	struct rw_cgroup_stats stats;
	__u64 sigchld_kernel; /* signal 17, origin RW_ORIGIN_KERNEL */
};

#define RW_STATS_SLOTS 512 /* a power of two */
static inline __u32 rw_stats_slot(__u64 cgroup_id, __u32 mask)
{
	return (__u32)cgroup_id & mask;
}

/* Signals per (cgroup, signal, origin): map `signal_stats`, per CPU. */
struct rw_signal_key {
	__u64 cgroup_id;
	__u8 sig;
	__u8 origin; /* enum rw_signal_origin */
	__u8 _pad[6];
};

#define RW_CGROUP_PATH_LEN 512

/*
 * A cgroup v2 directory was made (tracepoint cgroup_mkdir): its id and path, so a
 * container whose cgroup is gone before userspace looks it up (a short-lived one)
 * is still attributed. Always sent, whatever the event mask.
 */
struct rw_cgroup_record {
	struct rw_header hdr;
	__u64 cgroup_id;
	char path[RW_CGROUP_PATH_LEN]; /* from the hierarchy's root, NUL-terminated */
};

#define RW_TEARDOWN_MAX_PIDS 64
/* `members` of a teardown on a kernel whose programs cannot walk the process list. */
#define RW_MEMBERS_UNKNOWN 0xffffffffu

/* What a pid namespace's teardown did: the body of its record, and what the kernel side
 * keeps while it is under way (struct rw_teardown_state), one layout for both. */
struct rw_teardown {
	struct rw_proc init;
	__u64 init_exit_ns;
	__u64 first_sigterm_ns;		/* first SIGTERM into the namespace, 0 if none */
	__u32 members;			/* processes alive (not zombies) when the init exited,
					 * or RW_MEMBERS_UNKNOWN */
	__u32 sigkilled;		/* killed by the teardown SIGKILL */
	__u32 sigkilled_without_sigterm; /* of those, never sent SIGTERM/INT/HUP/QUIT */
	__u32 npids;			/* sigkilled_pids used, at most RW_TEARDOWN_MAX_PIDS */
	__u32 sigkilled_pids[RW_TEARDOWN_MAX_PIDS];
	/* for each of sigkilled_pids: the first termination signal it was sent, 0 if none */
	__u8 sigkilled_warned[RW_TEARDOWN_MAX_PIDS];
};

/*
 * A pid namespace's init exited and the kernel (zap_pid_ns_processes()) killed what
 * was left; sent once the namespace is empty (hdr.ts_ns), i.e. when the init itself
 * becomes a zombie.
 */
struct rw_teardown_record {
	struct rw_header hdr;
	struct rw_teardown td;
};

/*
 * A process was reaped (sent when its task_struct is freed, the kernel's last word
 * about it; hdr.ts_ns is that moment).
 */
struct rw_reap_record {
	struct rw_header hdr;
	struct rw_proc proc;   /* as it was at its exit; if how == RW_REAP_UNTRACKED only
				* pid and comm, and start_ns is start_boottime */
	struct rw_peer reaper; /* who collected it */
	__u64 exit_ns;	       /* last thread's exit; 0 if before the agent started */
	__u64 zombie_ns;       /* became waitable: SIGCHLD to the parent; 0 if not seen */
	__u64 reap_ns;	       /* when the reaping wait() returned, per `how`; 0 if unknown */
	__u8 how;	       /* enum rw_reap_evidence */
	__u8 autoreap;	       /* no wait() needed: SIGCHLD ignored, SA_NOCLDWAIT, teardown */
	__u8 late;	       /* sent after the free, which our program did not see: when the
				* memory was reused (reap_stale_state()) or by the agent's sweep */
	__u8 _pad;
	__u32 _pad2;
};

/*
 * What the kernel side keeps about an exited process until its task_struct is
 * freed (map `procs`, an array of slots: bpf/procs.bpf.h). Pinned under
 * /sys/fs/bpf/reapwatch/<agent pid>-<n>/procs so `reapwatch zombies` can tell
 * exact zombie ages while any agent runs.
 */
#define RW_PROC_SLOTS 65536 /* a power of two */
#define RW_PROC_PROBES 4

/* The slot of a process's `i`th probe: its host tgid's own first, then a stride away (an odd
 * stride: every probe of a tgid lands on another slot in any power-of-two table, and a run of
 * consecutive tgids that fills its first slots, such as a container's thousand zombies, does
 * not fill its later ones). A state in a later probe is counted in the `spill` of its
 * first slot. */
static inline __u32 rw_proc_slot(__u32 tgid, __u32 i, __u32 mask)
{
	return (tgid + i * 40503u) & mask;
}

struct rw_proc_state {
	__u64 task;		/* the owner: its group leader's task_struct address; 0: a free
				 * slot. Claimed by bpf/procs.bpf.h, released there or by the
				 * agent's sweep (src/procs_slots.c). PROCS_FILLING while refilled */
	__u32 spill;		/* the slot's own, not its owner's: how many states whose first
				 * probe this slot is are held in a later probe (a lookup that
				 * finds neither its owner here nor a spill stops). In the cache
				 * line of `task`; changed only by atomic adds (and the sweep's
				 * repair of a count found too low), never written with a state */
	__u8 how;		/* enum rw_reap_evidence */
	__u8 autoreap;
	__u8 probe;		/* which of its tgid's probes holds it: 0 its first slot */
	__u8 _pad;
	struct rw_proc proc;	/* snapshot at exit: at free its pid is already detached */
	struct rw_peer reaper;	/* set with the evidence; before any, the parent at exit */
	struct rw_peer adopted_from; /* the father it was orphaned by; pid 0 if never */
	__u64 boot_start_ns;	/* leader's start_boottime: /proc/PID/stat's starttime */
	__u64 exit_ns;
	__u64 zombie_ns;
	__u64 reap_ns;
};
/* The layout `reapwatch zombies` checks in another agent's pin (src/procs_table.c). */
_Static_assert(sizeof(struct rw_proc_state) == 144, "rw_proc_state is 144 bytes");
_Static_assert(__builtin_offsetof(struct rw_proc_state, spill) == 8, "spill at byte 8");
_Static_assert(__builtin_offsetof(struct rw_proc_state, proc) == 16, "proc at byte 16");

/* The state has evidence of when its process was reaped (a wait seen, an autoreap): its reap
 * time is known without the free, which is then only an upper bound. */
static inline __attribute__((always_inline)) bool
rw_proc_state_reap_timed(const struct rw_proc_state *st)
{
	return st->how && st->reap_ns;
}

/*
 * The reap record of a process from its state: the one filler for the kernel side's free
 * (reaping_on_free()), its report of a state whose free was missed (reap_stale_state()) and
 * the agent's sweep (src/agent.c). `how_if_none`: the evidence to report when the state has
 * none (RW_REAP_FREE_ONLY at the free, RW_REAP_SWEPT after it); `late`: sent after the free.
 * The header is the caller's (the ring buffer's reserve, or the agent's own).
 */
static inline __attribute__((always_inline)) void
rw_reap_record_from_state(struct rw_reap_record *rec, const struct rw_proc_state *st,
			  __u8 how_if_none, __u8 late)
{
	rec->proc = st->proc;
	rec->reaper = st->reaper;
	rec->exit_ns = st->exit_ns;
	rec->zombie_ns = st->zombie_ns;
	/* (a time without evidence is no reap's: a blocked waiter's stamp racing its withdrawal) */
	rec->reap_ns = st->how ? st->reap_ns : 0;
	rec->how = st->how ? st->how : how_if_none;
	rec->autoreap = st->autoreap;
	rec->late = late;
	rec->_pad = 0;
	rec->_pad2 = 0;
}

/*
 * An orphan's predicted adopter (map `orphans`, keyed by the orphan's task_struct address),
 * checked against its real parent at its exit and deleted at its free. A free our program
 * never saw (a few in a thousand) would leave it for good: the agent sweeps entries older
 * than a few seconds whose process (pid, boot_start_ns) is gone, as it does `procs`.
 */
struct rw_orphan_prediction {
	__u32 reaper_tgid;
	__u32 pid;	      /* the orphan's host tgid */
	__u64 start_time;     /* the orphan's task start_time, against reused memory */
	__u64 boot_start_ns;  /* its start_boottime: /proc/PID/stat's starttime */
	__u64 made_ns;	      /* bpf_ktime_get_ns() of the prediction */
	struct rw_peer old_parent;
	__u8 checked;	      /* at the orphan's exit; kept till its free (remember_orphan()) */
	__u8 kind;	      /* the reaper_kind reported (enum rw_reaper_kind) */
	__u8 _pad[6];
};

/*
 * A process inside a pid namespace was sent a termination signal (map `termed`, keyed by its
 * signal_struct address; bpf/teardown.bpf.h). Deleted at the leader's free, or by the
 * agent's sweep when that free never reached us: pid and boot_start_ns name the process.
 */
struct rw_termination {
	__u64 start;	     /* the leader's start_time, against reused memory */
	__u64 boot_start_ns; /* its start_boottime: /proc/PID/stat's starttime */
	__u32 pid;	     /* host tgid */
	__u32 sig;	     /* the first of SIGTERM/SIGINT/SIGHUP/SIGQUIT it was sent */
};

/*
 * The first SIGTERM into a pid namespace (map `ns_first_sigterm`, keyed by its struct
 * pid_namespace address). Read and deleted at its init's exit; the init (init_pid,
 * init_boot_start_ns) gone, it can never be read: the agent sweeps it.
 */
struct rw_first_sigterm {
	__u64 time_ns;
	__u64 init_start;	  /* the init's leader's start_time, against reused memory */
	__u64 init_boot_start_ns; /* 0 if the namespace had no init */
	__u32 init_pid;		  /* host tgid, 0 if none */
	__u32 _pad;
};

/* A teardown under way (map `teardowns`, keyed by the dying init's group leader address),
 * until its namespace is empty; swept by the agent once the init (td.init.pid,
 * init_boot_start_ns) is gone. */
struct rw_teardown_state {
	struct rw_teardown td; /* the record's body, sent as it is */
	__u64 init_boot_start_ns;
};

#endif /* REAPWATCH_H */
