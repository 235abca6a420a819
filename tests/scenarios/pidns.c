/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A new pid namespace whose init ("ns_init") starts two sleepers ("ns_sleeper1",
 * "ns_sleeper2") and then exits 0 while they still run: the kernel's zap_pid_ns_processes()
 * SIGKILLs both. The parent ("pidns") stays in the host namespace and reaps the init.
 *
 *   pidns [MODE]
 *   MODE  plain    init exits without warning anyone (default)
 *         sigterm  sleeper 1 ignores SIGTERM; the parent, outside the namespace (as a
 *                  runtime stopping a container), sends it a SIGTERM and 50 ms later lets the
 *                  init exit, so sleeper 1 is SIGKILLed after a SIGTERM and sleeper 2 without
 *         sigquit  the same with SIGQUIT (an image whose STOPSIGNAL is SIGQUIT: nginx)
 *         reload   sleeper 1 ignores SIGHUP; the init sends it one (from inside, as a reload
 *                  is), waits 50 ms and exits
 *         zombie   as plain, and a third child ("ns_zombie") has exited 0 without being
 *                  reaped: the teardown SIGKILLs a zombie too, and the dying init reaps it
 *
 * Prints parent=, init= (host pid), pidns= (the namespace's inode), sleeper1=, sleeper2=
 * (host pids), sleeper1_ns=, sleeper2_ns= (their pids inside the namespace), zombie= and
 * zombie_ns= (zombie mode), init_exit_code= and members_gone= (1 when every member was
 * gone once the init was reaped).
 */
#include <errno.h>
#include <stdbool.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SCENARIO_NAME "pidns"
#include "scenario.h"

struct member {
	int index;
	int host_pid;
	int ns_pid;
};

static void run_sleeper(int index, int ignore_sig, int report_fd)
{
	struct member m = {.index = index, .host_pid = host_pid(), .ns_pid = getpid()};
	char name[16];

	snprintf(name, sizeof(name), "ns_sleeper%d", index);
	prctl(PR_SET_NAME, name);
	if (ignore_sig)
		signal(ignore_sig, SIG_IGN);
	if (write(report_fd, &m, sizeof(m)) != sizeof(m))
		_exit(101);
	for (;;)
		pause();
}

/* warn_sig: the signal sleeper 1 ignores (the parent sends it one, or with `inside` the init),
 * 0 for none. */
static void run_init(int warn_sig, bool inside, int zombie_mode, int report_fd, int go_fd)
{
	pid_t sleeper[3], zombie;
	char byte;

	prctl(PR_SET_NAME, "ns_init");
	for (int i = 1; i <= 2; i++) {
		sleeper[i] = fork();
		if (sleeper[i] < 0)
			_exit(102);
		if (sleeper[i] == 0)
			run_sleeper(i, i == 1 ? warn_sig : 0, report_fd);
	}
	if (zombie_mode) {
		siginfo_t si;

		zombie = fork();
		if (zombie < 0)
			_exit(104);
		if (zombie == 0) {
			struct member m = {.index = 3, .host_pid = host_pid(), .ns_pid = getpid()};

			prctl(PR_SET_NAME, "ns_zombie");
			if (write(report_fd, &m, sizeof(m)) != sizeof(m))
				_exit(101);
			_exit(0);
		}
		/* WNOWAIT: return once it is a zombie, and leave it one. */
		if (waitid(P_PID, zombie, &si, WEXITED | WNOWAIT) < 0)
			_exit(105);
	}
	if (read(go_fd, &byte, 1) != 1)
		_exit(103);
	if (inside) {
		kill(sleeper[1], warn_sig);
		sleep_ms(50);
	}
	_exit(0);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "plain";
	bool inside = !strcmp(mode, "reload");
	int warn_sig = !strcmp(mode, "sigterm") ? SIGTERM
		       : !strcmp(mode, "sigquit") ? SIGQUIT
		       : inside		       ? SIGHUP
						       : 0;
	int zombie_mode = strcmp(mode, "zombie") == 0;
	int report_pipe[2], go_pipe[2], status, nr_members = zombie_mode ? 3 : 2, gone = 1;
	struct member members[4] = {{0}};
	char path[64];
	struct stat st;
	pid_t init;

	if (!warn_sig && !zombie_mode && strcmp(mode, "plain") != 0) {
		fprintf(stderr, "usage: pidns [plain|sigterm|sigquit|reload|zombie]\n");
		return 2;
	}
	if (pipe(report_pipe) < 0 || pipe(go_pipe) < 0)
		die("pipe");
	report("parent", getpid());
	/* Our next child is the first process, the init, of a new pid namespace. */
	if (unshare(CLONE_NEWPID) < 0)
		die("unshare(CLONE_NEWPID)");
	init = fork();
	if (init < 0)
		die("fork");
	if (init == 0)
		run_init(warn_sig, inside, zombie_mode, report_pipe[1], go_pipe[0]);
	report("init", init);

	snprintf(path, sizeof(path), "/proc/%d/ns/pid", init);
	if (stat(path, &st) < 0)
		die(path);
	report("pidns", (long long)st.st_ino);

	for (int i = 0; i < nr_members; i++) {
		struct member m;

		if (read(report_pipe[0], &m, sizeof(m)) != sizeof(m) || m.index < 1 ||
		    m.index > nr_members)
			die("read member");
		members[m.index] = m;
	}
	for (int i = 1; i <= 2; i++) {
		snprintf(path, sizeof(path), "sleeper%d", i);
		report(path, members[i].host_pid);
		snprintf(path, sizeof(path), "sleeper%d_ns", i);
		report(path, members[i].ns_pid);
	}
	if (zombie_mode) {
		report("zombie", members[3].host_pid);
		report("zombie_ns", members[3].ns_pid);
	}

	if (warn_sig && !inside) {
		/* (sleeper 1 ignored it before it reported itself) */
		if (kill(members[1].host_pid, warn_sig))
			die("kill sleeper 1");
		sleep_ms(50);
	}
	if (write(go_pipe[1], "g", 1) != 1)
		die("write go");
	/* Returns once the namespace is empty: the dying init waits for every member. */
	status = waitpid_or_die(init, "waitpid init");
	report("init_exit_code", exit_code_of(status));
	for (int i = 1; i <= nr_members; i++)
		if (kill(members[i].host_pid, 0) == 0 || errno != ESRCH)
			gone = 0;
	report("members_gone", gone);
	return 0;
}
