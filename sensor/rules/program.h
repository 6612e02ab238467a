/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The evaluable form of a condition. The tree of cond.h is compiled once into
 * nodes that carry everything evaluation needs inline: the field's offset
 * and presence bit, the operator specialised by type, numbers already
 * converted, string constants with their lengths (and lower-cased for
 * icontains), `in` sets sorted for binary search, flag and node sets as bit
 * masks. `and`/`or` chains become one n-ary node. Evaluation reads the event
 * and these nodes only: no allocation, no string parsing.
 */
#ifndef NUMAGUARD_RULES_PROGRAM_H
#define NUMAGUARD_RULES_PROGRAM_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"
#include "cond.h"
#include "event.h"

struct ng_prog;

/*
 * Comparisons shared between rules (the same macro in twenty rules) are
 * evaluated once per event: compiling gives each distinct comparison a memo
 * slot, and evaluation records results under the event's generation number.
 */
struct ng_prog_set;
struct ng_memo_field {
	uint32_t stamp; /* gen when len (and hash, if hashed) were worked out */
	uint32_t len;
	uint64_t hash;
	bool hashed;
};
struct ng_memo {
	uint32_t gen;    /* bumped per event; slot results with another stamp are stale */
	uint32_t *stamp; /* per slot */
	uint8_t *val;
	uint32_t n;
	struct ng_memo_field field[NG_F__COUNT]; /* string lengths and hashes, per event */
};

struct ng_prog_set *ng_prog_set_new(struct ng_arena *a);
/* NULL when out of memory. */
const struct ng_prog *ng_prog_compile(struct ng_prog_set *set, const struct ng_node *root);
/* Memo storage for every program compiled in set; 0 or -ENOMEM. */
int ng_prog_memo_init(struct ng_arena *a, const struct ng_prog_set *set, struct ng_memo *m);
/* Start a new event: earlier results no longer apply. */
static inline void ng_memo_next(struct ng_memo *m)
{
	if (++m->gen == 0) {
		/* After 2^32 events the stamps could collide: clear them once. */
		for (uint32_t i = 0; i < m->n; i++)
			m->stamp[i] = 0;
		for (unsigned f = 0; f < NG_F__COUNT; f++)
			m->field[f].stamp = 0;
		m->gen = 1;
	}
}
bool ng_prog_eval(const struct ng_prog *p, const struct ng_event *e, struct ng_memo *m);

/*
 * Several programs evaluated as one, in order: ng_chain_eval() stores in
 * matched the positions (in progs) of the programs that accept, in order,
 * and returns how many. matched needs room for n.
 */
struct ng_chain;
const struct ng_chain *ng_chain_build(struct ng_prog_set *set, const struct ng_prog *const *progs,
				      uint32_t n);
uint32_t ng_chain_eval(const struct ng_chain *c, const struct ng_event *e, struct ng_memo *m,
		       uint32_t *matched);

/*
 * Rule index (the counterpart of Falco's per-event-type rule buckets): events
 * fall into a few hundred classes by the values of evt.syscall, evt.res,
 * evt.errno, evt.blocked and mpol.mode, and for each class the rules that
 * cannot match any event of that class are known at load time. Classes hold
 * every value where all their events agree (e.g. res = 0, errno "EINVAL") and
 * "other" where they do not; comparisons are judged only where the class
 * decides them, so the index never drops a rule that could match.
 */
#define NG_INDEX_CLASSES (3 * 3 * 5 * 3 * 9)
unsigned ng_index_class(const struct ng_event *e);
/*
 * Whether a condition can be true for some event of class c: false only when
 * the comparisons the class decides make it false (three-valued evaluation).
 */
bool ng_index_may_match(struct ng_arena *a, const struct ng_node *root, unsigned c);

/*
 * A program for events of class c only, with the comparisons the class
 * decides folded to constants. Classes
 * with equal signatures get identical programs, so a rule needs one program
 * per distinct signature, not per class. A signature is not available (false)
 * for a rule with more than 58 decided comparisons: use the generic program.
 */
const struct ng_prog *ng_prog_compile_class(struct ng_prog_set *set, const struct ng_node *root,
					    unsigned c);
bool ng_index_signature(struct ng_prog_set *set, const struct ng_node *root, unsigned c,
			uint64_t *sig);
/* The program can never accept (its condition is false for the whole class). */
bool ng_prog_never(const struct ng_prog *p);

/* Glob match used for the glob operator: *, ?, [set], [!set], [a-z], backslash escapes. */
bool ng_glob_match(const char *pat, size_t plen, const char *s, size_t slen);

#endif
