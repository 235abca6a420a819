/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The main thread of a process ("lef_child") leaves first with a thread-only exit (SYS_exit);
 * a worker thread runs on for 200 ms and then ends the whole process with exit_group(3).
 * The kernel keeps the leader as a "delayed" zombie; the process dies, and becomes waitable,
 * only when the worker exits. The parent ("leader_exits_first") reaps it.
 *
 * Prints parent=, child= (the process), worker= (the worker's tid), worker_tgid= (its
 * process, as the worker itself sees it: child's pid), leader_exit_us= and
 * worker_exit_us= (CLOCK_REALTIME in microseconds just before each exit) and wait_exit_code=.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SCENARIO_NAME "leader_exits_first"
#include "scenario.h"

/* What the child's threads tell the parent, one tagged record per write. */
enum stamp_kind { WORKER_TID, WORKER_TGID, LEADER_EXIT_US, WORKER_EXIT_US, NR_STAMPS };

struct stamp {
	int kind;
	long long value;
};

static int stamp_pipe[2];

static void send_stamp(int kind, long long value)
{
	struct stamp st = {.kind = kind, .value = value};

	if (write(stamp_pipe[1], &st, sizeof(st)) != sizeof(st))
		syscall(SYS_exit_group, 101);
}

static void *worker(void *arg)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = 200 * 1000000L};

	send_stamp(WORKER_TID, syscall(SYS_gettid));
	send_stamp(WORKER_TGID, getpid());
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	send_stamp(WORKER_EXIT_US, wall_us());
	syscall(SYS_exit_group, 3);
	return arg;
}

int main(void)
{
	long long got[NR_STAMPS];
	struct stamp st;
	pthread_t thread;
	int status;
	pid_t child;

	if (pipe(stamp_pipe) < 0)
		die("pipe");
	report("parent", getpid());
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		/* Named before the worker exists, so both threads carry the name. */
		prctl(PR_SET_NAME, "lef_child");
		if (pthread_create(&thread, NULL, worker, NULL) != 0)
			syscall(SYS_exit_group, 102);
		send_stamp(LEADER_EXIT_US, wall_us());
		/* Only this thread ends; pthread_exit() would do the same via SYS_exit. */
		syscall(SYS_exit, 0);
	}
	close(stamp_pipe[1]);
	report("child", child);

	for (int i = 0; i < NR_STAMPS; i++) {
		if (read(stamp_pipe[0], &st, sizeof(st)) != sizeof(st) || st.kind < 0 ||
		    st.kind >= NR_STAMPS)
			die("read stamps");
		got[st.kind] = st.value;
	}
	status = waitpid_or_die(child, "waitpid");
	report("worker", got[WORKER_TID]);
	report("worker_tgid", got[WORKER_TGID]);
	report("leader_exit_us", got[LEADER_EXIT_US]);
	report("worker_exit_us", got[WORKER_EXIT_US]);
	report("wait_exit_code", exit_code_of(status));
	return 0;
}
