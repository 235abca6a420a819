/* SPDX-License-Identifier: GPL-2.0 */
/*
 * live_leader: a process ("ll_proc") whose main thread calls pthread_exit() while a worker
 * thread runs on: /proc shows its leader 'Z', yet the process is alive and nobody can reap
 * it. Beside it, a real zombie: a child ("ll_zombie") that exited and is never waited for.
 *
 * Prints pid=, zombie= (as its pid namespace numbers them) and ready=1 (the child is a zombie by then); the main thread then
 * leaves. The worker runs until the process is killed (SIGALRM after 120 s at the latest).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define SCENARIO_NAME "live_leader"
#include "scenario.h"

static void *worker(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

int main(void)
{
	pthread_t t;
	pid_t child;
	siginfo_t si;

	prctl(PR_SET_NAME, "ll_proc");
	alarm(120);
	child = fork_named("ll_zombie");
	if (child == 0) {
		_exit(0);
	}
	/* A zombie once this returns (WNOWAIT leaves it one; no /proc, which may be another
	 * pid namespace's). */
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, child, &si, WEXITED | WNOWAIT))
		die("waitid");
	if (pthread_create(&t, NULL, worker, NULL))
		die("pthread_create");
	printf("pid=%d\nzombie=%d\nready=1\n", getpid(), child);
	fflush(stdout);
	pthread_exit(NULL);
}
