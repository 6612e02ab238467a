/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A bounded queue of formatted records between the emitting thread and one
 * sink's writer thread. Bounded by record count and by bytes; when full, the
 * record being pushed is refused (drop newest) and the caller counts it.
 */
#ifndef NUMAGUARD_SINKS_QUEUE_H
#define NUMAGUARD_SINKS_QUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ng_rec {
	struct ng_rec *next;
	uint64_t seq; /* alert seq, 0 for event lines */
	size_t len;
	char data[];
};

struct ng_queue {
	pthread_mutex_t mu;
	pthread_cond_t nonempty;
	struct ng_rec *head, *tail;
	size_t n, bytes;
	size_t max_n, max_bytes;
	bool closing; /* no more pushes; the writer drains and exits */
};

int ng_queue_init(struct ng_queue *q, size_t max_n, size_t max_bytes);
/* Free every record still queued; returns how many there were. */
size_t ng_queue_destroy(struct ng_queue *q);

/*
 * Copy data into a new record and append it. Returns 0, -ENOBUFS when the
 * queue is full, -ENOMEM, or -ESHUTDOWN after ng_queue_close().
 */
int ng_queue_push(struct ng_queue *q, const void *data, size_t len, uint64_t seq);

/*
 * Take the oldest record, waiting up to timeout_ms (-1 = until a record
 * arrives or the queue is closed). Returns NULL on timeout or when closed
 * and empty. The caller frees the record.
 */
struct ng_rec *ng_queue_pop(struct ng_queue *q, int timeout_ms);

/*
 * Like ng_queue_pop(), but takes as many of the oldest records as fit in
 * max_bytes and returns them concatenated as one record; *nrec says how
 * many. For byte-stream sinks (files, stdout) one write then carries a whole
 * batch: a write per record cannot keep up with a burst of events.
 */
struct ng_rec *ng_queue_pop_many(struct ng_queue *q, int timeout_ms, size_t max_bytes,
				 size_t *nrec);

/* Put a record back at the head (a writer giving up before sending it). */
void ng_queue_unpop(struct ng_queue *q, struct ng_rec *r);

void ng_queue_close(struct ng_queue *q);
size_t ng_queue_len(struct ng_queue *q);

#endif
