/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Processes whose threads all exit at the same moment, one by one (SYS_exit, not
 * exit_group): the process ends when its last thread does, and which thread that is
 * is a race. The leader exits too, so it waits as a zombie for the rest.
 *
 *   thread_exits [PROCS [THREADS]]     default 50 processes of 8 threads
 *
 * Each process ("te_proc") starts THREADS-1 threads; all meet at a barrier, then all
 * exit. The parent ("thread_exits") runs the processes one after another, reaps each
 * (it must have exited with status 0) and prints proc=PID for each, then finished=1.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define SCENARIO_NAME "thread_exits"
#include "scenario.h"

static pthread_barrier_t barrier;

/* Every thread, the leader included: meet, then exit this thread only. */
static void *meet_and_exit(void *arg)
{
	pthread_barrier_wait(&barrier);
	syscall(SYS_exit, 0);
	return arg;
}

static void run_process(int threads)
{
	pthread_t t;

	prctl(PR_SET_NAME, "te_proc");
	if (pthread_barrier_init(&barrier, NULL, threads))
		_exit(101);
	for (int i = 1; i < threads; i++)
		if (pthread_create(&t, NULL, meet_and_exit, NULL))
			_exit(102);
	meet_and_exit(NULL);
	_exit(103); /* not reached: SYS_exit does not return */
}

int main(int argc, char **argv)
{
	int procs = argc > 1 ? atoi(argv[1]) : 50;
	int threads = argc > 2 ? atoi(argv[2]) : 8;
	int status;
	pid_t pid;

	if (procs < 1 || threads < 2) {
		fprintf(stderr, "usage: thread_exits [PROCS [THREADS>=2]]\n");
		return 2;
	}
	for (int i = 0; i < procs; i++) {
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0)
			run_process(threads);
		status = waitpid_or_die(pid, "waitpid");
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "thread_exits: process %d: wait status %#x\n", pid, status);
			return 1;
		}
		printf("proc=%d\n", pid);
	}
	printf("finished=1\n");
	fflush(stdout);
	return 0;
}
