// SPDX-License-Identifier: GPL-2.0
/* `trace`'s text lines (src/render_text.c): an exit in the columns, and a container's
 * Kubernetes names last on the line, as its JSON has them. */
#include "unit.h"

#include "event.h"
#include "render.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const struct cgroup_info host_cg = {.id = 1, .path = "/"};
static const struct cgroup_info pod_cg = {
    .id = 77,
    .path = "/kubepods/burstable/pod1/" ID,
    .container_id = ID,
    .pod = "web-7d9f",
    .namespace = "prod",
    .container = "nginx",
};
/* A pod's sandbox: pod and namespace, no container name. */
static const struct cgroup_info sandbox_cg = {
    .id = 78,
    .path = "/kubepods/pod1/" ID,
    .container_id = ID,
    .pod = "web-7d9f",
    .namespace = "prod",
    .container = "",
};

static char *exit_line(const struct cgroup_info *cg)
{
	struct event ev = {.type = RW_REC_EXIT, .unix_ns = 1795449600123456000ull};
	struct capture c;

	ev.proc.pid = 4242;
	ev.proc.ns_pid = 7;
	snprintf(ev.proc.comm, sizeof(ev.proc.comm), "a\"b\nc");
	ev.proc.cgroup = cg;
	ev.exit.exited = true;
	ev.exit.exit_code = 3;
	ev.exit.parent.pid = 4000;
	snprintf(ev.exit.parent.comm, sizeof(ev.exit.parent.comm), "sh");
	ev.exit.lifetime_ns = 1500000000ull;
	render_text_event(capture_open(&c), &ev);
	capture_close(&c);
	return c.buf;
}

static void test_exit_on_host(void **state)
{
	char *line = exit_line(&host_cg);

	assert_string_equal(line,
			    "16:00:00.123456 exit     4242    a\"b\\nc           7       -    "
			    "        exit_code=3 parent=4000(sh) lifetime=1.500000s\n");
	free(line);
}

static void test_exit_in_pod(void **state)
{
	char *line = exit_line(&pod_cg);

	assert_string_equal(line, "16:00:00.123456 exit     4242    a\"b\\nc           7       "
				  "0123456789ab exit_code=3 parent=4000(sh) lifetime=1.500000s "
				  "pod=web-7d9f namespace=prod container=nginx\n");
	free(line);
	line = exit_line(&sandbox_cg);
	assert_non_null(strstr(line, " lifetime=1.500000s pod=web-7d9f namespace=prod\n"));
	free(line);
}

static char *line_of(const struct event *ev)
{
	struct capture c;

	render_text_event(capture_open(&c), ev);
	capture_close(&c);
	return c.buf;
}

/* A reap: an exact latency, a bound ("<="), one not known; the names after them. */
static void test_reap(void **state)
{
	struct event ev = {.type = RW_REC_REAP, .unix_ns = 1795449600123456000ull};
	char *line;

	ev.proc.pid = 4242;
	ev.proc.ns_pid = 4242;
	snprintf(ev.proc.comm, sizeof(ev.proc.comm), "worker");
	ev.proc.cgroup = &pod_cg;
	ev.reap.reaper.pid = 1;
	snprintf(ev.reap.reaper.comm, sizeof(ev.reap.reaper.comm), "tini");
	ev.reap.latency_known = true;
	ev.reap.latency_ns = 2500000;
	ev.reap.how = RW_REAP_WAIT_ENTRY;
	line = line_of(&ev);
	assert_string_equal(line, "16:00:00.123456 reap     4242    worker           4242    "
				  "0123456789ab reaper=1(tini) latency=0.002500s pod=web-7d9f "
				  "namespace=prod container=nginx\n");
	free(line);
	ev.reap.how = RW_REAP_FREE_ONLY;
	line = line_of(&ev);
	assert_non_null(strstr(line, " reaper=1(tini) latency=<=0.002500s pod=web-7d9f "));
	free(line);
	ev.reap.latency_known = false;
	ev.proc.cgroup = &host_cg;
	line = line_of(&ev);
	assert_non_null(strstr(line, " reaper=1(tini) latency=unknown\n"));
	free(line);
}

/* A teardown's killed pids (one with the SIGTERM it had first, more than listed: ",...")
 * come before the names, which stay last. */
static void test_teardown(void **state)
{
	struct event ev = {.type = RW_REC_TEARDOWN, .unix_ns = 1795449600123456000ull};
	char *line;

	ev.proc.pid = 5000;
	ev.proc.ns_pid = 1;
	snprintf(ev.proc.comm, sizeof(ev.proc.comm), "sh");
	ev.proc.cgroup = &sandbox_cg;
	ev.teardown.members = 3;
	ev.teardown.sigkilled = 3;
	ev.teardown.sigkilled_without_sigterm = 2;
	ev.teardown.npids = 2;
	ev.teardown.sigkilled_pids[0] = 5001;
	ev.teardown.sigkilled_pids[1] = 5002;
	ev.teardown.warned_sig[1] = 15;
	ev.teardown.duration_ns = 1000000;
	line = line_of(&ev);
	assert_string_equal(line, "16:00:00.123456 teardown 5000    sh               1       "
				  "0123456789ab members=3 sigkilled=3 without_sigterm=2 grace=none "
				  "duration=0.001000s killed=5001,5002:SIGTERM,... pod=web-7d9f "
				  "namespace=prod\n");
	free(line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exit_on_host),
	    cmocka_unit_test(test_exit_in_pod),
	    cmocka_unit_test(test_reap),
	    cmocka_unit_test(test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
