// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "web/webconfig_priv.h"

static int valid_bcrypt(const char *h)
{
	/* $2b$10$ then 53 characters of salt and hash in bcrypt's base64 */
	if (strlen(h) != 60 || h[0] != '$' || h[1] != '2' || !strchr("aby", h[2]) || h[3] != '$' ||
	    h[4] < '0' || h[4] > '3' || h[5] < '0' || h[5] > '9' || h[6] != '$')
		return 0;
	return strspn(h + 7, "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") ==
	       53;
}

void webconfig_user_pair(struct webconfig_doc *x, const yaml_node_t *k, const yaml_node_t *v,
			 void *arg)
{
	struct webconfig *c = arg;
	const char *name = webconfig_scalar(k), *hash = webconfig_scalar(v);
	struct webconfig_user *u;

	if (!*name || strchr(name, ':')) {
		webconfig_fail(x, k,
			       "basic_auth_users: user name %s: must be non-empty without ':'",
			       name);
		return;
	}
	if (!hash || !valid_bcrypt(hash)) {
		webconfig_fail(x, v,
			       "basic_auth_users: the password of %s is not a bcrypt hash ($2y$…, "
			       "e.g. from htpasswd -nbBC 10 \"\" PASSWORD)",
			       name);
		return;
	}
	u = realloc(c->users, (size_t)(c->nusers + 1) * sizeof(*u));
	if (u)
		c->users = u;
	if (u && !webconfig_dup_two(x, v, name, hash, &u[c->nusers].name, &u[c->nusers].hash))
		c->nusers++;
	else if (!u)
		webconfig_fail(x, v, "out of memory");
}
