"""The gate before a cut-over: the Kommune's latest dry run, its age, its plan, its inhibitors."""

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from ansible_collections.kommunal.umzug.plugins.module_utils.findings import Finding
from ansible_collections.kommunal.umzug.plugins.modules import gate

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


def test_go_names_the_report_it_read(run_module, tmp_path):
    path = write_report(tmp_path, "20270312T160000Z-100")
    result = run_module(gate.main, args(tmp_path))
    assert result["verdict"] == "go" and result["report"] == str(path)
    assert 3500 < result["report_age"] < 3700


def test_the_kommunes_own_latest_dry_run_counts(run_module, tmp_path):
    write_report(tmp_path, "20270312T100000Z-1", findings=[INHIBITOR])
    newest = write_report(tmp_path, "20270312T120000Z-2")
    write_report(tmp_path, "20270312T130000Z-3", kommunen=("kommune-b",), findings=[INHIBITOR])
    write_report(tmp_path, "20270312T140000Z-4", check=False, findings=[INHIBITOR])
    (tmp_path / "20270312T150000Z-5").mkdir()  # killed before its report was written
    assert run_module(gate.main, args(tmp_path))["report"] == str(newest)


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
def test_each_refusal_is_one_sentence_naming_the_report(run_module, tmp_path, report, gate_args, message):
    path = write_report(tmp_path, "20270312T160000Z-100", **report)
    result = run_module(gate.main, args(tmp_path, **gate_args), fails=True)
    assert str(path) in result["msg"]
    assert re.search(message, result["msg"]), result["msg"]


def test_a_waiver_given_after_the_dry_run_opens_the_gate(run_module, tmp_path):
    write_report(tmp_path, "20270312T160000Z-100", findings=[INHIBITOR])
    waiver = {"key": "shares.path_too_long", "owner": "Erika Muster", "reason": "Ticket 4711",
              "expires": "2999-12-31", "kommune": "kommune-a"}
    result = run_module(gate.main, args(tmp_path, waivers=[waiver]))
    assert result["verdict"] == "go_with_accepted_risks"


def test_no_dry_run_at_all(run_module, tmp_path):
    write_report(tmp_path, "20270312T160000Z-100", kommunen=("kommune-b",))
    result = run_module(gate.main, args(tmp_path), fails=True)
    assert result["msg"] == f"kommune-a has no dry-run report in {tmp_path}; run the dry run (wave_phase=dryrun) first"


def test_max_age_must_be_a_duration(run_module, tmp_path):
    write_report(tmp_path, "20270312T160000Z-100")
    result = run_module(gate.main, args(tmp_path, max_age="a day"), fails=True)
    assert "max_age 'a day' is not a duration" in result["msg"]


@pytest.mark.parametrize(("text", "seconds"), [("3600", 3600), ("90m", 5400), ("24h", 86400), (" 2d ", 172800)])
def test_parse_age(text, seconds):
    assert gate.parse_age(text) == seconds


def test_without_max_age_any_age_passes(run_module, tmp_path):
    write_report(tmp_path, "20270312T160000Z-100", age=timedelta(days=30))
    assert run_module(gate.main, args(tmp_path, max_age=None))["verdict"] == "go"
