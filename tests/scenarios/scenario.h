/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the scenario programs. Define SCENARIO_NAME (the program's name, as its
 * messages begin) before including this.
 */
#ifndef REAPWATCH_SCENARIO_H
#define REAPWATCH_SCENARIO_H

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SCENARIO_NAME
#error "define SCENARIO_NAME before including scenario.h"
#endif

/* "<name>: <what>: <strerror(errno)>" on stderr, then exit 100. */
static inline void die(const char *what)
{
	fprintf(stderr, SCENARIO_NAME ": %s: %s\n", what, strerror(errno));
	exit(100);
}

/* CLOCK_MONOTONIC in nanoseconds. */
static inline long long mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* CLOCK_REALTIME in microseconds: what the agent's event times are in. */
static inline long long wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/*
 * fork(), or die; the child is named comm (PR_SET_NAME: the comm the agent reports for it)
 * before fork_named() returns in it, so that every event of the child carries the name.
 */
static inline pid_t fork_named(const char *comm)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0)
		prctl(PR_SET_NAME, comm);
	return pid;
}

/* waitpid() for pid, or die(what); its wait status. */
static inline int waitpid_or_die(pid_t pid, const char *what)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		die(what);
	return status;
}

/* The exit code in a wait status; -1 if the process was killed by a signal. */
static inline int exit_code_of(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Sleep ms milliseconds, all of them: a signal that interrupts the sleep does not cut it short. */
static inline void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * This process's pid as the host sees it: /proc is the host's mount, also when the scenario
 * runs in a pid namespace of its own (getpid() there is the namespace's pid). Exits 106
 * (the whole process) if /proc/self cannot be read: no caller can go on without it.
 */
static inline int host_pid(void)
{
	char buf[32];
	ssize_t n = readlink("/proc/self", buf, sizeof(buf) - 1);

	if (n <= 0)
		_exit(106);
	buf[n] = '\0';
	return atoi(buf);
}

/* One "key=value" line on stdout, flushed: the test reads them with kv. */
static inline void report(const char *key, long long value)
{
	printf("%s=%lld\n", key, value);
	fflush(stdout);
}

/*
 * Read the /proc (the host's) stat line of PID into buf; *fields is what follows its comm,
 * "S 1 ..." (the state letter first), or NULL if the line is malformed. False if it cannot be
 * read: the process is gone.
 */
static inline bool proc_stat_fields(int pid, char *buf, size_t len, const char **fields)
{
	char path[64], *paren;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	paren = strrchr(buf, ')'); /* the comm may hold ')' itself: the last one */
	*fields = paren && paren[1] == ' ' ? paren + 2 : NULL;
	return true;
}

/*
 * The state letter of the process /proc (the host's) numbers PID: 'R', 'S', 'Z', ...;
 * 0 once it is gone; '?' if its stat line cannot be read.
 */
static inline char proc_state(int pid)
{
	const char *fields;
	char buf[512];

	if (!proc_stat_fields(pid, buf, sizeof(buf), &fields))
		return 0;
	return fields ? fields[0] : '?';
}

#endif /* REAPWATCH_SCENARIO_H */
