// SPDX-License-Identifier: GPL-2.0
/* /proc readers (procfs.h): stat lines, pid namespaces, cgroups, the pid walk; every
 * parse of what /proc hands us. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "procfs.h"

static int parse_u64(const char **p, const char *end, uint64_t *out)
{
	uint64_t v = 0;
	const char *s = *p;

	if (s >= end || *s < '0' || *s > '9')
		return -EINVAL;
	while (s < end && *s >= '0' && *s <= '9') {
		if (v > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s++ - '0');
	}
	*p = s;
	*out = v;
	return 0;
}

/* "pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
 *  utime stime cutime cstime priority nice threads itrealvalue starttime ..." */
int proc_stat_parse(const char *line, size_t len, struct proc_stat *st)
{
	const char *end = line + len, *open, *close = NULL, *p;
	uint64_t v;
	size_t clen;

	memset(st, 0, sizeof(*st));
	p = line;
	if (parse_u64(&p, end, &v) || v == 0 || v > UINT32_MAX || p + 2 > end || p[0] != ' ' ||
	    p[1] != '(')
		return -EINVAL;
	st->pid = (uint32_t)v;
	open = p + 1;
	for (const char *c = open + 1; c < end; c++)
		if (*c == ')')
			close = c;
	if (!close)
		return -EINVAL;
	clen = (size_t)(close - open - 1);
	if (clen > RW_COMM_LEN)
		return -EINVAL;
	memcpy(st->comm, open + 1, clen);
	st->comm[clen] = '\0';
	p = close + 1;
	if (p + 3 > end || p[0] != ' ' || p[2] != ' ')
		return -EINVAL;
	st->state = p[1];
	p += 3;
	if (parse_u64(&p, end, &v) || v > UINT32_MAX)
		return -EINVAL;
	st->ppid = (uint32_t)v;
	/* skip to field 22, starttime: 18 more fields after ppid (field 4); field 20 is
	 * num_threads */
	for (int field = 4; field < 22; field++) {
		while (p < end && *p != ' ')
			p++;
		if (p >= end)
			return -EINVAL;
		p++;
		if (field + 1 == 20) {
			const char *q = p;

			if (parse_u64(&q, end, &v) || v > UINT32_MAX)
				return -EINVAL;
			st->threads = (uint32_t)v;
		}
	}
	if (parse_u64(&p, end, &st->start_ticks))
		return -EINVAL;
	return 0;
}

int proc_status_ns_pid(const char *status, size_t len, uint32_t *ns_pid)
{
	const char *end = status + len, *p = status;
	uint64_t v, last = 0;
	bool found = false;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;

		if ((size_t)(eol - p) > 6 && !memcmp(p, "NSpid:", 6)) {
			const char *q = p + 6;

			while (q < eol) {
				while (q < eol && (*q == ' ' || *q == '\t'))
					q++;
				if (q >= eol)
					break;
				if (parse_u64(&q, eol, &v) || v > UINT32_MAX)
					return -EINVAL;
				last = v;
				found = true;
			}
			break;
		}
		p = eol + 1;
	}
	if (!found)
		return -ENOENT;
	*ns_pid = (uint32_t)last;
	return 0;
}

static ssize_t read_small_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, total = 0;

	if (fd < 0)
		return -errno;
	while ((size_t)total < cap - 1) {
		n = read(fd, buf + total, cap - 1 - (size_t)total);
		if (n < 0) {
			n = -errno;
			close(fd);
			return n;
		}
		if (n == 0)
			break;
		total += n;
	}
	close(fd);
	buf[total] = '\0';
	return total;
}

int proc_stat_read(const char *proc_root, uint32_t pid, struct proc_stat *st)
{
	char path[PATH_MAX], buf[1024];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%u/stat", proc_root, pid);
	n = read_small_file(path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	return proc_stat_parse(buf, (size_t)n, st);
}

int proc_pidns_read(const char *proc_root, uint32_t pid, uint32_t *ns_pid, uint32_t *pidns)
{
	char path[PATH_MAX], buf[4096];
	struct stat sb;
	ssize_t n;
	int err;

	snprintf(path, sizeof(path), "%s/%u/status", proc_root, pid);
	n = read_small_file(path, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	err = proc_status_ns_pid(buf, (size_t)n, ns_pid);
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/%u/ns/pid", proc_root, pid);
	if (stat(path, &sb))
		return -errno;
	*pidns = (uint32_t)sb.st_ino;
	return 0;
}

int proc_cgroup_read(const char *proc_root, uint32_t pid, char *path, size_t len)
{
	char file[PATH_MAX], buf[8192];
	const char *p;
	ssize_t n;

	snprintf(file, sizeof(file), "%s/%u/cgroup", proc_root, pid);
	n = read_small_file(file, buf, sizeof(buf));
	if (n < 0)
		return (int)n;
	for (p = buf; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (!strncmp(p, "0::", 3)) {
			size_t l = strcspn(p + 3, "\n");

			if (l >= len)
				return -ENAMETOOLONG;
			memcpy(path, p + 3, l);
			path[l] = '\0';
			return 0;
		}
	}
	return -ENOENT;
}

int proc_for_each_pid(const char *proc_root, int (*visit)(uint32_t pid, void *ctx), void *ctx)
{
	DIR *dir = opendir(proc_root);
	struct dirent *de;
	int ret = 0;

	if (!dir)
		return -errno;
	while (!ret && (de = readdir(dir))) {
		char *end;
		unsigned long pid = strtoul(de->d_name, &end, 10);

		if (*end || de->d_name[0] < '1' || de->d_name[0] > '9' || pid > UINT32_MAX)
			continue;
		ret = visit((uint32_t)pid, ctx);
	}
	closedir(dir);
	return ret;
}
