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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exit_on_host),
	    cmocka_unit_test(test_exit_in_pod),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
