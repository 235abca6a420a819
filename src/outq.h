/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A command's output, written by a thread of its own, so that a reader that stalls (a
 * pipe nobody drains, a terminal on hold) does not stop the agent from draining the
 * kernel's ring buffer: the renderers write into memory, outq__flush() hands that to the
 * writer, and only when a bounded backlog is full is output dropped, which the caller
 * counts and says. Without it the ring fills behind a blocked write() and the kernel
 * drops events instead, of every kind.
 */
#ifndef REAPWATCH_OUTQ_H
#define REAPWATCH_OUTQ_H

#include <stddef.h>
#include <stdio.h>

struct outq;

/* Output to fd, with at most max_bytes waiting for it. -errno on failure. */
int outq__new(struct outq **out, int fd, size_t max_bytes);
/* Where the renderers write; a new stream after each outq__flush(). */
FILE *outq__file(struct outq *q);
/*
 * Hand what was written since the last flush to the writer. 0 if it was queued (or there
 * was nothing); 1 if the backlog is full and it was dropped; -errno once a write has
 * failed (-EPIPE: the reader went away), after which nothing more is written.
 */
int outq__flush(struct outq *q);
/* Flush, wait until everything queued is written (or a write failed), stop the writer
 * and free. The first write error as -errno, else 0. */
int outq__free(struct outq *q);

#endif /* REAPWATCH_OUTQ_H */
