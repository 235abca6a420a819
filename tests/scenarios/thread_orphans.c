/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fathers whose threads each have a child, all threads exiting at the same moment: which
 * thread hands its children out of the process, and when, is a race in exit_notify()
 * (find_alive_thread() looks for a sibling that is not yet PF_EXITING).
 *
 *   thread_orphans [TRIALS [THREADS]]    default 40 trials of 4 threads
 *
 * The main process ("to_main") is a child subreaper. Each trial it forks a father
 * ("to_father") whose THREADS threads (the leader included) each fork one child
 * ("to_kid", which pauses), meet at a barrier and exit: every thread with SYS_exit on
 * even trials, one thread with exit_group() on odd ones. The children are handed to the
 * main process. It prints main=PID first; each trial it reaps the father and prints
 *     trial=T father=F kids=C1,C2,...
 * (pids as the main process sees them: run it in the host's pid namespace for host pids);
 * once every trial is done it prints ready=1, kills the children, reaps them and exits 0
 * (1 if a child was not handed to it).
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define SCENARIO_NAME "thread_orphans"
#include "scenario.h"

#define MAX_THREADS 32
#define MAX_TRIALS  1000

static pthread_barrier_t barrier;
static int kid_pipe[2]; /* father's threads -> main: their children's pids */
static int group_exit;

static void *fork_and_exit(void *arg)
{
	long index = (long)arg;
	int named[2];
	pid_t kid;
	char c;

	if (pipe(named))
		_exit(101);
	kid = fork();
	if (kid < 0)
		_exit(101);
	if (kid == 0) {
		prctl(PR_SET_NAME, "to_kid");
		alarm(120); /* never outlive a failed test by long */
		/* (A byte, not EOF: other threads' children hold copies of this pipe.) */
		if (write(named[1], "n", 1) != 1)
			_exit(106);
		for (;;)
			pause();
	}
	close(named[1]);
	if (read(named[0], &c, 1) != 1)
		_exit(102);
	close(named[0]);
	if (write(kid_pipe[1], &kid, sizeof(kid)) != sizeof(kid))
		_exit(102);
	pthread_barrier_wait(&barrier);
	if (group_exit && index == 0)
		syscall(SYS_exit_group, 0);
	syscall(SYS_exit, 0);
	return NULL;
}

static void run_father(int threads)
{
	pthread_t t;

	prctl(PR_SET_NAME, "to_father");
	if (pthread_barrier_init(&barrier, NULL, threads))
		_exit(103);
	for (long i = 1; i < threads; i++)
		if (pthread_create(&t, NULL, fork_and_exit, (void *)i))
			_exit(104);
	fork_and_exit(0);
	_exit(105); /* not reached */
}

int main(int argc, char **argv)
{
	int trials = argc > 1 ? atoi(argv[1]) : 40;
	int threads = argc > 2 ? atoi(argv[2]) : 4;
	static pid_t kids[MAX_TRIALS][MAX_THREADS];
	int status, failed = 0;
	pid_t father, p;

	if (trials < 1 || trials > MAX_TRIALS || threads < 2 || threads > MAX_THREADS) {
		fprintf(stderr, "usage: thread_orphans [TRIALS<=%d [2<=THREADS<=%d]]\n", MAX_TRIALS,
			MAX_THREADS);
		return 2;
	}
	prctl(PR_SET_NAME, "to_main");
	if (prctl(PR_SET_CHILD_SUBREAPER, 1))
		die("PR_SET_CHILD_SUBREAPER");
	printf("main=%d\n", getpid());
	for (int trial = 0; trial < trials; trial++) {
		if (pipe(kid_pipe))
			die("pipe");
		group_exit = trial % 2;
		father = fork();
		if (father < 0)
			die("fork");
		if (father == 0)
			run_father(threads);
		close(kid_pipe[1]);
		for (int i = 0; i < threads; i++)
			if (read(kid_pipe[0], &kids[trial][i], sizeof(pid_t)) != sizeof(pid_t))
				die("read the children's pids");
		close(kid_pipe[0]);
		waitpid_or_die(father, "waitpid father");
		printf("trial=%d father=%d kids=", trial, father);
		for (int i = 0; i < threads; i++)
			printf("%s%d", i ? "," : "", kids[trial][i]);
		printf("\n");
	}
	printf("ready=1\n");
	fflush(stdout);
	/* Every child must be ours now: kill and reap each. */
	for (int trial = 0; trial < trials; trial++)
		for (int i = 0; i < threads; i++) {
			kill(kids[trial][i], SIGKILL);
			p = waitpid(kids[trial][i], &status, 0);
			if (p != kids[trial][i]) {
				fprintf(stderr, "thread_orphans: child %d was not handed to us\n",
					kids[trial][i]);
				failed = 1;
			}
		}
	return failed;
}
