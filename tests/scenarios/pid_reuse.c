/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pid_reuse GENERATIONS: pids reused over and over inside a new pid namespace.
 *
 * The namespace's init ("ru_init") narrows its namespace's pid range (pid_max is per pid
 * namespace since Linux 6.14; past the first wrap, pids are allocated from 300 up to
 * pid_max - 1, so with pid_max 310 ten namespace pids go round), then runs GENERATIONS
 * generations one after the other. Generation G:
 *   - the init forks a middle process, named "rmG" (G in 5 digits), which forks a child
 *     named "rcG"; the child exits;
 *   - the middle reaps the child: blocked in waitpid() before the child exits (even G), or
 *     3 ms after it knows the child has exited (odd G: a late waiter); then exits;
 *   - the init, blocked in waitpid(), reaps the middle.
 * So a namespace pid that was a reaper in one generation is a reaped child in a later one,
 * a short latency follows a long one on the same pid, and so on.
 *
 * Prints, first: init=<host pid> pidns=<inode> pid_max=<the range set, or 0 if the kernel
 * refused>; then one JSON object per process, on its own line:
 *   {"gen":G,"comm":"rcG","pid":HOST,"ns_pid":NS,"reaper":HOST_OF_REAPER,
 *    "lat_min_ns":LO,"lat_max_ns":HI}
 * where [LO, HI] holds the true zombie period as the reaper measured it: HI = (reaper's
 * clock right after waitpid() returned) - (process's clock just before _exit); LO = 3 ms less
 * what a wakeup may cost for a late waiter, else 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SCENARIO_NAME "pid_reuse"
#include "scenario.h"

#define LATE_MS 3

struct report {
	int32_t host_pid;
	int32_t ns_pid;
	uint64_t exit_ns; /* CLOCK_MONOTONIC just before _exit */
};

/* What a middle tells the init about its child and itself. */
struct middle_report {
	struct report child;
	uint64_t child_reaped_ns;
	struct report self;
};

static void sleep_us(long us)
{
	struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void xwrite(int fd, const void *buf, size_t len)
{
	if (write(fd, buf, len) != (ssize_t)len)
		_exit(101);
}

static void xread(int fd, void *buf, size_t len)
{
	if (read(fd, buf, len) != (ssize_t)len)
		_exit(102);
}

static void print_proc(int gen, char kind, const struct report *r, int reaper, uint64_t reaped_ns,
		       int late)
{
	uint64_t hi = reaped_ns - r->exit_ns;
	uint64_t lo = late ? (LATE_MS - 1) * 1000000ull : 0;

	printf("{\"gen\":%d,\"comm\":\"r%c%05d\",\"pid\":%d,\"ns_pid\":%d,\"reaper\":%d,"
	       "\"lat_min_ns\":%llu,\"lat_max_ns\":%llu}\n",
	       gen, kind, gen, r->host_pid, r->ns_pid, reaper, (unsigned long long)lo,
	       (unsigned long long)hi);
}

static void run_middle(int gen, int to_init)
{
	struct middle_report m = {0};
	int late = gen % 2, fds[2];
	char name[16];
	pid_t child;

	snprintf(name, sizeof(name), "rm%05d", gen);
	prctl(PR_SET_NAME, name);
	if (pipe(fds) < 0)
		_exit(103);
	child = fork();
	if (child < 0)
		_exit(104);
	if (child == 0) {
		struct report r;

		snprintf(name, sizeof(name), "rc%05d", gen);
		prctl(PR_SET_NAME, name);
		r.host_pid = host_pid();
		r.ns_pid = getpid();
		/* A blocked waiter must be asleep in waitpid() by the time we exit. */
		if (!late)
			sleep_us(1000);
		r.exit_ns = mono_ns();
		xwrite(fds[1], &r, sizeof(r));
		_exit(0);
	}
	close(fds[1]);
	if (late) {
		xread(fds[0], &m.child, sizeof(m.child));
		/* The report is written just before _exit: wait for the end of the pipe (closed
		 * in the child's exit, before it becomes a zombie), then be late on purpose. */
		char byte;
		while (read(fds[0], &byte, 1) > 0)
			;
		/* The pipe closes in exit_files(), before exit_notify() makes it a zombie, and on
		 * a busy machine the child can be preempted in between: LATE_MS count from when
		 * it is a zombie. */
		while (proc_state(m.child.host_pid) != 'Z')
			sleep_us(100);
		sleep_us(LATE_MS * 1000);
		if (waitpid(child, NULL, 0) != child)
			_exit(105);
		m.child_reaped_ns = mono_ns();
	} else {
		if (waitpid(child, NULL, 0) != child)
			_exit(105);
		m.child_reaped_ns = mono_ns();
		xread(fds[0], &m.child, sizeof(m.child));
	}
	m.self.host_pid = host_pid();
	m.self.ns_pid = getpid();
	m.self.exit_ns = mono_ns();
	xwrite(to_init, &m, sizeof(m));
	_exit(0);
}

static int set_pid_max(int value)
{
	char buf[32];
	int fd = open("/proc/sys/kernel/pid_max", O_WRONLY | O_CLOEXEC), len, ok;

	if (fd < 0)
		return 0;
	len = snprintf(buf, sizeof(buf), "%d\n", value);
	ok = write(fd, buf, (size_t)len) == len;
	close(fd);
	return ok ? value : 0;
}

static void run_init(int generations)
{
	int fds[2], pid_max, self = host_pid();
	struct stat st;

	prctl(PR_SET_NAME, "ru_init");
	if (stat("/proc/self/ns/pid", &st) < 0)
		_exit(106);
	pid_max = set_pid_max(310);
	printf("init=%d\npidns=%llu\npid_max=%d\n", self, (unsigned long long)st.st_ino, pid_max);
	fflush(stdout);
	if (pipe(fds) < 0)
		_exit(107);
	for (int gen = 0; gen < generations; gen++) {
		struct middle_report m;
		uint64_t reaped;
		pid_t middle = fork();

		if (middle < 0)
			_exit(108);
		if (middle == 0) {
			close(fds[0]);
			run_middle(gen, fds[1]);
		}
		if (waitpid(middle, NULL, 0) != middle)
			_exit(109);
		reaped = mono_ns();
		xread(fds[0], &m, sizeof(m));
		print_proc(gen, 'c', &m.child, m.self.host_pid, m.child_reaped_ns, gen % 2);
		print_proc(gen, 'm', &m.self, self, reaped, 0);
	}
	fflush(stdout);
	_exit(0);
}

int main(int argc, char **argv)
{
	int generations = argc > 1 ? atoi(argv[1]) : 0, status;
	pid_t init;

	if (generations <= 0) {
		fprintf(stderr, "usage: pid_reuse GENERATIONS\n");
		return 2;
	}
	if (unshare(CLONE_NEWPID) < 0)
		die("unshare(CLONE_NEWPID)");
	fflush(stdout);
	init = fork();
	if (init < 0)
		die("fork");
	if (init == 0)
		run_init(generations);
	status = waitpid_or_die(init, "waitpid init");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "pid_reuse: init failed (status %#x)\n", status);
		return 1;
	}
	return 0;
}
