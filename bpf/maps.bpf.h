/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef RUNNERSCOPE_MAPS_BPF_H
#define RUNNERSCOPE_MAPS_BPF_H

#define RS_MAP(_name, _type, _key, _value, _max)                                                   \
	struct {                                                                                   \
		__uint(type, _type);                                                               \
		__uint(max_entries, _max);                                                         \
		__type(key, _key);                                                                 \
		__type(value, _value);                                                             \
	} _name SEC(".maps")

/* the same with map_flags */
#define RS_MAP_FLAGS(_name, _type, _key, _value, _max, _flags)                                     \
	struct {                                                                                   \
		__uint(type, _type);                                                               \
		__uint(max_entries, _max);                                                         \
		__uint(map_flags, _flags);                                                         \
		__type(key, _key);                                                                 \
		__type(value, _value);                                                             \
	} _name SEC(".maps")

/* allocated as entries come: for maps that are mostly empty */
#define RS_MAP_NOPREALLOC(_name, _type, _key, _value, _max)                                        \
	RS_MAP_FLAGS(_name, _type, _key, _value, _max, BPF_F_NO_PREALLOC)

/* the key of a process instance's record (include/jobs.h): an agent's, a job's or a
 * container init's, from its tgid and the time of its exec */
static __always_inline struct rs_key rs_key_of(__u32 tgid, __u64 start_ns)
{
	struct rs_key k = { .tgid = tgid, .pad = 0, .start_ns = start_ns };

	return k;
}

static __always_inline int rs_key_is_zero(const struct rs_key *k)
{
	return k->tgid == 0 && k->start_ns == 0;
}

static __always_inline int rs_key_eq(const struct rs_key *a, const struct rs_key *b)
{
	return a->tgid == b->tgid && a->start_ns == b->start_ns;
}

#endif /* RUNNERSCOPE_MAPS_BPF_H */
