"""Churn: 5,000 short-lived containers (cgroups under /docker/<id> in every hierarchy, as the
docker engine makes them) and 20,000 jobs of runners living in some of them, in five waves.
After each wave is gone its series are gone, and after the last the daemon's memory and open
file descriptors are back where they were after the first."""
import time

import rs
from rs import wait_for


def counts(m, wave=-1):
    """containers, jobs finished by the wave's runners, runners"""
    return (len(m.find("runnerscope_container_info")),
            sum(v for l, v in m.find("runnerscope_jobs_finished_total", result="success")
                if l["runner"].startswith(f"churn-{wave}-")),
            len(m.find("runnerscope_runner_up")))


def settled_fds(d, samples=5):
    """Open descriptors, the fewest of a few fresh pages: a pass or a page being built holds a
    cgroup or /proc file open for a moment beside the count, a leaked descriptor stays."""
    fds = []
    for _ in range(samples):
        fds.append(d.scrape(rs.FRESH).value("process_open_fds"))
        time.sleep(0.2)
    return min(fds)


def test_5000_containers_and_20000_jobs_leave_nothing_behind(daemon, runners):
    d = daemon("--containers=all", "--runner.grace-period=1s", "--containers.grace-period=1s")
    n0, _, r0 = counts(d.scrape())
    base = None
    cgs = []
    try:
        for wave in range(5):
            cgs = [rs.Cgroup(f"docker/{rs.fake_container_id()}") for _ in range(1000)]
            made = [runners(f"churn-{wave}-{i}", cgroup=cgs[i]).start() for i in range(4)]
            for k in range(20):
                for r in made:
                    r.submit(f"b{k}", "exit 100", burst=50)
            for r in made:
                for k in range(20):
                    r.result(f"b{k}", timeout=300)
            seen = {}

            def made_all():
                seen["containers, jobs, runners"] = counts(d.scrape(), wave)
                c = seen["containers, jobs, runners"]
                return c[0] == n0 + 1000 and c[1] == 4000
            try:
                wait_for(made_all, 60, interval=0.5,
                         what=f"wave {wave}: 1,000 containers and 4,000 jobs")
            except AssertionError as e:
                raise AssertionError(f"{e}: {seen}, want {n0 + 1000} containers\n"
                                     f"{d.read_log()[-3000:]}") from None
            for r in made:
                r.cleanup()
            while cgs:
                cgs.pop().remove()
            # gone: the containers and the runners after their grace periods
            seen = {}

            def gone():
                m = d.scrape()
                seen["containers, jobs, runners"] = counts(m)
                return m if counts(m)[0] == n0 and counts(m)[2] == r0 else None
            try:
                m = wait_for(gone, 60, interval=0.5, what=f"wave {wave} gone")
            except AssertionError as e:
                raise AssertionError(f"{e}: {seen}, want {n0} containers and {r0} runners\n"
                                     f"{d.read_log()[-3000:]}") from None
            now = (m.value("process_resident_memory_bytes"), settled_fds(d))
            if base is None:
                base = now  # after one wave: caches and pools are warm
    finally:
        # a failed wave leaves no cgroups behind for the tests after it
        for cg in cgs:
            cg.remove()
    assert now[1] <= base[1], ("file descriptors", base, now)
    assert now[0] - base[0] <= 2 * 2**20, ("resident memory", base, now)
    # nothing stale: no container, runner or job series of the waves
    m = d.scrape()
    assert not [l for l, _ in m.find("runnerscope_runner_info") if l["runner"].startswith("churn")]
    assert m.value("runnerscope_bpf_map_entries", map="jobs_map") == 0
    assert m.value("runnerscope_bpf_map_entries", map="runner_stats") == r0
