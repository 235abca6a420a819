/* SPDX-License-Identifier: GPL-2.0 */
/* Which processes are child subreapers now: bpf/subreapers.bpf.c's task iterator. */
#ifndef REAPWATCH_SUBREAPERS_H
#define REAPWATCH_SUBREAPERS_H

#include <stddef.h>
#include <stdint.h>

/* Sorted tgids into *tgids (caller frees). Count, or -errno (e.g. no CAP_BPF). */
long subreapers_list(uint32_t **tgids);
/* Is tgid in the sorted list? */
int subreapers_has(const uint32_t *tgids, long n, uint32_t tgid);

#endif /* REAPWATCH_SUBREAPERS_H */
