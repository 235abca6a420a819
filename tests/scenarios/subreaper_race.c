/* SPDX-License-Identifier: GPL-2.0 */
/*
 * subreaper_race TRIALS N: a child subreaper exits at the same moment as the father of N
 * orphans (issue 4), TRIALS times over.
 *
 * The main process ("sr_main") is a child subreaper. Each trial it forks a subreaper
 * ("sr_sub"), which forks the father ("sr_father"), which forks N children ("sr_kid") that
 * pause. Once every child has its name, the main process closes a pipe the subreaper and
 * the father both block on; the two meet in shared memory and exit together, one of them
 * a little later than the other. The delay sweeps, over the trials, from the subreaper
 * exiting first to the father first, so that find_new_reaper() at the father's exit finds
 * the subreaper alive, exiting or gone: the children go to the subreaper and on to the main
 * process when it exits, or to the main process directly.
 *
 * Prints main= (the main process), then one line per trial
 *     trial=T sub=S father=F delay_ns=D kids=C1,C2,...
 * (host pids, also when the test runs this in a pid namespace of its own; D > 0: the
 * subreaper exits about D ns after the father, D < 0: before it), then ready=1 once every
 * trial's subreaper and father have been reaped by the main process (so every hand-over is
 * done). The children pause until they are killed (by the test; SIGALRM after 120 s at the
 * latest); the main process reaps them and exits once none is left: 0, or 1 if a father
 * was not handed to it (it could not wait() for it).
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SCENARIO_NAME "subreaper_race"
#include "scenario.h"

#define MAX_KIDS       64
#define KID_LIFETIME_S 120
/* The sweep of the subreaper's delay behind the father, in ns. */
#define DELAY_MIN   (-20000LL)
#define DELAY_MAX   100000LL
#define DELAY_STEPS 16
/* How long the subreaper and the father wait for each other before going anyway. */
#define MEET_MAX_NS 100000000LL

enum role { SUB, FATHER, KID };

struct report {
	int role;
	int host_pid;
	int ns_pid;
};

/* In shared memory: the main process sets it up, a trial's subreaper and father meet. */
struct meeting {
	int arrived;
	long long delay_ns;
};

static struct meeting *meeting;
static int report_pipe[2]; /* subreaper, father, kids -> main: who they are */
static int go_pipe[2];	   /* main holds the write end; EOF releases subreaper and father */

static void send_report(int role)
{
	struct report r = {.role = role, .host_pid = host_pid(), .ns_pid = getpid()};

	if (write(report_pipe[1], &r, sizeof(r)) != sizeof(r))
		_exit(101);
}

static void read_report(struct report *r)
{
	ssize_t n;

	do
		n = read(report_pipe[0], r, sizeof(*r));
	while (n < 0 && errno == EINTR);
	if (n != sizeof(*r))
		die("read report");
}

/* Block until the main process closes the go pipe, meet the other one, wait delay_ns more
 * (if positive) and exit. */
static void release_and_exit(long long delay_ns)
{
	long long until;
	char byte;
	ssize_t n;

	do
		n = read(go_pipe[0], &byte, 1);
	while (n > 0 || (n < 0 && errno == EINTR));
	__atomic_add_fetch(&meeting->arrived, 1, __ATOMIC_SEQ_CST);
	until = mono_ns() + MEET_MAX_NS;
	/* Yield: should both be on one CPU, the other one gets to arrive. */
	while (__atomic_load_n(&meeting->arrived, __ATOMIC_SEQ_CST) < 2 && mono_ns() < until)
		sched_yield();
	if (delay_ns > 0) {
		until = mono_ns() + delay_ns;
		while (mono_ns() < until)
			;
	}
	_exit(0);
}

static void run_kid(void)
{
	prctl(PR_SET_NAME, "sr_kid");
	close(go_pipe[0]);
	alarm(KID_LIFETIME_S);
	send_report(KID);
	close(report_pipe[1]);
	for (;;)
		pause();
}

static void run_father(int n)
{
	prctl(PR_SET_NAME, "sr_father");
	send_report(FATHER);
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0)
			_exit(102);
		if (pid == 0)
			run_kid();
	}
	release_and_exit(-meeting->delay_ns);
}

static void run_sub(int n)
{
	pid_t pid;

	/* Only the main process may hold the go pipe open. */
	close(go_pipe[1]);
	prctl(PR_SET_NAME, "sr_sub");
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		_exit(103);
	send_report(SUB);
	pid = fork();
	if (pid < 0)
		_exit(104);
	if (pid == 0)
		run_father(n);
	release_and_exit(meeting->delay_ns);
}

/* One trial: prints its line; 1 if the father was not handed to the main process. */
static int run_trial(int t, int n)
{
	int kids[MAX_KIDS], nkids = 0, sub_host = 0, father_host = 0, status, bad = 0;
	pid_t sub, father = 0;
	struct report r;

	if (pipe(go_pipe) < 0)
		die("pipe");
	meeting->arrived = 0;
	meeting->delay_ns =
	    DELAY_MIN + (DELAY_MAX - DELAY_MIN) * (t % DELAY_STEPS) / (DELAY_STEPS - 1);
	sub = fork();
	if (sub < 0)
		die("fork");
	if (sub == 0)
		run_sub(n);
	close(go_pipe[0]);
	for (int i = 0; i < n + 2; i++) {
		read_report(&r);
		if (r.role == SUB) {
			sub_host = r.host_pid;
		} else if (r.role == FATHER) {
			father_host = r.host_pid;
			father = r.ns_pid;
		} else if (nkids < MAX_KIDS) {
			kids[nkids++] = r.host_pid;
		}
	}
	/* Every kid has its name: let the subreaper and the father go. */
	close(go_pipe[1]);
	waitpid_or_die(sub, "waitpid subreaper");
	/* The subreaper handed its children over before it became a zombie: the father is
	 * ours now, exiting or a zombie already. */
	if (waitpid(father, &status, 0) != father) {
		fprintf(stderr, "subreaper_race: trial %d: father %d was not handed to us: %s\n", t,
			father_host, strerror(errno));
		bad = 1;
	}
	printf("trial=%d sub=%d father=%d delay_ns=%lld kids=", t, sub_host, father_host,
	       meeting->delay_ns);
	for (int i = 0; i < nkids; i++)
		printf("%s%d", i ? "," : "", kids[i]);
	printf("\n");
	fflush(stdout);
	return bad;
}

int main(int argc, char **argv)
{
	int trials = argc == 3 ? atoi(argv[1]) : 0, n = argc == 3 ? atoi(argv[2]) : 0, bad = 0;

	if (trials <= 0 || n <= 0 || n > MAX_KIDS) {
		fprintf(stderr, "usage: subreaper_race TRIALS N (N at most %d)\n", MAX_KIDS);
		return 2;
	}
	prctl(PR_SET_NAME, "sr_main");
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		die("PR_SET_CHILD_SUBREAPER");
	meeting =
	    mmap(NULL, sizeof(*meeting), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (meeting == MAP_FAILED)
		die("mmap");
	if (pipe(report_pipe) < 0)
		die("pipe");
	printf("main=%d\n", host_pid());
	fflush(stdout);
	for (int t = 0; t < trials; t++)
		bad |= run_trial(t, n);
	printf("ready=1\n");
	fflush(stdout);
	/* Reap the kids as the test kills them; done when none is left. */
	for (;;) {
		if (wait(NULL) > 0)
			continue;
		if (errno == EINTR)
			continue;
		break;
	}
	return bad;
}
