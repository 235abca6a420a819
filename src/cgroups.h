/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cgroup v2 id -> path, container id (and, later, Kubernetes names), cached.
 * The kernel side only knows the id (kernfs node id of the task's cgroup on the
 * default hierarchy); resolving it costs a few syscalls, once per cgroup.
 */
#ifndef REAPWATCH_CGROUPS_H
#define REAPWATCH_CGROUPS_H

#include <stdint.h>
#include <stdbool.h>
#include "cgroup_path.h"
#include "event.h"

struct cgroup_cache;

struct cgroup_cache *cgroup_cache__new(void);
void cgroup_cache__free(struct cgroup_cache *cache);
/* Never NULL: an unresolvable id yields an entry with path "". */
const struct cgroup_info *cgroup_cache__lookup(struct cgroup_cache *cache, uint64_t id);

/*
 * Learn every cgroup that exists now (a walk of the hierarchy): one that was made
 * before the agent started and is removed before its first lookup still resolves.
 */
void cgroup_cache__scan(struct cgroup_cache *cache);

/* What the kernel side said when the cgroup was made (rw_cgroup_record). */
void cgroup_cache__learn(struct cgroup_cache *cache, uint64_t id, const char *path);

/*
 * Forget a cgroup that is gone and needs no name any more (a host cgroup whose counts
 * were taken): the cache then holds what exists, not every cgroup ever seen. Entries
 * are handed out by pointer: only between two uses of the cache.
 */
void cgroup_cache__forget(struct cgroup_cache *cache, uint64_t id);

/* Does the cgroup still exist? (An id is never reused, so a gone one stays gone.) */
bool cgroup_cache__alive(struct cgroup_cache *cache, uint64_t id);

/*
 * Hand fn the cgroups of containers learned since the last call (by the walk of the hierarchy
 * at the start, a mkdir, or a lookup), each once (again only if the table started over and
 * learned it anew): a container whose processes neither fork nor exit is known only so. fn
 * may ask cgroup_cache__alive(), nothing else of the cache; the entry it gets is good until
 * it returns.
 */
void cgroup_cache__take_new_containers(struct cgroup_cache *cache,
				       void (*fn)(void *arg, const struct cgroup_info *cg),
				       void *arg);

/* Where this mount namespace sees the cgroup v2 hierarchy. 0 or -errno. */
int cgroup2_mountpoint(char *mountpoint, size_t len);

/* pids.current and pids.max of the cgroup at path (as the kernel side names it): the v2
 * hierarchy's, else the v1 pids hierarchy's. -1: unknown, or "max" for the limit. */
void cgroup_pids_read(const char *path, int64_t *current, int64_t *max);

/*
 * The container a cgroup path belongs to: a runtime's 64-hex id in the path, or the
 * name of a plain runc/crun/ctr container whose state the runtime keeps on this host.
 */
bool cgroup_container_id(const char *path, char id[CONTAINER_ID_MAX + 1]);

#endif /* REAPWATCH_CGROUPS_H */
