// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The state's counters kept in the pinned BPF maps: state_store_bpf (state.h) */
#include <errno.h>
#include <bpf/bpf.h>
#include "state/state.h"

static int fd_of(void *ctx, enum state_table t)
{
	const struct state_store *m = ctx;

	return t < STATE_TABLES ? m->fd[t] : -1;
}

static int bpf_lookup(void *ctx, enum state_table t, const void *key, void *val)
{
	int fd = fd_of(ctx, t);

	if (fd < 0)
		return -EBADF;
	return bpf_map_lookup_elem(fd, key, val) ? -errno : 0;
}

static int bpf_update(void *ctx, enum state_table t, const void *key, const void *val)
{
	int fd = fd_of(ctx, t);

	if (fd < 0)
		return -EBADF;
	return bpf_map_update_elem(fd, key, val, BPF_ANY) ? -errno : 0;
}

static int bpf_remove(void *ctx, enum state_table t, const void *key)
{
	int fd = fd_of(ctx, t);

	if (fd < 0)
		return -EBADF;
	return bpf_map_delete_elem(fd, key) ? -errno : 0;
}

static int bpf_next_key(void *ctx, enum state_table t, const void *key, void *next)
{
	int fd = fd_of(ctx, t);

	if (fd < 0)
		return -EBADF;
	return bpf_map_get_next_key(fd, key, next) ? -errno : 0;
}

const struct state_store_ops state_store_bpf = {
	.lookup = bpf_lookup,
	.update = bpf_update,
	.remove = bpf_remove,
	.next_key = bpf_next_key,
};
