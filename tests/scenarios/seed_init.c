/* SPDX-License-Identifier: GPL-2.0 */
/*
 * seed_init N RESULT_FILE [MAX_SECONDS]: the seed's container — a PID 1 ("seed_init") that never
 * reaps.
 *
 * Like most servers it has a second thread (it only sleeps). The main thread forks N children
 * ("seed_child") that exit at once and are never waited for, then tries one more fork, as the
 * application's next request would. With the container's pids limit at N + 2 (two threads +
 * N zombies) that fork fails with EAGAIN: zombies hold their pids until they are reaped.
 * What happened goes to RESULT_FILE (written whole, then renamed into place):
 *     forked=<children forked>
 *     next_fork=ok|<errno name, e.g. EAGAIN>
 * Then it sleeps until killed, or MAX_SECONDS (default 120) have passed: then it exits, and
 * its namespace's teardown reaps the zombies, so a test killed halfway leaves nothing behind.
 * Run it as a container's PID 1 (it never reaps anything, so elsewhere its zombies would stay
 * until it dies).
 *
 * Built by the Makefile like every scenario; a test that runs it in a busybox rootfs
 * compiles its own static copy.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

static void *sleeper(void *arg)
{
	for (;;)
		pause();
	return arg;
}

static const char *errno_name(int err)
{
	switch (err) {
	case EAGAIN:
		return "EAGAIN";
	case ENOMEM:
		return "ENOMEM";
	case ENOSPC:
		return "ENOSPC";
	default:
		return strerror(err);
	}
}

int main(int argc, char **argv)
{
	char tmp[4096];
	pthread_t thread;
	int n, forked = 0, next_err = 0, max_seconds;
	pid_t pid;
	FILE *f;

	if (argc < 3 || argc > 4 || (n = atoi(argv[1])) <= 0) {
		fprintf(stderr, "usage: seed_init N RESULT_FILE [MAX_SECONDS]\n");
		return 2;
	}
	max_seconds = argc > 3 ? atoi(argv[3]) : 120;
	prctl(PR_SET_NAME, "seed_init");
	if (pthread_create(&thread, NULL, sleeper, NULL)) {
		fprintf(stderr, "seed_init: pthread_create failed\n");
		return 1;
	}
	for (int i = 0; i < n; i++) {
		pid = fork();
		if (pid < 0) {
			next_err = errno;
			break;
		}
		if (pid == 0) {
			prctl(PR_SET_NAME, "seed_child");
			_exit(0);
		}
		forked++;
	}
	if (forked == n) {
		pid = fork();
		if (pid == 0) {
			prctl(PR_SET_NAME, "seed_extra");
			_exit(0);
		}
		next_err = pid < 0 ? errno : 0;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[2]);
	f = fopen(tmp, "w");
	if (!f) {
		fprintf(stderr, "seed_init: %s: %s\n", tmp, strerror(errno));
		return 1;
	}
	fprintf(f, "forked=%d\nnext_fork=%s\n", forked, next_err ? errno_name(next_err) : "ok");
	if (fclose(f) || rename(tmp, argv[2])) {
		fprintf(stderr, "seed_init: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	/* sleep() returns early on a signal we catch; we catch none. */
	sleep((unsigned int)max_seconds);
	return 0;
}
