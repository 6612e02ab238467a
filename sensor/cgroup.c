// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Cgroup path → container identity. The path is walked one segment at a time
 * from the root; the first segment that a runtime creates decides, and the
 * walk stops there. Below that segment the container (when its cgroup is
 * delegated) names cgroups freely, so nothing deeper may change the answer.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "cgroup.h"

struct seg {
	const char *p;
	size_t n;
};

static bool seg_eq(struct seg s, const char *lit)
{
	size_t n = strlen(lit);
	return s.n == n && memcmp(s.p, lit, n) == 0;
}

static bool seg_prefix(struct seg s, const char *lit)
{
	size_t n = strlen(lit);
	return s.n >= n && memcmp(s.p, lit, n) == 0;
}

static bool seg_suffix(struct seg s, const char *lit)
{
	size_t n = strlen(lit);
	return s.n >= n && memcmp(s.p + s.n - n, lit, n) == 0;
}

/* Drop n bytes from the front. */
static struct seg seg_skip(struct seg s, size_t n)
{
	return (struct seg){ s.p + n, s.n - n };
}

/* Drop a suffix if present. */
static struct seg seg_chop(struct seg s, const char *suffix)
{
	if (seg_suffix(s, suffix))
		s.n -= strlen(suffix);
	return s;
}

static bool is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/*
 * Runtimes write ids as exactly 64 lowercase hex digits; anything else
 * (uppercase, 63 or 65 digits) is not what a runtime made and is refused.
 */
static bool is_hex64(struct seg s)
{
	if (s.n != 64)
		return false;
	for (size_t i = 0; i < s.n; i++)
		if (!is_lower_hex(s.p[i]))
			return false;
	return true;
}

static void set_id(struct ng_container *out, enum ng_runtime rt, struct seg id)
{
	out->runtime = rt;
	/* Callers validate ids to at most 64 bytes; the bound here is a second line. */
	if (id.n >= sizeof(out->id))
		id.n = 0;
	memcpy(out->id, id.p, id.n);
	out->id[id.n] = '\0';
}

/*
 * Kubernetes pod uid: a UUID (8-4-4-4-12) or, for static pods, the 32-hex
 * hash kubelet uses. The systemd driver writes '-' as '_' because '-' is the
 * slice hierarchy separator; normalise back so both drivers agree.
 */
static bool parse_pod_uid(struct seg s, char out[NG_POD_UID_LEN])
{
	char u[NG_POD_UID_LEN];

	if (s.n != 36 && s.n != 32)
		return false;
	for (size_t i = 0; i < s.n; i++) {
		char c = s.p[i] == '_' ? '-' : s.p[i];
		bool dash_pos = s.n == 36 && (i == 8 || i == 13 || i == 18 || i == 23);
		if (dash_pos ? c != '-' : !is_lower_hex(c))
			return false;
		u[i] = c;
	}
	u[s.n] = '\0';
	memcpy(out, u, s.n + 1);
	return true;
}

struct walk {
	struct seg parent; /* previous non-empty segment, or {NULL, 0} at the root */
	bool kube;         /* under kubelet's kubepods hierarchy */
	bool pod;          /* under a pod cgroup (pod uid taken) */
};

/* "kubepods[-<qos>]-pod<uid_with_underscores>.slice": the systemd driver's pod cgroup. */
static bool pod_slice(struct seg s, char pod_uid[NG_POD_UID_LEN])
{
	struct seg t, last;
	const char *dash;

	if (!seg_prefix(s, "kubepods-") || !seg_suffix(s, ".slice"))
		return false;
	t = seg_chop(s, ".slice");
	dash = t.p + t.n;
	while (dash > t.p && dash[-1] != '-')
		dash--;
	last = (struct seg){ dash, (size_t)(t.p + t.n - dash) };
	return seg_prefix(last, "pod") && parse_pod_uid(seg_skip(last, 3), pod_uid);
}

/*
 * "<slice>:<runtime>:<64hex>" as ONE directory name: the systemd-style
 * cgroupsPath a CRI runtime hands to runc, used literally by runc's cgroupfs
 * manager when the systemd driver is off (containerd without SystemdCgroup).
 */
static bool colon_form(struct walk *w, struct seg s, struct ng_container *out)
{
	const char *c1 = memchr(s.p, ':', s.n), *c2;
	struct seg slice, rt, id;
	enum ng_runtime r = NG_RUNTIME_UNKNOWN;

	if (!c1)
		return false;
	c2 = memchr(c1 + 1, ':', (size_t)(s.p + s.n - c1 - 1));
	if (!c2)
		return false;
	slice = (struct seg){ s.p, (size_t)(c1 - s.p) };
	rt = (struct seg){ c1 + 1, (size_t)(c2 - c1 - 1) };
	id = (struct seg){ c2 + 1, (size_t)(s.p + s.n - c2 - 1) };
	if (!is_hex64(id))
		return false;
	if (seg_eq(rt, "cri-containerd"))
		r = NG_RUNTIME_CONTAINERD;
	else if (seg_eq(rt, "crio"))
		r = NG_RUNTIME_CRIO;
	else if (seg_eq(rt, "docker"))
		r = NG_RUNTIME_DOCKER;
	if (!w->pod && pod_slice(slice, out->pod_uid))
		w->pod = true;
	set_id(out, r, id);
	return true;
}

/* Characters allowed in lxc and nspawn container names (hostname-like, plus a few). */
static bool name_char_ok(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.' || c == ':' || c == '@' || c == '+';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Copy a container name into out, undoing systemd's unit-name escaping
 * ("\x2d" for '-') when `unescape`. Returns false (out = "") when the name is
 * empty, too long for container.id, holds characters no runtime allows, or is
 * "host".
 */
static bool copy_name(struct seg s, bool unescape, char out[NG_CONTAINER_ID_LEN])
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < s.n; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if (unescape && c == '\\' && i + 3 < s.n && s.p[i + 1] == 'x') {
			int hi = hexval(s.p[i + 2]), lo = hexval(s.p[i + 3]);
			if (hi < 0 || lo < 0) {
				out[0] = '\0';
				return false;
			}
			c = (unsigned char)(hi << 4 | lo);
			i += 3;
		}
		if (!name_char_ok(c) || o + 1 >= NG_CONTAINER_ID_LEN) {
			out[0] = '\0';
			return false;
		}
		out[o++] = (char)c;
	}
	out[o] = '\0';
	/* container.id "host" means a host process: a container named so would pass for one. */
	if (strcmp(out, "host") == 0)
		out[0] = '\0';
	return out[0] != '\0';
}

enum verdict {
	V_NONE,      /* not a runtime segment: keep walking */
	V_CONTAINER, /* a container: stop */
	V_HOST,      /* a runtime's monitor process (conmon, lxc monitor, qemu): stop, host */
};

/* "<prefix><64hex>", plus ".scope" from the systemd driver (cgroupfs has none). */
static bool prefixed_hex(struct seg s, const char *prefix, struct seg *id)
{
	if (!seg_prefix(s, prefix))
		return false;
	*id = seg_chop(seg_skip(s, strlen(prefix)), ".scope");
	return is_hex64(*id);
}

static const struct {
	const char *prefix;
	enum ng_runtime rt;
} hex_prefixes[] = {
	{ "docker-", NG_RUNTIME_DOCKER },
	{ "cri-containerd-", NG_RUNTIME_CONTAINERD },
	{ "nerdctl-", NG_RUNTIME_CONTAINERD },
	{ "crio-", NG_RUNTIME_CRIO },
	{ "libpod-", NG_RUNTIME_PODMAN },
};

/* Monitors sit next to their container in the same parent and run in host namespaces. */
static const char *const monitor_prefixes[] = { "crio-conmon-", "libpod-conmon-" };

static enum verdict classify(struct walk *w, struct seg s, struct ng_container *out)
{
	struct seg id;
	char name[NG_CONTAINER_ID_LEN];

	for (size_t i = 0; i < sizeof(monitor_prefixes) / sizeof(monitor_prefixes[0]); i++)
		if (prefixed_hex(s, monitor_prefixes[i], &id))
			return V_HOST;
	for (size_t i = 0; i < sizeof(hex_prefixes) / sizeof(hex_prefixes[0]); i++) {
		if (prefixed_hex(s, hex_prefixes[i].prefix, &id)) {
			set_id(out, hex_prefixes[i].rt, id);
			return V_CONTAINER;
		}
	}

	if (colon_form(w, s, out))
		return V_CONTAINER;

	/*
	 * A bare 64-hex segment: Docker's cgroupfs driver under /docker, ctr
	 * under its namespace's directory (/default), or a CRI runtime's
	 * cgroupfs driver under a kubepods pod. Since dockershim left
	 * Kubernetes (1.24) the CRI runtime naming containers this way is
	 * containerd (CRI-O prefixes "crio-"). Elsewhere the runtime is unknown.
	 */
	if (is_hex64(s)) {
		enum ng_runtime rt = NG_RUNTIME_UNKNOWN;
		if (seg_eq(w->parent, "docker"))
			rt = NG_RUNTIME_DOCKER;
		else if (seg_eq(w->parent, "default"))
			rt = NG_RUNTIME_CONTAINERD;
		else if (w->pod)
			rt = NG_RUNTIME_CONTAINERD;
		set_id(out, rt, s);
		return V_CONTAINER;
	}

	/* LXC: cgroupfs "/lxc/<name>" (LXC < 4, LXD), "lxc.payload.<name>" since LXC 4. */
	if (seg_eq(w->parent, "lxc")) {
		out->runtime = NG_RUNTIME_LXC;
		copy_name(s, false, out->id);
		return V_CONTAINER;
	}
	if (seg_prefix(s, "lxc.payload.")) {
		out->runtime = NG_RUNTIME_LXC;
		copy_name(seg_skip(s, strlen("lxc.payload.")), false, out->id);
		return V_CONTAINER;
	}
	if (seg_prefix(s, "lxc.monitor."))
		return V_HOST;

	/* systemd-machined registrations live directly under machine.slice. */
	if (seg_eq(w->parent, "machine.slice")) {
		if (seg_prefix(s, "systemd-nspawn@") && seg_suffix(s, ".service")) {
			out->runtime = NG_RUNTIME_NSPAWN;
			struct seg m = seg_skip(s, strlen("systemd-nspawn@"));
			copy_name(seg_chop(m, ".service"), true, out->id);
			return V_CONTAINER;
		}
		if (seg_prefix(s, "machine-") && seg_suffix(s, ".scope")) {
			struct seg m = seg_chop(seg_skip(s, strlen("machine-")), ".scope");
			/*
			 * libvirt registers its guests here too: a "qemu-…"
			 * machine is the host-side qemu process of a VM, an
			 * "lxc-…" machine a libvirt-lxc container.
			 */
			if (!copy_name(m, true, name)) {
				out->runtime = NG_RUNTIME_NSPAWN;
				out->id[0] = '\0';
				return V_CONTAINER;
			}
			if (strncmp(name, "qemu-", 5) == 0)
				return V_HOST;
			out->runtime =
				strncmp(name, "lxc-", 4) == 0 ? NG_RUNTIME_LXC : NG_RUNTIME_NSPAWN;
			memcpy(out->id, name, sizeof(name));
			return V_CONTAINER;
		}
	}

	/* Kubernetes: "/kubepods[/qos]/pod<uid>/…" or the systemd slice form. */
	if (seg_eq(s, "kubepods") || (seg_prefix(s, "kubepods") && seg_suffix(s, ".slice"))) {
		w->kube = true;
		if (!w->pod && pod_slice(s, out->pod_uid))
			w->pod = true;
		return V_NONE;
	}
	if (w->kube && !w->pod && seg_prefix(s, "pod") &&
	    parse_pod_uid(seg_skip(s, 3), out->pod_uid)) {
		w->pod = true;
		return V_NONE;
	}
	return V_NONE;
}

static void set_unknown(struct ng_container *out)
{
	out->id[0] = '\0';
	out->runtime = NG_RUNTIME_UNKNOWN;
	out->pod_uid[0] = '\0';
}

int ng_cgroup_parse(const char *path, struct ng_container *out)
{
	struct walk w = { 0 };
	size_t len;

	memset(out, 0, sizeof(*out));
	set_unknown(out);
	if (!path || path[0] != '/')
		return -EINVAL;
	len = strnlen(path, NG_CGROUP_PARSE_MAX + 1);
	if (len > NG_CGROUP_PARSE_MAX)
		return -E2BIG;

	for (size_t i = 0; i < len;) {
		struct seg s;
		size_t j = i;

		while (j < len && path[j] != '/')
			j++;
		s = (struct seg){ path + i, j - i };
		i = j + 1;
		if (s.n == 0)
			continue;
		/*
		 * ".." appears when the reader sits in a different cgroup
		 * namespace than the process: the path is then relative to
		 * something we cannot see, so the identity is unknown.
		 */
		if (seg_eq(s, "..") || seg_eq(s, ".")) {
			set_unknown(out);
			return 0;
		}
		switch (classify(&w, s, out)) {
		case V_CONTAINER:
			return 0;
		case V_HOST:
			memcpy(out->id, "host", sizeof("host"));
			out->runtime = NG_RUNTIME_HOST;
			return 0;
		case V_NONE:
			break;
		}
		w.parent = s;
	}

	/* Under kubepods but in no container's cgroup: some container context, id unknown. */
	if (w.kube) {
		out->id[0] = '\0';
		out->runtime = NG_RUNTIME_UNKNOWN;
		return 0;
	}
	memcpy(out->id, "host", sizeof("host"));
	out->runtime = NG_RUNTIME_HOST;
	out->pod_uid[0] = '\0';
	return 0;
}
