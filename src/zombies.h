/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The zombies present now: found in /proc (state Z), with exact ages when an agent saw them
 * die: a running one's pinned process state (see pins.h), or what an agent that has ended
 * left in ZOMBIE_AGES_FILE as it stopped.
 */
#ifndef REAPWATCH_ZOMBIES_H
#define REAPWATCH_ZOMBIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cgroup_path.h"
#include "kube.h"
#include "procfs.h"

struct subreapers; /* subreapers.h */

struct zombie {
	struct proc_stat stat; /* pid, comm, ppid, start_ticks */
	uint32_t ns_pid;
	uint32_t pidns;
	char container_id[CONTAINER_ID_MAX + 1];
	uint64_t cgroup_id;	       /* 0 if unknown */
	char pod_uid[POD_UID_MAX + 1]; /* of the pod its cgroup path names, "" if none */
	/* The Kubernetes names of container_id and of parent_container_id, NULL when unknown
	 * (zombie_census__label_names(); owned by the census). */
	const struct kube_names *names, *parent_names;
	char parent_comm[COMM_BUF];
	uint32_t parent_ns_pid;
	uint32_t parent_pidns;
	bool parent_is_subreaper;	/* prctl(PR_SET_CHILD_SUBREAPER) now */
	char parent_container_id[CONTAINER_ID_MAX + 1];
	char parent_pod_uid[POD_UID_MAX + 1];
	bool age_known;
	uint64_t zombie_mono_ns; /* when it became a zombie, if age_known */
	/* Orphaned by this father and adopted by its parent now (0: not seen adopted). */
	uint32_t adopted_from_pid;
	char adopted_from_comm[COMM_BUF];
};

struct census_names; /* zombies.c */

struct zombie_census {
	struct zombie *zombies;
	size_t count;
	size_t cap;
	struct census_names *names; /* zombie_census__label_names()'s, NULL before */
	uint32_t host_pidns; /* our own pid namespace: the host's when run as we should be */
	/* Run in another pid namespace (a debug container, `unshare -pf`): /proc numbers the
	 * zombies as it does, not by the host pids agents know them by. The zombies by their
	 * namespace and pid there, for zombie_census__add_ages(); NULL on the host. */
	struct zombie **by_ns;
	bool stale_pins; /* zombie_census__add_ages() read a gone agent's pin */
};

/* Every zombie under proc_root now, in a census of its own (*out). 0 or -errno. */
int zombie_census__new(struct zombie_census **out, const char *proc_root);
/*
 * The ages of zombies that outlived the agent that saw them die: "PID STARTTIME_TICKS
 * ZOMBIE_MONO_NS" lines, written by each agent as it stops (zombie_census__save_ages()), read
 * by every census, and beside it ZOMBIE_AGES_FILE ".adopters": who orphaned them. On tmpfs:
 * CLOCK_MONOTONIC and the files both end at reboot.
 */
#define ZOMBIE_AGES_FILE "/run/reapwatch/zombie-ages"

/* Fill exact ages from every running agent's pinned state and from ZOMBIE_AGES_FILE (`ages`,
 * NULL for none), and leave the census sorted by pid. Returns how many. */
size_t zombie_census__add_ages(struct zombie_census *census, const char *ages);
/* Replace the file `ages` with the known ages of the census's zombies (an agent stopping: its
 * own are in the census through its pin). 0 or -errno. */
int zombie_census__save_ages(const struct zombie_census *census, const char *ages);
/* Stale pins (agents gone without withdrawing them: SIGKILL, an OOM kill) are read by
 * zombie_census__add_ages() and kept: once the ages they hold are saved in `ages`, they go.
 * Only from the initial pid namespace, whose census has every zombie (one from another would
 * save only its own). */
void zombie_census__retire_stale_pins(struct zombie_census *census, const char *ages);
/* Mark the zombies whose parent set PR_SET_CHILD_SUBREAPER (parent_is_subreaper): asked of the
 * kernel (a task iterator, subreapers.h, loaded by the caller), so also parents that did it
 * before any agent ran. Without the iterator (NULL: no CAP_BPF, or before 5.8), none is marked. */
void zombie_census__label_subreapers(struct zombie_census *census, struct subreapers *subreapers);
/*
 * Give the zombies and their parents the Kubernetes names of their containers (`names`,
 * `parent_names`), from the kubelet's log links in `log_dir` (one read of it, only if a
 * zombie or parent is in a container), else from `pods_dir` by the pod uid of the zombie's
 * or parent's cgroup (a pod's sandbox, or a container whose link is still to come): pod and
 * namespace.
 * Once per census; one whose lookup failed (out of memory) just has no names.
 */
void zombie_census__label_names(struct zombie_census *census, const char *log_dir,
				const char *pods_dir);
/* The zombie (pid, /proc starttime in ticks) if it was in the census. */
const struct zombie *zombie_census__find(const struct zombie_census *census, uint32_t pid,
					 uint64_t start_ticks);
void zombie_census__free(struct zombie_census *census);

/* How long it has been a zombie at now_mono (CLOCK_MONOTONIC); 0 if it became one at or
 * after now_mono (a census taken after `now`). Meaningful only when age_known. */
static inline uint64_t zombie_age_ns(const struct zombie *zombie, uint64_t now_mono)
{
	return now_mono > zombie->zombie_mono_ns ? now_mono - zombie->zombie_mono_ns : 0;
}

/* Kernel start_boottime (ns) -> /proc/PID/stat's starttime (clock ticks). */
uint64_t boot_ns_to_ticks(uint64_t boot_ns);
/* How long since the process started (to a clock tick): a zombie of unknown age is no older.
 * UINT64_MAX if the clock cannot be read. */
uint64_t zombie_lifetime_ns(const struct zombie *z);

#endif /* REAPWATCH_ZOMBIES_H */
