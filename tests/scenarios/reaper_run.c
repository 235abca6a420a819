/* SPDX-License-Identifier: GPL-2.0 */
/*
 * reaper_run CMD [ARG...]: run CMD under a child subreaper that reaps everything.
 *
 * On this kind of machine the host's PID 1 does not reliably reap the orphans it is handed,
 * so a test that starts daemons (containerd, its shims) runs them under this: it sets
 * PR_SET_CHILD_SUBREAPER, runs CMD as its child, forwards SIGTERM/SIGINT/SIGHUP to CMD,
 * reaps every descendant handed to it, and exits — with CMD's exit status (128+signal when
 * CMD was killed) — only once no descendant is left. Unlike `tini -s`, it does not leave
 * the daemons CMD started to the host's init when CMD exits first.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t main_child;

static void forward(int sig)
{
	if (main_child > 0)
		kill(main_child, sig);
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = forward};
	int status, code = 0, main_done = 0;
	pid_t pid;

	if (argc < 2) {
		fprintf(stderr, "usage: reaper_run CMD [ARG...]\n");
		return 2;
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
		fprintf(stderr, "reaper_run: PR_SET_CHILD_SUBREAPER: %s\n", strerror(errno));
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "reaper_run: fork: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		execvp(argv[1], argv + 1);
		fprintf(stderr, "reaper_run: exec %s: %s\n", argv[1], strerror(errno));
		_exit(127);
	}
	main_child = pid;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	for (;;) {
		pid_t got = wait(&status);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			break; /* ECHILD: nobody is left */
		}
		if (got == pid && !main_done) {
			main_done = 1;
			main_child = 0;
			code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		}
	}
	return code;
}
