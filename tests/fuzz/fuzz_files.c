// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Files a container controls and runnerscope parses: .runner (GitHub agentName, Gitea name),
 * the GitHub runner's Runner.Listener.deps.json, GitLab's config.toml (name, token, capacity),
 * act_runner's config.yaml (capacity), an agent's command line (its options), OCI config.json
 * annotations, podman's containers.json, a containerd shim's or conmon's command line, kubelet
 * log link names, and the work folder each kind names (.runner's workFolder,
 * host.workdir_parent, builds_dir, Buildkite's build path and its $VARs). The first byte picks
 * the parser.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include "enrich/containers_priv.h"
#include "ci/capacity.h"
#include "ci/runner_file.h"
#include "ci/kinds/kinds.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* every variable is set, and long: an expansion may not fit */
static int env(void *ctx, const char *key, char *out, size_t sz)
{
	(void)ctx;
	memset(out, 'v', sz - 1);
	out[sz - 1] = '\0';
	return key[0] ? 0 : -2;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[256], token[64], shortt[16], raw[WORKDIR_LEN], dir[WORKDIR_LEN], *s;
	struct container_names n;

	if (size < 1)
		return 0;
	s = malloc(size);
	if (!s)
		return 0;
	/* the rest, NUL-terminated where a parser wants a string */
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 15) {
	case 0:
		github_runner_name(s, size - 1, name, sizeof(name));
		break;
	case 1:
		runner_file_parse_key(s, size - 1, "name", name, sizeof(name));
		break;
	case 2:
		if (!gitlab_config_parse(s, size - 1, name, sizeof(name), token, sizeof(token)))
			gitlab_short_token(token, shortt, sizeof(shortt));
		break;
	case 3:
		containers_oci_names(s, size - 1, &n);
		break;
	case 4:
		containers_podman_name(s, size - 1, ID, &n);
		break;
	case 5:
		containers_kubelet_parse(s, ID, &n);
		break;
	case 6:
		/* any size of buffer, the last byte says which */
		github_deps_version(s, size - 1, name, 1 + data[size - 1] % sizeof(name));
		break;
	case 7:
		act_config_capacity(s, size - 1);
		break;
	case 8:
		gitlab_config_capacity(s, size - 1);
		break;
	case 9:
		/* NUL-separated, as /proc/<pid>/cmdline; any size of buffer */
		if (!capacity_arg(s, size - 1, "-c", "--config", name,
				  1 + data[size - 1] % sizeof(name)))
			capacity_number(name);
		break;
	case 10:
		github_workdir(s, size - 1, "/actions-runner", dir, sizeof(dir));
		break;
	case 11:
		act_workdir(s, size - 1, "/data", "/root", dir, sizeof(dir));
		break;
	case 12:
		gitlab_workdir(s, size - 1, "/home/gitlab-runner", dir, sizeof(dir));
		break;
	case 13:
		if (!config_kv_value(s, size - 1, "build-path", raw, sizeof(raw)))
			buildkite_workdir(raw, "/srv", env, NULL, dir, sizeof(dir));
		buildkite_workdir(s, "/srv", env, NULL, dir, sizeof(dir));
		break;
	case 14: {
		/* a shim's or conmon's command line (NUL-separated, as /proc/<pid>/cmdline) */
		static const char *const flags[] = { "-b", "--bundle", "-namespace", NULL };
		const char *v = containers_cmdline_arg(s, size - 1, flags);

		if (v)
			snprintf(name, sizeof(name), "%s", v);
		break;
	}
	}
	free(s);
	return 0;
}
