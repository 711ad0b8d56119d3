// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What container runtimes and kubelet keep on disk about a container: docker's config.v2.json
 * (name, environment, labels), containerd's and CRI-O's OCI config.json annotations, podman's
 * containers.json, kubelet's log links. Every file is a container's to write: read capped,
 * never followed through a symlink.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/stat.h>
#include <json-c/json.h>
#include "enrich/containers_priv.h"
#include "enrich/procfs.h"
char *containers_read_small(const char *path, size_t max, size_t *len)
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

/* Path and Args of docker's config: what the container's init runs, space-separated */
static void command(struct json_object *root, char *out, size_t sz)
{
	struct json_object *path, *args;
	size_t used = 0;

	out[0] = '\0';
	if (!json_object_object_get_ex(root, "Path", &path) ||
	    !json_object_is_type(path, json_type_string))
		return;
	used = (size_t)snprintf(out, sz, "%s", json_object_get_string(path));
	if (!json_object_object_get_ex(root, "Args", &args) ||
	    !json_object_is_type(args, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(args) && used < sz; i++)
		used += (size_t)snprintf(out + used, sz - used, " %s",
					 json_object_get_string(json_object_array_get_idx(args, i)));
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
		labels = NULL;
	for (int i = 0; i < n; i++) {
		if (!strcmp(keys[i], "command:")) {
			command(root, vals[i], vsz);
		} else if (!strcmp(keys[i], "image:")) {
			if (json_object_object_get_ex(cfg, "Image", &v) &&
			    json_object_is_type(v, json_type_string))
				utf8_sanitize(vals[i], vsz, json_object_get_string(v),
					      (size_t)json_object_get_string_len(v));
		} else if (!labels) {
			continue;
		} else if (!strcmp(keys[i], "labels:")) {
			label_keys(labels, vals[i], vsz);
		} else if (!strncmp(keys[i], "label:", 6) &&
			   json_object_object_get_ex(labels, keys[i] + 6, &v) &&
			   json_object_is_type(v, json_type_string)) {
			snprintf(vals[i], vsz, "%s", json_object_get_string(v));
		}
	}
}

/* config.v2.json's text, parsed: see runtime_files__docker_meta(); frees text */
static int docker_meta_parse(char *text, char *name, size_t sz, const char *const *keys,
			     char **vals, size_t vsz, int n)
{
	struct json_object *root = json_tokener_parse(text), *v;
	int err = -ENOENT;

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
	json_object_put(root);
	free(text);
	return err;
}

int runtime_files__docker_meta(const char *docker_root, const char *id, char *name, size_t sz,
			   const char *const *keys, char **vals, size_t vsz, int n)
{
	char path[PATH_MAX], *text;
	size_t len;

	for (int i = 0; i < n; i++)
		vals[i][0] = '\0';
	if (!docker_root || !docker_root[0])
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/containers/%s/config.v2.json", docker_root, id);
	text = containers_read_small(path, CONFIG_MAX, &len);
	if (!text)
		return -errno;
	return docker_meta_parse(text, name, sz, keys, vals, vsz, n);
}

int runtime_files__docker_meta_in(pid_t pid, const char *id, char *name, size_t sz,
			      const char *const *keys, char **vals, size_t vsz, int n)
{
	char path[PATH_MAX], *text;
	size_t len;
	int err;

	for (int i = 0; i < n; i++)
		vals[i][0] = '\0';
	snprintf(path, sizeof(path), "/var/lib/docker/containers/%s/config.v2.json", id);
	/* the filesystem is a container's: resolved inside it, a symlink never leads out */
	text = containers_read_in_root(pid, path, CONFIG_MAX, &len, &err);
	if (!text)
		return err;
	return docker_meta_parse(text, name, sz, keys, vals, vsz, n);
}

char *containers_read_in_root(pid_t pid, const char *path, size_t max, size_t *len, int *err)
{
	char *text = malloc(max + 1);

	*err = text ? procfs__read_in_root(pid, path, text, max + 1, len) : -ENOMEM;
	if (*err) {
		free(text);
		return NULL;
	}
	return text;
}

int containers_docker_names(const char *docker_root, const char *id, struct container_names *out)
{
	static const char *const keys[] = { "image:" };
	char *vals[] = { out->image };

	return runtime_files__docker_meta(docker_root, id, out->name, sizeof(out->name), keys, vals,
				      sizeof(out->image), 1);
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
		/* the image is not a name: it alone finds nothing */
		if (!json_str(a, "io.kubernetes.cri.image-name", out->image, sizeof(out->image)))
			json_str(a, "io.kubernetes.cri-o.ImageName", out->image, sizeof(out->image));
	}
	json_object_put(root);
	json_tokener_free(tok);
	return found ? 0 : -ENOENT;
}

/* podman keeps a container's image name in its "metadata", a JSON document in a string */
static void podman_image(struct json_object *c, char *out, size_t sz)
{
	struct json_object *md, *root, *v;

	if (!json_object_object_get_ex(c, "metadata", &md) ||
	    !json_object_is_type(md, json_type_string))
		return;
	root = json_tokener_parse(json_object_get_string(md));
	if (root && json_object_object_get_ex(root, "image-name", &v) &&
	    json_object_is_type(v, json_type_string))
		utf8_sanitize(out, sz, json_object_get_string(v),
			      (size_t)json_object_get_string_len(v));
	json_object_put(root);
}

int containers_podman_name(const char *text, size_t len, const char *id,
			   struct container_names *out)
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
					utf8_sanitize(out->name, sizeof(out->name), s, strlen(s));
					err = 0;
				}
			}
			podman_image(c, out->image, sizeof(out->image));
			break;
		}
	}
	json_object_put(root);
	json_tokener_free(tok);
	return err;
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

/* kubelet's link for the container, if the directory has one: 0, -ENOENT when it has none,
 * another -errno when there is no such directory (no kubelet) */
int containers__kubelet_names(const char *dir, const char *id, struct container_names *out)
{
	struct dirent *de;
	int err = -ENOENT;
	DIR *d;

	if (!dir || !dir[0])
		return -ENOTDIR;
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
