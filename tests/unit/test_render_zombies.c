// SPDX-License-Identifier: GPL-2.0
/* `reapwatch zombies` output (src/render_zombies.c): Kubernetes names in the JSON keys, the
 * group line, the last column and the verdict; a plain host's output as it was. */
#include "unit.h"

#include "render.h"
#include "zombies.h"

#define ID_A "aaaaaaaaaaaa1111111111111111111111111111111111111111111111111111"
#define ID_B "bbbbbbbbbbbb2222222222222222222222222222222222222222222222222222"

static const struct kube_names WEB = {.pod = "web-0", .namespace = "team-a", .container = "nginx"};
static const struct kube_names SANDBOX = {.pod = "db-1", .namespace = "team-b"};

static struct zombie zombie(uint32_t pid, const char *comm, uint32_t ppid, const char *id)
{
	struct zombie z = {.stat = {.pid = pid, .state = 'Z', .ppid = ppid},
			   .ns_pid = pid - 100,
			   .pidns = 4026532000u,
			   .parent_ns_pid = 1,
			   .parent_pidns = 4026532000u};

	snprintf(z.stat.comm, sizeof(z.stat.comm), "%s", comm);
	snprintf(z.parent_comm, sizeof(z.parent_comm), "sleep");
	snprintf(z.container_id, sizeof(z.container_id), "%s", id);
	snprintf(z.parent_container_id, sizeof(z.parent_container_id), "%s", id);
	return z;
}

static char *text_of(const struct zombie *zombies, size_t n)
{
	struct capture c;

	render_zombies_text(capture_open(&c), zombies, n, 0);
	capture_close(&c);
	return c.buf;
}

static char *json_of(const struct zombie *z)
{
	struct capture c;

	render_zombie_json(capture_open(&c), z, 0);
	capture_close(&c);
	return c.buf;
}

/* Without names (a plain host, or no kubelet): the columns and lines are what they were. */
static void test_text_without_names(void **state)
{
	struct zombie z[] = {zombie(1201, "worker", 1100, ID_A)};
	char *out = text_of(z, 1);

	assert_string_equal(out, "parent 1100 (sleep) container aaaaaaaaaaaa pidns 4026532000 "
				 "ns_pid 1: 1 zombie, oldest unknown\n"
				 "  PID      NS_PID   COMM             CONTAINER    AGE       "
				 "ADOPTED_FROM\n"
				 "  1201     1101     worker           aaaaaaaaaaaa unknown   -\n");
	free(out);
}

/* Names: after the parent's container id, and a last column for each zombie (NAMESPACE/POD
 * for a sandbox, '-' for a zombie without), ADOPTED_FROM padded to keep it in line. */
static void test_text_with_names(void **state)
{
	struct zombie z[] = {zombie(1201, "worker", 1100, ID_A), zombie(1202, "x", 1100, ID_B),
			     zombie(1203, "y", 1100, "")};
	char *out;

	z[0].names = z[0].parent_names = z[1].parent_names = z[2].parent_names = &WEB;
	z[1].names = &SANDBOX;
	z[1].adopted_from_pid = 1150;
	snprintf(z[1].adopted_from_comm, sizeof(z[1].adopted_from_comm), "a\"b\nc");
	out = text_of(z, 3);
	assert_string_equal(out,
			    "parent 1100 (sleep) container aaaaaaaaaaaa (team-a/web-0/nginx) pidns "
			    "4026532000 ns_pid 1: 3 zombies, oldest unknown\n"
			    "  PID      NS_PID   COMM             CONTAINER    AGE       "
			    "ADOPTED_FROM              NAMESPACE/POD/CONTAINER\n"
			    "  1201     1101     worker           aaaaaaaaaaaa unknown   -         "
			    "                team-a/web-0/nginx\n"
			    "  1202     1102     x                bbbbbbbbbbbb unknown   "
			    "1150(a\"b\\nc)              team-b/db-1\n"
			    "  1203     1103     y                -            unknown   -         "
			    "                -\n");
	free(out);
}

/* A long adopter's comm is cut with '+', the names column stays where it was. */
static void test_text_adopted_cut(void **state)
{
	struct zombie z[] = {zombie(1201, "worker", 1100, ID_A)};
	char *out, *row;

	z[0].names = &WEB;
	z[0].adopted_from_pid = 4194303;
	snprintf(z[0].adopted_from_comm, sizeof(z[0].adopted_from_comm), "\x01\x02\x03\x04\x05");
	out = text_of(z, 1);
	row = strstr(out, "  1201 ");
	assert_non_null(row);
	assert_string_equal(row, "  1201     1101     worker           aaaaaaaaaaaa unknown   "
				 "4194303(\\x01\\x02\\x03\\x04+ team-a/web-0/nginx\n");
	free(out);
}

static void test_json_names(void **state)
{
	struct zombie z = zombie(1201, "worker", 1100, ID_A);
	char *out;

	out = json_of(&z);
	assert_null(strstr(out, "\"pod\""));
	assert_null(strstr(out, "\"namespace\""));
	assert_null(strstr(out, "\"container\""));
	free(out);

	z.names = &WEB;
	out = json_of(&z);
	assert_non_null(strstr(out, "\"container_id\":\"" ID_A "\",\"pod\":\"web-0\","
				    "\"namespace\":\"team-a\",\"container\":\"nginx\","
				    "\"pidns\":4026532000,"));
	free(out);

	z.names = &SANDBOX; /* a pod's sandbox: no container name */
	out = json_of(&z);
	assert_non_null(strstr(out, "\"pod\":\"db-1\",\"namespace\":\"team-b\",\"pidns\""));
	assert_null(strstr(out, "\"container\""));
	free(out);
}

static void test_verdict(void **state)
{
	struct zombie z = zombie(1201, "worker", 1100, ID_A);
	struct capture c;

	render_init_verdict(capture_open(&c), &z, 2);
	assert_string_equal(
	    capture_close(&c),
	    "verdict: PID 1 of container " ID_A " (sleep, host pid 1100) is not "
	    "reaping 2 zombies: the image needs an init (tini, `docker run --init`, "
	    "or shareProcessNamespace: true)\n");
	capture_free(&c);

	z.parent_names = &WEB;
	render_init_verdict(capture_open(&c), &z, 1);
	assert_string_equal(
	    capture_close(&c),
	    "verdict: PID 1 of container " ID_A " (team-a/web-0/nginx) (sleep, "
	    "host pid 1100) is not reaping 1 zombie: the image needs an init (tini, "
	    "`docker run --init`, or shareProcessNamespace: true)\n");
	capture_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_text_without_names),
	    cmocka_unit_test(test_text_with_names),
	    cmocka_unit_test(test_text_adopted_cut),
	    cmocka_unit_test(test_json_names),
	    cmocka_unit_test(test_verdict),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
