// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <json-c/json.h>
#include "lib/clock.h"
#include "enrich/containers.h"
#include "lib/cputime.h"
#include "lib/utf8.h"
#include "lib/log.h"

#define DISCOVER_NS 1000000000ULL /* --containers=all walks the cgroup tree at most this often */
#define DISCOVER_DEPTH 12
#define CONFIG_MAX (4 << 20) /* config.v2.json of a container with a huge environment */

struct containers {
	pthread_mutex_t lock;
	struct containers_opts opts;
	struct cgroup_layout layout;
	struct container *list;
	uint64_t last_discover;
};

struct containers *containers__new(const struct containers_opts *opts)
{
	struct containers *c = calloc(1, sizeof(*c));
	int err;

	if (!c)
		return NULL;
	c->opts = *opts;
	err = cgroupfs_layout(opts->cgroup_root, &c->layout);
	if (err) {
		pr_err("no cgroup hierarchy found under %s: %s", opts->cgroup_root, strerror(-err));
		free(c);
		errno = -err;
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

void containers__free(struct containers *c)
{
	struct container *x, *t;

	if (!c)
		return;
	HASH_ITER(hh, c->list, x, t) {
		HASH_DEL(c->list, x);
		cgroupfs_files_close(&x->files);
		free(x);
	}
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void containers__lock(struct containers *c)
{
	pthread_mutex_lock(&c->lock);
}

void containers__unlock(struct containers *c)
{
	pthread_mutex_unlock(&c->lock);
}

struct container *containers__list(struct containers *c)
{
	return c->list;
}

/* the keys of the labels with an empty value (a runner's marks), space-separated, whole */
static void label_keys(struct json_object *labels, char *out, size_t sz)
{
	size_t used = 0;

	out[0] = '\0';
	json_object_object_foreach(labels, key, val) {
		size_t n = strlen(key);

		if (!json_object_is_type(val, json_type_string) || json_object_get_string_len(val) ||
		    !n || strchr(key, ' ') || used + n + 2 > sz)
			continue;
		if (used)
			out[used++] = ' ';
		memcpy(out + used, key, n + 1);
		used += n;
	}
}

/*
 * vals[i] of keys[i]: "K" from Config.Env ("K=V"), "label:K" from Config.Labels, "labels:" the
 * keys of its labels with an empty value
 */
static void docker_values(struct json_object *root, const char *const *keys, char **vals,
			  size_t vsz, int n)
{
	struct json_object *cfg, *env, *labels, *v;

	if (!json_object_object_get_ex(root, "Config", &cfg))
		return;
	if (json_object_object_get_ex(cfg, "Env", &env) && json_object_is_type(env, json_type_array)) {
		size_t len = json_object_array_length(env);

		for (size_t e = 0; e < len; e++) {
			const char *kv = json_object_get_string(json_object_array_get_idx(env, e));
			const char *eq = kv ? strchr(kv, '=') : NULL;

			for (int i = 0; eq && i < n; i++)
				if (strncmp(keys[i], "label:", 6) &&
				    strlen(keys[i]) == (size_t)(eq - kv) &&
				    !strncmp(kv, keys[i], (size_t)(eq - kv)))
					snprintf(vals[i], vsz, "%s", eq + 1);
		}
	}
	if (!json_object_object_get_ex(cfg, "Labels", &labels) ||
	    !json_object_is_type(labels, json_type_object))
		return;
	for (int i = 0; i < n; i++) {
		if (!strcmp(keys[i], "labels:")) {
			label_keys(labels, vals[i], vsz);
		} else if (!strncmp(keys[i], "label:", 6) &&
			   json_object_object_get_ex(labels, keys[i] + 6, &v) &&
			   json_object_is_type(v, json_type_string)) {
			snprintf(vals[i], vsz, "%s", json_object_get_string(v));
		}
	}
}

int containers_docker_meta(const char *docker_root, const char *id, char *name, size_t sz,
			   const char *const *keys, char **vals, size_t vsz, int n)
{
	char path[PATH_MAX], *text = NULL;
	struct json_object *root = NULL, *v;
	struct stat st;
	ssize_t got;
	int fd, err = -ENOENT;

	for (int i = 0; i < n; i++)
		vals[i][0] = '\0';
	if (!docker_root || !docker_root[0])
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/containers/%s/config.v2.json", docker_root, id);
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > CONFIG_MAX) {
		err = -EINVAL;
		goto out;
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text) {
		err = -ENOMEM;
		goto out;
	}
	got = read(fd, text, (size_t)st.st_size);
	if (got < 0) {
		err = -errno;
		goto out;
	}
	text[got] = '\0';
	root = json_tokener_parse(text);
	if (root && json_object_object_get_ex(root, "Name", &v) &&
	    json_object_is_type(v, json_type_string)) {
		const char *s = json_object_get_string(v);

		if (*s == '/')
			s++;
		if (*s) {
			utf8_sanitize(name, sz, s, strlen(s));
			err = 0;
		}
	}
	if (root && n)
		docker_values(root, keys, vals, vsz, n);
out:
	json_object_put(root);
	free(text);
	close(fd);
	return err;
}

int containers_docker_name(const char *docker_root, const char *id, char *name, size_t sz)
{
	return containers_docker_meta(docker_root, id, name, sz, NULL, NULL, 0, 0);
}

/* a regular file of at most max bytes, read whole and NUL-terminated; NULL with errno set */
static char *read_small(const char *path, size_t max, size_t *len)
{
	struct stat st;
	char *text = NULL;
	ssize_t got;
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		errno = EINVAL;
		goto out;
	}
	text = malloc((size_t)st.st_size + 1);
	if (!text)
		goto out;
	got = read(fd, text, (size_t)st.st_size);
	if (got < 0) {
		free(text);
		text = NULL;
		goto out;
	}
	text[got] = '\0';
	*len = (size_t)got;
out:
	close(fd);
	return text;
}

static int json_str(struct json_object *o, const char *key, char *out, size_t sz)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string) ||
	    !json_object_get_string_len(v))
		return 0;
	utf8_sanitize(out, sz, json_object_get_string(v), (size_t)json_object_get_string_len(v));
	return 1;
}

int containers_oci_names(const char *text, size_t len, struct container_names *out)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *root, *a;
	int found = 0;

	memset(out, 0, sizeof(*out));
	if (!tok)
		return -ENOMEM;
	root = json_tokener_parse_ex(tok, text, (int)len);
	if (root && json_object_object_get_ex(root, "annotations", &a) &&
	    json_object_is_type(a, json_type_object)) {
		/* containerd's CRI plugin, then CRI-O (which copies kubelet's labels) */
		found |= json_str(a, "io.kubernetes.cri.container-name", out->name, sizeof(out->name));
		found |= json_str(a, "io.kubernetes.cri.sandbox-name", out->pod, sizeof(out->pod));
		found |= json_str(a, "io.kubernetes.cri.sandbox-namespace", out->ns, sizeof(out->ns));
		if (!out->name[0])
			found |= json_str(a, "io.kubernetes.container.name", out->name,
					  sizeof(out->name));
		if (!out->pod[0])
			found |= json_str(a, "io.kubernetes.pod.name", out->pod, sizeof(out->pod));
		if (!out->ns[0])
			found |= json_str(a, "io.kubernetes.pod.namespace", out->ns, sizeof(out->ns));
	}
	json_object_put(root);
	json_tokener_free(tok);
	return found ? 0 : -ENOENT;
}

int containers_podman_name(const char *text, size_t len, const char *id, char *name, size_t sz)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *root;
	int err = -ENOENT;

	if (!tok)
		return -ENOMEM;
	root = json_tokener_parse_ex(tok, text, (int)len);
	if (root && json_object_is_type(root, json_type_array)) {
		size_t n = json_object_array_length(root);

		for (size_t i = 0; i < n && err; i++) {
			struct json_object *c = json_object_array_get_idx(root, i), *v, *names;

			if (!json_object_object_get_ex(c, "id", &v) ||
			    !json_object_is_type(v, json_type_string) ||
			    strcmp(json_object_get_string(v), id))
				continue;
			if (json_object_object_get_ex(c, "names", &names) &&
			    json_object_is_type(names, json_type_array) &&
			    json_object_array_length(names) > 0) {
				const char *s = json_object_get_string(
					json_object_array_get_idx(names, 0));

				if (s && *s) {
					utf8_sanitize(name, sz, s, strlen(s));
					err = 0;
				}
			}
			break;
		}
	}
	json_object_put(root);
	json_tokener_free(tok);
	return err;
}

/* containerd, CRI-O and podman: their names from the files they keep, where they are */
static void runtime_names(const char *root, const struct container *x,
			  struct container_names *out)
{
	char path[PATH_MAX];
	size_t len;
	char *text;

	if (!root)
		return;
	switch (x->runtime) {
	case RUNTIME_CONTAINERD:
		snprintf(path, sizeof(path), "%s/run/containerd/io.containerd.runtime.v2.task/k8s.io/%s/config.json",
			 strcmp(root, "/") ? root : "", x->id);
		break;
	case RUNTIME_CRIO:
		snprintf(path, sizeof(path),
			 "%s/run/containers/storage/overlay-containers/%s/userdata/config.json",
			 strcmp(root, "/") ? root : "", x->id);
		break;
	case RUNTIME_PODMAN:
		snprintf(path, sizeof(path), "%s/var/lib/containers/storage/overlay-containers/containers.json",
			 strcmp(root, "/") ? root : "");
		break;
	default:
		return;
	}
	text = read_small(path, x->runtime == RUNTIME_PODMAN ? 4 * CONFIG_MAX : CONFIG_MAX, &len);
	if (!text)
		return;
	if (x->runtime == RUNTIME_PODMAN)
		containers_podman_name(text, len, x->id, out->name, sizeof(out->name));
	else
		containers_oci_names(text, len, out);
	free(text);
}

int containers_kubelet_parse(const char *fname, const char *id, struct container_names *out)
{
	size_t n = strlen(fname), idl = strlen(id);
	const char *u1 = strchr(fname, '_'), *u2 = u1 ? strchr(u1 + 1, '_') : NULL;
	const char *ctr_end = fname + n - idl - 5; /* "-<id>.log" */

	memset(out, 0, sizeof(*out));
	if (!idl || n < idl + 5 + 6 || strcmp(fname + n - 4, ".log") ||
	    memcmp(fname + n - 4 - idl, id, idl) || ctr_end[0] != '-' || !u2 ||
	    u2 >= ctr_end - 1 || u1 == fname || u2 == u1 + 1 || memchr(u2 + 1, '_', ctr_end - u2 - 1))
		return -EINVAL;
	utf8_sanitize(out->pod, sizeof(out->pod), fname, (size_t)(u1 - fname));
	utf8_sanitize(out->ns, sizeof(out->ns), u1 + 1, (size_t)(u2 - u1 - 1));
	utf8_sanitize(out->name, sizeof(out->name), u2 + 1, (size_t)(ctr_end - u2 - 1));
	return 0;
}

/* kubelet's link for the container, if the directory has one */
static int kubelet_names(const char *dir, const char *id, struct container_names *out)
{
	struct dirent *de;
	int err = -ENOENT;
	DIR *d;

	if (!dir || !dir[0])
		return -ENOENT;
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (!containers_kubelet_parse(de->d_name, id, out)) {
			err = 0;
			break;
		}
	closedir(d);
	return err;
}

static struct container *get(struct containers *c, const struct container_ref *ref,
			     const struct cgroup_paths *paths)
{
	struct container *x;

	HASH_FIND_STR(c->list, ref->id, x);
	if (x)
		return x;
	x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	memcpy(x->id, ref->id, sizeof(x->id));
	memcpy(x->pod_uid, ref->pod_uid, sizeof(x->pod_uid));
	x->runtime = ref->runtime;
	x->paths = *paths;
	/* kubelet's names where it runs the container; else the runtime's own */
	if (kubelet_names(c->opts.kubelet_log_dir, x->id, &x->names)) {
		if (ref->runtime == RUNTIME_DOCKER && c->opts.docker_root && c->opts.docker_root[0])
			containers_docker_name(c->opts.docker_root, x->id, x->names.name,
					       sizeof(x->names.name));
		else
			runtime_names(c->opts.runtime_root, x, &x->names);
	}
	HASH_ADD_STR(c->list, id, x);
	pr_debug("tracking container id=%s name=%s pod=%s namespace=%s runtime=%s", x->id,
		 x->names.name, x->names.pod, x->names.ns, cgroup_runtime_name(x->runtime));
	return x;
}

void containers__names(struct containers *c, const struct container_ref *ref,
		       const struct cgroup_paths *paths, struct container_names *out)
{
	struct container *x;

	memset(out, 0, sizeof(*out));
	if (!c || !ref->id[0])
		return;
	containers__lock(c);
	x = get(c, ref, paths);
	if (x)
		*out = x->names;
	containers__unlock(c);
}

void containers__set_runner(struct containers *c, const char *id, int kind, const char *runner)
{
	struct container *x;

	if (!c)
		return;
	containers__lock(c);
	HASH_FIND_STR(c->list, id, x);
	if (x) {
		x->kind = kind;
		snprintf(x->runner, sizeof(x->runner), "%s", runner);
	}
	containers__unlock(c);
}

/* one cgroup directory, relative to its hierarchy's mount: a container's own? */
static void discover_dir(struct containers *c, const char *rel)
{
	struct container_ref ref;
	struct cgroup_paths paths = {};
	const char *leaf = strrchr(rel, '/');
	char dir[PATH_MAX];
	struct stat st;

	if (!cgroup_path_container(rel, &ref) || !leaf || !strstr(leaf, ref.id))
		return;
	/* the same relative path in each hierarchy that has it (cgroupfs and systemd drivers
	 * alike name a container's cgroup the same everywhere) */
	const char *mounts[] = { c->layout.unified, c->layout.cpuacct, c->layout.cpu,
				 c->layout.memory };
	char *outs[] = { paths.unified, paths.cpuacct, paths.cpu, paths.memory };

	for (int i = 0; i < 4; i++) {
		if (!mounts[i][0])
			continue;
		snprintf(dir, sizeof(dir), "%s%s", mounts[i], rel);
		if (!stat(dir, &st) && S_ISDIR(st.st_mode))
			snprintf(outs[i], CGROUPFS_PATH_MAX, "%s", rel);
	}
	get(c, &ref, &paths);
}

static void walk(struct containers *c, const char *mount, char *rel, size_t len, int depth)
{
	char dir[PATH_MAX];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s%s", mount, rel);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (de->d_type != DT_DIR || de->d_name[0] == '.' || len + n + 2 >= CGROUPFS_PATH_MAX)
			continue;
		rel[len] = '/';
		memcpy(rel + len + 1, de->d_name, n + 1);
		discover_dir(c, rel);
		if (depth < DISCOVER_DEPTH)
			walk(c, mount, rel, len + 1 + n, depth + 1);
		rel[len] = '\0';
	}
	closedir(d);
}

static void discover(struct containers *c)
{
	/* one hierarchy that has every container: v1 memory on hybrid hosts, else cgroup2 */
	const char *mount = c->layout.memory[0] ? c->layout.memory : c->layout.unified[0] ?
		c->layout.unified : c->layout.cpuacct;
	char rel[CGROUPFS_PATH_MAX] = "";

	if (mount[0])
		walk(c, mount, rel, 0, 0);
}

/* counters must not step back: the split of a growing usage can */
static void split_cpu(struct container *x)
{
	const struct container_stats *s = &x->stats;
	uint64_t user, sys;

	if (!(s->have & CG_CPU))
		return;
	/* v1's sampled user + system can exceed the measured usage; cgroup2's add up to it */
	cputime_split(s->cpu_usage_ns, s->cpu_user_ns, s->cpu_system_ns, &user, &sys);
	if (user > x->cpu_user_ns)
		x->cpu_user_ns = user;
	if (sys > x->cpu_system_ns)
		x->cpu_system_ns = sys;
}

void containers__refresh(struct containers *c)
{
	struct container *x, *t;
	int dropped = 0;
	uint64_t now;

	if (!c)
		return;
	containers__lock(c);
	now = clock_ns(CLOCK_MONOTONIC);
	if (c->opts.all && now - c->last_discover >= DISCOVER_NS) {
		discover(c);
		c->last_discover = now;
	}
	HASH_ITER(hh, c->list, x, t) {
		struct container_stats st;
		int err;

		if (x->gone_ns) {
			if (now - x->gone_ns >= c->opts.grace_ns) {
				HASH_DEL(c->list, x);
				cgroupfs_files_close(&x->files);
				free(x);
				dropped++;
			}
			continue;
		}
		err = cgroupfs_read_kept(&c->layout, &x->paths, &x->files, &st);
		if (err == -ENOENT) {
			pr_debug("container gone id=%s", x->id);
			x->gone_ns = now ? now : 1;
			cgroupfs_files_close(&x->files);
		} else if (!err) {
			x->stats = st;
			split_cpu(x);
		}
	}
	/* a container in a runner's pod that hosts no runner itself (a dind sidecar's nested job
	 * containers, a service) is that runner's */
	HASH_ITER(hh, c->list, x, t) {
		struct container *y;

		if (x->kind || !x->pod_uid[0])
			continue;
		for (y = c->list; y; y = y->hh.next) {
			if (y->kind && !strcmp(y->pod_uid, x->pod_uid)) {
				x->kind = y->kind;
				memcpy(x->runner, y->runner, sizeof(x->runner));
				break;
			}
		}
	}
	containers__unlock(c);
	/* hundreds of containers gone at once: give their memory back */
	if (dropped)
		malloc_trim(0);
}
