// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The status page's tables: rows of cells, written as HTML or as text (status_table.h). */
#include <stdio.h>
#include "expo/status_format.h"
#include "expo/status_table.h"

/* how many characters (code points) of s fit in w: the byte length to print */
static size_t fit(const char *s, int w, int *chars)
{
	size_t i = 0;
	int n = 0;

	while (s[i] && n < w) {
		i++;
		while (((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
		n++;
	}
	*chars = n;
	return i;
}

void status_table_begin(struct status_table *t, const char *title, const char *empty, int any)
{
	struct buf *b = t->b;

	if (t->html) {
		buf_printf(b, "<section><h2>%s</h2>\n", title);
		if (!any) {
			buf_printf(b, "<p class=\"empty\">%s</p></section>\n", empty);
			return;
		}
		buf_puts(b, "<table><thead><tr>");
		for (int i = 0; i < t->ncols; i++)
			buf_printf(b, "<th>%s</th>", t->heads[i]);
		buf_puts(b, "</tr></thead><tbody>\n");
		return;
	}
	buf_printf(b, "\n%s\n", title);
	if (!any) {
		buf_printf(b, "  %s\n", empty);
		return;
	}
	buf_puts(b, " ");
	for (int i = 0; i < t->ncols; i++)
		buf_printf(b, " %-*s", i < t->ncols - 1 ? t->widths[i] : 0, t->heads[i]);
	buf_puts(b, "\n");
}

void status_table_end(struct status_table *t, int any)
{
	if (t->html && any)
		buf_puts(t->b, "</tbody></table></section>\n");
}

void status_table_row(struct status_table *t, const char *const *cells, const char *const *cls)
{
	struct buf *b = t->b;

	if (t->html) {
		buf_puts(b, "<tr>");
		for (int i = 0; i < t->ncols; i++) {
			buf_printf(b, "<td data-label=\"%s\"", t->heads[i]);
			if (cls && cls[i])
				buf_printf(b, " class=\"%s\"", cls[i]);
			buf_puts(b, ">");
			status_escape_html(b, cells[i]);
			buf_puts(b, "</td>");
		}
		buf_puts(b, "</tr>\n");
		return;
	}
	buf_puts(b, " ");
	for (int i = 0; i < t->ncols; i++) {
		char cut[1024];
		int chars;
		size_t n = fit(cells[i], t->widths[i], &chars);

		/* a cell wider than its column ends in "…"; the last column takes what it needs */
		if (i == t->ncols - 1) {
			snprintf(cut, sizeof(cut), "%s", cells[i]);
		} else if (cells[i][n] && n >= 1) {
			n = fit(cells[i], t->widths[i] - 1, &chars);
			snprintf(cut, sizeof(cut), "%.*s\xe2\x80\xa6", (int)n, cells[i]);
			chars++;
		} else {
			snprintf(cut, sizeof(cut), "%.*s", (int)n, cells[i]);
		}
		buf_puts(b, " ");
		status_escape_text(b, cut);
		if (i < t->ncols - 1)
			buf_printf(b, "%*s", t->widths[i] - chars, "");
	}
	buf_puts(b, "\n");
	t->rows++;
}
