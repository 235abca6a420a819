/* SPDX-License-Identifier: GPL-2.0 */
/*
 * subreaper_gone: a multi-threaded child subreaper exits, every thread of it, between its
 * grandchild's father's exit tracepoint and that father's exit_notify(), forced with no
 * timing: the father is held inside do_exit() in between.
 *
 * Run as a pid namespace's init in a mount namespace of its own (unshare -pfm): this process ("sg_init") is that init and no
 * subreaper. It forks the subreaper ("sg_sub", PR_SET_CHILD_SUBREAPER, three more threads),
 * which forks the father ("sg_father"), which forks the orphan-to-be ("sg_kid", pauses).
 * The father has a file open on a FUSE file system that we serve: when it exits,
 * exit_files() (after its sched_process_exit, where the subreaper, alive, is the adopter to
 * predict) calls the file's flush, which waits for our reply, and we hold it. So the father
 * has passed its tracepoint and not handed its child over yet. We see that from /proc: no fd
 * left, and the kid's parent still the father. Then the subreaper exit_group()s (the father
 * goes to us); we reap it. Then we answer the flush: find_new_reaper() finds no live
 * subreaper above the father and gives the kid to us, the namespace's init.
 *
 * Prints init=, sub=, father=, kid= (host pids), sub_threads= (the subreaper's, just before
 * it goes: 4), then ready=1 once the kid is ours
 * (its PPid in /proc), and kid_ppid= (that PPid). The kid pauses
 * until killed (SIGALRM after 120 s at the latest); we reap everything and exit 0 once it
 * is gone.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/fuse.h>

#define SCENARIO_NAME "subreaper_gone"
#include "scenario.h"

static int pid_pipe[2]; /* sub, father, kid -> init: host pids */
static int go_sub[2]; /* init -> sub: exit now */

static void send_pid(void)
{
	int pid = host_pid();

	if (write(pid_pipe[1], &pid, sizeof(pid)) != sizeof(pid))
		_exit(101);
}

static int read_pid(void)
{
	int pid;

	if (read(pid_pipe[0], &pid, sizeof(pid)) != sizeof(pid))
		die("read report");
	return pid;
}

static void run_father(const char *path)
{
	pid_t kid;

	prctl(PR_SET_NAME, "sg_father");
	send_pid();
	kid = fork();
	if (kid < 0)
		_exit(102);
	if (kid == 0) {
		prctl(PR_SET_NAME, "sg_kid");
		alarm(120);
		send_pid();
		for (;;)
			pause();
	}
	/* Left open: exit_files() flushes it. */
	if (open(path, O_RDONLY) < 0)
		_exit(103);
	_exit(0);
}

static void *sub_thread(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static void run_sub(const char *path)
{
	pthread_t t;
	char byte;
	pid_t father;

	prctl(PR_SET_NAME, "sg_sub");
	close(go_sub[1]); /* only the init may hold it */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1))
		_exit(105);
	for (int i = 0; i < 3; i++)
		if (pthread_create(&t, NULL, sub_thread, NULL))
			_exit(107);
	send_pid();
	father = fork();
	if (father < 0)
		_exit(102);
	if (father == 0)
		run_father(path);
	/* Released by the init; exit_group() ends every thread. */
	while (read(go_sub[0], &byte, 1) < 0 && errno == EINTR)
		;
	exit(0);
}

/* The FUSE file system: one regular file, "f"; FLUSH is answered by the main thread. */
static int fuse_fd;
static volatile __u64 flush_unique; /* the held FLUSH's request, 0 until it comes */

static void fuse_reply(__u64 unique, int error, const void *arg, size_t len)
{
	char buf[sizeof(struct fuse_out_header) + 256];
	struct fuse_out_header *out = (void *)buf;

	out->len = sizeof(*out) + len;
	out->error = error;
	out->unique = unique;
	memcpy(buf + sizeof(*out), arg, len);
	if (write(fuse_fd, buf, out->len) != (ssize_t)out->len && errno != ENOENT)
		die("fuse reply");
}

static void fill_attr(struct fuse_attr *a, __u64 ino)
{
	memset(a, 0, sizeof(*a));
	a->ino = ino;
	a->mode = ino == FUSE_ROOT_ID ? S_IFDIR | 0755 : S_IFREG | 0644;
	a->nlink = 1;
}

static void *fuse_serve(void *arg)
{
	static char buf[1 << 17];

	(void)arg;
	for (;;) {
		struct fuse_in_header *in = (void *)buf;
		ssize_t n = read(fuse_fd, buf, sizeof(buf));

		if (n < 0 && (errno == EINTR || errno == ENOENT))
			continue;
		if (n < (ssize_t)sizeof(*in))
			return NULL; /* unmounted */
		switch (in->opcode) {
		case FUSE_INIT: {
			struct fuse_init_out out = {.major = FUSE_KERNEL_VERSION, .minor = 26,
						    .max_write = 4096, .max_readahead = 4096};

			fuse_reply(in->unique, 0, &out, FUSE_COMPAT_22_INIT_OUT_SIZE);
			break;
		}
		case FUSE_LOOKUP: {
			struct fuse_entry_out out = {.nodeid = 2};

			if (strcmp(buf + sizeof(*in), "f")) {
				fuse_reply(in->unique, -ENOENT, NULL, 0);
				break;
			}
			fill_attr(&out.attr, 2);
			fuse_reply(in->unique, 0, &out, sizeof(out));
			break;
		}
		case FUSE_GETATTR: {
			struct fuse_attr_out out = {0};

			fill_attr(&out.attr, in->nodeid);
			fuse_reply(in->unique, 0, &out, sizeof(out));
			break;
		}
		case FUSE_OPEN: {
			struct fuse_open_out out = {.fh = 1};

			fuse_reply(in->unique, 0, &out, sizeof(out));
			break;
		}
		case FUSE_FLUSH:
			__atomic_store_n(&flush_unique, in->unique, __ATOMIC_SEQ_CST);
			break;
		case FUSE_FORGET:
		case FUSE_BATCH_FORGET:
		case FUSE_INTERRUPT:
			break;
		default: /* RELEASE and the rest */
			fuse_reply(in->unique, in->opcode == FUSE_RELEASE ? 0 : -ENOSYS, NULL, 0);
		}
	}
}

static void mount_fuse(char *dir)
{
	char opts[128];
	pthread_t t;

	if (!mkdtemp(dir))
		die("mkdtemp");
	fuse_fd = open("/dev/fuse", O_RDWR);
	if (fuse_fd < 0)
		die("/dev/fuse");
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0", fuse_fd);
	if (mount("sg_fuse", dir, "fuse", MS_NOSUID | MS_NODEV, opts))
		die("mount fuse");
	if (pthread_create(&t, NULL, fuse_serve, NULL))
		die("pthread_create");
}

/* A number field of /proc/PID/status ("PPid", "Threads"), as the reader's pid namespace
 * numbers it (host pids: /proc is the host's); -1 if it cannot be read. */
static int status_field(int pid, const char *name)
{
	char path[64], line[256];
	size_t len = strlen(name);
	int v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && line[len] == ':' && sscanf(line + len + 1, "%d", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* Has the father's exit gone past exit_files()? (No fd is left; it had its socket.) */
static int files_gone(int pid)
{
	char path[64];
	struct dirent *e;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	if (!d)
		return 1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n == 0;
}

int main(void)
{
	char dir[] = "/tmp/subreaper_gone.XXXXXX", path[64];
	struct fuse_out_header done;
	int sub, father, kid, ppid_held, me;
	pid_t pid;

	if (getpid() != 1) {
		fprintf(stderr, "subreaper_gone: run me as a pid namespace's init (unshare -pfm)\n");
		return 2;
	}
	prctl(PR_SET_NAME, "sg_init");
	if (pipe(pid_pipe) || pipe(go_sub))
		die("pipe");
	mount_fuse(dir);
	snprintf(path, sizeof(path), "%s/f", dir);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		close(fuse_fd);
		run_sub(path);
	}
	sub = read_pid();
	father = read_pid();
	kid = read_pid();
	me = host_pid();
	printf("init=%d\nsub=%d\nfather=%d\nkid=%d\n", me, sub, father, kid);
	fflush(stdout);
	/* The father inside do_exit(), in exit_files(): its flush held, its kid not handed
	 * over. */
	for (int i = 0; !__atomic_load_n(&flush_unique, __ATOMIC_SEQ_CST); i++) {
		if (i > 2000)
			die("the father's flush did not come");
		usleep(5000);
	}
	if (!files_gone(father))
		die("the father's files are not gone");
	ppid_held = status_field(kid, "PPid");
	if (ppid_held != father || proc_state(father) == 'Z')
		die("the father handed its kid over before it was held");
	printf("sub_threads=%d\n", status_field(sub, "Threads"));
	fflush(stdout);
	/* The subreaper goes, every thread; we reap it. */
	close(go_sub[1]);
	if (waitpid(-1, NULL, 0) < 0)
		die("waitpid sub");
	if (status_field(kid, "PPid") != ppid_held)
		die("the kid was handed over before the father was released");
	/* Release the father. */
	done.len = sizeof(done);
	done.error = 0;
	done.unique = flush_unique;
	if (write(fuse_fd, &done, sizeof(done)) != sizeof(done))
		die("flush reply");
	for (int i = 0; status_field(kid, "PPid") != me; i++) {
		if (i > 2000)
			die("the kid was not handed to us");
		usleep(5000);
	}
	printf("ready=1\nkid_ppid=%d\n", status_field(kid, "PPid"));
	fflush(stdout);
	/* Reap the father and, once the test kills it, the kid. */
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
	umount2(dir, MNT_DETACH);
	return 0;
}
