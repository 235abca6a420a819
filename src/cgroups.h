/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cgroup v2 id -> path, container id (and, later, Kubernetes names), cached.
 * The kernel side only knows the id (kernfs node id of the task's cgroup on the
 * default hierarchy); resolving it costs a few syscalls, once per cgroup.
 */
#ifndef REAPWATCH_CGROUPS_H
#define REAPWATCH_CGROUPS_H

#include <stdint.h>
#include "event.h"

struct cgroup_cache;

struct cgroup_cache *cgroup_cache__new(void);
void cgroup_cache__free(struct cgroup_cache *cache);
/* Never NULL: an unresolvable id yields an entry with path "". */
const struct cgroup_info *cgroup_cache__lookup(struct cgroup_cache *cache, uint64_t id);

#endif /* REAPWATCH_CGROUPS_H */
