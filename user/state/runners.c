// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The runners: found by kind and name, with the counters an earlier daemon left them */
#include <errno.h>
#include "lib/clock.h"
#include "lib/log.h"
#include "state/state_priv.h"
#include "ci/kinds/kinds.h"

void state_runner_free(struct runner *r)
{
	free(r);
}

struct runner *state_runner_get(struct state *s, int kind, const struct identity *ident)
{
	char hkey[sizeof(((struct runner *)0)->hkey)];
	struct identity copy = *ident, *id = &copy;
	const struct container_names names = id->names;
	struct runner *r;

	/* DESIGN's order: .runner, RUNNER_NAME, the pod, the container, then the hostname */
	if (!strcmp(id->name_source, "hostname") || !strcmp(id->name_source, "unknown")) {
		if (names.pod[0]) {
			memcpy(id->name, names.pod, sizeof(id->name));
			id->name_source = "pod";
		} else if (names.name[0]) {
			memcpy(id->name, names.name, sizeof(id->name));
			id->name_source = "container";
		}
	}

	snprintf(hkey, sizeof(hkey), "%d/%s", kind, id->name);
	HASH_FIND_STR(s->runners, hkey, r);
	if (r)
		goto update;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	memcpy(r->hkey, hkey, sizeof(hkey));
	r->kind = kind;
	snprintf(r->name, sizeof(r->name), "%s", id->name);
	r->rkey.kind = (__u32)kind;
	memcpy(r->rkey.name, r->name, sizeof(r->rkey.name));
	/* counters an earlier daemon left for it */
	state_store_get(s, STATE_RUNNER_STATS, &r->rkey, &r->st);
	r->down_since = clock_ns(CLOCK_MONOTONIC);
	/* with job labels: what the counters held before this daemon has no labels */
	if (s->opts.labels) {
		static const char *const none[JL_MAX] = { "", "", "" };
		struct jl_series *b = joblabels_series(s->opts.labels, r, none);

		if (b) {
			b->started = r->st.jobs_started;
			memcpy(b->finished, r->st.jobs_finished, sizeof(b->finished));
		}
	}
	HASH_ADD_STR(s->runners, hkey, r);
	pr_info("new runner kind=%s runner=%s source=%s container=%s", kinds__name(kind),
		r->name, id->name_source, id->ctr.id[0] ? id->ctr.id : "none");
update:
	/* the newest agent's view wins: a runner can move to another container */
	if (id->ctr.id[0]) {
		r->ctr = id->ctr;
		r->names = names;
	}
	if (id->version[0])
		memcpy(r->version, id->version, sizeof(r->version));
	if (id->tag[0])
		memcpy(r->tag, id->tag, sizeof(r->tag));
	if (id->capacity > 0)
		r->capacity = id->capacity;
	if (id->workdir[0])
		memcpy(r->workdir, id->workdir, sizeof(r->workdir));
	return r;
}

/* a runner by the key an earlier daemon recorded; id, when given, is its live process's */
struct runner *state_runner_by_key(struct state *s, const struct rs_runner_key *k,
				    const struct identity *live)
{
	struct identity id = {};

	if (live)
		id = *live;
	memcpy(id.name, k->name, sizeof(id.name));
	id.name[sizeof(id.name) - 1] = '\0';
	id.name_source = "pinned";
	return state_runner_get(s, (int)k->kind, &id);
}

/* the runner of a Gitea or GitLab job no agent is known for: the one it names, or "unknown" */
struct runner *state_job_runner(struct state *s, int kind, const char *name)
{
	struct identity id = {};

	snprintf(id.name, sizeof(id.name), "%s", name && name[0] ? name : "unknown");
	id.name_source = "job";
	return state_runner_get(s, kind, &id);
}
