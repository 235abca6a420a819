/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A process ("eft_child") whose non-leader thread calls execve(). The kernel's de_thread()
 * kills the leader thread (it goes through do_exit() as a thread, not as the process), gives
 * the exec'ing thread the leader's pid, and the process lives on in the new image, which
 * renames itself "eft_after" and exits 6. The parent ("exec_from_thread") reaps it.
 *
 * Prints parent=, child= (the pid the process keeps throughout), worker= (the tid of the
 * thread that exec'd, which disappears) and wait_exit_code=.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define SCENARIO_NAME "exec_from_thread"
#include "scenario.h"

static int tid_pipe[2];

static void *worker(void *arg)
{
	char *const args[] = {"exec_from_thread", "--after-exec", NULL};
	long long tid = syscall(SYS_gettid);

	if (write(tid_pipe[1], &tid, sizeof(tid)) != sizeof(tid))
		syscall(SYS_exit_group, 101);
	close(tid_pipe[1]);
	execv("/proc/self/exe", args);
	syscall(SYS_exit_group, 102);
	return arg;
}

int main(int argc, char **argv)
{
	long long worker_tid;
	pthread_t thread;
	int status;
	pid_t child;

	if (argc > 1 && strcmp(argv[1], "--after-exec") == 0) {
		prctl(PR_SET_NAME, "eft_after");
		return 6;
	}
	if (pipe2(tid_pipe, O_CLOEXEC) < 0)
		die("pipe");
	report("parent", getpid());
	child = fork_named("eft_child");
	if (child == 0) {
		if (pthread_create(&thread, NULL, worker, NULL) != 0)
			syscall(SYS_exit_group, 103);
		/* The leader waits here until de_thread() kills it. */
		for (;;)
			pause();
	}
	close(tid_pipe[1]);
	report("child", child);
	if (read(tid_pipe[0], &worker_tid, sizeof(worker_tid)) != sizeof(worker_tid))
		die("read worker tid");
	status = waitpid_or_die(child, "waitpid");
	report("worker", worker_tid);
	report("wait_exit_code", exit_code_of(status));
	return 0;
}
