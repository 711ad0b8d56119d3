"""Which attach flavour runs, and why: auto picks tp_btf on every kernel the tests run on; a
rejected flavour is named with the verifier's own reason, and the fall-back counts the same."""
import os
import platform
import re
import subprocess

import rs
from rs import wait_for


def attach_info(m):
    return [(l, v) for l, v in m.find("runnerscope_bpf_attach_info")]


def kernel_has_rdonly_cast():
    """the kfunc (Linux 6.2) with which the raw_tp programs read their arguments"""
    with open("/proc/kallsyms") as f:
        return any(l.rstrip().split(" ")[2:3] == ["bpf_rdonly_cast"] for l in f)


def counts_two_jobs(d, runners, name):
    r = runners(name).start()
    r.submit("a", "step true", "exit 100")
    r.submit("b", "exit 102")
    r.result("b")
    m = wait_for(lambda: (lambda m: m if m.value("runnerscope_jobs_finished_total",
                                                 kind="github", runner=name,
                                                 result="failure") == 1 else None)(d.scrape()),
                 what="both jobs finished")
    assert m.value("runnerscope_jobs_finished_total", kind="github", runner=name,
                   result="success") == 1


def test_auto_attaches_tp_btf(daemon):
    d = daemon("--bpf.attach=auto")
    assert attach_info(d.scrape()) == [({"attach": "tp_btf", "kernel": platform.release()}, 1)]
    assert f"attached via tp_btf on Linux {platform.release()}" in d.read_log()
    assert "level=warn" not in d.read_log()


def test_rejected_tp_btf_falls_back_with_the_verifiers_reason(daemon, runners):
    # the tests' switch makes the tp_btf programs do what every verifier rejects
    d = daemon("--bpf.attach=auto", "--log.level=info",
               env={**os.environ, "RUNNERSCOPE_TEST_REJECT": "tp_btf"})
    warn = [l for l in d.read_log().splitlines() if "level=warn" in l]
    assert len(warn) == 1, warn
    # the program, the instruction and the reason, as the verifier put them
    assert re.search(r"tp_btf programs were not loaded \(tp_btf_handle_\w+: \d+: \(\w+\) "
                     r"[^;]+; R\d+ invalid mem access 'scalar'\): falling back to raw_tp",
                     warn[0]), warn[0]
    assert attach_info(d.scrape()) == [({"attach": "raw_tp", "kernel": platform.release()}, 1)]
    # and it counts what tp_btf would
    counts_two_jobs(d, runners, "fallen-back")


def test_raw_tp_reads_its_arguments_where_the_kernel_can_cast(daemon, runners):
    d = daemon("--bpf.attach=raw_tp")
    log = d.read_log()
    assert "level=warn" not in log
    # before Linux 6.2 (no bpf_rdonly_cast) the programs that read current through a helper
    helper = f"attached via raw_tp (current read through a helper) on Linux {platform.release()}"
    assert (helper in log) == (not kernel_has_rdonly_cast()), log[-2000:]
    assert "attached via raw_tp" in log
    counts_two_jobs(d, runners, "raw-tp")


def test_rejected_raw_tp_arguments_fall_back_to_current(daemon, runners):
    d = daemon("--bpf.attach=raw_tp", "--log.level=info",
               env={**os.environ, "RUNNERSCOPE_TEST_REJECT": "raw_tp_arg"})
    warn = [l for l in d.read_log().splitlines() if "level=warn" in l]
    if kernel_has_rdonly_cast():
        assert len(warn) == 1 and re.search(
            r"raw_tp programs that read their arguments were not loaded \(raw_tp_handle_\w+: "
            r"\d+: .*invalid mem access 'scalar'\): loading those that read current", warn[0]), warn
    else:
        # those programs are not even tried
        assert warn == []
    assert "attached via raw_tp (current read through a helper)" in d.read_log()
    assert attach_info(d.scrape()) == [({"attach": "raw_tp", "kernel": platform.release()}, 1)]
    counts_two_jobs(d, runners, "raw-tp-current")


def test_no_flavour_loads_exits_with_the_reason(workdir):
    d = rs.Daemon(workdir, ["--bpf.attach=auto"],
                  env={**os.environ, "RUNNERSCOPE_TEST_REJECT": "tp_btf,raw_tp"})
    out = subprocess.run(d.args, env=d.env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 1, out.stderr[-2000:]
    err = [l for l in out.stderr.splitlines() if "level=error" in l]
    assert len(err) == 1 and "failed to load BPF programs (raw_tp)" in err[0] and \
        re.search(r"raw_tp_(cur_)?handle_", err[0]) and "invalid mem access" in err[0], err
    # at debug level, each verifier's whole log, a record a line, to its last line
    for flavour in ("tp_btf_", "raw_tp_cur_") + (("raw_tp_",) if kernel_has_rdonly_cast() else ()):
        vlines = [l for l in out.stderr.splitlines()
                  if re.search(f'msg="verifier: {flavour}handle_', l)]
        assert len(vlines) > 5 and "invalid mem access" in "".join(vlines), (flavour, vlines)
        assert any(re.search(r"processed \d+ insns", l) for l in vlines), vlines[-3:]
    assert not os.path.exists(d.pin_path)


def test_forced_flavour_does_not_fall_back(workdir):
    d = rs.Daemon(workdir, ["--bpf.attach=tp_btf"],
                  env={**os.environ, "RUNNERSCOPE_TEST_REJECT": "tp_btf"})
    out = subprocess.run(d.args, env=d.env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 1, out.stderr[-2000:]
    assert "failed to load BPF programs (tp_btf)" in out.stderr
    assert "falling back" not in out.stderr
