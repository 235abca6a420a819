// SPDX-License-Identifier: GPL-2.0
/* The subreaper list (subreapers.h): bpf/subreapers.bpf.c's task iterator, loaded once, run at
 * each list. */
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

struct subreapers {
	struct subreapers_bpf *skel;
	struct bpf_link *link;
};

struct subreapers *subreapers__new(void)
{
	struct subreapers *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return NULL;
	s->skel = subreapers_bpf__open_and_load();
	if (s->skel)
		s->link = bpf_program__attach_iter(s->skel->progs.list_subreapers, NULL);
	if (!s->link) {
		err = errno;
		subreapers__free(s);
		errno = err;
		return NULL;
	}
	return s;
}

void subreapers__free(struct subreapers *s)
{
	if (!s)
		return;
	bpf_link__destroy(s->link);
	subreapers_bpf__destroy(s->skel);
	free(s);
}

long subreapers__list(struct subreapers *s, uint32_t **tgids)
{
	uint32_t *list = NULL;
	size_t n = 0, cap = 0;
	long ret;
	FILE *f = NULL;
	int fd;
	unsigned int tgid;

	*tgids = NULL;
	/* Each read of a new iterator file runs the program over every task once. */
	fd = bpf_iter_create(bpf_link__fd(s->link));
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "r");
	if (!f) {
		ret = -errno;
		close(fd);
		return ret;
	}
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
	fclose(f);
	return ret;
}

int subreapers_has(const uint32_t *tgids, long n, uint32_t tgid)
{
	return n > 0 && bsearch(&tgid, tgids, (size_t)n, sizeof(*tgids), cmp_u32) != NULL;
}
