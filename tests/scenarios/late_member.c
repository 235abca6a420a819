// SPDX-License-Identifier: GPL-2.0
/*
 * A namespace member still exiting when its init is torn down: released at its exit_notify()
 * without a SIGCHLD, as members often are when a whole container is killed at once
 * (cgroup.kill, `kill -9 -PGID`) and a member's exit overlaps its init's.
 *
 * This process ("lm_outer") unshares a pid namespace and forks its init ("lm_init"), which
 * forks a member ("lm_member") holding MEM_MB of memory. We SIGKILL the member, and its init
 * once the member is exiting (PF_EXITING in its /proc stat flags) and a millisecond more. Since v6.16 sched_process_exit comes before exit_mm(): the member's
 * exit is seen at once, with its parent, the init, taking SIGCHLD as usual, and then it
 * spends a while freeing its memory. Meanwhile zap_pid_ns_processes() sets the init's SIGCHLD
 * to SIG_IGN and waits for the member, whose exit_notify() then releases it and sends no
 * signal (do_notify_parent(), sig = 0): an autoreap, with no zombie period. (Before v6.16 the
 * member's exit is seen after exit_mm(), by when the init ignores SIGCHLD: an autoreap the
 * exit sees.)
 *
 * Prints init= and member= (host pids) and exit_ms= (from the member's SIGKILL to the init's
 * end: at least the member's exit).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define SCENARIO_NAME "late_member"
#include "scenario.h"

#define MEM_MB 768
#define PF_EXITING 0x4 /* include/linux/sched.h */

/* The flags field (the 9th) of /proc/PID/stat; 0 if unreadable. */
static unsigned long proc_flags(int pid)
{
	unsigned long flags = 0;
	const char *fields;
	char buf[512];

	/* after the comm: state ppid pgrp session tty_nr tpgid flags */
	if (!proc_stat_fields(pid, buf, sizeof(buf), &fields) || !fields ||
	    sscanf(fields, "%*c %*d %*d %*d %*d %*d %lu", &flags) != 1)
		return 0;
	return flags;
}

static void member(int ready)
{
	size_t len = (size_t)MEM_MB << 20;
	int pid;

	/* (less on a machine short of memory: a shorter hold, still milliseconds) */
	while (mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
		    -1, 0) == MAP_FAILED) {
		if (len <= (64u << 20))
			die("mmap");
		len /= 2;
	}
	pid = host_pid();
	if (write(ready, &pid, sizeof(pid)) != sizeof(pid))
		die("write ready");
	for (;;)
		pause();
}

int main(void)
{
	int pipefd[2], member_pid, status;
	long long killed;
	pid_t init;

	prctl(PR_SET_NAME, "lm_outer");
	if (pipe(pipefd))
		die("pipe");
	if (unshare(CLONE_NEWPID))
		die("unshare(CLONE_NEWPID)");
	init = fork_named("lm_init");
	if (init == 0) {
		if (fork_named("lm_member") == 0)
			member(pipefd[1]);
		for (;;)
			pause();
	}
	close(pipefd[1]); /* (a member that dies first ends the read) */
	if (read(pipefd[0], &member_pid, sizeof(member_pid)) != sizeof(member_pid))
		die("read ready");
	report("init", init); /* (we are outside the namespace: fork() gave the host pid) */
	report("member", member_pid);
	if (kill(member_pid, SIGKILL))
		die("kill member");
	killed = mono_ns();
	for (int i = 0; i < 1000 && !(proc_flags(member_pid) & PF_EXITING); i++)
		sleep_ms(1);
	sleep_ms(1);
	if (kill(init, SIGKILL))
		die("kill init");
	status = waitpid_or_die(init, "waitpid init");
	report("exit_ms", (mono_ns() - killed) / 1000000);
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ? 0 : 101;
}
