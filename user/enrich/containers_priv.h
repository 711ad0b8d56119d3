/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What containers.c (the reported containers) takes from runtime_files.c (their names) */
#ifndef RUNNERSCOPE_CONTAINERS_PRIV_H
#define RUNNERSCOPE_CONTAINERS_PRIV_H

#include "enrich/containers.h"

#define CONFIG_MAX (4 << 20) /* config.v2.json of a container with a huge environment */

/*
 * kubelet's link for container id in dir: 0 and out, -ENOENT when it has none yet, another
 * -errno when there is no such directory (no kubelet here)
 */
int containers_kubelet_names(const char *dir, const char *id, struct container_names *out);

#endif
