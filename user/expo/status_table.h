/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The status page's tables: rows of cells, written as HTML or as text */
#ifndef RUNNERSCOPE_STATUS_TABLE_H
#define RUNNERSCOPE_STATUS_TABLE_H

#include "expo/metrics.h"

struct status_table {
	struct buf *b;
	int html;
	int ncols;
	const char *const *heads;
	const int *widths; /* text: column widths, in characters */
	int rows;
};

/* its title and heads, or the line that says it is empty (any 0) */
void status_table_begin(struct status_table *t, const char *title, const char *empty, int any);
void status_table_end(struct status_table *t, int any);
/* one row; cls gives a cell a class (HTML) or NULL. A text cell wider than its column ends
 * in "…"; the last column takes what it needs */
void status_table_row(struct status_table *t, const char *const *cells, const char *const *cls);

#endif
