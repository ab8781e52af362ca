from datetime import date

import pytest

from ansible_collections.kommunal.umzug.plugins.plugin_utils.report.model import (
    GO,
    GO_WITH_RISKS,
    NO_GO,
    ReportBuilder,
    Waiver,
    WaiverError,
    compare,
    evaluate_gate,
    parse_waivers,
    verdict,
)

TODAY = date(2025, 3, 1)


def finding(key="shares.path_too_long", severity="medium", inhibitor=False, waived=False, resources=("r1",)):
    return {
        "key": key,
        "title": "t",
        "summary": "",
        "severity": severity,
        "payload": "shares",
        "inhibitor": inhibitor,
        "remediation": None,
        "resources": list(resources),
        "kommune": None,
        "host": None,
        "task": None,
        "waiver": {"owner": "o", "reason": "r", "expires": "2999-01-01"} if waived else None,
    }


@pytest.mark.parametrize(
    ("findings", "complete", "rz", "expected"),
    [
        ([], True, [], (GO, [])),
        ([finding(severity="low")], True, [], (GO, [])),
        ([finding(severity="high")], True, [], (GO_WITH_RISKS, ["high_findings"])),
        ([finding(inhibitor=True, waived=True)], True, [], (GO_WITH_RISKS, ["waived_inhibitors"])),
        ([finding(inhibitor=True)], True, [], (NO_GO, ["unwaived_inhibitors"])),
        ([], False, [], (NO_GO, ["incomplete"])),
        ([], True, [finding(inhibitor=True)], (NO_GO, ["rz_inhibitors"])),
        ([], True, [finding(inhibitor=True, waived=True)], (GO, [])),
        ([finding(inhibitor=True)], False, [], (NO_GO, ["incomplete", "unwaived_inhibitors"])),
    ],
)
def test_verdict_rules(findings, complete, rz, expected):
    assert verdict(findings, complete, rz) == expected


WAIVER = {"key": "shares.path_too_long", "owner": "Erika", "reason": "Ticket 1", "expires": "2025-03-31"}


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({**WAIVER, "owner": ""}, "waiver 1 (shares.path_too_long): missing owner"),
        (
            {k: v for k, v in WAIVER.items() if k != "reason"},
            "waiver 1 (shares.path_too_long): missing reason",
        ),
        (
            {**WAIVER, "expires": "31.03.2025"},
            "waiver 1 (shares.path_too_long): expires '31.03.2025' is not a date",
        ),
        ({**WAIVER, "until": "x"}, "waiver 1 (shares.path_too_long): unknown key until"),
        ("shares.path_too_long", "waiver 1: expected a mapping"),
    ],
)
def test_bad_waivers_are_refused(entry, message):
    with pytest.raises(WaiverError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_waivers([entry])


@pytest.mark.parametrize(
    ("extra", "kommune", "resources", "matches"),
    [
        ({}, "altdorf", ["r1"], True),
        ({"kommune": "altdorf"}, "altdorf", ["r1"], True),
        ({"kommune": "bergheim"}, "altdorf", ["r1"], False),
        ({"resource": "r1"}, "altdorf", ["r1", "r2"], True),
        ({"resource": "r9"}, "altdorf", ["r1"], False),
    ],
)
def test_waiver_scope(extra, kommune, resources, matches):
    waiver = Waiver.from_dict({**WAIVER, **extra}, 0)
    assert waiver.matches(finding(resources=resources), kommune) is matches


def build(waivers=(), complete=True, previous=None):
    builder = ReportBuilder({"id": "run-2", "check_mode": True}, parse_waivers(list(waivers)), TODAY)
    builder.kommune("altdorf", name="Gemeinde Altdorf", ags="09162000", wave=1)
    builder.add_host("altdorf-fs", "altdorf")
    builder.add_finding(
        {**finding(inhibitor=True, severity="high"), "waiver": None}, "altdorf-fs", "altdorf", "t"
    )
    builder.add_changes(
        {"payload": "shares", "counts": {"copied": 3}, "items": {"copied": ["a"]}, "truncated": True},
        "altdorf-fs",
        "altdorf",
        "copy",
    )
    if not complete:
        builder.mark_incomplete("signal", "SIGINT")
    return builder.build(previous, "2025-03-01T10:00:00+00:00")


def test_waived_inhibitor_gives_go_with_accepted_risks():
    report = build([WAIVER])
    altdorf = report["kommunen"][0]
    assert altdorf["verdict"] == GO_WITH_RISKS
    assert altdorf["findings"][0]["waiver"]["owner"] == "Erika"
    assert report["waivers"][0] | {} == {
        **WAIVER,
        "kommune": None,
        "resource": None,
        "status": "active",
        "matched": 1,
    }


def test_expired_waiver_blocks_again_and_is_a_finding():
    report = build([{**WAIVER, "expires": "2025-02-28"}])
    altdorf = report["kommunen"][0]
    assert altdorf["verdict"] == NO_GO
    assert [f["key"] for f in altdorf["findings"]] == ["shares.path_too_long", "report.waiver_expired"]
    assert report["waivers"][0]["status"] == "expired"


def test_interrupted_run_is_never_go():
    report = build([WAIVER], complete=False)
    assert report["kommunen"][0]["verdict"] == NO_GO
    assert report["run"]["interruptions"] == [{"kind": "signal", "detail": "SIGINT", "host": None}]


def test_compare_counts_new_resolved_changed():
    before = {
        "run_id": "run-1",
        "findings": [
            {
                "key": "a.x",
                "resources": ["1"],
                "severity": "low",
                "inhibitor": False,
                "title": "t",
                "summary": "",
            },
            {
                "key": "a.y",
                "resources": [],
                "severity": "low",
                "inhibitor": False,
                "title": "t",
                "summary": "",
            },
        ],
    }
    now = [finding("a.x", severity="high", resources=["1"]), finding("a.z")]
    assert compare(before, now) == {
        "previous_run": "run-1",
        "new": 1,
        "resolved": 1,
        "changed": 1,
        "new_keys": ["a.z"],
        "resolved_keys": ["a.y"],
        "changed_keys": ["a.x"],
    }


def test_gate_applies_todays_waivers_to_an_old_report():
    report = build()
    assert evaluate_gate("altdorf", report, [], [], TODAY)["verdict"] == NO_GO
    opened = evaluate_gate("altdorf", report, [], parse_waivers([WAIVER]), TODAY)
    assert (opened["verdict"], len(opened["waived"])) == (GO_WITH_RISKS, 1)
    closed = evaluate_gate("altdorf", report, [], parse_waivers([WAIVER]), date(2025, 4, 1))
    assert closed["verdict"] == NO_GO
    assert [f["key"] for f in closed["expired_waivers"]] == ["report.waiver_expired"]


def test_gate_refuses_incomplete_reports_unless_told():
    report = build([WAIVER], complete=False)
    assert evaluate_gate("altdorf", report, [], parse_waivers([WAIVER]), TODAY)["reasons"] == ["incomplete"]
    relaxed = evaluate_gate("altdorf", report, [], parse_waivers([WAIVER]), TODAY, require_complete=False)
    assert relaxed["verdict"] == GO_WITH_RISKS


def test_gate_needs_the_kommune_in_the_report():
    with pytest.raises(ValueError, match="the report run-2 has no Kommune 'bergheim'"):
        evaluate_gate("bergheim", build(), [], [], TODAY)


@pytest.mark.parametrize(
    ("window", "entry"),
    [
        ({"start": "2025-03-14T18:00:00+01:00", "end": "2025-03-16T18:00:00+01:00", "timezone": "Europe/Berlin"},
         {"start": "2025-03-14 18:00", "end": "2025-03-16 18:00", "timezone": "Europe/Berlin", "hours": 48.0}),
        (None, None),
        # a host variable the plan did not write: no window, and the report is written all the same
        ({"start": "soon", "end": "later"}, None),
    ],
)
def test_a_kommunes_window_in_the_report_and_the_timeline(window, entry):
    builder = ReportBuilder({"id": "run-3", "check_mode": False}, [], TODAY)
    builder.kommune("altdorf", wave=1, window=window)
    report = builder.build({}, None)
    assert report["kommunen"][0]["window"] == entry
    assert [w["kommune"] for w in report["waves"][0]["timeline"]] == (["altdorf"] if entry else [])
