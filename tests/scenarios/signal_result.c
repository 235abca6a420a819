/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the kernel does with a signal (signal_generate's result), one of each: a target
 * ("sr_target") blocks SIGUSR1 and ignores SIGUSR2; a sender ("sr_sender") sends it, in this
 * order, SIGUSR1 (queued: delivered), SIGUSR1 again (already pending), SIGUSR2 (ignored)
 * and SIGKILL (delivered). The parent ("signal_result") reaps both.
 *
 * Prints parent=, target=, sender= and target_signal= (what the target died of, per wait()).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define SCENARIO_NAME "signal_result"
#include "scenario.h"

int main(void)
{
	static const int sequence[] = {SIGUSR1, SIGUSR1, SIGUSR2, SIGKILL};
	int ready[2], status;
	pid_t target, sender;
	char byte;

	if (pipe(ready) < 0)
		die("pipe");
	report("parent", getpid());
	target = fork_named("sr_target");
	if (target == 0) {
		sigset_t usr1;

		sigemptyset(&usr1);
		sigaddset(&usr1, SIGUSR1);
		if (sigprocmask(SIG_BLOCK, &usr1, NULL) < 0 || signal(SIGUSR2, SIG_IGN) == SIG_ERR)
			_exit(101);
		if (write(ready[1], "r", 1) != 1)
			_exit(102);
		for (;;)
			pause();
	}
	report("target", target);
	if (read(ready[0], &byte, 1) != 1)
		die("read ready");

	sender = fork_named("sr_sender");
	if (sender == 0) {
		for (size_t i = 0; i < sizeof(sequence) / sizeof(sequence[0]); i++)
			if (kill(target, sequence[i]) < 0)
				_exit(103);
		_exit(0);
	}
	report("sender", sender);
	if (waitpid(sender, &status, 0) != sender || !WIFEXITED(status) || WEXITSTATUS(status))
		die("sender failed");
	status = waitpid_or_die(target, "waitpid target");
	report("target_signal", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return 0;
}
