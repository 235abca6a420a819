// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "pins.h"

#define BPF_FS "/sys/fs/bpf"
#define BPF_FS_MAGIC 0xcafe4a11
#define PIN_MAP "procs"

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

/* An agent dir is live when its pid runs a reapwatch (whatever it was installed as:
 * reapwatch-static's comm is "reapwatch-stati"). */
static bool agent_alive(pid_t pid)
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

static void remove_agent_dir(const char *dir)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, PIN_MAP);
	unlink(path);
	rmdir(dir);
}

/* Visit every agent dir; stale ones (agent gone) are removed on the way. */
static int walk_agents(int (*fn)(const char *dir, pid_t pid, void *ctx), void *ctx)
{
	DIR *root = opendir(PIN_ROOT);
	struct dirent *de;
	int ret = 0;

	if (!root)
		return errno == ENOENT ? 0 : -errno;
	while (!ret && (de = readdir(root))) {
		char dir[128], *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0 || pid > INT_MAX)
			continue;
		snprintf(dir, sizeof(dir), "%s/%ld", PIN_ROOT, pid);
		if (!agent_alive((pid_t)pid)) {
			remove_agent_dir(dir);
			continue;
		}
		if (fn)
			ret = fn(dir, (pid_t)pid, ctx);
	}
	closedir(root);
	return ret;
}

int pins_publish(int map_fd, char *dir, size_t len)
{
	char path[PATH_MAX];
	int err;

	err = ensure_bpffs();
	if (err)
		return err;
	if (mkdir(PIN_ROOT, 0700) && errno != EEXIST)
		return -errno;
	walk_agents(NULL, NULL);
	snprintf(dir, len, "%s/%d", PIN_ROOT, (int)getpid());
	remove_agent_dir(dir); /* a previous agent with our pid */
	if (mkdir(dir, 0700))
		return -errno;
	snprintf(path, sizeof(path), "%s/%s", dir, PIN_MAP);
	if (bpf_obj_pin(map_fd, path)) {
		err = -errno;
		rmdir(dir);
		dir[0] = '\0';
		return err;
	}
	return 0;
}

void pins_withdraw(const char *dir)
{
	if (dir && dir[0])
		remove_agent_dir(dir);
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

int pins_for_each_agent(int (*fn)(int map_fd, pid_t agent, void *ctx), void *ctx)
{
	struct for_each_ctx c = { fn, ctx };

	return walk_agents(open_agent_map, &c);
}
