// SPDX-License-Identifier: GPL-2.0
/*
 * A child asks for a signal when its parent dies (prctl(PR_SET_PDEATHSIG, SIGUSR1)); the
 * parent ("pd_parent") first sends it SIGUSR2 itself (kill(): a user's signal), then exits:
 * the kernel sends the child its SIGUSR1 from the exiting parent (forget_original_parent()),
 * with no siginfo, so si_code SI_USER, as a kill() would have. This process is a child
 * subreaper: it adopts the child ("pd_child"), which exits on the SIGUSR1, and reaps it.
 *
 * Prints parent= and child= (host pids) and child_status= (the child's exit code: 0 when
 * the SIGUSR1 arrived).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define SCENARIO_NAME "pdeathsig"
#include "scenario.h"

static volatile sig_atomic_t got_usr1;

static void on_usr1(int sig)
{
	(void)sig;
	got_usr1 = 1;
}

static void on_usr2(int sig)
{
	(void)sig;
}

int main(void)
{
	int ready[2], report[2], status;
	pid_t parent, child = 0;
	char byte;

	if (pipe(ready) || pipe(report))
		die("pipe");
	if (prctl(PR_SET_CHILD_SUBREAPER, 1))
		die("PR_SET_CHILD_SUBREAPER");
	parent = fork_named("pd_parent");
	if (parent == 0) {
		child = fork_named("pd_child");
		if (child == 0) {
			struct sigaction sa = {0};
			sigset_t none;

			sa.sa_handler = on_usr1;
			sigaction(SIGUSR1, &sa, NULL);
			sa.sa_handler = on_usr2;
			sigaction(SIGUSR2, &sa, NULL);
			if (prctl(PR_SET_PDEATHSIG, SIGUSR1))
				die("PR_SET_PDEATHSIG");
			if (write(ready[1], "r", 1) != 1)
				die("write");
			sigemptyset(&none);
			while (!got_usr1)
				sigsuspend(&none);
			_exit(0);
		}
		if (read(ready[0], &byte, 1) != 1)
			die("read");
		if (kill(child, SIGUSR2))
			die("kill");
		if (write(report[1], &child, sizeof(child)) != sizeof(child))
			die("write");
		usleep(50 * 1000);
		_exit(0);
	}
	if (read(report[0], &child, sizeof(child)) != sizeof(child))
		die("read");
	if (waitpid(parent, NULL, 0) != parent)
		die("waitpid parent");
	/* adopted by us when the parent died */
	status = waitpid_or_die(child, "waitpid child");
	printf("parent=%d\nchild=%d\nchild_status=%d\n", (int)parent, (int)child,
	       exit_code_of(status));
	return 0;
}
