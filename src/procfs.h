/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading /proc: a process's stat line, its pid namespace and cgroup. Whatever a
 * process named itself is hostile input here; the parser finds the comm by the
 * LAST ')' on the line, as the kernel writes it unescaped.
 */
#ifndef REAPWATCH_PROCFS_H
#define REAPWATCH_PROCFS_H

#include <stddef.h>
#include <stdint.h>
#include "event.h"

struct proc_stat {
	uint32_t pid;
	char comm[COMM_BUF];
	char state;	      /* 'R', 'S', 'Z', ... */
	uint32_t ppid;
	uint32_t threads;     /* field 20: threads not yet released, the leader's included */
	uint64_t start_ticks; /* field 22: start_boottime in clock ticks */
};

/* Parse one /proc/PID/stat line (pure). 0 or -EINVAL. */
int proc_stat_parse(const char *line, size_t len, struct proc_stat *st);
/* Parse the "NSpid:" line of /proc/PID/status: the last (innermost) number. */
int proc_status_ns_pid(const char *status, size_t len, uint32_t *ns_pid);

int proc_stat_read(const char *proc_root, uint32_t pid, struct proc_stat *st);
/*
 * A zombie process, waiting to be reaped: its leader is a zombie ('Z') and no other thread
 * of it is left. A leader that called pthread_exit() shows 'Z' while its process runs on.
 */
static inline int proc_stat_is_zombie(const struct proc_stat *st)
{
	return st->state == 'Z' && st->threads <= 1;
}
/* Innermost pid and the pid namespace's inode; -errno. */
int proc_pidns_read(const char *proc_root, uint32_t pid, uint32_t *ns_pid, uint32_t *pidns);
/* The cgroup v2 ("0::") path of a process; -errno. */
int proc_cgroup_read(const char *proc_root, uint32_t pid, char *path, size_t len);

/* Calls visit(pid) for every numeric /proc entry until it returns non-zero. */
int proc_for_each_pid(const char *proc_root, int (*visit)(uint32_t pid, void *ctx), void *ctx);

#endif /* REAPWATCH_PROCFS_H */
