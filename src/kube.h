/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kubernetes names for a container id, from the kubelet's log layout:
 * /var/log/containers/<pod>_<namespace>_<container>-<container id>.log (a symlink
 * into /var/log/pods/<namespace>_<pod>_<pod uid>/<container>/). Pod, namespace and container
 * names are DNS names: none holds '_', so the names split without ambiguity. A pod's sandbox
 * ("pause") container has no log, hence no link: its pod's log directory names its pod and
 * namespace, found by the pod uid of its cgroup (cgroup_path.h).
 */
#ifndef REAPWATCH_KUBE_H
#define REAPWATCH_KUBE_H

#include <stdbool.h>
#include <stddef.h>
#include "cgroup_path.h"

#define KUBE_NAME_MAX 253
#define KUBELET_LOG_DIR "/var/log/containers"
#define KUBELET_PODS_DIR "/var/log/pods"

struct kube_names {
	char pod[KUBE_NAME_MAX + 1];
	char namespace[KUBE_NAME_MAX + 1];
	char container[KUBE_NAME_MAX + 1];
};

/* The kubelet's log links and pods' log directories: REAPWATCH_KUBELET_LOG_DIR and
 * REAPWATCH_KUBELET_PODS_DIR when set and not empty (tests), else the kubelet's defaults. */
const char *kube_log_dir(void);
const char *kube_pods_dir(void);

/* Parse one file name of the kubelet's log dir (pure). */
bool kubelet_log_name_parse(const char *name, struct kube_names *names,
			    char id[CONTAINER_ID_MAX + 1]);
/* Find the names of container `id` in `dir`; false if the kubelet has no log for it. */
bool kube_names_lookup(const char *dir, const char *id, struct kube_names *names);

/* Parse one entry of the kubelet's pods dir, "<namespace>_<pod>_<uid>" (pure): names->container
 * is left empty. */
bool kubelet_pod_dir_parse(const char *name, struct kube_names *names, char uid[POD_UID_MAX + 1]);
/* Find the pod and namespace of pod `uid` in `dir` (names->container empty); false if none. */
bool kube_pod_names_lookup(const char *dir, const char *uid, struct kube_names *names);

/*
 * The whole directory read once, for a walk that looks up many containers (the cgroup
 * hierarchy at start): one readdir instead of one per container. NULL if the directory
 * cannot be read (or out of memory): kube_index__find() then finds nothing. Its entries
 * are sorted by id, owned by it, and freed with it.
 */
struct kube_index;
struct kube_index *kube_index__new(const char *dir);
bool kube_index__find(const struct kube_index *index, const char *id, struct kube_names *names);
void kube_index__free(struct kube_index *index);

#endif /* REAPWATCH_KUBE_H */
