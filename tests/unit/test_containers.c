// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>
#include "enrich/containers_priv.h"
#include "files.h"
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

/* splits whose ratio shifts: neither part steps back, and the two add up to the runtime */
static void test_cputime_keep(void **state)
{
	uint64_t u = 0, s = 0;

	(void)state;
	cputime_keep(60, 40, &u, &s); /* the first split as it is */
	assert_int_equal(u, 60);
	assert_int_equal(s, 40);
	cputime_keep(95, 15, &u, &s); /* system would step back: kept, user takes the rest */
	assert_int_equal(s, 40);
	assert_int_equal(u, 70);
	cputime_keep(30, 90, &u, &s); /* user would step back: kept, system takes the rest */
	assert_int_equal(u, 70);
	assert_int_equal(s, 50);
	/* keeping each part at its highest would show 95 + 90 = 185 of a 120 runtime */
	assert_int_equal(u + s, 120);
	cputime_keep(10, 10, &u, &s); /* the runtime has not grown: nothing changes */
	assert_int_equal(u, 70);
	assert_int_equal(s, 50);
}

static void test_cmdline_args(void **state)
{
	static const char *const cid[] = { "-c", "--cid", NULL };
	static const char *const bundle[] = { "-b", "--bundle", NULL };
	static const char *const ns[] = { "-namespace", "--namespace", NULL };
	static const char conmon[] = "/usr/bin/conmon\0--api-version\0001\0-c\0" ID
				     "\0-n\0ci-runner\0--bundle=/b/userdata\0-r\0/usr/bin/crun";
	static const char shim[] = "containerd-shim-runc-v2\0-namespace\0k8s.io\0-id\0" ID;
	static const char cut[] = "conmon\0-c";
	static const char *const nameless[] = { "-n", NULL };

	(void)state;
	assert_string_equal(containers_cmdline_arg(conmon, sizeof(conmon), cid), ID);
	assert_string_equal(containers_cmdline_arg(conmon, sizeof(conmon), bundle), "/b/userdata");
	assert_string_equal(containers_cmdline_arg(shim, sizeof(shim), ns), "k8s.io");
	/* a flag with no value after it, "-n=x" (a short flag takes no '='), a prefix */
	assert_null(containers_cmdline_arg(cut, sizeof(cut), cid));
	assert_null(containers_cmdline_arg("conmon\0-n=x", 12, nameless));
	assert_null(containers_cmdline_arg("conmon\0-nx\0y", 13, nameless));
	assert_null(containers_cmdline_arg("", 0, cid));
}

/* containerd's state where k3s and microk8s keep it, in any namespace; the path tried when
 * there is none */
static void test_bundles_in_the_usual_places(void **state)
{
	char root[] = "/tmp/rs-bundles-XXXXXX", tried[4096];
	struct container_names n;

	(void)state;
	assert_non_null(mkdtemp(root));
	assert_int_equal(runtime_bundle__names(root, RUNTIME_CONTAINERD, ID, 0, &n, tried,
					       sizeof(tried)), -ENOENT);
	assert_non_null(strstr(tried, "/run/containerd/io.containerd.runtime.v2.task/*/" ID));
	put_file(root, "run/k3s/containerd/io.containerd.runtime.v2.task/k8s.io/" ID "/config.json",
		 CRI_RUNNER_CONFIG);
	assert_int_equal(runtime_bundle__names(root, RUNTIME_CONTAINERD, ID, 0, &n, tried,
					       sizeof(tried)), 0);
	assert_string_equal(n.name, "runner");
	assert_string_equal(n.pod, "arc-pod");
	assert_string_equal(n.ns, "arc");
	assert_string_equal(n.image, "ghcr.io/actions/actions-runner:2");
	assert_non_null(strstr(tried, "/run/k3s/containerd/"));
	put_file(root, "var/snap/microk8s/common/run/containerd/io.containerd.runtime.v2.task/"
		 "default/" OTHER "/config.json", CRI_RUNNER_CONFIG);
	assert_int_equal(runtime_bundle__names(root, RUNTIME_CONTAINERD, OTHER, 0, &n, NULL, 0), 0);
	assert_string_equal(n.name, "runner");
	/* read, naming nothing: 0, and the names empty */
	put_file(root, "run/containerd/io.containerd.runtime.v2.task/moby/" OTHER "/config.json",
		 "{}");
	assert_int_equal(runtime_bundle__names(root, RUNTIME_CONTAINERD, OTHER, 0, &n, NULL, 0), 0);
	assert_string_equal(n.name, "");
	/* docker's are not its to read */
	assert_int_equal(runtime_bundle__names(root, RUNTIME_DOCKER, ID, 0, &n, NULL, 0), -EINVAL);
	remove_tree(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kubelet_link_names),
		cmocka_unit_test(test_kubelet_link_rejects),
		cmocka_unit_test(test_cputime_split),
		cmocka_unit_test(test_cputime_keep),
		cmocka_unit_test(test_runtime_files),
		cmocka_unit_test(test_cmdline_args),
		cmocka_unit_test(test_bundles_in_the_usual_places),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
