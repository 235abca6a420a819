/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A father ("orph_father") forks an orphan-to-be ("orph_child") and exits at once; the kernel
 * hands the child to a new parent. The program prints who that turned out to be, as the
 * orphan itself saw it, so the test does not have to guess.
 *
 *   orphan MODE
 *   MODE  host       no subreaper above: the host's init (or whatever subreaper the test
 *                    harness runs under) adopts it; new_ppid= is what getppid() said
 *         subreaper  the parent ("orphan") is a child subreaper and adopts it
 *         pidns      the father lives in a new pid namespace whose init ("orph_init")
 *                    adopts it; the init reaps everything and exits 0
 *         setns      the father stays in the host namespace but forks the child into
 *                    another process's pid namespace (as runc exec does); the parent, a
 *                    subreaper outside that namespace, adopts it
 *
 * Prints parent=, father=, orphan= (host pids), new_ppid= (host pid of the adopter),
 * orphan_ns= (the orphan's pid in its own namespace), pidns= (that namespace's inode) and
 * adopted_by_parent= (1 when the parent could wait() for the orphan).
 */
#include <errno.h>
#include <fcntl.h>
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

#define SCENARIO_NAME "orphan"
#include "scenario.h"

enum fact { FATHER, ORPHAN, ORPHAN_NS, NEW_PPID, NR_FACTS };

struct record {
	int fact;
	int value;
};

static int facts_pipe[2];

static void tell(int fact, int value)
{
	struct record r = {.fact = fact, .value = value};

	if (write(facts_pipe[1], &r, sizeof(r)) != sizeof(r))
		_exit(101);
}

/* The orphan: names itself, waits until it has been adopted, says by whom, lingers, exits 0. */
static void run_orphan(pid_t father_here, int watch_ppid, int named_fd)
{
	prctl(PR_SET_NAME, "orph_child");
	if (write(named_fd, "n", 1) != 1)
		_exit(105);
	tell(ORPHAN, host_pid());
	tell(ORPHAN_NS, getpid());
	if (watch_ppid) {
		for (int i = 0; i < 5000 && getppid() == father_here; i++)
			sleep_ms(1);
		tell(NEW_PPID, getppid());
	}
	sleep_ms(watch_ppid ? 100 : 300);
	_exit(0);
}

/* The father: forks the orphan and exits, without waiting for it, once it has its name. */
static void run_father(int watch_ppid)
{
	pid_t self = getpid(), child;
	int named[2];
	char byte;

	prctl(PR_SET_NAME, "orph_father");
	tell(FATHER, host_pid());
	if (pipe(named) < 0)
		_exit(106);
	child = fork();
	if (child < 0)
		_exit(102);
	if (child == 0)
		run_orphan(self, watch_ppid, named[1]);
	if (read(named[0], &byte, 1) != 1)
		_exit(107);
	_exit(0);
}

static void run_init(void)
{
	pid_t father;

	prctl(PR_SET_NAME, "orph_init");
	father = fork();
	if (father < 0)
		_exit(103);
	if (father == 0)
		run_father(1);
	/* Reap the father, then the adopted orphan. */
	while (wait(NULL) > 0 || errno == EINTR)
		;
	_exit(0);
}

static void read_facts(int *facts, int count)
{
	struct record r;

	for (int i = 0; i < count; i++) {
		if (read(facts_pipe[0], &r, sizeof(r)) != sizeof(r) || r.fact < 0 ||
		    r.fact >= NR_FACTS)
			die("read facts");
		facts[r.fact] = r.value;
	}
}

static long long pidns_inode(pid_t pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/pid", pid);
	if (stat(path, &st) < 0)
		die(path);
	return st.st_ino;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int facts[NR_FACTS] = {0}, adopted = 0, status;
	long long ns_inode = pidns_inode(getpid());
	pid_t pid;

	if (pipe(facts_pipe) < 0)
		die("pipe");
	report("parent", getpid());

	if (strcmp(mode, "host") == 0 || strcmp(mode, "subreaper") == 0) {
		if (strcmp(mode, "subreaper") == 0 && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
			die("PR_SET_CHILD_SUBREAPER");
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0)
			run_father(1);
		status = waitpid_or_die(pid, "waitpid father");
		read_facts(facts, 4);
		if (strcmp(mode, "subreaper") == 0) {
			adopted = waitpid(facts[ORPHAN], &status, 0) == facts[ORPHAN];
		} else {
			/* Someone else reaps it; give them the time to, so its exit is seen. */
			for (int i = 0; i < 2000 && kill(facts[ORPHAN], 0) == 0; i++)
				sleep_ms(1);
		}
	} else if (strcmp(mode, "pidns") == 0) {
		if (unshare(CLONE_NEWPID) < 0)
			die("unshare(CLONE_NEWPID)");
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0)
			run_init();
		ns_inode = pidns_inode(pid);
		read_facts(facts, 4);
		/* The orphan saw its new parent by its namespace pid: 1, the init. */
		if (facts[NEW_PPID] == 1)
			facts[NEW_PPID] = pid;
		status = waitpid_or_die(pid, "waitpid init");
		report("init", pid);
		report("init_exit_code", exit_code_of(status));
	} else if (strcmp(mode, "setns") == 0) {
		int host_ns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC), init_ns;
		char path[64];
		pid_t init;

		if (host_ns < 0)
			die("open own pid ns");
		if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
			die("PR_SET_CHILD_SUBREAPER");
		if (unshare(CLONE_NEWPID) < 0)
			die("unshare(CLONE_NEWPID)");
		init = fork_named("orph_init");
		if (init == 0) {
			for (;;)
				pause();
		}
		/* Later children of ours are born in the host namespace again. */
		if (setns(host_ns, CLONE_NEWPID) < 0)
			die("setns back to the host pid ns");
		ns_inode = pidns_inode(init);
		snprintf(path, sizeof(path), "/proc/%d/ns/pid", init);
		init_ns = open(path, O_RDONLY | O_CLOEXEC);
		if (init_ns < 0)
			die(path);
		pid = fork();
		if (pid < 0)
			die("fork");
		if (pid == 0) {
			/* The father: in the host namespace, its child in the init's. */
			if (setns(init_ns, CLONE_NEWPID) < 0)
				_exit(104);
			run_father(0);
		}
		status = waitpid_or_die(pid, "waitpid father");
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			fprintf(stderr, "orphan: father failed (status %#x)\n", status);
			return 1;
		}
		read_facts(facts, 3);
		adopted = waitpid(facts[ORPHAN], &status, 0) == facts[ORPHAN];
		facts[NEW_PPID] = adopted ? getpid() : 0;
		kill(init, SIGKILL);
		waitpid(init, &status, 0);
		report("init", init);
	} else {
		fprintf(stderr, "usage: orphan host|subreaper|pidns|setns\n");
		return 2;
	}
	report("father", facts[FATHER]);
	report("orphan", facts[ORPHAN]);
	report("orphan_ns", facts[ORPHAN_NS]);
	report("new_ppid", facts[NEW_PPID]);
	report("pidns", ns_inode);
	report("adopted_by_parent", adopted);
	return 0;
}
