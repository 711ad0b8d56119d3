/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef RUNNERSCOPE_RUNNER_FILE_H
#define RUNNERSCOPE_RUNNER_FILE_H

#include <stddef.h>

#define RUNNER_FILE_MAX (64 * 1024) /* the runner writes a few hundred bytes */

/*
 * Parses a runner's JSON settings file (a .runner, maybe with a UTF-8 BOM) and copies the
 * string key into name. 0 on success; -EINVAL when the text is not a JSON object, -ENOENT when
 * it has no non-empty string key, -E2BIG when len exceeds RUNNER_FILE_MAX.
 */
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
/* on a line's text k … eol: key, blanks, sep and blanks; where the value starts, or NULL */
const char *config_key_value(const char *k, const char *eol, const char *key, char sep);

/* config.toml (GitLab Runner's): a string key of its first [[runners]] table into out:
 * 0, -ENOENT, -E2BIG */
int config_toml_runner(const char *text, size_t len, const char *key, char *out, size_t sz);

/*
 * YAML as runners write their configs (act_runner's config.yaml): the line of key among the
 * own keys (those at its first key's indent) of the top-level mapping section. 1 and *l set,
 * or 0. Flow style and anchors are not followed: nobody writes them for these keys.
 */
int config_yaml_key(const char *text, size_t len, const char *section, const char *key,
		    struct config_line *l);
/*
 * Its value: a quoted string, or the bare text before a comment. 0; -ENOENT when the key is
 * not there; -E2BIG past RUNNER_FILE_MAX.
 */
int config_yaml_value(const char *text, size_t len, const char *section, const char *key,
		      char *out, size_t sz);
/* the same for key=value lines (a Buildkite agent's config) */
int config_kv_value(const char *text, size_t len, const char *key, char *out, size_t sz);

#endif
