// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * procs_bits, the one bit per tracked tgid that the programs' fast path reads, and the
 * procs_map entries it mirrors
 */
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include "lib/log.h"
#include "kernel/probes_priv.h"

/*
 * procs_bits, shared with the programs: every change is an atomic operation on the word, as
 * theirs are, so that no update of another process's bit in the same word is lost.
 */
static void bit_set(struct probes *p, __u32 tgid)
{
	if (tgid / RS_BITS_PER_WORD < RS_BITS_WORDS)
		atomic_fetch_or(&p->bits[tgid / RS_BITS_PER_WORD], 1ULL << (tgid % RS_BITS_PER_WORD));
}

int probes_map_bits(struct probes *p)
{
	size_t len = RS_BITS_WORDS * sizeof(__u64);
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
		       bpf_map__fd(p->skel->maps.procs_bits), 0);

	if (m == MAP_FAILED)
		return -errno;
	p->bits = m;
	return 0;
}

/* a process that has exited (a zombie too: its exit has been traced) polls readable */
static int pidfd_exited(int pidfd)
{
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

	return poll(&pfd, 1, 0) != 0;
}

/*
 * A process the daemon adds to procs_map: its bit first, then its entry. 0; -EEXIST when the
 * kernel has an entry for it already (kept: newer); -ESRCH when it had exited by then, so
 * that its exit may not have found the entry: the entry goes again.
 */
int probes__add_proc(struct probes *p, __u32 tgid, const struct rs_proc *pr, __u64 flags)
{
	int procs = bpf_map__fd(p->skel->maps.procs_map), err = 0;
	int pidfd = (int)syscall(SYS_pidfd_open, (pid_t)tgid, 0);

	if (pidfd < 0)
		return -ESRCH;
	bit_set(p, tgid);
	if (bpf_map_update_elem(procs, &tgid, pr, flags))
		err = -errno;
	/* exited meanwhile: if the kernel's exit deleted the entry, it has counted the exit */
	else if (pidfd_exited(pidfd) && !bpf_map_delete_elem(procs, &tgid))
		err = -ESRCH;
	close(pidfd);
	return err;
}

/*
 * A process the programs need not look at any more (a container that is no job's): its bit
 * goes, unless it is tracked after all (an init that exec'd an agent). Its pid cannot be reused
 * while the process lives; if it ended meanwhile, a new process may have that pid and a bit of
 * its own by now, so the bit is set again: a bit left set costs a lookup, a bit missing loses
 * a process. The programs set a bit again after making an entry, so an entry made while this
 * runs is found here or keeps its bit.
 */
void probes__bit_clear(struct probes *p, __u32 tgid)
{
	int pidfd = (int)syscall(SYS_pidfd_open, (pid_t)tgid, 0);

	if (pidfd < 0 || tgid / RS_BITS_PER_WORD >= RS_BITS_WORDS)
		goto out;
	atomic_fetch_and(&p->bits[tgid / RS_BITS_PER_WORD], ~(1ULL << (tgid % RS_BITS_PER_WORD)));
	if (pidfd_exited(pidfd) || probes__tracked(p, tgid))
		bit_set(p, tgid);
out:
	if (pidfd >= 0)
		close(pidfd);
}

/* gone: exited, or its exit is being traced (a zombie) */
static int proc_gone(__u32 tgid)
{
	int pidfd = (int)syscall(SYS_pidfd_open, (pid_t)tgid, 0), gone;

	if (pidfd < 0)
		return errno == ESRCH;
	gone = pidfd_exited(pidfd);
	close(pidfd);
	return gone;
}

/*
 * Every process in procs_map and inits_map gets its bit, then every word is marked complete,
 * so that the programs take a clear bit for an untracked process. A new procs_bits (a fresh
 * pinned set, one taken over from a version that kept no bits) starts with no word complete:
 * until then the programs look every process up, and set the bit of each they add, so that
 * no bit is ever missing once its word is complete. An entry whose process is gone can no
 * longer exit: it goes.
 */
void probes_bits_ready(struct probes *p)
{
	int fd = bpf_map__fd(p->skel->maps.procs_map), n = 0, gone = 0;
	__u32 key, next;

	for (int more = !bpf_map_get_next_key(fd, NULL, &next); more;) {
		key = next;
		more = !bpf_map_get_next_key(fd, &key, &next);
		bit_set(p, key);
		if (proc_gone(key)) {
			bpf_map_delete_elem(fd, &key);
			gone++;
		} else {
			n++;
		}
	}
	fd = bpf_map__fd(p->skel->maps.inits_map);
	for (int more = !bpf_map_get_next_key(fd, NULL, &next); more;) {
		key = next;
		more = !bpf_map_get_next_key(fd, &key, &next);
		bit_set(p, key);
	}
	for (size_t w = 0; w < RS_BITS_WORDS; w++)
		atomic_fetch_or(&p->bits[w], RS_BITS_READY);
	pr_debug("procs_bits: %d tracked processes marked, %d gone", n, gone);
}

int probes__tracked(struct probes *p, uint32_t tgid)
{
	struct rs_proc proc;

	return !bpf_map_lookup_elem(bpf_map__fd(p->skel->maps.procs_map), &tgid, &proc);
}

int probes__seed_proc(struct probes *p, uint32_t tgid, const struct rs_proc *proc)
{
	/* an entry the kernel made since the programs were attached is newer: kept */
	return probes__add_proc(p, tgid, proc, BPF_NOEXIST);
}
