// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <json-c/json.h>
#include "ci/runner_file.h"
#include "lib/utf8.h"

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

const char *config_key_value(const char *k, const char *eol, const char *key, char sep)
{
	size_t klen = strlen(key);
	const char *v = k + klen;

	if ((size_t)(eol - k) <= klen || memcmp(k, key, klen))
		return NULL;
	while (v < eol && (*v == ' ' || *v == '\t'))
		v++;
	if (v >= eol || *v++ != sep)
		return NULL;
	while (v < eol && (*v == ' ' || *v == '\t'))
		v++;
	return v;
}

/* a setting's value: a quoted string, or the bare text up to a comment; 0 or -EINVAL */
static int scalar(const char *v, const char *eol, char *out, size_t sz)
{
	const char *e = v;

	if (v < eol && (*v == '"' || *v == '\''))
		return toml_string(v, eol, out, sz);
	while (e < eol && !(*e == '#' && (e == v || e[-1] == ' ' || e[-1] == '\t')))
		e++;
	while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	utf8_sanitize(out, sz, v, (size_t)(e - v));
	return 0;
}

int config_toml_runner(const char *text, size_t len, const char *key, char *out, size_t sz)
{
	const char *p = text, *end = text + len, *v;
	int in_runner = 0;
	struct config_line l;

	if (len > RUNNER_FILE_MAX)
		return -E2BIG;
	out[0] = '\0';
	while (config_next_line(&p, end, &l)) {
		if (*l.key == '[') {
			/* only the first [[runners]] table's own keys, not its [runners.*] tables */
			if (in_runner)
				break;
			in_runner = l.eol - l.key >= 11 && !strncmp(l.key, "[[runners]]", 11);
			continue;
		}
		if (in_runner && (v = config_key_value(l.key, l.eol, key, '=')) &&
		    (*v == '"' || *v == '\'') && !toml_string(v, l.eol, out, sz))
			return 0;
	}
	return -ENOENT;
}

int config_yaml_key(const char *text, size_t len, const char *section, const char *key,
		    struct config_line *found)
{
	const char *p = text, *end = text + len;
	size_t slen = strlen(section);
	long indent = -1;
	int in_section = 0;
	struct config_line l;

	while (config_next_line(&p, end, &l)) {
		if (l.key == l.line) {
			/* a top-level key: the section starts, or the one before ends */
			if (in_section)
				break;
			in_section = (size_t)(l.eol - l.key) > slen && !memcmp(l.key, section, slen) &&
				     l.key[slen] == ':';
			continue;
		}
		if (!in_section)
			continue;
		/* the section's own keys are those at its first key's indent */
		if (indent < 0)
			indent = l.key - l.line;
		if (l.key - l.line == indent && config_key_value(l.key, l.eol, key, ':')) {
			*found = l;
			return 1;
		}
	}
	return 0;
}

int config_yaml_value(const char *text, size_t len, const char *section, const char *key,
		      char *out, size_t sz)
{
	struct config_line l;

	out[0] = '\0';
	if (len > RUNNER_FILE_MAX)
		return -E2BIG;
	if (!config_yaml_key(text, len, section, key, &l))
		return -ENOENT;
	return scalar(config_key_value(l.key, l.eol, key, ':'), l.eol, out, sz);
}

int config_kv_value(const char *text, size_t len, const char *key, char *out, size_t sz)
{
	const char *p = text, *end = text + len, *v;
	struct config_line l;

	out[0] = '\0';
	if (len > RUNNER_FILE_MAX)
		return -E2BIG;
	while (config_next_line(&p, end, &l))
		if ((v = config_key_value(l.key, l.eol, key, '=')))
			return scalar(v, l.eol, out, sz);
	return -ENOENT;
}

