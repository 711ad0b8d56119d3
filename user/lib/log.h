/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef RUNNERSCOPE_LOG_H
#define RUNNERSCOPE_LOG_H

#include <stdarg.h>
#include <bpf/libbpf.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };
enum log_format { LOG_FMT_LOGFMT, LOG_FMT_JSON };

int log_parse_level(const char *s, enum log_level *out);
int log_parse_format(const char *s, enum log_format *out);
void log_setup(enum log_level level, enum log_format format);
int log_enabled(enum log_level level);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* libbpf's print callback: its messages become debug lines (warnings stay warnings) */
int log_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap);

#define pr_err(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define pr_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define pr_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define pr_debug(...)                                                                              \
	do {                                                                                       \
		if (log_enabled(LOG_DEBUG))                                                        \
			log_msg(LOG_DEBUG, __VA_ARGS__);                                           \
	} while (0)

#endif
