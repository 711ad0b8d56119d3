/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* HTTP basic authentication against the web config's bcrypt hashes. */
#ifndef RUNNERSCOPE_AUTH_H
#define RUNNERSCOPE_AUTH_H

#include <stddef.h>

struct webconfig_user;
struct auth;

/* copies the users; NULL with errno set */
struct auth *auth__new(const struct webconfig_user *users, int nusers);
void auth__free(struct auth *a);

/*
 * 0 when the value of an Authorization header names a user and the password its hash was
 * made from; -EACCES otherwise (also when the header is NULL or malformed). Each answer is
 * cached (a digest, never the password), so a scraper pays for bcrypt once; an unknown user
 * costs a bcrypt as a known one does, so that timing does not tell which users exist.
 */
int auth_check(struct auth *a, const char *authorization);

/*
 * Splits "Basic base64(user:password)" (scheme case-insensitive); 0, or -EINVAL for anything
 * else, including a user or password longer than its buffer or holding a NUL byte.
 */
int auth_parse_basic(const char *header, char *user, size_t user_sz, char *pass, size_t pass_sz);

#endif
