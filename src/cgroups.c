// SPDX-License-Identifier: GPL-2.0
/*
 * The cgroup cache (cgroups.h): owns the open cgroup2 mount, the id -> path, container and
 * Kubernetes names table, and every read of cgroupfs (paths by handle, liveness, pids.*).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cgroup_path.h"
#include "cgroups.h"
#include "kube.h"
#include "util.h"

/* Distinct cgroups remembered; past this the cache starts over (ids never repeat). */
#define CACHE_SLOTS 16384
#define CACHE_MAX_FILL (CACHE_SLOTS / 4 * 3)
/* include/linux/exportfs.h: kernfs (and so cgroupfs) file handles are the node id. */
#define FILEID_KERNFS 0xfe

/* Look again for Kubernetes names, or for a runtime's state that names the container, this
 * long after a miss (the kubelet may be late; a runtime may take over a cgroup made before). */
#define KUBE_RETRY_NS 5000000000ull

struct cgroup_entry {
	struct cgroup_info info;
	struct cgroup_entry *retired_next; /* on cache->retired: replaced, freed at the next clear */
	struct kube_names *names; /* a container's, once found */
	uint64_t names_tried_ns; /* last lookup that found no log link, 0 if found */
	unsigned int names_misses; /* lookups that found none: the next waits longer */
	uint64_t id_tried_ns;	 /* the same for a runtime's container name (runtime_container_id()) */
	char path[];
};

struct cgroup_cache {
	int mount_fd;		    /* the cgroup2 mount, -1 if none */
	char mountpoint[PATH_MAX];  /* as our mount namespace sees it */
	struct cgroup_entry *slots[CACHE_SLOTS];
	unsigned int used;
	struct cgroup_entry *retired; /* entries replaced since the last clear (handed out before) */
	struct cgroup_info unknown; /* id 0 */
	const char *kube_log_dir;  /* the kubelet's log links (kube.h) */
	const char *kube_pods_dir; /* and its pods' log directories */
	struct kube_index *walk_names; /* the kubelet's log dir, read once per walk */
	/* Containers' cgroups learned and not handed out yet (cgroup_cache__take_new_containers()):
	 * apart from the table, which starts over when full (a node's many host cgroups fill it
	 * in the walk at start already). */
	uint64_t *fresh;
	size_t nfresh, fresh_cap;
};

/* At most this many cgroups wait to be handed out; more are dropped (a container's series
 * then come with its first fork or exit). Bounded for the commands that never take them
 * (trace, zombies): 512 KiB at most. */
#define FRESH_MAX (1u << 16)

static void note_fresh(struct cgroup_cache *cache, uint64_t id)
{
	if (cache->nfresh == cache->fresh_cap) {
		size_t cap = cache->fresh_cap ? cache->fresh_cap * 2 : 64;
		uint64_t *grown;

		if (cap > FRESH_MAX || !(grown = realloc(cache->fresh, cap * sizeof(*grown))))
			return;
		cache->fresh = grown;
		cache->fresh_cap = cap;
	}
	cache->fresh[cache->nfresh++] = id;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape_octal(char *s)
{
	char *out = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 4;
		} else {
			*out++ = *s++;
		}
	}
	*out = '\0';
}

/* The first cgroup2 mount: /sys/fs/cgroup on a unified host, .../unified on a hybrid one. */
int cgroup2_mountpoint(char *mountpoint, size_t len)
{
	char *line = NULL;
	size_t cap = 0;
	int ret = -ENOENT;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		char *sep = strstr(line, " - cgroup2 ");
		char *mp;
		int field = 0;

		if (!sep)
			continue;
		/* Field 5 is the mount point. */
		for (mp = line; *mp && field < 4; mp++)
			if (*mp == ' ')
				field++;
		mp[strcspn(mp, " ")] = '\0';
		unescape_octal(mp);
		snprintf(mountpoint, len, "%s", mp);
		ret = 0;
		break;
	}
	free(line);
	fclose(f);
	return ret;
}

static int64_t read_pids_file(const char *path)
{
	char buf[32];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (buf[0] < '0' || buf[0] > '9')
		return -1; /* "max": no limit */
	return strtoll(buf, NULL, 10);
}

void cgroup_pids_read(const char *path, int64_t *current, int64_t *max)
{
	static char v2[PATH_MAX];
	const char *roots[2];
	char file[PATH_MAX * 2];

	*current = *max = -1;
	if (!v2[0] && cgroup2_mountpoint(v2, sizeof(v2)))
		snprintf(v2, sizeof(v2), "/sys/fs/cgroup");
	roots[0] = v2;
	roots[1] = "/sys/fs/cgroup/pids";
	for (int i = 0; i < 2 && *current < 0; i++) {
		char up[PATH_MAX];
		char *slash;
		int64_t limit;

		snprintf(file, sizeof(file), "%s%s/pids.current", roots[i], path);
		*current = read_pids_file(file);
		if (*current < 0)
			continue;
		/* The limit that applies is the nearest one, from the container's own cgroup up:
		 * Kubernetes sets podPidsLimit on the pod's cgroup and leaves the container's at
		 * "max". Both gauges are that cgroup's (its pids.current counts the whole pod). Not
		 * above a pod's cgroup: the kubelet's limit on `kubepods` is the node's allocatable
		 * pids, shared by every pod (its PIDPressure), not one pod's. */
		snprintf(up, sizeof(up), "%s", path);
		for (;;) {
			snprintf(file, sizeof(file), "%s%s/pids.max", roots[i], up);
			if ((limit = read_pids_file(file)) >= 0) {
				if (strcmp(up, path)) { /* (its own pids.current is read already) */
					snprintf(file, sizeof(file), "%s%s/pids.current", roots[i], up);
					*current = read_pids_file(file);
				}
				*max = limit;
				break;
			}
			slash = strrchr(up, '/');
			if (!slash || slash == up || cgroup_path_is_pod(up))
				break; /* (no limit up to the root, or up to the pod) */
			*slash = '\0';
		}
		if (*current < 0) { /* (the limited cgroup went meanwhile) */
			snprintf(file, sizeof(file), "%s%s/pids.current", roots[i], path);
			*current = read_pids_file(file);
			*max = -1;
		}
	}
}

struct cgroup_cache *cgroup_cache__new(void)
{
	struct cgroup_cache *cache = calloc(1, sizeof(*cache));

	if (!cache)
		return NULL;
	cache->mount_fd = -1;
	cache->unknown.path = "";
	cache->kube_log_dir = kube_log_dir();
	cache->kube_pods_dir = kube_pods_dir();
	/* Without the v2 hierarchy mounted, only the paths cgroup_mkdir gives are known (on a
	 * cgroup v1 host, none: every task's v2 cgroup is the root, and v1's are not seen). */
	if (cgroup2_mountpoint(cache->mountpoint, sizeof(cache->mountpoint)))
		rw_error("feature off: containers: no cgroup v2 hierarchy is mounted: on a cgroup "
			 "v1 host no container is told apart, on a v2 host only those whose cgroup "
			 "is made while the agent runs");
	else if ((cache->mount_fd = open(cache->mountpoint,
					 O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		rw_error("feature off: containers: cannot open %s: %s", cache->mountpoint,
			 strerror(errno));
	return cache;
}

static void entry_free(struct cgroup_entry *e)
{
	if (e)
		free(e->names);
	free(e);
}

static void cache_clear(struct cgroup_cache *cache)
{
	for (unsigned int i = 0; i < CACHE_SLOTS; i++) {
		entry_free(cache->slots[i]);
		cache->slots[i] = NULL;
	}
	while (cache->retired) {
		struct cgroup_entry *e = cache->retired;

		cache->retired = e->retired_next;
		entry_free(e);
	}
	cache->used = 0;
}

void cgroup_cache__free(struct cgroup_cache *cache)
{
	if (!cache)
		return;
	cache_clear(cache);
	if (cache->mount_fd >= 0)
		close(cache->mount_fd);
	free(cache->fresh);
	free(cache);
}

static int open_cgroup(struct cgroup_cache *cache, uint64_t id)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} handle = { .fh = { .handle_bytes = sizeof(uint64_t), .handle_type = FILEID_KERNFS } };
	int fd;

	if (cache->mount_fd < 0)
		return -ENOENT;
	memcpy(handle.fh.f_handle, &id, sizeof(id));
	fd = open_by_handle_at(cache->mount_fd, &handle.fh, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

bool cgroup_cache__alive(struct cgroup_cache *cache, uint64_t id)
{
	int fd = open_cgroup(cache, id);

	if (fd < 0)
		return fd != -ESTALE && fd != -ENOENT;
	close(fd);
	return true;
}

/*
 * Open the cgroup directory by its id (open_by_handle_at() with a kernfs handle, as
 * the kernel's own cgroup_get_from_id() would find it) and read its path back from
 * /proc/self/fd. Needs CAP_DAC_READ_SEARCH, which the agent has as root.
 */
static int resolve_path(struct cgroup_cache *cache, uint64_t id, char *path, size_t len)
{
	char link[64], full[PATH_MAX];
	size_t mlen = strlen(cache->mountpoint);
	ssize_t n;
	int fd;

	fd = open_cgroup(cache, id);
	if (fd < 0)
		return fd;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, full, sizeof(full) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	full[n] = '\0';
	if (strncmp(full, cache->mountpoint, mlen) || (full[mlen] && full[mlen] != '/'))
		return -ENOENT; /* outside our view of the hierarchy */
	snprintf(path, len, "%s", full[mlen] ? full + mlen : "/");
	return 0;
}

static bool path_exists(const char *fmt, ...)
{
	char path[PATH_MAX];
	struct stat st;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	return n > 0 && (size_t)n < sizeof(path) && !stat(path, &st);
}

static bool runtime_id_chars(const char *s)
{
	for (; *s; s++)
		if (!(*s == '-' || *s == '_' || *s == '.' || (*s >= '0' && *s <= '9') ||
		      (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')))
			return false;
	return true;
}

/*
 * A plain `runc run NAME` puts the container in cgroup "/NAME" and containerd's ctr
 * in "/NAMESPACE/NAME": no 64-hex id to find. Accept the last component as the id
 * when a runtime keeps state for a container of that name.
 */
static void runtime_container_id(const char *path, char *id, size_t len)
{
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;
	const char *ns = path[0] == '/' ? path + 1 : path;
	bool found;

	if (!name[0] || strlen(name) >= len || !runtime_id_chars(name) || name[0] == '.')
		return;
	found = path_exists("/run/runc/%s", name) || path_exists("/run/crun/%s", name);
	/* (not a namespace named "..": a path from outside our cgroup namespace, "/../NAME") */
	if (!found && slash && slash > ns && ns[0] != '.' && !memchr(ns, '/', (size_t)(slash - ns)))
		found = path_exists("/run/containerd/runc/%.*s/%s", (int)(slash - ns), ns, name);
	if (found)
		snprintf(id, len, "%s", name);
}

bool cgroup_container_id(const char *path, char id[CONTAINER_ID_MAX + 1])
{
	if (cgroup_path_container_id(path, id))
		return true;
	runtime_container_id(path, id, CONTAINER_ID_MAX + 1);
	return id[0] != '\0';
}

/*
 * Pod, namespace and container names of a container, when the kubelet ran it: from its log
 * link. A container without one (a pod's sandbox, "pause", never has one; another's comes a
 * moment after it starts) gets its pod's and namespace's from the pod's log directory, by
 * the pod uid of its cgroup, and is asked again later for the whole set (names_retry_ns()).
 */
static void entry_find_names(struct cgroup_cache *cache, struct cgroup_entry *e)
{
	char uid[POD_UID_MAX + 1];
	struct kube_names names;
	bool found;

	if (!e->info.container_id[0] || (e->names && e->names->container[0]))
		return;
	/* In a walk of the whole hierarchy the directory was read once for all. */
	if (cache->walk_names)
		found = kube_index__find(cache->walk_names, e->info.container_id, &names);
	else
		found = kube_names_lookup(cache->kube_log_dir, e->info.container_id, &names);
	if (found || (!e->names && cgroup_path_pod_uid(e->path, uid) &&
		      kube_pod_names_lookup(cache->kube_pods_dir, uid, &names))) {
		if (!e->names)
			e->names = malloc(sizeof(*e->names));
		if (e->names) {
			*e->names = names;
			e->info.pod = e->names->pod;
			e->info.namespace = e->names->namespace;
			e->info.container = e->names->container;
		}
	}
	if (!found || !e->names) {
		e->names_tried_ns = mono_now_ns();
		e->names_misses++;
		return;
	}
	e->names_tried_ns = 0;
}

/* known_path: what the kernel side said at the cgroup's mkdir; NULL: look it up now. */
static struct cgroup_entry *entry_new(struct cgroup_cache *cache, uint64_t id,
				      const char *known_path)
{
	char path[PATH_MAX] = "";
	struct cgroup_entry *e;
	size_t plen;

	if (known_path)
		snprintf(path, sizeof(path), "%s", known_path);
	else
		resolve_path(cache, id, path, sizeof(path));
	plen = strlen(path);
	e = calloc(1, sizeof(*e) + plen + 1);
	if (!e)
		return NULL;
	memcpy(e->path, path, plen + 1);
	e->info.id = id;
	e->info.path = e->path;
	if (plen && !cgroup_container_id(path, e->info.container_id))
		e->id_tried_ns = mono_now_ns();
	if (e->info.container_id[0])
		note_fresh(cache, id);
	entry_find_names(cache, e);
	return e;
}

/* A cgroup with no container id when first seen, looked at again: a runtime may have started a
 * container in it since (runc, crun or containerd's state then names it). */
static void entry_find_id(struct cgroup_cache *cache, struct cgroup_entry *e)
{
	runtime_container_id(e->path, e->info.container_id, sizeof(e->info.container_id));
	if (!e->info.container_id[0]) {
		e->id_tried_ns = mono_now_ns();
		return;
	}
	e->id_tried_ns = 0;
	note_fresh(cache, e->info.id);
	entry_find_names(cache, e);
}

/*
 * How long after a miss a container's names are looked for again: KUBE_RETRY_NS, doubled at
 * each miss up to 64 times that (5 min 20 s). A pod's sandbox ("pause") container never gets
 * a log link, and the model asks for every container without a container name at each
 * interval: each ask reads the kubelet's whole directory.
 */
static uint64_t names_retry_ns(const struct cgroup_entry *e)
{
	unsigned int doublings = e->names_misses > 1 ? e->names_misses - 1 : 0;

	return KUBE_RETRY_NS << (doublings < 6 ? doublings : 6);
}

static unsigned int slot_of(uint64_t id)
{
	id ^= id >> 33;
	id *= 0xff51afd7ed558ccdULL;
	id ^= id >> 33;
	return (unsigned int)id & (CACHE_SLOTS - 1);
}

static const struct cgroup_info *insert(struct cgroup_cache *cache, unsigned int i, uint64_t id,
				       const char *known_path)
{
	if (cache->used >= CACHE_MAX_FILL) {
		cache_clear(cache);
		for (i = slot_of(id); cache->slots[i]; i = (i + 1) & (CACHE_SLOTS - 1))
			;
	}
	cache->slots[i] = entry_new(cache, id, known_path);
	if (!cache->slots[i])
		return &cache->unknown;
	cache->used++;
	return &cache->slots[i]->info;
}

/* The slot holding id, or the empty slot where it would go. */
static unsigned int find_slot(const struct cgroup_cache *cache, uint64_t id)
{
	unsigned int i;

	for (i = slot_of(id); cache->slots[i]; i = (i + 1) & (CACHE_SLOTS - 1))
		if (cache->slots[i]->info.id == id)
			break;
	return i;
}

const struct cgroup_info *cgroup_cache__lookup(struct cgroup_cache *cache, uint64_t id)
{
	struct cgroup_entry *e;
	unsigned int i;

	if (!id)
		return &cache->unknown;
	i = find_slot(cache, id);
	e = cache->slots[i];
	if (!e)
		return insert(cache, i, id, NULL);
	if (e->names_tried_ns || e->id_tried_ns) {
		uint64_t now = mono_now_ns();

		if (e->names_tried_ns && now - e->names_tried_ns > names_retry_ns(e))
			entry_find_names(cache, e);
		if (e->id_tried_ns && now - e->id_tried_ns > KUBE_RETRY_NS)
			entry_find_id(cache, e);
	}
	return &e->info;
}

/* nftw() has no context argument: the cache being filled by cgroup_cache__scan(). */
static struct cgroup_cache *scanning;

static int learn_dir(const char *fpath, const struct stat *sb, int type, struct FTW *ftw)
{
	size_t mlen = strlen(scanning->mountpoint);

	if (type != FTW_D || strncmp(fpath, scanning->mountpoint, mlen))
		return 0;
	/* A cgroup v2 directory's inode number is its kernfs id, the id tasks report. */
	cgroup_cache__learn(scanning, (uint64_t)sb->st_ino, fpath[mlen] ? fpath + mlen : "/");
	return 0;
}

void cgroup_cache__scan(struct cgroup_cache *cache)
{
	if (cache->mount_fd < 0)
		return;
	scanning = cache;
	cache->walk_names = kube_index__new(cache->kube_log_dir);
	nftw(cache->mountpoint, learn_dir, 16, FTW_PHYS | FTW_MOUNT);
	kube_index__free(cache->walk_names);
	cache->walk_names = NULL;
	scanning = NULL;
}

void cgroup_cache__learn(struct cgroup_cache *cache, uint64_t id, const char *path)
{
	unsigned int i;

	if (!id || !path[0])
		return;
	i = find_slot(cache, id);
	if (cache->slots[i]) {
		if (cache->slots[i]->path[0])
			return; /* already known; the path of an id never changes but by rename */
		/* A lookup came first and found nothing: the mkdir knows better. Entries
		 * are handed out by pointer, so the old one stays valid until a clear. */
		cache->slots[i]->retired_next = cache->retired;
		cache->retired = cache->slots[i];
		cache->slots[i] = entry_new(cache, id, path);
		if (!cache->slots[i])
			cache->used--;
		return;
	}
	insert(cache, i, id, path);
}

void cgroup_cache__take_new_containers(struct cgroup_cache *cache,
				       void (*fn)(void *arg, const struct cgroup_info *cg),
				       void *arg)
{
	uint64_t *ids = cache->fresh;
	size_t n = cache->nfresh;

	/* (taken first: a lookup below that makes its entry anew, after the table started
	 * over, notes it again, for the next call: fn takes a container twice in stride) */
	cache->fresh = NULL;
	cache->nfresh = cache->fresh_cap = 0;
	for (size_t i = 0; i < n; i++) {
		const struct cgroup_info *cg = cgroup_cache__lookup(cache, ids[i]);

		if (cg->container_id[0])
			fn(arg, cg);
	}
	free(ids);
}

void cgroup_cache__forget(struct cgroup_cache *cache, uint64_t id)
{
	unsigned int i = find_slot(cache, id), j;

	if (!id || !cache->slots[i])
		return;
	entry_free(cache->slots[i]);
	cache->slots[i] = NULL;
	cache->used--;
	/* Linear probing: move back what probed past the hole. */
	for (j = (i + 1) & (CACHE_SLOTS - 1); cache->slots[j]; j = (j + 1) & (CACHE_SLOTS - 1)) {
		unsigned int k = slot_of(cache->slots[j]->info.id);

		if (i <= j ? (k > i && k <= j) : (k > i || k <= j))
			continue;
		cache->slots[i] = cache->slots[j];
		cache->slots[j] = NULL;
		i = j;
	}
}
