"""The gate before a cut-over: the Kommune's latest dry run, its age, its plan, its inhibitors."""

import json
import re
import socket
from datetime import UTC, datetime, timedelta

import pytest
from ansible.errors import AnsibleActionFail

from ansible_collections.kommunal.umzug.plugins.action import gate
from ansible_collections.kommunal.umzug.plugins.module_utils.findings import Finding, localised
from ansible_collections.kommunal.umzug.plugins.plugin_utils.report.store import ReportSettings

PLAN = "a" * 64
INHIBITOR = Finding(
    key="shares.path_too_long", title="too long", summary="", severity="high", payload="shares", inhibitor=True
).to_dict()


def write_report(folder, run_id, *, kommunen=("kommune-a",), age=timedelta(hours=1), check=True,
                 complete=True, plan=PLAN, findings=()):
    finished = datetime.now(UTC) - age
    report = {
        "schema_version": "1.0",
        "run": {"id": run_id, "started": (finished - timedelta(minutes=5)).isoformat(timespec="seconds"),
                "finished": finished.isoformat(timespec="seconds"), "check_mode": check,
                "complete": complete, "plan_hashes": [plan]},
        "kommunen": [{"id": k, "findings": list(findings)} for k in kommunen],
        "general": {"findings": []},
    }
    path = folder / run_id / "report.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(report))
    return path


def args(report_dir, **extra):
    return {"kommune": "kommune-a", "report_dir": str(report_dir), "max_age": "24h", "plan_hash": PLAN, **extra}


def test_go_names_the_report_it_read(run_action, tmp_path):
    path = write_report(tmp_path, "20270312T160000Z-100")
    result = run_action(gate.ActionModule, args(tmp_path))
    assert result["verdict"] == "go" and result["report"] == str(path)
    assert 3500 < result["report_age"] < 3700


def test_the_kommunes_own_latest_dry_run_counts(run_action, tmp_path):
    write_report(tmp_path, "20270312T100000Z-1", findings=[INHIBITOR])
    newest = write_report(tmp_path, "20270312T120000Z-2")
    write_report(tmp_path, "20270312T130000Z-3", kommunen=("kommune-b",), findings=[INHIBITOR])
    write_report(tmp_path, "20270312T140000Z-4", check=False, findings=[INHIBITOR])
    (tmp_path / "20270312T150000Z-5").mkdir()  # killed before its report was written
    assert run_action(gate.ActionModule, args(tmp_path))["report"] == str(newest)


@pytest.mark.parametrize(
    ("report", "gate_args", "message"),
    [
        ({"age": timedelta(hours=25)}, {}, r"is 25\.0 h old, more than the 24h allowed"),
        ({"age": timedelta(minutes=50)}, {"max_age": "30m"}, "is 50 min old, more than the 30m allowed"),
        ({"plan": "b" * 64}, {}, "was made for another plan than the current one"),
        ({"findings": [INHIBITOR]}, {}, "unwaived inhibitors shares.path_too_long"),
        ({"complete": False}, {}, "the dry run is incomplete"),
    ],
)
def test_each_refusal_is_one_sentence_naming_the_report(run_action, tmp_path, report, gate_args, message):
    path = write_report(tmp_path, "20270312T160000Z-100", **report)
    result = run_action(gate.ActionModule, args(tmp_path, **gate_args), fails=True)
    assert str(path) in result["msg"]
    assert re.search(message, result["msg"]), result["msg"]


def test_a_waiver_given_after_the_dry_run_opens_the_gate(run_action, tmp_path):
    write_report(tmp_path, "20270312T160000Z-100", findings=[INHIBITOR])
    waiver = {"key": "shares.path_too_long", "owner": "Erika Muster", "reason": "Ticket 4711",
              "expires": "2999-12-31", "kommune": "kommune-a"}
    result = run_action(gate.ActionModule, args(tmp_path, waivers=[waiver]))
    assert result["verdict"] == "go_with_accepted_risks"


def test_no_dry_run_at_all(run_action, tmp_path):
    write_report(tmp_path, "20270312T160000Z-100", kommunen=("kommune-b",))
    result = run_action(gate.ActionModule, args(tmp_path), fails=True)
    assert result["msg"] == f"kommune-a has no dry-run report in {tmp_path}; run the dry run (wave_phase=dryrun) first"


def test_max_age_must_be_a_duration(run_action, tmp_path):
    write_report(tmp_path, "20270312T160000Z-100")
    result = run_action(gate.ActionModule, args(tmp_path, max_age="a day"), fails=True)
    assert "max_age 'a day' is not a duration" in result["msg"]


@pytest.mark.parametrize(("text", "seconds"), [("3600", 3600), ("90m", 5400), ("24h", 86400), (" 2d ", 172800)])
def test_parse_age(text, seconds):
    assert gate.parse_age(text) == seconds


def test_without_max_age_any_age_passes(run_action, tmp_path):
    write_report(tmp_path, "20270312T160000Z-100", age=timedelta(days=30))
    assert run_action(gate.ActionModule, args(tmp_path, max_age=None))["verdict"] == "go"


# --- the report folder and the waivers are the report callback's unless the task names others -----

WAIVER = {"key": "shares.path_too_long", "owner": "Erika Muster", "reason": "Ticket 4711", "expires": "2999-12-31",
          "kommune": "kommune-a"}


def test_without_a_folder_the_gate_reads_the_report_callbacks(run_action, report_settings):
    path = write_report(report_settings.report_dir, "20270312T160000Z-100")
    result = run_action(gate.ActionModule, {"kommune": "kommune-a", "plan_hash": PLAN})
    assert result["verdict"] == "go" and result["report"] == str(path)


@pytest.mark.parametrize(
    ("task_waivers", "callback_file", "verdict"),
    [
        ({}, True, "go_with_accepted_risks"),  # the report callback's waiver file
        ({"waiver_file": "task"}, False, "go_with_accepted_risks"),  # the task's own file
        ({"waivers": []}, True, "no_go"),  # the task says: no waivers
        ({}, False, "no_go"),  # no waiver file anywhere
    ],
    ids=["callback-file", "task-file", "task-list", "none"],
)
def test_waivers_come_from_the_task_or_the_report_callbacks_file(
    run_action, report_settings, tmp_path, waiver_file, task_waivers, callback_file, verdict
):
    write_report(tmp_path / "reports", "20270312T160000Z-100", findings=[INHIBITOR])
    path = str(waiver_file(WAIVER))
    task = {key: path if value == "task" else value for key, value in task_waivers.items()}
    settings = ReportSettings(report_settings.report_dir, path if callback_file else None, "de")
    result = run_action(gate.ActionModule, args(tmp_path / "reports", **task), settings=settings,
                        fails=verdict == "no_go")
    assert result["verdict"] == verdict


@pytest.mark.parametrize("content", ["waivers: [", "waivers:\n  - key: shares.path_too_long\n"])
def test_a_waiver_file_that_cannot_be_used_keeps_the_gate_closed(run_action, tmp_path, content):
    write_report(tmp_path / "reports", "20270312T160000Z-100")
    broken = tmp_path / "broken.yml"
    broken.write_text(content)
    result = run_action(gate.ActionModule, args(tmp_path / "reports", waiver_file=str(broken)), fails=True)
    assert result["msg"].startswith(f"the gate cannot decide: the waiver file {broken} cannot be used: ")


def test_findings_alone_are_decided_without_a_report(run_action):
    result = run_action(gate.ActionModule, {"kommune": "kommune-a", "findings": [INHIBITOR], "waivers": []},
                        settings=object(), fails=True)  # the callback's settings are not read
    assert result["msg"] == "NO-GO for kommune-a: unwaived inhibitors shares.path_too_long"
    assert "report" not in result


@pytest.mark.parametrize("check", [False, True], ids=["run", "check"])
def test_check_mode_decides_as_the_real_run(run_action, tmp_path, check):
    write_report(tmp_path, "20270312T160000Z-100", findings=[INHIBITOR])
    result = run_action(gate.ActionModule, args(tmp_path), check=check, fails=True)
    assert (result["verdict"], result["changed"]) == ("no_go", False)
    assert [f["key"] for f in result["umzug_findings"]] == ["wave.gate_closed"]


def test_waivers_and_a_waiver_file_exclude_each_other(run_action, tmp_path):
    with pytest.raises(AnsibleActionFail, match="mutually exclusive"):
        run_action(gate.ActionModule, args(tmp_path, waivers=[], waiver_file=str(tmp_path / "w.yml")))


# --- the Kommune's window ---------------------------------------------------------------

WINDOW = {"start": "2025-03-14T18:00:00+01:00", "end": "2025-03-16T18:00:00+01:00", "timezone": "Europe/Berlin"}
AFTER_IT = datetime(2026, 12, 4, 18, 12, tzinfo=UTC)  # 19:12 in Berlin
INSIDE_IT = datetime(2025, 3, 15, 9, 0, tzinfo=UTC)


def decide(tmp_path, report_settings, now, **extra):
    write_report(tmp_path, "20270312T160000Z-100", age=timedelta(0))
    task = {"max_age": None, "waivers": None, "waiver_file": None, "report": None, "findings": [],
            "require_complete": True, "window": WINDOW, "window_override": None, **extra}
    return gate.decide(args(tmp_path, **task), lambda: report_settings, now, by="erika@rz-ansible")


def test_outside_the_window_the_gate_refuses_in_one_sentence(tmp_path, report_settings):
    with pytest.raises(gate.Refused) as refused:
        decide(tmp_path, report_settings, AFTER_IT)
    assert str(refused.value) == (
        "Cut-over of kommune-a refused: its window is 2025-03-14 18:00 to 2025-03-16 18:00 (Europe/Berlin), it is "
        "now 2026-12-04 19:12; to cut over outside it anyway, give the reason as wave_window_override")
    assert refused.value.fields["window"]["position"] == "after"
    (closed,) = refused.value.fields["umzug_findings"]
    assert closed["key"] == "wave.window_closed" and closed["kommune"] == "kommune-a"


def test_the_refusal_reads_in_german_in_the_report(tmp_path, report_settings):
    with pytest.raises(gate.Refused) as refused:
        decide(tmp_path, report_settings, AFTER_IT)
    (closed,) = refused.value.fields["umzug_findings"]
    assert localised(closed, "de")["summary"] == (
        "Umstellung von kommune-a abgelehnt: ihr Fenster ist 2025-03-14 18:00 bis 2025-03-16 18:00 "
        "(Europe/Berlin), jetzt ist es 2026-12-04 19:12.")
    assert localised(closed, "en")["summary"] == (
        "Cut-over of kommune-a refused: its window is 2025-03-14 18:00 to 2025-03-16 18:00 (Europe/Berlin), "
        "it is now 2026-12-04 19:12.")


def test_before_the_window_the_gate_refuses_too(tmp_path, report_settings):
    with pytest.raises(gate.Refused, match=r"it is now 2025-03-14 17:59;"):
        decide(tmp_path, report_settings, datetime(2025, 3, 14, 16, 59, tzinfo=UTC))


def test_the_window_is_checked_before_the_dry_run(tmp_path, report_settings):
    """Outside the window the answer is the window, even with no dry run at all."""
    with pytest.raises(gate.Refused, match="refused: its window is"):
        gate.decide(args(tmp_path / "empty", max_age=None, waivers=None, waiver_file=None, report=None, findings=[],
                         require_complete=True, window=WINDOW, window_override=None),
                    lambda: report_settings, AFTER_IT)


def test_inside_the_window_the_gate_opens_and_an_override_is_not_used(tmp_path, report_settings):
    result = decide(tmp_path, report_settings, INSIDE_IT, window_override="Ticket 4711")
    assert result["verdict"] == "go"
    assert result["window"] == {"start": "2025-03-14 18:00", "end": "2025-03-16 18:00", "timezone": "Europe/Berlin",
                                "now": "2025-03-15 10:00", "position": "inside"}
    assert result["window_override"] is None
    assert [f["key"] for f in result["umzug_findings"]] == ["wave.gate_open"]


def test_an_override_with_its_reason_opens_the_gate_and_is_returned(tmp_path, report_settings):
    result = decide(tmp_path, report_settings, AFTER_IT, window_override=" Lab: kein vereinbartes Fenster ")
    assert result["verdict"] == "go"
    assert result["window_override"] == {"reason": "Lab: kein vereinbartes Fenster", "by": "erika@rz-ansible"}
    used = next(f for f in result["umzug_findings"] if f["key"] == "wave.window_override")
    assert used["summary"] == ("Its window is 2025-03-14 18:00 to 2025-03-16 18:00 (Europe/Berlin), the cut-over "
                               "began 2026-12-04 19:12; override by erika@rz-ansible: Lab: kein vereinbartes Fenster")
    assert localised(used, "de")["title"] == "Umstellung von kommune-a außerhalb ihres Fensters, per Übersteuerung"


def test_an_override_does_not_open_a_gate_the_dry_run_closes(tmp_path, report_settings):
    write_report(tmp_path, "20270312T170000Z-101", age=timedelta(0), findings=[INHIBITOR])
    with pytest.raises(gate.Refused, match="NO-GO for kommune-a"):
        gate.decide(args(tmp_path, max_age=None, waivers=None, waiver_file=None, report=None, findings=[],
                         require_complete=True, window=WINDOW, window_override="Ticket 4711"),
                    lambda: report_settings, AFTER_IT)


@pytest.mark.parametrize("override", [True, "true", "yes"])
def test_a_bare_true_is_refused_with_what_the_override_takes(run_action, tmp_path, override):
    write_report(tmp_path, "20270312T160000Z-100")
    result = run_action(gate.ActionModule, args(tmp_path, window=WINDOW, window_override=override), fails=True)
    assert "wave_window_override is" in result["msg"]
    assert "the reason for cutting over outside the window as text" in result["msg"]


def test_the_action_decides_on_the_controllers_clock(run_action, tmp_path):
    write_report(tmp_path, "20270312T160000Z-100")
    refused = run_action(gate.ActionModule, args(tmp_path, window=WINDOW), fails=True)
    assert refused["msg"].startswith("Cut-over of kommune-a refused: its window is 2025-03-14 18:00 to ")
    assert refused["umzug_findings"][0]["key"] == "wave.window_closed"
    passed = run_action(gate.ActionModule, args(tmp_path, window=WINDOW, window_override="Ticket 4711"))
    assert passed["window_override"]["reason"] == "Ticket 4711"
    assert passed["window_override"]["by"].endswith("@" + socket.gethostname())


def seed_journal(tmp_path, items, done=False):
    from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave import steps as wave_steps
    from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave.journal import Journal, Owner

    journal, owner = Journal(tmp_path / "journal", 1, "kommune-a", wave_steps.journal_rules()), Owner.current(4711)
    journal.begin(owner, "seed")
    journal.partial(owner, "seed", "shares_seed@kommune-a-fs", "not done", {"items": items})
    if done:
        journal.done(owner, "seed", "shares_seed@kommune-a-fs")
    journal.release(owner)
    return str(tmp_path / "journal")


def test_an_incomplete_seed_keeps_the_gate_closed_naming_the_shares_and_what_is_missing(run_action, tmp_path):
    write_report(tmp_path, "20270312T160000Z-100")
    items = [{"name": "bauamt", "complete": False, "stopped": {"reason": "schedule"},
              "progress": {"files": 7000, "files_total": 9000, "bytes": 12 << 30, "bytes_total": 20 << 30}},
             {"name": "kaemmerei", "complete": True, "stopped": None,
              "progress": {"files": 3, "files_total": 3, "bytes": 30, "bytes_total": 30}}]
    result = run_action(gate.ActionModule, args(tmp_path, journal_dir=seed_journal(tmp_path, items), wave="1"),
                        fails=True)
    assert result["failed"] and result["seed_incomplete"] == ["bauamt"]
    assert result["msg"] == ("the seed of kommune-a is not complete (bauamt: 7000 of 9000 files, 12.0 GiB of 20.0 GiB "
                             "on the RZ (8.0 GiB missing)); run wave_phase=seed until it is (the journal's partial "
                             "seed step), then the cut-over")


def test_a_seed_completed_after_a_stop_opens_the_gate(run_action, tmp_path):
    write_report(tmp_path, "20270312T160000Z-100")
    items = [{"name": "bauamt", "complete": False, "progress": None}]
    result = run_action(gate.ActionModule, args(tmp_path, journal_dir=seed_journal(tmp_path, items, done=True),
                                                wave="1"))
    assert not result.get("failed") and result["verdict"] == "go"
