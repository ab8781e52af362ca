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


@dataclass(frozen=True)
class Call:
    """One entry point of a payload role, as a step runs it."""

    role: str
    tasks_from: str
    vars: dict
    throttle: int = 0
    check_mode: bool | None = None


@dataclass(frozen=True)
class Step:
    id: str
    label: str  # English: the progress line
    labels: dict[str, str]  # by language (LANGUAGES of the finding catalog): what a report calls it
    group: str
    when: str | None
    payload: tuple[Call, ...]
    tasks: str | None


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
    unknown = set(entry) - {"role", "tasks_from", "vars", "throttle", "check_mode"}
    if unknown or "role" not in entry or "tasks_from" not in entry:
        raise TableError(f"step {step}: a payload entry needs role and tasks_from, and knows only vars, throttle "
                         f"and check_mode (got {', '.join(sorted(entry))})")
    return Call(role=entry["role"], tasks_from=entry["tasks_from"], vars=dict(entry.get("vars") or {}),
                throttle=int(entry.get("throttle", 0)), check_mode=entry.get("check_mode"))


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
                payload=payload, tasks=entry.get("tasks"))


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
