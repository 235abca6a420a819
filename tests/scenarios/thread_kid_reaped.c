/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Children forked by a thread that exits before its process does: the kernel hands them to
 * a sibling thread (exit_notify() -> find_alive_thread()), within the process. One of them
 * is reaped by the process before it exits (no orphan); the other is still alive when the
 * process exits, and is adopted by the main process, a child subreaper.
 *
 *   thread_kid_reaped [TRIALS]     default 5
 *
 * The main process ("tkr_main") prints main=PID, then each trial forks a father
 * ("tkr_father") whose worker thread forks two children ("tkr_kid") and exits; the father
 * joins it, waits until the worker is released (gone from /proc/self/task: past its
 * exit_notify(), where its children moved to the main thread; pthread_join() returns
 * earlier, at exit_mm()), kills and reaps the first child, waits 20 ms and exits 0. The main
 * process reaps the father and prints
 *     trial=T father=F reaped=K1 orphan=K2
 * then kills and reaps the orphan. Exits 0, or 1 if a child was not where it should be.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define SCENARIO_NAME "thread_kid_reaped"
#include "scenario.h"

static pid_t kids[2];
static pid_t worker_tid;

static void *fork_kids(void *arg)
{
	(void)arg;
	worker_tid = gettid();
	for (int i = 0; i < 2; i++) {
		kids[i] = fork_named("tkr_kid");
		if (kids[i] == 0) {
			alarm(60); /* never outlive a failed test by long */
			for (;;)
				pause();
		}
	}
	return NULL;
}

/* The father: its worker thread forks, exits; it reaps one child, keeps the other. */
static void father(int report_fd)
{
	pthread_t worker;
	int status;

	char task[64];

	if (pthread_create(&worker, NULL, fork_kids, NULL) || pthread_join(worker, NULL))
		_exit(101);
	snprintf(task, sizeof(task), "/proc/self/task/%d", worker_tid);
	for (int i = 0; access(task, F_OK) == 0; i++) {
		if (i == 5000)
			_exit(104); /* 5 s */
		sleep_ms(1);
	}
	if (write(report_fd, kids, sizeof(kids)) != sizeof(kids))
		_exit(102);
	kill(kids[0], SIGKILL);
	if (waitpid(kids[0], &status, 0) != kids[0])
		_exit(103);
	sleep_ms(20);
	_exit(0);
}

int main(int argc, char **argv)
{
	int trials = argc > 1 ? atoi(argv[1]) : 5, rc = 0;

	prctl(PR_SET_NAME, "tkr_main");
	if (prctl(PR_SET_CHILD_SUBREAPER, 1))
		die("PR_SET_CHILD_SUBREAPER");
	report("main", host_pid());
	for (int t = 0; t < trials; t++) {
		pid_t f, got[2];
		int pipefd[2], status;

		if (pipe(pipefd))
			die("pipe");
		f = fork_named("tkr_father");
		if (f == 0) {
			close(pipefd[0]);
			father(pipefd[1]);
		}
		close(pipefd[1]);
		if (read(pipefd[0], got, sizeof(got)) != sizeof(got))
			die("read the children's pids");
		close(pipefd[0]);
		if (exit_code_of(waitpid_or_die(f, "waitpid father")) != 0)
			rc = 1;
		printf("trial=%d father=%d reaped=%d orphan=%d\n", t, f, got[0], got[1]);
		fflush(stdout);
		/* The orphan is ours now: the father's exit handed it to this subreaper. */
		kill(got[1], SIGKILL);
		if (waitpid(got[1], &status, 0) != got[1])
			rc = 1;
	}
	report("finished", 1);
	return rc;
}
