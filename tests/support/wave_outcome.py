"""Whether a phase of the Welle ended for each Kommune as a test expects, from the journal.

A scenario that runs a phase for several Kommunen at once cannot judge by the exit code
alone (one Kommune's expected failure hides another's unexpected one). This reads each
Kommune's journal (``<journal>/wave-<n>/<kommune>.json``, plugins/plugin_utils/wave/journal.py)
and the phase's steps (roles/wave/vars/main.yml, read by plugins/plugin_utils/wave/steps.py),
and says per Kommune whether the phase completed. When an outcome differs from the expected
one it prints the steps the Kommune got through and the failure messages of the phase's
output, and exits 1.

    python -m tests.support.wave_outcome --journal DIR --wave 1 --phase cutover \
        --log cutover.log --rc 2 kommune-a=completed kommune-b=failed

A phase run as an AWX job (tests/support/awx_job.py) is judged from the job's artifacts instead:
``--job <private data dir>/artifacts/<job id>`` gives the exit code ansible-runner recorded and
the job's output (its events' stdout) in place of ``--rc`` and ``--log``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]
# Run as `python -m tests.support.wave_outcome` from the checkout: the collection is importable
# through the link in collections/ (as tests/conftest.py makes it for the tests).
if str(TOP / "collections") not in sys.path:
    sys.path.insert(0, str(TOP / "collections"))

from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave import steps as wave_steps  # noqa: E402
from tests.support import awx_job  # noqa: E402

TABLE = wave_steps.load()
OUTCOMES = ("completed", "failed")
# Lines of ansible-playbook's output that say why a task failed: the progress callback's
# one line per failed step first (kommunal.umzug.progress), Ansible's own after it.
FAILURE = re.compile(r"^(UMZUG \S+ .* FAILED on |fatal: |failed: |ERROR! |\[ERROR\])")
COLOUR = re.compile(r"\x1b\[[0-9;]*m")


def journal(folder: Path, wave: str, kommune: str) -> dict:
    path = folder / f"wave-{wave}" / f"{kommune}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def completed(data: dict, phase: str) -> bool:
    """The phase's last step is recorded (steps record as `<id>` or `<id>@<host>`); the
    Abnahme is recorded as `finalized`."""
    if phase == "finalize":
        return bool(data.get("finalized"))
    current = data.get("phases", {})
    if phase == "rollback":
        # The rollback's last step (rolled_back, roles/wave/tasks/steps/rolled_back.yml) is
        # never recorded: it moves the attempt, the rollback's own steps among them, into the
        # history (journal reset). Completed: the newest attempt in the history holds rollback
        # steps, and no cut-over or rollback step was recorded since.
        newest = (data.get("history") or [{}])[-1].get("phases", {})
        return bool(newest.get("rollback")) and not current.get("cutover") and not current.get("rollback")
    last = TABLE.phases[phase].steps[-1]
    return any(entry["step"].split("@")[0] == last for entry in current.get(phase, []))


def failure_lines(log: Path | None, limit: int = 40) -> list[str]:
    if log is None or not log.exists():
        return []
    if log.is_dir():
        # a job's artifacts: its output is its events' stdout
        text = awx_job.output(log)
    else:
        text = log.read_text(encoding="utf-8", errors="replace")
    text = COLOUR.sub("", text)
    lines = [line.rstrip() for line in text.splitlines()]
    return [line for line in lines if FAILURE.match(line)][-limit:]


# Phases that only read record no steps (`recorded` in the wave's table): their outcome is the
# run's exit code.
RECORDED = [name for name, phase in TABLE.phases.items() if phase.recorded]


def check(folder: Path, wave: str, phase: str, expected: dict[str, str], log: Path | None,
          rc: int | None = None) -> list[str]:
    """The sentences that say where the outcome differs from ``expected``; empty when it
    does not."""
    if phase not in RECORDED and rc is None:
        raise ValueError(f"{phase} records no steps in the journal: give the run's exit code")
    problems = []
    for kommune, want in expected.items():
        data = journal(folder, wave, kommune)
        if phase in RECORDED:
            got = "completed" if completed(data, phase) else "failed"
        else:
            got = "completed" if rc == 0 else "failed"
        if got != want:
            steps = [entry["step"] for entry in data.get("phases", {}).get(phase, [])] if phase in RECORDED else []
            problems.append(f"{kommune}: {phase} {got}, expected {want}; steps recorded: "
                            f"{', '.join(steps) or 'none'}")
    if problems:
        problems += [f"  {line}" for line in failure_lines(log)]
        if log is not None and log.is_dir():
            problems.append(f"whole output: {log / 'stdout'} (job {awx_job.outcome(log)[1]})")
        elif log is not None:
            problems.append(f"whole output: {log}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--journal", type=Path, required=True, help="the wave_journal_dir of the run")
    parser.add_argument("--wave", default="1")
    parser.add_argument("--phase", required=True, choices=sorted(TABLE.phases))
    parser.add_argument("--log", type=Path, help="the phase's ansible-playbook output")
    parser.add_argument("--rc", type=int, help="the run's exit code (judges the phases that record no steps)")
    parser.add_argument("--job", type=Path, help="the artifacts of the phase's job under ansible-runner "
                        "(artifacts/<job id>): its exit code and output, in place of --rc and --log")
    parser.add_argument("expected", nargs="+", metavar="KOMMUNE=OUTCOME", help=f"outcome one of {OUTCOMES}")
    args = parser.parse_args(argv)
    expected = {}
    for item in args.expected:
        kommune, _, outcome = item.partition("=")
        if outcome not in OUTCOMES:
            parser.error(f"{item}: the outcome must be one of {', '.join(OUTCOMES)}")
        expected[kommune] = outcome
    log, rc = args.log, args.rc
    if args.job:
        if log is not None or rc is not None:
            parser.error("--job gives the exit code and the output: no --rc or --log with it")
        log, (rc, _status) = args.job, awx_job.outcome(args.job)
    problems = check(args.journal, args.wave, args.phase, expected, log, rc)
    for line in problems:
        print(line)
    if not problems:
        print(f"{args.phase}: " + ", ".join(f"{k} {v}" for k, v in expected.items()))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
