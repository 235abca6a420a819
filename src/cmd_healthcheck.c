// SPDX-License-Identifier: GPL-2.0
/*
 * `reapwatch healthcheck`: is an `export` alive and writing? For the DaemonSet's exec probes
 * (the image has no shell) and for a person on the node. Loads nothing into the kernel and reads
 * no /proc: a probe has seconds. The verdict is health.c's; this gathers the facts.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "args.h"
#include "commands.h"
#include "health.h"
#include "util.h"

/*
 * Does an export hold the directory's lock? Asked the way an export takes it, exclusive: where
 * the filesystem refuses that (NFS: no exclusive lock through a descriptor opened read-only),
 * an export runs without it, and this cannot tell. The lock is held for the moment it takes to
 * ask: an export that starts meanwhile finds it taken and tries again 100 ms later
 * (lock_textfile_dir()), so asking never stops one; two probes at once may each see the other's
 * (then the file's age decides).
 */
static enum health_lock probe_lock(int dir_fd)
{
	if (!flock(dir_fd, LOCK_EX | LOCK_NB)) {
		flock(dir_fd, LOCK_UN);
		return HEALTH_LOCK_FREE;
	}
	return errno == EWOULDBLOCK ? HEALTH_LOCK_HELD : HEALTH_LOCK_UNKNOWN;
}

int cmd_healthcheck(const struct command *cmd, int argc, char **argv)
{
	struct health_facts facts = {0};
	struct healthcheck_opts opts;
	char err[ARGS_ERR_LEN], msg[512], shown[HEALTH_PATH_SHOWN];
	struct stat st;
	int ret, dir_fd;

	ret = args_parse(&args_healthcheck, argc, argv, &opts, err, sizeof(err));
	if (ret == ARGS_HELP) {
		print_command_help(stdout, cmd);
		return EXIT_OK;
	}
	if (ret)
		return usage_error(cmd, err);
	/* As export's: a directory that is not one is a bad argument. */
	dir_fd = open(opts.textfile_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0) {
		int e = errno;

		health_path_shown(shown, opts.textfile_dir);
		if (e == ENOENT || e == ENOTDIR) {
			snprintf(err, sizeof(err), "--textfile-dir: '%s' %s", shown,
				 e == ENOENT ? "does not exist" : "is not a directory");
			return usage_error(cmd, err);
		}
		rw_error("--textfile-dir: cannot open '%s': %s", shown, strerror(e));
		return EXIT_RUNTIME;
	}
	facts.dir = opts.textfile_dir;
	facts.lock = probe_lock(dir_fd);
	if (fstatat(dir_fd, PROM_FILE, &st, 0)) {
		facts.file_errno = errno;
	} else {
		facts.file_regular = S_ISREG(st.st_mode);
		facts.file_mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	}
	close(dir_fd);
	facts.now_ns = (int64_t)clock_ns(CLOCK_REALTIME);
	ret = health_verdict(&facts, opts.max_age_s, msg, sizeof(msg));
	if (ret == EXIT_OK)
		printf("reapwatch: %s\n", msg);
	else
		rw_error("%s", msg);
	return ret;
}
