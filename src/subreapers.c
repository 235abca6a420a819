// SPDX-License-Identifier: GPL-2.0
/* The subreaper list (subreapers.h): runs bpf/subreapers.bpf.c's task iterator once. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "subreapers.skel.h"
#include "subreapers.h"

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

long subreapers_list(uint32_t **tgids)
{
	struct subreapers_bpf *skel;
	struct bpf_link *link = NULL;
	uint32_t *list = NULL;
	size_t n = 0, cap = 0;
	long ret;
	FILE *f = NULL;
	int fd = -1;
	unsigned int tgid;

	*tgids = NULL;
	skel = subreapers_bpf__open_and_load();
	if (!skel)
		return -errno;
	link = bpf_program__attach_iter(skel->progs.list_subreapers, NULL);
	if (!link) {
		ret = -errno;
		goto out;
	}
	fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0 || !(f = fdopen(fd, "r"))) {
		ret = -errno;
		goto out;
	}
	fd = -1; /* the FILE owns it */
	while (fscanf(f, "%u", &tgid) == 1) {
		if (n == cap) {
			uint32_t *grown = realloc(list, (cap = cap ? cap * 2 : 16) * sizeof(*list));

			if (!grown) {
				ret = -ENOMEM;
				goto out;
			}
			list = grown;
		}
		list[n++] = tgid;
	}
	if (n) /* list is NULL when there are none, and qsort() may not be given NULL */
		qsort(list, n, sizeof(*list), cmp_u32);
	*tgids = list;
	list = NULL;
	ret = (long)n;
out:
	free(list);
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	bpf_link__destroy(link);
	subreapers_bpf__destroy(skel);
	return ret;
}

int subreapers_has(const uint32_t *tgids, long n, uint32_t tgid)
{
	return n > 0 && bsearch(&tgid, tgids, (size_t)n, sizeof(*tgids), cmp_u32) != NULL;
}
