# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
OUTPUT ?= build
CLANG ?= clang
BPFTOOL ?= bpftool
CC ?= cc
PREFIX ?= /usr/local

ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' -e 's/ppc64le/powerpc/' \
	-e 's/s390x/s390/' -e 's/riscv64/riscv/' -e 's/loongarch64/loongarch/')
VMLINUX := vmlinux/$(ARCH)/vmlinux.h

VERSION := $(shell cat VERSION)
REVISION := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)

WARN := -Wall -Wextra -Werror
CFLAGS ?= -O2 -g
CFLAGS += $(WARN) -std=gnu11 -D_GNU_SOURCE -Iinclude -Iuser -I$(OUTPUT)
LDLIBS := $(shell pkg-config --libs libbpf libmicrohttpd json-c yaml-0.1 gnutls libcrypt 2>/dev/null || \
	echo -lbpf -lmicrohttpd -ljson-c -lyaml -lgnutls -lcrypt) -lelf -lz -lpthread -lm

ifeq ($(FUZZ),1)
CFLAGS += -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
endif

ifeq ($(SAN),1)
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif

# the system include dirs clang needs to find <asm/…> when targeting bpf
CLANG_BPF_SYS_INCLUDES := $(shell $(CLANG) -v -E - </dev/null 2>&1 | \
	sed -n '/<...> search starts here:/,/End of search list./{ s| \(/.*\)|-idirafter \1|p }')
BPF_CFLAGS := -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) $(WARN) -Wno-unused-parameter \
	-I$(dir $(VMLINUX)) -Iinclude -Ibpf $(CLANG_BPF_SYS_INCLUDES)

# one BPF object, linked from a file per concern (bpf/*.bpf.c; what they share is in
# bpf/common.bpf.h), with one skeleton
BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_PARTS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/bpf/%.bpf.o,$(BPF_SRCS))
BPF_OBJ := $(OUTPUT)/runnerscope.bpf.o
SKELS := $(OUTPUT)/runnerscope.skel.h
# user/: main.c, and one folder a stage (docs/architecture.md)
USER_SRCS := $(wildcard user/*.c user/*/*.c)
USER_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(USER_SRCS))
HDRS := $(wildcard include/*.h user/*/*.h bpf/*.bpf.h)


UNIT_TESTS := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(wildcard tests/unit/test_*.c))

.SECONDARY:
.PHONY: all run test test-san test-raw-tp matrix unit e2e clean install vmlinux fixtures bench \
	bench-tools bench-matrix fuzz \
	fuzzers image
all: $(OUTPUT)/runnerscope

$(OUTPUT) $(OUTPUT)/user $(OUTPUT)/tests $(OUTPUT)/fuzz:
	mkdir -p $@

$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c $(HDRS) $(VMLINUX)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# the file that defines the shared maps first: libbpf 1.1's linker leaves the section offsets
# of a map declared extern before its definition unset, and the object then fails to open
$(BPF_OBJ): $(BPF_PARTS)
	$(BPFTOOL) gen object $@ $(OUTPUT)/bpf/jobs.bpf.o $(filter-out $(OUTPUT)/bpf/jobs.bpf.o,$^)

$(OUTPUT)/runnerscope.skel.h: $(BPF_OBJ)
	$(BPFTOOL) gen skeleton $< name runnerscope_bpf > $@.tmp && mv $@.tmp $@

$(OUTPUT)/user/%.o: user/%.c $(HDRS) $(SKELS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -DRS_VERSION='"$(VERSION)"' -DRS_REVISION='"$(REVISION)"' -c $< -o $@

$(OUTPUT)/runnerscope: $(USER_OBJS)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# unit tests: cmocka, against the pure modules only
$(OUTPUT)/tests/test_%: tests/unit/test_%.c $(filter-out $(OUTPUT)/user/main.o,$(USER_OBJS)) | $(OUTPUT)/tests
	$(CC) $(CFLAGS) $(LDFLAGS) $< $(filter-out $(OUTPUT)/user/main.o,$(USER_OBJS)) \
		$(LDLIBS) -lcmocka -o $@

# the cmocka unit tests, then the documentation checks (links, metrics tables): no root needed;
# Debian's python3 carries python3-pytest, and a missing pytest fails here, it does not skip
unit: $(UNIT_TESTS)
	@set -e; for t in $(UNIT_TESTS); do echo "== $$t"; $$t; done
	/usr/bin/python3 -m pytest -p no:cacheprovider -q tests/docs

fixtures: $(OUTPUT)/fixtures/old-layout
	$(MAKE) -C tests/fixtures/fake-runner OUT=$(abspath $(OUTPUT))/fixtures/fake-runner

# pins maps of an older layout, for the migration test
$(OUTPUT)/fixtures/old-layout: tests/fixtures/old-layout/old-layout.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< -o $@ -lbpf

# the kernel tests: what depends on the kernel's BPF and cgroups, run again in the other attach
# flavour and on other kernels (docker: no engine there; slow: minutes under qemu's TCG)
KERNEL_TESTS := tests/e2e/test_attach.py tests/e2e/test_github.py tests/e2e/test_resources.py \
	tests/e2e/test_cgroups.py tests/e2e/test_markers.py tests/e2e/test_eventlog.py \
	tests/e2e/test_restart.py tests/e2e/test_kinds.py tests/e2e/test_cli.py \
	tests/e2e/test_cgroup_events.py
KERNEL_MARKS := not docker and not slow
# Debian's kernels, booted under qemu with a pure cgroup v2 hierarchy (tests/vm/)
MATRIX ?= 6.1 6.12

# the whole suite: unit tests, then the kernel, Docker and Prometheus tests (root) with the
# default attach (tp_btf), the kernel tests with raw_tp, the kernel tests on the matrix's
# kernels in both flavours, then the unit tests and the kernel tests again with
# ASan/UBSan/LSan (a leak fails the daemon's exit), then every fuzz target briefly (make fuzz
# runs them longer)
test: all unit fixtures
	tests/run-e2e.sh
	$(MAKE) test-raw-tp
	$(MAKE) matrix
	$(MAKE) test-san
	$(MAKE) fuzz FUZZ_TIME=10

test-raw-tp: all fixtures
	RS_ATTACH=raw_tp RS_E2E_TESTS="$(KERNEL_TESTS)" tests/run-e2e.sh -m "$(KERNEL_MARKS)"

matrix: all fixtures
	RS_KERNEL_TESTS="$(KERNEL_TESTS)" RS_KERNEL_MARKS="$(KERNEL_MARKS)" \
		tests/vm/matrix.sh $(MATRIX)

test-san: fixtures
	$(MAKE) OUTPUT=$(OUTPUT)-san SAN=1 all unit
	RS_DAEMON=$(abspath $(OUTPUT))-san/runnerscope \
		RS_E2E_TESTS="tests/e2e/test_attach.py tests/e2e/test_github.py \
		tests/e2e/test_resources.py tests/e2e/test_cgroups.py \
		tests/e2e/test_eventlog.py tests/e2e/test_containers.py tests/e2e/test_cli.py \
		tests/e2e/test_restart.py tests/e2e/test_web_tls.py tests/e2e/test_web_formats.py \
		tests/e2e/test_web_hardening.py tests/e2e/test_web_pages.py tests/e2e/test_status_page.py \
		tests/e2e/test_status_timeline.py tests/e2e/test_usage.py \
		tests/e2e/test_markers.py tests/e2e/test_cgroup_events.py \
		tests/e2e/test_kinds.py tests/e2e/test_names.py tests/e2e/test_escape.py \
		tests/e2e/test_storm.py" \
		tests/run-e2e.sh -k "not 500_containers and not 10000"

e2e: all fixtures
	tests/run-e2e.sh

run: all
	$(OUTPUT)/runnerscope $(ARGS)

# benchmarks: a process storm, empty programs on the same tracepoints (the floor), the driver
BENCH := $(OUTPUT)/bench
$(BENCH):
	mkdir -p $@

$(BENCH)/floor.bpf.o: bench/floor.bpf.c $(VMLINUX) | $(BENCH)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BENCH)/floor.skel.h: $(BENCH)/floor.bpf.o
	$(BPFTOOL) gen skeleton $< name floor_bpf > $@.tmp && mv $@.tmp $@

$(BENCH)/floor: bench/floor.c $(BENCH)/floor.skel.h
	$(CC) $(CFLAGS) -I$(BENCH) $< -o $@ $(LDLIBS)

$(BENCH)/execstorm: bench/execstorm.c | $(BENCH)
	$(CC) $(CFLAGS) $< -o $@

# the status page of 200 runners and 10,000 jobs, built again and again (docs/web.md)
$(BENCH)/status_page: bench/status_page.c $(filter-out $(OUTPUT)/user/main.o,$(USER_OBJS)) \
		| $(BENCH)
	$(CC) $(CFLAGS) $(LDFLAGS) $< $(filter-out $(OUTPUT)/user/main.o,$(USER_OBJS)) $(LDLIBS) \
		-o $@

# the daemon before containers were found from cgroup events (it walked the cgroup tree every
# second), for bench/run.py's containers_pass: its own tree from git archive, built there
BENCH_BEFORE := 5022870
$(BENCH)/before-$(BENCH_BEFORE)/build/runnerscope: | $(BENCH)
	rm -rf $(BENCH)/before-$(BENCH_BEFORE)
	mkdir -p $(BENCH)/before-$(BENCH_BEFORE)
	git archive $(BENCH_BEFORE) | tar -x -C $(BENCH)/before-$(BENCH_BEFORE)
	$(MAKE) -C $(BENCH)/before-$(BENCH_BEFORE) OUTPUT=build SAN= FUZZ= all

bench-tools: $(BENCH)/floor $(BENCH)/execstorm $(BENCH)/status_page \
	$(BENCH)/before-$(BENCH_BEFORE)/build/runnerscope

# ARGS=--quick for a short smoke run; --only=bpf_cost,overhead,job_heavy,idle,latency,
# status_page,cgroup_cost,containers_pass
bench: all fixtures bench-tools
	bench/run.py $(ARGS)

# the BPF cost per event on each kernel of the matrix, both flavours beside bpftrace in each
# guest (under qemu's TCG: the ratios hold, the nanoseconds are emulation's);
# results in build/bench/<kernel>/
bench-matrix: all fixtures bench-tools
	bench/matrix.sh $(MATRIX)

# libFuzzer targets (clang), against every parser and encoder that takes outside data
FUZZ_TARGETS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_TIME ?= 60

$(OUTPUT)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(filter-out $(OUTPUT)/user/main.o,$(USER_OBJS)) \
		| $(OUTPUT)/fuzz
	$(CC) $(CFLAGS) -fsanitize=fuzzer,address,undefined $^ $(LDLIBS) -o $@

fuzzers: $(addprefix $(OUTPUT)/fuzz/,$(FUZZ_TARGETS))

# each target for FUZZ_TIME seconds from its seed corpus, after replaying its regressions
fuzz:
	$(MAKE) OUTPUT=$(OUTPUT)-fuzz FUZZ=1 CC=$(CLANG) fuzzers
	tests/fuzz/run.sh $(OUTPUT)-fuzz $(FUZZ_TIME) $(FUZZ_TARGETS)

# the container image (deploy/docker/Dockerfile), built by the docker engine DOCKER_HOST names
IMAGE ?= runnerscope
BASE_IMAGE ?= runnerscope-base:bookworm
image:
	tools/make-image.sh $(IMAGE) $(VERSION) $(REVISION) $(BASE_IMAGE)

install: all
	install -D -m 0755 $(OUTPUT)/runnerscope $(DESTDIR)$(PREFIX)/sbin/runnerscope

# regenerate the checked-in vmlinux.h from the running kernel's BTF
vmlinux:
	mkdir -p vmlinux/$(ARCH)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $(VMLINUX).tmp
	mv $(VMLINUX).tmp $(VMLINUX)

clean:
	rm -rf $(OUTPUT) $(OUTPUT)-san $(OUTPUT)-fuzz
