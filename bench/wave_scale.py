#!/usr/bin/env python3
"""Benchmark: the controller's cost of a Welle of N Kommunen (dry run, seed, cut-over) as N grows.

For each N (default 1, 2, 4) it writes a lab plan with N Kommunen (lab/scale_plan.py: each a DC
and a file server with a smaller seed, one RZ, on a network and addresses of its own), starts its
containers with lab/umzug_lab.py's own functions and provisions them with lab/provision.yml (as
`make lab` does the lab), then runs the Welle through playbooks/wave.yml: dryrun, seed and
cutover (by override of the plan's window, which is in the past), all N Kommunen at once. At the
end the lab is removed; on a failure its logs stay in artifacts/bench/wave-scale/n<N>/ and the
lab is removed too (--keep leaves it running).

Per phase it records:
  wall       seconds of the phase's ansible-playbook;
  cpu        the controller's CPU time: user + sys of ansible-playbook and every process below it
             that it waited for (its forks, ssh, the acceptance suite's pytest), from os.wait4 of
             the ansible-playbook process (Linux: the child's usage with its waited-for
             descendants'; the hosts' own work runs in their containers, not below it);
  rss_max    the largest resident set of one process of that tree (ru_maxrss of the same);
  pss_peak   the peak of the tree's proportional set size (the forks' shared pages counted
             once), summed over the tree from /proc/<pid>/smaps_rollup every 0.25 s;
  host_tasks the tasks run on hosts (the PLAY RECAP's ok + failed + skipped + unreachable),
             to which the controller's cost per task and host relates;
  by_kind    the same tree's memory and CPU by what its processes are: `acceptance` (the
             acceptance suite's pytest and everything below it), `ssh` (Ansible's connections)
             and `ansible` (ansible-playbook, its workers, the modules run on the controller):
             the peak PSS of each kind, and its CPU time as last seen by the same sampling (each
             process's own user + sys; what lives less than a sample is missed: a lower bound).
The cost per Kommune and how it grows with N (the exponent b of cost = a * N^b fitted to the
runs) is printed with the table; --json writes all of it.

  flock /tmp/umzug-molecule.lock .venv/bin/python bench/wave_scale.py [--n 1 2 4] [--json FILE]
      [--keep] [--clients]

--profile M measures the controller alone (no lab, no containers): the plan of M Kommunen read
by the inventory plugin (ansible-inventory --list), and the wave role's variables templated for
every host of the Welle (bench/wave_scale_vars.yml, connection local), each with CPU time; with
--cprofile FILE the latter's Python profile is written for pstats.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import re
import resource
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TOP / "lab"))
import scale_plan  # noqa: E402  (lab/ is a folder of scripts)
import umzug_lab  # noqa: E402

STATE = TOP / "artifacts" / "bench" / "wave-scale"
PHASES = ("dryrun", "seed", "cutover")
WINDOW_OVERRIDE = {"wave_window_override": "Benchmark: the windows of the generated plan are in the past"}
SAMPLE_SECONDS = 0.25


# --- measuring a process tree -----------------------------------------------------------

def child_pids(pid: int) -> list[int]:
    """The processes right below `pid` (/proc/<pid>/task/*/children); none once it is gone,
    which a process of a running tree may be at any moment."""
    kids = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return kids
    for task in tasks:
        try:
            kids += [int(x) for x in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
        except (OSError, ValueError):
            continue
    return kids


def pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


KINDS = ("ansible", "ssh", "acceptance")
TICKS = os.sysconf("SC_CLK_TCK")


def kind_of(pid: int, parent_kind: str = "ansible") -> str:
    """What a process of the tree is: below the acceptance suite's pytest everything is
    `acceptance`; else an ssh client is `ssh`; the rest is `ansible`."""
    if parent_kind == "acceptance":
        return parent_kind
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return parent_kind
    if any(Path(arg.decode(errors="replace")).name == "pytest" for arg in argv):  # pytest, python -m pytest
        return "acceptance"
    return "ssh" if argv and Path(argv[0].decode(errors="replace")).name == "ssh" else "ansible"


def kinds_below(pid: int) -> dict[int, str]:
    """`pid` and every process below it, each with its kind (kind_of, inherited downwards)."""
    found, todo = {}, [(pid, "ansible")]
    while todo:
        current, parent_kind = todo.pop()
        found[current] = kind = kind_of(current, parent_kind)
        todo += [(kid, kind) for kid in child_pids(current)]
    return found


def own_cpu_ticks(pid: int) -> int | None:
    """user + sys of the process itself (not its children), in clock ticks."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, ValueError, IndexError):
        return None


class TreeMemory:
    """The peak PSS of a process and everything below it, sampled while it runs; and per kind
    of process (kind_of) its peak PSS and CPU time as last seen."""

    def __init__(self, pid: int):
        self.pid, self.peak_kib, self.stop = pid, 0, threading.Event()
        self.error: str | None = None
        self.peak_by_kind = dict.fromkeys(KINDS, 0)
        self.ticks: dict[int, tuple[str, int]] = {}
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def loop(self) -> None:
        while not self.stop.is_set():
            try:
                self.sample()
            except Exception as err:  # the figures say they are partial; the bench goes on
                self.error = f"sampling stopped: {err!r}"
                return
            self.stop.wait(SAMPLE_SECONDS)

    def sample(self) -> None:
        by_kind = dict.fromkeys(KINDS, 0)
        for pid, kind in kinds_below(self.pid).items():
            by_kind[kind] += pss_kib(pid)
            ticks = own_cpu_ticks(pid)
            if ticks is not None:
                self.ticks[pid] = (kind, ticks)
        self.peak_kib = max(self.peak_kib, sum(by_kind.values()))
        self.peak_by_kind = {kind: max(self.peak_by_kind[kind], by_kind[kind]) for kind in KINDS}

    def by_kind(self) -> dict:
        cpu = dict.fromkeys(KINDS, 0)
        for kind, ticks in self.ticks.values():
            cpu[kind] += ticks
        return {kind: {"pss_peak_mib": round(self.peak_by_kind[kind] / 1024, 1),
                       "cpu_sampled": round(cpu[kind] / TICKS, 1)} for kind in KINDS}

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=\d+\s+unreachable=(\d+)\s+failed=(\d+)\s+skipped=(\d+)"
                   r"\s+rescued=\d+\s+ignored=\d+", re.MULTILINE)


def host_tasks(log: str) -> int:
    """Tasks run on hosts (ok, unreachable, failed, skipped: each once) from the PLAY RECAP."""
    return sum(sum(int(count) for count in match.groups()[1:]) for match in RECAP.finditer(log))


def cpu_seconds(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


def measured(cmd: list[str], log: Path, environ: dict[str, str]) -> dict:
    """Run `cmd` with its output in `log`; its wall time, CPU time and memory."""
    print("$", " ".join(cmd), flush=True)
    start = time.monotonic()
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen(cmd, cwd=TOP, env=environ, stdout=out, stderr=subprocess.STDOUT)
        with TreeMemory(proc.pid) as memory:
            # wait4: this child's resource usage with that of its waited-for descendants (Linux),
            # unlike RUSAGE_CHILDREN's ru_maxrss, the largest of every child the bench ever had.
            _pid, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - start
    return {"rc": proc.returncode, "wall": round(wall, 1), "cpu": round(cpu_seconds(usage), 1),
            "host_tasks": host_tasks(log.read_text(encoding="utf-8", errors="replace")),
            "rss_max_mib": round(usage.ru_maxrss / 1024, 1), "pss_peak_mib": round(memory.peak_kib / 1024, 1),
            "by_kind": memory.by_kind(), **({"memory_partial": memory.error} if memory.error else {})}


# --- growth (pure) ----------------------------------------------------------------------

def exponent(points: list[tuple[float, float]]) -> float | None:
    """b of y = a * x^b, least squares in log-log; None with fewer than two distinct x."""
    points = [(x, y) for x, y in points if x > 0 and y > 0]
    if len({x for x, _ in points}) < 2:
        return None
    lx = [math.log(x) for x, _ in points]
    ly = [math.log(y) for _, y in points]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    return round(sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / sum((a - mx) ** 2 for a in lx), 2)


def linear_fit(points: list[tuple[float, float]]) -> tuple[float, float] | None:
    """(fixed, per unit) of y = fixed + per_unit * x, least squares; None with fewer than two x."""
    if len({x for x, _ in points}) < 2:
        return None
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    slope = sum((x - mx) * (y - my) for x, y in points) / sum((x - mx) ** 2 for x, _ in points)
    return round(my - slope * mx, 2), round(slope, 2)


def growth(runs: list[dict], project_to: int = 100) -> dict:
    """Per phase and figure: the exponent with N, the linear fit and its value at `project_to`."""
    result = {}
    for phase in PHASES:
        for figure in ("wall", "cpu", "pss_peak_mib", "host_tasks"):
            points = [(run["n"], run["phases"][phase][figure]) for run in runs
                      if phase in run["phases"] and run["phases"][phase]["rc"] == 0]
            fit = linear_fit(points)
            result[f"{phase}.{figure}"] = {
                "exponent": exponent(points), "fixed": fit[0] if fit else None, "per_kommune": fit[1] if fit else None,
                f"at_{project_to}": round(fit[0] + fit[1] * project_to, 1) if fit else None}
    return result


# --- the lab of N -----------------------------------------------------------------------

def env() -> dict[str, str]:
    environ = dict(os.environ)
    environ.update(CONTAINERS_CONF=str(TOP / "lab" / "containers.conf"), ANSIBLE_CONFIG=str(TOP / "ansible.cfg"),
                   PATH=f"{TOP / '.venv' / 'bin'}:{environ.get('PATH', '')}", ANSIBLE_NOCOLOR="1",
                   ANSIBLE_FORCE_COLOR="0")
    return environ


def playbook() -> str:
    return str(TOP / ".venv" / "bin" / "ansible-playbook")


def phase_command(inventory: Path, out: Path, phase: str) -> list[str]:
    cmd = [playbook(), "-i", str(inventory), str(TOP / "playbooks" / "wave.yml"),
           "-e", f"@{TOP / 'lab' / 'accounts.yml'}", "-e", f"@{TOP / 'lab' / 'wave.yml'}",
           "-e", f"wave_journal_dir={out / 'journal'}", "-e", f"wave_phase={phase}"]
    if phase == "cutover":
        cmd += ["-e", json.dumps(WINDOW_OVERRIDE)]
    return cmd


def phase_env(out: Path) -> dict[str, str]:
    environ = env()
    environ.update(ANSIBLE_CALLBACKS_ENABLED="kommunal.umzug.report,kommunal.umzug.progress",
                   UMZUG_REPORT_DIR=str(out / "reports"))
    return environ


def lab_up(inventory: Path, out: Path) -> tuple[umzug_lab.LabNetwork, list[umzug_lab.LabHost], dict]:
    net, hosts = umzug_lab.load_topology(inventory)
    tags = umzug_lab.build_images()
    umzug_lab.ensure_network(net)
    umzug_lab.start_containers(net, hosts, tags)
    provision = measured([playbook(), "-i", str(inventory), str(TOP / "lab" / "provision.yml"),
                          "-e", f"@{out / 'seed.json'}"], out / "provision.log", env())
    return net, hosts, provision


def lab_down(net: umzug_lab.LabNetwork, hosts: list[umzug_lab.LabHost]) -> None:
    """Only this lab's containers and network (never the lab's or a scenario's)."""
    for host in hosts:
        if umzug_lab.container_state(host.name) is not None:
            umzug_lab.run(["podman", "rm", "-f", "-t", "5", host.name], check=False)
    if umzug_lab.run(["podman", "network", "exists", net.name], check=False).returncode == 0:
        umzug_lab.run(["podman", "network", "rm", net.name], check=False)


def journal_outcomes(out: Path) -> dict[str, dict]:
    """Each Kommune's last state per phase from its journal (whatever the journal's format says)."""
    outcomes = {}
    for path in sorted((out / "journal").glob("wave-*/*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        outcomes[path.stem] = {phase: len(steps or []) for phase, steps in (data.get("phases") or {}).items()}
    return outcomes


def run_n(n: int, args) -> dict:
    out = STATE / f"n{n}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    inventory = scale_plan.write(n, out, clients=args.clients)
    result = {"n": n, "clients": args.clients, "phases": {},
              "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    net, hosts = umzug_lab.load_topology(inventory)
    result["hosts"] = len(hosts)
    failed = None
    try:
        clock = time.monotonic()
        net, hosts, provision = lab_up(inventory, out)
        result["lab_up"] = {"wall": round(time.monotonic() - clock, 1), "provision": provision}
        if provision["rc"] != 0:
            failed = "provision"
        for phase in PHASES if failed is None else ():
            result["load_average_before"] = result.get("load_average_before") or round(os.getloadavg()[0], 1)
            figures = measured(phase_command(inventory, out, phase), out / f"{phase}.log", phase_env(out))
            result["phases"][phase] = figures
            if figures["rc"] != 0:
                failed = phase
                break
        result["load_average_after"] = round(os.getloadavg()[0], 1)
        result["journal_steps"] = journal_outcomes(out)
    finally:
        if args.keep:
            print(f"kept lab {n}: its containers {', '.join(h.name for h in hosts)} on {net.name}")
        else:
            lab_down(net, hosts)
    result["failed"] = failed
    if failed:
        print(f"N={n}: {failed} failed; its logs are in {out}", file=sys.stderr)
    return result


# --- the controller alone ---------------------------------------------------------------

def profile(m: int, cprofile: Path | None) -> dict:
    out = STATE / f"profile-{m}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    # Lab number 1's addresses for M Kommunen: nothing is started, no address is used.
    inventory = scale_plan.write(1, out, kommunen=m)
    listing = measured([str(TOP / ".venv" / "bin" / "ansible-inventory"), "-i", str(inventory), "--list"],
                       out / "inventory.log", env())
    environ = env()
    cmd = [playbook(), "-i", str(inventory), str(TOP / "bench" / "wave_scale_vars.yml")]
    if cprofile:
        cmd = [sys.executable, "-m", "cProfile", "-o", str(cprofile), *cmd]
    templating = measured(cmd, out / "vars.log", environ)
    return {"kommunen": m, "inventory": listing, "wave_vars": templating}


# --- output -----------------------------------------------------------------------------

def git_commit() -> str:
    proc = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=TOP, capture_output=True, text=True,
                          check=False)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=TOP, capture_output=True,
                           text=True, check=False).stdout.strip()
    return proc.stdout.strip() + ("+changes" if dirty else "")


def print_table(report: dict) -> None:
    print(f"\ncommit {report['commit']}, {report['date']}")
    print(f"{'N':>3} {'hosts':>5} {'phase':<10} {'wall s':>8} {'cpu s':>8} {'cpu s/N':>8} {'PSS MiB':>8} "
          f"{'RSS MiB':>8} {'tasks':>6} {'ms/task':>7} rc")
    for run in report["runs"]:
        rows = [("provision", run.get("lab_up", {}).get("provision")), *run["phases"].items()]
        for phase, fig in rows:
            if fig:
                print(f"{run['n']:>3} {run['hosts']:>5} {phase:<10} {fig['wall']:>8.1f} {fig['cpu']:>8.1f} "
                      f"{fig['cpu'] / run['n']:>8.1f} {fig['pss_peak_mib']:>8.1f} {fig['rss_max_mib']:>8.1f} "
                      f"{fig['host_tasks']:>6} {1000 * fig['cpu'] / max(fig['host_tasks'], 1):>7.0f} {fig['rc']}")
                if fig.get("memory_partial"):
                    print(f"      PSS and by kind are partial: {fig['memory_partial']}")
                kinds = fig.get("by_kind") or {}
                print("      by kind (peak PSS MiB / CPU s sampled): " + ", ".join(
                    f"{kind} {kinds[kind]['pss_peak_mib']:.1f} / {kinds[kind]['cpu_sampled']:.1f}" for kind in kinds))
        print(f"    load average (1 min) {run.get('load_average_before')} before the dry run, "
              f"{run.get('load_average_after')} after the cut-over")
    if report.get("growth"):
        print(f"\n{'phase.figure':<22} {'exponent':>8} {'fixed':>8} {'per N':>8} {'at 100':>8}")
        for key, fig in report["growth"].items():
            if fig["exponent"] is not None:
                print(f"{key:<22} {fig['exponent']:>8} {fig['fixed']:>8} {fig['per_kommune']:>8} {fig['at_100']:>8}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[1, 2, 4], help="the lab sizes (Kommunen)")
    parser.add_argument("--clients", action="store_true", help="a workstation per Kommune")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--keep", action="store_true", help="leave each lab running")
    parser.add_argument("--profile", type=int, nargs="+", metavar="M",
                        help="the controller alone, for plans of M Kommunen (no lab)")
    parser.add_argument("--cprofile", type=Path, help="with --profile: the Python profile of the last M")
    args = parser.parse_args(argv)
    report = {"commit": git_commit(), "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
              "cpu": "os.wait4 of each ansible-playbook: user + sys of it and its waited-for descendants",
              "runs": []}
    if args.profile:
        report["profile"] = [profile(m, args.cprofile if m == args.profile[-1] else None) for m in args.profile]
        for item in report["profile"]:
            print(f"{item['kommunen']:>4} Kommunen: inventory {item['inventory']['cpu']:.2f} s CPU, "
                  f"wave vars {item['wave_vars']['cpu']:.2f} s CPU ({item['wave_vars']['wall']:.1f} s wall, "
                  f"rc {item['wave_vars']['rc']})")
    else:
        umzug_lab.check_prerequisites()
        for n in args.n:
            report["runs"].append(run_n(n, args))
        report["growth"] = growth(report["runs"])
        print_table(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 1 if any(run.get("failed") for run in report["runs"]) else 0


if __name__ == "__main__":
    sys.exit(main())
