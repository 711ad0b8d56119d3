// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <linux/types.h>
#include "ci/jobid.h"
#include "jobs.h"
#include "ci/detect.h"
#include "ci/runner_file.h"
#include "ci/kinds/kinds.h"

#define HASH "0123456789abcdef"
#define SHA "23d44318a2b4c6d8e0f1a3b5c7d9e1f3a5b7c9d1e3f5a7b9c1d3e5f7a9b1c3d5"

/* one row: a container name and environment/labels as KEY=VALUE, what it is part of */
struct row {
	const char *name;
	const char *kv[6];
	int kind; /* 0: no job's */
	const char *id;
	const char *runner;
	const char *token;
	int step;
};

static const struct row rows[] = {
	/* Gitea, job containers by name: up to v0.5 joined with _, from v0.6 with - and a hash */
	{ "GITEA-ACTIONS-TASK-42_WORKFLOW-CI_JOB-build", {}, KIND_GITEA, "task-42", "", "", 0 },
	{ "GITEA-ACTIONS-TASK-7_WORKFLOW-Release-pipeline_JOB-test-2", {}, KIND_GITEA, "task-7",
	  "", "", 0 },
	{ "GITEA-ACTIONS-TASK-42-WORKFLOW-CI-JOB-build-" SHA, {}, KIND_GITEA, "task-42", "", "",
	  0 },
	/* a service container, and a docker action's step container, of the same task */
	{ "GITEA-ACTIONS-TASK-42-WORKFLOW-CI-JOB-build-postgres-" SHA, {}, KIND_GITEA,
	  "task-42", "", "", 0 },
	{ "GITEA-ACTIONS-TASK-42_WORKFLOW-CI_JOB-build_STEP-lint", {}, KIND_GITEA, "task-42", "",
	  "", 1 },
	{ "GITEA-ACTIONS-TASK-x_WORKFLOW-CI", {}, 0, NULL, NULL, NULL, 0 },
	{ "GITEA-ACTIONS-TASK-", {}, 0, NULL, NULL, NULL, 0 },
	{ "gitea-actions-task-42", {}, 0, NULL, NULL, NULL, 0 },
	/* Gitea, processes by their environment: a step exec'd into a job container, host mode */
	{ NULL,
	  { "GITEA_ACTIONS=true", "JOB_CONTAINER_NAME=GITEA-ACTIONS-TASK-9_WORKFLOW-w_JOB-j",
	    "RUNNER_NAME=gitea-a" },
	  KIND_GITEA, "task-9", "gitea-a", "", 1 },
	{ NULL, { "GITEA_ACTIONS=true", "GITHUB_RUN_ID=311", "GITHUB_JOB=lint" }, KIND_GITEA,
	  "run-311-lint-1", "", "", 1 },
	{ NULL,
	  { "GITEA_ACTIONS=true", "GITHUB_RUN_ID=311", "GITHUB_JOB=lint", "GITHUB_RUN_ATTEMPT=3" },
	  KIND_GITEA, "run-311-lint-3", "", "", 1 },
	{ NULL, { "GITEA_ACTIONS=true" }, 0, NULL, NULL, NULL, 0 },
	{ NULL, { "GITEA_ACTIONS=false", "GITHUB_RUN_ID=1", "GITHUB_JOB=x" }, 0, NULL, NULL, NULL,
	  0 },
	/* Forgejo's runner (forgejo/runner): job containers FORGEJO-ACTIONS-TASK-<task>_… from
	 * v6.0 (internal/app/run/runner.go), their step containers _STEP-<id>; steps carry both
	 * FORGEJO_ACTIONS=true (v7.0 on) and GITEA_ACTIONS=true, and no RUNNER_NAME */
	{ "FORGEJO-ACTIONS-TASK-17_WORKFLOW-" SHA "_JOB-test", {}, KIND_FORGEJO, "task-17", "", "",
	  0 },
	{ "FORGEJO-ACTIONS-TASK-17_WORKFLOW-" SHA "_JOB-test_STEP-lint", {}, KIND_FORGEJO,
	  "task-17", "", "", 1 },
	{ NULL,
	  { "GITEA_ACTIONS=true", "FORGEJO_ACTIONS=true",
	    "JOB_CONTAINER_NAME=FORGEJO-ACTIONS-TASK-17_WORKFLOW-w_JOB-test" },
	  KIND_FORGEJO, "task-17", "", "", 1 },
	{ NULL,
	  { "GITEA_ACTIONS=true", "FORGEJO_ACTIONS=true", "GITHUB_RUN_ID=52", "GITHUB_JOB=build",
	    "GITHUB_RUN_ATTEMPT=2" },
	  KIND_FORGEJO, "run-52-build-2", "", "", 1 },
	{ NULL, { "FORGEJO_ACTIONS=true" }, 0, NULL, NULL, NULL, 0 },
	{ "FORGEJO-ACTIONS-TASK-_WORKFLOW-x", {}, 0, NULL, NULL, NULL, 0 },
	/* a GitHub runner's step: GITHUB_* without GITEA_ACTIONS is no Gitea job */
	{ NULL, { "GITHUB_RUN_ID=1", "GITHUB_JOB=x", "RUNNER_NAME=gh" }, 0, NULL, NULL, NULL, 0 },
	/* GitLab docker executor: names, labels, environment */
	{ "runner-t9wkyj-hg-project-12-concurrent-0-" HASH "-build",
	  { "label:com.gitlab.gitlab-runner.job.id=4711",
	    "label:com.gitlab.gitlab-runner.runner.id=t9Wkyj-HG",
	    "label:com.gitlab.gitlab-runner.type=build", "CI_JOB_ID=4711",
	    "CI_RUNNER_DESCRIPTION=gl-docker" },
	  KIND_GITLAB, "job-4711", "gl-docker", "t9Wkyj-HG", 1 },
	{ "runner-t9wkyj-hg-project-12-concurrent-0-" HASH "-predefined",
	  { "label:com.gitlab.gitlab-runner.job.id=4711",
	    "label:com.gitlab.gitlab-runner.type=predefined" },
	  KIND_GITLAB, "job-4711", "", "t9wkyj-hg", 1 },
	{ "runner-t9wkyj-hg-project-12-concurrent-0-" HASH "-postgres-0",
	  { "label:com.gitlab.gitlab-runner.job.id=4711",
	    "label:com.gitlab.gitlab-runner.type=service" },
	  KIND_GITLAB, "job-4711", "", "t9wkyj-hg", 0 },
	/* by name alone: the job is the name up to its per-job hex */
	{ "runner-abcd1234-project-5-concurrent-2-" HASH "-build", {}, KIND_GITLAB,
	  "ctr-runner-abcd1234-project-5-concurrent-2-" HASH, "", "abcd1234", 1 },
	{ "runner-abcd1234-project-5-concurrent-2-" HASH "-docker-0", {}, KIND_GITLAB,
	  "ctr-runner-abcd1234-project-5-concurrent-2-" HASH, "", "abcd1234", 0 },
	/* older: -<type>-<index> */
	{ "runner-abcd1234-project-5-concurrent-2-build-4", {}, KIND_GITLAB,
	  "ctr-runner-abcd1234-project-5-concurrent-2", "", "abcd1234", 1 },
	{ "runner-abcd1234-project-5-concurrent-2-" HASH "-predefined-3", {}, KIND_GITLAB,
	  "ctr-runner-abcd1234-project-5-concurrent-2-" HASH, "", "abcd1234", 1 },
	{ "runner--project-5-concurrent-2-build", {}, 0, NULL, NULL, NULL, 0 },
	{ "runner-abcd-project-x-concurrent-2-build", {}, 0, NULL, NULL, NULL, 0 },
	{ "runner-abcd-project-5-concurrent-build", {}, 0, NULL, NULL, NULL, 0 },
	{ "my-runner", {}, 0, NULL, NULL, NULL, 0 },
	/* GitLab shell executor: the stage's commands carry CI_JOB_ID */
	{ NULL,
	  { "CI_JOB_ID=99", "CI_RUNNER_SHORT_TOKEN=t9Wkyj-HG", "CI_RUNNER_DESCRIPTION=gl-shell" },
	  KIND_GITLAB, "job-99", "gl-shell", "t9Wkyj-HG", 1 },
	{ NULL, { "CI_JOB_ID=9x" }, 0, NULL, NULL, NULL, 0 },
	{ NULL, { "CI_JOB_ID=" }, 0, NULL, NULL, NULL, 0 },
	/* names that are no job's */
	{ "standard", { "RUNNER_NAME=standard" }, 0, NULL, NULL, NULL, 0 },
	{ "", {}, 0, NULL, NULL, NULL, 0 },
};

static void classify_row(const struct row *r)
{
	char buf[KINDS_KEYS_MAX][256];
	const char *vals[KINDS_KEYS_MAX] = {};
	struct kind_vals kv;
	struct job_hint h;
	int got, n;
	const char *const *keys = kinds__keys(&n, NULL);

	for (int i = 0; i < 6 && r->kv[i]; i++) {
		const char *eq = strchr(r->kv[i], '=');
		int found = 0;

		assert_non_null(eq);
		for (int k = 0; k < n; k++)
			if (strlen(keys[k]) == (size_t)(eq - r->kv[i]) &&
			    !strncmp(keys[k], r->kv[i], (size_t)(eq - r->kv[i]))) {
				snprintf(buf[k], sizeof(buf[k]), "%s", eq + 1);
				vals[k] = buf[k];
				found = 1;
			}
		if (!found)
			fail_msg("%s: no kind reads it", r->kv[i]);
	}
	kv = kinds__vals(vals);
	got = kinds__classify(r->name, &kv, &h) > 0;
	if (!r->kind) {
		if (got)
			fail_msg("%s: classified as kind %d id %s", r->name ? r->name : r->kv[0],
				 h.kind, h.id);
		return;
	}
	if (!got)
		fail_msg("%s: not classified", r->name ? r->name : r->kv[0]);
	assert_int_equal(h.kind, r->kind);
	assert_string_equal(h.id, r->id);
	assert_string_equal(h.runner, r->runner);
	assert_string_equal(h.tag, r->token);
	assert_int_equal(h.step, r->step);
}

static void test_job_of_container_or_process(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		classify_row(&rows[i]);
}

static void test_gitea_task(void **state)
{
	(void)state;
	assert_int_equal(act_task("GITEA-ACTIONS-TASK-1", "GITEA-ACTIONS-TASK-"), 1);
	assert_int_equal(act_task("GITEA-ACTIONS-TASK-123456_WORKFLOW-x", "GITEA-ACTIONS-TASK-"), 123456);
	assert_int_equal(act_task("GITEA-ACTIONS-TASK-0042-WORKFLOW-x", "GITEA-ACTIONS-TASK-"), 42);
	assert_int_equal(act_task("GITEA-ACTIONS-TASK-12a", "GITEA-ACTIONS-TASK-"), -1);
	assert_int_equal(act_task("GITEA-ACTIONS-TASK-1234567890123456789", "GITEA-ACTIONS-TASK-"), -1);
	assert_int_equal(act_task(NULL, "GITEA-ACTIONS-TASK-"), -1);
}

/* the agent and job rules of every kind: comm (cut to 15 bytes) and argv[1] */
static void test_rules_of_every_kind(void **state)
{
	static const struct {
		const char *comm, *arg1;
		int role, kind;
	} r[] = {
		{ "Runner.Listener", "run", RS_ROLE_AGENT, KIND_GITHUB },
		{ "Runner.Worker", "spawnclient", RS_ROLE_JOB, KIND_GITHUB },
		{ "act_runner", "daemon", RS_ROLE_AGENT, KIND_GITEA },
		{ "act_runner", "register", RS_ROLE_NONE, KIND_NONE },
		{ "act_runner", "exec", RS_ROLE_NONE, KIND_NONE },
		{ "gitea-runner", "daemon", RS_ROLE_AGENT, KIND_GITEA },
		{ "forgejo-runner", "daemon", RS_ROLE_AGENT, KIND_FORGEJO },
		{ "forgejo-runner", "one-job", RS_ROLE_AGENT, KIND_FORGEJO },
		{ "forgejo-runner", "register", RS_ROLE_NONE, KIND_NONE },
		{ "forgejo-runner", "exec", RS_ROLE_NONE, KIND_NONE },
		{ "forgejo-runner", NULL, RS_ROLE_NONE, KIND_NONE },
		{ "gitlab-runner", "run", RS_ROLE_AGENT, KIND_GITLAB },
		{ "gitlab-runner", "register", RS_ROLE_NONE, KIND_NONE },
		{ "gitlab-runner", "artifacts-uploader", RS_ROLE_NONE, KIND_NONE },
		{ "buildkite-agent", "start", RS_ROLE_AGENT, KIND_BUILDKITE },
		{ "buildkite-agent", "bootstrap", RS_ROLE_JOB, KIND_BUILDKITE },
		{ "buildkite-agent", "meta-data", RS_ROLE_NONE, KIND_NONE },
		{ "buildkite-agent", NULL, RS_ROLE_NONE, KIND_NONE },
		{ "gitlab-runner-helper", "cache-archiver", RS_ROLE_NONE, KIND_NONE },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		int kind = -1, role = detect__classify(r[i].comm, r[i].arg1, &kind);

		if (role != r[i].role || kind != r[i].kind)
			fail_msg("%s %s: role %d kind %d", r[i].comm, r[i].arg1 ? r[i].arg1 : "",
				 role, kind);
	}
}

static void test_results_of_other_kinds(void **state)
{
	const char *reason;

	(void)state;
	assert_int_equal(detect__job_result(KIND_BUILDKITE, 0, &reason), RESULT_SUCCESS);
	assert_int_equal(detect__job_result(KIND_BUILDKITE, 1 << 8, &reason), RESULT_FAILURE);
	assert_string_equal(reason, "step_failed");
	assert_int_equal(detect__job_result(KIND_BUILDKITE, 15, &reason), RESULT_CANCELLED);
	assert_int_equal(detect__job_result(KIND_BUILDKITE, 9, &reason), RESULT_FAILURE);
	assert_string_equal(reason, "killed");
	assert_int_equal(detect__job_result(KIND_GITLAB, 0, &reason), RESULT_SUCCESS);
	assert_int_equal(detect__job_result(KIND_GITEA, 1 << 8, &reason), RESULT_FAILURE);
	assert_int_equal(detect__job_result(KIND_FORGEJO, 0, &reason), RESULT_SUCCESS);
	assert_int_equal(detect__job_result(KIND_FORGEJO, 1 << 8, &reason), RESULT_FAILURE);
	assert_string_equal(reason, "step_failed");
}

static void test_gitlab_config(void **state)
{
	static const char toml[] =
		"concurrent = 4\n"
		"[session_server]\n  name = \"not this\"\n"
		"[[runners]]\n"
		"  # a comment\n"
		"  name = \"gl \\\"docker\\\" 1\"\n"
		"  url = \"https://gitlab.example.com\"\n"
		"  token = \"glrt-t1_t9Wkyj-HGRkqQxyz\"\n"
		"  executor = \"docker\"\n"
		"  [runners.docker]\n    name = \"nor this\"\n"
		"[[runners]]\n  name = \"second\"\n";
	char name[256], token[64], shortt[16];

	(void)state;
	assert_int_equal(gitlab_config_parse(toml, sizeof(toml) - 1, name, sizeof(name), token,
					     sizeof(token)),
			 0);
	assert_string_equal(name, "gl \"docker\" 1");
	assert_string_equal(token, "glrt-t1_t9Wkyj-HGRkqQxyz");
	gitlab_short_token(token, shortt, sizeof(shortt));
	assert_string_equal(shortt, "t9Wkyj-HG");
	gitlab_short_token("glrt-abcdefghijk", shortt, sizeof(shortt));
	assert_string_equal(shortt, "abcdefghi");
	gitlab_short_token("GR1348941abcdefghijkl", shortt, sizeof(shortt));
	assert_string_equal(shortt, "abcdefghi");
	assert_int_equal(gitlab_config_parse("[[runners]]\nurl = 'x'\n", 23, name, sizeof(name),
					     token, sizeof(token)),
			 -ENOENT);
	assert_int_equal(gitlab_config_parse("name = \"top\"\n", 13, name, sizeof(name), token,
					     sizeof(token)),
			 -ENOENT);
	/* a literal string, and an unterminated one */
	assert_int_equal(gitlab_config_parse("[[runners]]\nname = 'lit\\eral'\n", 31, name,
					     sizeof(name), token, sizeof(token)),
			 0);
	assert_string_equal(name, "lit\\eral");
	assert_int_equal(gitlab_config_parse("[[runners]]\nname = \"open\n", 26, name, sizeof(name),
					     token, sizeof(token)),
			 -ENOENT);
}

static void test_gitea_runner_file(void **state)
{
	static const char json[] = "{\n  \"WARNING\": \"This file is automatically generated\",\n"
				   "  \"id\": 3, \"uuid\": \"x\", \"name\": \"gitea-a\",\n"
				   "  \"labels\": [\"ubuntu-latest:docker://node:20\"]\n}\n";
	char name[256];

	(void)state;
	assert_int_equal(runner_file_parse_key(json, sizeof(json) - 1, "name", name, sizeof(name)),
			 0);
	assert_string_equal(name, "gitea-a");
	/* a GitHub .runner is read by agentName; a Gitea one has none */
	assert_int_equal(github_runner_name(json, sizeof(json) - 1, name, sizeof(name)), -ENOENT);
}

/* the keys the tests below set: the kinds read values by key */
enum { JK_LABEL_KEYS, JK_LABEL_BUILDKITE_JOB, JK_LABEL_COMPOSE_PROJECT, JK_COMMAND, JK_LABEL_TYPE,
       JK_MAX };
static const char *const jk[JK_MAX] = { "labels:", "label:com.buildkite.job-id",
					"label:com.docker.compose.project", "command:",
					"label:com.gitlab.gitlab-runner.type" };

static int jobid_mark(const char **v, struct job_mark *m)
{
	struct kind_vals kv = { jk, v, JK_MAX };

	return kinds__mark(NULL, &kv, m);
}

static int jobid_github_marked(const struct job_mark *m, const char *tag, const char *name,
			       const char *pod)
{
	struct kind_runner r = { name, tag, pod };

	return kinds__marks_job(m, &r, "");
}

static const char *jobid_role(int kind, const struct job_hint *h, const char *name,
			      const char **v)
{
	struct kind_vals kv = { jk, v, JK_MAX };

	return kinds__role(kind, h, name, &kv);
}

/* the marks of containers whose job the kernel follows: GitHub's instance label, Buildkite's */
static void test_marks(void **state)
{
	const char *v[JK_MAX] = {};
	struct job_mark m;

	(void)state;
	assert_false(jobid_mark(v, &m));
	v[JK_LABEL_KEYS] = "";
	assert_false(jobid_mark(v, &m));
	v[JK_LABEL_KEYS] = "49eb1e org.example.flag";
	assert_true(jobid_mark(v, &m));
	assert_int_equal(m.kind, KIND_GITHUB);
	assert_true(jobid_github_marked(&m, "49eb1e", "standard", NULL));
	assert_false(jobid_github_marked(&m, "49eb1f", "standard", NULL));
	assert_false(jobid_github_marked(&m, "", "standard", NULL));
	/* whole keys only */
	v[JK_LABEL_KEYS] = "x49eb1e 49eb1ex";
	jobid_mark(v, &m);
	assert_false(jobid_github_marked(&m, "49eb1e", "standard", NULL));
	/* the docker container hook labels with the runner's name in hex */
	v[JK_LABEL_KEYS] = "org.example.flag 7374616e64617264";
	jobid_mark(v, &m);
	assert_true(jobid_github_marked(&m, "", "standard", NULL));
	assert_false(jobid_github_marked(&m, "", "standar", NULL));
	assert_false(jobid_github_marked(&m, "", "", NULL));
	/* Buildkite's docker plugin: its job id, before any GitHub-looking label */
	v[JK_LABEL_BUILDKITE_JOB] = "0190a3b2-7c4d-4e8f-9a1b-2c3d4e5f6a7b";
	assert_true(jobid_mark(v, &m));
	assert_int_equal(m.kind, KIND_BUILDKITE);
	assert_string_equal(m.id, "0190a3b27c4d4e8f9a1b2c3d4e5f6a7b");
	/* the compose plugin's project: buildkite and the id without its dashes */
	v[JK_LABEL_BUILDKITE_JOB] = NULL;
	v[JK_LABEL_COMPOSE_PROJECT] = "buildkite0190a3b27c4d4e8f9a1b2c3d4e5f6a7b";
	assert_true(jobid_mark(v, &m));
	assert_int_equal(m.kind, KIND_BUILDKITE);
	assert_string_equal(m.id, "0190a3b27c4d4e8f9a1b2c3d4e5f6a7b");
	/* a Buildkite mark is no GitHub runner's */
	assert_false(jobid_github_marked(&m, "", "standard", NULL));
	/* another project, or buildkite with no id: the GitHub-looking labels above decide */
	v[JK_LABEL_COMPOSE_PROJECT] = "myproject";
	assert_int_equal(jobid_mark(v, &m), 1);
	assert_int_equal(m.kind, KIND_GITHUB);
	v[JK_LABEL_COMPOSE_PROJECT] = "buildkite";
	assert_int_equal(jobid_mark(v, &m), 1);
	assert_int_equal(m.kind, KIND_GITHUB);
}

/* ARC's Kubernetes mode: the job's pod and its container steps' pods name the runner pod, cut */
static void test_k8s_marks(void **state)
{
	/* 60 bytes: cut to 54 for the job's pod, to 49 for a step's */
	static const char runner_pod[] = "arc-runner-set-abcdefghijklmnopqrstuvwxyz-runner-7tq2c-xyz";
	char pod[128];
	struct job_mark m;

	(void)state;
	snprintf(pod, sizeof(pod), "%.54s-workflow", runner_pod);
	assert_true(github_k8s_mark(pod, &m));
	m.kind = KIND_GITHUB;
	assert_int_equal(m.step, 0);
	assert_true(jobid_github_marked(&m, "", "any", runner_pod));
	assert_false(jobid_github_marked(&m, "", "any", "arc-runner-set-other-runner-1"));
	assert_false(jobid_github_marked(&m, "", "any", NULL));
	snprintf(pod, sizeof(pod), "%.49s-step-0a1b2c3d", runner_pod);
	assert_true(github_k8s_mark(pod, &m));
	m.kind = KIND_GITHUB;
	assert_int_equal(m.step, 1);
	assert_true(jobid_github_marked(&m, "", "any", runner_pod));
	/* a short runner pod name is whole */
	assert_true(github_k8s_mark("arc-r-1-workflow", &m));
	m.kind = KIND_GITHUB;
	assert_true(jobid_github_marked(&m, "", "any", "arc-r-1"));
	assert_false(jobid_github_marked(&m, "", "any", "arc-r-12"));
	/* not the hooks' pods */
	assert_false(github_k8s_mark("web-0", &m));
	assert_false(github_k8s_mark("-workflow", &m));
	assert_false(github_k8s_mark(NULL, &m));
	snprintf(pod, sizeof(pod), "%.55s-workflow", runner_pod);
	assert_false(github_k8s_mark(pod, &m));
}

/* what each container is to its job, as job_finished lists it */
static void test_roles(void **state)
{
	const char *v[JK_MAX] = {};
	struct job_hint h = { .kind = KIND_GITEA };

	(void)state;
	v[JK_COMMAND] = "tail -f /dev/null";
	assert_string_equal(jobid_role(KIND_GITHUB, NULL,
				       "9b2e7c1d0a4f4e3b8c6d5a2f1e0b9c8d_node18_5d1c2a", v),
			    "job");
	v[JK_COMMAND] = "docker-entrypoint.sh postgres";
	assert_string_equal(jobid_role(KIND_GITHUB, NULL,
				       "9b2e7c1d0a4f4e3b8c6d5a2f1e0b9c8d_postgres15_0e9b41", v),
			    "service");
	assert_string_equal(jobid_role(KIND_GITHUB, NULL, "alpine_5d1c2a", v), "action");
	assert_string_equal(jobid_role(KIND_GITHUB, NULL, "9b2e7c1d0a4f_x", v), "action");
	assert_string_equal(jobid_role(KIND_GITHUB, NULL, NULL, v), "action");
	v[JK_LABEL_TYPE] = "build";
	assert_string_equal(jobid_role(KIND_GITLAB, NULL, NULL, v), "job");
	v[JK_LABEL_TYPE] = "predefined";
	assert_string_equal(jobid_role(KIND_GITLAB, NULL, NULL, v), "step");
	v[JK_LABEL_TYPE] = "service";
	assert_string_equal(jobid_role(KIND_GITLAB, NULL, NULL, v), "service");
	v[JK_LABEL_TYPE] = NULL;
	assert_string_equal(jobid_role(KIND_GITEA, &h, "GITEA-ACTIONS-TASK-7_WORKFLOW-ci_JOB-t",
				       v),
			    "job");
	h.step = 1; /* as jobid_classify() says of a step's container */
	assert_string_equal(jobid_role(KIND_GITEA, &h,
				       "GITEA-ACTIONS-TASK-7_WORKFLOW-ci_JOB-t_STEP-2", v),
			    "step");
	assert_string_equal(jobid_role(KIND_BUILDKITE, NULL, "x", v), "step");
}

/* the table: each kind by its name, the keys the kinds read each once, variables first */
static void test_the_table(void **state)
{
	int n, n_env;
	const char *const *keys = kinds__keys(&n, &n_env);

	(void)state;
	for (int k = 1; k < kinds_count(); k++) {
		assert_non_null(kinds__get(k));
		assert_int_equal(kinds__by_name(kinds__name(k)), k);
	}
	assert_null(kinds__get(KIND_NONE));
	assert_null(kinds__get(kinds_count()));
	assert_int_equal(kinds__by_name("jenkins"), KIND_NONE);
	assert_string_equal(kinds__name(KIND_FORGEJO), "forgejo");
	assert_true(n_env > 0 && n_env < n && n <= KINDS_KEYS_MAX);
	for (int i = 0; i < n; i++) {
		assert_int_equal(strchr(keys[i], ':') == NULL, i < n_env);
		for (int j = 0; j < i; j++)
			assert_string_not_equal(keys[i], keys[j]);
	}
	/* the environment read for a job is at most what one read of /proc can give */
	assert_true(n_env <= 31);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_table),
		cmocka_unit_test(test_job_of_container_or_process),
		cmocka_unit_test(test_gitea_task),
		cmocka_unit_test(test_rules_of_every_kind),
		cmocka_unit_test(test_results_of_other_kinds),
		cmocka_unit_test(test_gitlab_config),
		cmocka_unit_test(test_gitea_runner_file),
		cmocka_unit_test(test_marks),
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_k8s_marks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
