// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>
#include "enrich/containers.h"
#include "lib/cputime.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define OTHER "f123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_kubelet_link_names(void **state)
{
	struct container_names n;

	(void)state;
	assert_int_equal(containers_kubelet_parse("arc-runner-x7k2p_ci_runner-" ID ".log", ID, &n),
			 0);
	assert_string_equal(n.pod, "arc-runner-x7k2p");
	assert_string_equal(n.ns, "ci");
	assert_string_equal(n.name, "runner");
	/* container names may hold '-': only the last "-<id>" is the id */
	assert_int_equal(containers_kubelet_parse("p_ns_dind-side-car-" ID ".log", ID, &n), 0);
	assert_string_equal(n.name, "dind-side-car");
}

static void test_kubelet_link_rejects(void **state)
{
	static const char *const bad[] = {
		"p_ns_c-" OTHER ".log", /* another container */
		"p_ns_c-" ID ".txt",
		"p_ns_c" ID ".log", /* no '-' before the id */
		"pns_c-" ID ".log", /* one '_' */
		"p_n_s_c-" ID ".log", /* three */
		"_ns_c-" ID ".log", /* empty pod */
		"p__c-" ID ".log", /* empty namespace */
		"p_ns_-" ID ".log", /* empty container */
		ID ".log",
		"",
		".",
	};
	struct container_names n;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(containers_kubelet_parse(bad[i], ID, &n), -EINVAL);
		assert_string_equal(n.pod, "");
	}
}

/* config.json of an OCI bundle, trimmed to what matters, as each runtime writes it */
static void test_runtime_files(void **state)
{
	static const char containerd[] =
		"{\"ociVersion\":\"1.1.0\",\"process\":{\"args\":[\"/pause\"]},"
		"\"annotations\":{\"io.kubernetes.cri.container-type\":\"container\","
		"\"io.kubernetes.cri.container-name\":\"runner\","
		"\"io.kubernetes.cri.sandbox-name\":\"arc-runner-set-q8xkz-runner-7tq2c\","
		"\"io.kubernetes.cri.sandbox-namespace\":\"arc-runners\","
		"\"io.kubernetes.cri.sandbox-uid\":\"2f6c1e9a-3b4d-4c5e-8f70-a1b2c3d4e5f6\","
		"\"io.kubernetes.cri.image-name\":\"ghcr.io/actions/actions-runner:2.321.0\"}}";
	static const char crio[] =
		"{\"annotations\":{\"io.kubernetes.cri-o.Name\":\"k8s_build_gl-job_ci_u_0\","
		"\"io.kubernetes.container.name\":\"build\","
		"\"io.kubernetes.pod.name\":\"runner-abc-project-1-concurrent-0\","
		"\"io.kubernetes.pod.namespace\":\"gitlab\","
		"\"io.kubernetes.cri-o.ImageName\":\"registry.gitlab.com/gitlab-org/gitlab-runner/"
		"gitlab-runner-helper:x86_64-v17.5.0\"}}";
	static const char sandbox[] =
		"{\"annotations\":{\"io.kubernetes.cri.container-type\":\"sandbox\","
		"\"io.kubernetes.cri.sandbox-name\":\"web-0\","
		"\"io.kubernetes.cri.sandbox-namespace\":\"apps\"}}";
	static const char podman[] =
		"[{\"id\":\"" OTHER "\",\"names\":[\"other\"]},"
		"{\"id\":\"" ID "\",\"names\":[\"gitea-runner\",\"alias\"],"
		"\"metadata\":\"{\\\"name\\\":\\\"gitea-runner\\\",\\\"image-name\\\":"
		"\\\"docker.io/gitea/act_runner:0.2.11\\\"}\"}]";
	struct container_names n;

	(void)state;
	assert_int_equal(containers_oci_names(containerd, sizeof(containerd) - 1, &n), 0);
	assert_string_equal(n.name, "runner");
	assert_string_equal(n.pod, "arc-runner-set-q8xkz-runner-7tq2c");
	assert_string_equal(n.ns, "arc-runners");
	assert_string_equal(n.image, "ghcr.io/actions/actions-runner:2.321.0");
	assert_int_equal(containers_oci_names(crio, sizeof(crio) - 1, &n), 0);
	assert_string_equal(n.name, "build");
	assert_string_equal(n.pod, "runner-abc-project-1-concurrent-0");
	assert_string_equal(n.ns, "gitlab");
	assert_string_equal(n.image,
			    "registry.gitlab.com/gitlab-org/gitlab-runner/gitlab-runner-helper:x86_64-v17.5.0");
	/* a pod's sandbox: the pod, no container name */
	assert_int_equal(containers_oci_names(sandbox, sizeof(sandbox) - 1, &n), 0);
	assert_string_equal(n.name, "");
	assert_string_equal(n.pod, "web-0");
	assert_string_equal(n.image, "");
	assert_int_equal(containers_oci_names("{\"annotations\":{}}", 18, &n), -ENOENT);
	assert_int_equal(containers_oci_names("{\"annotations\":[", 16, &n), -ENOENT);
	assert_int_equal(containers_oci_names("", 0, &n), -ENOENT);

	memset(&n, 0, sizeof(n));
	assert_int_equal(containers_podman_name(podman, sizeof(podman) - 1, ID, &n), 0);
	assert_string_equal(n.name, "gitea-runner");
	assert_string_equal(n.image, "docker.io/gitea/act_runner:0.2.11");
	memset(&n, 0, sizeof(n));
	assert_int_equal(containers_podman_name(podman, sizeof(podman) - 1, "f00", &n), -ENOENT);
	assert_int_equal(containers_podman_name("{}", 2, ID, &n), -ENOENT);
}

static void test_cputime_split(void **state)
{
	uint64_t u, s;

	(void)state;
	cputime_split(1000, 3, 1, &u, &s); /* the ratio, the sum exact */
	assert_int_equal(u, 750);
	assert_int_equal(s, 250);
	cputime_split(1000, 0, 0, &u, &s); /* no ticks sampled: all user, as the kernel does */
	assert_int_equal(u, 1000);
	assert_int_equal(s, 0);
	cputime_split(1000, 0, 5, &u, &s);
	assert_int_equal(u, 0);
	assert_int_equal(s, 1000);
	/* sampled times above the runtime (v1 cgroups) still split it, never exceed it */
	cputime_split(635904523, 655991213, 20000000, &u, &s);
	assert_int_equal(u + s, 635904523);
	assert_true(u > s);
	/* no overflow at large values */
	cputime_split(UINT64_MAX / 2, UINT64_MAX / 4, UINT64_MAX / 4, &u, &s);
	assert_int_equal(u + s, UINT64_MAX / 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kubelet_link_names),
		cmocka_unit_test(test_kubelet_link_rejects),
		cmocka_unit_test(test_cputime_split),
		cmocka_unit_test(test_runtime_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
