// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Where containerd, CRI-O and podman keep a container's files, found from its processes: the
 * runtime's monitor above them (containerd's shim runs in its task's bundle directory and is
 * told its namespace and socket; conmon is told the bundle, the id and, by podman, the name),
 * read inside that monitor's root. A container's own processes named like one are passed
 * over (they are in its cgroups), and a symlink resolves inside the monitor's root. The usual
 * state directories are the fallback.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/stat.h>
#include "lib/utf8.h"
#include "enrich/cgroup_path.h"
#include "enrich/containers_priv.h"
#include "enrich/procfs.h"

/* how far up from a container's process its runtime's monitor may be */
#define MONITOR_DEPTH 64

/* the parsed bundle config.json (or podman's containers.json) text into out; frees text */
static int parse_names(int runtime, char *text, size_t len, const char *id,
		       struct container_names *out)
{
	if (runtime == RUNTIME_PODMAN && len && text[0] == '[')
		containers_podman_name(text, len, id, out);
	else
		containers_oci_names(text, len, out);
	free(text);
	return 0;
}

/* path read inside process pid's root (a symlink never leads out of it) and parsed */
static int names_in_root(pid_t pid, int runtime, const char *path, size_t max, const char *id,
			 struct container_names *out, char *tried, size_t tsz)
{
	size_t len;
	int err;
	char *text = containers_read_in_root(pid, path, max, &len, &err);

	snprintf(tried, tsz, "/proc/%d/root%s", (int)pid, path);
	if (!text)
		return err;
	return parse_names(runtime, text, len, id, out);
}

const char *containers_cmdline_arg(const char *args, size_t len, const char *const *names)
{
	for (const char *a = args; a < args + len; a += strlen(a) + 1) {
		for (int i = 0; names[i]; i++) {
			size_t n = strlen(names[i]);

			if (strncmp(a, names[i], n))
				continue;
			if (a[n] == '=' && names[i][1] == '-')
				return a + n + 1;
			if (!a[n] && a + n + 1 < args + len)
				return a + n + 1;
		}
	}
	return NULL;
}

/*
 * The runtime's monitor of pid, a process of the container: the first ancestor named like it
 * (containerd's shim, or conmon for CRI-O and podman; the init's parent, as each is its
 * container's subreaper, and runc's while it starts the container) that is not in the
 * container's cgroups, so that a process of the container named like one is passed over,
 * whatever root it took. 0 when there is none.
 */
static pid_t monitor_of(pid_t pid, int runtime, const char *id)
{
	const char *comm = runtime == RUNTIME_CONTAINERD ? "containerd-shim" : "conmon";
	struct proc_stat ps;
	char cg[4096];
	size_t len;

	if (procfs__stat(pid, &ps))
		return 0;
	for (int depth = 0; depth < MONITOR_DEPTH; depth++) {
		pid = ps.ppid;
		if (pid <= 1 || procfs__stat(pid, &ps))
			return 0;
		if (strncmp(ps.comm, comm, strlen(comm)))
			continue;
		if (procfs__read(pid, "cgroup", cg, sizeof(cg), &len))
			return 0;
		if (!cgroup_path_file_within(cg, len, id))
			return pid;
	}
	return 0;
}

/*
 * containerd's shim (containerd-shim-runc-v2 -namespace NS -id ID -address SOCK, started in
 * its task's bundle directory <state>/io.containerd.runtime.v2.task/NS/ID; one shim serves a
 * pod's containers, so the others' bundles are beside its own): the bundle from its working
 * directory, else from its arguments, whatever the state directory and namespace
 */
static int shim_names(pid_t shim, const char *id, struct container_names *out, char *tried,
		      size_t tsz)
{
	static const char *const ns_arg[] = { "-namespace", "--namespace", NULL };
	static const char *const addr_arg[] = { "-address", "--address", NULL };
	char link[PATH_MAX], cwd[PATH_MAX], path[PATH_MAX], args[4096];
	const char *ns, *addr, *base;
	size_t len;
	ssize_t n;
	int err = -ENOENT;

	snprintf(link, sizeof(link), "%s/%d/cwd", procfs__root(), (int)shim);
	n = readlink(link, cwd, sizeof(cwd) - 1);
	if (n > 0 && cwd[0] == '/') {
		cwd[n] = '\0';
		/* its own bundle's directory or a sibling's: <cwd>/../<id> either way */
		base = strrchr(cwd, '/');
		if (snprintf(path, sizeof(path), "%.*s/%s/config.json", (int)(base - cwd), cwd, id)
		    < (int)sizeof(path)) {
			err = names_in_root(shim, RUNTIME_CONTAINERD, path, CONFIG_MAX, id, out, tried, tsz);
			if (!err)
				return 0;
		}
	}
	if (procfs__read(shim, "cmdline", args, sizeof(args), &len))
		return err;
	ns = containers_cmdline_arg(args, len, ns_arg);
	addr = containers_cmdline_arg(args, len, addr_arg);
	if (!ns || !addr || !strchr(addr, '/') || strchr(ns, '/'))
		return err;
	snprintf(path, sizeof(path), "%.*s/io.containerd.runtime.v2.task/%s/%s/config.json",
		 (int)(strrchr(addr, '/') - addr), addr, ns, id);
	return names_in_root(shim, RUNTIME_CONTAINERD, path, CONFIG_MAX, id, out, tried, tsz);
}

/*
 * conmon (CRI-O's and podman's: conmon ... -c ID -n NAME -b BUNDLE ...): CRI-O's names from
 * the bundle's config.json annotations. podman's bundle, <graph root>/<driver>-containers/
 * <id>/userdata, has neither the container's name nor its image: the name is -n, and both are
 * in the store's containers.json two levels up (libpod's layout)
 */
static int conmon_names(pid_t conmon, int runtime, const char *id, struct container_names *out,
			char *tried, size_t tsz)
{
	static const char *const cid_arg[] = { "-c", "--cid", NULL };
	static const char *const bundle_arg[] = { "-b", "--bundle", NULL };
	static const char *const name_arg[] = { "-n", "--name", NULL };
	char args[8192], path[PATH_MAX];
	const char *cid, *bundle, *name, *up;
	size_t len;
	int err;

	if (procfs__read(conmon, "cmdline", args, sizeof(args), &len))
		return -ENOENT;
	cid = containers_cmdline_arg(args, len, cid_arg);
	bundle = containers_cmdline_arg(args, len, bundle_arg);
	name = containers_cmdline_arg(args, len, name_arg);
	if (!cid || strcmp(cid, id) || !bundle || bundle[0] != '/')
		return -ENOENT;
	if (runtime != RUNTIME_PODMAN) {
		snprintf(path, sizeof(path), "%s/config.json", bundle);
		return names_in_root(conmon, runtime, path, CONFIG_MAX, id, out, tried, tsz);
	}
	if (name && *name)
		utf8_sanitize(out->name, sizeof(out->name), name, strlen(name));
	/* two levels up: past <id>/userdata */
	up = bundle + strlen(bundle);
	for (int i = 0; i < 2 && up > bundle; i++)
		while (--up > bundle && *up != '/')
			;
	if (up <= bundle)
		return -ENOENT;
	snprintf(path, sizeof(path), "%.*s/containers.json", (int)(up - bundle), bundle);
	err = names_in_root(conmon, runtime, path, 4 * CONFIG_MAX, id, out, tried, tsz);
	return err;
}

/* where containerd keeps its state: its own default, k3s's and RKE2's, microk8s's */
static const char *const containerd_states[] = {
	"/run/containerd",
	"/run/k3s/containerd",
	"/var/snap/microk8s/common/run/containerd",
	NULL,
};

static int read_fixed(const char *path, int runtime, const char *id, size_t max,
		      struct container_names *out, char *tried, size_t tsz)
{
	size_t len;
	char *text;

	snprintf(tried, tsz, "%s", path);
	text = containers_read_small(path, max, &len);
	if (!text)
		return -errno;
	return parse_names(runtime, text, len, id, out);
}

/* the task bundle of id in any namespace of containerd's usual state directories under root */
static int containerd_fixed(const char *root, const char *id, struct container_names *out,
			    char *tried, size_t tsz)
{
	char dir[PATH_MAX], path[PATH_MAX];
	int err = -ENOENT;

	for (int s = 0; containerd_states[s]; s++) {
		struct dirent *de;
		DIR *d;

		snprintf(dir, sizeof(dir), "%s%s/io.containerd.runtime.v2.task", root,
			 containerd_states[s]);
		d = opendir(dir);
		if (!d)
			continue;
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			if (snprintf(path, sizeof(path), "%s/%s/%s/config.json", dir, de->d_name, id) >=
			    (int)sizeof(path))
				continue;
			err = read_fixed(path, RUNTIME_CONTAINERD, id, CONFIG_MAX, out, tried, tsz);
			if (err != -ENOENT)
				break;
		}
		closedir(d);
		if (err != -ENOENT)
			return err;
	}
	if (!tried[0])
		snprintf(tried, tsz, "%s%s/io.containerd.runtime.v2.task/*/%s/config.json", root,
			 containerd_states[0], id);
	return err;
}

int runtime_bundle__names(const char *root, int runtime, const char *id, pid_t pid,
			 struct container_names *out, char *tried, size_t tsz)
{
	char path[PATH_MAX], none[1];
	pid_t mon;
	int err = -ENOENT, fixed;

	memset(out, 0, sizeof(*out));
	if (!tried || !tsz) {
		tried = none;
		tsz = sizeof(none);
	}
	tried[0] = '\0';
	if (runtime != RUNTIME_CONTAINERD && runtime != RUNTIME_CRIO && runtime != RUNTIME_PODMAN)
		return -EINVAL;
	mon = pid > 0 ? monitor_of(pid, runtime, id) : 0;
	if (mon) {
		err = runtime == RUNTIME_CONTAINERD ?
			      shim_names(mon, id, out, tried, tsz) :
			      conmon_names(mon, runtime, id, out, tried, tsz);
		if (!err)
			return 0;
	}
	/* no monitor, or one whose files could not be read: the usual places */
	if (!root)
		return err;
	if (!strcmp(root, "/"))
		root = "";
	switch (runtime) {
	case RUNTIME_CONTAINERD:
		fixed = containerd_fixed(root, id, out, tried, tsz);
		return fixed && mon ? err : fixed;
	case RUNTIME_CRIO:
		snprintf(path, sizeof(path),
			 "%s/run/containers/storage/overlay-containers/%s/userdata/config.json",
			 root, id);
		break;
	default:
		snprintf(path, sizeof(path),
			 "%s/var/lib/containers/storage/overlay-containers/containers.json", root);
		break;
	}
	fixed = read_fixed(path, runtime, id, runtime == RUNTIME_PODMAN ? 4 * CONFIG_MAX : CONFIG_MAX,
			   out, tried, tsz);
	return fixed && mon ? err : fixed;
}
