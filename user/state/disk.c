// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The runners' work filesystems: which folder of which runner to read (the reading is the
 * caller's, outside the lock), what it said, and whether a job's end found it full
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "lib/clock.h"
#include "state/state_priv.h"

/* a reading older than this (its runner's agents gone) says nothing of a job's end */
#define FS_FRESH_NS (3 * 1000000000ULL)

static void workdir_of(const struct runner *r, pid_t pid, struct runner_workdir *w)
{
	w->kind = r->kind;
	memcpy(w->name, r->name, sizeof(w->name));
	w->pid = pid;
	memcpy(w->dir, r->workdir, sizeof(w->dir));
}

int state__workdirs(struct state *s, struct runner_workdir **list, int *cap)
{
	unsigned int gen;
	int n = 0;

	state__lock(s);
	gen = ++s->workdirs_gen;
	/* one agent a runner: whichever comes first */
	for (struct agent *a = s->agents; a; a = a->hh.next) {
		struct runner *r = a->runner;

		if (r->fs_listed == gen)
			continue;
		if (n == *cap) {
			int room = *cap ? 2 * *cap : 16;
			struct runner_workdir *grown = realloc(*list, (size_t)room * sizeof(**list));

			if (!grown)
				break;
			*list = grown;
			*cap = room;
		}
		r->fs_listed = gen;
		workdir_of(r, (pid_t)a->key.tgid, &(*list)[n++]);
	}
	state__unlock(s);
	return n;
}

int state__runner_fs(struct state *s, int kind, const char *name, const struct workfs *fs,
		     int err)
{
	char hkey[sizeof(((struct runner *)0)->hkey)];
	struct runner *r;
	int news = 0;

	snprintf(hkey, sizeof(hkey), "%d/%s", kind, name);
	state__lock(s);
	HASH_FIND_STR(s->runners, hkey, r);
	if (r && fs) {
		news = !r->have_fs;
		r->fs = *fs;
		r->have_fs = 1;
		r->fs_err = 0;
		r->fs_read_ns = clock_ns(CLOCK_MONOTONIC);
	} else if (r) {
		news = r->have_fs || r->fs_err != err;
		r->have_fs = 0;
		r->fs_err = err;
	}
	state__unlock(s);
	return news;
}

int state__job_workdir(struct state *s, const struct rs_key *key, const struct rs_job *rec,
		       struct runner_workdir *out)
{
	struct runner *r = NULL;
	struct agent *a;
	struct job *j;
	int err = -ENOENT;

	if (rec->state != RS_STATE_FINISHED)
		return -ENOENT;
	state__lock(s);
	HASH_FIND(hh, s->jobs, key, sizeof(*key), j);
	HASH_FIND(hh, s->agents, &rec->runner, sizeof(rec->runner), a);
	if (j && !j->finished)
		r = j->runner;
	else if (!j && a)
		r = a->runner;
	/* through the job's own agent where it is still there, else another of its runner */
	if (r && !(a && a->runner == r))
		for (a = s->agents; a && a->runner != r; a = a->hh.next)
			;
	if (r && a) {
		workdir_of(r, (pid_t)a->key.tgid, out);
		err = 0;
	}
	state__unlock(s);
	return err;
}

int state_disk_full(const struct state *s, const struct runner *r)
{
	return r && r->have_fs && clock_ns(CLOCK_MONOTONIC) - r->fs_read_ns < FS_FRESH_NS &&
	       workfs__low(&r->fs, s->opts.disk_full_below);
}
