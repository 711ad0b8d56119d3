/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef RUNNERSCOPE_RUNNER_FILE_H
#define RUNNERSCOPE_RUNNER_FILE_H

#include <stddef.h>

#define RUNNER_FILE_MAX (64 * 1024) /* the runner writes a few hundred bytes */

/*
 * Parses the GitHub runner's `.runner` settings file (JSON, usually with a UTF-8 BOM) and
 * copies agentName into name. 0 on success; -EINVAL when the text is not a JSON object,
 * -ENOENT when it has no non-empty string agentName, -E2BIG when len exceeds RUNNER_FILE_MAX.
 */
int runner_file_parse(const char *text, size_t len, char *name, size_t name_sz);
/* the same for another key: Gitea's act_runner keeps its name as "name" */
int runner_file_parse_key(const char *text, size_t len, const char *key, char *name,
			  size_t name_sz);

/*
 * The next line of a config file (TOML, YAML) that says something: *p moves past it; line is
 * where it starts, key where its text starts after the indent, eol where it ends (before the
 * newline and a CR). Blank lines and comments ('#') are skipped. 0 at the end of the text.
 */
struct config_line {
	const char *line, *key, *eol;
};
int config_next_line(const char **p, const char *end, struct config_line *l);

/*
 * GitLab Runner's config.toml: name and token of its first [[runners]] table (token "" when it
 * has none). 0; -ENOENT when no [[runners]] table has a name; -E2BIG past RUNNER_FILE_MAX.
 */
int gitlab_config_parse(const char *text, size_t len, char *name, size_t name_sz, char *token,
			size_t token_sz);
/*
 * The label the GitHub runner puts on every container it makes for a job (job, service and
 * container-action containers, with an empty value): the first 6 hex digits of the SHA-256 of
 * its .runner file's text, lower-cased, without the UTF-8 BOM. Letters are lower-cased as
 * ASCII; the runner lower-cases other letters too, so a .runner with upper-case letters outside
 * ASCII gives another label. out: at least 7 bytes. 0 or -errno.
 */
int runner_docker_label(const char *text, size_t len, char *out, size_t sz);

/*
 * The GitHub runner's version from bin/Runner.Listener.deps.json, whose "Runner.Listener/<v>"
 * names it (an install that has never updated itself has no bin.<version> directory). 0;
 * -ENOENT when no such key is there or the version is not digits and dots.
 */
#define RUNNER_DEPS_MAX (1024 * 1024)
int runner_deps_version(const char *text, size_t len, char *version, size_t vsz);
/* the short token GitLab shows for a runner token (its container names, CI_RUNNER_SHORT_TOKEN) */
void gitlab_short_token(const char *token, char *out, size_t sz);

#endif
