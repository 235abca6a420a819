/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Container id and Kubernetes pod UID from a cgroup path, by the names that container runtimes
 * and the kubelet give their cgroups. Pure string parsing: nothing is read from the system.
 */
#ifndef REAPWATCH_CGROUP_PATH_H
#define REAPWATCH_CGROUP_PATH_H

#include <stdbool.h>

#define CONTAINER_ID_MAX 64
#define POD_UID_MAX	 36

/*
 * The 64-hex container id (lowercased) in a v1 or v2 cgroup path, e.g. from
 * ".../cri-containerd-<id>.scope", "/docker/<id>", "libpod-<id>.scope/container" or
 * "...slice:crio:<id>". The innermost component that names a container wins, so a process in
 * a nested container gets the inner id. Runtime monitors (crio-conmon-, libpod-conmon-) are
 * not containers. Returns false and sets id to "" if no component matches.
 */
bool cgroup_path_container_id(const char *path, char id[CONTAINER_ID_MAX + 1]);

/*
 * The pod UID (8-4-4-4-12 hex, lowercased, with dashes; a static pod's is 32 hex digits) from
 * the kubelet's pod cgroup:
 * "pod<uid>" with the cgroupfs driver, "kubepods[-burstable|-besteffort]-pod<uid>.slice" with
 * dashes written as underscores with the systemd driver. Returns false and sets uid to "" if
 * no component matches.
 */
bool cgroup_path_pod_uid(const char *path, char uid[POD_UID_MAX + 1]);
/* Is the path's last component a pod's cgroup (as above)? */
bool cgroup_path_is_pod(const char *path);

#endif /* REAPWATCH_CGROUP_PATH_H */
