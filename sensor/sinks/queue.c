// SPDX-License-Identifier: LGPL-2.1-or-later
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "queue.h"

int ng_queue_init(struct ng_queue *q, size_t max_n, size_t max_bytes)
{
	memset(q, 0, sizeof(*q));
	q->max_n = max_n;
	q->max_bytes = max_bytes;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	/* Timed waits must not jump with wall-clock changes. */
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	int r = pthread_cond_init(&q->nonempty, &ca);
	pthread_condattr_destroy(&ca);
	if (r)
		return -r;
	r = pthread_mutex_init(&q->mu, NULL);
	if (r) {
		pthread_cond_destroy(&q->nonempty);
		return -r;
	}
	return 0;
}

size_t ng_queue_destroy(struct ng_queue *q)
{
	size_t n = 0;
	for (struct ng_rec *r = q->head, *next; r; r = next) {
		next = r->next;
		free(r);
		n++;
	}
	q->head = q->tail = NULL;
	pthread_cond_destroy(&q->nonempty);
	pthread_mutex_destroy(&q->mu);
	return n;
}

int ng_queue_push(struct ng_queue *q, const void *data, size_t len, uint64_t seq)
{
	int r = 0;
	pthread_mutex_lock(&q->mu);
	if (q->closing)
		r = -ESHUTDOWN;
	else if (q->n >= q->max_n || q->bytes + len > q->max_bytes)
		r = -ENOBUFS;
	pthread_mutex_unlock(&q->mu);
	if (r)
		return r;

	/* Allocate outside the lock so the writer is never held up by malloc. */
	struct ng_rec *rec = malloc(sizeof(*rec) + len);
	if (!rec)
		return -ENOMEM;
	rec->next = NULL;
	rec->seq = seq;
	rec->len = len;
	memcpy(rec->data, data, len);

	pthread_mutex_lock(&q->mu);
	/* Re-check: only one thread pushes at a time (the sinks' emit lock), but the queue may have
	 * closed. */
	if (q->closing || q->n >= q->max_n || q->bytes + len > q->max_bytes) {
		r = q->closing ? -ESHUTDOWN : -ENOBUFS;
		pthread_mutex_unlock(&q->mu);
		free(rec);
		return r;
	}
	if (q->tail)
		q->tail->next = rec;
	else
		q->head = rec;
	q->tail = rec;
	q->n++;
	q->bytes += len;
	pthread_cond_signal(&q->nonempty);
	pthread_mutex_unlock(&q->mu);
	return 0;
}

struct ng_rec *ng_queue_pop(struct ng_queue *q, int timeout_ms)
{
	struct timespec until;
	if (timeout_ms >= 0) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += timeout_ms / 1000;
		until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
	}
	pthread_mutex_lock(&q->mu);
	while (!q->head && !q->closing) {
		if (timeout_ms < 0) {
			pthread_cond_wait(&q->nonempty, &q->mu);
		} else if (pthread_cond_timedwait(&q->nonempty, &q->mu, &until) == ETIMEDOUT) {
			break;
		}
	}
	struct ng_rec *r = q->head;
	if (r) {
		q->head = r->next;
		if (!q->head)
			q->tail = NULL;
		q->n--;
		q->bytes -= r->len;
		r->next = NULL;
	}
	pthread_mutex_unlock(&q->mu);
	return r;
}

struct ng_rec *ng_queue_pop_many(struct ng_queue *q, int timeout_ms, size_t max_bytes,
				 size_t *nrec)
{
	struct ng_rec *first = ng_queue_pop(q, timeout_ms);
	*nrec = first ? 1 : 0;
	if (!first)
		return NULL;

	/* Detach the run that fits, then copy it outside the lock. */
	pthread_mutex_lock(&q->mu);
	size_t total = first->len, n = 0;
	struct ng_rec *last = NULL;
	for (struct ng_rec *r = q->head; r && total + r->len <= max_bytes; r = r->next) {
		total += r->len;
		last = r;
		n++;
	}
	struct ng_rec *run = NULL;
	if (n) {
		run = q->head;
		q->head = last->next;
		if (!q->head)
			q->tail = NULL;
		q->n -= n;
		q->bytes -= total - first->len;
		last->next = NULL;
	}
	pthread_mutex_unlock(&q->mu);
	if (!run)
		return first;

	struct ng_rec *m = malloc(sizeof(*m) + total);
	if (!m) {
		/* Out of memory: put the run back and go on one record at a time, losing none. */
		pthread_mutex_lock(&q->mu);
		last->next = q->head;
		q->head = run;
		if (!q->tail)
			q->tail = last;
		q->n += n;
		q->bytes += total - first->len;
		pthread_mutex_unlock(&q->mu);
		return first;
	}
	m->next = NULL;
	m->seq = first->seq;
	memcpy(m->data, first->data, first->len);
	m->len = first->len;
	free(first);
	for (struct ng_rec *r = run, *next; r; r = next) {
		next = r->next;
		memcpy(m->data + m->len, r->data, r->len);
		m->len += r->len;
		if (r->seq)
			m->seq = r->seq;
		free(r);
	}
	*nrec = n + 1;
	return m;
}

void ng_queue_unpop(struct ng_queue *q, struct ng_rec *r)
{
	pthread_mutex_lock(&q->mu);
	r->next = q->head;
	q->head = r;
	if (!q->tail)
		q->tail = r;
	q->n++;
	q->bytes += r->len;
	pthread_mutex_unlock(&q->mu);
}

void ng_queue_close(struct ng_queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->closing = true;
	pthread_cond_broadcast(&q->nonempty);
	pthread_mutex_unlock(&q->mu);
}

size_t ng_queue_len(struct ng_queue *q)
{
	pthread_mutex_lock(&q->mu);
	size_t n = q->n;
	pthread_mutex_unlock(&q->mu);
	return n;
}
