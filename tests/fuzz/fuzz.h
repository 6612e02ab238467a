/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers shared by the libFuzzer targets. Targets keep no state between
 * inputs: everything an input allocates is freed before it returns, so
 * LeakSanitizer reports only the code under test and a crash replays from its
 * input file alone.
 */
#ifndef NUMAGUARD_FUZZ_H
#define NUMAGUARD_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "sinks/format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Report a broken invariant with the offending bytes and abort (libFuzzer saves the input). */
__attribute__((noreturn, format(printf, 1, 2))) void fz_fail(const char *fmt, ...);

/* A heap copy of data[0..size) with a NUL after it; aborts when out of memory. */
char *fz_cstr(const uint8_t *data, size_t size);

/*
 * Put the bytes in an anonymous memory file and return its descriptor, with
 * "/proc/self/fd/N" in path: loaders that only take a path read the exact
 * bytes (NULs included) without touching the disk.
 */
int fz_memfd(const uint8_t *data, size_t size, char *path, size_t pathlen);

/*
 * Strict UTF-8 check (RFC 3629: no overlong forms, surrogates or code points
 * above U+10FFFF). Written independently of the sensor's text.c on purpose:
 * an oracle that shared the code under test would agree with its bugs.
 */
bool fz_utf8_valid(const char *s, size_t n);

/* Reads an input as a sequence of small typed values, then NUL-separated strings. */
struct fz_in {
	const uint8_t *p;
	size_t n;
};
uint8_t fz_u8(struct fz_in *in);
uint64_t fz_u64(struct fz_in *in);
/* The next string up to a NUL (or the end); *len is its length. Never NULL. */
const char *fz_str(struct fz_in *in, size_t *len);

/*
 * An alert built from an input for the output formatters: every string a
 * process, a rule file or the configuration controls (the hostname too)
 * comes from the input, as do the numbers and the size limit.
 */
#define FZ_ALERT_STRS 12
struct fz_alert {
	struct ng_event e;
	struct ng_alert a;
	struct ng_fmt_ctx c;
	struct ng_fmt_kv extra[2];
	const char *tags[3];
	enum ng_field_id fields[4];
	char *strs[FZ_ALERT_STRS];
};
void fz_alert_init(struct fz_alert *fa, const uint8_t *data, size_t size);
void fz_alert_free(struct fz_alert *fa);

#endif
