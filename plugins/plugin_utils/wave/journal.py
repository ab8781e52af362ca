# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The wave journal: what a Kommune's run has completed, and who runs it now.

One journal per wave and Kommune on the controller, ``<dir>/wave-<n>/<kommune>.json``,
with the completed steps of every phase, and a lock file ``<kommune>.lock`` next to it
naming the run that owns the Kommune (PID and host of its ansible-playbook process).

- Every write replaces the file atomically (plugin_utils/files.py: temporary file, fsync,
  rename, fsync of the folder): a run killed with SIGKILL leaves the previous journal or the
  new one, never half of one. Runs on the controller only (the journal action plugin).
- Lock decisions are made under an exclusive ``flock`` on ``<kommune>.guard``, so two runs
  that start at the same instant cannot both take the lock; the guard is held for a few
  milliseconds only. The lock file itself outlives the worker processes and is released
  at the end of a phase, or taken over (with a warning) once its owner's PID is dead on the
  same machine.
- Several controllers (AWX execution nodes, containers) may share the journal folder. The
  guard alone is not trusted across them: on NFS ``flock`` is emulated with byte-range
  locks and is local to one client under ``local_lock`` or ``nolock``. So the lock file is
  created only by ``link`` (plugin_utils/files.py ``create_exclusive``), which the file
  system refuses when the file exists, whatever the guard did. And only a run on the same
  machine can tell whether the holder's PID is dead: the lock names the host, the kernel's
  boot id and the PID namespace, and a lock that differs in any of them is never taken over
  and never mistaken for this run's own (two containers may both run ansible-playbook as
  PID 1 under one host name).
- Only step names, times, run ids and small records (the Abnahme's who and report hash, the
  gate's window and override) are kept; ``record`` refuses keys that name secrets.
- A step that refused to start (the gate outside the Kommune's window, or on NO-GO) is kept in
  ``refused`` with its reason: the attempt is on record though nothing of it ran.
- A step that ran but is not done yet (a seed pass the transfer schedule stopped) is kept in
  ``partial`` (per phase and step, the latest attempt's record: how far each share got); it
  is not completed, so the next run of the phase runs it again, and it leaves ``partial``
  once it is done.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ansible_collections.kommunal.umzug.plugins.plugin_utils.files import create_exclusive, write_atomic

SCHEMA_VERSION = 1
_SECRET_KEY = re.compile(r"passw|passwd|secret|token|credential|private|api_?key|nt_?hash|unicodepwd", re.IGNORECASE)
_STEP = re.compile(r"^[a-z0-9][a-z0-9_.@-]{0,120}$")


class JournalError(Exception):
    """A request the journal refuses; the message is one sentence for the engineer."""


@dataclass(frozen=True)
class PhaseRules:
    """What the journal knows of the Welle's phases, from the wave's table on the controller
    (roles/wave/vars/main.yml, plugins/plugin_utils/wave/steps.py journal_rules)."""

    phases: tuple[str, ...]
    # Once a Kommune's Abnahme is recorded these phases no longer run (the point of no return).
    refused_after_finalize: tuple[str, ...]

    def check(self, phase: str) -> None:
        if phase not in self.phases:
            raise JournalError(f"'{phase}' is not a phase; phases are {', '.join(self.phases)}")


@dataclass(frozen=True)
class Owner:
    pid: int
    host: str
    run: str
    # Where the PID is valid: the kernel's boot (one per machine and boot, shared by its
    # containers) and the PID namespace (one per container). None where unknown.
    boot_id: str | None = None
    pid_ns: str | None = None

    def to_dict(self) -> dict:
        return {"pid": self.pid, "host": self.host, "run": self.run, "boot_id": self.boot_id, "pid_ns": self.pid_ns}

    @classmethod
    def current(cls, pid: int, run: str | None = None) -> Owner:
        host = socket.gethostname()
        return cls(pid=pid, host=host, run=run or f"{pid}@{host}", boot_id=boot_id(), pid_ns=pid_namespace())

    def same_pid_space(self, lock: dict) -> bool:
        """Whether the lock's PID means the same process here: the same host name, and the same
        boot and PID namespace where both sides know them (locks written before they were kept
        name the host only)."""
        if lock.get("host") != self.host:
            return False
        return all(lock.get(key) is None or mine is None or lock.get(key) == mine
                   for key, mine in (("boot_id", self.boot_id), ("pid_ns", self.pid_ns)))


def boot_id() -> str | None:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip() or None
    except OSError:
        return None


def pid_namespace() -> str | None:
    try:
        return os.readlink("/proc/self/ns/pid")
    except OSError:
        return None


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except OSError as err:
        return err.errno == errno.EPERM  # alive, but someone else's
    return True


def write_json(path: Path, data: dict) -> None:
    """Journals and locks are read by people too: indented, sorted, readable by the group."""
    write_atomic(path, json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n", mode=0o640)


def check_record(record: dict | None, where: str = "record") -> dict:
    """A step's record is small, plain data without anything named like a secret."""
    record = record or {}
    for key, value in record.items():
        if _SECRET_KEY.search(str(key)):
            raise JournalError(f"the journal keeps no secrets: {where} key '{key}' is not accepted")
        if isinstance(value, dict):
            check_record(value, f"{where}.{key}")
    return record


class Journal:
    def __init__(self, directory: str | Path, wave: int | str, kommune: str, rules: PhaseRules):
        if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", str(kommune)):
            raise JournalError(f"'{kommune}' is not a Kommune id the journal can name a file after")
        self.wave, self.kommune, self.rules = str(wave), str(kommune), rules
        self.folder = Path(directory) / f"wave-{self.wave}"
        self.path = self.folder / f"{self.kommune}.json"
        self.lock_path = self.folder / f"{self.kommune}.lock"
        self.guard_path = self.folder / f".{self.kommune}.guard"

    # --- reading ---------------------------------------------------------------------------

    def read(self) -> dict:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return self.empty()
        except ValueError as err:
            raise JournalError(f"the journal {self.path} cannot be read ({err}); it was not written by umzug") from None
        if data.get("schema_version") != SCHEMA_VERSION:
            raise JournalError(f"the journal {self.path} has schema_version {data.get('schema_version')!r}, not 1")
        return data

    def empty(self) -> dict:
        return {
            "schema_version": SCHEMA_VERSION,
            "wave": self.wave,
            "kommune": self.kommune,
            "phases": {},
            "finalized": None,
            "history": [],
            "refused": [],
        }

    def read_lock(self) -> dict | None:
        try:
            return json.loads(self.lock_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except ValueError:
            return {"pid": 0, "host": "?", "run": "unreadable lock"}

    @staticmethod
    def completed(data: dict, phase: str) -> list[str]:
        return [entry["step"] for entry in data["phases"].get(phase, [])]

    # --- the lock --------------------------------------------------------------------------

    @contextlib.contextmanager
    def guard(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.guard_path, "a", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def lock_state(self, owner: Owner) -> tuple[str, dict | None]:
        """``free``, ``ours``, ``stale`` (dead PID on this machine) or ``held``, with the lock's content."""
        lock = self.read_lock()
        if lock is None:
            return "free", None
        if not owner.same_pid_space(lock):
            return "held", lock  # another controller's or container's: its PID means nothing here
        if lock.get("pid") == owner.pid:
            return "ours", lock
        if not pid_alive(int(lock.get("pid") or 0)):
            return "stale", lock
        return "held", lock

    def held_error(self, owner: Owner, lock: dict) -> JournalError:
        where = f"on {lock.get('host')}"
        if not owner.same_pid_space(lock):
            other = "another container or boot of that host" if lock.get("host") == owner.host else "another host"
            where += f", {other}: this run cannot tell whether it still runs, so that lock is never taken over"
        return JournalError(
            f"{self.kommune} is being worked on by another run (PID {lock.get('pid')} {where}, phase "
            f"{lock.get('phase')}, since {lock.get('since')}); wait for it or, if that run is gone, remove "
            f"{self.lock_path}"
        )

    def acquire(self, owner: Owner, phase: str, write: bool = True) -> dict:
        """Takes the Kommune's lock for this run; returns ``{changed, warning, lock}``."""
        with self.guard():
            state, lock = self.lock_state(owner)
            if state == "held":
                raise self.held_error(owner, lock)
            if state == "ours" and lock.get("phase") == phase:
                return {"changed": False, "warning": None, "lock": lock}
            warning = None
            if state == "stale":
                warning = (
                    f"took over the lock {self.lock_path} of PID {lock.get('pid')} on {lock.get('host')}, "
                    f"which no longer runs (phase {lock.get('phase')}, since {lock.get('since')})"
                )
            new = dict(owner.to_dict(), phase=phase, since=now(), kommune=self.kommune, wave=self.wave)
            if write:
                self.write_lock(state, new, owner)
            return {"changed": True, "warning": warning, "lock": new}

    def write_lock(self, state: str, new: dict, owner: Owner) -> None:
        """Our own lock is replaced (a new phase); any other is created only where no lock is: a
        controller that does not share the guard (NFS) and took the lock meanwhile wins."""
        if state == "ours":
            write_json(self.lock_path, new)
            return
        if state == "stale":
            # Only a run on this machine judges the lock stale, and those share the guard.
            self.lock_path.unlink(missing_ok=True)
        text = json.dumps(new, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        if not create_exclusive(self.lock_path, text, mode=0o640):
            raise self.held_error(owner, self.read_lock() or {"pid": 0, "host": "?"})

    def release(self, owner: Owner, write: bool = True) -> bool:
        with self.guard():
            state, _lock = self.lock_state(owner)
            if state == "held":
                return False  # not ours to remove
            if state == "free":
                return False
            if write:
                self.lock_path.unlink()
            return True

    def require_lock(self, owner: Owner) -> None:
        state, lock = self.lock_state(owner)
        if state != "ours":
            holder = f"PID {lock.get('pid')} on {lock.get('host')}" if lock else "nobody"
            raise JournalError(
                f"this run does not hold the lock of {self.kommune} ({holder} does); "
                "record steps only between state=begin and state=release"
            )

    def refuse_after_finalize(self, data: dict, phase: str) -> None:
        accepted = data["finalized"]
        if accepted and phase in self.rules.refused_after_finalize:
            raise JournalError(
                f"{self.kommune} was accepted (Abnahme by {accepted.get('by')} at {accepted.get('at')}); "
                f"after the point of no return the phase {phase} no longer runs"
            )

    # --- steps -----------------------------------------------------------------------------

    def begin(self, owner: Owner, phase: str, write: bool = True) -> dict:
        self.rules.check(phase)
        data = self.read()
        self.refuse_after_finalize(data, phase)
        taken = self.acquire(owner, phase, write)
        if write and not self.path.exists():
            write_json(self.path, data)
        return dict(taken, journal=data, completed=self.completed(data, phase))

    def done(self, owner: Owner, phase: str, step: str, record: dict | None = None, write: bool = True) -> dict:
        self.rules.check(phase)
        check_step(step)
        record = check_record(record)
        with self.guard():
            self.require_lock(owner)
            data = self.read()
            if step in self.completed(data, phase):
                return {"changed": False, "journal": data, "completed": self.completed(data, phase)}
            entry = {"step": step, "at": now(), "run": owner.run}
            if record:
                entry["record"] = record
            data["phases"].setdefault(phase, []).append(entry)
            (data.get("partial") or {}).get(phase, {}).pop(step, None)
            if phase == "finalize" and step == "accepted":
                data["finalized"] = dict(record, at=entry["at"])
            if write:
                write_json(self.path, data)
            return {"changed": True, "journal": data, "completed": self.completed(data, phase)}

    def refused(self, owner: Owner, phase: str, step: str, reason: str, record: dict | None = None,
                write: bool = True) -> dict:
        """Keeps a step that refused to start, with why; the phase's completed steps stay as they are."""
        self.rules.check(phase)
        check_step(step)
        record = check_record(record)
        if not reason.strip():
            raise JournalError("a refusal is recorded with its reason")
        with self.guard():
            self.require_lock(owner)
            data = self.read()
            entry = {"phase": phase, "step": step, "at": now(), "run": owner.run, "reason": reason}
            if record:
                entry["record"] = record
            data.setdefault("refused", []).append(entry)
            if write:
                write_json(self.path, data)
            return {"changed": True, "journal": data, "completed": self.completed(data, phase)}

    def partial(self, owner: Owner, phase: str, step: str, reason: str, record: dict | None = None,
                write: bool = True) -> dict:
        """Keeps how far a step got that ran and is not done (it stays out of the completed steps)."""
        self.rules.check(phase)
        check_step(step)
        record = check_record(record)
        if not reason.strip():
            raise JournalError("a step that is not done is recorded with why")
        with self.guard():
            self.require_lock(owner)
            data = self.read()
            entry = {"at": now(), "run": owner.run, "reason": reason}
            if record:
                entry["record"] = record
            data.setdefault("partial", {}).setdefault(phase, {})[step] = entry
            if write:
                write_json(self.path, data)
            return {"changed": True, "journal": data, "completed": self.completed(data, phase)}

    def reset(self, owner: Owner, phases: list[str], reason: str, write: bool = True) -> dict:
        """Moves the phases' steps into the history, so that the next attempt starts them afresh."""
        for phase in phases:
            self.rules.check(phase)
        with self.guard():
            self.require_lock(owner)
            data = self.read()
            if data["finalized"]:
                raise JournalError(f"{self.kommune} was accepted; its journal is no longer reset")
            moved = {phase: data["phases"].pop(phase) for phase in phases if data["phases"].get(phase)}
            if not moved:
                return {"changed": False, "journal": data, "completed": []}
            data["history"].append({"at": now(), "run": owner.run, "reason": reason, "phases": moved})
            if write:
                write_json(self.path, data)
            return {"changed": True, "journal": data, "completed": []}


def check_step(step: str) -> None:
    if not _STEP.match(str(step)):
        raise JournalError(
            f"'{step}' is not a step name (lowercase letters, digits, _ . @ -, at most 121 characters)"
        )


# --- the task interface (plugins/action/journal.py) ---------------------------------------
# The phases are the wave table's (PhaseRules): the action plugin checks them with it.

ARGUMENT_SPEC = {
    "state": {"type": "str", "required": True,
              "choices": ["begin", "check", "done", "refused", "partial", "reset", "release"]},
    "dir": {"type": "path", "required": True},
    "wave": {"type": "str", "required": True},
    "kommune": {"type": "str", "required": True},
    "phase": {"type": "str"},
    "step": {"type": "str"},
    "record": {"type": "dict", "default": {}},
    "phases": {"type": "list", "elements": "str", "default": []},
    "reason": {"type": "str", "default": ""},
}
REQUIRED_IF = [
    ("state", "begin", ("phase",)),
    ("state", "check", ("phase",)),
    ("state", "done", ("phase", "step")),
    ("state", "refused", ("phase", "step", "reason")),
    ("state", "partial", ("phase", "step", "reason")),
    ("state", "reset", ("phases",)),
]


def run_journal(args: dict, owner: Owner, rules: PhaseRules, check_mode: bool = False) -> dict:
    """One journal request as a task result; raises JournalError with the refusal."""
    journal = Journal(args["dir"], args["wave"], args["kommune"], rules)
    write = not check_mode
    state = args["state"]
    warnings = []
    if state == "begin":
        outcome = journal.begin(owner, args["phase"], write)
        if outcome["warning"]:
            warnings.append(outcome["warning"])
    elif state == "check":
        rules.check(args["phase"])
        data = journal.read()
        journal.refuse_after_finalize(data, args["phase"])
        outcome = {"changed": False, "journal": data, "completed": journal.completed(data, args["phase"])}
    elif state == "done":
        outcome = journal.done(owner, args["phase"], args["step"], args["record"], write)
    elif state == "refused":
        outcome = journal.refused(owner, args["phase"], args["step"], args["reason"], args["record"], write)
    elif state == "partial":
        outcome = journal.partial(owner, args["phase"], args["step"], args["reason"], args["record"], write)
    elif state == "reset":
        outcome = journal.reset(owner, args["phases"], args["reason"] or "reset", write)
    else:
        outcome = {"changed": journal.release(owner, write)}
        outcome["journal"] = journal.read()
        outcome["completed"] = []
    data = outcome["journal"]
    result = {
        "changed": outcome["changed"],
        "path": str(journal.path),
        "lock_path": str(journal.lock_path),
        "completed": outcome.get("completed", []),
        "finalized": data["finalized"],
        "phases": {phase: journal.completed(data, phase) for phase in data["phases"]},
        "partial": data.get("partial") or {},
        "owner": owner.to_dict(),
    }
    if warnings:
        result["warnings"] = warnings
    return result
