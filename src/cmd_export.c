// SPDX-License-Identifier: GPL-2.0
/*
 * `reapwatch export`: the long-running agent. Keeps every count in memory and
 * rewrites DIR/reapwatch.prom each interval, atomically (a temp file in DIR,
 * fsync, rename), and once more at SIGTERM/SIGINT. With --log-events it also writes
 * notable events as JSON Lines on stdout, for `kubectl logs`.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "agent.h"
#include "args.h"
#include "collect.h"
#include "commands.h"
#include "decode.h"
#include "health.h"
#include "metrics.h"
#include "outq.h"
#include "prom.h"
#include "render.h"
#include "subreapers.h"
#include "util.h"

#define DRAIN_INTERVAL_MS 100
/* --log-events reports a zombie once it is this old (REAPWATCH_TEST_ZOMBIE_LOG_SECONDS: for
 * tests, which cannot wait a minute). */
#define ZOMBIE_LOG_AGE_NS (60ull * 1000000000ull)
/* --log-events lines waiting for a reader that does not take them, before lines are dropped:
 * hours of a busy node's notable events. */
#define LOG_BACKLOG_BYTES (16u << 20)

struct logged_zombie {
	uint32_t pid;
	uint64_t start_ticks;
};

struct exporter {
	struct export_opts opts;
	struct decoder dec;
	struct metrics *metrics;
	struct zombie_census *census; /* the last interval's */
	struct agent *agent;
	size_t *order;
	size_t nrendered;	      /* order[0..nrendered): what the last file holds */
	uint64_t writes;	      /* files written */
	struct logged_zombie *logged; /* zombies --log-events has reported */
	size_t nlogged;
	struct outq *log;	      /* --log-events: stdout, written by its own thread (outq.h) */
	FILE *log_out;		      /* outq__file(): where the log lines are rendered */
	uint64_t log_pending;	      /* lines rendered, not yet handed on */
	uint64_t log_dropped;	      /* lines dropped: the backlog was full */
	uint64_t log_dropped_told;
	int log_err;		      /* the log's first write failure, -errno */
	int write_err;		      /* the last write's failure (say so once), -errno; 0 */
	uint64_t zombie_log_age_ns;   /* ZOMBIE_LOG_AGE_NS, or the test knob's */
	struct subreapers *subreapers; /* loaded at the first zombie line */
	uint64_t subreapers_tried_ns;  /* its last load, if it failed (0: none failed) */
};

/* A failed load of the subreaper iterator is tried again this long after (its lines say no
 * parent is a subreaper meanwhile). */
#define SUBREAPERS_RETRY_NS (300 * 1000000000ull)

/* The subreaper iterator for a zombie line due at `now`: loaded the first time, kept. */
static struct subreapers *exporter_subreapers(struct exporter *x, uint64_t now)
{
	int err;

	if (x->subreapers ||
	    (x->subreapers_tried_ns && now - x->subreapers_tried_ns < SUBREAPERS_RETRY_NS))
		return x->subreapers;
	x->subreapers = subreapers__new();
	if (x->subreapers) {
		x->subreapers_tried_ns = 0;
		return x->subreapers;
	}
	err = errno;
	if (!x->subreapers_tried_ns)
		fprintf(stderr,
			"reapwatch: --log-events: cannot load the subreaper iterator (%s): zombie lines "
			"say parent_is_subreaper false; trying again every 5 minutes\n",
			strerror(err));
	x->subreapers_tried_ns = now;
	return NULL;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct exporter *x = ctx;
	struct event ev;

	if (decoder__decode(&x->dec, data, size, &ev))
		return 0;
	metrics__count_event(x->metrics, &ev);
	if (x->log && !x->log_err && (ev.type == RW_REC_REPARENT || ev.type == RW_REC_TEARDOWN)) {
		render_json_event(x->log_out, &ev);
		x->log_pending++;
	}
	return 0;
}

/* A new temporary file beside dir's PROM_FILE, its name in tmp (4096 bytes): an fd, or -1
 * (errno). */
static int open_prom_tmp(const char *dir, char tmp[4096])
{
	snprintf(tmp, 4096, "%s/.%s.XXXXXX", dir, PROM_FILE);
	return mkstemp(tmp);
}

/*
 * An export killed in the middle of a write (SIGKILL, the OOM killer, a node's power) leaves
 * its temporary file. node_exporter reads only *.prom, but each one would stay for ever: the
 * next export removes them once it holds the directory's lock (lock_textfile_dir()), when no
 * other export can be writing one.
 */
static bool is_prom_tmp_name(const char *name)
{
	char prefix[64];
	size_t len = (size_t)snprintf(prefix, sizeof(prefix), ".%s.", PROM_FILE);

	if (strncmp(name, prefix, len) || strlen(name) != len + 6)
		return false;
	for (const char *c = name + len; *c; c++) /* mkstemp()'s XXXXXX: letters and digits */
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9')))
			return false;
	return true;
}

static void remove_stale_tmps(const char *dir)
{
	const struct dirent *e;
	struct stat st;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((e = readdir(d)))
		if (is_prom_tmp_name(e->d_name) &&
		    !fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) &&
		    S_ISREG(st.st_mode) && st.st_uid == geteuid())
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
}

/* Can a file be made in dir, as write_prom() makes its temporary one? access() says yes for
 * root on /proc or /sys, where no file can be made: a try (the file removed at once). errno
 * says why not. */
static bool can_create_in(const char *dir)
{
	char tmp[4096];
	int fd = open_prom_tmp(dir, tmp);

	if (fd < 0)
		return false;
	close(fd);
	unlink(tmp);
	return true;
}

/*
 * One exporter per directory: two would replace each other's file, each with its own counts,
 * and Prometheus would see every counter go down at every other scrape. The lock is on the
 * directory itself (flock(2) takes a directory's descriptor): no file is left beside
 * reapwatch.prom, and the kernel releases it however the agent ends (a lock file that is
 * removed at the end races with a third exporter; one that stays is litter). Another tool
 * that flocks the directory would be taken for an exporter. An exporter still doing its last
 * write (a rolling update's old pod) is waited for a few seconds. The descriptor, or -1 if
 * this filesystem has no locks (then nothing is checked); *held when another holds it.
 */
#define DIR_LOCK_WAIT_MS 5000

static int lock_textfile_dir(const char *dir, bool *held)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	*held = false;
	if (fd < 0)
		return -1;
	for (int waited = 0; flock(fd, LOCK_EX | LOCK_NB); waited += 100) {
		if (errno != EWOULDBLOCK || waited >= DIR_LOCK_WAIT_MS) {
			*held = errno == EWOULDBLOCK;
			close(fd);
			return -1;
		}
		usleep(100 * 1000);
	}
	return fd;
}

/* Write the whole file beside its final name, then rename over it. */
static int write_prom(struct exporter *x)
{
	char tmp[4096], final[4096];
	size_t n;
	FILE *f;
	int fd, err = 0;

	snprintf(final, sizeof(final), "%s/%s", x->opts.textfile_dir, PROM_FILE);
	fd = open_prom_tmp(x->opts.textfile_dir, tmp);
	if (fd < 0)
		return -errno;
	fchmod(fd, 0644); /* node_exporter may run as another user */
	f = rw_fdopen_tmp(fd, tmp, &err);
	if (!f)
		return err;
	n = metrics__select(x->metrics, x->opts.max_containers, x->order);
	render_prometheus(f, x->metrics, x->order, n);
	x->nrendered = n;
	if (fflush(f) || ferror(f) || fsync(fd))
		err = errno ? -errno : -EIO;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, final))
		err = -errno;
	if (err) {
		unlink(tmp);
		return err;
	}
	metrics__written(x->metrics);
	/* The rename is in the directory: without this a crash can bring back the old file, or
	 * none. A filesystem that cannot sync a directory (EINVAL) has nothing more to give. */
	fd = open(x->opts.textfile_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fsync(fd) && errno != EINVAL)
		err = -errno;
	close(fd);
	return err;
}

static int logged_cmp(const void *a, const void *b)
{
	const struct logged_zombie *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return (x->start_ticks > y->start_ticks) - (x->start_ticks < y->start_ticks);
}

/* x->logged is in the census's order, by pid (zombie_census__add_ages()): a node with a leak
 * of thousands of zombies looks each up in log time. */
static bool was_logged(const struct exporter *x, const struct zombie *z)
{
	struct logged_zombie key = {.pid = z->stat.pid, .start_ticks = z->stat.start_ticks};

	return x->nlogged &&
	       bsearch(&key, x->logged, x->nlogged, sizeof(key), logged_cmp) != NULL;
}

/* --log-events: each zombie once, when it passes a minute; forget the reaped ones. One of
 * unknown age died before any agent ran: at least as old as this one (metrics' rule too), so
 * it is logged once the agent has run a minute, its age null. */
static void log_old_zombies(struct exporter *x, uint64_t now)
{
	struct zombie_census *census = x->census;
	bool labelled = false, agent_old_enough = now - x->metrics->started_ns >= x->zombie_log_age_ns;
	struct logged_zombie *next = calloc((census ? census->count : 0) + 1, sizeof(*next));
	size_t n = 0;

	if (!next)
		return;
	for (size_t i = 0; census && i < census->count; i++) {
		const struct zombie *z = &census->zombies[i];

		/* zombie_age_ns() is 0 for one the census found dying after `now`. */
		if (z->age_known ? zombie_age_ns(z, now) < x->zombie_log_age_ns : !agent_old_enough)
			continue;
		if (!was_logged(x, z) && !x->log_err) {
			/* (a task iterator's run, a read of the kubelet's log dir: only when a
			 * line is due) */
			if (!labelled) {
				zombie_census__label_subreapers(census,
								exporter_subreapers(x, now));
				zombie_census__label_names(census, kube_log_dir(), kube_pods_dir());
				labelled = true;
			}
			render_zombie_log_json(x->log_out, z, now,
					       now + (uint64_t)x->dec.mono_to_unix_ns);
			x->log_pending++;
		}
		next[n].pid = z->stat.pid;
		next[n].start_ticks = z->stat.start_ticks;
		n++;
	}
	free(x->logged);
	x->logged = next;
	x->nlogged = n;
}

/*
 * --log-events: hand the lines rendered since the last call to the writer. 0, or the first
 * write failure as -errno (-EPIPE: the reader went away), after which nothing more is
 * written. Lines that did not fit the backlog are counted and said on stderr.
 */
static int flush_log(struct exporter *x)
{
	int ret;

	if (!x->log || x->log_err)
		return x->log_err;
	ret = outq__flush(x->log);
	x->log_out = outq__file(x->log);
	if (ret < 0)
		return x->log_err = ret;
	if (ret == 1)
		x->log_dropped += x->log_pending;
	x->log_pending = 0;
	if (x->log_dropped > x->log_dropped_told) {
		fprintf(stderr, "reapwatch: --log-events: dropped %llu lines (output stalled: the "
				"reader took nothing while %u MiB waited)\n",
			(unsigned long long)(x->log_dropped - x->log_dropped_told),
			LOG_BACKLOG_BYTES >> 20);
		x->log_dropped_told = x->log_dropped;
	}
	return 0;
}

static void collect_kernel_drops(struct exporter *x)
{
	uint64_t drops[AGENT_DROPS];

	_Static_assert(AGENT_DROPS <= KERNEL_DROP_REASONS_MAX, "metrics.h: too few drop slots");
	agent__drops(x->agent, drops);
	for (int i = 0; i < AGENT_DROPS; i++) {
		x->metrics->kernel_drops[i].reason = agent_drop_reasons[i].name;
		x->metrics->kernel_drops[i].count = drops[i];
	}
	x->metrics->nkernel_drops = AGENT_DROPS;
}

static void export_once(struct exporter *x)
{
	uint64_t now = mono_now_ns();
	int err;

	x->dec.mono_to_unix_ns = mono_to_unix_offset_ns();
	err = collect_interval(x->metrics, x->agent, &x->census, now);
	if (err)
		rw_error("collecting metrics failed: %s", strerror(-err));
	x->metrics->stats_dropped = agent__counter(x->agent, RW_CTR_STATS_FULL);
	collect_kernel_drops(x);
	free(x->order);
	x->order = calloc(x->metrics->ncontainers + 1, sizeof(*x->order));
	if (!x->order) {
		x->nrendered = 0;
		rw_error("out of memory");
		return;
	}
	err = write_prom(x);
	if (err && !x->write_err)
		rw_error("writing %s/%s failed: %s (will retry every interval)",
			 x->opts.textfile_dir, PROM_FILE, strerror(-err));
	else if (!err && x->write_err)
		rw_error("writing %s/%s works again", x->opts.textfile_dir, PROM_FILE);
	x->write_err = err;
	x->writes += !err;
	if (x->log)
		log_old_zombies(x, now);
	flush_log(x); /* a failure is kept for the loop to see */
}

static const char *plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

/* The closing line: what the last file says, summed over its series. */
static void print_exported(const struct exporter *x)
{
	uint64_t exits = 0, reaps = 0, reparents = 0, teardowns = 0, zombies = 0;
	size_t containers = 0;
	bool host = false;

	/* The rendered containers, then what folded ones counted (not a container). */
	for (size_t k = 0; k < x->nrendered + x->metrics->gone_used; k++) {
		const struct container_metrics *c = k < x->nrendered ?
			&x->metrics->containers[x->order[k]] : &x->metrics->gone;

		if (k < x->nrendered && c->id[0])
			containers++;
		else if (k < x->nrendered)
			host = true;
		exits += c->counters.exits;
		/* (the histogram's, and those whose time is only bounded) */
		for (int b = 0; b <= RW_LATENCY_BUCKETS; b++)
			reaps += c->counters.reap_latency_buckets[b];
		reaps += c->counters.reaps_unmeasured;
		for (int kind = 0; kind < REAPER_KINDS; kind++)
			reparents += c->reparents[kind];
		teardowns += c->teardowns;
		zombies += c->zombies;
	}
	fprintf(stderr,
		"reapwatch: wrote %s/%s %llu time%s; the last has %s%zu container%s: %llu exit%s, "
		"%llu reap%s, %llu reparent%s, %llu pid namespace teardown%s, %llu zombie%s",
		x->opts.textfile_dir, PROM_FILE, (unsigned long long)x->writes, plural(x->writes),
		host ? "the host and " : "", containers, plural(containers),
		(unsigned long long)exits, plural(exits), (unsigned long long)reaps, plural(reaps),
		(unsigned long long)reparents, plural(reparents), (unsigned long long)teardowns,
		plural(teardowns), (unsigned long long)zombies, plural(zombies));
	if (x->metrics->containers_over_limit)
		fprintf(stderr, " (%zu more container%s left out by --max-containers)",
			x->metrics->containers_over_limit, plural(x->metrics->containers_over_limit));
	fprintf(stderr, "; %llu event%s lost\n", (unsigned long long)x->metrics->events_lost,
		plural(x->metrics->events_lost));
}

int cmd_export(const struct command *cmd, int argc, char **argv)
{
	struct exporter x = { 0 };
	struct agent_config config = agent_config_counting();
	char err[ARGS_ERR_LEN];
	uint64_t next_write;
	const char *bad_dir = NULL;
	struct stat st;
	int ret, werr = 0, status = EXIT_RUNTIME, dir_lock = -1;
	bool dir_held;

	ret = parse_export_args(argc, argv, &x.opts, err, sizeof(err));
	if (ret == ARGS_HELP) {
		print_command_help(stdout, cmd);
		return EXIT_OK;
	}
	if (ret)
		return usage_error(cmd, err);
	/* (any other failure is said by the access() below, with its reason) */
	if (stat(x.opts.textfile_dir, &st))
		bad_dir = errno == ENOENT ? "does not exist" : errno == ENOTDIR ? "is not a directory" : NULL;
	else if (!S_ISDIR(st.st_mode))
		bad_dir = "is not a directory";
	if (bad_dir) {
		snprintf(err, sizeof(err), "--textfile-dir: '%.200s' %s", x.opts.textfile_dir, bad_dir);
		return usage_error(cmd, err);
	}
	if (access(x.opts.textfile_dir, W_OK) || !can_create_in(x.opts.textfile_dir)) {
		rw_error("--textfile-dir: cannot write to '%s': %s", x.opts.textfile_dir,
			 strerror(errno));
		return EXIT_RUNTIME;
	}
	dir_lock = lock_textfile_dir(x.opts.textfile_dir, &dir_held);
	if (dir_held) {
		rw_error("--textfile-dir: another reapwatch export writes to '%s' (two would "
			 "overwrite each other's counters): stop it, or give each its own directory",
			 x.opts.textfile_dir);
		return EXIT_RUNTIME;
	}
	if (dir_lock >= 0)
		remove_stale_tmps(x.opts.textfile_dir);

	if (collect_begin(&x.dec, &x.metrics)) {
		if (dir_lock >= 0)
			close(dir_lock);
		return EXIT_RUNTIME;
	}
	x.metrics->container_detail = x.opts.container_detail;
	x.metrics->max_containers = x.opts.max_containers;
	if (x.opts.log_events) {
		const char *knob = getenv("REAPWATCH_TEST_ZOMBIE_LOG_SECONDS");
		char *end;

		unsigned long secs = knob && *knob ? strtoul(knob, &end, 10) : ULONG_MAX;

		x.zombie_log_age_ns = ZOMBIE_LOG_AGE_NS;
		if (secs <= 3600 && !*end)
			x.zombie_log_age_ns = secs * 1000000000ull;
		/* (stdout's FILE is not used from here on: what help and errors wrote is out) */
		fflush(stdout);
		ret = outq__new(&x.log, STDOUT_FILENO, LOG_BACKLOG_BYTES);
		if (ret) {
			rw_error("cannot start the output's writer: %s", strerror(-ret));
			goto out;
		}
		x.log_out = outq__file(x.log);
	}
	if (agent__open(&x.agent, &config, on_record, &x))
		goto out;
	fprintf(stderr, "reapwatch: exporting to %s/%s every %gs\n", x.opts.textfile_dir,
		PROM_FILE, x.opts.interval_s);

	export_once(&x);
	next_write = mono_now_ns() + (uint64_t)(x.opts.interval_s * 1e9);
	while (!rw_stop_requested) {
		ret = agent__poll(x.agent, DRAIN_INTERVAL_MS);
		if (ret < 0) {
			rw_error("reading events failed: %s", strerror(-ret));
			goto out;
		}
		/* --log-events: a stdout that cannot be written ends the run, as for trace */
		werr = flush_log(&x);
		if (werr)
			break;
		if (mono_now_ns() >= next_write) {
			export_once(&x);
			next_write += (uint64_t)(x.opts.interval_s * 1e9);
			if (next_write < mono_now_ns()) /* fell behind: no burst of writes */
				next_write = mono_now_ns() + (uint64_t)(x.opts.interval_s * 1e9);
		}
	}
	/* Last word: what happened since the last write is not lost (agent__stop()). */
	agent__stop(x.agent);
	export_once(&x);
	/* --log-events: what is queued is written first; a reader that takes nothing gets 2 s */
	werr = outq__free(x.log);
	x.log = NULL;
	if (!werr)
		werr = x.log_err;
	if (werr && werr != -EPIPE) {
		status = rw_output_failed(werr);
		goto out;
	}
	if (x.write_err) {
		/* (its first failure was said when it came, perhaps long ago: the exit's reason) */
		rw_error("the last write of %s/%s failed: %s, after %llu good one%s: check what is "
			 "at that path, the directory's permissions and its free space",
			 x.opts.textfile_dir, PROM_FILE, strerror(-x.write_err),
			 (unsigned long long)x.writes, plural(x.writes));
		status = EXIT_RUNTIME;
		goto out;
	}
	print_exported(&x);
	status = EXIT_OK;
out:
	outq__free(x.log);
	agent__free(x.agent);
	decoder__fini(&x.dec);
	metrics__free(x.metrics);
	zombie_census__free(x.census);
	subreapers__free(x.subreapers);
	free(x.order);
	free(x.logged);
	if (dir_lock >= 0)
		close(dir_lock);
	return status;
}
