/* SPDX-License-Identifier: GPL-2.0 */
/*
 * exit_notify MODE: which signal a child's exit notifies its parent with, as the kernel
 * decides it (exit_notify(), do_notify_parent()), seen from a parent ("en_parent") that
 * ignores SIGCHLD. The child ("en_child") exits when its pipe closes.
 *   noexec  the child is cloned with exit signal SIGUSR1 (ignored too): it notifies with
 *           SIGUSR1, so the ignored SIGCHLD does not release it; it stays a zombie until
 *           the parent reaps it with waitpid(__WCLONE).
 *   exec    the same, but the parent execs (itself, as "en_parent" again) before the child
 *           exits: parent_exec_id no longer matches, do_notify_parent() sends SIGCHLD
 *           instead, and the ignored SIGCHLD releases the child at its exit, no wait().
 *   traced  a plain fork() child, traced (PTRACE_SEIZE) by a sibling ("en_tracer"): its
 *           exit notifies the tracer, and a traced zombie is never released by the
 *           parent's ignored SIGCHLD; it stays a zombie until the tracer's waitpid()
 *           (which hands it back to the parent, whose ignored SIGCHLD releases it then).
 * Prints parent=, child= (and tracer= when traced), then state_after_exit= (the child's
 * /proc state letter 200 ms after it exited: Z, or "gone" when released at once).
 */
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define SCENARIO_NAME "exit_notify"
#include "scenario.h"

#define SETTLE_US 200000

static void run_child(int rfd)
{
	char byte;

	prctl(PR_SET_NAME, "en_child");
	while (read(rfd, &byte, 1) > 0)
		;
	_exit(0);
}

/*
 * Right after the fork (how: "fork" or "clone"): the child runs run_child() on the pipe's
 * read end; the parent keeps the write end and prints parent= and child=.
 */
static void start_child(pid_t child, const char *how, int pfd[2])
{
	if (child < 0)
		die(how);
	if (child == 0) {
		close(pfd[1]);
		run_child(pfd[0]);
	}
	close(pfd[0]);
	printf("parent=%d\nchild=%d\n", getpid(), child);
	fflush(stdout);
}

static void print_state(pid_t child)
{
	char state = proc_state(child);

	if (state)
		printf("state_after_exit=%c\n", state);
	else
		printf("state_after_exit=gone\n");
	fflush(stdout);
}

/* The parent after the child is set up (exec mode: after its exec): release the child,
 * look at it, reap it if it stayed. */
static int hold(pid_t child, int wfd, bool clone_child)
{
	prctl(PR_SET_NAME, "en_parent");
	close(wfd);
	usleep(SETTLE_US);
	print_state(child);
	if (proc_state(child) == 'Z' && waitpid(child, NULL, clone_child ? __WCLONE : 0) != child)
		die("waitpid");
	return 0;
}

static void run_tracer(pid_t child, int wfd, int ready)
{
	siginfo_t si;

	prctl(PR_SET_NAME, "en_tracer");
	if (ptrace(PTRACE_SEIZE, child, 0, 0))
		die("PTRACE_SEIZE");
	printf("tracer=%d\n", getpid());
	fflush(stdout);
	if (write(ready, "t", 1) != 1)
		_exit(101);
	close(wfd);
	/* The exit, seen without reaping it; then how it stays while we do not reap it. */
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, child, &si, WEXITED | WNOWAIT))
		die("waitid");
	usleep(SETTLE_US);
	print_state(child);
	if (waitpid(child, NULL, 0) != child)
		die("tracer waitpid");
	_exit(0);
}

int main(int argc, char **argv)
{
	struct sigaction sa = {0};
	int pfd[2];
	pid_t child, tracer;
	char a1[16], a2[16];

	if (argc == 4 && !strcmp(argv[1], "holder"))
		return hold(atoi(argv[2]), atoi(argv[3]), true);
	if (argc != 2 || (strcmp(argv[1], "noexec") && strcmp(argv[1], "exec") &&
			  strcmp(argv[1], "traced"))) {
		fprintf(stderr, "usage: exit_notify noexec|exec|traced\n");
		return 2;
	}
	prctl(PR_SET_NAME, "en_parent");
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGCHLD, &sa, NULL) || sigaction(SIGUSR1, &sa, NULL))
		die("sigaction");
	if (pipe(pfd))
		die("pipe");
	if (!strcmp(argv[1], "traced")) {
		int tpipe[2];
		char byte;

		child = fork();
		start_child(child, "fork", pfd);
		/* The tracer holds the child's pipe; the parent lets go of it once traced. */
		if (pipe(tpipe))
			die("pipe");
		tracer = fork();
		if (tracer < 0)
			die("fork");
		if (tracer == 0) {
			close(tpipe[0]);
			run_tracer(child, pfd[1], tpipe[1]);
		}
		close(tpipe[1]);
		if (read(tpipe[0], &byte, 1) != 1)
			die("tracer");
		close(pfd[1]);
		/* SIGCHLD ignored: the tracer is released at its exit; wait until it is gone. */
		while (proc_state(tracer) || proc_state(child))
			usleep(10000);
		return 0;
	}
	/* fork() with exit signal SIGUSR1: clone(2) with no flags but the signal. */
	child = syscall(SYS_clone, SIGUSR1, 0, 0, 0, 0);
	start_child(child, "clone", pfd);
	if (!strcmp(argv[1], "noexec"))
		return hold(child, pfd[1], true);
	/* SIG_IGN stays ignored across exec (flush_signal_handlers()). */
	snprintf(a1, sizeof(a1), "%d", child);
	snprintf(a2, sizeof(a2), "%d", pfd[1]);
	execl("/proc/self/exe", argv[0], "holder", a1, a2, (char *)NULL);
	die("execl");
}
