/* SPDX-License-Identifier: GPL-2.0 */
/*
 * adopters MODE [N] GATE: orphans whose adopter is easy to get wrong. The main process
 * ("adp_sub") is a child subreaper, so every orphan below ends up with it (the kernel's
 * answer), and it reaps everything.
 *
 *   mt N          the father ("adp_father") forks N children ("adp_mtchild"), starts a worker
 *                 thread and ends its main thread with pthread_exit(): the leader exits
 *                 first, its children move to the worker thread (same process: no reparent),
 *                 and only when the worker exits 300 ms later are they orphaned.
 *                 Prints leader_exit_us= and last_exit_us= (CLOCK_REALTIME just before each).
 *   notancestor   a middle process ("adp_middle", not a subreaper) forks a subreaper
 *                 ("adp_uncle") and the father; the father forks the orphan and exits. The
 *                 uncle is a subreaper but not the orphan's ancestor: the main process adopts.
 *                 Prints uncle= and middle=.
 *   many N        the father forks N children ("adp_many") and exits: N orphans at once.
 *
 * Prints sub= (the main process), father=, children= (comma list of the orphans' pids; all
 * pids as the host sees them, also when the test runs this in a pid namespace of its own),
 * then ready=1 once the father is gone and every orphan has seen its new parent (and
 * reported it: getppid()); the orphans then stay alive
 * until the file GATE exists (so a test can read /proc/<pid>/stat), and everything exits
 * and is reaped. Exit status 0 when every orphan saw the main process as its new parent.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SCENARIO_NAME "adopters"
#include "scenario.h"

struct child_report {
	int host_pid;
	int new_ppid; /* getppid(): in the orphan's own namespace */
};

enum role { FATHER, MIDDLE, UNCLE, NR_ROLES };

struct id_report {
	int role;
	int host_pid;
};

static int report_pipe[2]; /* orphans -> main: who they are, who adopted them */
static int named_pipe[2];  /* orphans -> father: "I have my name" */
static int hold_pipe[2];   /* main holds the write end; EOF lets everyone go */
static int stamp_pipe[2];  /* father's threads -> main: exit timestamps */
static int id_pipe[2];	   /* father, middle, uncle -> main: their host pids */

static void xwrite(int fd, const void *buf, size_t len)
{
	if (write(fd, buf, len) != (ssize_t)len)
		syscall(SYS_exit_group, 101);
}

static void send_id(int role)
{
	struct id_report r = {.role = role, .host_pid = host_pid()};

	xwrite(id_pipe[1], &r, sizeof(r));
}

static void xread(int fd, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = read(fd, (char *)buf + done, len - done);

		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			die("read");
		}
		done += (size_t)n;
	}
}

/* Block until the main process lets go (EOF on the hold pipe). */
static void hold(void)
{
	char byte;

	close(hold_pipe[1]);
	while (read(hold_pipe[0], &byte, 1) > 0 || errno == EINTR)
		;
}

/* An orphan-to-be: named, tells its father, waits to be adopted, reports, holds, exits.
 * It sleeps on a pipe only its father holds open until the father's last thread is gone. */
static void run_orphan(const char *name, pid_t father, const int father_alive[2])
{
	struct child_report r = {.host_pid = host_pid()};
	char byte;

	prctl(PR_SET_NAME, name);
	close(father_alive[1]);
	xwrite(named_pipe[1], "n", 1);
	while (read(father_alive[0], &byte, 1) > 0 || errno == EINTR)
		;
	for (int i = 0; i < 10000 && getppid() == father; i++)
		sleep_ms(1);
	r.new_ppid = getppid();
	xwrite(report_pipe[1], &r, sizeof(r));
	hold();
	_exit(0);
}

/* Fork n orphans-to-be and wait until each has its name. */
static void fork_orphans(const char *name, int n)
{
	pid_t self = getpid();
	int father_alive[2];
	char byte;

	if (pipe(father_alive) < 0)
		syscall(SYS_exit_group, 105);
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			syscall(SYS_exit_group, 102);
		if (pid == 0)
			run_orphan(name, self, father_alive);
	}
	close(father_alive[0]);
	for (int i = 0; i < n; i++)
		if (read(named_pipe[0], &byte, 1) != 1)
			syscall(SYS_exit_group, 103);
}

static void *last_thread(void *arg)
{
	long long stamp;

	sleep_ms(300);
	stamp = wall_us();
	xwrite(stamp_pipe[1], &stamp, sizeof(stamp));
	/* The last thread: the process exits now, and its children are orphaned. */
	pthread_exit(arg);
}

static void run_mt_father(int n)
{
	pthread_t thread;
	long long stamp;

	prctl(PR_SET_NAME, "adp_father");
	send_id(FATHER);
	fork_orphans("adp_mtchild", n);
	if (pthread_create(&thread, NULL, last_thread, NULL))
		syscall(SYS_exit_group, 104);
	stamp = wall_us();
	xwrite(stamp_pipe[1], &stamp, sizeof(stamp));
	pthread_exit(NULL);
}

static void run_plain_father(const char *child_name, int n)
{
	prctl(PR_SET_NAME, "adp_father");
	send_id(FATHER);
	fork_orphans(child_name, n);
	_exit(0);
}

/* notancestor: the middle forks the uncle (a subreaper) and the father, reaps the father,
 * holds, then reaps the uncle. Tells the main process both pids. */
static void run_middle(void)
{
	pid_t uncle, father;
	int ready[2];
	char byte;

	prctl(PR_SET_NAME, "adp_middle");
	send_id(MIDDLE);
	if (pipe(ready) < 0)
		_exit(110);
	uncle = fork();
	if (uncle < 0)
		_exit(111);
	if (uncle == 0) {
		prctl(PR_SET_NAME, "adp_uncle");
		if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
			_exit(112);
		send_id(UNCLE);
		xwrite(ready[1], "u", 1);
		hold();
		_exit(0);
	}
	if (read(ready[0], &byte, 1) != 1)
		_exit(113);
	father = fork();
	if (father < 0)
		_exit(114);
	if (father == 0)
		run_plain_father("adp_orphan", 1);
	if (waitpid(father, NULL, 0) != father)
		_exit(115);
	xwrite(stamp_pipe[1], "f", 1);
	hold();
	while (wait(NULL) > 0 || errno == EINTR)
		;
	_exit(0);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "", *gate = argv[argc - 1];
	int n = argc > 3 ? atoi(argv[2]) : 1, bad = 0;
	struct child_report *reports;
	pid_t self = getpid(), pid, father = 0;
	int ids[NR_ROLES] = {0};
	struct stat st;

	if (argc < 3 || n <= 0 ||
	    (strcmp(mode, "mt") && strcmp(mode, "notancestor") && strcmp(mode, "many"))) {
		fprintf(stderr, "usage: adopters mt N GATE | notancestor GATE | many N GATE\n");
		return 2;
	}
	if (!strcmp(mode, "notancestor"))
		n = 1;
	reports = calloc((size_t)n, sizeof(*reports));
	if (!reports)
		die("calloc");
	prctl(PR_SET_NAME, "adp_sub");
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		die("PR_SET_CHILD_SUBREAPER");
	if (pipe(report_pipe) < 0 || pipe(named_pipe) < 0 || pipe(hold_pipe) < 0 ||
	    pipe(stamp_pipe) < 0 || pipe(id_pipe) < 0)
		die("pipe");
	printf("sub=%d\n", host_pid());
	fflush(stdout);

	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		if (!strcmp(mode, "mt"))
			run_mt_father(n);
		else if (!strcmp(mode, "many"))
			run_plain_father("adp_many", n);
		else
			run_middle();
	}
	if (!strcmp(mode, "notancestor")) {
		char byte;

		/* The middle has reaped the father. */
		xread(stamp_pipe[0], &byte, 1);
		for (int i = 0; i < 3; i++) {
			struct id_report r;

			xread(id_pipe[0], &r, sizeof(r));
			if (r.role >= 0 && r.role < NR_ROLES)
				ids[r.role] = r.host_pid;
		}
		printf("middle=%d\nuncle=%d\n", ids[MIDDLE], ids[UNCLE]);
	} else {
		struct id_report r;

		father = pid;
		waitpid_or_die(father, "waitpid father");
		xread(id_pipe[0], &r, sizeof(r));
		ids[FATHER] = r.host_pid;
	}
	if (!strcmp(mode, "mt")) {
		long long leader, last;

		xread(stamp_pipe[0], &leader, sizeof(leader));
		xread(stamp_pipe[0], &last, sizeof(last));
		printf("leader_exit_us=%lld\nlast_exit_us=%lld\n", leader, last);
	}
	printf("father=%d\nchildren=", ids[FATHER]);
	for (int i = 0; i < n; i++) {
		xread(report_pipe[0], &reports[i], sizeof(reports[i]));
		printf("%s%d", i ? "," : "", reports[i].host_pid);
		if (reports[i].new_ppid != self) {
			fprintf(stderr, "adopters: orphan %d was adopted by %d, not %d\n",
				reports[i].host_pid, reports[i].new_ppid, self);
			bad = 1;
		}
	}
	printf("\nready=1\n");
	fflush(stdout);

	for (int i = 0; i < 60000 && stat(gate, &st) < 0; i++)
		sleep_ms(1);
	close(hold_pipe[1]);
	while (wait(NULL) > 0 || errno == EINTR)
		;
	return bad;
}
