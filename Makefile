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

# one BPF object, linked from a file per concern (bpf/*.bpf.c; what they share is in the
# bpf/*.bpf.h headers, a concern each: docs/architecture.md), with one skeleton
BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_PARTS := $(patsubst bpf/%.bpf.c,$(OUTPUT)/bpf/%.bpf.o,$(BPF_SRCS))
BPF_OBJ := $(OUTPUT)/runnerscope.bpf.o
SKELS := $(OUTPUT)/runnerscope.skel.h
# user/: main.c, and one folder a stage (docs/architecture.md), with folders of its own where
# it has many files of a kind (user/ci/kinds/)
USER_SRCS := $(wildcard user/*.c user/*/*.c user/*/*/*.c)
USER_HDRS := $(wildcard user/*.h user/*/*.h user/*/*/*.h)
USER_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(USER_SRCS))
# the files that include the skeleton, directly or through a header: only their objects wait
# for the BPF build (clang, bpftool); every other object and unit test builds without it
SKEL_USERS := $(shell tools/includers.sh runnerscope.skel.h $(USER_SRCS) $(USER_HDRS) \
	tests/unit/test_*.c)
SKEL_OBJS := $(patsubst user/%.c,$(OUTPUT)/user/%.o,$(filter user/%.c,$(SKEL_USERS)))
# each object, test and BPF part lists the headers it included (-MMD) in a .d file beside it;
# -MP keeps a build going when a header is removed. An object whose .d file is missing (a build
# directory from before, an interrupted compile) is built again.
DEPFLAGS = -MMD -MP

# unit tests: cmocka, against the objects that do not need the skeleton (an archive, so each
# test links only what it calls) and tests/unit/skel_stubs.c for the few functions of the
# others that the exposition reaches with no probes; a test that includes the skeleton itself
# links the objects that need it, and is left out when there is no BPF toolchain to build it
UNIT_OBJS := $(filter-out $(OUTPUT)/user/main.o $(SKEL_OBJS),$(USER_OBJS))
UNIT_LIB := $(OUTPUT)/tests/user.a
UNIT_STUB := $(OUTPUT)/tests/skel_stubs.o
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_SKEL := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(filter $(UNIT_SRCS),$(SKEL_USERS)))
UNIT_PLAIN := $(filter-out $(UNIT_SKEL),$(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(UNIT_SRCS)))
BPF_TOOLS := $(shell $(CLANG) --version >/dev/null 2>&1 && $(BPFTOOL) version >/dev/null 2>&1 \
	&& echo yes)
UNIT_TESTS := $(UNIT_PLAIN) $(if $(BPF_TOOLS),$(UNIT_SKEL))
# T=name: tests/unit/test_<name>.c alone (a shell pattern: each test it matches)
ifneq ($(T),)
UNIT_RUN := $(patsubst tests/unit/%.c,$(OUTPUT)/tests/%,$(wildcard tests/unit/test_$(T).c))
else
UNIT_RUN := $(UNIT_TESTS)
endif
# the call-cycle check of make unit (tools/callcycles.py): CALLCYCLES=0 leaves it out
CALLCYCLES ?= 1
CYCLE_OBJS := $(if $(BPF_TOOLS),$(USER_OBJS),$(filter-out $(SKEL_OBJS),$(USER_OBJS)))

.SECONDARY:
.PHONY: all run test test-san unit-san e2e-san test-raw-tp matrix unit callcycles e2e stress clean \
	install vmlinux fixtures bench \
	bench-tools bench-matrix fuzz \
	fuzzers image
all: $(OUTPUT)/runnerscope

$(OUTPUT) $(OUTPUT)/user $(OUTPUT)/tests $(OUTPUT)/fuzz:
	mkdir -p $@

$(OUTPUT)/bpf/%.bpf.o: bpf/%.bpf.c $(VMLINUX)
	@mkdir -p $(@D)
	$(CLANG) $(BPF_CFLAGS) $(DEPFLAGS) -c $< -o $@

# the file that defines the shared maps first: libbpf 1.1's linker leaves the section offsets
# of a map declared extern before its definition unset, and the object then fails to open
$(BPF_OBJ): $(BPF_PARTS)
	$(BPFTOOL) gen object $@ $(OUTPUT)/bpf/jobs.bpf.o $(filter-out $(OUTPUT)/bpf/jobs.bpf.o,$^)

$(OUTPUT)/runnerscope.skel.h: $(BPF_OBJ)
	$(BPFTOOL) gen skeleton $< name runnerscope_bpf > $@.tmp && mv $@.tmp $@

$(SKEL_OBJS): $(SKELS)

$(OUTPUT)/user/%.o: user/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(DEPFLAGS) -DRS_VERSION='"$(VERSION)"' -DRS_REVISION='"$(REVISION)"' \
		-c $< -o $@

$(OUTPUT)/runnerscope: $(USER_OBJS)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(UNIT_LIB): $(UNIT_OBJS) | $(OUTPUT)/tests
	rm -f $@ && $(AR) rcs $@ $^

$(OUTPUT)/tests/%.o: tests/unit/%.c | $(OUTPUT)/tests
	$(CC) $(CFLAGS) $(DEPFLAGS) -c $< -o $@

$(UNIT_SKEL:=.o): $(SKELS)

$(UNIT_PLAIN): %: %.o $(UNIT_STUB) $(UNIT_LIB)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -lcmocka -o $@

$(UNIT_SKEL): %: %.o $(SKEL_OBJS) $(UNIT_LIB)
	$(CC) $(LDFLAGS) $^ $(LDLIBS) -lcmocka -o $@

# the cmocka unit tests (every one runs; a failure fails the target after the last), then the
# documentation checks (links, metrics tables), the call-cycle check and the names' check
# (tools/names.py: __ for what another stage calls): no root needed;
# Debian's python3 carries python3-pytest, and a missing pytest fails here, it does not skip.
# T=name runs tests/unit/test_<name>.c alone.
unit: $(UNIT_RUN) $(if $(T),,$(if $(filter 1,$(CALLCYCLES)),$(CYCLE_OBJS)))
	@if [ -n "$(T)" ] && [ -z "$(UNIT_RUN)" ]; then \
		echo "unit: no tests/unit/test_$(T).c" >&2; exit 2; fi
	@failed=; for t in $(UNIT_RUN); do echo "== $$t"; $$t || failed="$$failed $${t##*/}"; \
	done; if [ -n "$$failed" ]; then echo "unit: FAILED:$$failed" >&2; exit 1; fi
	$(if $(T)$(BPF_TOOLS),,@echo "unit: not built, for want of $(CLANG) and $(BPFTOOL) to \
		make the skeleton they include: $(notdir $(UNIT_SKEL))")
	$(if $(T),,/usr/bin/python3 -m pytest -p no:cacheprovider -q tests/docs tests/tools)
	@$(if $(T),,$(if $(filter 1,$(CALLCYCLES)),tools/callcycles.py $(CYCLE_OBJS)))
	@$(if $(T),,$(if $(filter 1,$(CALLCYCLES)),tools/names.py $(OUTPUT)/user $(CYCLE_OBJS)))

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
	tests/e2e/test_cgroup_events.py tests/e2e/test_cpu_wait.py tests/e2e/test_disk.py
KERNEL_MARKS := not docker and not slow
# Debian's kernels, booted under qemu with a pure cgroup v2 hierarchy (tests/vm/)
MATRIX ?= 6.1 6.12

# the whole suite, in phases (tests/run-phases.sh): the build, the unit tests, the call-cycle
# check and the unit tests with ASan/UBSan/LSan first; then, one suite at a time, the kernel,
# Docker and Prometheus tests (root) with the default attach (tp_btf), the kernel tests with
# raw_tp and the kernel tests against the sanitizer build (a leak fails the daemon's exit),
# beside the kernel tests on the matrix's kernels and then every fuzz target briefly (make fuzz
# runs them longer). Every phase runs; a table of them ends the run. PHASES='unit e2e': those.
test:
	tests/run-phases.sh $(PHASES)

test-raw-tp: all fixtures
	RS_ATTACH=raw_tp RS_E2E_TESTS="$(KERNEL_TESTS)" tests/run-e2e.sh -m "$(KERNEL_MARKS)"

# the raw_tp pass of the matrix: the tests that load and drive every program (exec, fork, exit,
# the cgroup events, the OOM kill, the task walk), whose raw_tp variants are the ones a kernel
# may verify differently; the rest read what those programs made, alike in both flavours, and
# run in both on the host (make test-raw-tp)
MATRIX_RAW_TP_TESTS := tests/e2e/test_attach.py tests/e2e/test_github.py \
	tests/e2e/test_resources.py tests/e2e/test_cgroups.py tests/e2e/test_cgroup_events.py \
	tests/e2e/test_cpu_wait.py

matrix: all fixtures
	RS_KERNEL_TESTS="$(KERNEL_TESTS)" RS_KERNEL_MARKS="$(KERNEL_MARKS) and not smp" \
		RS_RAW_TP_TESTS="$(MATRIX_RAW_TP_TESTS)" tests/vm/matrix.sh $(MATRIX)

callcycles: $(CYCLE_OBJS)
	@tools/callcycles.py $(CYCLE_OBJS)
	@tools/names.py $(OUTPUT)/user $(CYCLE_OBJS)

# the unit tests and the kernel tests against a build with ASan, UBSan and LSan (build-san/)
test-san: unit-san e2e-san

unit-san:
	$(MAKE) OUTPUT=$(OUTPUT)-san SAN=1 CALLCYCLES=0 all unit

e2e-san: fixtures
	$(MAKE) OUTPUT=$(OUTPUT)-san SAN=1 all
	RS_DAEMON=$(abspath $(OUTPUT))-san/runnerscope \
		RS_E2E_TESTS="tests/e2e/test_attach.py tests/e2e/test_github.py \
		tests/e2e/test_resources.py tests/e2e/test_cgroups.py \
		tests/e2e/test_eventlog.py tests/e2e/test_containers.py tests/e2e/test_cli.py \
		tests/e2e/test_restart.py tests/e2e/test_web_tls.py tests/e2e/test_web_formats.py \
		tests/e2e/test_web_hardening.py tests/e2e/test_web_pages.py tests/e2e/test_status_page.py \
		tests/e2e/test_status_timeline.py tests/e2e/test_usage.py \
		tests/e2e/test_markers.py tests/e2e/test_cgroup_events.py tests/e2e/test_cpu_wait.py \
		tests/e2e/test_kinds.py tests/e2e/test_names.py tests/e2e/test_escape.py \
		tests/e2e/test_storm.py tests/e2e/test_disk.py" \
		tests/run-e2e.sh -k "not 500_containers and not 10000"

# T=expr: the tests a pytest -k expression selects (it matches test and file names)
e2e: all fixtures
	tests/run-e2e.sh $(if $(T),-k '$(T)')

# N runs (20) of the end-to-end tests T selects, while stress-ng keeps every CPU busy
N ?= 20
stress: all fixtures
	tests/stress.sh $(N) '$(T)'

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

# earlier daemons, each from its own tree from git archive, built there: the one before
# containers were found from cgroup events (it walked the cgroup tree every second), for
# bench/run.py's containers_pass; the one before threads' CPU wait and affinity were read, for
# bpf_cost
BENCH_BEFORE := 5022870
BENCH_COST_BEFORE := d98e438
$(BENCH)/before-%/build/runnerscope: | $(BENCH)
	rm -rf $(BENCH)/before-$*
	mkdir -p $(BENCH)/before-$*
	git archive $* | tar -x -C $(BENCH)/before-$*
	$(MAKE) -C $(BENCH)/before-$* OUTPUT=build SAN= FUZZ= all

bench-tools: $(BENCH)/floor $(BENCH)/execstorm $(BENCH)/status_page \
	$(BENCH)/before-$(BENCH_BEFORE)/build/runnerscope \
	$(BENCH)/before-$(BENCH_COST_BEFORE)/build/runnerscope

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

DEP_OBJS := $(USER_OBJS) $(BPF_PARTS) $(UNIT_STUB) $(addsuffix .o,$(UNIT_PLAIN) $(UNIT_SKEL))
DEPS := $(wildcard $(DEP_OBJS:.o=.d))
include $(DEPS)
$(filter-out $(DEPS:.d=.o),$(wildcard $(DEP_OBJS))): FORCE
FORCE:
.PHONY: FORCE
