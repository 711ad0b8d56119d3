// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Files a container controls and runnerscope parses: .runner (GitHub agentName, Gitea name),
 * the GitHub runner's Runner.Listener.deps.json, GitLab's config.toml (name, token, capacity),
 * act_runner's config.yaml (capacity), an agent's command line (its options), OCI config.json
 * annotations, podman's containers.json, and kubelet log link names. The first byte picks the
 * parser.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "enrich/containers.h"
#include "ci/capacity.h"
#include "ci/runner_file.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[256], token[64], shortt[16], *s;
	struct container_names n;

	if (size < 1)
		return 0;
	s = malloc(size);
	if (!s)
		return 0;
	/* the rest, NUL-terminated where a parser wants a string */
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 10) {
	case 0:
		runner_file_parse(s, size - 1, name, sizeof(name));
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
		runner_deps_version(s, size - 1, name, 1 + data[size - 1] % sizeof(name));
		break;
	case 7:
		gitea_config_capacity(s, size - 1);
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
	}
	free(s);
	return 0;
}
