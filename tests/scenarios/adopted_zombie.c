// SPDX-License-Identifier: GPL-2.0
/*
 * A zombie held by an adopter: this process ("adz_reaper") becomes a child subreaper,
 * forks a father ("adz_father") that forks a child ("adz_child") and exits; the child
 * is adopted by us, exits, and stays a zombie until we are told to reap it (SIGUSR1).
 *
 * Prints reaper=, father=, child= (host pids) and ready=1 once the child is a zombie
 * adopted by us; on SIGUSR1 reaps it and prints reaped=1.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SCENARIO_NAME "adopted_zombie"
#include "scenario.h"

int main(void)
{
	int fds[2];
	pid_t father, child = 0;
	sigset_t usr1;
	int sig;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	prctl(PR_SET_NAME, "adz_reaper");
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) || pipe(fds))
		die("setup");
	father = fork();
	if (father < 0)
		die("fork father");
	if (father == 0) {
		pid_t c;

		prctl(PR_SET_NAME, "adz_father");
		c = fork();
		if (c < 0)
			_exit(101);
		if (c == 0) {
			prctl(PR_SET_NAME, "adz_child");
			sleep_ms(200); /* outlive the father */
			_exit(0);
		}
		if (write(fds[1], &c, sizeof(c)) != sizeof(c))
			_exit(102);
		_exit(0);
	}
	if (read(fds[0], &child, sizeof(child)) != sizeof(child))
		die("read child pid");
	if (waitpid(father, NULL, 0) != father)
		die("waitpid father");
	/* The child is ours now; wait until it is a zombie, without reaping it. */
	for (int i = 0; i < 5000 && proc_state(child) != 'Z'; i++)
		usleep(1000);
	if (proc_state(child) != 'Z')
		die("child did not become a zombie");
	printf("reaper=%d\nfather=%d\nchild=%d\nready=1\n", (int)getpid(), (int)father, (int)child);
	fflush(stdout);
	if (sigwait(&usr1, &sig))
		die("sigwait");
	if (waitpid(child, NULL, 0) != child)
		die("waitpid child");
	printf("reaped=1\n");
	return 0;
}
