"""What `make demo` still has to do on the lab, from the Welle's journals (docs/wave.md).

Prints, one per line on stdout, the inventory group of every Kommune of the wave whose
Abnahme is not yet recorded (`kommune_a`); nothing when the whole wave was accepted.
Says on stderr, per Kommune, who accepted it and when, or which phase it stands in.

A journal older than the Kommune's lab containers belongs to a lab that no longer exists
(`make lab-down && make lab`, or a container `make lab` recreated): the wave's journal
folder is then moved aside to `<folder>.before-<time>` and the lab starts afresh.

With --phases it prints the phases the demo runs, in order: the Welle's phases from the dry
run through the Abnahme, as the wave role's table has them (roles/wave/vars/main.yml).

    python lab/demo_state.py artifacts/journal/wave-1 kommune-a kommune-b
    python lab/demo_state.py --verdicts artifacts/reports/latest-dry-run/report.json
    python lab/demo_state.py --phases
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

TOP = Path(__file__).resolve().parents[1]
# The collection from this checkout, through the link in collections/.
if str(TOP / "collections") not in sys.path:
    sys.path.insert(0, str(TOP / "collections"))

from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave import steps as wave_steps  # noqa: E402


def group_name(kommune: str) -> str:
    """The plan inventory's group of a Kommune (plan.py group_name): kommune-a -> kommune_a."""
    name = kommune.replace("-", "_")
    return name if name.startswith("kommune_") else f"kommune_{name}"


def demo_phases() -> list[str]:
    """The phases `make demo` runs: the Welle's, in their order, from the dry run through the
    Abnahme (discover only looks, a rollback is not part of the demo)."""
    phases = list(wave_steps.phases())
    return phases[phases.index("dryrun"): phases.index("finalize") + 1]


def say(text: str) -> None:
    print(f"== {text}", file=sys.stderr)


def container_created(kommune: str) -> datetime | None:
    """Newest creation time of the Kommune's lab containers (names start with its id)."""
    names = subprocess.run(["podman", "ps", "-a", "--format", "{{.Names}}"], capture_output=True, text=True,
                           check=False).stdout.split()
    mine = [name for name in names if name.startswith(kommune + "-")]
    if not mine:
        return None
    out = subprocess.run(["podman", "container", "inspect", "--format", "{{.Created.Unix}}", *mine],
                         capture_output=True, text=True, check=False).stdout.split()
    stamps = [int(value) for value in out if value.isdigit()]
    return datetime.fromtimestamp(max(stamps)).astimezone() if stamps else None


def first_record(journal: dict) -> datetime | None:
    times = [entry["at"] for steps in journal.get("phases", {}).values() for entry in steps]
    times += [entry.get("at") for entry in journal.get("history", []) if isinstance(entry, dict) and entry.get("at")]
    if journal.get("finalized"):
        times.append(journal["finalized"].get("at"))
    times = [datetime.fromisoformat(value) for value in times if value]
    return min(times) if times else None


def main(folder: str, kommunen: list[str]) -> int:
    path = Path(folder)
    journals = {}
    for kommune in kommunen:
        file = path / f"{kommune}.json"
        try:
            journals[kommune] = json.loads(file.read_text(encoding="utf-8")) if file.exists() else None
        except (OSError, ValueError) as err:
            say(f"cannot read the journal {file}: {err}")
            return 2
    for kommune, journal in journals.items():
        created, recorded = container_created(kommune), first_record(journal or {})
        if created and recorded and created > recorded:
            aside = path.with_name(f"{path.name}.before-{created.strftime('%Y%m%dT%H%M%S')}")
            path.rename(aside)
            say(f"the lab's {kommune} was created at {created:%Y-%m-%d %H:%M}, after its journal began; "
                f"the journal of the earlier lab is kept in {aside}, the Welle starts afresh")
            journals = dict.fromkeys(kommunen)
            break
    for kommune, journal in journals.items():
        done = (journal or {}).get("finalized")
        if done:
            record = done.get("record", done)
            say(f"{kommune}: accepted (Abnahme by {record.get('by', '?')} at {done.get('at', '?')}, "
                f"report {record.get('report', '?')}); nothing left to do")
            continue
        phases = [phase for phase, steps in (journal or {}).get("phases", {}).items() if steps]
        say(f"{kommune}: " + (f"journal has steps of {', '.join(sorted(phases))}; the demo continues from there"
                              if phases else "not migrated yet"))
        print(group_name(kommune))
    return 0


def verdicts(report: str) -> int:
    """One line per Kommune of a report: its verdict and the inhibitors that are not waived."""
    try:
        data = json.loads(Path(report).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        say(f"no dry-run report to show ({report}: {err})")
        return 0
    for kommune in data.get("kommunen", []):
        blocking = sorted({finding["key"] for finding in kommune.get("findings", [])
                           if finding.get("inhibitor") and not finding.get("waiver")})
        verdict = str(kommune.get("verdict", "?")).upper().replace("_", "-")
        print(f"   {kommune.get('id')}: {verdict}" + (f" ({', '.join(blocking)})" if blocking else ""))
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--phases"]:
        print(" ".join(demo_phases()))
        sys.exit(0)
    if len(sys.argv) == 3 and sys.argv[1] == "--verdicts":
        sys.exit(verdicts(sys.argv[2]))
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1], sys.argv[2:]))
