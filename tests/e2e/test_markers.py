"""procs_bits: the programs skip their procs_map lookups for a process whose bit is clear, so
every tracked process must have its bit, however it came to be tracked."""
import json
import os
import re

import rs
from rs import wait_for

# a step that forks once let go: the forks happen under whichever programs run by then
LATE_FORKS = "; /bin/true; /bin/true"
# python execs from a second thread: the kernel makes that thread the leader (de_thread); the
# process must stay tracked whichever of its threads exec'd
THREAD_EXEC = ("step /usr/bin/python3 -c \"import os, threading; "
               "t = threading.Thread(target=os.execv, args=('/bin/sh', "
               "['sh', '-c', '/bin/true; /bin/true; /bin/true'])); t.start(); t.join()\"")
MAIN_EXEC = ("step /usr/bin/python3 -c \"import os; "
             "os.execv('/bin/sh', ['sh', '-c', '/bin/true; /bin/true; /bin/true'])\"")


def finished(path, n):
    def lines():
        if not os.path.exists(path):
            return None
        with open(path) as f:
            done = [json.loads(l) for l in f if '"job_finished"' in l]
        return done if len(done) >= n else None
    return wait_for(lines, 20, what=f"{n} finished jobs in the event log")


def job_processes_zero(d, runner):
    wait_for(lambda: d.scrape().value("runnerscope_job_processes", runner=runner) == 0, 10,
             what="every process of the runner's jobs seen to exit")


def test_programs_of_the_other_flavour_are_taken_over(daemon, runners, workdir):
    """tp_btf programs taking over raw_tp programs' pinned maps trust no bit until the daemon
    has set one for every process in procs_map, so the job's late forks and its exits, under
    the new programs, are still seen."""
    events = os.path.join(workdir, "events.jsonl")
    d = daemon("--bpf.attach=raw_tp", cleanup=False)
    r = runners("markers").start()
    held = os.path.join(workdir, "across")
    r.submit("across", rs.held_step(held) + LATE_FORKS, "exit 100")
    r.worker_pid("across")
    rs.jobs_running(d, "markers", timeout=10)
    d.kill()
    d2 = daemon(f"--events.file={events}", "--bpf.attach=tp_btf", pin_path=d.pin_path,
                port=d.port)
    log = d2.read_log()
    assert "programs replaced (generation 1)" in log
    # the Listener, the Worker and its step's shell at least
    marked = re.findall(r"procs_bits: (\d+) tracked processes marked", log)
    assert marked and int(marked[-1]) >= 3, log[-3000:]
    rs.release(held)
    r.result("across")
    # the same job again, under the new programs from start to end: the reference
    held = os.path.join(workdir, "within")
    r.submit("within", rs.held_step(held) + LATE_FORKS, "exit 100")
    rs.release(held)
    r.result("within")
    done = {e["pid"]: e for e in finished(events, 2)}
    counts = sorted(e["processes"] for e in done.values())
    # the Worker, the step's shell and its two forks, in each
    assert counts[0] == counts[1] and counts[0] >= 4, done
    job_processes_zero(d2, "markers")
    m = d2.scrape()
    assert m.value("runnerscope_jobs_finished_total", runner="markers", result="success") == 2


def test_exec_from_a_thread_keeps_the_process_tracked(daemon, runners, workdir):
    events = os.path.join(workdir, "events.jsonl")
    d = daemon(f"--events.file={events}")
    r = runners("threads").start()
    r.submit("main", MAIN_EXEC, "exit 100")
    r.result("main")
    r.submit("thread", THREAD_EXEC, "exit 100")
    r.result("thread")
    done = finished(events, 2)
    counts = [e["processes"] for e in done]
    # the same processes either way: the shell the thread became forked three that were seen
    assert counts[0] == counts[1] and counts[0] >= 5, done
    job_processes_zero(d, "threads")
    assert d.scrape().value("runnerscope_bpf_map_entries", map="procs_map") == 1  # the Listener
