/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which processes are child subreapers now: bpf/subreapers.bpf.c's task iterator, loaded once
 * (libbpf's parse of the kernel's BTF and the load take ~60 ms of CPU) and run at each list:
 * `reapwatch zombies` lists once, `export --log-events` whenever a zombie line is due.
 */
#ifndef REAPWATCH_SUBREAPERS_H
#define REAPWATCH_SUBREAPERS_H

#include <stddef.h>
#include <stdint.h>

struct subreapers;

/* The iterator loaded; NULL with errno set (e.g. no CAP_BPF, no task iterator before 5.8). */
struct subreapers *subreapers__new(void);
/* Sorted tgids into *tgids (caller frees). Count, or -errno. */
long subreapers__list(struct subreapers *s, uint32_t **tgids);
void subreapers__free(struct subreapers *s);
/* Is tgid in the sorted list? */
int subreapers_has(const uint32_t *tgids, long n, uint32_t tgid);

#endif /* REAPWATCH_SUBREAPERS_H */
