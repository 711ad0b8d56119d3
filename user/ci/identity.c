// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <string.h>
#include "enrich/pid_cgroup.h"
#include "enrich/procfs.h"
#include "ci/identity.h"
#include "ci/kinds/kinds.h"

void identity__resolve(pid_t pid, int kind, struct identity *id)
{
	const struct kind_ops *k;
	char buf[4096];

	memset(id, 0, sizeof(*id));
	pid_cgroup__read(pid, &id->ctr, &id->cg);
	k = kinds__get(kind);
	if (k && k->identity && !k->identity(pid, id) && id->name[0])
		return;
	if (!procfs__getenv(pid, "RUNNER_NAME", buf, sizeof(buf)) && buf[0]) {
		utf8_sanitize(id->name, sizeof(id->name), buf, strlen(buf));
		id->name_source = "env";
		return;
	}
	/* a process on its way out has let its memory and files go (so its .runner and its
	 * environment could not be read), but not yet its UTS namespace: its hostname would name
	 * it for what it no longer showed */
	if (!procfs__exe(pid, buf, sizeof(buf)) && !procfs__hostname(pid, buf, sizeof(buf)) &&
	    buf[0]) {
		utf8_sanitize(id->name, sizeof(id->name), buf, strlen(buf));
		id->name_source = "hostname";
		return;
	}
	snprintf(id->name, sizeof(id->name), "unknown");
	id->name_source = "unknown";
}
