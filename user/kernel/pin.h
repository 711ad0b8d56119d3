/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The pin directory: bpffs under it, one daemon at a time, removal; and the field-by-field
 * copy that carries map entries from one struct layout to another by their BTF.
 */
#ifndef RUNNERSCOPE_PIN_H
#define RUNNERSCOPE_PIN_H

#include <stddef.h>
#include <linux/types.h>

struct btf;

/*
 * Makes path a directory on bpffs (mounting bpffs on its parent when that is not bpffs) and
 * takes the directory's lock, waiting for another runnerscope that holds it when wait is
 * set. Returns the locked directory's fd, or -errno after logging why.
 */
int pin__dir_open(const char *path, int wait);

/* Unpins everything directly under path and removes it; returns entries removed or -errno. */
int pin__dir_clear(const char *path, int rmdir_too);

/*
 * Builds dst (a to_id object of to_btf) from src (a from_id object of from_btf): members of
 * a struct by name where both sides have the same size (an array that grew keeps its old
 * elements at their index, the new ones zero), anything else whole when both are the same
 * size and neither is a struct. dst starts zeroed. Member names that could not be
 * carried over are listed, comma-separated, in reset (may be NULL). Returns 0, or -EINVAL when
 * nothing in the layouts matches (then dst is all zero).
 */
int btf_copy_value(const struct btf *from_btf, __u32 from_id, const void *src, size_t src_sz,
		   const struct btf *to_btf, __u32 to_id, void *dst, size_t dst_sz, char *reset,
		   size_t reset_sz);

#endif
