// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A process storm for the benchmarks: -p workers each fork -n/-p children, which exec a
 * program (-m exec, default /bin/true) or exit at once (-m fork), and wait for each. Prints
 * one JSON line: the count, the wall time and the rate, the CPU time the storm's processes used.
 *
 *   execstorm [-n COUNT] [-p WORKERS] [-m exec|fork] [PROGRAM [ARGS…]]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>

extern char **environ;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int storm(long n, int do_exec, char **argv)
{
	for (long i = 0; i < n; i++) {
		int status;
		pid_t pid = fork();

		if (pid < 0) {
			fprintf(stderr, "execstorm: fork: %s\n", strerror(errno));
			return 1;
		}
		if (pid == 0) {
			if (do_exec) {
				execve(argv[0], argv, environ);
				_exit(127);
			}
			_exit(0);
		}
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "execstorm: child %d failed (status %d)\n", (int)pid, status);
			return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static char *dflt[] = { "/bin/true", NULL };
	long n = 10000;
	int workers = 1, do_exec = 1, c, failed = 0;
	double t0, t1, cpu;
	struct rusage ru;

	while ((c = getopt(argc, argv, "+n:p:m:")) != -1) {
		switch (c) {
		case 'n':
			n = strtol(optarg, NULL, 10);
			break;
		case 'p':
			workers = atoi(optarg);
			break;
		case 'm':
			do_exec = strcmp(optarg, "fork") != 0;
			break;
		default:
			fprintf(stderr, "usage: execstorm [-n COUNT] [-p WORKERS] [-m exec|fork] "
					"[PROGRAM [ARGS...]]\n");
			return 2;
		}
	}
	if (n <= 0 || workers <= 0) {
		fprintf(stderr, "execstorm: -n and -p must be positive\n");
		return 2;
	}
	argv = optind < argc ? argv + optind : dflt;
	t0 = now();
	for (int w = 0; w < workers; w++) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(storm(n / workers + (w < n % workers), do_exec, argv));
		if (pid < 0) {
			fprintf(stderr, "execstorm: fork: %s\n", strerror(errno));
			return 1;
		}
	}
	for (int w = 0; w < workers; w++) {
		int status;

		if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			failed = 1;
	}
	t1 = now();
	/* the CPU the storm's processes used, the kernel's share in them included */
	getrusage(RUSAGE_CHILDREN, &ru);
	cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	      (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	printf("{\"count\": %ld, \"workers\": %d, \"mode\": \"%s\", \"seconds\": %.6f, "
	       "\"per_second\": %.1f, \"cpu_seconds\": %.6f, \"cpu_us_each\": %.2f}\n",
	       n, workers, do_exec ? "exec" : "fork", t1 - t0, (double)n / (t1 - t0), cpu,
	       cpu / (double)n * 1e6);
	return failed;
}
