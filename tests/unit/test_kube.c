// SPDX-License-Identifier: GPL-2.0
/* Kubelet log names -> pod, namespace, container; and /proc parsing of hostile lines. */
#include "unit.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kube.h"
#include "procfs.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_kubelet_log_name(void **state)
{
	struct kube_names n;
	char id[CONTAINER_ID_MAX + 1];

	assert_true(kubelet_log_name_parse("coredns-5d78c9869d-xk2vq_kube-system_coredns-" ID ".log",
					   &n, id));
	assert_string_equal(n.pod, "coredns-5d78c9869d-xk2vq");
	assert_string_equal(n.namespace, "kube-system");
	assert_string_equal(n.container, "coredns");
	assert_string_equal(id, ID);

	/* A StatefulSet pod with dots in its name, a container name with dashes. */
	assert_true(kubelet_log_name_parse("web.v2-0_prod_istio-proxy-" ID ".log", &n, id));
	assert_string_equal(n.pod, "web.v2-0");
	assert_string_equal(n.container, "istio-proxy");
}

static void test_kubelet_log_name_rejects(void **state)
{
	struct kube_names n;
	char id[CONTAINER_ID_MAX + 1];

	assert_false(kubelet_log_name_parse("", &n, id));
	assert_false(kubelet_log_name_parse("pod_ns_ctr-" ID, &n, id));	     /* no .log */
	assert_false(kubelet_log_name_parse("pod_ns_ctr-" ID ".txt", &n, id));
	assert_false(kubelet_log_name_parse("pod_ns_ctr-0123.log", &n, id));	     /* short id */
	assert_false(kubelet_log_name_parse("pod_ns_ctr_" ID ".log", &n, id));     /* no dash */
	assert_false(kubelet_log_name_parse("pod_ns_c_tr-" ID ".log", &n, id));    /* 3 '_' */
	assert_false(kubelet_log_name_parse("podns_ctr-" ID ".log", &n, id));	     /* one '_' */
	assert_false(kubelet_log_name_parse("_ns_ctr-" ID ".log", &n, id));	     /* empty pod */
	assert_false(kubelet_log_name_parse("Pod_ns_ctr-" ID ".log", &n, id));     /* uppercase */
	assert_false(kubelet_log_name_parse("pod_ns_ctr-" ID "A.log", &n, id));
	assert_false(kubelet_log_name_parse("pod_n\"s_ctr-" ID ".log", &n, id));   /* hostile */
	assert_string_equal(id, "");
	assert_string_equal(n.pod, "");
}

static void test_proc_stat_hostile_comm(void **state)
{
	struct proc_stat st;
	/* A comm with ") Z 1 (" in it: the LAST ')' ends it. */
	const char *line = "4242 (a) Z 1 (b) R 77 4242 4242 0 -1 4194560 10 0 0 0 0 0 0 0 20 0 "
			   "1 0 123456 0 0 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0\n";

	assert_int_equal(proc_stat_parse(line, strlen(line), &st), 0);
	assert_int_equal(st.pid, 4242);
	assert_string_equal(st.comm, "a) Z 1 (b");
	assert_int_equal(st.state, 'R');
	assert_int_equal(st.ppid, 77);
	assert_int_equal(st.start_ticks, 123456);
}

static void test_proc_stat_zombie(void **state)
{
	struct proc_stat st;
	const char *line = "17 (sleep) Z 9 17 9 0 -1 4227084 0 0 0 0 0 0 0 0 20 0 1 0 999 0 0 0";

	assert_int_equal(proc_stat_parse(line, strlen(line), &st), 0);
	assert_int_equal(st.state, 'Z');
	assert_int_equal(st.ppid, 9);
	assert_int_equal(st.threads, 1);
	assert_int_equal(st.start_ticks, 999);
	assert_true(proc_stat_is_zombie(&st));
}

/* A leader that called pthread_exit() shows 'Z' while two threads of its process run on:
 * alive, and nothing a parent could reap. */
static void test_proc_stat_zombie_leader_of_live_process(void **state)
{
	struct proc_stat st;
	const char *line = "17 (srv) Z 9 17 9 0 -1 4227084 0 0 0 0 0 0 0 0 20 0 3 0 999 0 0 0";

	assert_int_equal(proc_stat_parse(line, strlen(line), &st), 0);
	assert_int_equal(st.state, 'Z');
	assert_int_equal(st.threads, 3);
	assert_false(proc_stat_is_zombie(&st));
}

static void test_proc_stat_rejects(void **state)
{
	struct proc_stat st;
	const char *bad[] = {
		"",
		"x (a) Z 1",
		"12 a) Z 1 2 3",
		"12 (a Z 1 2 3",
		"12 (a) Z",
		"12 (a) Z 1 2 3 4",		/* too few fields for starttime */
		"12 (this-comm-is-way-too-long) Z 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20",
		"0 (a) Z 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1",
		"99999999999 (a) Z 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1",
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (proc_stat_parse(bad[i], strlen(bad[i]), &st) == 0)
			fail_msg("accepted: \"%s\"", bad[i]);
}

static void test_status_ns_pid(void **state)
{
	const char *status = "Name:\tsh\nState:\tS (sleeping)\nTgid:\t4242\nNSpid:\t4242\t17\t1\n"
			     "NSpgid:\t1\n";
	uint32_t ns_pid = 0;

	assert_int_equal(proc_status_ns_pid(status, strlen(status), &ns_pid), 0);
	assert_int_equal(ns_pid, 1);
	assert_int_equal(proc_status_ns_pid("Name:\tx\n", 8, &ns_pid), -ENOENT);
	assert_int_equal(proc_status_ns_pid("NSpid:\tx\n", 9, &ns_pid), -EINVAL);
}

/* The kubelet's log directory read once: every valid link found by id, nothing else. */
static void test_kube_index(void **state)
{
	char dir[] = "/tmp/reapwatch-kube-XXXXXX", path[512];
	const char *a = "1111111111111111111111111111111111111111111111111111111111111111";
	const char *b = "2222222222222222222222222222222222222222222222222222222222222222";
	const char *c = "3333333333333333333333333333333333333333333333333333333333333333";
	struct kube_index *index;
	struct kube_names names;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/web-0_team-a_nginx-%s.log", dir, a);
	assert_int_equal(symlink("/nowhere", path), 0);
	snprintf(path, sizeof(path), "%s/db_team-b_pg-%s.log", dir, b);
	assert_int_equal(symlink("/nowhere", path), 0);
	snprintf(path, sizeof(path), "%s/not_a_kubelet-log-%s.txt", dir, c);
	assert_int_equal(symlink("/nowhere", path), 0);
	index = kube_index__new(dir);
	assert_non_null(index);
	assert_true(kube_index__find(index, b, &names));
	assert_string_equal(names.pod, "db");
	assert_string_equal(names.namespace, "team-b");
	assert_string_equal(names.container, "pg");
	assert_true(kube_index__find(index, a, &names));
	assert_string_equal(names.pod, "web-0");
	assert_false(kube_index__find(index, c, &names));
	assert_false(kube_index__find(index, "short", &names));
	kube_index__free(index);
	assert_null(kube_index__new("/nonexistent/reapwatch-kube"));
	assert_false(kube_index__find(NULL, a, &names));
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
}

#define UID "6b1f8a5e-2c3d-4e5f-8a9b-0c1d2e3f4a5b"

static void test_kubelet_pod_dir(void **state)
{
	struct kube_names n;
	char uid[POD_UID_MAX + 1];

	assert_true(kubelet_pod_dir_parse("kube-system_coredns-5d78c9869d-xk2vq_" UID, &n, uid));
	assert_string_equal(n.namespace, "kube-system");
	assert_string_equal(n.pod, "coredns-5d78c9869d-xk2vq");
	assert_string_equal(n.container, "");
	assert_string_equal(uid, UID);
	/* A static pod's uid is the kubelet's hash of its manifest. */
	assert_true(kubelet_pod_dir_parse("kube-system_etcd-node.a_0d7ba5d3c2e8f6a1b4c9d0e7f3a2b1c8",
					  &n, uid));
	assert_string_equal(n.pod, "etcd-node.a");
	assert_string_equal(uid, "0d7ba5d3c2e8f6a1b4c9d0e7f3a2b1c8");

	assert_false(kubelet_pod_dir_parse("", &n, uid));
	assert_false(kubelet_pod_dir_parse("ns_pod", &n, uid));			 /* no uid */
	assert_false(kubelet_pod_dir_parse("ns_pod_", &n, uid));		 /* empty uid */
	assert_false(kubelet_pod_dir_parse("ns_pod_" UID "0", &n, uid));	 /* too long */
	assert_false(kubelet_pod_dir_parse("ns_po_d_" UID, &n, uid));		 /* 3 '_' */
	assert_false(kubelet_pod_dir_parse("_pod_" UID, &n, uid));		 /* empty ns */
	assert_false(kubelet_pod_dir_parse("ns_Pod_" UID, &n, uid));		 /* uppercase */
	assert_false(kubelet_pod_dir_parse("ns_pod_6B1F8A5E-2C3D-4E5F-8A9B-0C1D2E3F4A5B", &n, uid));
	assert_false(kubelet_pod_dir_parse("ns_p\"od_" UID, &n, uid));	 /* hostile */
	assert_string_equal(uid, "");
	assert_string_equal(n.pod, "");
}

static void test_kube_pod_names_lookup(void **state)
{
	char dir[] = "/tmp/reapwatch-kube-XXXXXX", path[512];
	struct kube_names names;

	assert_non_null(mkdtemp(dir));
	/* Entries that end in the uid and are not its pod's: one too many '_', the uid as the tail
	 * of a longer one, an uppercase namespace. */
	snprintf(path, sizeof(path), "%s/team_c_x_" UID, dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/team-b_db_aaaa" UID, dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/Team_db_" UID, dir);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_false(kube_pod_names_lookup(dir, UID, &names));
	assert_string_equal(names.pod, "");
	snprintf(path, sizeof(path), "%s/team-a_web-0_" UID, dir);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_true(kube_pod_names_lookup(dir, UID, &names));
	assert_string_equal(names.pod, "web-0");
	assert_string_equal(names.namespace, "team-a");
	assert_string_equal(names.container, "");
	assert_false(kube_pod_names_lookup(dir, "0d7ba5d3c2e8f6a1b4c9d0e7f3a2b1c8", &names));
	assert_string_equal(names.pod, "");
	assert_false(kube_pod_names_lookup(dir, "", &names));
	assert_false(kube_pod_names_lookup("/nonexistent/reapwatch-kube", UID, &names));
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kubelet_log_name),
		cmocka_unit_test(test_kubelet_log_name_rejects),
		cmocka_unit_test(test_kube_index),
		cmocka_unit_test(test_kubelet_pod_dir),
		cmocka_unit_test(test_kube_pod_names_lookup),
		cmocka_unit_test(test_proc_stat_hostile_comm),
		cmocka_unit_test(test_proc_stat_zombie),
		cmocka_unit_test(test_proc_stat_zombie_leader_of_live_process),
		cmocka_unit_test(test_proc_stat_rejects),
		cmocka_unit_test(test_status_ns_pid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
