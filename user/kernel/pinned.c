// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The pinned set: made fresh, adopted as it is, its programs replaced, or its maps migrated from
 * an older layout, field by field
 */
#include <dirent.h>
#include <signal.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include "lib/clock.h"
#include "lib/log.h"
#include "kernel/pin.h"
#include "kernel/probes_priv.h"

static int pin_links(struct probes *p)
{
	char path[PATH_MAX];
	int err;

	for (int i = 0; i < PROBES_LINKS; i++) {
		struct bpf_link *l = *probes_link(p, i);

		if (!l)
			continue;
		if ((err = probes_pin_file(p, probes_link_names[i], path, sizeof(path))))
			return err;
		unlink(path);
		if ((err = bpf_link__pin(l, path)))
			return err;
	}
	/*
	 * The pins are the links' only owners from here on, whatever way we came by them (a fresh
	 * load, a replacement, adopted pins): removing a pin detaches its program, the same for
	 * every daemon, and probes__health() sees it.
	 */
	for (int i = 0; i < PROBES_LINKS; i++) {
		struct bpf_link **l = probes_link(p, i);

		bpf_link__destroy(*l);
		*l = NULL;
	}
	return 0;
}

static int write_meta(struct probes *p, const struct rs_meta *m)
{
	__u32 zero = 0;

	return bpf_map_update_elem(bpf_map__fd(p->skel->maps.meta), &zero, m, BPF_ANY) ? -errno : 0;
}

/* what is pinned: 1 with *m filled when a meta of our layout is there, 0 when nothing is */
static int read_pinned(struct probes *p, struct rs_meta *m, int *others)
{
	char path[PATH_MAX];
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), zero = 0;
	struct dirent *de;
	DIR *d;
	int fd, ret = 0;

	*others = 0;
	if ((d = opendir(p->pin_path))) {
		while ((de = readdir(d)))
			*others += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
		closedir(d);
	}
	if (probes_pin_file(p, "meta", path, sizeof(path)) || (fd = bpf_obj_get(path)) < 0)
		return 0;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.value_size == sizeof(*m) &&
	    !bpf_map_lookup_elem(fd, &zero, m) && m->layout == RS_LAYOUT)
		ret = 1;
	close(fd);
	return ret;
}

/* every pinned map is there, and as this build would make it */
static int pinned_compatible(struct probes *p, struct runnerscope_bpf *skel)
{
	char path[PATH_MAX];
	struct bpf_map *m;
	int ok = 1;

	for (int i = 0; ok && (m = probes_pin_map(skel, i)); i++) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		int fd;

		if (probes_pin_file(p, bpf_map__name(m), path, sizeof(path)))
			return 0;
		/* a map this build adds to the set is made and pinned as the programs load */
		if ((fd = bpf_obj_get(path)) < 0) {
			if (errno == ENOENT && (m == skel->maps.procs_bits || m == skel->maps.rules_bloom ||
						m == skel->maps.ctr_bits))
				continue;
			return 0;
		}
		ok = !bpf_obj_get_info_by_fd(fd, &info, &len) && info.type == bpf_map__type(m) &&
		     info.key_size == bpf_map__key_size(m) &&
		     info.value_size == bpf_map__value_size(m) &&
		     info.max_entries == bpf_map__max_entries(m) &&
		     info.map_flags == bpf_map__map_flags(m);
		close(fd);
	}
	return ok;
}

static int links_pinned(struct probes *p, int oom)
{
	char path[PATH_MAX];

	for (int i = 0; i < PROBES_LINKS; i++)
		if ((i != PROBES_LINK_OOM || oom >= 0) &&
		    (probes_pin_file(p, probes_link_names[i], path, sizeof(path)) ||
		     access(path, F_OK)))
			return 0;
	return 1;
}

/*
 * Entries of a map of another layout, carried into the new map field by field through both
 * maps' BTF. Per-CPU counters are added to what the new programs counted meanwhile.
 */
static void migrate_map(struct probes *p, const char *name, int old_fd, struct bpf_map *to)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), kid = bpf_map__btf_key_type_id(to);
	__u32 vid = bpf_map__btf_value_type_id(to);
	const struct btf *nbtf = bpf_object__btf(p->skel->obj);
	struct btf *obtf = NULL;
	int ncpu = libbpf_num_possible_cpus(), percpu, nfd = bpf_map__fd(to);
	size_t ovs, nvs, n = 0, failed = 0;
	char reset[512] = "", vreset[512] = "";
	void *ok = NULL, *oval = NULL, *nk = NULL, *nval = NULL, *cur = NULL, *next = NULL;

	if (bpf_obj_get_info_by_fd(old_fd, &info, &len) || !info.btf_id ||
	    !info.btf_value_type_id || !(obtf = btf__load_from_kernel_by_id(info.btf_id))) {
		pr_warn("pinned %s (another layout, no BTF to read it by) replaced: its entries "
			"are reset",
			name);
		return;
	}
	percpu = info.type == BPF_MAP_TYPE_PERCPU_ARRAY || info.type == BPF_MAP_TYPE_PERCPU_HASH;
	if (info.type != bpf_map__type(to) || ncpu <= 0) {
		pr_warn("pinned %s (another map type) replaced: its entries are reset", name);
		goto out;
	}
	ovs = percpu ? ((info.value_size + 7) & ~7U) * (size_t)ncpu : info.value_size;
	nvs = percpu ? ((bpf_map__value_size(to) + 7) & ~7U) * (size_t)ncpu :
		       bpf_map__value_size(to);
	cur = calloc(1, info.key_size);
	next = calloc(1, info.key_size);
	oval = calloc(1, ovs);
	nk = calloc(1, bpf_map__key_size(to));
	nval = calloc(1, nvs);
	ok = calloc(1, nvs);
	if (!cur || !next || !oval || !nk || !nval || !ok)
		goto out;
	for (int more = !bpf_map_get_next_key(old_fd, NULL, next); more;
	     more = !bpf_map_get_next_key(old_fd, cur, next)) {
		memcpy(cur, next, info.key_size);
		if (bpf_map_lookup_elem(old_fd, cur, oval))
			continue;
		if (info.btf_key_type_id && kid ?
			    btf_copy_value(obtf, info.btf_key_type_id, cur, info.key_size, nbtf, kid,
					   nk, bpf_map__key_size(to), reset, sizeof(reset)) :
			    info.key_size != bpf_map__key_size(to) ||
				    !memcpy(nk, cur, info.key_size)) {
			failed++;
			continue;
		}
		if (!percpu) {
			if (btf_copy_value(obtf, info.btf_value_type_id, oval, info.value_size, nbtf,
					   vid, nval, nvs, vreset, sizeof(vreset)) ||
			    bpf_map_update_elem(nfd, nk, nval,
						info.type == BPF_MAP_TYPE_ARRAY ? BPF_ANY : BPF_NOEXIST))
				failed++;
			else
				n++;
			continue;
		}
		if (bpf_map_lookup_elem(nfd, nk, ok))
			memset(ok, 0, nvs);
		for (int c = 0; c < ncpu; c++) {
			size_t os = (info.value_size + 7) & ~7U, ns = (bpf_map__value_size(to) + 7) & ~7U;
			__u64 *dst = (__u64 *)((char *)nval + c * ns), *add = (__u64 *)((char *)ok + c * ns);

			btf_copy_value(obtf, info.btf_value_type_id, (char *)oval + c * os,
				       info.value_size, nbtf, vid, dst, ns, vreset, sizeof(vreset));
			for (size_t w = 0; w < ns / 8; w++)
				dst[w] += add[w]; /* every word of a per-CPU value is a counter */
		}
		if (bpf_map_update_elem(nfd, nk, nval, BPF_ANY))
			failed++;
		else
			n++;
	}
	pr_warn("pinned %s migrated from another layout: %zu entries carried over, %zu dropped%s%s",
		name, n, failed, vreset[0] ? "; fields reset: " : "", vreset);
out:
	free(cur);
	free(next);
	free(oval);
	free(nk);
	free(nval);
	free(ok);
	btf__free(obtf);
}

/*
 * The pinned set of another layout: the new programs are attached beside the old ones, the
 * old ones are unpinned (and so detached), and what the old maps held is copied over.
 */
static int migrate(struct probes *p, const struct probes_opts *opts, int oom, int others)
{
	int old_fds[32], n = 0, err;
	char path[PATH_MAX];
	struct bpf_map *m;
	struct rs_meta meta = { .layout = RS_LAYOUT, .build = probes_build_hash(opts, oom),
				.created_ns = clock_ns(CLOCK_BOOTTIME) };

	pr_warn("pinned state under %s is of another layout (%d entries); this runnerscope uses "
		"layout %d: migrating what it can",
		p->pin_path, others, RS_LAYOUT);
	p->skel = probes_load(p, opts, oom, 0, PINS_NONE, &err);
	if (!p->skel)
		return err;
	for (int i = 0; (m = probes_pin_map(p->skel, i)) && n < 32; i++, n++) {
		old_fds[n] = -1;
		if (!probes_pin_file(p, bpf_map__name(m), path, sizeof(path)))
			old_fds[n] = bpf_obj_get(path);
	}
	meta.attach = p->mode == ATTACH_RAW_TP ? 2 : 1;
	if ((err = write_meta(p, &meta)) || (err = runnerscope_bpf__attach(p->skel)))
		goto out;
	err = pin__dir_clear(p->pin_path, 0);
	if (err < 0)
		goto out;
	for (int i = 0; (m = probes_pin_map(p->skel, i)); i++)
		if (!probes_pin_file(p, bpf_map__name(m), path, sizeof(path)) &&
		    (err = bpf_map__pin(m, path)))
			goto out;
	if ((err = probes_pin_file(p, "events_rb", path, sizeof(path))) ||
	    (err = bpf_map__pin(p->skel->maps.events_rb, path)) || (err = pin_links(p)))
		goto out;
	for (int i = 0; (m = probes_pin_map(p->skel, i)); i++) {
		/* meta and the rules are this daemon's; the bits are made again from procs_map,
		 * and the containers' by the first task walk */
		if (m == p->skel->maps.meta || m == p->skel->maps.rules_map ||
		    m == p->skel->maps.rules_bloom || m == p->skel->maps.procs_bits ||
		    m == p->skel->maps.ctr_bits)
			continue;
		if (old_fds[i] < 0)
			pr_warn("pinned %s was missing: it starts empty", bpf_map__name(m));
		else
			migrate_map(p, bpf_map__name(m), old_fds[i], m);
	}
	err = 0;
out:
	for (int i = 0; i < n; i++)
		if (old_fds[i] >= 0)
			close(old_fds[i]);
	return err;
}

/*
 * Pinned state of this layout, made by another build (or with other settings): the new
 * programs share the pinned maps, and meta's gen hands over to them in one update.
 */
static int replace(struct probes *p, const struct probes_opts *opts, int oom,
		   const struct rs_meta *old)
{
	struct rs_meta meta = *old;
	char path[PATH_MAX];
	int err;

	meta.gen = old->gen + 1;
	meta.build = probes_build_hash(opts, oom);
	p->skel = probes_load(p, opts, oom, meta.gen, PINS_MAPS, &err);
	if (!p->skel)
		return err;
	meta.attach = p->mode == ATTACH_RAW_TP ? 2 : 1;
	if ((err = runnerscope_bpf__attach(p->skel)) || (err = write_meta(p, &meta)))
		return err;
	/* the old programs do nothing from here on; their links go, and the task storage that
	 * builds before procs_bits kept their markers in */
	for (int i = 0; i < PROBES_LINKS; i++)
		if (!probes_pin_file(p, probes_link_names[i], path, sizeof(path)))
			unlink(path);
	if (!probes_pin_file(p, "procs_ts", path, sizeof(path)))
		unlink(path);
	if ((err = pin_links(p)) || (err = probes_pin_file(p, "events_rb", path, sizeof(path))))
		return err;
	unlink(path);
	if ((err = bpf_map__pin(p->skel->maps.events_rb, path)))
		return err;
	pr_info("pinned state under %s adopted; programs replaced (generation %u)", p->pin_path,
		meta.gen);
	return 0;
}

/* the same build's pinned programs keep running: load only the CPU iterator */
static int adopt(struct probes *p, const struct probes_opts *opts, int oom,
		 const struct rs_meta *old)
{
	int err;

	p->mode = old->attach == 2 ? ATTACH_RAW_TP : ATTACH_TP_BTF;
	p->skel = probes_load_iter(p, opts, oom, old->gen, &err);
	if (!p->skel)
		return err;
	p->skel->links.iter_job_cpu = bpf_program__attach_iter(p->skel->progs.iter_job_cpu, NULL);
	if (!p->skel->links.iter_job_cpu)
		return -errno;
	pr_info("pinned state under %s adopted; its programs kept running (generation %u)",
		p->pin_path, old->gen);
	return 0;
}

static int fresh(struct probes *p, const struct probes_opts *opts, int oom, int pins)
{
	struct rs_meta meta = { .layout = RS_LAYOUT, .build = probes_build_hash(opts, oom),
				.created_ns = clock_ns(CLOCK_BOOTTIME) };
	int err;

	p->skel = probes_load(p, opts, oom, 0, pins ? PINS_ALL : PINS_NONE, &err);
	if (!p->skel)
		return err;
	meta.attach = p->mode == ATTACH_RAW_TP ? 2 : 1;
	if ((err = write_meta(p, &meta)) || (err = runnerscope_bpf__attach(p->skel)))
		return err;
	return pins ? pin_links(p) : 0;
}

int probes_setup(struct probes *p, const struct probes_opts *opts)
{
	struct rs_meta old = {};
	int oom, cast, others = 0, same, err = 0;
	struct runnerscope_bpf *probe;

	probes_kernel_btf_facts(&oom, &cast);
	p->raw_cur = !cast;
	p->has_oom = oom >= 0;
	if (oom < 0)
		pr_warn("kernel has no oom:mark_victim tracepoint: OOM kills are not counted per job");
	if (!p->pin_path[0])
		return fresh(p, opts, oom, 0);
	same = read_pinned(p, &old, &others);
	if (!same && !others)
		return fresh(p, opts, oom, 1);
	if (same) {
		probe = probes_open(p, opts, oom, 0, 1);
		if (!probe)
			return -errno;
		same = pinned_compatible(p, probe);
		runnerscope_bpf__destroy(probe);
	}
	if (!same)
		return migrate(p, opts, oom, others);
	if (old.build == probes_build_hash(opts, oom) && links_pinned(p, oom) &&
	    (opts->attach == ATTACH_AUTO || (opts->attach == ATTACH_RAW_TP) == (old.attach == 2)) &&
	    !(err = adopt(p, opts, oom, &old)))
		return 0;
	if (p->skel) {
		pr_warn("cannot adopt the pinned programs (%s): replacing them", strerror(-err));
		runnerscope_bpf__destroy(p->skel);
		p->skel = NULL;
	}
	p->mode = opts->attach == ATTACH_RAW_TP ? ATTACH_RAW_TP : ATTACH_TP_BTF;
	return replace(p, opts, oom, &old);
}
