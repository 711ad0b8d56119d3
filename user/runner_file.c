// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <string.h>
#include <json-c/json.h>
#include "runner_file.h"
#include "expo.h"

int runner_file_parse(const char *text, size_t len, char *name, size_t name_sz)
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
	if (json_object_object_get_ex(root, "agentName", &v) && json_object_is_type(v, json_type_string) &&
	    json_object_get_string_len(v) > 0) {
		expo_sanitize(name, name_sz, json_object_get_string(v),
			      (size_t)json_object_get_string_len(v));
		err = 0;
	}
cleanup:
	json_object_put(root);
	json_tokener_free(tok);
	return err;
}
