"""Which report the Abnahme accepts: the newest acceptance result of the Kommune, passed."""

import hashlib
import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from ansible_collections.kommunal.umzug.plugins.action import acceptance_report
from ansible_collections.kommunal.umzug.plugins.plugin_utils.report.model import ReportBuilder
from ansible_collections.kommunal.umzug.plugins.plugin_utils.report.store import ReportSettings, ReportStore


def write(folder, run_id, results, interruptions=()):
    report = {
        "run": {"id": run_id, "check_mode": False, "interruptions": list(interruptions)},
        "kommunen": [
            {"id": kommune, "hosts": [f"{kommune}-fs"], "findings": [{"key": key} for key in keys]}
            for kommune, keys in results.items()
        ],
    }
    path = folder / run_id / "report.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(report))
    return path


def test_the_newest_passed_acceptance_is_accepted_with_its_hash(run_action, tmp_path):
    write(tmp_path, "20270313T080000Z-1", {"kommune-a": ["wave.acceptance_failed"]})
    passed = write(tmp_path, "20270313T090000Z-2", {"kommune-a": ["wave.acceptance_passed", "wave.gate_open"]})
    write(tmp_path, "20270313T100000Z-3", {"kommune-a": ["wave.gate_open"], "kommune-b": ["wave.acceptance_failed"]})
    result = run_action(acceptance_report.ActionModule, {"kommune": "kommune-a", "report_dir": str(tmp_path)})
    assert result["path"] == str(passed) and result["run_id"] == "20270313T090000Z-2"
    assert result["sha256"] == hashlib.sha256(passed.read_bytes()).hexdigest()


def test_another_kommunes_failure_in_the_same_run_does_not_count(run_action, tmp_path):
    write(tmp_path, "20270313T090000Z-2", {"kommune-a": ["wave.acceptance_passed"], "kommune-b": []},
          interruptions=[{"kind": "failed", "detail": "Clients", "host": "kommune-b-fs"}])
    assert run_action(acceptance_report.ActionModule, {"kommune": "kommune-a", "report_dir": str(tmp_path)})["sha256"]


def test_a_cutover_whose_two_acceptance_runs_both_passed_is_accepted(run_action, tmp_path):
    passed = write(tmp_path, "20270313T090000Z-2", {"kommune-a": ["wave.acceptance_passed", "wave.acceptance_passed"]})
    result = run_action(acceptance_report.ActionModule, {"kommune": "kommune-a", "report_dir": str(tmp_path)})
    assert result["path"] == str(passed)


@pytest.mark.parametrize(
    ("results", "interruptions", "message"),
    [
        ({"kommune-b": ["wave.acceptance_passed"]}, [], "no report in .* shows an acceptance result for kommune-a"),
        ({"kommune-a": ["wave.acceptance_failed"]}, [], "is wave.acceptance_failed; fix the cause"),
        ({"kommune-a": ["wave.acceptance_missing"]}, [], "is wave.acceptance_missing"),
        # A cut-over's two runs (inside the freeze, after service resumed): one failed is a failure.
        ({"kommune-a": ["wave.acceptance_passed", "wave.acceptance_failed"]}, [],
         "is wave.acceptance_failed, wave.acceptance_passed; fix the cause"),
        ({"kommune-a": ["wave.acceptance_passed"]}, [{"kind": "signal", "detail": "SIGTERM", "host": None}],
         r"was interrupted for kommune-a \(signal: SIGTERM\)"),
        ({"kommune-a": ["wave.acceptance_passed"]}, [{"kind": "unreachable", "detail": "x", "host": "kommune-a-fs"}],
         "was interrupted for kommune-a"),
    ],
)
def test_refusals(run_action, tmp_path, results, interruptions, message):
    write(tmp_path, "20270313T090000Z-2", results, interruptions)
    result = run_action(acceptance_report.ActionModule, {"kommune": "kommune-a", "report_dir": str(tmp_path)},
                        fails=True)
    assert re.search(message, result["msg"]), result["msg"]


# --- inhibitors raised since the cut-over began: open until resolved or waived -------------

CUTOVER_BEGAN = "2027-03-13T08:00:00+00:00"
PINNED = {"key": "clients.pinned_certificate_changed", "title": "Pin differs", "severity": "high",
          "payload": "clients", "inhibitor": True, "resources": ["fv.rz.test:443"]}
MISMATCH = {"key": "shares.verify_mismatch", "title": "Paths differ (share bauamt)", "severity": "high",
            "payload": "shares", "inhibitor": True, "resources": ["bauamt"]}
WAIVER = {"key": "clients.pinned_certificate_changed", "kommune": "kommune-a", "owner": "Erika Muster",
          "reason": "pin updated in the Fachverfahren's settings, ticket 4711", "expires": "2999-12-31"}


def result(key):
    return {"key": key, "title": key, "severity": "info" if key.endswith("passed") else "high", "payload": "wave",
            "inhibitor": not key.endswith("passed")}


def stored(folder, started, findings, *, kommune="kommune-a", check_mode=False, interrupted_on=None):
    """A report as the report callback writes it: the model's builder, the store's writer."""
    run_id = f"{started:%Y%m%dT%H%M%SZ}-{len(list(folder.glob('*T*Z-*'))) + 100}"
    builder = ReportBuilder({"id": run_id, "started": started.isoformat(timespec="seconds"), "check_mode": check_mode,
                             "playbooks": ["playbooks/wave.yml"], "limit": None, "tags": [], "skip_tags": [],
                             "ansible_version": "2.19", "language": "en", "plan_hashes": []}, [], date(2027, 3, 13))
    builder.kommune(kommune, name=kommune, wave=1)
    builder.add_host(f"{kommune}-fs", kommune)
    for finding in findings:
        builder.add_finding(finding, f"{kommune}-fs", kommune, "task")
    if interrupted_on:
        builder.mark_incomplete("failed", "Shares (verify)", interrupted_on)
    report = builder.build(finished=(started + timedelta(minutes=30)).isoformat(timespec="seconds"))
    ReportStore(folder).write(report, "en")
    return str(folder / run_id / "report.json")


def at(hour, minute=0):
    return datetime(2027, 3, 13, hour, minute, tzinfo=UTC)


def finalize(run_action, folder, fails=False, waivers=()):
    return run_action(acceptance_report.ActionModule, {"kommune": "kommune-a", "report_dir": str(folder),
                                               "since": CUTOVER_BEGAN, "waivers": list(waivers)}, fails=fails)


def test_an_inhibitor_of_the_cutover_that_no_later_run_checks_blocks_the_abnahme(run_action, tmp_path):
    # the cut-over's run started before its gate completed (CUTOVER_BEGAN) and ended after
    cutover = stored(tmp_path, at(7, 55), [PINNED, result("wave.acceptance_passed")])
    stored(tmp_path, at(10), [result("wave.acceptance_passed")])  # verify: it does not probe the pins
    refused = finalize(run_action, tmp_path, fails=True)
    assert refused["msg"] == (
        f"kommune-a cannot be accepted: the inhibitor clients.pinned_certificate_changed (Kommune kommune-a, "
        f"fv.rz.test:443) raised in {cutover} is neither resolved by a later run nor waived; no later phase checks "
        "it again: fix the cause, then waive it (the report's waiver_file, UMZUG_WAIVER_FILE) saying so")
    assert [(f["key"], f["report"]) for f in refused["open_inhibitors"]] == [(PINNED["key"], cutover)]


def test_a_waiver_accepts_the_risk_and_the_abnahme_names_it(run_action, tmp_path):
    stored(tmp_path, at(8), [PINNED, result("wave.acceptance_passed")])
    accepted = finalize(run_action, tmp_path, waivers=[WAIVER])
    assert accepted["open_inhibitors"] == [] and [f["key"] for f in accepted["waived"]] == [PINNED["key"]]


def test_a_later_verify_that_no_longer_finds_it_resolves_what_verify_checks(run_action, tmp_path):
    stored(tmp_path, at(8), [MISMATCH, result("wave.acceptance_failed")])
    passed = stored(tmp_path, at(10), [result("wave.acceptance_passed")])
    assert finalize(run_action, tmp_path)["path"] == passed


@pytest.mark.parametrize(
    "verify",
    [
        {"findings": [MISMATCH, result("wave.acceptance_passed")]},  # found again
        {"findings": [result("wave.acceptance_passed")], "kommune": "kommune-b"},  # another Kommune's verify
    ],
    ids=["found-again", "other-kommune"],
)
def test_a_later_run_resolves_nothing_unless_it_checks_the_kommune_again(run_action, tmp_path, verify):
    stored(tmp_path, at(8), [MISMATCH, result("wave.acceptance_passed")])
    stored(tmp_path, at(10), **verify)
    refused = finalize(run_action, tmp_path, fails=True)
    assert "the inhibitor shares.verify_mismatch (Kommune kommune-a, bauamt)" in refused["msg"]
    assert "fix the cause and run wave_phase=verify again, or waive it" in refused["msg"]


def test_a_verify_interrupted_on_the_kommunes_hosts_resolves_nothing(run_action, tmp_path):
    stored(tmp_path, at(8), [MISMATCH, result("wave.acceptance_passed")])
    stored(tmp_path, at(9), [result("wave.acceptance_passed")], interrupted_on="kommune-a-fs")
    passed = stored(tmp_path, at(10), [MISMATCH, result("wave.acceptance_passed")])
    refused = finalize(run_action, tmp_path, fails=True)
    assert f"raised in {passed}" in refused["msg"]


def test_only_real_runs_since_the_cutover_began_count(run_action, tmp_path):
    stored(tmp_path, at(6), [PINNED, result("wave.acceptance_passed")])  # an attempt before, rolled back
    passed = stored(tmp_path, at(9), [result("wave.acceptance_passed")])
    stored(tmp_path, at(11), [PINNED], check_mode=True)  # a dry run after the cut-over
    assert finalize(run_action, tmp_path)["path"] == passed


def test_without_a_folder_or_waivers_the_report_callbacks_count(run_action, report_settings, waiver_file):
    stored(report_settings.report_dir, at(8), [PINNED, result("wave.acceptance_passed")])
    settings = ReportSettings(report_settings.report_dir, str(waiver_file(WAIVER)), "de")
    accepted = run_action(acceptance_report.ActionModule, {"kommune": "kommune-a", "since": CUTOVER_BEGAN},
                          settings=settings)
    assert accepted["path"].startswith(str(report_settings.report_dir))
    assert [f["key"] for f in accepted["waived"]] == [PINNED["key"]]


def test_a_waiver_file_that_cannot_be_used_refuses_the_abnahme(run_action, tmp_path):
    stored(tmp_path, at(8), [result("wave.acceptance_passed")])
    missing = tmp_path / "missing.yml"
    refused = run_action(acceptance_report.ActionModule, {"kommune": "kommune-a", "report_dir": str(tmp_path),
                                                          "waiver_file": str(missing)}, fails=True)
    assert refused["msg"].startswith(f"the waivers cannot be used: the waiver file {missing} cannot be used: ")
    assert refused["open_inhibitors"] == []
