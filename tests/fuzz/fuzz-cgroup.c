// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Cgroup path → container identity. Beyond memory safety, two properties a
 * process in a delegated cgroup could otherwise abuse: the result is always
 * well formed, and once a path names a container, nothing nested below it
 * (the part the container controls) changes the answer.
 */
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "fuzz.h"

/* What a hostile container would name its own sub-cgroup. */
static const char forged[] =
	"/docker-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.scope";

static void well_formed(const struct ng_container *c, const char *path)
{
	if (!memchr(c->id, '\0', sizeof(c->id)) || !memchr(c->pod_uid, '\0', sizeof(c->pod_uid)))
		fz_fail("unterminated id or pod uid for %s", path);
	if (c->runtime >= NG_RUNTIME__MAX)
		fz_fail("runtime %d out of range for %s", (int)c->runtime, path);
	if ((c->runtime == NG_RUNTIME_HOST) != (strcmp(c->id, "host") == 0))
		fz_fail("runtime %d with id '%s' for %s", (int)c->runtime, c->id, path);
	bool hex_id = c->runtime == NG_RUNTIME_DOCKER || c->runtime == NG_RUNTIME_CONTAINERD ||
		      c->runtime == NG_RUNTIME_CRIO || c->runtime == NG_RUNTIME_PODMAN;
	if (hex_id && c->id[0] &&
	    (strlen(c->id) != 64 || strspn(c->id, "0123456789abcdef") != 64))
		fz_fail("runtime %d with a malformed id '%s' for %s", (int)c->runtime, c->id, path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *path = fz_cstr(data, size);
	struct ng_container c, nested;
	int r = ng_cgroup_parse(path, &c);
	well_formed(&c, path);
	if (r != 0 && (c.runtime != NG_RUNTIME_UNKNOWN || c.id[0]))
		fz_fail("refused path %s is not reported as unknown", path);

	if (r == 0 && c.runtime != NG_RUNTIME_HOST && c.runtime != NG_RUNTIME_UNKNOWN && c.id[0]) {
		size_t n = strlen(path);
		char *deeper = malloc(n + sizeof(forged));
		if (!deeper)
			abort();
		memcpy(deeper, path, n);
		memcpy(deeper + n, forged, sizeof(forged));
		if (ng_cgroup_parse(deeper, &nested) != 0)
			fz_fail("a nested cgroup of %s was refused", path);
		well_formed(&nested, deeper);
		if (nested.runtime != c.runtime || strcmp(nested.id, c.id) != 0 ||
		    strcmp(nested.pod_uid, c.pod_uid) != 0)
			fz_fail("a nested cgroup changed the identity: %s (%d %s) → (%d %s)", path,
				(int)c.runtime, c.id, (int)nested.runtime, nested.id);
		free(deeper);
	}
	free(path);
	return 0;
}
