/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Sharing the kernel-side process state between a running agent and one-shot
 * commands (`reapwatch zombies`): each agent pins its `procs` map at
 * /sys/fs/bpf/reapwatch/<agent pid>-<n>/procs (n is 1 unless agents in other pid
 * namespaces have the same pid number) and removes it when it exits. The agent holds an
 * flock() on its directory for as long as it runs: that, not the pid, tells a live
 * agent's directory in every pid namespace. Several agents may run at once; readers take
 * every live one. Pins left by an agent that died without cleaning up (SIGKILL, an OOM kill)
 * are read as long as they are there, and removed once the zombie ages they hold are saved
 * in the ages file (zombie_census__retire_stale_pins()), or when an agent starts.
 */
#ifndef REAPWATCH_PINS_H
#define REAPWATCH_PINS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define PIN_ROOT "/sys/fs/bpf/reapwatch"

/* Pin map_fd for this process; dir and *lock_fd receive what to withdraw later. */
int pins_publish(int map_fd, char *dir, size_t len, int *lock_fd);
void pins_withdraw(const char *dir, int lock_fd);
/* Remove the directories of agents that are gone. */
int pins_sweep(void);
/* Is there one (an agent gone without removing it)? */
bool pins_any_stale(void);
/* Calls fn(fd, agent pid) for each agent's procs map, a gone agent's too (its directory is
 * kept, and *stale_seen, if given, set); the fd is closed after. */
int pins_for_each_agent(int (*fn)(int map_fd, pid_t agent, void *ctx), void *ctx,
			bool *stale_seen);

#endif /* REAPWATCH_PINS_H */
