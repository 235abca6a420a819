// SPDX-License-Identifier: GPL-2.0
/*
 * A zombie released at its hand-over: this process ("hoa_reaper") becomes a child
 * subreaper that ignores SIGCHLD (or sets SA_NOCLDWAIT: argument "nocldwait"), forks a
 * father ("hoa_father") that forks a child ("hoa_child"); the child exits and stays a
 * zombie of the father, which never waits; the father exits 200 ms later and the kernel
 * hands the zombie to us, who ignore SIGCHLD: reparent_leader() releases it at once, no
 * wait() asked (an autoreap at the hand-over).
 *
 * Prints reaper=, father=, child= (host pids) and the true zombie period's bounds
 * latency_lo= (father's last clock read before its exit minus the moment it saw the child
 * a zombie) and latency_hi= (the moment we saw the child gone minus the child's last clock
 * read before its exit), in ns.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define SCENARIO_NAME "handover_autoreap"
#include "scenario.h"

struct times {
	long long child_last;  /* the child's clock just before _exit() */
	long long seen_zombie; /* the father saw it a zombie */
	long long father_last; /* the father's clock just before _exit() */
	pid_t child;
};

int main(int argc, char **argv)
{
	bool nocldwait = argc > 1 && !strcmp(argv[1], "nocldwait");
	struct sigaction sa = {0};
	struct times *t;
	pid_t father;
	long long gone;

	t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (t == MAP_FAILED)
		die("mmap");
	prctl(PR_SET_NAME, "hoa_reaper");
	if (prctl(PR_SET_CHILD_SUBREAPER, 1))
		die("PR_SET_CHILD_SUBREAPER");
	sa.sa_handler = nocldwait ? SIG_DFL : SIG_IGN;
	sa.sa_flags = nocldwait ? SA_NOCLDWAIT : 0;
	if (sigaction(SIGCHLD, &sa, NULL))
		die("sigaction");
	father = fork_named("hoa_father");
	if (father == 0) {
		pid_t child;

		/* The father keeps the default SIGCHLD: its child stays its zombie. */
		signal(SIGCHLD, SIG_DFL);
		child = fork_named("hoa_child");
		if (child == 0) {
			t->child_last = mono_ns();
			_exit(3);
		}
		t->child = child;
		while (proc_state(child) != 'Z')
			usleep(1000);
		t->seen_zombie = mono_ns();
		usleep(200 * 1000);
		t->father_last = mono_ns();
		_exit(0);
	}
	/* The father is released at its exit too (we ignore SIGCHLD): wait for the child to be
	 * gone instead. */
	while (!t->father_last || proc_state(father))
		usleep(1000);
	while (proc_state(t->child))
		usleep(500);
	gone = mono_ns();
	printf("reaper=%d\nfather=%d\nchild=%d\n", (int)getpid(), (int)father, (int)t->child);
	printf("latency_lo=%lld\nlatency_hi=%lld\n", t->father_last - t->seen_zombie,
	       gone - t->child_last);
	return 0;
}
