// SPDX-License-Identifier: GPL-2.0
/* Kubernetes names (kube.h): the kubelet log name and pod directory parsers, one-off lookups
 * and the index of a whole log directory. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kube.h"

static const char *dir_from_env(const char *name, const char *fallback)
{
	const char *dir = getenv(name);

	return dir && dir[0] ? dir : fallback;
}

const char *kube_log_dir(void)
{
	return dir_from_env("REAPWATCH_KUBELET_LOG_DIR", KUBELET_LOG_DIR);
}

const char *kube_pods_dir(void)
{
	return dir_from_env("REAPWATCH_KUBELET_PODS_DIR", KUBELET_PODS_DIR);
}

/* A DNS-1123 name as Kubernetes allows for pods (subdomain), namespaces and containers. */
static bool dns_name(const char *s, size_t n)
{
	if (n == 0 || n > KUBE_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-' ||
		      s[i] == '.'))
			return false;
	return true;
}

bool kubelet_log_name_parse(const char *name, struct kube_names *names,
			    char id[CONTAINER_ID_MAX + 1])
{
	const char *us1 = strchr(name, '_'), *us2, *dash, *end;
	size_t len = strlen(name);

	memset(names, 0, sizeof(*names));
	id[0] = '\0';
	if (!us1 || len < 4 + CONTAINER_ID_MAX + 1 || strcmp(name + len - 4, ".log"))
		return false;
	us2 = strchr(us1 + 1, '_');
	end = name + len - 4;		      /* at ".log" */
	dash = end - CONTAINER_ID_MAX - 1;    /* at "-<id>" */
	if (!us2 || us2 >= dash || *dash != '-' || strchr(us2 + 1, '_'))
		return false;
	for (const char *c = dash + 1; c < end; c++)
		if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f')))
			return false;
	if (!dns_name(name, (size_t)(us1 - name)) || !dns_name(us1 + 1, (size_t)(us2 - us1 - 1)) ||
	    !dns_name(us2 + 1, (size_t)(dash - us2 - 1)))
		return false;
	memcpy(names->pod, name, (size_t)(us1 - name));
	memcpy(names->namespace, us1 + 1, (size_t)(us2 - us1 - 1));
	memcpy(names->container, us2 + 1, (size_t)(dash - us2 - 1));
	memcpy(id, dash + 1, CONTAINER_ID_MAX);
	id[CONTAINER_ID_MAX] = '\0';
	return true;
}

/*
 * The names in the first entry of `dir` whose name ends in `suffix` and that `parse` reads as
 * `key`'s (a suffix could also end a longer key, or a name parse refuses).
 */
static bool dir_find(const char *dir, const char *suffix, const char *key,
		     bool (*parse)(const char *name, struct kube_names *names, char *key),
		     struct kube_names *names)
{
	char found_key[CONTAINER_ID_MAX + 1]; /* (the longer of a container id and a pod uid) */
	_Static_assert(POD_UID_MAX <= CONTAINER_ID_MAX, "found_key holds a pod uid too");
	size_t slen = strlen(suffix);
	struct dirent *de;
	bool found = false;
	DIR *d = opendir(dir);

	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (n > slen && !strcmp(de->d_name + n - slen, suffix))
			found = parse(de->d_name, names, found_key) && !strcmp(found_key, key);
	}
	closedir(d);
	if (!found)
		memset(names, 0, sizeof(*names));
	return found;
}

bool kube_names_lookup(const char *dir, const char *id, struct kube_names *names)
{
	char suffix[CONTAINER_ID_MAX + 8];

	if (strlen(id) != CONTAINER_ID_MAX)
		return false;
	snprintf(suffix, sizeof(suffix), "-%s.log", id);
	return dir_find(dir, suffix, id, kubelet_log_name_parse, names);
}

/* A pod uid as the kubelet writes it: lowercase hex and dashes (8-4-4-4-12 from the API
 * server; 32 hex digits for a static pod's, a hash of its manifest). */
static bool pod_uid(const char *s, size_t n)
{
	if (n == 0 || n > POD_UID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'f') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

bool kubelet_pod_dir_parse(const char *name, struct kube_names *names, char uid[POD_UID_MAX + 1])
{
	const char *us1 = strchr(name, '_'), *us2 = us1 ? strchr(us1 + 1, '_') : NULL;
	size_t len = strlen(name);

	memset(names, 0, sizeof(*names));
	uid[0] = '\0';
	if (!us2 || strchr(us2 + 1, '_') || !dns_name(name, (size_t)(us1 - name)) ||
	    !dns_name(us1 + 1, (size_t)(us2 - us1 - 1)) ||
	    !pod_uid(us2 + 1, (size_t)(name + len - us2 - 1)))
		return false;
	memcpy(names->namespace, name, (size_t)(us1 - name));
	memcpy(names->pod, us1 + 1, (size_t)(us2 - us1 - 1));
	memcpy(uid, us2 + 1, (size_t)(name + len - us2 - 1));
	uid[name + len - us2 - 1] = '\0';
	return true;
}

bool kube_pod_names_lookup(const char *dir, const char *uid, struct kube_names *names)
{
	char suffix[POD_UID_MAX + 2];

	if (!uid[0] || strlen(uid) > POD_UID_MAX)
		return false;
	snprintf(suffix, sizeof(suffix), "_%s", uid);
	return dir_find(dir, suffix, uid, kubelet_pod_dir_parse, names);
}

struct kube_entry {
	char id[CONTAINER_ID_MAX + 1];
	struct kube_names names;
};

struct kube_index {
	struct kube_entry *entries; /* sorted by id */
	size_t n;
};

static int by_id(const void *a, const void *b)
{
	return strcmp(((const struct kube_entry *)a)->id, ((const struct kube_entry *)b)->id);
}

struct kube_index *kube_index__new(const char *dir)
{
	struct kube_index *index = calloc(1, sizeof(*index));
	size_t cap = 0;
	struct dirent *de;
	DIR *d;

	if (!index)
		return NULL;
	d = opendir(dir);
	if (!d) {
		free(index);
		return NULL;
	}
	while ((de = readdir(d))) {
		struct kube_entry e;

		if (!kubelet_log_name_parse(de->d_name, &e.names, e.id))
			continue;
		if (index->n == cap) {
			size_t grown_cap = cap ? cap * 2 : 16;
			struct kube_entry *grown = realloc(index->entries, grown_cap * sizeof(*grown));

			if (!grown)
				break;
			index->entries = grown;
			cap = grown_cap;
		}
		index->entries[index->n++] = e;
	}
	closedir(d);
	if (index->n)
		qsort(index->entries, index->n, sizeof(*index->entries), by_id);
	return index;
}

bool kube_index__find(const struct kube_index *index, const char *id, struct kube_names *names)
{
	const struct kube_entry *e;
	struct kube_entry key;

	if (!index || !index->n || strlen(id) != CONTAINER_ID_MAX)
		return false;
	memcpy(key.id, id, CONTAINER_ID_MAX + 1);
	e = bsearch(&key, index->entries, index->n, sizeof(*index->entries), by_id);
	if (!e)
		return false;
	*names = e->names;
	return true;
}

void kube_index__free(struct kube_index *index)
{
	if (index)
		free(index->entries);
	free(index);
}
