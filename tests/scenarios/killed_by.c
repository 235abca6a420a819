/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A target ("kb_target") waits in pause(); a second child, the sender ("kb_sender"), sends it
 * one signal and exits 0. The parent ("killed_by") reaps both.
 *
 *   killed_by [SIGNO [HOW [core]]]
 *   SIGNO  default SIGTERM
 *   HOW    kill (default: kill(2), si_code SI_USER), tgkill (SI_TKILL), sigqueue (SI_QUEUE)
 *   core   let the target dump core (RLIMIT_CORE unlimited) in the current directory;
 *          otherwise it never does
 *
 * Prints parent=, target=, sender=, signo=, and how the target died as wait() saw it:
 * target_signal= (terminating signal number, 0 if it exited) and target_core= (0/1).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "killed_by: %s: %s\n", what, strerror(errno));
	exit(100);
}

static void report(const char *key, long long value)
{
	printf("%s=%lld\n", key, value);
	fflush(stdout);
}

static int send_signal(const char *how, pid_t target, int signo)
{
	if (strcmp(how, "kill") == 0)
		return kill(target, signo);
	if (strcmp(how, "tgkill") == 0)
		return syscall(SYS_tgkill, target, target, signo);
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
	pid_t target, sender;
	char byte;

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

		if (allow_core)
			core.rlim_cur = core.rlim_max = RLIM_INFINITY;
		if (setrlimit(RLIMIT_CORE, &core) < 0)
			_exit(103);
		prctl(PR_SET_NAME, "kb_target");
		if (write(ready[1], "r", 1) != 1)
			_exit(101);
		for (;;)
			pause();
	}
	report("target", target);
	/* The target has its name before anyone signals it. */
	if (read(ready[0], &byte, 1) != 1)
		die("read ready");

	sender = fork();
	if (sender < 0)
		die("fork");
	if (sender == 0) {
		prctl(PR_SET_NAME, "kb_sender");
		_exit(send_signal(how, target, signo) == 0 ? 0 : 102);
	}
	report("sender", sender);

	if (waitpid(sender, &status, 0) != sender)
		die("waitpid sender");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "killed_by: sender failed (status %#x)\n", status);
		return 1;
	}
	if (waitpid(target, &status, 0) != target)
		die("waitpid target");
	report("target_signal", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	report("target_core", WIFSIGNALED(status) && WCOREDUMP(status) ? 1 : 0);
	return 0;
}
