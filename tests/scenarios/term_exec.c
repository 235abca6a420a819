/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A container member that ignores SIGTERM and then execs from a non-leader thread, so
 * that the process it will be when a teardown SIGKILLs it has a new group leader
 * (de_thread() frees the old one, the exec'ing thread takes over its pid and start time).
 *
 *   term_exec GATE_DIR PROGRAM [ARG...]
 *
 * Ignores SIGTERM, names itself "te_member", writes its pid to GATE_DIR/member, and waits
 * in a second thread for GATE_DIR/exec to appear; that thread then execs PROGRAM (which
 * inherits SIG_IGN for SIGTERM). Exits 100 if something fails.
 */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <unistd.h>

#define SCENARIO_NAME "term_exec"
#include "scenario.h"

static char **program;
static char exec_file[PATH_MAX];

static void *exec_when_told(void *arg)
{
	while (access(exec_file, F_OK))
		usleep(10000);
	execv(program[0], program);
	die("execv");
	return arg;
}

int main(int argc, char **argv)
{
	char path[PATH_MAX];
	pthread_t t;
	FILE *f;

	if (argc < 3) {
		fprintf(stderr, "usage: term_exec GATE_DIR PROGRAM [ARG...]\n");
		return 2;
	}
	program = argv + 2;
	snprintf(exec_file, sizeof(exec_file), "%s/exec", argv[1]);
	if (signal(SIGTERM, SIG_IGN) == SIG_ERR)
		die("signal");
	prctl(PR_SET_NAME, "te_member");
	if (pthread_create(&t, NULL, exec_when_told, NULL))
		die("pthread_create");
	snprintf(path, sizeof(path), "%s/member", argv[1]);
	f = fopen(path, "w");
	if (!f || fprintf(f, "%d\n", getpid()) < 0 || fclose(f))
		die(path);
	for (;;)
		pause();
}
