// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The state model driven by synthetic kernel records, its counters kept in memory instead of
 * the pinned maps: counting once, the two-step commit and its repair after a daemon died
 * between the two writes, adoption of pinned runners, stale records, expiry.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>
#include "lib/clock.h"
#include "state/state.h"
#include "state/state_priv.h"
#include "ci/detect.h"
#include "mem_store.h"
#include "expo/eventlog.h"
#include "ci/kinds/kinds.h"

static struct mem_store mem; /* too large for a test's stack */

#define S 1000000000ULL
#define GRACE_NS (10 * S)

/* a Gitea job of several processes (tgid 0), named after its runner as the daemon names it */
static const struct rs_key job_key = { .tgid = 0, .start_ns = 100 * S };

static struct state *daemon_start(void)
{
	struct state_opts o = { .grace_ns = GRACE_NS };
	struct state *s = state__new(&o);

	assert_non_null(s);
	state__set_store(s, &mem_ops, &mem);
	return s;
}

static struct rs_job job_rec(int finished, __u64 run_ns)
{
	return (struct rs_job){
		.kind = KIND_GITEA,
		.state = finished ? RS_STATE_FINISHED : RS_STATE_RUNNING,
		.run_ns = run_ns,
		.utime_ns = run_ns, /* all user time */
		.io_write_bytes = run_ns / 1000,
		.wait_ns = run_ns / 4,
		.live_procs = finished ? 0 : 1,
		.total_procs = 1,
		.end_ns = finished ? job_key.start_ns + 2 * S : 0,
	};
}

static struct runner *runner(struct state *s, const char *name)
{
	for (struct runner *r = state__runners(s); r; r = r->hh.next)
		if (!strcmp(r->name, name))
			return r;
	return NULL;
}

static int success(void)
{
	const char *reason;

	return detect__job_result(KIND_GITEA, 0, &reason);
}

/* a daemon sees the job run one second, then (writes_left) ... */
static struct state *run_job(int writes_left_at_the_end)
{
	struct state *s = daemon_start();
	struct rs_job rec = job_rec(0, 1 * S);

	state__name_job(s, &job_key, KIND_GITEA, "r1");
	assert_int_equal(state__job(s, &job_key, &rec, NULL, NULL, NULL), 0);
	rec = job_rec(1, 2 * S);
	mem.writes_left = writes_left_at_the_end;
	/* the job is over and nothing of it is left: its record may go */
	assert_int_equal(state__job(s, &job_key, &rec, NULL, NULL, NULL), 1);
	mem.writes_left = -1;
	return s;
}

static void assert_counted_once(struct state *s)
{
	struct runner *r = runner(s, "r1");
	struct rs_runner_stats pinned;
	struct rs_runner_key k = { .kind = KIND_GITEA, .name = "r1" };

	assert_non_null(r);
	assert_int_equal(r->st.jobs_started, 1);
	assert_int_equal(r->st.jobs_finished[success()], 1);
	assert_int_equal(r->st.duration_ns_sum[success()], 2 * S);
	assert_int_equal(r->st.cpu_user_ns, 2 * S);
	assert_int_equal(r->st.cpu_wait_ns, 2 * S / 4);
	assert_int_equal(r->st.io_write_bytes, 2 * S / 1000);
	assert_int_equal(r->jobs_running, 0);
	/* and the pinned copy says the same */
	assert_int_equal(mem_lookup(&mem, STATE_RUNNER_STATS, &k, &pinned), 0);
	assert_memory_equal(&pinned, &r->st, sizeof(pinned));
}

static void test_a_job_is_counted_once(void **unused)
{
	(void)unused;
	struct state *s;

	mem_init(&mem);
	s = run_job(-1);
	assert_counted_once(s);
	/* and the status page's recent jobs have it */
	state__lock(s);
	assert_non_null(state__recent(s, 0));
	assert_string_equal(state__recent(s, 0)->runner, "r1");
	assert_int_equal(state__recent(s, 0)->result, success());
	assert_int_equal(state__recent(s, 0)->end_ns - state__recent(s, 0)->start_ns, 2 * S);
	assert_null(state__recent(s, 1));
	state__unlock(s);
	state__free(s);
}

/* the kernel's record outlived the daemon that counted it: the next one counts nothing again */
static void test_a_restart_counts_nothing_again(void **unused)
{
	(void)unused;
	struct rs_job rec = job_rec(1, 2 * S);
	struct state *s;

	mem_init(&mem);
	state__free(run_job(-1));
	mem_update(&mem, STATE_JOBS, &job_key, &rec);
	s = daemon_start();
	assert_int_equal(state__job(s, &job_key, &rec, NULL, NULL, NULL), 1);
	assert_counted_once(s);
	state__free(s);
}

/*
 * Killed between the two writes of the job's end: the runner's counters have it, its job_acct
 * does not. The next daemon completes the job_acct from the runner's last_seen before it reads
 * the job, so the end is not counted a second time.
 */
static void test_killed_between_the_two_writes(void **unused)
{
	(void)unused;
	struct rs_job rec = job_rec(1, 2 * S);
	struct rs_job_acct acct;
	struct state *s;

	mem_init(&mem);
	state__free(run_job(1));
	assert_int_equal(mem_lookup(&mem, STATE_JOB_ACCT, &job_key, &acct), 0);
	assert_false(acct.seen.flags & RS_ACCT_FINISHED); /* the second write was lost */
	mem_update(&mem, STATE_JOBS, &job_key, &rec);

	s = daemon_start();
	assert_int_equal(mem_lookup(&mem, STATE_JOB_ACCT, &job_key, &acct), 0);
	assert_true(acct.seen.flags & RS_ACCT_FINISHED);
	assert_int_equal(acct.seen.cpu_user_ns, 2 * S);
	assert_int_equal(acct.seen.cpu_wait_ns, 2 * S / 4);
	assert_int_equal(acct.seen.io_write_bytes, 2 * S / 1000);
	assert_int_equal(state__job(s, &job_key, &rec, NULL, NULL, NULL), 1);
	assert_counted_once(s);
	state__free(s);
}

/* killed before the first write of the job's end: the next daemon counts the end, once */
static void test_killed_before_the_first_write(void **unused)
{
	(void)unused;
	struct rs_job rec = job_rec(1, 2 * S);
	struct state *s;

	mem_init(&mem);
	state__free(run_job(0));
	mem_update(&mem, STATE_JOBS, &job_key, &rec);
	s = daemon_start();
	assert_int_equal(state__job(s, &job_key, &rec, NULL, NULL, NULL), 1);
	assert_counted_once(s);
	state__free(s);
}

/* two records of one pass, each one commit: the runner's counters, then the job's */
static void test_each_change_is_two_writes_runner_first(void **unused)
{
	(void)unused;
	struct rs_job rec = job_rec(0, 1 * S);
	struct rs_runner_stats st;
	struct rs_runner_key k = { .kind = KIND_GITEA, .name = "r1" };
	struct state *s;

	mem_init(&mem);
	s = daemon_start();
	state__name_job(s, &job_key, KIND_GITEA, "r1");
	mem.writes_left = 1;
	state__job(s, &job_key, &rec, NULL, NULL, NULL);
	assert_int_equal(mem.writes, 2);
	assert_int_equal(mem_lookup(&mem, STATE_RUNNER_STATS, &k, &st), 0);
	assert_memory_equal(&st.last_job, &job_key, sizeof(job_key));
	assert_int_equal(st.last_seen.cpu_user_ns, 1 * S);
	assert_int_equal(mem_lookup(&mem, STATE_JOB_ACCT, &job_key, &st), -ENOENT);
	/* nothing changed: nothing written */
	mem.writes_left = -1;
	mem.writes = 0;
	state__job(s, &job_key, &rec, NULL, NULL, NULL);
	assert_int_equal(mem.writes, 0);
	state__free(s);
}

/* a record read again with less CPU (a thread's time moving to its exit) takes nothing back */
static void test_counters_only_grow(void **unused)
{
	(void)unused;
	struct rs_job rec = job_rec(0, 3 * S);
	struct state *s;

	mem_init(&mem);
	s = daemon_start();
	state__name_job(s, &job_key, KIND_GITEA, "r1");
	state__job(s, &job_key, &rec, NULL, NULL, NULL);
	rec = job_rec(0, 1 * S);
	state__job(s, &job_key, &rec, NULL, NULL, NULL);
	assert_int_equal(runner(s, "r1")->st.cpu_user_ns, 3 * S);
	state__free(s);
}

/* a runner an earlier daemon kept counters for comes back with them */
static void test_pinned_runners_are_adopted(void **unused)
{
	(void)unused;
	struct rs_runner_key k = { .kind = KIND_GITEA, .name = "pinned" };
	struct rs_runner_key junk = { .kind = KIND_COUNT, .name = "junk" };
	struct rs_runner_stats st = { .jobs_started = 5, .cpu_user_ns = 7 * S };
	struct state *s;

	mem_init(&mem);
	mem_update(&mem, STATE_RUNNER_STATS, &k, &st);
	mem_update(&mem, STATE_RUNNER_STATS, &junk, &st);
	s = daemon_start();
	assert_non_null(runner(s, "pinned"));
	assert_int_equal(runner(s, "pinned")->st.jobs_started, 5);
	assert_int_equal(runner(s, "pinned")->st.cpu_user_ns, 7 * S);
	/* a key no daemon could have written is dropped */
	assert_null(runner(s, "junk"));
	assert_int_equal(mem_lookup(&mem, STATE_RUNNER_STATS, &junk, &st), -ENOENT);
	state__free(s);
}

/* accounting of jobs and agents the kernel no longer has is dropped at start-up */
static void test_stale_accounting_is_dropped(void **unused)
{
	(void)unused;
	struct rs_key live = { .tgid = 7, .start_ns = 1 }, gone = { .tgid = 8, .start_ns = 1 };
	struct rs_job_acct acct = { .runner = { .kind = KIND_GITEA, .name = "r1" } };
	struct rs_job rec = job_rec(0, 0);
	struct rs_agent agent = { .kind = KIND_GITEA, .state = RS_STATE_RUNNING };
	struct state *s;

	mem_init(&mem);
	mem_update(&mem, STATE_JOBS, &live, &rec);
	mem_update(&mem, STATE_JOB_ACCT, &live, &acct);
	mem_update(&mem, STATE_JOB_ACCT, &gone, &acct);
	mem_update(&mem, STATE_AGENTS, &live, &agent);
	mem_update(&mem, STATE_AGENT_ACCT, &live, &acct.runner);
	mem_update(&mem, STATE_AGENT_ACCT, &gone, &acct.runner);
	s = daemon_start();
	assert_int_equal(mem_lookup(&mem, STATE_JOB_ACCT, &live, &acct), 0);
	assert_int_equal(mem_lookup(&mem, STATE_JOB_ACCT, &gone, &acct), -ENOENT);
	assert_int_equal(mem_lookup(&mem, STATE_AGENT_ACCT, &live, &acct.runner), 0);
	assert_int_equal(mem_lookup(&mem, STATE_AGENT_ACCT, &gone, &acct.runner), -ENOENT);
	state__free(s);
}

/* a runner with no agent and no running job goes after the grace period, its counters too */
static void test_an_idle_runner_expires_after_the_grace_period(void **unused)
{
	(void)unused;
	struct rs_runner_key k = { .kind = KIND_GITEA, .name = "r1" };
	struct rs_runner_stats st;
	uint64_t now;
	struct state *s;

	mem_init(&mem);
	s = run_job(-1);
	now = clock_ns(CLOCK_MONOTONIC);
	state__expire(s, now);
	assert_non_null(runner(s, "r1"));
	state__expire(s, now + GRACE_NS / 2);
	assert_non_null(runner(s, "r1"));
	state__expire(s, now + GRACE_NS + 1);
	assert_null(runner(s, "r1"));
	assert_int_equal(mem_lookup(&mem, STATE_RUNNER_STATS, &k, &st), -ENOENT);
	state__free(s);
}

/* while a job runs, its runner stays, however long */
static void test_a_runner_with_a_running_job_stays(void **unused)
{
	(void)unused;
	struct rs_job rec = job_rec(0, 1 * S);
	struct state *s;

	mem_init(&mem);
	s = daemon_start();
	state__name_job(s, &job_key, KIND_GITEA, "r1");
	state__job(s, &job_key, &rec, NULL, NULL, NULL);
	state__expire(s, clock_ns(CLOCK_MONOTONIC) + 100 * GRACE_NS);
	assert_non_null(runner(s, "r1"));
	assert_int_equal(runner(s, "r1")->jobs_running, 1);
	state__free(s);
}

/* a runner's oldest running job (runnerscope_job_start_time_seconds), as jobs come and go */
static void test_the_oldest_running_job(void **unused)
{
	struct rs_key older = { .tgid = 0, .start_ns = 50 * S };
	struct rs_job rec = job_rec(0, 1 * S), end = job_rec(1, 2 * S);
	struct state *s;

	(void)unused;
	mem_init(&mem);
	s = daemon_start();
	state__name_job(s, &job_key, KIND_GITEA, "r1");
	state__job(s, &job_key, &rec, NULL, NULL, NULL);
	assert_int_equal(runner(s, "r1")->oldest_job_ns, job_key.start_ns);
	state__name_job(s, &older, KIND_GITEA, "r1");
	state__job(s, &older, &rec, NULL, NULL, NULL);
	assert_int_equal(runner(s, "r1")->oldest_job_ns, older.start_ns);
	state__job(s, &older, &end, NULL, NULL, NULL);
	assert_int_equal(runner(s, "r1")->oldest_job_ns, job_key.start_ns);
	state__job(s, &job_key, &end, NULL, NULL, NULL);
	assert_int_equal(runner(s, "r1")->oldest_job_ns, 0);
	state__free(s);
}

/* the event log is told each job twice, started then finished, from the state's records */
static void test_the_event_log_gets_each_job_started_then_finished(void **unused)
{
	char path[] = "/tmp/rs-test-events-XXXXXX", text[8192], *fin;
	struct state_opts o = { .grace_ns = GRACE_NS };
	struct rs_job rec = job_rec(0, 1 * S);
	struct state *s;
	FILE *f;
	size_t n;
	int fd;

	(void)unused;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	mem_init(&mem);
	o.on_job_ctx = eventlog__new(path);
	assert_non_null(o.on_job_ctx);
	o.on_job = eventlog__on_job;
	s = state__new(&o);
	state__set_store(s, &mem_ops, &mem);
	state__name_job(s, &job_key, KIND_GITEA, "r1");
	state__job(s, &job_key, &rec, NULL, NULL, NULL);
	rec = job_rec(1, 2 * S);
	state__job(s, &job_key, &rec, NULL, NULL, NULL);
	state__free(s);
	assert_int_equal(eventlog_lines(o.on_job_ctx), 2);
	eventlog__free(o.on_job_ctx);
	f = fopen(path, "re");
	assert_non_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	/* one job_started line, then one job_finished */
	assert_non_null(strstr(text, "\"event\":\"job_started\""));
	fin = strstr(text, "\"event\":\"job_finished\"");
	assert_non_null(fin);
	assert_true(strstr(text, "job_started") < fin);
	assert_null(strstr(fin + sizeof("\"event\":\"job_finished\""), "job_finished"));
	assert_non_null(strstr(fin, "\"kind\":\"gitea\",\"runner\":\"r1\""));
	assert_non_null(strstr(fin, "\"duration_seconds\":2.000000,"));
	assert_non_null(strstr(fin, "\"result\":\"success\""));
	assert_non_null(strstr(fin, "\"cpu_user_seconds\":2.000000,"));
	assert_non_null(strstr(fin, "\"processes\":1"));
	unlink(path);
}

/* a container's mark finds the running job it belongs to, and only that one */
static void test_a_container_mark_finds_its_running_job(void **unused)
{
	const struct rs_key gh1 = { .tgid = 0, .start_ns = 200 * S },
			    gh2 = { .tgid = 0, .start_ns = 201 * S },
			    bk = { .tgid = 0, .start_ns = 202 * S };
	struct job_context ctx = { .tracking_id = "0190a3b2-7c4d-4e8f-9a1b-2c3d4e5f6a7b" };
	struct job_mark m = { .kind = KIND_GITHUB, .labels = "x 676831" }; /* hex of gh1 */
	struct rs_job rec = job_rec(0, 1 * S);
	struct rs_key found;
	struct state *s;

	(void)unused;
	mem_init(&mem);
	s = daemon_start();
	assert_int_equal(state__job_by_mark(s, &m, &found), -ENOENT);
	rec.kind = KIND_GITHUB;
	state__name_job(s, &gh1, KIND_GITHUB, "gh1");
	assert_int_equal(state__job(s, &gh1, &rec, NULL, NULL, NULL), 0);
	assert_int_equal(state__job_by_mark(s, &m, &found), 0);
	assert_memory_equal(&found, &gh1, sizeof(found));
	/* another label is another runner's */
	snprintf(m.labels, sizeof(m.labels), "676832");
	assert_int_equal(state__job_by_mark(s, &m, &found), -ENOENT);
	/* two jobs of the runner at once: which one cannot be told */
	snprintf(m.labels, sizeof(m.labels), "676831");
	state__name_job(s, &gh2, KIND_GITHUB, "gh1");
	assert_int_equal(state__job(s, &gh2, &rec, NULL, NULL, NULL), 0);
	assert_int_equal(state__job_by_mark(s, &m, &found), -EEXIST);
	/* once one has ended, the other is meant; once both have, nobody new */
	rec = job_rec(1, 2 * S);
	rec.kind = KIND_GITHUB;
	state__job(s, &gh1, &rec, NULL, NULL, NULL);
	assert_int_equal(state__job_by_mark(s, &m, &found), 0);
	assert_memory_equal(&found, &gh2, sizeof(found));
	state__job(s, &gh2, &rec, NULL, NULL, NULL);
	assert_int_equal(state__job_by_mark(s, &m, &found), -ENOENT);
	/* Buildkite: by the job id its context carries */
	rec = job_rec(0, 1 * S);
	rec.kind = KIND_BUILDKITE;
	state__name_job(s, &bk, KIND_BUILDKITE, "bk1");
	assert_int_equal(state__job(s, &bk, &rec, NULL, &ctx, NULL), 0);
	m = (struct job_mark){ .kind = KIND_BUILDKITE };
	buildkite_undash(ctx.tracking_id, m.id, sizeof(m.id));
	assert_int_equal(state__job_by_mark(s, &m, &found), 0);
	assert_memory_equal(&found, &bk, sizeof(found));
	snprintf(m.id, sizeof(m.id), "another");
	assert_int_equal(state__job_by_mark(s, &m, &found), -ENOENT);
	state__free(s);
}

/* containers placed in a job before the state has its record, and after: all listed once */
static void test_a_jobs_containers_are_listed_once(void **unused)
{
	struct rs_job rec = job_rec(0, 1 * S);
	struct state *s;

	(void)unused;
	mem_init(&mem);
	s = daemon_start();
	state__name_job(s, &job_key, KIND_GITEA, "r1");
	/* the intake placed the job container before the pass that reads the job */
	state_job_add_container(s, &job_key, "aaaa", "job");
	state__expire(s, 0); /* a pass: nothing pending is old yet */
	assert_int_equal(state__job(s, &job_key, &rec, NULL, NULL, NULL), 0);
	state_job_add_container(s, &job_key, "bbbb", "service");
	state_job_add_container(s, &job_key, "aaaa", "job");
	for (int i = 0; i < 2 * JOB_CONTAINERS_MAX; i++) {
		char id[16];

		snprintf(id, sizeof(id), "c%d", i);
		state_job_add_container(s, &job_key, id, "step");
	}
	rec = job_rec(1, 2 * S);
	assert_int_equal(state__job(s, &job_key, &rec, NULL, NULL, NULL), 1);
	state__lock(s);
	assert_int_equal(state__recent(s, 0)->ncontainers, JOB_CONTAINERS_MAX);
	assert_string_equal(state__recent(s, 0)->containers[0].id, "aaaa");
	assert_string_equal(state__recent(s, 0)->containers[0].role, "job");
	assert_string_equal(state__recent(s, 0)->containers[1].id, "bbbb");
	assert_string_equal(state__recent(s, 0)->containers[1].role, "service");
	assert_string_equal(state__recent(s, 0)->containers[2].id, "c0");
	state__unlock(s);
	/* a placement for a job that never comes is dropped after a while, and at the end */
	state_job_add_container(s, &(struct rs_key){ .tgid = 0, .start_ns = 999 * S }, "dddd",
				"job");
	state__free(s);
}

/*
 * The state reads nothing: a running agent is taken only with the identity its caller read
 * (named as that says, its runner's name given back for the containers), and the runner of a
 * job whose agent it does not know is the one its caller read from the job's process, or
 * "unknown"
 */
static void test_runners_are_named_by_what_the_caller_read(void **unused)
{
	const struct rs_key agent = { .tgid = 4242, .start_ns = 50 * S },
			    job = { .tgid = 4343, .start_ns = 60 * S },
			    orphan = { .tgid = 4444, .start_ns = 61 * S };
	struct rs_agent a = { .kind = KIND_FORGEJO, .state = RS_STATE_RUNNING };
	struct identity id = { .name = "fj-1", .name_source = "runner_file", .capacity = 3,
			       .ctr = { .id = "abcd" } };
	struct state_named n = {};
	struct rs_job rec = job_rec(0, 1 * S);
	struct state *s;

	(void)unused;
	mem_init(&mem);
	s = daemon_start();
	/* no identity: not taken, nothing named */
	assert_int_equal(state__agent(s, &agent, &a, &n), 0);
	assert_false(state__has_agent(s, &agent));
	assert_null(runner(s, "fj-1"));
	n.id = &id;
	assert_int_equal(state__agent(s, &agent, &a, &n), 0);
	assert_true(state__has_agent(s, &agent));
	assert_string_equal(n.runner, "fj-1");
	assert_non_null(runner(s, "fj-1"));
	assert_int_equal(runner(s, "fj-1")->capacity, 3);
	assert_int_equal(runner(s, "fj-1")->kind, KIND_FORGEJO);
	assert_string_equal(runner(s, "fj-1")->ctr.id, "abcd");
	/* known: taken again without one, nothing new named */
	n = (struct state_named){};
	assert_int_equal(state__agent(s, &agent, &a, &n), 0);
	assert_string_equal(n.runner, "");
	/* a job of that agent is its runner's; the caller need not read anything */
	rec.kind = KIND_FORGEJO;
	rec.runner = agent;
	assert_int_equal(state__job(s, &job, &rec, NULL, NULL, &n), 0);
	assert_string_equal(n.runner, "");
	assert_int_equal(runner(s, "fj-1")->jobs_running, 1);
	/* a job whose agent is unknown: its caller's identity, else "unknown" */
	rec.runner = (struct rs_key){ .tgid = 1, .start_ns = 1 };
	assert_int_equal(state__job(s, &orphan, &rec, NULL, NULL, NULL), 0);
	assert_non_null(runner(s, "unknown"));
	assert_int_equal(runner(s, "unknown")->jobs_running, 1);
	/* the context comes from the caller too, once the state has the job */
	assert_int_equal(state__job_wants_context(s, &job), 1);
	assert_int_equal(state__job_wants_context(s, &(struct rs_key){ .tgid = 9 }), -1);
	state__job_context(s, &job, &(struct job_context){ .repository = "org/app" });
	assert_int_equal(state__job_wants_context(s, &job), 0);
	/* the agent exits */
	a.state = RS_STATE_FINISHED;
	assert_int_equal(state__agent(s, &agent, &a, NULL), 1);
	assert_false(state__has_agent(s, &agent));
	state__free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_runners_are_named_by_what_the_caller_read),
		cmocka_unit_test(test_a_job_is_counted_once),
		cmocka_unit_test(test_a_restart_counts_nothing_again),
		cmocka_unit_test(test_killed_between_the_two_writes),
		cmocka_unit_test(test_killed_before_the_first_write),
		cmocka_unit_test(test_each_change_is_two_writes_runner_first),
		cmocka_unit_test(test_counters_only_grow),
		cmocka_unit_test(test_pinned_runners_are_adopted),
		cmocka_unit_test(test_stale_accounting_is_dropped),
		cmocka_unit_test(test_an_idle_runner_expires_after_the_grace_period),
		cmocka_unit_test(test_a_runner_with_a_running_job_stays),
		cmocka_unit_test(test_the_oldest_running_job),
		cmocka_unit_test(test_the_event_log_gets_each_job_started_then_finished),
		cmocka_unit_test(test_a_container_mark_finds_its_running_job),
		cmocka_unit_test(test_a_jobs_containers_are_listed_once),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
