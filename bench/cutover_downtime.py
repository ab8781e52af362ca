#!/usr/bin/env python3
"""Benchmark: the downtime of one lab Kommune's cut-over, from its freeze to done, and its parts.

Brings up the hosts of the Molecule scenario `wave` (the lab's two Kommunen and the RZ, on a
network of their own) as `make molecule` does (create, converge: lab/provision.yml seeds them
from lab/seed.yml), then runs Kommune A alone through the Welle as an RZ engineer would
(playbooks/wave.yml, `--limit kommune_a`): discover, dry run, seed. Between the seed and the
cut-over it changes a few files on the Kommune's file server (appends to some, copies others as
new ones, owners and ACLs kept), so the final pass moves something, as after a working day.
Then the cut-over, by override of the plan's window (the scenario's windows are in the past).

What is measured comes from the Kommune's journal (plugins/plugin_utils/wave/journal.py): every
step the cut-over recorded, in its order, whatever the steps are. A step's time runs from the
end of the step before it (for the first, from the start of the cut-over's ansible-playbook) to
its own end; its end is the moment the bench saw the step in the journal (read every 0.2 s;
the journal's own times are whole seconds), or the journal's time where it was not seen.
Freeze to done runs from the start of the first `freeze` step to the end of the last step; if
the journal has a step named for the service resuming (`*resum*`), freeze to that step's end is
reported as well. The time moving data is the engine's time of the final passes as the
journal's records keep them (their `seconds`, summed); the rest of freeze to done is the time
beyond moving the changed data.

Variants (before discovery, made the way the lab makes its content: lab/seed.yml's entry of
the Kommune, extended and handed to converge as extra vars, which outrank the file):
  --shares N         the Kommune's file server has N shares: small shares are added, each a
                     copy of one of the lab's shares (its ACL and files, no awkward cases)
  --users-factor F   F times the Kommune's users in its source domain, each added user a copy
                     of one of the lab's (its OU, groups, enabled or not, service or not)

Nothing here asserts a time: it measures. It prints a table (step, seconds) and writes JSON
(--json). The per-extra-share figure compares two such JSON files:
  .venv/bin/python bench/cutover_downtime.py --compare LAB.json SHARES30.json

Run as root, under the lab's lock, after `make images`; the hosts are removed at the end
(--keep leaves them; `molecule destroy -s wave` with the same MOLECULE_EPHEMERAL_DIRECTORY
removes them):
  flock /tmp/umzug-molecule.lock .venv/bin/python bench/cutover_downtime.py [--shares 30]
      [--users-factor 10] [--json FILE] [--keep]
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

TOP = Path(__file__).resolve().parent.parent
SCENARIO = "wave"
KOMMUNE = "kommune-a"
LIMIT = "kommune_a"
# Kommune A's file server in the scenario (molecule/wave/molecule.yml).
KOMMUNE_FS = "wav-a-fs"
STATE = TOP / "artifacts" / "bench" / "cutover-downtime"
EPHEMERAL = TOP / ".lab" / "molecule" / "run" / SCENARIO
WINDOW_OVERRIDE = {"wave_window_override": "Benchmark: the windows of the scenario's plan are in the past"}
# The changes between seed and cut-over: appended to existing files, and files copied as new ones.
APPEND_BYTES = 24 * 1024
CHANGED_FILES = 4
NEW_FILES = 2


# --- the journal (pure) -------------------------------------------------------------------

def parse_time(value: str) -> float:
    return dt.datetime.fromisoformat(value).timestamp()


def step_id(step: str) -> str:
    """A step's id without the host it ran on (`final_sync@wav-a-fs` -> `final_sync`)."""
    return step.split("@", 1)[0]


def phase_entries(journal: dict, phase: str = "cutover") -> list[dict]:
    """The steps the phase recorded, in the journal's order."""
    return list((journal.get("phases") or {}).get(phase) or [])


def step_times(entries: list[dict], start: float, seen: dict[str, float] | None = None) -> list[dict]:
    """Each step's start, end and seconds: a step starts where the one before it ended."""
    seen = seen or {}
    rows, begin = [], start
    for entry in entries:
        end = seen.get(entry["step"], parse_time(entry["at"]))
        end = max(end, begin)  # the journal's whole seconds can fall before an observed end
        rows.append({"step": entry["step"], "start": begin, "end": end, "seconds": round(end - begin, 2),
                     "seen": entry["step"] in seen})
        begin = end
    return rows


def record_marks(entries: list[dict], key: str) -> list[float]:
    """Times a step's record keeps under `key` (an ISO time), e.g. a service-resumed mark."""
    marks = []
    for entry in entries:
        value = (entry.get("record") or {}).get(key)
        if isinstance(value, str):
            try:
                marks.append(parse_time(value))
            except ValueError:
                continue
    return marks


def downtime(rows: list[dict], entries: list[dict]) -> dict:
    """Freeze to done, and freeze to the service resuming where the journal marks it."""
    if not rows:
        return {"freeze_to_done": None, "freeze_to_resumed": None, "freeze_step": None, "resumed_step": None}
    freeze = next((row for row in rows if step_id(row["step"]) == "freeze"), rows[0])
    result = {"freeze_step": freeze["step"], "freeze_to_done": round(rows[-1]["end"] - freeze["start"], 2),
              "freeze_to_resumed": None, "resumed_step": None}
    resumed = next((row for row in rows if re.search(r"resum", step_id(row["step"]))), None)
    if resumed:
        result.update(resumed_step=resumed["step"], freeze_to_resumed=round(resumed["end"] - freeze["start"], 2))
    else:
        marks = record_marks(entries, "service_resumed")
        if marks:
            result.update(resumed_step="record service_resumed",
                          freeze_to_resumed=round(min(marks) - freeze["start"], 2))
    return result


def final_passes(entries: list[dict]) -> list[dict]:
    """The passes the cut-over's steps recorded (the final sync's, one per share)."""
    return [item for entry in entries for item in (entry.get("record") or {}).get("passes") or []
            if isinstance(item, dict)]


def data_figures(passes: list[dict]) -> dict:
    return {
        "shares": len({item.get("share") for item in passes}),
        "files": sum(item.get("files") or 0 for item in passes),
        "bytes": sum(item.get("bytes") or 0 for item in passes),
        # The engine's own time of each pass (walks, copy, metadata): what moving the data costs.
        "seconds": round(sum(item.get("seconds") or 0 for item in passes), 2),
        "wall_seconds": round(sum(item.get("wall_seconds") or 0 for item in passes), 2),
    }


def per_extra_share(base: dict, more: dict) -> dict:
    """(time beyond moving data with more shares - with the lab's) / extra shares."""
    extra = more["data"]["shares"] - base["data"]["shares"]
    if extra <= 0:
        raise ValueError(f"the second run has {more['data']['shares']} shares, not more than "
                         f"the first's {base['data']['shares']}")
    delta = more["beyond_data"] - base["beyond_data"]
    return {"extra_shares": extra, "beyond_data_base": base["beyond_data"], "beyond_data_more": more["beyond_data"],
            "seconds_per_extra_share": round(delta / extra, 2)}


def summarize(journal: dict, start: float, end: float, seen: dict[str, float]) -> dict:
    entries = phase_entries(journal)
    rows = step_times(entries, start, seen)
    result = downtime(rows, entries)
    data = data_figures(final_passes(entries))
    beyond = None if result["freeze_to_done"] is None else round(result["freeze_to_done"] - data["seconds"], 2)
    return dict(result, steps=[{k: row[k] for k in ("step", "seconds", "seen")} for row in rows],
                phase_wall=round(end - start, 2), after_last_step=round(end - rows[-1]["end"], 2) if rows else None,
                data=data, beyond_data=beyond)


# --- the lab's seed, extended (pure) -----------------------------------------------------

def extended_seed(seed: dict, kommune: str, shares: int = 0, users_factor: int = 1) -> dict:
    """lab_seed_kommunen with the Kommune's shares made up to `shares` and its users `users_factor` times."""
    seed = copy.deepcopy(seed)
    entry = seed[kommune]
    plain = [share for share in entry["shares"] if not share.get("homes")]
    for number in range(1, max(0, shares - len(entry["shares"])) + 1):
        model = plain[(number - 1) % len(plain)]
        name = f"{model['name']}{number:02d}"
        entry["shares"].append({"name": name, "path": f"{Path(model['path']).parent}/{name}",
                                "comment": f"{model.get('comment', model['name'])} ({number})",
                                "acl": copy.deepcopy(model["acl"]), "files": copy.deepcopy(model.get("files", []))})
    users = entry["users"]
    added = []
    for copy_number in range(2, users_factor + 1):
        for model in users:
            user = copy.deepcopy(model)
            user["name"] = f"{model['name'][:17]}{copy_number:02d}"
            # Samba names a user's object after the display name: it must differ in the OU.
            user["surname"] = f"{model['surname']} {copy_number}"
            if model.get("uid_number"):
                user["uid_number"] = model["uid_number"] + 1000 * (copy_number - 1)
            added.append(user)
    entry["users"] = users + added
    return seed


# --- running the lab ---------------------------------------------------------------------

def env() -> dict[str, str]:
    environ = dict(os.environ)
    environ.update(CONTAINERS_CONF=str(TOP / "lab" / "containers.conf"), MOLECULE_EPHEMERAL_DIRECTORY=str(EPHEMERAL),
                   PATH=f"{TOP / '.venv' / 'bin'}:{environ.get('PATH', '')}", ANSIBLE_NOCOLOR="1",
                   ANSIBLE_FORCE_COLOR="0")
    return environ


def run(cmd: list[str], log: Path | None = None, **kw) -> int:
    print("$", " ".join(cmd), flush=True)
    if log is None:
        return subprocess.run(cmd, cwd=TOP, env=kw.pop("environ", env()), check=False, **kw).returncode
    with log.open("w", encoding="utf-8") as out:
        return subprocess.run(cmd, cwd=TOP, env=kw.pop("environ", env()), stdout=out, stderr=subprocess.STDOUT,
                              check=False, **kw).returncode


def must(rc: int, what: str) -> None:
    if rc != 0:
        raise SystemExit(f"{what} failed (exit code {rc}); the logs are in {STATE}")


def bring_up(extra_vars: Path | None) -> None:
    lab = [sys.executable, str(TOP / "lab" / "umzug_lab.py")]
    left = run([*lab, "molecule-leftovers", SCENARIO])
    if left == 0:
        must(run(["molecule", "destroy", "-s", SCENARIO], STATE / "destroy-leftovers.log"), "destroying leftovers")
    elif left != 1:
        must(left, "looking for leftovers")
    must(run([*lab, "molecule-network", SCENARIO]), "the scenario's network")
    must(run(["molecule", "create", "-s", SCENARIO], STATE / "create.log"), "molecule create")
    converge = ["molecule", "converge", "-s", SCENARIO]
    if extra_vars:
        converge += ["--", "-e", f"@{extra_vars}"]
    must(run(converge, STATE / "converge.log"), "molecule converge")


def tear_down() -> int:
    return run(["molecule", "destroy", "-s", SCENARIO], STATE / "destroy.log")


def phase_command(phase: str, extra: dict | None = None) -> list[str]:
    cmd = [str(TOP / ".venv" / "bin" / "ansible-playbook"), "-i", str(EPHEMERAL / "inventory"),
           str(TOP / "playbooks" / "wave.yml"), "--limit", LIMIT, "-e", f"wave_journal_dir={STATE / 'journal'}",
           "-e", f"wave_phase={phase}"]
    if extra:
        cmd += ["-e", json.dumps(extra)]
    return cmd


def phase_env() -> dict[str, str]:
    environ = env()
    # As under Molecule (the scenario's side_effect): the lab's test helpers then read the
    # scenario's credentials (.lab/molecule, tests/support/lab.py), which the acceptance suite needs.
    environ.update(MOLECULE_SCENARIO_NAME=SCENARIO,
                   ANSIBLE_CALLBACKS_ENABLED="kommunal.umzug.report,kommunal.umzug.progress",
                   UMZUG_REPORT_DIR=str(STATE / "reports"),
                   UMZUG_WAIVER_FILE=str(TOP / "molecule" / SCENARIO / "files" / "waivers.yml"))
    return environ


def journal_path() -> Path | None:
    found = sorted((STATE / "journal").glob(f"wave-*/{KOMMUNE}.json"))
    return found[0] if found else None


def read_journal() -> dict:
    path = journal_path()
    if path is None:
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # between the journal's atomic rename and nothing there is no half file; a race at most


class JournalWatch:
    """Notes when each cut-over step first appears in the journal (every 0.2 s)."""

    def __init__(self):
        self.seen: dict[str, float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)

    def loop(self) -> None:
        while not self.stop.is_set():
            self.look()
            self.stop.wait(0.2)
        self.look()

    def look(self) -> None:
        now = time.time()
        for entry in phase_entries(read_journal()):
            self.seen.setdefault(entry["step"], now)

    def __enter__(self):
        self.look()  # steps from an earlier attempt are not this run's: the journal must not have any
        if self.seen:
            raise SystemExit(f"the journal already has cut-over steps: {sorted(self.seen)}")
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


CHANGE_SCRIPT = r"""
import json, os, subprocess, sys
spec = json.loads(sys.argv[1])
changed, new, written = [], [], 0
per_share = []
for share in spec["shares"]:
    found = []
    for folder, _dirs, names in sorted(os.walk(share)):
        found += [os.path.join(folder, name) for name in sorted(names) if name.endswith(".txt")
                  and "Altlasten" not in folder and os.path.isfile(os.path.join(folder, name))
                  and not os.path.islink(os.path.join(folder, name))]
    per_share.append(found)
# Spread over the shares: the first file of each, then the second of each, ...
files = [path for row in zip(*per_share) for path in row] if all(per_share) else sum(per_share, [])
line = "Geändert nach dem ersten Kopierlauf: Aktenvermerk, Nachtrag, Korrektur.\n".encode()
block = (line * (spec["append"] // len(line) + 1))[: spec["append"]]
for path in files[: spec["changed"]]:
    with open(path, "ab") as handle:
        handle.write(block)
    changed.append(path)
    written += len(block)
for number, path in enumerate(files[: spec["new"]], 1):
    target = path[:-4] + f" (Kopie {number}).txt"
    subprocess.run(["cp", "-a", path, target], check=True)  # owner, mode, ACL xattrs kept
    with open(target, "ab") as handle:
        handle.write(block * 2)
    new.append(target)
    written += os.path.getsize(target)
print(json.dumps({"changed": changed, "new": new, "bytes": written}))
"""


def change_files(shares: list[str]) -> dict:
    spec = {"shares": shares, "append": APPEND_BYTES, "changed": CHANGED_FILES, "new": NEW_FILES}
    proc = subprocess.run(["podman", "exec", KOMMUNE_FS, "python3", "-c", CHANGE_SCRIPT, json.dumps(spec)],
                          env=env(), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"changing files on {KOMMUNE_FS} failed: {proc.stderr.strip()[-400:]}")
    return json.loads(proc.stdout)


def git_commit() -> str:
    proc = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=TOP, capture_output=True, text=True,
                          check=False)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=TOP, capture_output=True,
                           text=True, check=False).stdout.strip()
    return proc.stdout.strip() + ("+changes" if dirty else "")


def run_welle(args) -> dict:
    import yaml

    seed = yaml.safe_load((TOP / "lab" / "seed.yml").read_text(encoding="utf-8"))["lab_seed_kommunen"]
    seed = extended_seed(seed, KOMMUNE, args.shares, args.users_factor)
    extra_vars = None
    if args.shares or args.users_factor > 1:
        extra_vars = STATE / "seed.json"
        extra_vars.write_text(json.dumps({"lab_seed_kommunen": seed}, ensure_ascii=False), encoding="utf-8")
    result = {"commit": git_commit(), "kommune": KOMMUNE, "shares_asked": args.shares or None,
              "users_factor": args.users_factor, "users": len(seed[KOMMUNE]["users"]),
              "lab_shares": len(seed[KOMMUNE]["shares"]), "phases": {},
              "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    clock = time.time()
    bring_up(extra_vars)
    result["phases"]["lab up (create, converge)"] = round(time.time() - clock, 1)
    for phase in ("discover", "dryrun", "seed"):
        clock = time.time()
        must(run(phase_command(phase), STATE / f"{phase}.log", environ=phase_env()), f"the phase {phase}")
        result["phases"][phase] = round(time.time() - clock, 1)
    shares = [share["path"] for share in seed[KOMMUNE]["shares"] if not share.get("homes")][:3]
    result["changed"] = change_files(shares)
    # The engine does not trust a ctime younger than its racy window (3 s): as after a working day.
    time.sleep(4)
    # The machine is shared: how loaded it was belongs to the figures.
    result["load_average_before_cutover"] = round(os.getloadavg()[0], 1)
    with JournalWatch() as watch:
        start = time.time()
        rc = run(phase_command("cutover", WINDOW_OVERRIDE), STATE / "cutover.log", environ=phase_env())
        end = time.time()
    result["load_average_after_cutover"] = round(os.getloadavg()[0], 1)
    result["phases"]["cutover"] = round(end - start, 1)
    result["cutover_rc"] = rc
    result.update(summarize(read_journal(), start, end, watch.seen))
    if rc != 0:
        print(f"the cut-over failed (exit code {rc}): {STATE / 'cutover.log'}; the steps it recorded follow",
              file=sys.stderr)
    return result


# --- output ------------------------------------------------------------------------------

def print_table(result: dict) -> None:
    width = max([len(row["step"]) for row in result["steps"]] + [36])
    print(f"\n{KOMMUNE}: {result['data']['shares']} shares, {result['users']} users, commit {result['commit']}, "
          f"load average (1 min) {result['load_average_before_cutover']} before the cut-over, "
          f"{result['load_average_after_cutover']} after")
    print(f"{'phase':<{width}} {'seconds':>8}")
    for name, seconds in result["phases"].items():
        print(f"{name:<{width}} {seconds:>8.1f}")
    print(f"\n{'cut-over step (journal)':<{width}} {'seconds':>8}")
    for row in result["steps"]:
        print(f"{row['step']:<{width}} {row['seconds']:>8.2f}{'' if row['seen'] else '  (journal time)'}")
    print(f"{'after the last step (release, report)':<{width}} {result['after_last_step'] or 0:>8.2f}")
    print(f"\n{'freeze to done (' + str(result['freeze_step']) + ' .. last step)':<{width}} "
          f"{result['freeze_to_done'] or 0:>8.2f}")
    if result["freeze_to_resumed"] is not None:
        print(f"{'freeze to ' + result['resumed_step']:<{width}} {result['freeze_to_resumed']:>8.2f}")
    data, changed = result["data"], result["changed"]
    print(f"{'final passes, engine time (moving data)':<{width}} {data['seconds']:>8.2f}")
    print(f"{'beyond moving the changed data':<{width}} {result['beyond_data'] or 0:>8.2f}")
    print(f"\nchanged before the cut-over: {len(changed['changed'])} files appended to, {len(changed['new'])} new, "
          f"{changed['bytes']:,} bytes; the final passes moved {data['files']} files, {data['bytes']:,} bytes")


def print_compare(figure: dict) -> None:
    print(f"beyond moving data: {figure['beyond_data_base']:.2f} s with the lab's shares, "
          f"{figure['beyond_data_more']:.2f} s with {figure['extra_shares']} more")
    print(f"per extra share: {figure['seconds_per_extra_share']:.2f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shares", type=int, default=0, help="make the Kommune's shares up to this many")
    parser.add_argument("--users-factor", type=int, default=1, help="this many times the Kommune's users")
    parser.add_argument("--json", type=Path, help="write the figures here")
    parser.add_argument("--keep", action="store_true", help="leave the scenario's hosts running")
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("LAB_JSON", "MORE_SHARES_JSON"),
                        help="only print the per-extra-share figure of two runs")
    args = parser.parse_args()
    if args.compare:
        base, more = (json.loads(path.read_text(encoding="utf-8")) for path in args.compare)
        print_compare(per_extra_share(base, more))
        return 0
    if args.users_factor < 1:
        parser.error("--users-factor is at least 1")
    shutil.rmtree(STATE, ignore_errors=True)
    STATE.mkdir(parents=True)
    try:
        result = run_welle(args)
    finally:
        if args.keep:
            print(f"kept the hosts; remove them with: MOLECULE_EPHEMERAL_DIRECTORY={EPHEMERAL} "
                  f"molecule destroy -s {SCENARIO}")
        elif tear_down() != 0:
            print(f"molecule destroy failed: {STATE / 'destroy.log'}", file=sys.stderr)
    print_table(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0 if result["cutover_rc"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
