/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The status page's style sheets: the page's own, and the timeline's */
#ifndef RUNNERSCOPE_STATUS_STYLE_H
#define RUNNERSCOPE_STATUS_STYLE_H

/* tables, states and results, light and dark, each row a card on a phone */
extern const char status_style[];
/* the timeline's bars, legend and details */
extern const char status_style_timeline[];

#endif
