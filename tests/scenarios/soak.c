/* SPDX-License-Identifier: GPL-2.0 */
/*
 * soak TOTAL: TOTAL short-lived processes as fast as they come, along every path that
 * leaves per-process state in a tracer's maps.
 *
 * The main process ("soak") is a child subreaper and reaps whatever it is handed. Workers
 * run in parallel, each until the shared count reaches TOTAL:
 *   - two plain workers ("soak_w"): vfork a child ("soak_c") that exits at once, wait for it.
 *     Every 64th child first forks a grandchild ("soak_o") and exits without waiting: the
 *     grandchild is an orphan the main process adopts and reaps (reparent + adopter reap);
 *     every 64th + 32nd child is reaped by a WNOHANG poll instead of a blocking wait;
 *   - one namespace worker ("soak_w"): every 50th slot, a new pid namespace whose init
 *     ("soak_i") forks two members ("soak_m"), SIGTERMs one (termination signal into a
 *     namespace), and exits: the kernel SIGKILLs the other (a teardown) and reaps both.
 * Prints created=<processes created> (every one of them has exited and been reaped when
 * soak returns) and elapsed_ms=.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SCENARIO_NAME "soak"
#include "scenario.h"

static atomic_long *created; /* shared between the workers */
static long total;

/* Claim n processes out of the budget; false when it is spent. */
static int claim(long n)
{
	long cur = atomic_load(created);

	while (cur + n <= total)
		if (atomic_compare_exchange_weak(created, &cur, cur + n))
			return 1;
	return 0;
}

static pid_t xfork(void)
{
	pid_t pid;

	for (int tries = 0; tries < 1000; tries++) {
		pid = fork();
		if (pid >= 0 || errno != EAGAIN)
			return pid;
		usleep(1000);
	}
	return -1;
}

/* A child ("soak_c") that exits at once. vfork: no address space to copy, so the soak gets
 * through its budget in seconds; the child only renames itself (a syscall) and exits, and
 * never returns from this function. */
static __attribute__((noinline)) pid_t spawn_quick(void)
{
	pid_t pid = vfork();

	if (pid == 0) {
		prctl(PR_SET_NAME, "soak_c");
		_exit(0);
	}
	return pid;
}

static void plain_worker(void)
{
	prctl(PR_SET_NAME, "soak_w");
	for (long i = 0;; i++) {
		int orphan = i % 64 == 0, poll = i % 64 == 32;
		pid_t pid;

		if (!claim(orphan ? 2 : 1))
			_exit(0);
		if (orphan) {
			pid = xfork();
			if (pid == 0) {
				prctl(PR_SET_NAME, "soak_c");
				if (xfork() == 0)
					prctl(PR_SET_NAME, "soak_o");
				_exit(0);
			}
		} else {
			pid = spawn_quick();
		}
		if (pid < 0)
			_exit(110);
		if (poll) {
			pid_t got;

			while ((got = waitpid(pid, NULL, WNOHANG)) == 0)
				sched_yield();
			if (got != pid)
				_exit(111);
		} else if (waitpid(pid, NULL, 0) != pid) {
			_exit(112);
		}
	}
}

static int ns_init(void *arg)
{
	pid_t m[2];

	prctl(PR_SET_NAME, "soak_i");
	for (int i = 0; i < 2; i++) {
		m[i] = xfork();
		if (m[i] < 0)
			_exit(120);
		if (m[i] == 0) {
			prctl(PR_SET_NAME, "soak_m");
			for (;;)
				pause();
		}
	}
	kill(m[0], SIGTERM);
	/* Reap the one that died of SIGTERM; the teardown takes care of the other. */
	waitpid(m[0], NULL, 0);
	_exit(arg ? 0 : 0);
}

static char ns_stack[64 * 1024] __attribute__((aligned(16)));

/* The init of a new pid namespace (unshare would work only once per process). */
static pid_t spawn_ns_init(void)
{
	return clone(ns_init, ns_stack + sizeof(ns_stack), CLONE_NEWPID | SIGCHLD, NULL);
}

static void ns_worker(void)
{
	prctl(PR_SET_NAME, "soak_w");
	for (long i = 0;; i++) {
		pid_t pid;

		if (i % 50) {
			/* A plain child between namespaces, so this worker keeps pace. */
			if (!claim(1))
				_exit(0);
			pid = spawn_quick();
		} else {
			if (!claim(3))
				_exit(0);
			pid = spawn_ns_init();
		}
		if (pid < 0)
			_exit(121);
		if (waitpid(pid, NULL, 0) != pid)
			_exit(122);
	}
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	pid_t workers[3];
	long done;
	int status, failed = 0;

	total = argc > 1 ? atol(argv[1]) : 0;
	if (total <= 0) {
		fprintf(stderr, "usage: soak TOTAL\n");
		return 2;
	}
	created =
	    mmap(NULL, sizeof(*created), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (created == MAP_FAILED)
		die("mmap");
	atomic_init(created, 0);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		die("PR_SET_CHILD_SUBREAPER");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < 3; i++) {
		workers[i] = fork();
		if (workers[i] < 0)
			die("fork worker");
		if (workers[i] == 0) {
			if (i < 2)
				plain_worker();
			else
				ns_worker();
		}
	}
	/* Reap the workers and every orphan handed to us, until nobody is left. */
	for (;;) {
		pid_t got = wait(&status);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 3; i++)
			if (got == workers[i] && (!WIFEXITED(status) || WEXITSTATUS(status))) {
				fprintf(stderr, "soak: worker %d failed (status %#x)\n", i, status);
				failed = 1;
			}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	done = atomic_load(created);
	printf("created=%ld\nelapsed_ms=%ld\n", done,
	       (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
	return failed;
}
