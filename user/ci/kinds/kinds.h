/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The CI systems: each one file of this folder (github.c, gitea.c, …) holding all that is
 * known of it behind struct kind_ops, and table.c, which lists them. Nothing outside this
 * folder names a CI system: it asks the table.
 *
 * A kind is a number (enum kind_id), which the programs' records carry.
 */
#ifndef RUNNERSCOPE_KINDS_H
#define RUNNERSCOPE_KINDS_H

#include <stddef.h>
#include <string.h>
#include <sys/types.h>
#include <linux/types.h>
#include "jobs.h"
#include "ci/detect.h"
#include "ci/identity.h"
#include "ci/jobid.h"

/* the kinds by number: pinned maps and the history keep it, so a number keeps its meaning for
 * good and a new kind takes the next */
enum kind_id {
	KIND_NONE,
	KIND_GITHUB,
	KIND_GITEA,
	KIND_GITLAB,
	KIND_BUILDKITE,
	KIND_FORGEJO,
	KIND_COUNT,
};

#define KINDS_MAX 16 /* the programs' trait masks hold 1 << kind in a __u32 */
#define KINDS_KEYS_MAX 40 /* the environment variables and labels the kinds read, together */

/* an executable that is one of a kind's agents or jobs: its comm and argv[1] */
struct kind_rule {
	const char *comm;
	const char *arg1; /* NULL: any argv[1]; "": no argv[1] */
	int role; /* RS_ROLE_AGENT or RS_ROLE_JOB */
};

/*
 * What a container or a process says for the kinds' keys (kinds__keys()): its environment
 * variables, labels and runtime files' values, NULL or "" where it has none
 */
struct kind_vals {
	const char *const *keys;
	const char *const *vals;
	int n;
};

/* the value of one key, NULL when absent or empty */
static inline const char *kind_val(const struct kind_vals *v, const char *key)
{
	for (int i = 0; v && i < v->n; i++)
		if (!strcmp(v->keys[i], key))
			return v->vals[i] && v->vals[i][0] ? v->vals[i] : NULL;
	return NULL;
}

/* the six fields of struct job_context, in its order */
enum ctx_field { CTX_REPOSITORY, CTX_WORKFLOW, CTX_JOB, CTX_RUN_ID, CTX_RUN_ATTEMPT, CTX_TRACK,
		 CTX_FIELDS };

/* what a kind's runner is known by to the marks of its jobs' containers */
struct kind_runner {
	const char *name;
	const char *tag; /* identity's tag: a GitLab short token, a GitHub container label */
	const char *pod; /* the pod it runs in, "" when none */
};

/*
 * Everything a CI system is. Each hook may be NULL: the generic rule then holds (no match, no
 * mark, the step role, an exit code's plain meaning).
 */
struct kind_ops {
	const char *name; /* the kind label's value */
	unsigned int traits; /* enum kind_trait */
	const struct kind_rule *rules; /* ended by one without a comm */
	/* the environment variables and ("label:<key>", "labels:", "image:", "command:") runtime
	 * file values its hooks read, ended by NULL: what intake reads for them */
	const char *const *keys;
	/* where its steps' environment says what the job is (struct job_context's fields);
	 * NULL where it says nothing */
	const char *context[CTX_FIELDS];
	/*
	 * Names a runner from its agent process pid: capacity, work folder, version and tag from
	 * its own files. 0 with id->name and id->name_source set; -errno to fall back to the
	 * generic sources (RUNNER_NAME, the hostname). Reads /proc.
	 */
	int (*identity)(pid_t pid, struct identity *id);
	/* a job process's wait status, where it means more than "0 is success": 1 with *res and
	 * *why set, 0 for the plain meaning */
	int (*result)(int wait_status, enum job_result *res, enum job_reason *why);
	/* a container (by name, NULL when unknown) or process that is one of its jobs of several
	 * processes (KIND_ENV_JOBS): 1 and *out filled; -1 when it is one of the kind's processes
	 * but names no job; 0 when it is not the kind's */
	int (*classify)(const char *ctr_name, const struct kind_vals *v, struct job_hint *out);
	/* a container that marks one of its jobs by labels or pod name: 1 and *out filled */
	int (*mark)(const char *pod, const struct kind_vals *v, struct job_mark *out);
	/* 1 when mark m names runner r's running job, whose context's tracking field is track */
	int (*marks_job)(const struct job_mark *m, const struct kind_runner *r, const char *track);
	/* 1 when the tag a job names its runner by is the runner's (as the kind writes tags) */
	int (*tag_eq)(const char *runner_tag, const char *job_tag);
	/* what a container is to its job: "job", "service", "action" or "step" (jobid.h) */
	const char *(*role)(const struct job_hint *h, const char *ctr_name,
			    const struct kind_vals *v);
};

/* the kind's ops, NULL for KIND_NONE and numbers no kind has */
const struct kind_ops *kinds__get(int kind);
/* one past the highest kind */
int kinds_count(void);
/* its label value, "unknown" for none */
const char *kinds__name(int kind);
/* the kind of that label value, KIND_NONE when no kind has it */
int kinds__by_name(const char *name);
/* 1 when kind has trait t */
int kinds__has(int kind, enum kind_trait t);
/* 1 << kind for each kind with trait t: the programs' rodata */
__u32 kinds__with(enum kind_trait t);

/*
 * The keys the kinds read, each once: first the environment variables (*n_env of them), then
 * the runtime files' values. vals arrays the hooks get are in this order.
 */
const char *const *kinds__keys(int *n, int *n_env);
/* vals, in kinds__keys()' order, for the hooks and kind_val() */
struct kind_vals kinds__vals(const char *const *vals);

/*
 * A job of several processes, of the first kind that claims it (a fork's before the kind it
 * was forked from: its processes carry both's variables): 1 and *out filled; -1 when a kind
 * knows it for one of its processes that is no job's; 0 when none knows it
 */
int kinds__classify(const char *ctr_name, const struct kind_vals *v, struct job_hint *out);
/* a container that marks a job whose job process the kernel follows */
int kinds__mark(const char *pod, const struct kind_vals *v, struct job_mark *out);
int kinds__marks_job(const struct job_mark *m, const struct kind_runner *r, const char *track);
int kinds__tag_eq(int kind, const char *runner_tag, const char *job_tag);
const char *kinds__role(int kind, const struct job_hint *h, const char *ctr_name,
			const struct kind_vals *v);

/* each kind, in the table's order (kinds.c) */
extern const struct kind_ops kind_github, kind_gitea, kind_gitlab, kind_buildkite, kind_forgejo;

/*
 * What kinds' files parse, for their tests: each takes text a runner wrote and returns 0 or
 * -errno unless it says otherwise.
 */
/* github.c: the runner root of an executable path, dirname(dirname(exe)), and the version of
 * a bin.<version> directory: 0 or -EINVAL */
int github_runner_root(const char *exe, char *root, size_t sz, char *version, size_t vsz);
/* agentName of a .runner (JSON, usually with a UTF-8 BOM): -EINVAL when not a JSON object,
 * -ENOENT when it has none, -E2BIG past RUNNER_FILE_MAX */
int github_runner_name(const char *text, size_t len, char *name, size_t name_sz);
/*
 * The label the runner puts on every container it makes for a job (job, service and
 * container-action containers, with an empty value): the first 6 hex digits of the SHA-256 of
 * its .runner file's text, lower-cased, without the UTF-8 BOM. Letters are lower-cased as
 * ASCII; the runner lower-cases other letters too, so a .runner with upper-case letters outside
 * ASCII gives another label. out: at least 7 bytes.
 */
int github_docker_label(const char *text, size_t len, char *out, size_t sz);
/*
 * The version from bin/Runner.Listener.deps.json, whose "Runner.Listener/<v>" names it (an
 * install that has never updated itself has no bin.<version> directory): -ENOENT when no such
 * key is there or the version is not digits and dots.
 */
#define GITHUB_DEPS_MAX (1024 * 1024)
int github_deps_version(const char *text, size_t len, char *version, size_t vsz);
/*
 * workFolder of the .runner (the runner's default "_work" when it names none), from the runner
 * root: actions/runner's HostContext.GetDirectory(WellKnownDirectory.Work) is
 * Path.GetFullPath(Path.Combine(root, settings.WorkFolder)), Constants.Path.WorkDirectory
 * the default of `config.sh --work`. runner_text NULL: there is none.
 */
int github_workdir(const char *runner_text, size_t len, const char *root, char *out, size_t sz);
/* 1 when a GitHub mark is runner r's */
int github_marked(const struct job_mark *m, const struct kind_runner *r);
/*
 * The pods ARC's Kubernetes-mode container hooks make for a job: "<runner pod, cut to
 * 54>-workflow" runs the job, "<runner pod, cut to 49>-step-<8>" a container step. 1 and *out
 * when pod is one, 0 when not
 */
int github_k8s_mark(const char *pod, struct job_mark *out);

/* act.c (act_runner and its fork): config.yaml's runner.capacity, 1 when it does not say
 * (act_runner's default); -E2BIG past RUNNER_FILE_MAX */
int act_config_capacity(const char *text, size_t len);
/*
 * host.workdir_parent of its config.yaml (relative to its working directory cwd), where its
 * host-mode jobs run, else ~/.cache/act (home: its HOME): what act_runner's
 * internal/pkg/config/config.go LoadDefault() sets when the file does not. Docker-mode jobs
 * work inside their containers, under container.workdir_parent.
 */
int act_workdir(const char *config_text, size_t len, const char *cwd, const char *home,
		char *out, size_t sz);
/* the task id in a job container's name with this prefix ("GITEA-ACTIONS-TASK-"; both the
 * _-joined and -joined forms), or -1 */
long long act_task(const char *name, const char *prefix);

/*
 * gitlab.c: config.toml's name and token of its first [[runners]] table (token "" when it
 * has none): -ENOENT when no [[runners]] table has a name; -E2BIG past RUNNER_FILE_MAX
 */
int gitlab_config_parse(const char *text, size_t len, char *name, size_t name_sz, char *token,
			size_t token_sz);
/* the global concurrent (default 1), lowered by the first [[runners]] table's limit where
 * that is set (0 is no limit): a capacity, or -E2BIG past RUNNER_FILE_MAX */
int gitlab_config_capacity(const char *text, size_t len);
/* the short token GitLab shows for a runner token (its container names, CI_RUNNER_SHORT_TOKEN) */
void gitlab_short_token(const char *token, char *out, size_t sz);
/*
 * The shell executor of the first [[runners]] builds in its builds_dir, else in "builds" under
 * the runner's working directory (gitlab-runner executors/shell/shell.go, Prepare(), after
 * `run -d` has changed to it); the docker and Kubernetes executors build in volumes of their
 * containers (/builds), not on the runner's filesystem.
 */
int gitlab_workdir(const char *config_text, size_t len, const char *cwd, char *out, size_t sz);

/* buildkite.c: a variable of the agent's environment into out: 0, or -ENOENT */
typedef int (*buildkite_env_fn)(void *ctx, const char *key, char *out, size_t sz);
/*
 * A build path (--build-path, BUILDKITE_BUILD_PATH or build-path in buildkite-agent.cfg, in
 * that order) made a path as the agent makes it (buildkite/agent internal/osutil/path.go,
 * NormalizeFilePath): $VAR and ${VAR} from its environment, a leading ~ its HOME, then taken
 * from its working directory cwd.
 */
int buildkite_workdir(const char *raw, const char *cwd, buildkite_env_fn env, void *ctx,
		      char *out, size_t sz);
/* a job id without its dashes, as the compose plugin names its project */
void buildkite_undash(const char *id, char *out, size_t sz);

#endif
