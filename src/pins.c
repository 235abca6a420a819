// SPDX-License-Identifier: GPL-2.0
/* The procs map's pins (pins.h): publishing ours under /sys/fs/bpf/reapwatch, finding live
 * agents' by their flock, removing dead agents' leftovers. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "pins.h"

#define BPF_FS "/sys/fs/bpf"
#define BPF_FS_MAGIC 0xcafe4a11
#define PIN_MAP "procs"
/* Agents sharing one pid number (each in its own pid namespace) before we give up. */
#define MAX_NAME_TRIES 64

static int ensure_bpffs(void)
{
	struct statfs sfs;

	if (!statfs(BPF_FS, &sfs) && sfs.f_type == BPF_FS_MAGIC)
		return 0;
	/* Not mounted (a fresh host, a container without the host's): mount our own. */
	if (mount("bpf", BPF_FS, "bpf", 0, "mode=0700"))
		return -errno;
	return 0;
}

static void remove_agent_dir(const char *dir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, PIN_MAP);
	unlink(path);
	rmdir(dir);
}

/* What a walk of the agent dirs does with each: fn(dir, agent pid, ctx). */
typedef int (*agent_visit)(const char *dir, pid_t pid, void *ctx);

/*
 * An agent dir is live while its agent holds flock(LOCK_EX) on it, from before it pins
 * until after it has removed the dir. The lock belongs to the open directory, not to a
 * pid: it means the same in every pid namespace that shares this bpffs, and the kernel
 * drops it when the agent dies however it dies (SIGKILL included). A pid and
 * /proc/PID/comm mean nothing across pid namespaces: an agent in a container without
 * hostPID, or under `unshare -pf`, took a live host agent's dir for a dead one.
 * A dir we can lock is stale: it is visited, and removed if asked, while we hold the lock, so
 * its agent (if one is just starting on it) finds it unlinked once it gets the lock, and
 * starts over.
 */
static bool handle_if_stale(const char *dir, agent_visit visit, pid_t pid, void *ctx, bool remove)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT;
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		close(fd);
		return false;
	}
	/* What the dead agent knew (an OOM-killed one's zombie ages) can still be read. */
	if (visit)
		visit(dir, pid, ctx);
	if (remove)
		remove_agent_dir(dir);
	close(fd);
	return true;
}

/*
 * "PID-N": the agent's pid in its own pid namespace, and N to tell apart agents with that
 * number in different pid namespaces (bpffs takes no '.' in a name). A bare "PID" is the
 * dir of an agent from before the locks, sets none: it is judged as those agents judged
 * each other, by its pid in our namespace, so that an upgrade does not remove a running
 * one's (and no older reader, which skips names that are not a number, removes ours).
 */
static bool parse_agent_name(const char *name, pid_t *pid, bool *legacy)
{
	char *end;
	long n;

	if (name[0] < '0' || name[0] > '9')
		return false;
	n = strtol(name, &end, 10);
	if (n <= 0 || n > INT_MAX)
		return false;
	*legacy = !*end;
	if (*end == '-') {
		if (end[1] < '1' || end[1] > '9')
			return false;
		strtol(end + 1, &end, 10);
	}
	if (*end)
		return false;
	*pid = (pid_t)n;
	return true;
}

/* A pre-lock agent: its pid runs a reapwatch (reapwatch-static's comm is
 * "reapwatch-stati"). */
static bool legacy_agent_alive(pid_t pid)
{
	char path[64], comm[32] = "";
	FILE *f;

	if (kill(pid, 0) && errno == ESRCH)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	return !strncmp(comm, "reapwatch", strlen("reapwatch"));
}

/* Visit every agent dir; stale ones (agent gone) are removed after their visit if `remove`,
 * and *stale_seen (if given) set when there was one. */
static int walk_agents(agent_visit fn, void *ctx, bool remove, bool *stale_seen)
{
	DIR *root = opendir(PIN_ROOT);
	struct dirent *de;
	int ret = 0;

	if (!root)
		return errno == ENOENT ? 0 : -errno;
	while (!ret && (de = readdir(root))) {
		char dir[PATH_MAX];
		bool legacy;
		pid_t pid;

		if (!parse_agent_name(de->d_name, &pid, &legacy))
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", PIN_ROOT, de->d_name);
		if ((!legacy || !legacy_agent_alive(pid)) && handle_if_stale(dir, fn, pid, ctx, remove)) {
			if (stale_seen)
				*stale_seen = true;
			continue;
		}
		if (fn)
			ret = fn(dir, pid, ctx);
	}
	closedir(root);
	return ret;
}

int pins_sweep(void)
{
	return walk_agents(NULL, NULL, true, NULL);
}

bool pins_any_stale(void)
{
	bool stale = false;

	walk_agents(NULL, NULL, false, &stale);
	return stale;
}

/* Make dir and hold its lock in *lock_fd: 0, -EEXIST when a live agent has it. */
static int claim_dir(const char *dir, int *lock_fd)
{
	struct stat st;
	int fd;

	for (;;) {
		if (mkdir(dir, 0700)) {
			if (errno != EEXIST)
				return -errno;
			if (!handle_if_stale(dir, NULL, 0, NULL, true))
				return -EEXIST;
			continue;
		}
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0) {
			if (errno == ENOENT)
				continue; /* judged stale and removed before we opened it */
			return -errno;
		}
		/* Blocks only while another process is removing it as stale. */
		if (flock(fd, LOCK_EX)) {
			int err = -errno;

			close(fd);
			return err;
		}
		if (!fstat(fd, &st) && st.st_nlink > 0) {
			*lock_fd = fd;
			return 0;
		}
		close(fd); /* removed while we waited for the lock: make it again */
	}
}

int pins_publish(int map_fd, char *dir, size_t len, int *lock_fd)
{
	char path[PATH_MAX];
	int err;

	*lock_fd = -1;
	dir[0] = '\0';
	err = ensure_bpffs();
	if (err)
		return err;
	if (mkdir(PIN_ROOT, 0700) && errno != EEXIST)
		return -errno;
	walk_agents(NULL, NULL, true, NULL);
	err = -EEXIST;
	for (int seq = 1; seq <= MAX_NAME_TRIES && err == -EEXIST; seq++) {
		snprintf(dir, len, "%s/%d-%d", PIN_ROOT, (int)getpid(), seq);
		err = claim_dir(dir, lock_fd);
	}
	if (err) {
		dir[0] = '\0';
		return err;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, PIN_MAP);
	if (bpf_obj_pin(map_fd, path)) {
		err = -errno;
		pins_withdraw(dir, *lock_fd);
		*lock_fd = -1;
		dir[0] = '\0';
		return err;
	}
	return 0;
}

void pins_withdraw(const char *dir, int lock_fd)
{
	/* Removed under the lock, so no reader takes it for stale meanwhile. */
	if (dir && dir[0])
		remove_agent_dir(dir);
	if (lock_fd >= 0)
		close(lock_fd);
}

struct for_each_ctx {
	int (*fn)(int map_fd, pid_t agent, void *ctx);
	void *ctx;
};

static int open_agent_map(const char *dir, pid_t pid, void *arg)
{
	struct for_each_ctx *c = arg;
	char path[PATH_MAX];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/%s", dir, PIN_MAP);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0; /* it went away meanwhile */
	ret = c->fn(fd, pid, c->ctx);
	close(fd);
	return ret;
}

int pins_for_each_agent(int (*fn)(int map_fd, pid_t agent, void *ctx), void *ctx,
			bool *stale_seen)
{
	struct for_each_ctx c = { fn, ctx };

	return walk_agents(open_agent_map, &c, false, stale_seen);
}
