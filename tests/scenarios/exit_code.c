/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A parent ("exit_code") forks a child that renames itself "ec_child" and exits with a known
 * code; the parent reaps it in the way the mode says. Everything the test needs to check the
 * agent exactly is printed as key=value lines: pids, the wait status, and CLOCK_MONOTONIC
 * stamps that bound the true zombie period (exit -> reaped) from both sides.
 *
 *   exit_code [MODE [CODE]]
 *   MODE  blocked    parent is already blocked in wait4() when the child exits (default)
 *         late       parent sees the zombie (waitid WNOWAIT), sleeps 300 ms, then wait4()s
 *         poll       parent polls waitpid(WNOHANG) every 20 ms
 *         ignore     parent has SIGCHLD set to SIG_IGN: the child is reaped automatically
 *         nocldwait  parent has SA_NOCLDWAIT: the child is reaped automatically
 *   CODE  the child's exit code (default 7)
 *
 * Bounds printed (ns, CLOCK_MONOTONIC): the zombie period lies in [latency_lo, latency_hi].
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

#define SCENARIO_NAME "exit_code"
#include "scenario.h"

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "blocked";
	int code = argc > 2 ? atoi(argv[2]) : 7;
	int exit_pipe[2], status = -1, autoreap = 0;
	/* Bounds on the two ends of the zombie period, CLOCK_MONOTONIC ns. */
	long long zombie_after = 0, zombie_before = 0, reap_after = 0, reap_before = 0, t_exit;
	pid_t child;

	if (strcmp(mode, "ignore") == 0) {
		signal(SIGCHLD, SIG_IGN);
		autoreap = 1;
	} else if (strcmp(mode, "nocldwait") == 0) {
		struct sigaction sa = {.sa_handler = SIG_DFL, .sa_flags = SA_NOCLDWAIT};

		if (sigaction(SIGCHLD, &sa, NULL) < 0)
			die("sigaction");
		autoreap = 1;
	} else if (strcmp(mode, "blocked") != 0 && strcmp(mode, "late") != 0 &&
		   strcmp(mode, "poll") != 0) {
		fprintf(stderr, "exit_code: unknown mode %s\n", mode);
		return 2;
	}
	if (pipe(exit_pipe) < 0)
		die("pipe");

	report("parent", getpid());
	child = fork_named("ec_child");
	if (child == 0) {
		long long now;

		/* Give a blocked parent time to be inside wait4() before we exit. */
		sleep_ms(100);
		now = mono_ns();
		if (write(exit_pipe[1], &now, sizeof(now)) != sizeof(now))
			_exit(101);
		_exit(code);
	}
	close(exit_pipe[1]);
	report("child", child);

	if (autoreap) {
		/* wait4() blocks until the child is gone, then fails with ECHILD. */
		if (waitpid(child, &status, 0) >= 0 || errno != ECHILD)
			die("waitpid did not fail with ECHILD");
	} else if (strcmp(mode, "blocked") == 0) {
		status = waitpid_or_die(child, "waitpid");
		reap_before = zombie_before = mono_ns();
	} else if (strcmp(mode, "late") == 0) {
		siginfo_t si;

		/* WNOWAIT: return once the child is a zombie, but leave it one. */
		if (waitid(P_PID, child, &si, WEXITED | WNOWAIT) < 0)
			die("waitid");
		zombie_before = mono_ns();
		sleep_ms(300);
		reap_after = mono_ns();
		status = waitpid_or_die(child, "waitpid");
		reap_before = mono_ns();
	} else {
		long long call;
		pid_t r;

		for (;;) {
			call = mono_ns();
			r = waitpid(child, &status, WNOHANG);
			if (r == child)
				break;
			if (r < 0)
				die("waitpid");
			/* Not a zombie yet when this empty poll began. */
			zombie_after = call;
			sleep_ms(20);
		}
		reap_before = zombie_before = mono_ns();
		reap_after = call;
	}
	if (read(exit_pipe[0], &t_exit, sizeof(t_exit)) != sizeof(t_exit))
		die("read exit time");
	if (t_exit > zombie_after)
		zombie_after = t_exit;

	if (!autoreap) {
		long long lo = reap_after - zombie_before;

		report("wait_exit_code", exit_code_of(status));
		report("latency_lo", lo > 0 ? lo : 0);
		report("latency_hi", reap_before - zombie_after);
	}
	return 0;
}
