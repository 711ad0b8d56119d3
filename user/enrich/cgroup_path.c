// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Layouts (cgroup v1 and v2 alike):
 *   docker cgroupfs        /docker/<id>               systemd  /system.slice/docker-<id>.scope
 *   containerd under kubelet  /kubepods/<qos>/pod<uid>/<id>
 *                          /kubepods.slice/kubepods-<qos>.slice/kubepods-<qos>-pod<uid_>.slice/cri-containerd-<id>.scope
 *   CRI-O                  …/crio-<id>.scope (crio-conmon-<id>.scope is its monitor, not the container)
 *   podman                 /machine.slice/libpod-<id>.scope[/container] (libpod-conmon-… skipped)
 *   nested docker          …/docker/<id>/docker/<id2>: the innermost id is the container
 */
#include <string.h>
#include "enrich/cgroup_path.h"

static const char *const runtime_names[RUNTIME_MAX] = {
	[RUNTIME_NONE] = "",	       [RUNTIME_DOCKER] = "docker", [RUNTIME_CONTAINERD] = "containerd",
	[RUNTIME_CRIO] = "cri-o", [RUNTIME_PODMAN] = "podman",
};

const char *cgroup_path__runtime_name(int runtime)
{
	return runtime > 0 && runtime < RUNTIME_MAX ? runtime_names[runtime] : "";
}

static int is_hex_id(const char *s, size_t len)
{
	if (len != CONTAINER_ID_LEN)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

static int has_prefix(const char *s, size_t len, const char *p)
{
	size_t n = strlen(p);

	return len >= n && !memcmp(s, p, n);
}

/* "<prefix><id>" or "<prefix><id>.scope": 1 and the id's offset when it is */
static int prefixed_id(const char *s, size_t len, const char *prefix, size_t *off)
{
	size_t n = strlen(prefix);

	if (!has_prefix(s, len, prefix))
		return 0;
	if (len == n + CONTAINER_ID_LEN + 6 && !memcmp(s + len - 6, ".scope", 6))
		len -= 6;
	if (!is_hex_id(s + n, len - n))
		return 0;
	*off = n;
	return 1;
}

/* pod<uid> (cgroupfs) or kubepods[-<qos>]-pod<uid with _>.slice (systemd) */
static int pod_uid(const char *s, size_t len, char out[POD_UID_LEN + 1])
{
	char uid[POD_UID_LEN + 1];
	const char *p;
	size_t n;

	if (has_prefix(s, len, "pod")) {
		p = s + 3;
		n = len - 3;
	} else if (has_prefix(s, len, "kubepods") && len > 6 && !memcmp(s + len - 6, ".slice", 6)) {
		p = memmem(s, len, "-pod", 4);
		if (!p)
			return 0;
		p += 4;
		n = (size_t)(s + len - 6 - p);
	} else {
		return 0;
	}
	if (n != POD_UID_LEN)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = p[i] == '_' ? '-' : p[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-'))
			return 0;
		uid[i] = c;
	}
	/* only a whole uid: a half-written one would pass for a pod further down the path */
	uid[n] = '\0';
	memcpy(out, uid, sizeof(uid));
	return 1;
}

int cgroup_path__container(const char *path, struct container_ref *out)
{
	const char *s = path, *prev = NULL;
	size_t prev_len = 0;
	int found = 0;
	char uid[POD_UID_LEN + 1] = "";

	memset(out, 0, sizeof(*out));
	while (*s) {
		const char *e;
		size_t len, off = 0;
		int rt = RUNTIME_NONE;

		while (*s == '/')
			s++;
		e = strchr(s, '/');
		len = e ? (size_t)(e - s) : strlen(s);
		if (!len)
			break;

		if (prefixed_id(s, len, "docker-", &off))
			rt = RUNTIME_DOCKER;
		else if (prefixed_id(s, len, "cri-containerd-", &off))
			rt = RUNTIME_CONTAINERD;
		else if (prefixed_id(s, len, "crio-", &off))
			rt = RUNTIME_CRIO;
		else if (prefixed_id(s, len, "libpod-", &off))
			rt = RUNTIME_PODMAN;
		else if (is_hex_id(s, len)) {
			if (prev && prev_len == 6 && !memcmp(prev, "docker", 6))
				rt = RUNTIME_DOCKER;
			else if (uid[0] && prev && (has_prefix(prev, prev_len, "pod")))
				rt = RUNTIME_CONTAINERD;
		} else if (!uid[0]) {
			pod_uid(s, len, uid);
		}

		if (rt != RUNTIME_NONE) {
			if (found)
				out->nested = 1;
			memcpy(out->id, s + off, CONTAINER_ID_LEN);
			out->id[CONTAINER_ID_LEN] = '\0';
			/* a container inside a pod's container keeps the outer pod */
			if (!found)
				memcpy(out->pod_uid, uid, sizeof(uid));
			out->runtime = rt;
			found = 1;
		}
		prev = s;
		prev_len = len;
		s += len;
	}
	return found;
}

/* component s (len bytes) names container id, bare or as any runtime prefixes it */
static int names_id(const char *s, size_t len, const char *id)
{
	static const char *const prefixes[] = { "", "docker-", "cri-containerd-", "crio-", "libpod-" };
	size_t off;

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		if (i ? prefixed_id(s, len, prefixes[i], &off) :
			(off = 0, is_hex_id(s, len)))
			if (!memcmp(s + off, id, CONTAINER_ID_LEN))
				return 1;
	}
	return 0;
}

int cgroup_path_file_within(const char *text, size_t len, const char *id)
{
	const char *end = text + len, *s = text;

	if (strlen(id) != CONTAINER_ID_LEN)
		return 0;
	/* every line's path, every component of it: no line format needed for that */
	while (s < end) {
		const char *e = s;

		while (e < end && *e != '/' && *e != '\n' && *e != ':')
			e++;
		if (names_id(s, (size_t)(e - s), id))
			return 1;
		s = e + 1;
	}
	return 0;
}

int cgroup_path_file_container(const char *text, size_t len, struct container_ref *out)
{
	char line[4096];
	int pass;

	/* pass 0: the cgroup2 line; pass 1: v1 hierarchies in file order */
	for (pass = 0; pass < 2; pass++) {
		size_t i = 0;

		while (i < len) {
			size_t j = i, n;
			const char *c1, *c2;

			while (j < len && text[j] != '\n')
				j++;
			n = j - i;
			if (n < sizeof(line)) {
				memcpy(line, text + i, n);
				line[n] = '\0';
				c1 = strchr(line, ':');
				c2 = c1 ? strchr(c1 + 1, ':') : NULL;
				if (c2) {
					int v2 = !strncmp(line, "0::", 3);

					if (v2 == !pass && cgroup_path__container(c2 + 1, out))
						return 1;
				}
			}
			i = j + 1;
		}
	}
	memset(out, 0, sizeof(*out));
	return 0;
}
