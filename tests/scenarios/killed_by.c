/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A target ("kb_target", two threads, both in pause()); a second child, the sender
 * ("kb_sender"), sends it one signal and exits 0. The parent ("killed_by") reaps both.
 *
 *   killed_by [SIGNO [HOW [core]]]
 *   SIGNO  default SIGTERM
 *   HOW    kill           kill(2) to the process (default), si_code SI_USER
 *          tgkill         tgkill(2) to its main thread, SI_TKILL
 *          tgkill_thread  tgkill(2) to its second thread, SI_TKILL
 *          sigqueue       sigqueue(3) to the process, SI_QUEUE
 *   core   let the target dump core (RLIMIT_CORE unlimited) in the current directory;
 *          otherwise it never does
 *
 * Prints parent=, target=, worker= (the tid of the target's second thread), sender=, signo=,
 * and how the target died as wait() saw it: target_signal= (terminating signal number, 0 if
 * it exited) and target_core= (0/1).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define SCENARIO_NAME "killed_by"
#include "scenario.h"

/* The target's second thread: tells the parent its tid (the target is then ready), idles. */
static void *idle_thread(void *arg)
{
	int ready_fd = *(int *)arg;
	pid_t tid = syscall(SYS_gettid);

	if (write(ready_fd, &tid, sizeof(tid)) != sizeof(tid))
		syscall(SYS_exit_group, 101);
	for (;;)
		pause();
	return arg;
}

static int send_signal(const char *how, pid_t target, pid_t worker, int signo)
{
	if (strcmp(how, "kill") == 0)
		return kill(target, signo);
	if (strcmp(how, "tgkill") == 0)
		return syscall(SYS_tgkill, target, target, signo);
	if (strcmp(how, "tgkill_thread") == 0)
		return syscall(SYS_tgkill, target, worker, signo);
	if (strcmp(how, "sigqueue") == 0) {
		union sigval value = {.sival_int = 42};

		return sigqueue(target, signo, value);
	}
	errno = EINVAL;
	return -1;
}

int main(int argc, char **argv)
{
	int signo = argc > 1 ? atoi(argv[1]) : SIGTERM;
	const char *how = argc > 2 ? argv[2] : "kill";
	int allow_core = argc > 3 && strcmp(argv[3], "core") == 0;
	int ready[2], status;
	pid_t target, sender, worker;

	if (pipe(ready) < 0)
		die("pipe");
	report("parent", getpid());
	report("signo", signo);

	target = fork();
	if (target < 0)
		die("fork");
	if (target == 0) {
		/* No core files unless asked for, whatever the signal. */
		struct rlimit core = {0, 0};
		pthread_t thread;

		if (allow_core)
			core.rlim_cur = core.rlim_max = RLIM_INFINITY;
		if (setrlimit(RLIMIT_CORE, &core) < 0)
			_exit(103);
		/* Named before the second thread exists, so both threads carry the name. */
		prctl(PR_SET_NAME, "kb_target");
		if (pthread_create(&thread, NULL, idle_thread, &ready[1]) != 0)
			_exit(104);
		for (;;)
			pause();
	}
	report("target", target);
	/* The target has its name and its second thread before anyone signals it. */
	if (read(ready[0], &worker, sizeof(worker)) != sizeof(worker))
		die("read ready");
	report("worker", worker);

	sender = fork_named("kb_sender");
	if (sender == 0) {
		_exit(send_signal(how, target, worker, signo) == 0 ? 0 : 102);
	}
	report("sender", sender);

	status = waitpid_or_die(sender, "waitpid sender");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "killed_by: sender failed (status %#x)\n", status);
		return 1;
	}
	status = waitpid_or_die(target, "waitpid target");
	report("target_signal", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	report("target_core", WIFSIGNALED(status) && WCOREDUMP(status) ? 1 : 0);
	return 0;
}
