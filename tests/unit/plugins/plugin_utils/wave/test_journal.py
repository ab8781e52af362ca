"""The wave journal: resume after an interruption, one run per Kommune, the point of no return."""

import contextlib
import json
import multiprocessing
import os
import socket
import subprocess
import sys

import pytest

from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave import journal as journal_mod
from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave import steps as wave_steps
from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave.journal import (
    Journal,
    JournalError,
    Owner,
    run_journal,
)

# The phases as the wave's table has them, as the action plugin hands them to the journal.
RULES = wave_steps.journal_rules()


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.fixture
def journal(tmp_path):
    return Journal(tmp_path, 1, "kommune-a", RULES)


def me() -> Owner:
    return Owner.current(os.getpid())


def test_begin_creates_journal_and_lock(journal):
    outcome = journal.begin(me(), "cutover")
    assert outcome["changed"] and outcome["completed"] == []
    lock = json.loads(journal.lock_path.read_text())
    assert (lock["pid"], lock["host"], lock["phase"]) == (os.getpid(), socket.gethostname(), "cutover")
    assert json.loads(journal.path.read_text())["kommune"] == "kommune-a"
    assert journal.path == journal.folder / "kommune-a.json" and journal.folder.name == "wave-1"


def test_begin_again_in_the_same_run_changes_nothing(journal):
    journal.begin(me(), "cutover")
    assert journal.begin(me(), "cutover")["changed"] is False


def test_a_killed_run_is_resumed_from_its_last_completed_step(journal):
    killed = Owner(pid=dead_pid(), host=socket.gethostname(), run="killed")
    journal.begin(killed, "cutover")
    journal.done(killed, "cutover", "gate")
    journal.done(killed, "cutover", "freeze@kommune-a-fs")
    # kill -9: no release, the lock stays behind
    outcome = journal.begin(me(), "cutover")
    assert outcome["completed"] == ["gate", "freeze@kommune-a-fs"]
    assert "took over the lock" in outcome["warning"] and str(killed.pid) in outcome["warning"]
    assert json.loads(journal.lock_path.read_text())["pid"] == os.getpid()


def test_a_second_live_run_is_refused_naming_the_holder(journal):
    holder = Owner(pid=os.getppid(), host=socket.gethostname(), run="other")
    journal.begin(holder, "cutover")
    with pytest.raises(JournalError, match=rf"another run \(PID {os.getppid()} on {socket.gethostname()}"):
        journal.begin(me(), "cutover")
    assert json.loads(journal.lock_path.read_text())["pid"] == os.getppid()


def test_a_lock_from_another_host_is_never_taken_over(journal):
    journal.begin(Owner(pid=dead_pid(), host="other-controller", run="x"), "seed")
    with pytest.raises(JournalError, match="other-controller"):
        journal.begin(me(), "seed")


def _race(directory, start, results):
    start.wait()
    try:
        Journal(directory, 1, "kommune-a", RULES).begin(Owner.current(os.getpid()), "cutover")
        results.put("won")
    except JournalError:
        results.put("refused")


def _race_all(target, each_args):
    """Forks one process per item of ``each_args`` running ``target(*args, start, results)``,
    lets them all go at once, and returns what each put into ``results``."""
    context = multiprocessing.get_context("fork")
    start, results = context.Event(), context.Queue()
    runs = [context.Process(target=target, args=(*args, start, results)) for args in each_args]
    for run in runs:
        run.start()
    start.set()
    outcomes = sorted(results.get(timeout=60) for _ in runs)
    for run in runs:
        run.join()
    return outcomes


def test_two_runs_starting_at_once_cannot_both_take_the_lock(tmp_path):
    outcomes = _race_all(_race, [(tmp_path,)] * 8)
    assert outcomes.count("won") == 1 and outcomes.count("refused") == 7


@pytest.mark.parametrize("other", [{"pid_ns": "pid:[4026532999]"}, {"boot_id": "00000000-0000-0000-0000-000000000000"}],
                         ids=["another-container", "another-boot"])
def test_a_lock_of_another_container_with_the_same_host_name_is_neither_ours_nor_taken_over(journal, other):
    """Two execution environments may both run ansible-playbook with the same PID under the same
    host name; the PID namespace and the boot tell them apart, and neither may judge the other."""
    mine = me()
    holder = Owner(**{**mine.to_dict(), **other})
    journal.begin(holder, "cutover")
    with pytest.raises(JournalError, match="another container or boot of that host: this run cannot tell"):
        journal.begin(mine, "cutover")
    dead = Owner(**{**mine.to_dict(), **other, "pid": dead_pid()})
    journal.lock_path.unlink()
    journal.begin(dead, "cutover")
    with pytest.raises(JournalError, match="is never taken over"):
        journal.begin(mine, "cutover")
    assert json.loads(journal.lock_path.read_text())["pid"] == dead.pid


def test_the_lock_s_identity_is_recorded():
    mine = me()
    assert mine.boot_id and mine.pid_ns.startswith("pid:[")  # Linux: /proc names both
    assert mine.same_pid_space(mine.to_dict())
    assert not mine.same_pid_space(dict(mine.to_dict(), host="other-controller"))
    # A lock written before boot and namespace were kept names the host only.
    assert mine.same_pid_space({"pid": 1, "host": mine.host})


def test_a_controller_that_took_the_lock_past_the_guard_wins(journal, monkeypatch):
    """NFS without shared flock: the other controller created the lock after this run read it
    as free; the link refuses, this run is refused naming that controller, its lock stays."""
    other = {"pid": 7, "host": "ctl-b", "run": "7@ctl-b", "phase": "cutover", "since": "now"}
    real = journal_mod.create_exclusive

    def other_first(path, text, mode):
        journal.lock_path.write_text(json.dumps(other))
        return real(path, text, mode=mode)

    monkeypatch.setattr(journal_mod, "create_exclusive", other_first)
    with pytest.raises(JournalError, match=r"PID 7 on ctl-b, another host: this run cannot tell whether it still"):
        journal.begin(me(), "cutover")
    assert json.loads(journal.lock_path.read_text()) == other


def _race_without_guard(directory, host, start, results):
    Journal.guard = lambda self: contextlib.nullcontext()  # as if flock were local to each controller
    start.wait()
    try:
        Journal(directory, 1, "kommune-a", RULES).begin(Owner(pid=1, host=host, run=f"1@{host}"), "cutover")
        results.put("won")
    except JournalError:
        results.put("refused")


def test_controllers_whose_guards_do_not_see_each_other_cannot_both_take_the_lock(tmp_path):
    for attempt in range(5):
        outcomes = _race_all(_race_without_guard, [(tmp_path / str(attempt), f"ctl-{n}") for n in range(6)])
        assert outcomes.count("won") == 1 and outcomes.count("refused") == 5


def test_done_records_once_and_only_with_the_lock(journal):
    with pytest.raises(JournalError, match="does not hold the lock"):
        journal.done(me(), "cutover", "gate")
    journal.begin(me(), "cutover")
    assert journal.done(me(), "cutover", "gate")["changed"] is True
    assert journal.done(me(), "cutover", "gate")["changed"] is False
    assert Journal.completed(journal.read(), "cutover") == ["gate"]


@pytest.mark.parametrize("step", ["Gate", "", "a b", "x" * 130, "../etc"])
def test_step_names_are_checked(journal, step):
    journal.begin(me(), "cutover")
    with pytest.raises(JournalError, match="not a step name"):
        journal.done(me(), "cutover", step)


@pytest.mark.parametrize("record", [{"password": "x"}, {"bind_secret": "x"}, {"nested": {"api_key": "x"}},
                                    {"NTHash": "x"}, {"token": "x"}])
def test_the_journal_keeps_no_secrets(journal, record):
    journal.begin(me(), "finalize")
    with pytest.raises(JournalError, match="keeps no secrets"):
        journal.done(me(), "finalize", "accepted", record)
    assert journal.read()["finalized"] is None


def test_after_the_abnahme_rollback_is_refused(journal):
    journal.begin(me(), "finalize")
    journal.done(me(), "finalize", "accepted", {"by": "Erika Muster", "report_sha256": "ab" * 32})
    assert journal.read()["finalized"]["by"] == "Erika Muster"
    for phase in ("rollback", "cutover", "seed"):
        with pytest.raises(JournalError, match="point of no return"):
            journal.begin(me(), phase)
    assert journal.begin(me(), "verify")["changed"] is True
    with pytest.raises(JournalError, match="no longer reset"):
        journal.reset(me(), ["cutover"], "again")


def test_reset_moves_steps_into_the_history(journal):
    journal.begin(me(), "cutover")
    journal.done(me(), "cutover", "gate")
    assert journal.reset(me(), ["cutover"], "rolled back")["changed"] is True
    data = journal.read()
    assert data["phases"] == {} and data["history"][0]["phases"]["cutover"][0]["step"] == "gate"
    assert journal.reset(me(), ["cutover"], "again")["changed"] is False


WINDOW = {"start": "2027-03-12 18:00", "end": "2027-03-14 18:00", "timezone": "Europe/Berlin",
          "now": "2026-12-04 19:12", "position": "before"}


def test_a_refused_gate_is_kept_with_its_reason_and_nothing_is_completed(journal):
    journal.begin(me(), "cutover")
    reason = ("Cut-over of kommune-a refused: its window is 2027-03-12 18:00 to 2027-03-14 18:00 (Europe/Berlin), "
              "it is now 2026-12-04 19:12")
    outcome = journal.refused(me(), "cutover", "gate", reason, {"window": WINDOW})
    assert outcome["changed"] and outcome["completed"] == []
    data = journal.read()
    assert data["phases"] == {}
    (entry,) = data["refused"]
    assert (entry["phase"], entry["step"], entry["reason"], entry["record"]) == ("cutover", "gate", reason,
                                                                               {"window": WINDOW})
    assert entry["run"] == me().run and entry["at"]
    # a later attempt keeps the earlier refusal on record
    journal.done(me(), "cutover", "gate", {"window": dict(WINDOW, position="after"),
                                           "window_override": {"reason": "Ticket 4711", "by": "erika@rz"}})
    data = journal.read()
    assert len(data["refused"]) == 1
    assert data["phases"]["cutover"][0]["record"]["window_override"] == {"reason": "Ticket 4711", "by": "erika@rz"}


def test_a_refusal_needs_the_lock_and_a_reason(journal):
    with pytest.raises(JournalError, match="does not hold the lock"):
        journal.refused(me(), "cutover", "gate", "outside the window")
    journal.begin(me(), "cutover")
    with pytest.raises(JournalError, match="with its reason"):
        journal.refused(me(), "cutover", "gate", " ")


def test_a_journal_written_before_refusals_were_kept_takes_one(journal):
    journal.begin(me(), "cutover")
    old = journal.read()
    del old["refused"]
    journal.path.write_text(json.dumps(old))
    journal.refused(me(), "cutover", "gate", "outside the window")
    assert [entry["reason"] for entry in journal.read()["refused"]] == ["outside the window"]


def test_release_removes_only_our_own_lock(journal):
    other = Owner(pid=os.getppid(), host=socket.gethostname(), run="other")
    journal.begin(other, "cutover")
    assert journal.release(me()) is False and journal.lock_path.exists()
    journal.release(other)
    assert not journal.lock_path.exists()
    assert journal.release(me()) is False


def test_check_mode_decides_but_writes_nothing(journal):
    outcome = journal.begin(me(), "cutover", write=False)
    assert outcome["changed"] and not journal.lock_path.exists() and not journal.path.exists()


def test_an_interrupted_write_keeps_the_previous_journal(journal, monkeypatch):
    journal.begin(me(), "cutover")
    journal.done(me(), "cutover", "gate")

    def killed(*_args):
        raise KeyboardInterrupt

    monkeypatch.setattr(journal_mod.os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        journal.done(me(), "cutover", "freeze@kommune-a-fs")
    monkeypatch.undo()
    assert Journal.completed(journal.read(), "cutover") == ["gate"]
    assert [p.name for p in journal.folder.iterdir() if p.name.startswith(".kommune-a.json")] == []


@pytest.mark.parametrize(
    ("content", "message"), [("{", "cannot be read"), ('{"schema_version": 7}', "schema_version 7")]
)
def test_a_foreign_journal_is_refused(journal, content, message):
    journal.folder.mkdir(parents=True)
    journal.path.write_text(content)
    with pytest.raises(JournalError, match=message):
        journal.begin(me(), "cutover")


def test_a_kommune_id_cannot_escape_the_folder(tmp_path):
    with pytest.raises(JournalError, match="Kommune id"):
        Journal(tmp_path, 1, "../x", RULES)


def test_run_journal_is_the_task_result(tmp_path):
    args = {"dir": str(tmp_path), "wave": "1", "kommune": "kommune-b", "phase": "seed", "step": None,
            "record": {}, "phases": [], "reason": ""}
    begun = run_journal(dict(args, state="begin"), me(), RULES)
    assert begun["changed"] and begun["completed"] == [] and begun["path"].endswith("wave-1/kommune-b.json")
    run_journal(dict(args, state="done", step="accounts@kommune-b-dc"), me(), RULES)
    checked = run_journal(dict(args, state="check"), me(), RULES)
    assert checked["changed"] is False and checked["completed"] == ["accounts@kommune-b-dc"]
    assert checked["phases"] == {"seed": ["accounts@kommune-b-dc"]}
    stale = Owner(pid=dead_pid(), host=socket.gethostname(), run="gone")
    released = run_journal(dict(args, state="release"), me(), RULES)
    assert released["changed"] is True
    run_journal(dict(args, state="begin"), stale, RULES)
    warned = run_journal(dict(args, state="begin"), me(), RULES)
    assert "took over" in warned["warnings"][0]
    refused = run_journal(dict(args, state="refused", phase="cutover", step="gate", reason="outside the window"),
                          me(), RULES)
    assert refused["changed"] and refused["phases"] == {"seed": ["accounts@kommune-b-dc"]}


def test_a_phase_the_wave_s_table_does_not_have_is_refused(journal):
    with pytest.raises(JournalError, match="'migrate' is not a phase; phases are discover, dryrun, seed, cutover, "
                                           "verify, finalize, rollback"):
        journal.begin(me(), "migrate")
    assert not journal.lock_path.exists()


SEED_ITEMS = [{"name": "bauamt", "complete": False, "stopped": {"reason": "schedule"},
               "progress": {"files": 7, "files_total": 9, "bytes": 700, "bytes_total": 900}},
              {"name": "kaemmerei", "complete": True, "stopped": None,
               "progress": {"files": 3, "files_total": 3, "bytes": 30, "bytes_total": 30}}]


def test_a_step_not_done_is_kept_as_partial_until_it_is_done(journal):
    journal.begin(me(), "seed")
    outcome = journal.partial(me(), "seed", "shares_seed@kommune-a-fs", "not done: bauamt", {"items": SEED_ITEMS})
    assert outcome["changed"] and outcome["completed"] == []
    entry = journal.read()["partial"]["seed"]["shares_seed@kommune-a-fs"]
    assert entry["record"] == {"items": SEED_ITEMS} and entry["reason"] == "not done: bauamt"
    # The next night's attempt replaces it; once done, the step leaves partial.
    later = [dict(SEED_ITEMS[0], progress={"files": 8, "files_total": 9, "bytes": 800, "bytes_total": 900})]
    journal.partial(me(), "seed", "shares_seed@kommune-a-fs", "not done: bauamt", {"items": later})
    assert journal.read()["partial"]["seed"]["shares_seed@kommune-a-fs"]["record"] == {"items": later}
    journal.done(me(), "seed", "shares_seed@kommune-a-fs")
    data = journal.read()
    assert data["partial"]["seed"] == {} and journal.completed(data, "seed") == ["shares_seed@kommune-a-fs"]


def test_partial_needs_the_lock_and_a_reason(journal):
    with pytest.raises(JournalError, match="does not hold the lock"):
        journal.partial(me(), "seed", "shares_seed@fs", "not done")
    journal.begin(me(), "seed")
    with pytest.raises(JournalError, match="recorded with why"):
        journal.partial(me(), "seed", "shares_seed@fs", "")
