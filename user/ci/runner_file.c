// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <gnutls/crypto.h>
#include <json-c/json.h>
#include "ci/runner_file.h"
#include "lib/utf8.h"

int runner_file_parse(const char *text, size_t len, char *name, size_t name_sz)
{
	return runner_file_parse_key(text, len, "agentName", name, name_sz);
}

int runner_file_parse_key(const char *text, size_t len, const char *key, char *name,
			  size_t name_sz)
{
	struct json_tokener *tok;
	struct json_object *root, *v;
	int err = -ENOENT;
	size_t end;

	if (len > RUNNER_FILE_MAX)
		return -E2BIG;
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) {
		text += 3;
		len -= 3;
	}
	tok = json_tokener_new_ex(16);
	if (!tok)
		return -ENOMEM;
	root = json_tokener_parse_ex(tok, text, (int)len);
	if (!root || json_tokener_get_error(tok) != json_tokener_success ||
	    !json_object_is_type(root, json_type_object)) {
		err = -EINVAL;
		goto cleanup;
	}
	/* json-c stops after the first value: anything but whitespace after it is not a .runner */
	for (end = json_tokener_get_parse_end(tok); end < len; end++) {
		if (!text[end] || !strchr(" \t\r\n", text[end])) {
			err = -EINVAL;
			goto cleanup;
		}
	}
	if (json_object_object_get_ex(root, key, &v) && json_object_is_type(v, json_type_string) &&
	    json_object_get_string_len(v) > 0) {
		utf8_sanitize(name, name_sz, json_object_get_string(v),
			      (size_t)json_object_get_string_len(v));
		err = 0;
	}
cleanup:
	json_object_put(root);
	json_tokener_free(tok);
	return err;
}

/* a TOML basic ("…", with escapes) or literal ('…') string at s; 0 and out filled, or -EINVAL */
static int toml_string(const char *s, const char *end, char *out, size_t sz)
{
	char q = *s, buf[1024];
	size_t n = 0;

	if (q != '"' && q != '\'')
		return -EINVAL;
	for (s++; s < end && *s != q; s++) {
		char c = *s;

		if (q == '"' && c == '\\') {
			if (++s >= end)
				return -EINVAL;
			switch (*s) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case '"': case '\\': c = *s; break;
			default: c = '?'; break; /* \uXXXX and the rest: not in a name we keep */
			}
		}
		if (n < sizeof(buf))
			buf[n++] = c;
	}
	if (s >= end)
		return -EINVAL;
	utf8_sanitize(out, sz, buf, n);
	return 0;
}

int config_next_line(const char **p, const char *end, struct config_line *l)
{
	while (*p < end) {
		const char *eol = memchr(*p, '\n', (size_t)(end - *p)), *k = *p;

		if (!eol)
			eol = end;
		l->line = *p;
		*p = eol + 1;
		if (eol > k && eol[-1] == '\r')
			eol--;
		while (k < eol && (*k == ' ' || *k == '\t'))
			k++;
		if (k == eol || *k == '#')
			continue;
		l->key = k;
		l->eol = eol;
		return 1;
	}
	return 0;
}

int gitlab_config_parse(const char *text, size_t len, char *name, size_t name_sz, char *token,
			size_t token_sz)
{
	const char *p = text, *end = text + len;
	int in_runner = 0, found = 0;
	struct config_line l;

	if (len > RUNNER_FILE_MAX)
		return -E2BIG;
	name[0] = token[0] = '\0';
	while (config_next_line(&p, end, &l)) {
		const char *k = l.key, *eol = l.eol, *v;
		size_t klen;

		if (*k == '[') {
			/* only the first [[runners]] table's own keys, not its [runners.*] tables */
			if (in_runner)
				break;
			in_runner = eol - k >= 11 && !strncmp(k, "[[runners]]", 11);
			continue;
		}
		if (!in_runner)
			continue;
		for (klen = 0; k + klen < eol && (isalnum((unsigned char)k[klen]) || k[klen] == '_');
		     klen++)
			;
		v = k + klen;
		while (v < eol && (*v == ' ' || *v == '\t'))
			v++;
		if (v >= eol || *v++ != '=')
			continue;
		while (v < eol && (*v == ' ' || *v == '\t'))
			v++;
		if (klen == 4 && !strncmp(k, "name", 4) && !toml_string(v, eol, name, name_sz))
			found = 1;
		else if (klen == 5 && !strncmp(k, "token", 5))
			toml_string(v, eol, token, token_sz);
	}
	return found ? 0 : -ENOENT;
}

void gitlab_short_token(const char *token, char *out, size_t sz)
{
	static const char *const prefixes[] = { "glrt-t1_", "glrt-t2_", "glrt-t3_", "glrt-",
						"t1_",	    "t2_",	"t3_",	    "glrtr-" };
	const char *t = token;

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(t, prefixes[i], strlen(prefixes[i]))) {
			t += strlen(prefixes[i]);
			break;
		}
	if (!strncmp(t, "glcbt-", 6))
		t += 6;
	if (t[0] == 'G' && t[1] == 'R' && strlen(t) >= 9 && strspn(t + 2, "0123456789abcdefABCDEF") >= 7)
		t += 9;
	snprintf(out, sz, "%.9s", t);
}

int runner_deps_version(const char *text, size_t len, char *version, size_t vsz)
{
	static const char key[] = "\"Runner.Listener/";
	const char *p = text, *end = text + len, *v;
	size_t n;

	if (!vsz)
		return -EINVAL;
	version[0] = '\0';
	while ((p = memmem(p, (size_t)(end - p), key, sizeof(key) - 1))) {
		v = p + sizeof(key) - 1;
		n = 0;
		while (v + n < end && ((v[n] >= '0' && v[n] <= '9') || v[n] == '.'))
			n++;
		/* a whole version, ended by its quote: 2.321.0, not a prefix of something else */
		if (n && n < vsz && v + n < end && v[n] == '"' && v[0] != '.') {
			memcpy(version, v, n);
			version[n] = '\0';
			return 0;
		}
		p = v;
	}
	return -ENOENT;
}

int runner_docker_label(const char *text, size_t len, char *out, size_t sz)
{
	unsigned char digest[32];
	char *lower;

	if (sz < 7)
		return -EINVAL;
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) {
		text += 3;
		len -= 3;
	}
	lower = malloc(len + 1);
	if (!lower)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++)
		lower[i] = text[i] >= 'A' && text[i] <= 'Z' ? (char)(text[i] + 32) : text[i];
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, lower, len, digest)) {
		free(lower);
		return -EIO;
	}
	free(lower);
	snprintf(out, sz, "%02x%02x%02x", digest[0], digest[1], digest[2]);
	return 0;
}
