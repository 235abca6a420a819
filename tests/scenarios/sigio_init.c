/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sigio_init: a pid-namespace init whose own exit sends its parent a SIGIO, with POLL_IN,
 * before the namespace is torn down: the same signal, code range and target as the init's
 * exit notification (it is cloned with exit signal SIGIO).
 *
 * This process ("si_parent") holds the read end of a pipe with O_ASYNC, F_SETOWN itself and
 * F_SETSIG SIGIO (so the code is POLL_IN, not SI_KERNEL). The init ("si_init", cloned with
 * CLONE_NEWPID and exit signal SIGIO) holds the only write end; it forks two members
 * ("si_member") that pause, and waits. When it is killed, exit_files() closes the write end
 * before exit_notify(): the pipe's last writer is gone, kill_fasync() sends us SIGIO with
 * POLL_IN from the exiting init; then zap_pid_ns_processes() kills the two members, and
 * only then does the init notify us, with SIGIO and CLD_KILLED.
 *
 * Prints init= (host pid) and ready=1 once both members run; the test kills the init (any
 * fatal signal). Then, once the init is reaped, poll_in= and cld_killed= (how many SIGIOs
 * with each code we got: 1 and 1 when the kernel did the above) and exits 0.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/sched.h>

#define SCENARIO_NAME "sigio_init"
#include "scenario.h"

static volatile sig_atomic_t poll_in, cld_killed;

static void on_sigio(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (si->si_code == POLL_IN)
		poll_in++;
	else if (si->si_code == CLD_KILLED)
		cld_killed++;
}

static void run_init(int wfd)
{
	prctl(PR_SET_NAME, "si_init");
	for (int i = 0; i < 2; i++) {
		pid_t pid = fork();

		if (pid < 0)
			_exit(102);
		if (pid == 0) {
			close(wfd); /* the init's must be the pipe's last write end */
			prctl(PR_SET_NAME, "si_member");
			for (;;)
				pause();
		}
	}
	for (;;)
		pause();
}

/* The host pids of the init's children, once both are members (renamed after closing). */
static int members_ready(pid_t init)
{
	char path[64], comm[32];
	int n = 0, pid;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", init, init);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fscanf(f, "%d", &pid) == 1) {
		FILE *c;

		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		c = fopen(path, "r");
		if (c && fgets(comm, sizeof(comm), c) && !strcmp(comm, "si_member\n"))
			n++;
		if (c)
			fclose(c);
	}
	fclose(f);
	return n == 2;
}

int main(void)
{
	struct sigaction sa = {0};
	int pfd[2];
	pid_t init;

	prctl(PR_SET_NAME, "si_parent");
	sa.sa_sigaction = on_sigio;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	if (sigaction(SIGIO, &sa, NULL))
		die("sigaction");
	if (pipe(pfd))
		die("pipe");
	if (fcntl(pfd[0], F_SETOWN, getpid()) || fcntl(pfd[0], F_SETSIG, SIGIO) ||
	    fcntl(pfd[0], F_SETFL, O_ASYNC))
		die("fcntl");
	init = syscall(SYS_clone, CLONE_NEWPID | SIGIO, 0, 0, 0, 0);
	if (init < 0)
		die("clone");
	if (init == 0) {
		close(pfd[0]);
		run_init(pfd[1]);
	}
	close(pfd[1]);
	printf("init=%d\n", init);
	fflush(stdout);
	for (int i = 0; !members_ready(init); i++) {
		if (i > 1000)
			die("members");
		usleep(10000);
	}
	printf("ready=1\n");
	fflush(stdout);
	while (waitpid(init, NULL, __WCLONE) != init)
		if (errno != EINTR)
			die("waitpid");
	printf("poll_in=%d\ncld_killed=%d\n", (int)poll_in, (int)cld_killed);
	return 0;
}
