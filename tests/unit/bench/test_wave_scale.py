"""bench/wave_scale.py's pure parts: how a figure grows with N, and the process tree it measures."""

import contextlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(TOP / "bench"))
import wave_scale as bench  # noqa: E402  (bench/ is a folder of scripts, not a package)


@pytest.mark.parametrize(("points", "expected"), [
    ([(1, 10), (2, 20), (4, 40)], 1.0),          # linear
    ([(1, 3), (2, 12), (4, 48)], 2.0),           # quadratic
    ([(1, 50), (2, 50), (4, 50)], 0.0),          # constant
    ([(2, 5)], None),                            # one N says nothing about growth
    ([(1, 0), (2, 0)], None),                    # nothing measured
])
def test_exponent(points, expected):
    assert bench.exponent(points) == expected


def test_linear_fit_and_the_projection():
    assert bench.linear_fit([(1, 12), (2, 14), (4, 18)]) == (10.0, 2.0)
    assert bench.linear_fit([(2, 1)]) is None
    runs = [{"n": n, "phases": {phase: {"rc": 0, "wall": 10 + 2 * n, "cpu": 3 * n, "pss_peak_mib": 100,
                                            "host_tasks": 40 * n}
                                for phase in bench.PHASES}} for n in (1, 2, 4)]
    runs[2]["phases"]["cutover"]["rc"] = 2  # a failed phase is no point of the fit
    growth = bench.growth(runs)
    assert growth["dryrun.wall"] == {"exponent": 0.29, "fixed": 10.0, "per_kommune": 2.0, "at_100": 210.0}
    assert growth["seed.cpu"]["exponent"] == 1.0 and growth["seed.cpu"]["at_100"] == 300.0
    assert growth["cutover.cpu"]["exponent"] == 1.0  # from N = 1 and 2 alone
    assert growth["dryrun.pss_peak_mib"]["exponent"] == 0.0


def test_the_process_tree_and_its_memory():
    child = subprocess.Popen([sys.executable, "-c", "import subprocess, sys; "
                              "subprocess.run([sys.executable, '-c', 'import time; time.sleep(5)'])"])
    try:
        for _ in range(100):
            below = [pid for pid in bench.kinds_below(os.getpid()) if pid != os.getpid()]
            if len(below) >= 2:
                break
            subprocess.run(["sleep", "0.05"], check=True)
        assert child.pid in below and len(below) >= 2  # the child and its own child
        assert bench.pss_kib(child.pid) > 0
    finally:
        child.kill()
        child.wait()
    assert bench.pss_kib(child.pid) == 0  # gone: nothing to count


def test_a_measured_command_has_its_cpu_time_and_memory(tmp_path):
    figures = bench.measured([sys.executable, "-c", "sum(range(3_000_000)); print('done')"], tmp_path / "log",
                             dict(os.environ))
    assert figures["rc"] == 0 and (tmp_path / "log").read_text() == "done\n"
    assert figures["cpu"] >= 0 and figures["rss_max_mib"] > 0


def test_the_tasks_run_on_hosts_from_the_play_recap():
    log = """PLAY RECAP *********************************************************************
s1-k001-dc                 : ok=30   changed=17   unreachable=0    failed=0    skipped=2    rescued=0    ignored=0
s1-k001-fs                 : ok=27   changed=14   unreachable=1    failed=1    skipped=5    rescued=1    ignored=0
"""
    assert bench.host_tasks(log) == 32 + 34
    assert bench.host_tasks("no recap") == 0


def test_each_command_has_its_own_largest_process_not_the_largest_so_far(tmp_path):
    big = bench.measured([sys.executable, "-c", "x = bytearray(200 * 1024 * 1024); x[::4096] = b'1' * len(x[::4096])"],
                         tmp_path / "big", dict(os.environ))
    small = bench.measured(["true"], tmp_path / "small", dict(os.environ))
    assert big["rss_max_mib"] >= 200 > small["rss_max_mib"]
    assert small["rc"] == 0 and bench.measured(["false"], tmp_path / "f", dict(os.environ))["rc"] == 1


def test_the_acceptance_suite_and_what_runs_below_it_is_its_own_kind():
    # python -> python -m pytest (a stand-in: -m pytest --version) -> its child; the last two are
    # acceptance, the first is not.
    stand_in = ("import subprocess, sys; subprocess.run([sys.executable, '-c', "
                "'sum(range(20_000_000)); import time; time.sleep(5)'])")
    top = subprocess.Popen([sys.executable, "-c", "import json, os, subprocess; "
                            "subprocess.run(json.loads(os.environ['STAND_IN']))"],
                           env={**os.environ, "STAND_IN": json.dumps([sys.executable, "-c", stand_in, "-m", "pytest"])})
    try:
        for _ in range(100):
            kinds = bench.kinds_below(top.pid)
            if len(kinds) >= 3:
                break
            subprocess.run(["sleep", "0.05"], check=True)
        assert sorted(kinds.values()) == ["acceptance", "acceptance", "ansible"] and kinds[top.pid] == "ansible"
        assert bench.kind_of(top.pid, "acceptance") == "acceptance"
        with bench.TreeMemory(top.pid) as memory:
            subprocess.run(["sleep", "1"], check=True)
        figures = memory.by_kind()
        assert figures["acceptance"]["pss_peak_mib"] > 0 and figures["ansible"]["pss_peak_mib"] > 0
        assert figures["acceptance"]["cpu_sampled"] > 0 and figures["ssh"] == {"pss_peak_mib": 0, "cpu_sampled": 0}
    finally:
        below = list(bench.kinds_below(top.pid))  # before the kill: then they are reparented
        for pid in reversed(below):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, 9)
        top.wait()


def test_a_process_gone_while_the_tree_is_read_is_no_error():
    gone = subprocess.Popen(["true"])
    gone.wait()
    assert bench.child_pids(gone.pid) == []
    assert bench.kinds_below(gone.pid) == {gone.pid: "ansible"}
    with bench.TreeMemory(gone.pid) as memory:
        subprocess.run(["sleep", "0.6"], check=True)
    assert memory.peak_kib == 0 and memory.error is None


def test_a_process_vanishing_between_two_reads_of_proc_is_no_error(monkeypatch):
    # /proc/<pid>/task listed while the process ends: os.listdir raises FileNotFoundError.
    def vanished(path):
        raise FileNotFoundError(2, "No such file or directory", path)

    monkeypatch.setattr(bench.os, "listdir", vanished)
    assert bench.child_pids(os.getpid()) == [] and bench.kinds_below(os.getpid()) == {os.getpid(): "acceptance"}


def test_a_sampling_that_fails_makes_the_figures_say_so(monkeypatch, tmp_path):
    def broken(pid):
        raise RuntimeError("proc unreadable")

    monkeypatch.setattr(bench, "kinds_below", broken)
    figures = bench.measured([sys.executable, "-c", "import time; time.sleep(0.6)"], tmp_path / "log",
                             dict(os.environ))
    assert figures["rc"] == 0 and figures["memory_partial"] == "sampling stopped: RuntimeError('proc unreadable')"
    monkeypatch.undo()
    assert "memory_partial" not in bench.measured(["true"], tmp_path / "ok", dict(os.environ))
