// SPDX-License-Identifier: GPL-2.0
/* `reapwatch healthcheck`'s verdict (src/health.c): every way an export can look, and its line. */
#include "unit.h"

#include <errno.h>
#include "health.h"
#include "util.h"

#define S   1000000000LL
#define NOW (1795449600LL * S)

/* A fresh file, an export holding the lock: the facts each test then spoils one way. */
static struct health_facts healthy(void)
{
	return (struct health_facts){.dir = "/d",
				     .file_regular = true,
				     .file_mtime_ns = NOW - 3 * S,
				     .now_ns = NOW,
				     .lock = HEALTH_LOCK_HELD};
}

static void expect(const struct health_facts *f, double max_age_s, int status, const char *line)
{
	char msg[512];

	memset(msg, 'X', sizeof(msg));
	assert_int_equal(health_verdict(f, max_age_s, msg, sizeof(msg)), status);
	assert_string_equal(msg, line);
}

static void test_alive(void **state)
{
	struct health_facts f = healthy();

	expect(&f, 60, EXIT_OK, "/d/reapwatch.prom rewritten 3.0 s ago by a running export");
	/* a filesystem without flock(): the age alone */
	f.lock = HEALTH_LOCK_UNKNOWN;
	expect(&f, 60, EXIT_OK, "/d/reapwatch.prom rewritten 3.0 s ago");
}

/* Exactly --max-age old passes; a tenth of a second more does not. */
static void test_age_bound(void **state)
{
	struct health_facts f = healthy();

	f.file_mtime_ns = NOW - 30 * S;
	expect(&f, 30, EXIT_OK, "/d/reapwatch.prom rewritten 30.0 s ago by a running export");
	f.file_mtime_ns = NOW - 30 * S - S / 10;
	expect(&f, 30, EXIT_RUNTIME,
	       "/d/reapwatch.prom not rewritten for 30.1 s (--max-age 30): the export is stuck or "
	       "cannot write (see its stderr)");
	f.file_mtime_ns = NOW - 301 * S;
	expect(&f, 60, EXIT_RUNTIME,
	       "/d/reapwatch.prom not rewritten for 301.0 s (--max-age 60): the export is stuck or "
	       "cannot write (see its stderr)");
	f.file_mtime_ns = NOW - S / 2;
	expect(&f, 0.25, EXIT_RUNTIME,
	       "/d/reapwatch.prom not rewritten for 0.5 s (--max-age 0.25): the export is stuck or "
	       "cannot write (see its stderr)");
}

/* The clock stepped back since the last write: not stale. */
static void test_future_file(void **state)
{
	struct health_facts f = healthy();

	f.file_mtime_ns = NOW + 3600 * S;
	expect(&f, 60, EXIT_OK, "/d/reapwatch.prom rewritten 0.0 s ago by a running export");
}

/* Nobody holds the lock: dead, however fresh its last file. */
static void test_no_export(void **state)
{
	struct health_facts f = healthy();

	f.lock = HEALTH_LOCK_FREE;
	expect(&f, 60, EXIT_RUNTIME,
	       "no reapwatch export runs for /d (nothing holds its lock); reapwatch.prom was last "
	       "written 3.0 s ago");
	f.file_errno = ENOENT;
	expect(&f, 60, EXIT_RUNTIME,
	       "no /d/reapwatch.prom yet: no reapwatch export runs for that directory (nothing "
	       "holds its lock)");
}

static void test_no_file(void **state)
{
	struct health_facts f = healthy();

	f.file_errno = ENOENT;
	expect(&f, 60, EXIT_RUNTIME,
	       "no /d/reapwatch.prom yet: the export has not written it (still starting?), or "
	       "writes elsewhere");
	f.file_errno = EACCES;
	expect(&f, 60, EXIT_RUNTIME, "cannot stat /d/reapwatch.prom: Permission denied");
	f.file_errno = 0;
	f.file_regular = false;
	expect(&f, 60, EXIT_RUNTIME, "/d/reapwatch.prom is not a regular file");
}

/* The directory is the operator's, but still one line: escaped, and cut at a character with a
 * mark when too long. */
static void test_hostile_dir(void **state)
{
	struct health_facts f = healthy();
	char dir[400], msg[512];

	f.dir = "/a\nb\x01";
	expect(&f, 60, EXIT_OK,
	       "/a\\nb\\x01/reapwatch.prom rewritten 3.0 s ago by a running export");
	memset(dir, 'd', sizeof(dir) - 1);
	dir[sizeof(dir) - 1] = '\0';
	f.dir = dir;
	assert_int_equal(health_verdict(&f, 60, msg, sizeof(msg)), EXIT_OK);
	/* 196 of the 399 bytes and "...", within HEALTH_PATH_SHOWN with its NUL */
	assert_int_equal(strspn(msg, "d"), HEALTH_PATH_SHOWN - 4);
	assert_string_equal(msg + HEALTH_PATH_SHOWN - 4,
			    ".../reapwatch.prom rewritten 3.0 s ago by a running export");
}

/* health_path_shown(): a path that fits is whole, to the last byte; one byte more is cut. */
static void test_path_shown(void **state)
{
	char path[HEALTH_PATH_SHOWN + 1], shown[HEALTH_PATH_SHOWN];

	memset(path, 'p', HEALTH_PATH_SHOWN - 1);
	path[HEALTH_PATH_SHOWN - 1] = '\0';
	health_path_shown(shown, path);
	assert_string_equal(shown, path);
	path[HEALTH_PATH_SHOWN - 1] = 'p';
	path[HEALTH_PATH_SHOWN] = '\0';
	health_path_shown(shown, path);
	assert_int_equal(strlen(shown), HEALTH_PATH_SHOWN - 1);
	assert_string_equal(shown + HEALTH_PATH_SHOWN - 4, "...");
	/* an escape is not cut in half: "\n" is two bytes that go together */
	memset(path, 'p', HEALTH_PATH_SHOWN - 5);
	strcpy(path + HEALTH_PATH_SHOWN - 5, "\nqqqq");
	health_path_shown(shown, path);
	assert_int_equal(strspn(shown, "p"), HEALTH_PATH_SHOWN - 5);
	assert_string_equal(shown + HEALTH_PATH_SHOWN - 5, "...");
}

/* A short buffer holds the start of the line, terminated. */
static void test_short_buffer(void **state)
{
	struct health_facts f = healthy();
	char msg[8];

	assert_int_equal(health_verdict(&f, 60, msg, sizeof(msg)), EXIT_OK);
	assert_string_equal(msg, "/d/reap");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_alive),	 cmocka_unit_test(test_age_bound),
	    cmocka_unit_test(test_future_file),	 cmocka_unit_test(test_no_export),
	    cmocka_unit_test(test_no_file),	 cmocka_unit_test(test_hostile_dir),
	    cmocka_unit_test(test_short_buffer), cmocka_unit_test(test_path_shown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
