// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "enrich/cgroup_path.h"

#define ID1 "8d3c2b7f0e1a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
#define ID2 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define UID "2f6c1e9a-3b4d-4c5e-8f70-a1b2c3d4e5f6"
#define UID_ "2f6c1e9a_3b4d_4c5e_8f70_a1b2c3d4e5f6"
_Static_assert(sizeof(ID1) == CONTAINER_ID_LEN + 1 && sizeof(ID2) == CONTAINER_ID_LEN + 1, "ids");
_Static_assert(sizeof(UID) == POD_UID_LEN + 1 && sizeof(UID_) == POD_UID_LEN + 1, "uids");

static void check_ctr(const char *path, const char *id, int runtime, const char *pod, int nested)
{
	struct container_ref ref;

	memset(&ref, 0x55, sizeof(ref));
	if (cgroup_path__container(path, &ref) != 1)
		fail_msg("not a container: %s", path);
	assert_string_equal(ref.id, id);
	assert_int_equal(ref.runtime, runtime);
	assert_string_equal(ref.pod_uid, pod);
	assert_int_equal(ref.nested, nested);
}

static void check_none(const char *path)
{
	static const struct container_ref zero;
	struct container_ref ref;

	memset(&ref, 0x55, sizeof(ref));
	if (cgroup_path__container(path, &ref) != 0)
		fail_msg("taken for a container (%s): %s", ref.id, path);
	/* the caller may print it: nothing left from before */
	assert_memory_equal(&ref, &zero, sizeof(ref));
}

static void test_docker(void **state)
{
	(void)state;
	check_ctr("/docker/" ID1, ID1, RUNTIME_DOCKER, "", 0);
	check_ctr("/system.slice/docker-" ID1 ".scope", ID1, RUNTIME_DOCKER, "", 0);
	assert_string_equal(cgroup_path__runtime_name(RUNTIME_DOCKER), "docker");
}

static void test_containerd_cgroupfs(void **state)
{
	(void)state;
	check_ctr("/kubepods/burstable/pod" UID "/" ID1, ID1, RUNTIME_CONTAINERD, UID, 0);
	check_ctr("/kubepods/besteffort/pod" UID "/" ID1, ID1, RUNTIME_CONTAINERD, UID, 0);
	/* guaranteed QoS: no class directory */
	check_ctr("/kubepods/pod" UID "/" ID1, ID1, RUNTIME_CONTAINERD, UID, 0);
	assert_string_equal(cgroup_path__runtime_name(RUNTIME_CONTAINERD), "containerd");
}

static void test_containerd_systemd(void **state)
{
	(void)state;
	check_ctr("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
		  ".slice/cri-containerd-" ID1 ".scope",
		  ID1, RUNTIME_CONTAINERD, UID, 0);
	check_ctr("/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_
		  ".slice/cri-containerd-" ID1 ".scope",
		  ID1, RUNTIME_CONTAINERD, UID, 0);
	check_ctr("/kubepods.slice/kubepods-pod" UID_ ".slice/cri-containerd-" ID1 ".scope", ID1,
		  RUNTIME_CONTAINERD, UID, 0);
}

static void test_crio(void **state)
{
	(void)state;
	check_ctr("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
		  ".slice/crio-" ID1 ".scope",
		  ID1, RUNTIME_CRIO, UID, 0);
	/* conmon monitors the container from outside it */
	check_none("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
		   ".slice/crio-conmon-" ID1 ".scope");
	/* crun's payload sub-cgroup under CRI-O's scope; the cgroupfs driver's forms */
	check_ctr("/kubepods.slice/kubepods-pod" UID_ ".slice/crio-" ID1 ".scope/container", ID1,
		  RUNTIME_CRIO, UID, 0);
	check_ctr("/kubepods/burstable/pod" UID "/crio-" ID1, ID1, RUNTIME_CRIO, UID, 0);
	check_ctr("/kubepods/pod" UID "/crio-" ID1, ID1, RUNTIME_CRIO, UID, 0);
	check_none("/kubepods/burstable/pod" UID "/crio-conmon-" ID1);
	/* no kubelet: CRI-O's default parents */
	check_ctr("/crio/crio-" ID1, ID1, RUNTIME_CRIO, "", 0);
	check_ctr("/system.slice/crio-" ID1 ".scope", ID1, RUNTIME_CRIO, "", 0);
	assert_string_equal(cgroup_path__runtime_name(RUNTIME_CRIO), "cri-o");
}

static void test_podman(void **state)
{
	(void)state;
	check_ctr("/machine.slice/libpod-" ID1 ".scope", ID1, RUNTIME_PODMAN, "", 0);
	check_ctr("/machine.slice/libpod-" ID1 ".scope/container", ID1, RUNTIME_PODMAN, "", 0);
	check_ctr("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-" ID1
		  ".scope/container",
		  ID1, RUNTIME_PODMAN, "", 0);
	check_ctr("/libpod_parent/libpod-" ID1, ID1, RUNTIME_PODMAN, "", 0);
	/* a podman pod's slice */
	check_ctr("/machine.slice/machine-libpod_pod_" ID2 ".slice/libpod-" ID1 ".scope", ID1,
		  RUNTIME_PODMAN, "", 0);
	check_none("/machine.slice/libpod-conmon-" ID1 ".scope");
	check_none("/libpod_parent/conmon");
	check_none("/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-conmon-" ID1
		   ".scope");
	assert_string_equal(cgroup_path__runtime_name(RUNTIME_PODMAN), "podman");
}

static void test_nested(void **state)
{
	(void)state;
	check_ctr("/docker/" ID1 "/docker/" ID2, ID2, RUNTIME_DOCKER, "", 1);
	check_ctr("/system.slice/docker-" ID1 ".scope/docker/" ID2, ID2, RUNTIME_DOCKER, "", 1);
	/* a dind sidecar's container: the innermost id, the outer pod */
	check_ctr("/kubepods/burstable/pod" UID "/" ID1 "/docker/" ID2, ID2, RUNTIME_DOCKER, UID,
		  1);
	check_ctr("/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_
		  ".slice/cri-containerd-" ID1 ".scope/docker/" ID2,
		  ID2, RUNTIME_DOCKER, UID, 1);
	check_ctr("/kubepods/pod" UID "/crio-" ID1 "/docker/" ID2, ID2, RUNTIME_DOCKER, UID, 1);
	/* dind on a systemd docker host, its inner dockerd in the outer container's cgroup */
	check_ctr("/system.slice/docker-" ID1 ".scope/init", ID1, RUNTIME_DOCKER, "", 0);
}

static void test_not_containers(void **state)
{
	char path[256];
	char upper[] = ID1;

	(void)state;
	check_none("");
	check_none("/");
	check_none("/user.slice/user-1000.slice/session-3.scope");
	check_none("/system.slice/sshd.service");
	check_none("/system.slice/docker.service");
	check_none("/docker");
	check_none("/docker/");
	check_none("/init.scope");

	snprintf(path, sizeof(path), "/docker/%.63s", ID1);
	check_none(path);
	check_none("/docker/" ID1 "0");
	snprintf(path, sizeof(path), "/system.slice/docker-%.63s.scope", ID1);
	check_none(path);
	for (char *c = upper; *c; c++)
		if (*c >= 'a' && *c <= 'f')
			*c = (char)(*c - 'a' + 'A');
	snprintf(path, sizeof(path), "/docker/%s", upper);
	check_none(path);
	/* a 64-hex directory name means a container only under docker or a pod */
	check_none("/" ID1);
	check_none("/system.slice/" ID1);
	/* a half-valid pod uid is no pod uid */
	check_none("/kubepods/burstable/pod2f6c1e9a-3b4d-4c5e-8f70-a1b2c3d4e5zz/" ID1);
	check_none("/kubepods/burstable/pod" UID "x/" ID1);
	assert_string_equal(cgroup_path__runtime_name(RUNTIME_NONE), "");
	assert_string_equal(cgroup_path__runtime_name(RUNTIME_MAX), "");
}

static void check_file(const char *text, const char *id, int runtime)
{
	struct container_ref ref;

	memset(&ref, 0x55, sizeof(ref));
	assert_int_equal(cgroup_path_file_container(text, strlen(text), &ref), 1);
	assert_string_equal(ref.id, id);
	assert_int_equal(ref.runtime, runtime);
}

static void test_file_v2(void **state)
{
	(void)state;
	check_file("0::/system.slice/docker-" ID1 ".scope\n", ID1, RUNTIME_DOCKER);
	check_file("0::/kubepods/burstable/pod" UID "/" ID2 "\n", ID2, RUNTIME_CONTAINERD);
}

static void test_file_v1(void **state)
{
	(void)state;
	check_file("12:pids:/docker/" ID1 "\n"
		   "11:memory:/docker/" ID1 "\n"
		   "10:cpu,cpuacct:/docker/" ID1 "\n"
		   "9:devices:/docker/" ID1 "\n"
		   "2:cpuset:/docker/" ID1 "\n"
		   "1:name=systemd:/docker/" ID1 "\n",
		   ID1, RUNTIME_DOCKER);
	/* the first hierarchies outside any container (e.g. rdma on the host's root) */
	check_file("13:rdma:/\n"
		   "12:pids:/kubepods/besteffort/pod" UID "/" ID2 "\n"
		   "1:name=systemd:/kubepods/besteffort/pod" UID "/" ID2 "\n",
		   ID2, RUNTIME_CONTAINERD);
}

static void test_file_hybrid(void **state)
{
	(void)state;
	/* the cgroup2 line wins even when it comes last */
	check_file("12:pids:/docker/" ID2 "\n"
		   "11:memory:/docker/" ID2 "\n"
		   "1:name=systemd:/docker/" ID2 "\n"
		   "0::/docker/" ID1 "\n",
		   ID1, RUNTIME_DOCKER);
	/* a hybrid host whose unified hierarchy is unused: the v1 lines name the container */
	check_file("12:pids:/docker/" ID2 "\n"
		   "1:name=systemd:/docker/" ID2 "\n"
		   "0::/\n",
		   ID2, RUNTIME_DOCKER);
}

static void test_file_truncated(void **state)
{
	struct container_ref ref;
	const char *text = "0::/docker/" ID1 "\n";

	(void)state;
	/* no trailing newline */
	check_file("0::/system.slice/docker-" ID1 ".scope", ID1, RUNTIME_DOCKER);
	check_file("12:pids:/docker/" ID1 "\n1:name=systemd:/docker/" ID1, ID1, RUNTIME_DOCKER);
	/* cut inside the id: len counts, not the NUL */
	assert_int_equal(cgroup_path_file_container(text, strlen(text) - 2, &ref), 0);
	assert_int_equal(cgroup_path_file_container(text, strlen(text) - 1, &ref), 1);
	assert_string_equal(ref.id, ID1);
}

static void test_file_none(void **state)
{
	static const struct container_ref zero;
	struct container_ref ref;
	const char *host = "12:pids:/user.slice/user-1000.slice/session-3.scope\n"
			   "1:name=systemd:/user.slice/user-1000.slice/session-3.scope\n"
			   "0::/user.slice/user-1000.slice/session-3.scope\n";

	(void)state;
	memset(&ref, 0x55, sizeof(ref));
	assert_int_equal(cgroup_path_file_container(host, strlen(host), &ref), 0);
	assert_memory_equal(&ref, &zero, sizeof(ref));

	memset(&ref, 0x55, sizeof(ref));
	assert_int_equal(cgroup_path_file_container("", 0, &ref), 0);
	assert_memory_equal(&ref, &zero, sizeof(ref));

	assert_int_equal(cgroup_path_file_container("\n\n", 2, &ref), 0);
	assert_int_equal(cgroup_path_file_container("garbage", 7, &ref), 0);
	/* a path with no hierarchy fields is not a cgroup line */
	assert_int_equal(cgroup_path_file_container("/docker/" ID1 "\n", 73, &ref), 0);
}

/* a process inside a container, or a container nested in it, in any hierarchy; its monitor
 * beside it is not */
static void test_file_within(void **state)
{
	static const char in_v2[] = "0::/kubepods/burstable/pod" UID "/" ID1 "\n";
	static const char nested[] = "4:memory:/docker/" ID1 "/docker/" ID2 "\n0::/\n";
	static const char systemd[] = "0::/kubepods.slice/kubepods-burstable.slice/"
				      "kubepods-burstable-pod" UID_ ".slice/cri-containerd-" ID1
				      ".scope\n";
	static const char podman[] = "0::/machine.slice/libpod-" ID1 ".scope/container\n";
	static const char conmon[] = "0::/machine.slice/libpod-conmon-" ID1 ".scope\n";
	static const char crio_conmon[] = "1:cpu:/kubepods/pod" UID "/crio-conmon-" ID1 "\n";
	static const char shim[] = "0::/system.slice/containerd.service\n";
	static const char other[] = "0::/docker/" ID2 "\n";

	(void)state;
	assert_true(cgroup_path_file_within(in_v2, sizeof(in_v2) - 1, ID1));
	assert_true(cgroup_path_file_within(nested, sizeof(nested) - 1, ID1));
	assert_true(cgroup_path_file_within(nested, sizeof(nested) - 1, ID2));
	assert_true(cgroup_path_file_within(systemd, sizeof(systemd) - 1, ID1));
	assert_true(cgroup_path_file_within(podman, sizeof(podman) - 1, ID1));
	assert_false(cgroup_path_file_within(conmon, sizeof(conmon) - 1, ID1));
	assert_false(cgroup_path_file_within(crio_conmon, sizeof(crio_conmon) - 1, ID1));
	assert_false(cgroup_path_file_within(shim, sizeof(shim) - 1, ID1));
	assert_false(cgroup_path_file_within(other, sizeof(other) - 1, ID1));
	/* a prefix of an id, or an id cut short, is not it */
	assert_false(cgroup_path_file_within(in_v2, sizeof(in_v2) - 3, ID1));
	assert_false(cgroup_path_file_within(in_v2, sizeof(in_v2) - 1, "8d3c"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_docker),
		cmocka_unit_test(test_containerd_cgroupfs),
		cmocka_unit_test(test_containerd_systemd),
		cmocka_unit_test(test_crio),
		cmocka_unit_test(test_podman),
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_not_containers),
		cmocka_unit_test(test_file_v2),
		cmocka_unit_test(test_file_v1),
		cmocka_unit_test(test_file_hybrid),
		cmocka_unit_test(test_file_truncated),
		cmocka_unit_test(test_file_none),
		cmocka_unit_test(test_file_within),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
