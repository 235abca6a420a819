// SPDX-License-Identifier: GPL-2.0
/*
 * reap_timing MODE: one child exits and is reaped the way MODE says; prints what the
 * reaping process itself measured, so a test can hold the agent's reap event to it.
 *
 *   late      the parent waits 200 ms after the child died
 *   blocked   the parent is already asleep in waitpid() when the child exits
 *   poll      the parent polls waitpid(WNOHANG) every 2 ms
 *   handler   a SIGCHLD handler calls waitpid(WNOHANG)
 *   pidns     in a new pid namespace, the init reaps an orphan it adopted
 *
 * Output (key=value, one per line): child=<host pid> reaper=<host pid>
 * exit_mono_ns=<child's clock just before _exit> reaped_mono_ns=<clock right after
 * the reaping waitpid() returned> reaped_real_ns=<same, wall clock>.
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "reap_timing: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* Host pid, even inside a new pid namespace: /proc is still the host's mount. */
static pid_t host_pid(void)
{
	char buf[32];
	ssize_t n = readlink("/proc/self", buf, sizeof(buf) - 1);

	if (n <= 0)
		die("readlink /proc/self");
	buf[n] = '\0';
	return (pid_t)atoi(buf);
}

struct child_report {
	pid_t host_pid;
	uint64_t exit_ns;
};

/* Fork a child that reports its host pid and exit time on `fd`, after `delay_ms`. */
static pid_t spawn_reporting_child(int fd, int delay_ms)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		struct child_report r = { .host_pid = host_pid() };

		usleep((useconds_t)delay_ms * 1000);
		r.exit_ns = now_ns(CLOCK_MONOTONIC);
		if (write(fd, &r, sizeof(r)) != sizeof(r))
			_exit(2);
		_exit(0);
	}
	return pid;
}

static void read_report(int fd, struct child_report *r)
{
	if (read(fd, r, sizeof(*r)) != sizeof(*r))
		die("read child report");
}

static void print_result(const struct child_report *r, uint64_t mono, uint64_t real)
{
	printf("child=%d\nreaper=%d\nexit_mono_ns=%llu\nreaped_mono_ns=%llu\nreaped_real_ns=%llu\n",
	       r->host_pid, host_pid(), (unsigned long long)r->exit_ns,
	       (unsigned long long)mono, (unsigned long long)real);
	fflush(stdout);
}

static volatile sig_atomic_t handler_reaped;
static uint64_t handler_mono, handler_real;

static void on_sigchld(int sig __attribute__((unused)))
{
	int saved = errno;

	if (waitpid(-1, NULL, WNOHANG) > 0) {
		handler_mono = now_ns(CLOCK_MONOTONIC);
		handler_real = now_ns(CLOCK_REALTIME);
		handler_reaped = 1;
	}
	errno = saved;
}

static int run(const char *mode, int fd_r, int fd_w)
{
	struct child_report r;
	uint64_t mono, real;
	pid_t child;

	if (!strcmp(mode, "late")) {
		child = spawn_reporting_child(fd_w, 0);
		read_report(fd_r, &r);
		usleep(200 * 1000);
		if (waitpid(child, NULL, 0) != child)
			die("waitpid");
	} else if (!strcmp(mode, "blocked")) {
		child = spawn_reporting_child(fd_w, 150);
		if (waitpid(child, NULL, 0) != child)
			die("waitpid");
	} else if (!strcmp(mode, "poll")) {
		child = spawn_reporting_child(fd_w, 100);
		for (;;) {
			pid_t got = waitpid(child, NULL, WNOHANG);

			if (got == child)
				break;
			if (got < 0)
				die("waitpid");
			usleep(2000);
		}
	} else if (!strcmp(mode, "handler")) {
		struct sigaction sa = { .sa_handler = on_sigchld, .sa_flags = SA_RESTART };

		sigemptyset(&sa.sa_mask);
		sigaction(SIGCHLD, &sa, NULL);
		spawn_reporting_child(fd_w, 100);
		while (!handler_reaped)
			pause();
		read_report(fd_r, &r);
		print_result(&r, handler_mono, handler_real);
		return 0;
	} else {
		fprintf(stderr, "reap_timing: unknown mode '%s'\n", mode);
		return 2;
	}
	mono = now_ns(CLOCK_MONOTONIC);
	real = now_ns(CLOCK_REALTIME);
	if (strcmp(mode, "late"))
		read_report(fd_r, &r);
	print_result(&r, mono, real);
	return 0;
}

/*
 * pidns: this process unshares a pid namespace and forks its init. The init forks
 * a middle process that forks the orphan-to-be and exits at once; the orphan is
 * adopted by the init, sleeps 150 ms and exits; the init, blocked in wait(), reaps.
 */
static int run_pidns(int fd_r, int fd_w)
{
	pid_t init;
	int status;

	if (unshare(CLONE_NEWPID))
		die("unshare(CLONE_NEWPID)");
	init = fork();
	if (init < 0)
		die("fork init");
	if (init == 0) {
		struct child_report r;
		pid_t middle = fork(), got;
		uint64_t mono, real;

		if (middle < 0)
			die("fork middle");
		if (middle == 0) {
			spawn_reporting_child(fd_w, 150);
			_exit(0);
		}
		if (waitpid(middle, NULL, 0) != middle)
			die("waitpid middle");
		/* The orphan is ours now; wait for it (blocked, like most inits). */
		got = wait(NULL);
		mono = now_ns(CLOCK_MONOTONIC);
		real = now_ns(CLOCK_REALTIME);
		if (got < 0)
			die("wait orphan");
		read_report(fd_r, &r);
		print_result(&r, mono, real);
		_exit(0);
	}
	if (waitpid(init, &status, 0) != init)
		die("waitpid init");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int main(int argc, char **argv)
{
	int fds[2];

	if (argc != 2) {
		fprintf(stderr, "usage: reap_timing late|blocked|poll|handler|pidns\n");
		return 2;
	}
	if (pipe(fds))
		die("pipe");
	if (!strcmp(argv[1], "pidns"))
		return run_pidns(fds[0], fds[1]);
	return run(argv[1], fds[0], fds[1]);
}
