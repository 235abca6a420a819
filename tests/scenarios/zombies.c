/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A parent ("zmb_parent") that never reaps: three children ("zmb_child") exit 0 at once and
 * stay zombies until the parent is killed (SIGTERM), after which its adopter reaps them.
 *
 * Prints parent=, child1=, child2=, child3=, exited_after_us= (CLOCK_REALTIME, before any
 * child exited) and zombies_by_us= (CLOCK_REALTIME, all three were zombies by then), then
 * ready=1, and waits to be killed. Each SIGUSR1 makes one more ("zmb_late"): late=PID once
 * it is a zombie.
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

#define SCENARIO_NAME "zombies"
#include "scenario.h"

#define NR_CHILDREN 3

static volatile sig_atomic_t more;

static void on_usr1(int sig)
{
	(void)sig;
	more++;
}

int main(void)
{
	pid_t child[NR_CHILDREN];
	sigset_t usr1, unblocked;
	long long before;
	char key[16];

	prctl(PR_SET_NAME, "zmb_parent");
	signal(SIGUSR1, on_usr1);
	report("parent", getpid());
	before = wall_us();
	for (int i = 0; i < NR_CHILDREN; i++) {
		child[i] = fork_named("zmb_child");
		if (child[i] == 0)
			_exit(0);
		snprintf(key, sizeof(key), "child%d", i + 1);
		report(key, child[i]);
	}
	for (int i = 0; i < NR_CHILDREN; i++) {
		siginfo_t si;

		/* WNOWAIT: returns once the child is a zombie and leaves it one. */
		if (waitid(P_PID, child[i], &si, WEXITED | WNOWAIT) < 0)
			die("waitid");
	}
	report("exited_after_us", before);
	report("zombies_by_us", wall_us());
	report("ready", 1);
	/* SIGUSR1 blocked but in sigsuspend(): one that comes while a zombie is made is not lost. */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &unblocked);
	sigdelset(&unblocked, SIGUSR1);
	for (;;) {
		pid_t late;
		siginfo_t si;

		sigsuspend(&unblocked);
		for (; more; more--) {
			late = fork_named("zmb_late");
			if (late == 0)
				_exit(0);
			if (waitid(P_PID, late, &si, WEXITED | WNOWAIT) < 0)
				die("waitid");
			report("late", late);
		}
	}
}
