"""The Welle's phases ran as AWX runs jobs (side_effect.yml, tasks/phase.yml, tests/support/awx_job.py):
each one a job of ansible-runner with its own private data directory, and what a shell run leaves
came out of each job as well: the report of the run, the progress lines (in the job events,
which are what AWX shows as the job's output), the journal and the acceptance results (the
other tests of the scenario read those)."""

import json
import os
import re
from pathlib import Path

import pytest
import yaml

from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave import steps as wave_steps
from tests.support import awx_job
from tests.support.wave_outcome import COLOUR

STATE = Path(os.environ["MOLECULE_PROJECT_DIRECTORY"]) / "artifacts" / "molecule" / "wave"
TABLE = wave_steps.load()
# side_effect's phases in the order they ran: (phase, limit, the job's status)
JOBS = [
    ("dryrun", None, "successful"),
    ("seed", None, "successful"),
    ("dryrun", None, "successful"),
    ("cutover", None, "failed"),  # outside the windows: the gate refuses both Kommunen
    ("cutover", None, "failed"),  # by override: Kommune B fails its acceptance suite
    ("rollback", "kommune_b", "successful"),
    ("finalize", "kommune_a", "successful"),
]
OVERRIDE_CUTOVER = 5
PROGRESS = re.compile(r"^UMZUG \d{2}:\d{2}:\d{2} (\[wave \d+\] \S+ \S+): (.*)$")
REPORT = re.compile(r"^UMZUG REPORT (\S+)")


def private(job_id):
    return STATE / "jobs" / f"awx_{job_id}"


def artifacts(job_id):
    return private(job_id) / "artifacts" / str(job_id)


def lines(job_id):
    return COLOUR.sub("", awx_job.output(artifacts(job_id))).splitlines()


def progress(job_id, where):
    """The texts of the job's progress lines about ``where`` ("[wave 1] kommune-a cutover")."""
    return [m.group(2) for line in lines(job_id) if (m := PROGRESS.match(line)) and m.group(1) == where]


def report_of(job_id):
    (path,) = [m.group(1) for line in lines(job_id) if (m := REPORT.match(line))]
    return Path(path).parent


def test_each_phase_was_a_job_of_its_own():
    assert sorted(path.name for path in (STATE / "jobs").iterdir()) == [f"awx_{n}" for n in range(1, len(JOBS) + 1)]


@pytest.mark.parametrize(("job_id", "job"), list(enumerate(JOBS, start=1)))
def test_the_job_ran_from_a_private_data_dir_as_awx_builds_it(job_id, job):
    phase, limit, status = job
    folder = private(job_id)
    assert (folder / "project").resolve() == Path(os.environ["MOLECULE_PROJECT_DIRECTORY"]).resolve()
    assert (folder / "inventory" / "wave.umzug.yml").is_file()
    extravars = yaml.safe_load((folder / "env" / "extravars").read_text(encoding="utf-8"))
    assert extravars["wave_phase"] == phase
    assert extravars["awx_job_id"] == extravars["tower_job_id"] == job_id
    settings = json.loads((folder / "env" / "settings").read_text(encoding="utf-8"))
    assert settings["suppress_ansible_output"] is True and settings["job_timeout"] > 0
    # what ansible-runner started: ansible-playbook on the job's inventory, with its own
    # stdout callback and ours enabled, no setting of the shell that called it
    command = json.loads((artifacts(job_id) / "command").read_text(encoding="utf-8"))
    assert command["command"][0] == "ansible-playbook"
    assert command["command"][command["command"].index("-i") + 1] == str(folder / "inventory")
    assert ("--limit" in command["command"]) == (limit is not None)
    env = command["env"]
    assert env["ANSIBLE_STDOUT_CALLBACK"] == "awx_display"
    assert env["ANSIBLE_CALLBACKS_ENABLED"].split(",") == ["kommunal.umzug.report", "kommunal.umzug.progress"]
    assert env["JOB_ID"] == str(job_id) and env["AWX_PRIVATE_DATA_DIR"] == str(folder)
    assert not [key for key in env if key.startswith("MOLECULE_") or key == "ANSIBLE_CONFIG"]
    assert awx_job.outcome(artifacts(job_id)) == (0 if status == "successful" else 2, status)


@pytest.mark.parametrize(("job_id", "job"), list(enumerate(JOBS, start=1)))
def test_the_job_wrote_its_report_as_a_shell_run_does(job_id, job):
    """The report callback ran in the job: its banner in the job's output names the report it
    wrote, both renderings are there, and the run it records is the job's (limit, dry run)."""
    phase, limit, _ = job
    folder = report_of(job_id)
    assert (folder / "report.html").stat().st_size > 0
    run = json.loads((folder / "report.json").read_text(encoding="utf-8"))["run"]
    assert run["limit"] == limit
    assert run["check_mode"] is (phase == "dryrun")
    assert [report_of(other) for other in range(1, len(JOBS) + 1)].count(folder) == 1


def test_the_abnahme_names_a_report_a_job_wrote():
    journal = json.loads((STATE / "journal" / "wave-1" / "kommune-a.json").read_text(encoding="utf-8"))
    written = {report_of(job_id).resolve() for job_id in range(1, len(JOBS) + 1)}
    assert Path(journal["finalized"]["report"]).resolve().parent in written


def test_the_progress_lines_of_the_cutover_are_in_its_job_events():
    """As the progress callback prints them in a shell, line for line: Kommune A's begin, each step
    of the cut-over in the table's order and the end; Kommune B's begin and the failure it
    stopped on (its PCs cannot reach the RZ application host) on one of its hosts, no end."""
    steps = TABLE.phases["cutover"].steps
    count = len(steps)
    labels = [TABLE.steps[step].label for step in steps]
    events = [text for text in progress(OVERRIDE_CUTOVER, "[wave 1] kommune-a cutover")
              if re.match(r"^(begin|\d+/\d+ |all )", text)]
    assert events == ([f"begin, {count} steps"]
                      + [f"{n}/{count} {label} ... running" for n, label in enumerate(labels, start=1)]
                      + [f"all {count} steps done"])
    kommune_b = progress(OVERRIDE_CUTOVER, "[wave 1] kommune-b cutover")
    assert kommune_b[0] == f"begin, {count} steps"
    assert [text for text in kommune_b if text.startswith("FAILED on wav-b-")]
    assert f"all {count} steps done" not in kommune_b


def test_the_progress_lines_are_whole_lines_of_the_job_events():
    """Every progress line is one line of an event's stdout of its own, not cut or joined to
    another event's text; the events that carry them are the job's (its counter and job id)."""
    for job_id in range(1, len(JOBS) + 1):
        found = [event for event in awx_job.events(artifacts(job_id)) if "UMZUG " in event.get("stdout", "")]
        assert found, job_id
        for event in found:
            for line in COLOUR.sub("", event["stdout"]).splitlines():
                if "UMZUG " in line:
                    assert line.startswith("UMZUG "), (job_id, line)
            assert event["runner_ident"] == str(job_id)
