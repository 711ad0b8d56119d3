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

#endif
