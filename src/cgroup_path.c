// SPDX-License-Identifier: GPL-2.0
/* Container ids and pod UIDs in cgroup path strings (cgroup_path.h): the runtimes' naming
 * rules, and nothing else. */
#include <stddef.h>
#include <string.h>

#include "cgroup_path.h"
#include "escape.h"

#define UID_LEN 36
#define STATIC_UID_LEN 32

/* Path components are not NUL-terminated: each is a pointer and a length into the path. */
struct comp {
	const char *s;
	size_t n;
};

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool is_hex64(const char *s, size_t n)
{
	if (n != CONTAINER_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!is_hex_digit(s[i]))
			return false;
	}
	return true;
}

static bool has_prefix(struct comp c, const char *prefix)
{
	size_t n = strlen(prefix);

	return c.n >= n && memcmp(c.s, prefix, n) == 0;
}

static bool has_suffix(struct comp c, const char *suffix)
{
	size_t n = strlen(suffix);

	return c.n >= n && memcmp(c.s + c.n - n, suffix, n) == 0;
}

/* Step to the component before *c (or the last one if c->s is NULL); false at the start. */
static bool prev_comp(const char *path, size_t len, struct comp *c)
{
	size_t end = c->s ? (size_t)(c->s - path) : len;
	size_t start;

	/* Skip the separator(s) before the current component, and trailing or doubled slashes. */
	while (end > 0 && path[end - 1] == '/')
		end--;
	if (end == 0)
		return false;
	start = end;
	while (start > 0 && path[start - 1] != '/')
		start--;
	c->s = path + start;
	c->n = end - start;
	return true;
}

/* Where the 64-hex id is in one component, or NULL. */
static const char *comp_container_id(struct comp c)
{
	/* systemd driver: "<runtime>-<id>.scope"; crio-conmon- and libpod-conmon- do not match. */
	static const char *const scope_prefixes[] = {
	    "docker-", "cri-containerd-", "crio-", "libpod-", "runc-",
	};
	/* containerd's systemd driver outside a systemd tree: "<slice>:<runtime>:<id>" */
	static const char *const colon_tags[] = {
	    ":cri-containerd:",
	    ":crio:",
	    ":docker:",
	};
	const size_t scope_len = strlen(".scope");

	if (is_hex64(c.s, c.n))
		return c.s;
	if (has_suffix(c, ".scope")) {
		for (size_t i = 0; i < sizeof(scope_prefixes) / sizeof(scope_prefixes[0]); i++) {
			size_t plen = strlen(scope_prefixes[i]);

			if (c.n == plen + CONTAINER_ID_MAX + scope_len &&
			    has_prefix(c, scope_prefixes[i]) &&
			    is_hex64(c.s + plen, CONTAINER_ID_MAX))
				return c.s + plen;
		}
	}
	if (c.n > CONTAINER_ID_MAX) {
		struct comp head = {c.s, c.n - CONTAINER_ID_MAX};
		const char *id = c.s + head.n;

		for (size_t i = 0; i < sizeof(colon_tags) / sizeof(colon_tags[0]); i++) {
			if (has_suffix(head, colon_tags[i]) && is_hex64(id, CONTAINER_ID_MAX))
				return id;
		}
	}
	return NULL;
}

bool cgroup_path_container_id(const char *path, char id[CONTAINER_ID_MAX + 1])
{
	size_t len = strlen(path);
	struct comp c = {NULL, 0};

	while (prev_comp(path, len, &c)) {
		const char *hex = comp_container_id(c);

		if (hex) {
			for (int i = 0; i < CONTAINER_ID_MAX; i++)
				id[i] = lower(hex[i]);
			id[CONTAINER_ID_MAX] = '\0';
			return true;
		}
	}
	id[0] = '\0';
	return false;
}

/*
 * Copy a UID of 8-4-4-4-12 hex digits, whose separators are sep, as lowercase with dashes; or a
 * static pod's 32 hex digits, lowercased.
 */
static bool copy_uid(const char *s, size_t n, char sep, char uid[POD_UID_MAX + 1])
{
	/* A static pod's uid: the kubelet's hash of its manifest, 32 hex digits and no dashes. */
	if (n == STATIC_UID_LEN) {
		for (size_t i = 0; i < n; i++) {
			if (!is_hex_digit(s[i]))
				return false;
			uid[i] = lower(s[i]);
		}
		uid[n] = '\0';
		return true;
	}
	if (n != UID_LEN)
		return false;
	for (size_t i = 0; i < UID_LEN; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != sep : !is_hex_digit(s[i]))
			return false;
	}
	for (size_t i = 0; i < UID_LEN; i++)
		uid[i] = s[i] == sep ? '-' : lower(s[i]);
	uid[UID_LEN] = '\0';
	return true;
}

static bool comp_pod_uid(struct comp c, char uid[POD_UID_MAX + 1])
{
	static const char *const slice_prefixes[] = {
	    "kubepods-pod",
	    "kubepods-burstable-pod",
	    "kubepods-besteffort-pod",
	};
	const char *colon = memchr(c.s, ':', c.n);
	const size_t slice_len = strlen(".slice");

	/* "kubepods-...-pod<uid>.slice:cri-containerd:<id>" names the pod slice before the ':'. */
	if (colon)
		c.n = (size_t)(colon - c.s);
	if (has_prefix(c, "pod"))
		return copy_uid(c.s + 3, c.n - 3, '-', uid);
	if (!has_suffix(c, ".slice"))
		return false;
	for (size_t i = 0; i < sizeof(slice_prefixes) / sizeof(slice_prefixes[0]); i++) {
		size_t plen = strlen(slice_prefixes[i]);

		if (c.n >= plen + slice_len && has_prefix(c, slice_prefixes[i]))
			return copy_uid(c.s + plen, c.n - plen - slice_len, '_', uid);
	}
	return false;
}

bool cgroup_path_is_pod(const char *path)
{
	char uid[POD_UID_MAX + 1];
	struct comp c = {NULL, 0};

	/* (not "<pod slice>:<runtime>:<id>", a container's name for runc's systemd driver) */
	return prev_comp(path, strlen(path), &c) && !memchr(c.s, ':', c.n) && comp_pod_uid(c, uid);
}

bool cgroup_path_pod_uid(const char *path, char uid[POD_UID_MAX + 1])
{
	size_t len = strlen(path);
	struct comp c = {NULL, 0};

	while (prev_comp(path, len, &c)) {
		if (comp_pod_uid(c, uid))
			return true;
	}
	uid[0] = '\0';
	return false;
}
