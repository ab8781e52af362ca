# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Welle's phases and steps, read from the one table the wave role runs.

The table is ``roles/wave/vars/main.yml`` (``__wave_phases``, ``__wave_steps``): the phases
in order, and for every step where it runs and what it runs (a payload role's entry point
with its variables, or a task file of the wave role). The role reads it as role variables;
the controller's Python reads it here: the journal (which phases there are, which no
longer run after the Abnahme), the progress line, the lab's demo and the tests.

The progress of a Welle travels as data (``umzug_progress`` in a task result, written by
the ``kommunal.umzug.wave_progress`` action); ``progress_line`` is the one place that turns
it into the line an engineer reads.

Controller side only (PyYAML, a file of the collection), like plan.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from ansible_collections.kommunal.umzug.plugins.module_utils.finding_catalog import LANGUAGES
from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave.journal import PhaseRules

TABLE = Path(__file__).resolve().parents[3] / "roles" / "wave" / "vars" / "main.yml"
# A Kommune's source kinds (plugin_utils/plan.py, umzug_source.kind): a windows Kommune's DC and
# file servers are never reached by SSH, so a step without a windows path cannot run for it.
SAMBA, WINDOWS = "samba", "windows"
SOURCE_KINDS = (SAMBA, WINDOWS)


@dataclass(frozen=True)
class Call:
    """One entry point of a payload role, as a step runs it."""

    role: str
    tasks_from: str
    vars: dict
    throttle: int = 0
    check_mode: bool | None = None
    # False: this entry point has no path for a windows source yet (it would need SSH to the
    # Kommune's DC or file server).
    windows: bool = True

    def runs_for(self, kind: str) -> bool:
        return kind != WINDOWS or self.windows

    def describe(self) -> str:
        """``shares_action: provision``: the entry point's action, as the table writes it."""
        actions = [f"{name}: {value}" for name, value in self.vars.items() if name.endswith("_action")]
        return actions[0] if actions else f"{self.role} {self.tasks_from}"


@dataclass(frozen=True)
class Step:
    id: str
    label: str  # English: the progress line
    labels: dict[str, str]  # by language (LANGUAGES of the finding catalog): what a report calls it
    group: str
    when: str | None
    payload: tuple[Call, ...]
    tasks: str | None
    # False: the whole step has no path for a windows source yet.
    windows: bool = True

    def runnable(self, kind: str) -> tuple[Call, ...]:
        """The payload calls that run for a Kommune of source ``kind``."""
        return tuple(call for call in self.payload if call.runs_for(kind)) if self.runs_for(kind) else ()

    def runs_for(self, kind: str) -> bool:
        """Whether any of the step runs for a Kommune of source ``kind``."""
        if kind == WINDOWS and not self.windows:
            return False
        return not self.payload or any(call.runs_for(kind) for call in self.payload)

    def unsupported(self, kind: str) -> str | None:
        """The step, or the part of it, that has no path for ``kind``: ``shares_seed``,
        ``shares_dryrun (shares_action: provision)``; None when all of it runs."""
        if not self.runs_for(kind):
            return self.id
        missing = [call.describe() for call in self.payload if not call.runs_for(kind)]
        return f"{self.id} ({', '.join(missing)})" if missing else None


@dataclass(frozen=True)
class Phase:
    name: str
    steps: tuple[str, ...]
    recorded: bool
    after_abnahme: bool


@dataclass(frozen=True)
class Table:
    phases: dict[str, Phase]
    steps: dict[str, Step]

    def phase_steps(self, phase: str) -> list[Step]:
        return [self.steps[step] for step in self.phases[phase].steps]

    def journal_rules(self) -> PhaseRules:
        return PhaseRules(
            phases=tuple(self.phases),
            refused_after_finalize=tuple(name for name, phase in self.phases.items() if not phase.after_abnahme),
        )


class TableError(ValueError):
    """The table is not what the role can run; the message names the entry."""


def _call(step: str, entry: dict) -> Call:
    unknown = set(entry) - {"role", "tasks_from", "vars", "throttle", "check_mode", "windows"}
    if unknown or "role" not in entry or "tasks_from" not in entry:
        raise TableError(f"step {step}: a payload entry needs role and tasks_from, and knows only vars, throttle "
                         f"and check_mode, and windows where it has no windows path (got {', '.join(sorted(entry))})")
    return Call(role=entry["role"], tasks_from=entry["tasks_from"], vars=dict(entry.get("vars") or {}),
                throttle=int(entry.get("throttle", 0)), check_mode=entry.get("check_mode"),
                windows=_flag(step, "windows", entry.get("windows", True)))


def _flag(step: str, key: str, value) -> bool:
    if not isinstance(value, bool):
        raise TableError(f"step {step}: {key} is true or false, got {value!r}")
    return value


def _step(ident: str, entry: dict) -> Step:
    payload = tuple(_call(ident, call) for call in entry.get("payload") or [])
    if bool(payload) == bool(entry.get("tasks")):
        raise TableError(f"step {ident}: names either a payload or a task file of the wave role (tasks), not "
                         f"{'both' if payload else 'neither'}")
    labels = entry.get("label")
    if not isinstance(labels, dict) or sorted(labels) != sorted(LANGUAGES) or not all(labels.values()):
        raise TableError(f"step {ident}: label names the step in each of {', '.join(LANGUAGES)} "
                         f"({{en: ..., de: ...}}), got {labels!r}")
    return Step(id=ident, label=labels["en"], labels=dict(labels), group=entry["group"], when=entry.get("when"),
                payload=payload, tasks=entry.get("tasks"), windows=_flag(ident, "windows", entry.get("windows", True)))


def parse(data: dict) -> Table:
    steps = {ident: _step(ident, entry) for ident, entry in data["__wave_steps"].items()}
    phases = {}
    for name, entry in data["__wave_phases"].items():
        missing = [step for step in entry["steps"] if step not in steps]
        if missing:
            raise TableError(f"phase {name}: no step {', '.join(missing)} in __wave_steps")
        phases[name] = Phase(name=name, steps=tuple(entry["steps"]), recorded=bool(entry["recorded"]),
                             after_abnahme=bool(entry["after_abnahme"]))
    return Table(phases=phases, steps=steps)


@cache
def load(path: Path = TABLE) -> Table:
    return parse(yaml.safe_load(Path(path).read_text(encoding="utf-8")))


def source_kind(source: dict | None) -> str:
    """The kind of a Kommune's ``umzug_source``; a host without one (no plan) is reached as samba."""
    if source is not None and not isinstance(source, dict):
        raise TableError(f"a source is the mapping umzug_source of the plan inventory, got {source!r}")
    kind = (source or {}).get("kind", SAMBA)
    if kind not in SOURCE_KINDS:
        raise TableError(f"'{kind}' is not a source kind; kinds are {', '.join(SOURCE_KINDS)}")
    return kind


def unsupported(table: Table, step_ids, kind: str) -> list[str]:
    """Of the steps ``step_ids`` (in their order), those, or their parts, that have no path for a
    Kommune of source ``kind``: what stops the Kommune's Welle before anything changes."""
    return [text for text in (table.steps[ident].unsupported(kind) for ident in step_ids) if text]


def welle_steps(table: Table, switched_off=()) -> list[str]:
    """Every step the Welle runs, phase by phase, once each, without those switched off: what a
    dry run judges."""
    seen: list[str] = []
    for phase in table.phases.values():
        seen += [step for step in phase.steps if step not in seen and step not in switched_off]
    return seen


def phases() -> tuple[str, ...]:
    """The phases in the order a Welle goes through them."""
    return tuple(load().phases)


def journal_rules() -> PhaseRules:
    return load().journal_rules()


# --- progress -----------------------------------------------------------------------------

PROGRESS_EVENTS = ("begin", "step", "done", "blocked", "stopped", "payload")


def progress_where(progress: dict) -> str:
    """Which Kommune and phase of which wave: ``[wave 1] kommune-a cutover``."""
    return f"[wave {progress['wave']}] {progress['kommune']} {progress['phase']}"


def progress_text(progress: dict) -> str:
    """What happens there, from the event's data."""
    event = progress["event"]
    if event not in PROGRESS_EVENTS:
        raise ValueError(f"'{event}' is not a progress event; events are {', '.join(PROGRESS_EVENTS)}")
    if event == "begin":
        resumed = progress.get("resumed") or 0
        return f"begin, {progress['count']} steps" + (f", resuming after {resumed} completed" if resumed else "")
    if event == "done":
        return f"all {progress['count']} steps done"
    if event == "stopped":
        return (f"stopped, failed on {', '.join(progress['failed_hosts'])}; fix the cause and run the phase again"
                + (", it continues from the journal" if progress.get("recorded") else ""))
    if event == "payload":
        return " ".join(str(progress["message"]).split())
    position = f"{progress['index']}/{progress['count']} {progress['label']}"
    if event == "step":
        return f"{position} ... {'already done (journal)' if progress.get('state') == 'journal' else 'running'}"
    return (f"{position}: not started, because {', '.join(progress['missing'])} did not complete (see the "
            "failures above; fix them and run the phase again, it continues from the journal)")


def progress_line(progress: dict) -> str:
    return f"{progress_where(progress)}: {progress_text(progress)}"
