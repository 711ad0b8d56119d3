// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A container's names: kubelet's log link where kubelet runs it, else its runtime's files
 * (config.v2.json, a bundle's config.json, containers.json), looked for again a few times while
 * they may come later; the containers whose runtime's files could not be read, counted.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "lib/log.h"
#include "enrich/containers_priv.h"
#include "enrich/procfs.h"

#define NAMES_RETRY_NS 1000000000ULL
#define NAMES_TRIES 6

/* the first process cgroup dir lists; 0 when it lists none */
static pid_t first_proc(const char *dir)
{
	char path[PATH_MAX], text[32];
	size_t len;
	long pid;

	if (snprintf(path, sizeof(path), "%s/cgroup.procs", dir) >= (int)sizeof(path))
		return 0;
	/* the first line is all it needs: a read cut short ends inside a later one */
	if (procfs__read_file(path, text, sizeof(text), &len))
		return 0;
	pid = strtol(text, NULL, 10);
	return pid > 1 ? (pid_t)pid : 0;
}

/*
 * a process of the container, from the first of its cgroups that lists one, or from a cgroup
 * just below (cgroup2 keeps processes out of a cgroup with children: podman's and systemd's
 * "<scope>/container", an engine's own inside it); 0 when none
 */
static pid_t a_pid(struct containers *c, struct container *x)
{
	struct slot slots[] = SLOTS(c, &x->paths);
	char dir[PATH_MAX], sub[PATH_MAX];
	pid_t pid = 0;

	for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]) && !pid; i++) {
		struct dirent *de;
		DIR *d;

		if (!slots[i].mount[0] || !slots[i].path[0])
			continue;
		snprintf(dir, sizeof(dir), "%s%s", slots[i].mount, slots[i].path);
		pid = first_proc(dir);
		if (pid || !(d = opendir(dir)))
			continue;
		while (!pid && (de = readdir(d)))
			if (de->d_type == DT_DIR && de->d_name[0] != '.' &&
			    snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name) < (int)sizeof(sub))
				pid = first_proc(sub);
		closedir(d);
	}
	return pid;
}

int containers_read_names(struct containers *c, struct container *x)
{
	struct container_names k = {}, r = x->names;
	int err = containers__kubelet_names(c->opts.kubelet_log_dir, x->id, &k);

	/* the runtime's files once more only while they have not said all */
	if (!r.name[0] || !r.image[0]) {
		char tried[PATH_MAX] = "";
		pid_t pid = a_pid(c, x);
		int ferr;

		memset(&r, 0, sizeof(r));
		if (x->runtime == RUNTIME_DOCKER && c->opts.docker_root && c->opts.docker_root[0]) {
			snprintf(tried, sizeof(tried), "%s/containers/%s/config.v2.json",
				 c->opts.docker_root, x->id);
			ferr = containers_docker_names(c->opts.docker_root, x->id, &r);
		} else {
			ferr = runtime_bundle__names(c->opts.runtime_root, x->runtime, x->id, pid, &r,
						    tried, sizeof(tried));
		}
		/* counted once the container has a process: its runtime wrote its files before
		 * starting it, so that they are not there is not a matter of time */
		if (ferr && ferr != -EINVAL && pid && !x->names_missing) {
			x->names_missing = 1;
			c->names_missing[x->runtime]++;
			pr_debug("container names not found id=%s runtime=%s tried=%s err=\"%s\"",
				 x->id, cgroup_path__runtime_name(x->runtime), tried, strerror(-ferr));
		}
	}
	if (!err)
		memcpy(k.image, r.image, sizeof(k.image));
	x->names = err ? r : k;
	return err == -ENOENT || !x->names.name[0];
}

void containers_retry_names(struct containers *c, struct container *x, uint64_t now)
{
	struct container_names was = x->names;

	if (!containers_read_names(c, x) || ++x->names_tries >= NAMES_TRIES)
		x->names_retry_ns = 0;
	else
		x->names_retry_ns = now + (NAMES_RETRY_NS << x->names_tries);
	if (memcmp(&was, &x->names, sizeof(was)))
		pr_info("container names found id=%s name=%s pod=%s namespace=%s", x->id,
			x->names.name, x->names.pod, x->names.ns);
}

void containers_first_names(struct containers *c, struct container *x)
{
	if (containers_read_names(c, x))
		x->names_retry_ns = x->made_ns + NAMES_RETRY_NS;
}

uint64_t containers__names_missing(struct containers *c, int runtime)
{
	return runtime > RUNTIME_NONE && runtime < RUNTIME_MAX ? c->names_missing[runtime] : 0;
}
