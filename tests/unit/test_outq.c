// SPDX-License-Identifier: GPL-2.0
#include "unit.h"

#include <errno.h>
#include <signal.h>
#include <unistd.h>

#include "outq.h"

/* What the renderers wrote reaches the fd whole and in order, by outq__free() at the latest. */
static void test_in_order(void **state)
{
	char buf[64] = { 0 };
	struct outq *q;
	int fds[2];

	assert_int_equal(pipe(fds), 0);
	assert_int_equal(outq__new(&q, fds[1], 1 << 20), 0);
	fputs("first\n", outq__file(q));
	assert_int_equal(outq__flush(q), 0);
	assert_int_equal(outq__flush(q), 0); /* nothing new */
	fputs("second\n", outq__file(q));
	assert_int_equal(outq__free(q), 0);
	close(fds[1]);
	assert_int_equal(read(fds[0], buf, sizeof(buf) - 1), 13);
	assert_string_equal(buf, "first\nsecond\n");
	close(fds[0]);
}

/*
 * The reader gone (EPIPE): once the writer has failed, every flush says so, also one with
 * nothing new to hand on, so that a command that writes rarely (export --log-events) learns
 * it at its next look, not at its next line.
 */
static void test_failure_seen_without_new_output(void **state)
{
	struct outq *q;
	int fds[2], ret = 0;

	signal(SIGPIPE, SIG_IGN);
	assert_int_equal(pipe(fds), 0);
	close(fds[0]);
	assert_int_equal(outq__new(&q, fds[1], 1 << 20), 0);
	fputs("line\n", outq__file(q));
	assert_int_equal(outq__flush(q), 0);
	for (int i = 0; i < 500 && ret == 0; i++) {
		usleep(10000);
		ret = outq__flush(q);
	}
	assert_int_equal(ret, -EPIPE);
	assert_int_equal(outq__flush(q), -EPIPE);
	assert_int_equal(outq__free(q), -EPIPE);
	close(fds[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_failure_seen_without_new_output),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
