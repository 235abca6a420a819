// SPDX-License-Identifier: GPL-2.0
/* The output queue (outq.h): memory streams handed to a writer thread in order. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "outq.h"

/* How long outq__free() waits for a stalled reader to take what is queued. */
#define DRAIN_AT_EXIT_MS 2000

struct chunk {
	struct chunk *next;
	size_t len;
	char *buf;
};

struct outq {
	int fd;
	size_t max_bytes;
	FILE *mem; /* what the renderers write to, until the next flush */
	char *mem_buf;
	size_t mem_len;

	pthread_t writer;
	pthread_mutex_t lock;
	pthread_cond_t wake; /* the writer: a chunk came, or stop */
	pthread_cond_t idle; /* outq__free(): the writer has finished */
	struct chunk *head, *tail;
	size_t queued_bytes;
	bool stopping;	/* write what is queued, then end */
	bool finished;	/* the writer has ended */
	bool abandon;	/* (atomic) end now: the reader has stalled past the exit's wait */
	int err;	/* the first write's failure, -errno */
};

/*
 * All of buf, in pieces of at most PIPE_BUF bytes, each once poll() says the fd takes one
 * (a pipe then has room for it: the write does not block), so that the writer can notice
 * `abandon` while a reader stalls.
 */
static int write_all(struct outq *q, const char *buf, size_t len)
{
	while (len) {
		struct pollfd pfd = { .fd = q->fd, .events = POLLOUT };
		size_t piece = len < PIPE_BUF ? len : PIPE_BUF;
		ssize_t n;

		if (__atomic_load_n(&q->abandon, __ATOMIC_RELAXED))
			return -ETIMEDOUT;
		n = poll(&pfd, 1, 100);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n <= 0)
			continue;
		n = write(q->fd, buf, piece);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static void *writer_main(void *arg)
{
	struct outq *q = arg;

	pthread_mutex_lock(&q->lock);
	for (;;) {
		struct chunk *c;
		bool failed;
		int err = 0;

		while (!q->head && !q->stopping)
			pthread_cond_wait(&q->wake, &q->lock);
		c = q->head;
		if (!c)
			break;
		q->head = c->next;
		if (!q->head)
			q->tail = NULL;
		failed = q->err != 0;
		pthread_mutex_unlock(&q->lock);

		if (!failed) /* after a failure, the rest is dropped */
			err = write_all(q, c->buf, c->len);

		pthread_mutex_lock(&q->lock);
		q->queued_bytes -= c->len;
		if (err && !q->err)
			q->err = err;
		free(c->buf);
		free(c);
	}
	q->finished = true;
	pthread_cond_broadcast(&q->idle);
	pthread_mutex_unlock(&q->lock);
	return NULL;
}

static int open_mem(struct outq *q)
{
	q->mem_buf = NULL;
	q->mem_len = 0;
	q->mem = open_memstream(&q->mem_buf, &q->mem_len);
	return q->mem ? 0 : -errno;
}

int outq__new(struct outq **out, int fd, size_t max_bytes)
{
	struct outq *q = calloc(1, sizeof(*q));
	int err;

	if (!q)
		return -ENOMEM;
	q->fd = fd;
	q->max_bytes = max_bytes;
	err = open_mem(q);
	if (err) {
		free(q);
		return err;
	}
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->wake, NULL);
	{
		pthread_condattr_t attr;

		pthread_condattr_init(&attr);
		pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
		pthread_cond_init(&q->idle, &attr);
		pthread_condattr_destroy(&attr);
	}
	err = -pthread_create(&q->writer, NULL, writer_main, q);
	if (err) {
		fclose(q->mem);
		free(q->mem_buf);
		free(q);
		return err;
	}
	*out = q;
	return 0;
}

FILE *outq__file(struct outq *q)
{
	return q->mem;
}

int outq__flush(struct outq *q)
{
	struct chunk *c;
	int err, ret = 0;

	if (fclose(q->mem)) /* (a memory stream fails only for memory) */
		return -ENOMEM;
	q->mem = NULL;
	if (q->mem_len == 0) {
		free(q->mem_buf);
		/* nothing new, but a write of what was queued before may have failed since */
		pthread_mutex_lock(&q->lock);
		ret = q->err;
		pthread_mutex_unlock(&q->lock);
	} else {
		c = malloc(sizeof(*c));
		pthread_mutex_lock(&q->lock);
		if (q->err) {
			ret = q->err;
		} else if (!c || q->queued_bytes + q->mem_len > q->max_bytes) {
			ret = 1;
		} else {
			*c = (struct chunk){ .len = q->mem_len, .buf = q->mem_buf };
			if (q->tail)
				q->tail->next = c;
			else
				q->head = c;
			q->tail = c;
			q->queued_bytes += c->len;
			c = NULL;
			q->mem_buf = NULL;
			pthread_cond_signal(&q->wake);
		}
		pthread_mutex_unlock(&q->lock);
		free(c);
		free(q->mem_buf);
	}
	err = open_mem(q);
	return err ? err : ret;
}

int outq__free(struct outq *q)
{
	struct timespec until;
	int err;

	if (!q)
		return 0;
	if (q->mem)
		outq__flush(q);
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += DRAIN_AT_EXIT_MS / 1000;
	until.tv_nsec += (long)(DRAIN_AT_EXIT_MS % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&q->lock);
	q->stopping = true;
	pthread_cond_signal(&q->wake);
	while (!q->finished) {
		if (pthread_cond_timedwait(&q->idle, &q->lock, &until) == ETIMEDOUT) {
			/* a reader that takes nothing: what is still queued is not written */
			__atomic_store_n(&q->abandon, true, __ATOMIC_RELAXED);
			break;
		}
	}
	pthread_mutex_unlock(&q->lock);
	pthread_join(q->writer, NULL);
	err = q->err;
	if (q->mem)
		fclose(q->mem);
	free(q->mem_buf);
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->wake);
	pthread_cond_destroy(&q->idle);
	free(q);
	return err;
}
