// SPDX-License-Identifier: GPL-2.0
/* The event model's pure parts: wait-status decoding, type names, and trace's filter. */
#include "unit.h"

#include "event.h"
#include "filter.h"

static const struct cgroup_info host_cg = { .id = 1, .path = "/" };
static const struct cgroup_info pod_cg = {
	.id = 77,
	.path = "/kubepods/burstable/pod1/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	.container_id = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	.pod = "web-7d9f",
	.namespace = "prod",
	.container = "nginx",
};

static struct event signal_event(uint32_t target, const char *target_comm, uint32_t sender,
				 const char *sender_comm, const struct cgroup_info *cg)
{
	struct event ev = { .type = RW_REC_SIGNAL };

	ev.proc.pid = target;
	snprintf(ev.proc.comm, sizeof(ev.proc.comm), "%s", target_comm);
	ev.proc.cgroup = cg;
	ev.signal.sender.pid = sender;
	snprintf(ev.signal.sender.comm, sizeof(ev.signal.sender.comm), "%s", sender_comm);
	ev.signal.sig = 15;
	return ev;
}

static void test_exit_status(void **state)
{
	struct ev_exit e;

	ev_exit_set_status(&e, 7 << 8);
	assert_true(e.exited);
	assert_int_equal(e.exit_code, 7);
	assert_int_equal(e.term_signal, 0);
	assert_false(e.core_dumped);

	ev_exit_set_status(&e, 255 << 8);
	assert_int_equal(e.exit_code, 255);

	ev_exit_set_status(&e, 15);
	assert_false(e.exited);
	assert_int_equal(e.term_signal, 15);
	assert_false(e.core_dumped);

	ev_exit_set_status(&e, 0x80 | 11);
	assert_false(e.exited);
	assert_int_equal(e.term_signal, 11);
	assert_true(e.core_dumped);

	ev_exit_set_status(&e, 0);
	assert_true(e.exited);
	assert_int_equal(e.exit_code, 0);
}

static void test_type_names(void **state)
{
	assert_string_equal(event_type_name(RW_REC_FORK), "fork");
	assert_string_equal(event_type_name(RW_REC_EXIT), "exit");
	assert_string_equal(event_type_name(RW_REC_REAP), "reap");
	assert_string_equal(event_type_name(RW_REC_REPARENT), "reparent");
	assert_string_equal(event_type_name(RW_REC_SIGNAL), "signal");
	assert_string_equal(event_type_name(RW_REC_TEARDOWN), "teardown");
	assert_null(event_type_name(0));
	assert_null(event_type_name(RW_REC_MAX));
	assert_null(event_type_name((enum rw_record_type)-1));
	assert_string_equal(signal_origin_name(RW_ORIGIN_PIDNS_TEARDOWN), "pidns_teardown");
	assert_string_equal(signal_origin_name(RW_ORIGIN_USER), "user");
	assert_string_equal(signal_origin_name(RW_ORIGIN_KERNEL), "kernel");
	assert_string_equal(signal_origin_name(RW_ORIGIN_PARENT_DEATH), "parent_death");
}

static void test_filter_types(void **state)
{
	struct event ev = signal_event(10, "sleep", 20, "bash", &host_cg);
	struct event_filter f = { .event_mask = RW_EVENT_BIT(RW_REC_EXIT) };

	assert_false(filter_match(&f, &ev));
	f.event_mask |= RW_EVENT_BIT(RW_REC_SIGNAL);
	assert_true(filter_match(&f, &ev));
}

/* --pid matches the target and the sender of a signal, and nothing else. */
static void test_filter_pid_any_role(void **state)
{
	struct event ev = signal_event(10, "sleep", 20, "bash", &host_cg);
	struct event_filter f = { .event_mask = RW_EVENTS_ALL, .pid = 10 };

	assert_true(filter_match(&f, &ev));
	f.pid = 20;
	assert_true(filter_match(&f, &ev));
	f.pid = 30;
	assert_false(filter_match(&f, &ev));

	ev.type = RW_REC_FORK;
	ev.fork.parent.pid = 30;
	assert_true(filter_match(&f, &ev));
	ev.type = RW_REC_EXIT;
	ev.exit.parent.pid = 31;
	assert_false(filter_match(&f, &ev));
}

static void test_filter_comm(void **state)
{
	struct event ev = signal_event(10, "sleep", 20, "bash", &host_cg);
	struct event_filter f = { .event_mask = RW_EVENTS_ALL, .comm = "bash" };

	assert_true(filter_match(&f, &ev));
	f.comm = "sleep";
	assert_true(filter_match(&f, &ev));
	f.comm = "slee";
	assert_false(filter_match(&f, &ev));
	f.comm = "sleep";
	f.pid = 20; /* both must hold */
	assert_true(filter_match(&f, &ev));
	f.pid = 21;
	assert_false(filter_match(&f, &ev));
}

static void test_filter_container(void **state)
{
	struct event in_pod = signal_event(10, "nginx", 20, "runc", &pod_cg);
	struct event on_host = signal_event(10, "nginx", 20, "runc", &host_cg);
	struct event_filter f = { .event_mask = RW_EVENTS_ALL, .container = "0123" };

	assert_true(filter_match(&f, &in_pod));
	assert_false(filter_match(&f, &on_host));
	f.container = pod_cg.container_id;
	assert_true(filter_match(&f, &in_pod));
	f.container = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0";
	assert_false(filter_match(&f, &in_pod));
	f.container = "123";
	assert_false(filter_match(&f, &in_pod));
	f.container = "web-7d9f";
	assert_true(filter_match(&f, &in_pod));
	f.container = "web";
	assert_false(filter_match(&f, &in_pod));
	f.container = "nginx";
	assert_true(filter_match(&f, &in_pod));
	assert_false(filter_match(&f, &on_host));
	/* The host has no id: an empty-prefix match must not leak host events in. */
	assert_false(container_matches("", &host_cg));
}

/* zombies --container: an id and names that may be unknown (NULL), a sandbox's none. */
static void test_container_names(void **state)
{
	const char *id = pod_cg.container_id;

	assert_true(container_names_match("0123", id, NULL, NULL));
	assert_true(container_names_match(id, id, "web-7d9f", "nginx"));
	assert_false(container_names_match("0123", "", NULL, NULL));
	assert_false(container_names_match("", "", NULL, NULL));
	assert_false(container_names_match("123", id, "web-7d9f", "nginx"));
	assert_true(container_names_match("web-7d9f", id, "web-7d9f", NULL));
	assert_true(container_names_match("nginx", id, "web-7d9f", "nginx"));
	assert_false(container_names_match("nginx", id, "web-7d9f", NULL));
	assert_false(container_names_match("team-a", id, "web-7d9f", "nginx"));
	assert_false(container_names_match("web", "", "web-7d9f", "nginx"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_status),	    cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_filter_types),	    cmocka_unit_test(test_filter_pid_any_role),
		cmocka_unit_test(test_filter_comm),	    cmocka_unit_test(test_filter_container),
		cmocka_unit_test(test_container_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
