// SPDX-License-Identifier: GPL-2.0
#include "unit.h"

#include "cgroup_path.h"

/* Two distinct 64-hex ids, so that a test can tell the inner from the outer container. */
#define ID1	  "4c2a7f0e9d8b1c6a5e3f2d1c0b9a8f7e6d5c4b3a29181716151413121110fedc"
#define ID2	  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ID1_UPPER "4C2A7F0E9D8B1C6A5E3F2D1C0B9A8F7E6D5C4B3A29181716151413121110FEDC"
#define UID	  "6b1f8a5e-2c3d-4e5f-8a9b-0c1d2e3f4a5b"
#define UID_SD	  "6b1f8a5e_2c3d_4e5f_8a9b_0c1d2e3f4a5b"

static void expect_id(const char *path, const char *want)
{
	char id[CONTAINER_ID_MAX + 1];

	memset(id, 'X', sizeof(id));
	if (want) {
		if (!cgroup_path_container_id(path, id))
			fail_msg("no container id in \"%s\"", path);
		assert_string_equal(id, want);
	} else {
		if (cgroup_path_container_id(path, id))
			fail_msg("container id \"%s\" in \"%s\"", id, path);
		assert_string_equal(id, "");
	}
}

static void expect_uid(const char *path, const char *want)
{
	char uid[POD_UID_MAX + 1];

	memset(uid, 'X', sizeof(uid));
	if (want) {
		if (!cgroup_path_pod_uid(path, uid))
			fail_msg("no pod uid in \"%s\"", path);
		assert_string_equal(uid, want);
	} else {
		if (cgroup_path_pod_uid(path, uid))
			fail_msg("pod uid \"%s\" in \"%s\"", uid, path);
		assert_string_equal(uid, "");
	}
}

static void test_docker(void **state)
{
	expect_id("/system.slice/docker-" ID1 ".scope", ID1);
	expect_id("/docker/" ID1, ID1);
	/* a v1 line from /proc/PID/cgroup, as given */
	expect_id("12:memory:/docker/" ID1, ID1);
	expect_id("0::/system.slice/docker-" ID1 ".scope", ID1);
}

static void test_containerd_cri_systemd(void **state)
{
	expect_id("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_SD
		  ".slice/cri-containerd-" ID1 ".scope",
		  ID1);
	expect_id("/kubepods.slice/kubepods-pod" UID_SD ".slice/cri-containerd-" ID1 ".scope", ID1);
	/* systemd cgroup driver with containerd itself outside a systemd-managed tree */
	expect_id("/system.slice/containerd.service/kubepods-burstable-pod" UID_SD
		  ".slice:cri-containerd:" ID1,
		  ID1);
	expect_id("/kubepods-besteffort-pod" UID_SD ".slice:crio:" ID1, ID1);
	expect_id("/x.slice:docker:" ID1, ID1);
}

static void test_kubelet_cgroupfs(void **state)
{
	expect_id("/kubepods/burstable/pod" UID "/" ID1, ID1);
	expect_id("/kubepods/besteffort/pod" UID "/" ID1, ID1);
	expect_id("/kubepods/pod" UID "/" ID1, ID1);
	/* the pod cgroup itself, e.g. the sandbox's parent: no container */
	expect_id("/kubepods/burstable/pod" UID, NULL);
	expect_id("/kubepods/burstable", NULL);
}

static void test_crio(void **state)
{
	expect_id("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_SD
		  ".slice/crio-" ID1 ".scope",
		  ID1);
	/* conmon is the runtime's monitor, not part of the container */
	expect_id("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_SD
		  ".slice/crio-conmon-" ID1 ".scope",
		  NULL);
	/* CRI-O may nest the container's processes one level down */
	expect_id("/kubepods.slice/kubepods-pod" UID_SD ".slice/crio-" ID1 ".scope/container", ID1);
}

static void test_podman(void **state)
{
	expect_id("/machine.slice/libpod-" ID1 ".scope", ID1);
	expect_id("/machine.slice/libpod-" ID1 ".scope/container", ID1);
	expect_id("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID1
		  ".scope/container",
		  ID1);
	expect_id("/machine.slice/libpod-conmon-" ID1 ".scope", NULL);
	expect_id("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-conmon-" ID1
		  ".scope",
		  NULL);
	expect_id("/machine.slice/runc-" ID1 ".scope", ID1);
}

static void test_ctr_and_plain_runc(void **state)
{
	expect_id("/default/" ID1, ID1);
	expect_id("/k8s.io/" ID1, ID1);
	expect_id("/" ID1, ID1);
	expect_id(ID1, ID1);
}

static void test_nesting_innermost_wins(void **state)
{
	/* docker-in-docker */
	expect_id("/docker/" ID1 "/docker/" ID2, ID2);
	expect_id("/system.slice/docker-" ID1 ".scope/docker/" ID2, ID2);
	expect_id("/kubepods/burstable/pod" UID "/" ID1 "/docker/" ID2, ID2);
	/* a non-container component inside a container does not hide the container */
	expect_id("/docker/" ID1 "/init.scope", ID1);
	expect_id("/system.slice/docker-" ID1 ".scope/system.slice/cron.service", ID1);
	/* a runtime monitor inside a container belongs to the outer container */
	expect_id("/docker/" ID2 "/machine.slice/libpod-conmon-" ID1 ".scope", ID2);
	expect_id("/docker/" ID2 "/machine.slice/libpod-" ID1 ".scope/container", ID1);
}

static void test_uppercase_lowered(void **state)
{
	expect_id("/docker/" ID1_UPPER, ID1);
	expect_id("/system.slice/docker-" ID1_UPPER ".scope", ID1);
	expect_id("/x.slice:cri-containerd:" ID1_UPPER, ID1);
}

static void test_not_containers(void **state)
{
	expect_id("", NULL);
	expect_id("/", NULL);
	expect_id("//", NULL);
	expect_id("/user.slice/user-1000.slice/session-3.scope", NULL);
	expect_id("/system.slice/containerd.service", NULL);
	expect_id("/system.slice/docker.service", NULL);
	expect_id("/init.scope", NULL);
	expect_id("/kubepods.slice/kubepods-burstable.slice", NULL);
	expect_id("0::/", NULL);
}

static void test_malformed_ids(void **state)
{
	/* 63 and 65 hex digits are not ids, with any layout */
	expect_id("/docker/" ID1 "0", NULL);
	expect_id("/docker/" ID1 "0/", NULL);
	expect_id("/docker/4c2a7f0e9d8b1c6a5e3f2d1c0b9a8f7e6d5c4b3a29181716151413121110fed", NULL);
	expect_id("/system.slice/docker-" ID1 "a.scope", NULL);
	expect_id("/system.slice/"
		  "docker-4c2a7f0e9d8b1c6a5e3f2d1c0b9a8f7e6d5c4b3a29181716151413121110fed.scope",
		  NULL);
	expect_id("/x.slice:cri-containerd:a" ID1, NULL);
	expect_id("/x.slice:cri-containerd:" ID1 "a", NULL);
	/* a non-hex character */
	expect_id("/docker/4c2a7f0e9d8b1c6a5e3f2d1c0b9a8f7e6d5c4b3a29181716151413121110fedg", NULL);
	/* unknown or missing runtime prefix, or no .scope */
	expect_id("/system.slice/foo-" ID1 ".scope", NULL);
	expect_id("/system.slice/-" ID1 ".scope", NULL);
	expect_id("/system.slice/" ID1 ".scope", NULL);
	expect_id("/system.slice/docker-" ID1 ".slice", NULL);
	expect_id("/system.slice/docker-" ID1, NULL);
	expect_id("/system.slice/docker-.scope", NULL);
	expect_id("/system.slice/docker" ID1 ".scope", NULL);
	expect_id("/x.slice:containerd:" ID1, NULL);
	expect_id("/x.slice:cri-containerd" ID1, NULL);
	expect_id(":cri-containerd:", NULL);
	expect_id(".scope", NULL);
	expect_id("docker-.scope", NULL);
}

static void test_odd_slashes(void **state)
{
	expect_id("/docker/" ID1 "/", ID1);
	expect_id("/docker/" ID1 "///", ID1);
	expect_id("//docker//" ID1, ID1);
	expect_id("/docker/" ID1 "//init", ID1);
}

static void test_long_paths(void **state)
{
	size_t n = 3 * 4096;
	char *p = malloc(n + 100);

	assert_non_null(p);
	/* a deep path of short components, id at the end */
	for (size_t i = 0; i < n; i += 2)
		memcpy(p + i, "/a", 2);
	strcpy(p + n, "/" ID1);
	expect_id(p, ID1);
	/* the same with the id at the start: found at the far end of the backward search */
	memcpy(p, "/" ID1 "/", 66);
	strcpy(p + n, "/x");
	expect_id(p, ID1);
	/* only slashes */
	memset(p, '/', n);
	p[n] = '\0';
	expect_id(p, NULL);
	expect_uid(p, NULL);
	/* one huge component of hex digits is not an id */
	memset(p, 'a', n);
	expect_id(p, NULL);
	expect_uid(p, NULL);
	/* one huge component that ends like a scope */
	strcpy(p + n - 70, "-" ID1 ".scope");
	memcpy(p, "docker-", 7);
	expect_id(p, NULL);
	free(p);
}

static void test_pod_uid_cgroupfs(void **state)
{
	expect_uid("/kubepods/burstable/pod" UID "/" ID1, UID);
	expect_uid("/kubepods/besteffort/pod" UID "/" ID1, UID);
	expect_uid("/kubepods/pod" UID "/" ID1, UID);
	expect_uid("/kubepods/pod" UID, UID);
	expect_uid("/kubepods/pod" UID "/", UID);
	expect_uid("/kubepods/burstable/pod6B1F8A5E-2C3D-4E5F-8A9B-0C1D2E3F4A5B/" ID1, UID);
	/* A static pod's (kube-apiserver's, etcd's): the kubelet's md5 of its manifest. */
	expect_uid("/kubepods/burstable/pod0D7BA5D3C2E8F6A1B4C9D0E7F3A2B1C8/" ID1,
		   "0d7ba5d3c2e8f6a1b4c9d0e7f3a2b1c8");
}

static void test_pod_uid_systemd(void **state)
{
	expect_uid("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_SD
		   ".slice/cri-containerd-" ID1 ".scope",
		   UID);
	expect_uid("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_SD
		   ".slice/crio-conmon-" ID1 ".scope",
		   UID);
	expect_uid("/kubepods.slice/kubepods-pod" UID_SD ".slice/crio-" ID1 ".scope", UID);
	expect_uid("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
		   "0d7ba5d3c2e8f6a1b4c9d0e7f3a2b1c8.slice/cri-containerd-" ID1 ".scope",
		   "0d7ba5d3c2e8f6a1b4c9d0e7f3a2b1c8");
	expect_uid("/kubepods.slice/kubepods-pod" UID_SD ".slice", UID);
	expect_uid("/system.slice/containerd.service/kubepods-burstable-pod" UID_SD
		   ".slice:cri-containerd:" ID1,
		   UID);
}

static void test_is_pod(void **state)
{
	assert_true(cgroup_path_is_pod("/kubepods/burstable/pod" UID));
	assert_true(cgroup_path_is_pod("/kubepods/pod" UID "/"));
	assert_true(cgroup_path_is_pod(
	    "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_SD ".slice"));
	assert_false(cgroup_path_is_pod("/kubepods/burstable/pod" UID "/" ID1));
	assert_false(cgroup_path_is_pod("/kubepods/burstable"));
	assert_false(cgroup_path_is_pod("/kubepods.slice"));
	assert_false(
	    cgroup_path_is_pod("/kubepods-burstable-pod" UID_SD ".slice:cri-containerd:" ID1));
	assert_false(cgroup_path_is_pod("/"));
	assert_false(cgroup_path_is_pod(""));
}

static void test_pod_uid_absent_or_malformed(void **state)
{
	expect_uid("", NULL);
	expect_uid("/", NULL);
	expect_uid("/docker/" ID1, NULL);
	expect_uid("/system.slice/docker-" ID1 ".scope", NULL);
	expect_uid("/kubepods/burstable", NULL);
	expect_uid("/kubepods.slice/kubepods-burstable.slice", NULL);
	expect_uid("/user.slice/user-1000.slice/session-3.scope", NULL);
	expect_uid("/kubepods/pod", NULL);
	/* wrong length, wrong grouping, wrong separators, non-hex */
	expect_uid("/kubepods/pod6b1f8a5e-2c3d-4e5f-8a9b-0c1d2e3f4a5", NULL);
	expect_uid("/kubepods/pod" UID "0", NULL);
	expect_uid("/kubepods/pod6b1f8a5e2-c3d-4e5f-8a9b-0c1d2e3f4a5b", NULL);
	expect_uid("/kubepods/pod" UID_SD, NULL);
	expect_uid("/kubepods/pod6b1f8a5e-2c3d-4e5f-8a9b-0c1d2e3f4a5g", NULL);
	expect_uid("/kubepods/pod6b1f8a5e-2c3d-4e5f-8a9b-0c1d2e3f4a5b.slice", NULL);
	/* a static pod's bare hash, one digit short or long, or not hex */
	expect_uid("/kubepods/burstable/pod0d7ba5d3c2e8f6a1b4c9d0e7f3a2b1c/" ID1, NULL);
	expect_uid("/kubepods/burstable/pod0d7ba5d3c2e8f6a1b4c9d0e7f3a2b1c80/" ID1, NULL);
	expect_uid("/kubepods/burstable/pod0d7ba5d3c2e8f6a1b4c9d0e7f3a2b1cg/" ID1, NULL);
	/* systemd form with dashes, unknown QoS prefix, missing .slice */
	expect_uid("/kubepods.slice/kubepods-pod" UID ".slice", NULL);
	expect_uid("/kubepods.slice/kubepods-guaranteed-pod" UID_SD ".slice", NULL);
	expect_uid("/kubepods.slice/kubepods-pod" UID_SD, NULL);
	expect_uid("/kubepods.slice/kubepods-pod.slice", NULL);
	expect_uid("kubepods-pod", NULL);
	expect_uid(".slice", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_docker),
	    cmocka_unit_test(test_containerd_cri_systemd),
	    cmocka_unit_test(test_kubelet_cgroupfs),
	    cmocka_unit_test(test_crio),
	    cmocka_unit_test(test_podman),
	    cmocka_unit_test(test_ctr_and_plain_runc),
	    cmocka_unit_test(test_nesting_innermost_wins),
	    cmocka_unit_test(test_uppercase_lowered),
	    cmocka_unit_test(test_not_containers),
	    cmocka_unit_test(test_malformed_ids),
	    cmocka_unit_test(test_odd_slashes),
	    cmocka_unit_test(test_long_paths),
	    cmocka_unit_test(test_pod_uid_cgroupfs),
	    cmocka_unit_test(test_pod_uid_systemd),
	    cmocka_unit_test(test_pod_uid_absent_or_malformed),
	    cmocka_unit_test(test_is_pod),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
