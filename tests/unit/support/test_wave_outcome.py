"""The scenario's per-Kommune judgement of a phase (tests/support/wave_outcome.py)."""

import json

import pytest

from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave import steps as wave_steps
from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave.journal import Journal, Owner
from tests.support import wave_outcome


def write_journal(folder, kommune, data):
    path = folder / "wave-1" / f"{kommune}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"phases": {}, "history": [], "finalized": None, **data}), encoding="utf-8")


CUTOVER_DONE = {"phases": {"cutover": [{"step": "gate"}, {"step": "freeze@a-fs"}, {"step": "acceptance"}]}}
CUTOVER_STOPPED = {"phases": {"cutover": [{"step": "gate"}, {"step": "freeze@b-fs"}]}}


@pytest.mark.parametrize(("phase", "journals", "expected", "rc", "problems"), [
    ("cutover", {"a": CUTOVER_DONE, "b": CUTOVER_STOPPED}, {"a": "completed", "b": "failed"}, 2, 0),
    # Both failed: the exit code (2) is the same as when only B fails; the journal tells.
    ("cutover", {"a": CUTOVER_STOPPED, "b": CUTOVER_STOPPED}, {"a": "completed", "b": "failed"}, 2, 1),
    ("cutover", {"a": CUTOVER_DONE, "b": CUTOVER_DONE}, {"a": "completed", "b": "failed"}, 0, 1),
    ("cutover", {}, {"a": "completed"}, 2, 1),
    ("finalize", {"a": {"finalized": {"by": "x"}}}, {"a": "completed"}, 0, 0),
    ("finalize", {"a": CUTOVER_DONE}, {"a": "completed"}, 2, 1),
    # Phases that record nothing are judged by the exit code.
    ("dryrun", {}, {"a": "completed", "b": "completed"}, 0, 0),
    ("dryrun", {}, {"a": "completed", "b": "completed"}, 2, 2),
])
def test_outcome_per_kommune(tmp_path, phase, journals, expected, rc, problems):
    for kommune, data in journals.items():
        write_journal(tmp_path, kommune, data)
    found = wave_outcome.check(tmp_path, "1", phase, expected, None, rc)
    assert len(found) == problems


def test_a_failure_shows_the_failing_task_messages(tmp_path):
    write_journal(tmp_path, "a", CUTOVER_STOPPED)
    log = tmp_path / "cutover.log"
    log.write_text("TASK [x]\nok: [a]\n    msg: 'bauamt (final): listing source and target'\n"
                   "UMZUG 18:44:13 [wave 1] a cutover: FAILED on a-dc (name_switch): share not defined\n"
                   "\x1b[0;31mfatal: [a-cl]: FAILED! => {\"msg\": \"probe timed out\"}\x1b[0m\n"
                   "PLAY RECAP\n", encoding="utf-8")
    found = wave_outcome.check(tmp_path, "1", "cutover", {"a": "completed"}, log, 2)
    assert found[0].startswith("a: cutover failed, expected completed; steps recorded: gate, freeze@b-fs")
    assert any("probe timed out" in line for line in found)
    assert any("FAILED on a-dc (name_switch): share not defined" in line for line in found)
    assert not any("listing source and target" in line for line in found)
    assert found[-1] == f"whole output: {log}"


def test_a_phase_without_journal_needs_the_exit_code(tmp_path):
    with pytest.raises(ValueError, match="exit code"):
        wave_outcome.check(tmp_path, "1", "dryrun", {"a": "completed"}, None)


def test_command_line_exit_code(tmp_path, capsys):
    write_journal(tmp_path, "a", CUTOVER_DONE)
    assert wave_outcome.main(["--journal", str(tmp_path), "--phase", "cutover", "--rc", "0", "a=completed"]) == 0
    assert wave_outcome.main(["--journal", str(tmp_path), "--phase", "cutover", "--rc", "0", "a=failed"]) == 1
    assert "a: cutover completed, expected failed" in capsys.readouterr().out


def run_phase(folder, kommune, phase, steps, reset=None):
    """What the wave role writes (plugins/plugin_utils/wave/journal.py): the phase's steps and,
    for the rollback's last step, the reset that moves the attempt into the history."""
    journal, owner = Journal(folder, "1", kommune, wave_steps.journal_rules()), Owner.current(4711)
    journal.begin(owner, phase)
    for step in steps:
        journal.done(owner, phase, step)
    if reset:
        journal.reset(owner, reset, "rolled back")
    journal.release(owner)


CUTOVER = ["gate", "freeze@b-fs", "final_sync@b-fs"]
ROLLBACK = ["name_switch_back@b-dc", "clients_restore@b-cl", "unfreeze@b-fs"]


def judge_rollback(folder):
    return wave_outcome.check(folder, "1", "rollback", {"b": "completed"}, None, 0)


def test_a_rollback_that_reset_the_journal_completed(tmp_path):
    """Its last step (rolled_back) is never recorded: it moves the attempt into the history."""
    run_phase(tmp_path, "b", "cutover", CUTOVER)
    run_phase(tmp_path, "b", "rollback", ROLLBACK, reset=["cutover", "rollback"])
    assert judge_rollback(tmp_path) == []


def test_a_rollback_that_stopped_before_the_reset_failed(tmp_path):
    run_phase(tmp_path, "b", "cutover", CUTOVER)
    run_phase(tmp_path, "b", "rollback", ROLLBACK[:2])
    assert judge_rollback(tmp_path) == ["b: rollback failed, expected completed; steps recorded: "
                                        "name_switch_back@b-dc, clients_restore@b-cl"]


def test_an_earlier_rollback_does_not_count_for_the_next_attempt(tmp_path):
    run_phase(tmp_path, "b", "cutover", CUTOVER)
    run_phase(tmp_path, "b", "rollback", ROLLBACK, reset=["cutover", "rollback"])
    run_phase(tmp_path, "b", "cutover", CUTOVER)
    run_phase(tmp_path, "b", "rollback", [])
    assert len(judge_rollback(tmp_path)) == 1


def job_artifacts(folder, rc, status, lines):
    """A job's artifacts as ansible-runner leaves them: rc, status and one event per line."""
    folder.mkdir(parents=True)
    (folder / "rc").write_text(f"{rc}\n", encoding="utf-8")
    (folder / "status").write_text(status, encoding="utf-8")
    (folder / "job_events").mkdir()
    for counter, line in enumerate(lines, start=1):
        (folder / "job_events" / f"{counter}-0f3c.json").write_text(
            json.dumps({"counter": counter, "event": "verbose", "stdout": line}), encoding="utf-8")
    # what Ansible run inside the job leaves (no counter, never completed): not the job's output
    (folder / "job_events" / "0f3c-9a2b-partial.json").write_text(
        json.dumps({"event": "deprecated", "uuid": "0f3c-9a2b"}), encoding="utf-8")
    return folder


@pytest.mark.parametrize(("rc", "status", "expected", "exit_code"), [
    (0, "successful", "completed", 0),
    (2, "failed", "failed", 0),
    (2, "failed", "completed", 1),
    (254, "timeout", "completed", 1),
])
def test_a_job_is_judged_from_its_artifacts(tmp_path, capsys, rc, status, expected, exit_code):
    artifacts = job_artifacts(tmp_path / "artifacts" / "3", rc, status,
                              ["PLAY [x]", "\x1b[0;31mfatal: [a-fs]: FAILED! => {\"msg\": \"no space\"}\x1b[0m"])
    argv = ["--journal", str(tmp_path / "journal"), "--phase", "dryrun", "--job", str(artifacts), f"a={expected}"]
    assert wave_outcome.main(argv) == exit_code
    out = capsys.readouterr().out
    if exit_code:
        assert 'fatal: [a-fs]: FAILED! => {"msg": "no space"}' in out
        assert f"whole output: {artifacts / 'stdout'} (job {status})" in out


def test_a_job_gives_the_exit_code_and_the_output_alone(tmp_path):
    artifacts = job_artifacts(tmp_path / "artifacts" / "1", 0, "successful", [])
    with pytest.raises(SystemExit):
        wave_outcome.main(["--journal", str(tmp_path), "--phase", "dryrun", "--job", str(artifacts), "--rc", "0",
                           "a=completed"])
