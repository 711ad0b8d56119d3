// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <crypt.h>
#include <gnutls/crypto.h>
#include "web/auth.h"
#include "web/webconfig.h"

#define CACHE_SLOTS 128
#define DIGEST_LEN 32 /* SHA-256 */
#define FIELD_MAX 256 /* user names and passwords longer than this are refused */

/* bcrypt of "fakepassword": unknown users are checked against it, and never pass */
static const char dummy_hash[] = "$2b$10$l4sFgNFk36wB/bllYuOVUOC0GjMsmMue80rgHsZswy8.aA5fJJlo.";

struct cache_slot {
	unsigned char digest[DIGEST_LEN];
	int used;
	int ok;
};

struct auth {
	struct webconfig_user *users;
	int nusers;
	/* one bcrypt at a time: wrong passwords cost at most one core */
	pthread_mutex_t crypt_lock;
	struct crypt_data *crypt; /* ~32 KiB of scratch, under crypt_lock */
	pthread_mutex_t cache_lock;
	struct cache_slot cache[CACHE_SLOTS];
	unsigned int next_slot; /* round-robin eviction */
};

struct auth *auth__new(const struct webconfig_user *users, int nusers)
{
	struct auth *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	pthread_mutex_init(&a->crypt_lock, NULL);
	pthread_mutex_init(&a->cache_lock, NULL);
	a->crypt = calloc(1, sizeof(*a->crypt));
	a->users = calloc((size_t)nusers + 1, sizeof(*a->users));
	if (!a->crypt || !a->users)
		goto fail;
	for (; a->nusers < nusers; a->nusers++) {
		a->users[a->nusers].name = strdup(users[a->nusers].name);
		a->users[a->nusers].hash = strdup(users[a->nusers].hash);
		if (!a->users[a->nusers].name || !a->users[a->nusers].hash) {
			a->nusers++;
			goto fail;
		}
	}
	return a;
fail:
	auth__free(a);
	errno = ENOMEM;
	return NULL;
}

void auth__free(struct auth *a)
{
	if (!a)
		return;
	for (int i = 0; i < a->nusers; i++) {
		free(a->users[i].name);
		free(a->users[i].hash);
	}
	free(a->users);
	if (a->crypt)
		explicit_bzero(a->crypt, sizeof(*a->crypt));
	free(a->crypt);
	pthread_mutex_destroy(&a->crypt_lock);
	pthread_mutex_destroy(&a->cache_lock);
	explicit_bzero(a->cache, sizeof(a->cache));
	free(a);
}

static int ct_equal(const void *a, const void *b, size_t n)
{
	const volatile unsigned char *x = a, *y = b;
	unsigned char d = 0;

	for (size_t i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* standard base64 with padding; the decoded length, or -EINVAL */
static long b64_decode(const char *in, size_t len, unsigned char *out, size_t out_sz)
{
	size_t o = 0;

	if (len % 4)
		return -EINVAL;
	for (size_t i = 0; i < len; i += 4) {
		int v[4], pad = 0;

		for (int j = 0; j < 4; j++) {
			unsigned char c = (unsigned char)in[i + j];

			/* '=' only at the very end, as the last one or two characters */
			if (c == '=' && i + 4 == len && j >= 2 && (j == 3 || in[i + 3] == '=')) {
				v[j] = 0;
				pad++;
				continue;
			}
			if (pad || (v[j] = b64_value(c)) < 0)
				return -EINVAL;
		}
		unsigned int w = (unsigned int)(v[0] << 18 | v[1] << 12 | v[2] << 6 | v[3]);

		for (int j = 0; j < 3 - pad; j++) {
			if (o >= out_sz)
				return -EINVAL;
			out[o++] = (unsigned char)(w >> (16 - 8 * j));
		}
	}
	return (long)o;
}

int auth_parse_basic(const char *header, char *user, size_t user_sz, char *pass, size_t pass_sz)
{
	unsigned char dec[2 * FIELD_MAX + 2];
	const char *p = header, *colon;
	long n;
	size_t ulen, plen;

	if (!header || strncasecmp(p, "Basic", 5) || (p[5] != ' ' && p[5] != '\t'))
		return -EINVAL;
	p += 5;
	while (*p == ' ' || *p == '\t')
		p++;
	plen = strcspn(p, " \t");
	if (p[plen + strspn(p + plen, " \t")])
		return -EINVAL; /* anything after the token */
	n = b64_decode(p, plen, dec, sizeof(dec));
	if (n < 0 || memchr(dec, '\0', (size_t)n))
		goto bad;
	colon = memchr(dec, ':', (size_t)n);
	if (!colon)
		goto bad;
	ulen = (size_t)(colon - (const char *)dec);
	plen = (size_t)n - ulen - 1;
	if (ulen >= user_sz || plen >= pass_sz)
		goto bad;
	memcpy(user, dec, ulen);
	user[ulen] = '\0';
	memcpy(pass, colon + 1, plen);
	pass[plen] = '\0';
	explicit_bzero(dec, sizeof(dec));
	return 0;
bad:
	explicit_bzero(dec, sizeof(dec));
	return -EINVAL;
}

/* SHA-256 over user, hash and password, each length-prefixed so no two inputs collide */
static int cache_key(const char *user, const char *hash, const char *pass,
		     unsigned char out[DIGEST_LEN])
{
	const char *parts[3] = { user, hash, pass };
	gnutls_hash_hd_t h;
	int err;

	if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0)
		return -EIO;
	err = 0;
	for (int i = 0; i < 3; i++) {
		uint32_t len = (uint32_t)strlen(parts[i]);

		if (gnutls_hash(h, &len, sizeof(len)) < 0 || gnutls_hash(h, parts[i], len) < 0)
			err = -EIO;
	}
	gnutls_hash_deinit(h, out);
	return err;
}

/* 1 allowed, 0 denied, -1 not cached */
static int cache_get(struct auth *a, const unsigned char key[DIGEST_LEN])
{
	int found = -1;

	pthread_mutex_lock(&a->cache_lock);
	/* every slot is compared in full, whatever matches, so timing tells nothing */
	for (int i = 0; i < CACHE_SLOTS; i++) {
		int match = a->cache[i].used & ct_equal(a->cache[i].digest, key, DIGEST_LEN);

		if (match)
			found = a->cache[i].ok;
	}
	pthread_mutex_unlock(&a->cache_lock);
	return found;
}

static void cache_put(struct auth *a, const unsigned char key[DIGEST_LEN], int ok)
{
	struct cache_slot *s;

	pthread_mutex_lock(&a->cache_lock);
	s = &a->cache[a->next_slot++ % CACHE_SLOTS];
	memcpy(s->digest, key, DIGEST_LEN);
	s->used = 1;
	s->ok = ok;
	pthread_mutex_unlock(&a->cache_lock);
}

static int bcrypt_matches(struct auth *a, const char *pass, const char *hash)
{
	const char *out;
	int ok;

	pthread_mutex_lock(&a->crypt_lock);
	memset(a->crypt, 0, sizeof(*a->crypt));
	out = crypt_rn(pass, hash, a->crypt, sizeof(*a->crypt));
	ok = out && strlen(out) == strlen(hash) && ct_equal(out, hash, strlen(hash));
	explicit_bzero(a->crypt, sizeof(*a->crypt));
	pthread_mutex_unlock(&a->crypt_lock);
	return ok;
}

int auth_check(struct auth *a, const char *authorization)
{
	char user[FIELD_MAX], pass[FIELD_MAX];
	unsigned char key[DIGEST_LEN];
	const char *hash = dummy_hash;
	int known = 0, ok;

	if (auth_parse_basic(authorization, user, sizeof(user), pass, sizeof(pass)))
		return -EACCES;
	for (int i = 0; i < a->nusers; i++) {
		if (!strcmp(a->users[i].name, user)) {
			hash = a->users[i].hash;
			known = 1;
		}
	}
	if (cache_key(user, hash, pass, key)) {
		ok = known & bcrypt_matches(a, pass, hash);
	} else if ((ok = cache_get(a, key)) < 0) {
		ok = bcrypt_matches(a, pass, hash) & known;
		cache_put(a, key, ok);
	}
	explicit_bzero(pass, sizeof(pass));
	explicit_bzero(key, sizeof(key));
	return ok > 0 ? 0 : -EACCES;
}
