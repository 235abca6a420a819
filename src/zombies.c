// SPDX-License-Identifier: GPL-2.0
/* The zombie census (zombies.h): the /proc walk for state Z, each zombie's container and
 * parent, and exact ages from running agents' pinned state. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "cgroups.h"
#include "pins.h"
#include "procs_table.h"
#include "reapwatch.h"
#include "subreapers.h"
#include "util.h"
#include "zombies.h"

static uint64_t ns_per_tick(void)
{
	static long hz;

	if (!hz)
		hz = sysconf(_SC_CLK_TCK);
	if (hz <= 0)
		hz = 100;
	return 1000000000ull / (uint64_t)hz;
}

uint64_t boot_ns_to_ticks(uint64_t boot_ns)
{
	/* nsec_to_clock_t(): truncating division, as /proc/PID/stat prints it */
	return boot_ns / ns_per_tick();
}

uint64_t zombie_lifetime_ns(const struct zombie *z)
{
	struct timespec ts;
	uint64_t now, start = (z->stat.start_ticks + 1) * ns_per_tick(); /* (rounded up) */

	if (clock_gettime(CLOCK_BOOTTIME, &ts))
		return UINT64_MAX;
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	return now > start ? now - start : 0;
}

/*
 * A parent with thousands of zombies is what we are here to find: read its facts
 * once, not once per zombie, and likewise a cgroup its zombies share.
 */
struct census_walk {
	const char *proc_root;
	struct zombie_census *census;
	int err;
	const struct zombie *last; /* the previous zombie: its parent and cgroup */
	char last_cgroup[PATH_MAX];
};

/*
 * The cgroup v2 id of a process whose cgroup path (from /proc) is `path`: a cgroup v2
 * directory's inode number is its kernfs node id, the id the kernel side reports. A path
 * outside our cgroup namespace ("/../..": containerd and CRI-O give a container that is not
 * privileged a namespace of its own) has no directory we can name: 0. (It still names its
 * container: cgroup_container_id() reads only its components.)
 */
static uint64_t cgroup_v2_id(const char *path)
{
	static char mount[PATH_MAX];
	char dir[PATH_MAX * 2];
	struct stat sb;

	if (!strncmp(path, "/..", 3) && (path[3] == '/' || !path[3]))
		return 0;
	if (!mount[0] && cgroup2_mountpoint(mount, sizeof(mount)))
		return 0;
	snprintf(dir, sizeof(dir), "%s%s", mount, path);
	return stat(dir, &sb) ? 0 : sb.st_ino;
}

static int add_if_zombie(uint32_t pid, void *arg)
{
	struct census_walk *w = arg;
	struct zombie_census *c = w->census;
	struct proc_stat parent;
	char cgroup[PATH_MAX] = "";
	struct zombie *z;

	if (c->count == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct zombie *grown = realloc(c->zombies, cap * sizeof(*grown));

		if (!grown) {
			w->err = -ENOMEM;
			return 1;
		}
		if (w->last) /* it moved with the array */
			w->last = grown + (w->last - c->zombies);
		c->zombies = grown;
		c->cap = cap;
	}
	z = &c->zombies[c->count];
	memset(z, 0, sizeof(*z));
	/* It may have been reaped since readdir(): skip what is gone. */
	if (proc_stat_read(w->proc_root, pid, &z->stat) || !proc_stat_is_zombie(&z->stat))
		return 0;
	proc_pidns_read(w->proc_root, pid, &z->ns_pid, &z->pidns);
	if (proc_cgroup_read(w->proc_root, pid, cgroup, sizeof(cgroup))) {
		cgroup[0] = '\0';
	} else if (w->last && !strcmp(cgroup, w->last_cgroup)) {
		z->cgroup_id = w->last->cgroup_id;
		memcpy(z->container_id, w->last->container_id, sizeof(z->container_id));
		memcpy(z->pod_uid, w->last->pod_uid, sizeof(z->pod_uid));
	} else {
		z->cgroup_id = cgroup_v2_id(cgroup);
		cgroup_container_id(cgroup, z->container_id);
		cgroup_path_pod_uid(cgroup, z->pod_uid);
	}
	if (w->last && w->last->stat.ppid == z->stat.ppid) {
		memcpy(z->parent_comm, w->last->parent_comm, sizeof(z->parent_comm));
		z->parent_ns_pid = w->last->parent_ns_pid;
		z->parent_pidns = w->last->parent_pidns;
		memcpy(z->parent_container_id, w->last->parent_container_id,
		       sizeof(z->parent_container_id));
		memcpy(z->parent_pod_uid, w->last->parent_pod_uid, sizeof(z->parent_pod_uid));
	} else if (!proc_stat_read(w->proc_root, z->stat.ppid, &parent)) {
		char parent_cgroup[PATH_MAX];

		memcpy(z->parent_comm, parent.comm, sizeof(z->parent_comm));
		proc_pidns_read(w->proc_root, z->stat.ppid, &z->parent_ns_pid, &z->parent_pidns);
		if (!proc_cgroup_read(w->proc_root, z->stat.ppid, parent_cgroup,
				      sizeof(parent_cgroup))) {
			cgroup_container_id(parent_cgroup, z->parent_container_id);
			cgroup_path_pod_uid(parent_cgroup, z->parent_pod_uid);
		}
	}
	snprintf(w->last_cgroup, sizeof(w->last_cgroup), "%s", cgroup);
	c->count++;
	w->last = &c->zombies[c->count - 1];
	return 0;
}

int zombie_census__new(struct zombie_census **out, const char *proc_root)
{
	struct zombie_census *census = calloc(1, sizeof(*census));
	struct census_walk w = { .proc_root = proc_root, .census = census };
	char path[PATH_MAX];
	struct stat sb;
	int err;

	*out = NULL;
	if (!census)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/self/ns/pid", proc_root);
	if (!stat(path, &sb))
		census->host_pidns = (uint32_t)sb.st_ino;
	err = proc_for_each_pid(proc_root, add_if_zombie, &w);
	if (err >= 0)
		err = w.err;
	if (err < 0) {
		zombie_census__free(census);
		return err;
	}
	*out = census;
	return 0;
}

const struct zombie *zombie_census__find(const struct zombie_census *census, uint32_t pid,
					uint64_t start_ticks)
{
	for (size_t i = 0; i < census->count; i++)
		if (census->zombies[i].stat.pid == pid &&
		    census->zombies[i].stat.start_ticks == start_ticks)
			return &census->zombies[i];
	return NULL;
}

static int zombie_cmp_pid(const void *a, const void *b)
{
	const struct zombie *x = a, *y = b;

	return (x->stat.pid > y->stat.pid) - (x->stat.pid < y->stat.pid);
}

/* The census's zombie with this pid and start (census sorted by pid), or NULL. */
static struct zombie *census_zombie(struct zombie_census *c, uint32_t pid, uint64_t start_ticks)
{
	struct zombie probe = { .stat.pid = pid };
	struct zombie *z = c->count ? bsearch(&probe, c->zombies, c->count, sizeof(*z),
					      zombie_cmp_pid)
				    : NULL;

	return z && z->stat.start_ticks == start_ticks ? z : NULL;
}

/* The inode of the initial pid namespace (PROC_PID_INIT_INO, include/linux/proc_ns.h). */
#define INIT_PIDNS_INO 0xEFFFFFFCu

static int zombie_cmp_ns(const void *a, const void *b)
{
	const struct zombie *x = *(const struct zombie *const *)a;
	const struct zombie *y = *(const struct zombie *const *)b;

	if (x->pidns != y->pidns)
		return x->pidns < y->pidns ? -1 : 1;
	return x->ns_pid < y->ns_pid ? -1 : x->ns_pid > y->ns_pid;
}

/* Outside the host's pid namespace: index the zombies by (pidns, ns_pid), as agents have them. */
static void index_by_ns(struct zombie_census *c)
{
	if (c->host_pidns == INIT_PIDNS_INO || !c->host_pidns || !c->count)
		return;
	c->by_ns = malloc(c->count * sizeof(*c->by_ns));
	if (!c->by_ns)
		return; /* (the ages stay unknown) */
	for (size_t i = 0; i < c->count; i++)
		c->by_ns[i] = &c->zombies[i];
	qsort(c->by_ns, c->count, sizeof(*c->by_ns), zombie_cmp_ns);
}

/* An agent's process, known by its host pid, in a census taken in another pid namespace: by
 * its innermost namespace and its pid there (NSpid's last, which /proc gives in any). */
static struct zombie *census_zombie_in_ns(struct zombie_census *c, const struct rw_proc *proc,
					  uint64_t start_ticks)
{
	struct zombie probe = { .pidns = proc->pidns, .ns_pid = proc->ns_pid }, *pp = &probe;
	struct zombie **z;

	if (!c->by_ns)
		return NULL;
	z = bsearch(&pp, c->by_ns, c->count, sizeof(*c->by_ns), zombie_cmp_ns);
	return z && (*z)->stat.start_ticks == start_ticks ? *z : NULL;
}

/* It became a zombie at `since` (CLOCK_MONOTONIC), by one who saw it: two agents that saw
 * the same death agree to within microseconds, the earlier is kept. */
static void note_age(struct zombie *z, uint64_t since)
{
	if (!z->age_known || since < z->zombie_mono_ns)
		z->zombie_mono_ns = since;
	z->age_known = true;
}

/* Whom it was orphaned by, as an agent saw it: the first one told is kept. */
static void note_adopter(struct zombie *z, uint32_t pid, const char *comm)
{
	size_t n = strnlen(comm, RW_COMM_LEN);

	if (z->adopted_from_pid)
		return;
	z->adopted_from_pid = pid;
	memcpy(z->adopted_from_comm, comm, n);
	z->adopted_from_comm[n] = '\0';
}

/* One agent's procs map: every exited process it still holds state for. */
static int add_ages_from_agent(int map_fd, pid_t agent, void *arg)
{
	struct zombie_census *c = arg;
	struct procs_table *table;
	struct rw_proc_state st;
	size_t slots;

	/* Another version of reapwatch may run (an upgrade): read only our own layout. */
	if (procs_table__new(&table, map_fd, false, true))
		return 0;
	slots = procs_table__slots(table);
	for (size_t i = 0; i < slots; i++) {
		if (!procs_table__read(table, i, &st))
			continue;
		uint64_t ticks = boot_ns_to_ticks(st.boot_start_ns);
		/* (in another pid namespace /proc's pids are its own: by namespace and pid there) */
		struct zombie *z = c->by_ns ? census_zombie_in_ns(c, &st.proc, ticks)
					    : census_zombie(c, st.proc.pid, ticks);
		uint64_t since = st.zombie_ns ? st.zombie_ns : st.exit_ns;

		if (!z || !since)
			continue;
		note_age(z, since);
		if (st.adopted_from.pid)
			note_adopter(z, st.adopted_from.pid, st.adopted_from.comm);
	}
	procs_table__free(table);
	return 0;
}

/* Beside the ages file: who orphaned each zombie, where an agent saw it ("PID STARTTIME_TICKS
 * PARENT_PID ADOPTED_FROM_PID COMM_HEX"). A file of its own: a reader of the ages file from
 * before it stops at the first line it cannot read. */
#define ADOPTERS_SUFFIX ".adopters"

/* A comm in the adopters file: hex, two digits a byte (a comm can hold any byte but NUL); an
 * empty one is "-". */
static void comm_to_hex(char hex[RW_COMM_LEN * 2 + 1], const char *comm)
{
	size_t n = strnlen(comm, RW_COMM_LEN - 1);

	for (size_t i = 0; i < n; i++)
		sprintf(hex + 2 * i, "%02x", (unsigned char)comm[i]);
	strcpy(hex + 2 * n, n ? "" : "-");
}

static bool comm_from_hex(char comm[RW_COMM_LEN], const char *hex)
{
	size_t n = strcmp(hex, "-") ? strlen(hex) : 0;
	unsigned int byte;

	if (n % 2 || n / 2 >= RW_COMM_LEN || strspn(hex, "0123456789abcdef") != n)
		return false;
	for (size_t i = 0; i < n / 2; i++) {
		if (sscanf(hex + 2 * i, "%2x", &byte) != 1 || !byte)
			return false;
		comm[i] = (char)byte;
	}
	comm[n / 2] = '\0';
	return true;
}

/* The adopters file beside `ages`, in buf (PATH_MAX). False if the path does not fit. */
static bool adopters_path(char buf[PATH_MAX], const char *ages)
{
	return snprintf(buf, PATH_MAX, "%s%s", ages, ADOPTERS_SUFFIX) < PATH_MAX;
}

/* Each line of the file `path` to `line`, until one it cannot read (false). */
static void read_lines(struct zombie_census *c, const char *path,
		       bool (*line)(struct zombie_census *c, const char *text))
{
	char *text = NULL;
	size_t cap = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return;
	while (getline(&text, &cap, f) > 0 && line(c, text))
		;
	free(text);
	fclose(f);
}

/* Ages an ended agent left: a line's zombie must be in the census with the same start. */
static bool age_from_line(struct zombie_census *c, const char *text)
{
	unsigned long long ticks, since;
	unsigned int pid;
	struct zombie *z;

	if (sscanf(text, "%u %llu %llu", &pid, &ticks, &since) != 3)
		return false;
	z = census_zombie(c, pid, ticks);
	if (z && since)
		note_age(z, since);
	return true;
}

/* Whom they were orphaned by (ADOPTERS_SUFFIX): a line counts only while the zombie's parent is
 * still the adopter it names (adopted again since, by a subreaper's death, it is not). */
static bool adopter_from_line(struct zombie_census *c, const char *text)
{
	char hex[RW_COMM_LEN * 2 + 2], comm[RW_COMM_LEN];
	unsigned int pid, parent, adopted_from;
	unsigned long long ticks;
	struct zombie *z;

	if (sscanf(text, "%u %llu %u %u %33s", &pid, &ticks, &parent, &adopted_from, hex) != 5)
		return false;
	z = census_zombie(c, pid, ticks);
	if (z && z->stat.ppid == parent && adopted_from && comm_from_hex(comm, hex))
		note_adopter(z, adopted_from, comm);
	return true;
}

size_t zombie_census__add_ages(struct zombie_census *census, const char *ages)
{
	char adopters[PATH_MAX];
	size_t known = 0;

	if (!census->count) { /* no zombie to give an age (and census->zombies is NULL) */
		/* but what dead agents left goes all the same: on the host, where no zombie
		 * means none (one in another pid namespace sees only its own) */
		if (census->host_pidns == INIT_PIDNS_INO)
			pins_sweep();
		return 0;
	}
	qsort(census->zombies, census->count, sizeof(*census->zombies), zombie_cmp_pid);
	index_by_ns(census);
	pins_for_each_agent(add_ages_from_agent, census, &census->stale_pins);
	free(census->by_ns);
	census->by_ns = NULL;
	if (ages) {
		read_lines(census, ages, age_from_line);
		if (adopters_path(adopters, ages))
			read_lines(census, adopters, adopter_from_line);
	}
	for (size_t i = 0; i < census->count; i++)
		known += census->zombies[i].age_known;
	return known;
}

/* Replace `path` with what `line` writes for each zombie (a temporary file, renamed). */
static int save_lines(const struct zombie_census *census, const char *path,
		      void (*line)(FILE *f, const struct zombie *z))
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, err = 0;
	FILE *f;

	if (!slash || (size_t)(slash - path) >= sizeof(dir))
		return -EINVAL;
	memcpy(dir, path, slash - path);
	dir[slash - path] = '\0';
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	/* (each agent its own temporary file; the last rename wins, and holds everything the
	 * census knew, the other agents' too) */
	if (snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, slash + 1) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	f = rw_fdopen_tmp(fd, tmp, &err);
	if (!f)
		return err;
	for (size_t i = 0; i < census->count; i++)
		line(f, &census->zombies[i]);
	if (fflush(f) || ferror(f))
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

static void age_line(FILE *f, const struct zombie *z)
{
	if (z->age_known)
		fprintf(f, "%u %llu %llu\n", (unsigned int)z->stat.pid,
			(unsigned long long)z->stat.start_ticks, (unsigned long long)z->zombie_mono_ns);
}

static void adopter_line(FILE *f, const struct zombie *z)
{
	char hex[RW_COMM_LEN * 2 + 1];

	if (!z->adopted_from_pid)
		return;
	comm_to_hex(hex, z->adopted_from_comm);
	fprintf(f, "%u %llu %u %u %s\n", (unsigned int)z->stat.pid,
		(unsigned long long)z->stat.start_ticks, (unsigned int)z->stat.ppid,
		(unsigned int)z->adopted_from_pid, hex);
}

int zombie_census__save_ages(const struct zombie_census *census, const char *ages)
{
	char adopters[PATH_MAX];
	int err = save_lines(census, ages, age_line);

	if (!adopters_path(adopters, ages))
		return err ?: -ENAMETOOLONG;
	return err ?: save_lines(census, adopters, adopter_line);
}

void zombie_census__retire_stale_pins(struct zombie_census *census, const char *ages)
{
	if (census->host_pidns != INIT_PIDNS_INO || !census->stale_pins)
		return;
	if (!zombie_census__save_ages(census, ages))
		pins_sweep();
}

/* --- Kubernetes names ------------------------------------------------------------------- */

struct census_name {
	char id[CONTAINER_ID_MAX + 1];
	bool found;
	bool pod_asked; /* its pod's log directory looked for (once: a read of the whole dir) */
	struct kube_names names;
};

struct census_names {
	size_t count;
	struct census_name by_id[]; /* sorted by id */
};

static int id_ptr_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int census_name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct census_name *)a)->id, ((const struct census_name *)b)->id);
}

static struct census_name *census_name_of(struct census_names *names, const char *id)
{
	struct census_name key;

	if (!id[0])
		return NULL;
	snprintf(key.id, sizeof(key.id), "%s", id);
	return bsearch(&key, names->by_id, names->count, sizeof(key), census_name_cmp);
}

/* The distinct container ids of the zombies and their parents, sorted; NULL if none. */
static struct census_names *distinct_containers(const struct zombie_census *census)
{
	const char **ids = calloc(census->count * 2 + 1, sizeof(*ids));
	struct census_names *names = NULL;
	size_t n = 0, distinct = 0;

	if (!ids)
		return NULL;
	for (size_t i = 0; i < census->count; i++) {
		if (census->zombies[i].container_id[0])
			ids[n++] = census->zombies[i].container_id;
		if (census->zombies[i].parent_container_id[0])
			ids[n++] = census->zombies[i].parent_container_id;
	}
	qsort(ids, n, sizeof(*ids), id_ptr_cmp);
	for (size_t i = 0; i < n; i++)
		if (!i || strcmp(ids[i], ids[i - 1]))
			ids[distinct++] = ids[i];
	if (distinct && (names = calloc(1, sizeof(*names) + distinct * sizeof(names->by_id[0])))) {
		names->count = distinct;
		for (size_t i = 0; i < distinct; i++)
			snprintf(names->by_id[i].id, sizeof(names->by_id[i].id), "%s", ids[i]);
	}
	free(ids);
	return names;
}

/* A container without a log link: its pod's names from the pod's log directory (once). */
static void ask_pod_dir(struct census_name *cn, const char *pods_dir, const char *uid)
{
	if (cn && !cn->found && !cn->pod_asked && uid[0]) {
		cn->pod_asked = true;
		cn->found = kube_pod_names_lookup(pods_dir, uid, &cn->names);
	}
}

void zombie_census__label_names(struct zombie_census *census, const char *log_dir,
				const char *pods_dir)
{
	struct census_names *names;
	struct kube_index *index;

	if (census->names || !(names = distinct_containers(census)))
		return;
	census->names = names;
	index = kube_index__new(log_dir);
	for (size_t i = 0; i < names->count; i++)
		names->by_id[i].found =
			kube_index__find(index, names->by_id[i].id, &names->by_id[i].names);
	/* Not linked (yet): the pod's names, by the pod uid of the zombie's or parent's cgroup. */
	for (size_t i = 0; i < census->count; i++) {
		struct zombie *z = &census->zombies[i];

		ask_pod_dir(census_name_of(names, z->container_id), pods_dir, z->pod_uid);
		ask_pod_dir(census_name_of(names, z->parent_container_id), pods_dir,
			    z->parent_pod_uid);
	}
	kube_index__free(index);
	for (size_t i = 0; i < census->count; i++) {
		struct zombie *z = &census->zombies[i];
		struct census_name *cn = census_name_of(names, z->container_id);
		struct census_name *pn = census_name_of(names, z->parent_container_id);

		z->names = cn && cn->found ? &cn->names : NULL;
		z->parent_names = pn && pn->found ? &pn->names : NULL;
	}
}

void zombie_census__free(struct zombie_census *census)
{
	if (!census)
		return;
	free(census->names);
	free(census->zombies);
	free(census);
}

void zombie_census__label_subreapers(struct zombie_census *census, struct subreapers *subreapers)
{
	uint32_t *tgids = NULL;
	long n = subreapers ? subreapers__list(subreapers, &tgids) : 0;

	for (size_t i = 0; n > 0 && i < census->count; i++)
		census->zombies[i].parent_is_subreaper =
			subreapers_has(tgids, n, census->zombies[i].stat.ppid);
	free(tgids);
}
