"""report.json against its schema, report.html in both languages and in a real headless browser."""

import json
import re
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.kommunal.umzug.plugins.module_utils.findings import Finding, Reason
from ansible_collections.kommunal.umzug.plugins.plugin_utils.plan import TIMEZONE, parse_window_time
from ansible_collections.kommunal.umzug.plugins.plugin_utils.report import render as report_render
from ansible_collections.kommunal.umzug.plugins.plugin_utils.report.model import ReportBuilder, parse_waivers
from ansible_collections.kommunal.umzug.plugins.plugin_utils.report.render import (
    ReportInvalid,
    json_text,
    render_html,
    render_json,
    terminal_summary,
    validate_report,
)
from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave.window import Window, timeline
from tests.support.chromium import FLAGS, chromium_path

ROOT = Path(__file__).resolve().parents[5]
ARTIFACTS = ROOT / "artifacts" / "test"


# As the Kommunen's contexts carry them (umzug_kommune.window); Bergheim's opens before Altdorf's
# closes, over the change to summer time (30 March 2025).
WINDOWS = {
    "altdorf": {"start": "2025-03-28T18:00:00+01:00", "end": "2025-03-30T18:00:00+02:00", "timezone": "Europe/Berlin"},
    "bergheim": {"start": "2025-03-30T12:00:00+02:00", "end": "2025-03-31T06:00:00+02:00",
                 "timezone": "Europe/Berlin"},
}


def report(check_mode=True, complete=True):
    run = {
        "id": "20250301T100000Z-1",
        "started": "2025-03-01T10:00:00+00:00",
        "check_mode": check_mode,
        "playbooks": ["playbooks/dry-run.yml"],
        "limit": None,
        "tags": [],
        "skip_tags": [],
        "ansible_version": "2.19.14",
        "language": "de",
        "plan_hashes": ["a" * 64],
    }
    waivers = parse_waivers(
        [
            {
                "key": "accounts.name_collision",
                "owner": "Erika Muster",
                "reason": "Ticket 4711",
                "expires": "2999-12-31",
            }
        ]
    )
    builder = ReportBuilder(run, waivers, date(2025, 3, 1))
    for ident, name, ags in (
        ("altdorf", "Gemeinde Altdorf", "09162000"),
        ("bergheim", "Stadt Bergheim", "05362008"),
    ):
        builder.kommune(ident, name=name, ags=ags, wave=1, window=WINDOWS[ident])
        builder.add_host(f"{ident}-fs", ident)
    builder.add_finding(
        {
            "key": "shares.path_too_long",
            "title": "Pfad <zu lang>",
            "summary": "s",
            "severity": "high",
            "payload": "shares",
            "inhibitor": True,
            "resources": ["\\\\altdorf-fs\\daten"],
            "remediation": {"kind": "hint", "text": "Ordnernamen kürzen"},
        },
        "altdorf-fs",
        "altdorf",
        "t",
    )
    builder.add_finding(
        {
            "key": "accounts.name_collision",
            "title": "Konto existiert",
            "summary": "",
            "severity": "medium",
            "payload": "accounts",
            "inhibitor": True,
        },
        "bergheim-fs",
        "bergheim",
        "t",
    )
    builder.add_changes(
        {"payload": "shares", "counts": {"copied": 2}, "items": {"copied": ["a", "b"]}, "truncated": False},
        "altdorf-fs",
        "altdorf",
        "Kopieren",
    )
    if not complete:
        builder.mark_incomplete("unreachable", "Gather", "bergheim-fs")
    return builder.build({}, "2025-03-01T10:05:00+00:00")


def test_report_json_fits_the_schema():
    data = json.loads(render_json(report()))
    jsonschema.validate(data, json.loads((ROOT / "schemas" / "report.schema.json").read_text()))
    assert data["schema_version"] == "1.2"


def test_a_broken_model_is_not_written():
    data = report()
    data["kommunen"][0]["verdict"] = "maybe"
    with pytest.raises(ReportInvalid, match="kommunen/0/verdict: 'maybe' is not one of"):
        validate_report(data)


@pytest.mark.parametrize(
    ("language", "check_mode", "complete", "present"),
    [
        (
            "de",
            True,
            True,
            ["PROBELAUF (--check)", "NO-GO", "GO mit akzeptierten Risiken", "Geplante Änderungen"],
        ),
        ("en", True, True, ["DRY RUN (--check)", "NO-GO", "GO with accepted risks", "Planned changes"]),
        ("de", False, True, ["Echter Lauf", "Änderungen"]),
        ("de", True, False, ["LAUF UNVOLLSTÄNDIG", "bergheim-fs", "nicht erreichbar"]),
    ],
)
def test_html_says_what_happened(language, check_mode, complete, present):
    html = render_html(report(check_mode, complete), language)
    assert [text for text in present if text not in html] == []
    assert "Pfad &lt;zu lang&gt;" in html
    assert ('id="dry-run"' in html) is check_mode


@pytest.mark.parametrize(
    ("language", "present", "absent"),
    [
        ("de", ["Zu wenig freier Platz auf dem RZ-Dateiserver",
                "Die Freigaben brauchen 100 Bytes (+10 % Reserve: 110); rz-fs hat 50 Bytes frei.",
                "Das Dateisystem von rz-fs vor dem Erstkopierlauf vergrößern."],
         ["Not enough free space"]),
        ("en", ["Not enough free space on the RZ file server",
                "Grow the file system of rz-fs before the seed pass."],
         ["Zu wenig freier Platz"]),
    ],
)
def test_findings_from_the_catalog_speak_the_report_language(language, present, absent):
    data = report()
    finding = Finding.of("shares.target_space_short", needed=100, margin=10, wanted=110, target="rz-fs", free=50,
                         resources=("rz-fs",), kommune="altdorf")
    data["kommunen"][0]["findings"].append({**finding.to_dict(), "task": "t", "waiver": None})
    html = render_html(data, language)
    assert [text for text in present if text not in html] == []
    assert [text for text in absent if text in html] == []
    # report.json keeps the English texts and the parameters, whatever the page's language
    stored = json.loads(render_json(data))["kommunen"][0]["findings"][-1]
    assert stored["title"] == "Not enough free space on the RZ file server"
    assert stored["params"]["target"] == "rz-fs"


@pytest.mark.parametrize(
    ("language", "present", "absent"),
    [
        ("de", ["CON ist ein reservierter DOS-Gerätename", "S-1-5-21-9 (unbekannt, 3 Pfade)"],
         ["reserved DOS device name", "unknown", "3 paths"]),
        ("en", ["CON is a reserved DOS device name", "S-1-5-21-9 (unknown, 3 paths)"],
         ["reservierter", "unbekannt", "3 Pfade"]),
    ],
)
def test_reasons_in_parameters_speak_the_report_language_and_fit_the_schema(language, present, absent):
    data = report()
    found = [
        Finding.of("shares.name_reserved", share="daten", count=1, more="", variant="preflight",
                   first=[Reason("path_problem", path="a/CON.txt", reason=Reason("name_reserved", device="CON"))],
                   resources=("daten", "a/CON.txt"), kommune="altdorf"),
        Finding.of("shares.sid_unmapped", share="daten", count=1, variant="preflight",
                   described=[Reason("sid_unnamed", sid="S-1-5-21-9", paths=3)], resources=("daten",),
                   kommune="altdorf"),
    ]
    data["kommunen"][0]["findings"] += [{**f.to_dict(), "task": "t", "waiver": None} for f in found]
    stored = json.loads(render_json(data))
    jsonschema.validate(stored, json.loads((ROOT / "schemas" / "report.schema.json").read_text()))
    assert stored["kommunen"][0]["findings"][-1]["params"]["described"] == [
        {"code": "sid_unnamed", "sid": "S-1-5-21-9", "paths": "3"}]
    html = render_html(stored, language)
    assert [text for text in present if text not in html] == []
    assert [text for text in absent if text in html] == []


def test_terminal_summary():
    lines = terminal_summary(report(), "de")
    assert lines[0] == "Umzugsbericht 20250301T100000Z-1 - PROBELAUF"
    assert lines[1].split()[:2] == ["NO-GO", "altdorf"]
    assert lines[-2:] == [
        "  Fenster altdorf: 2025-03-28 18:00 - 2025-03-30 18:00 (Europe/Berlin, 47 h, überschneidet sich mit bergheim)",
        "  Fenster bergheim: 2025-03-30 12:00 - 2025-03-31 06:00 (Europe/Berlin, 18 h, überschneidet sich mit altdorf)",
    ]
    assert terminal_summary(report(), "en")[-1] == (
        "  Window bergheim: 2025-03-30 12:00 - 2025-03-31 06:00 (Europe/Berlin, 18 h, overlaps altdorf)")


@pytest.mark.parametrize(
    ("language", "present"),
    [
        ("de", ["Fenster der Kommunen", "Fenster: 2025-03-28 18:00 \u2013 2025-03-30 18:00 (Europe/Berlin, 47 h)",
                "überschneidet sich mit"]),
        ("en", ["Windows of the Kommunen", "Window: 2025-03-28 18:00 \u2013 2025-03-30 18:00 (Europe/Berlin, 47 h)",
                "<th>Length</th>"]),
    ],
)
def test_each_kommunes_window_and_the_waves_timeline(language, present):
    data = report()
    assert [(w["kommune"], w["start"], w["end"], w["hours"], w["overlaps"]) for w in data["waves"][0]["timeline"]] == [
        ("altdorf", "2025-03-28 18:00", "2025-03-30 18:00", 47.0, ["bergheim"]),
        ("bergheim", "2025-03-30 12:00", "2025-03-31 06:00", 18.0, ["altdorf"]),
    ]
    html = render_html(data, language)
    for text in present:
        assert text in html
    # the timeline as bars on the wave's span, Altdorf's from its start, Bergheim's to the span's end
    assert '<tr data-kommune="altdorf">' in html and 'style="left:0.0%;width:' in html
    bergheim = html.split('<tr data-kommune="bergheim">')[1].split("</tr>")[0]
    assert 'class="bar overlap"' in bergheim and "left:" in bergheim
    assert "<td>18 h</td>" in bergheim


def test_a_kommune_without_a_window_says_so():
    data = report()
    data["kommunen"][1]["window"] = None
    data["waves"][0]["timeline"] = data["waves"][0]["timeline"][:1]
    validate_report(data)
    assert "kein Fenster im Plan" in render_html(data, "de")


def test_html_loads_in_a_headless_browser_without_console_errors(tmp_path):
    page = tmp_path / "report.html"
    page.write_text(render_html(report()), encoding="utf-8")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTIFACTS / "report.png"
    screenshot.unlink(missing_ok=True)
    common = [chromium_path(), *FLAGS, "--window-size=1280,1600"]
    shot = subprocess.run(
        [*common, f"--user-data-dir={tmp_path / 'profile-1'}", f"--screenshot={screenshot}", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    dom = subprocess.run(
        [*common, f"--user-data-dir={tmp_path / 'profile-2'}", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert shot.returncode == 0 and dom.returncode == 0, shot.stderr[-2000:] + dom.stderr[-2000:]
    console = [line for line in shot.stderr.splitlines() + dom.stderr.splitlines() if "CONSOLE" in line]
    assert console == []
    assert screenshot.stat().st_size > 10_000
    assert 'data-verdict="no_go">NO-GO</span>' in dom.stdout
    assert "PROBELAUF (--check)" in dom.stdout


def test_without_jsonschema_report_json_is_not_written_unchecked(monkeypatch):
    monkeypatch.setattr(report_render, "jsonschema", None)
    report_render._schema_validator.cache_clear()
    try:
        with pytest.raises(ImportError, match="needs the Python package jsonschema"):
            validate_report({})
    finally:
        report_render._schema_validator.cache_clear()


def timeline_of(*edges):
    """A wave's timeline as the model builds it, from the Kommunen's windows in the plan's local times."""
    windows = {f"kommune-{n}": Window.of({"start": parse_window_time(start).isoformat(),
                                           "end": parse_window_time(end).isoformat(), "timezone": TIMEZONE})
               for n, (start, end) in enumerate(edges)}
    return timeline(windows)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(("edges", "instants"), [
    # 29/30 March 2025, to summer time: Saturday 18:00 to Sunday 18:00 is 23 hours, then 24.
    ((("2025-03-29 18:00", "2025-03-30 18:00"), ("2025-03-30 18:00", "2025-03-31 18:00")),
     ((utc(2025, 3, 29, 17), utc(2025, 3, 30, 16)), (utc(2025, 3, 30, 16), utc(2025, 3, 31, 16)))),
    # 25/26 October 2025, to winter time: Saturday 18:00 to Sunday 18:00 is 25 hours, then 24.
    ((("2025-10-25 18:00", "2025-10-26 18:00"), ("2025-10-26 18:00", "2025-10-27 18:00")),
     ((utc(2025, 10, 25, 16), utc(2025, 10, 26, 17)), (utc(2025, 10, 26, 17), utc(2025, 10, 27, 17)))),
    # A window wholly before the change and one wholly after it: only the distance moves.
    ((("2025-03-28 06:00", "2025-03-28 18:00"), ("2025-03-31 06:00", "2025-03-31 18:00")),
     ((utc(2025, 3, 28, 5), utc(2025, 3, 28, 17)), (utc(2025, 3, 31, 4), utc(2025, 3, 31, 16)))),
    ((("2025-10-24 06:00", "2025-10-24 18:00"), ("2025-10-27 06:00", "2025-10-27 18:00")),
     ((utc(2025, 10, 24, 4), utc(2025, 10, 24, 16)), (utc(2025, 10, 27, 5), utc(2025, 10, 27, 17)))),
])
def test_the_timeline_s_bars_sit_at_their_instants_across_a_summer_time_change(edges, instants):
    """The bars are placed by the instants the windows cover, not by their wall-clock times."""
    first, span = instants[0][0], (instants[-1][1] - instants[0][0]).total_seconds()
    bars = report_render._bars(timeline_of(*edges))
    assert [(bar["left"], bar["width"]) for bar in bars] == [
        (round((start - first).total_seconds() / span * 100, 2), round((end - start).total_seconds() / span * 100, 2))
        for start, end in instants]
    # the windows' wall-clock times stay as the plan wrote them
    assert [(bar["start"], bar["end"]) for bar in bars] == list(edges)


def test_adjoining_windows_over_a_summer_time_change_adjoin_as_bars():
    spring = report_render._bars(timeline_of(("2025-03-29 18:00", "2025-03-30 18:00"),
                                             ("2025-03-30 18:00", "2025-03-31 18:00")))
    assert spring[0]["width"] == spring[1]["left"] == round(23 / 47 * 100, 2)
    autumn = report_render._bars(timeline_of(("2025-10-25 18:00", "2025-10-26 18:00"),
                                             ("2025-10-26 18:00", "2025-10-27 18:00")))
    assert autumn[0]["width"] == autumn[1]["left"] == round(25 / 49 * 100, 2)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner)
    | st.dictionaries(st.text(max_size=5) | st.integers() | st.booleans() | st.none() | st.floats(), inner,
                      max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES)
def test_json_text_is_json_dumps_with_an_indent_to_the_byte(value):
    assert json_text(value) == json.dumps(value, ensure_ascii=False, indent=1)


def test_json_text_keeps_keys_that_a_cache_would_take_for_one():
    # Found by the property above: 0.0 and -0.0 (and 0, 0.0 and False) are equal keys of a dict.
    for value in ({0.0: None}, {-0.0: None}, {0: 1}, {False: 1}, {0.0: 1}):
        assert json_text(value) == json.dumps(value, ensure_ascii=False, indent=1)


@pytest.mark.parametrize("value", [{"a": {1, 2}}, {(1, 2): "x"}, [object()]])
def test_json_text_refuses_what_json_dumps_refuses(value):
    with pytest.raises(TypeError):
        json.dumps(value, ensure_ascii=False, indent=1)
    with pytest.raises(TypeError):
        json_text(value)


def test_report_json_is_what_json_dumps_wrote():
    data = report()
    assert render_json(data) == json.dumps(data, ensure_ascii=False, indent=1)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda data: data["kommunen"][0].update(verdict="maybe"), "kommunen/0/verdict: 'maybe' is not one of"),
        (lambda data: data["kommunen"][1]["counts"].pop("high"), "kommunen/1/counts: 'high' is a required property"),
        (lambda data: data["kommunen"][0].update(findings={}), "kommunen/0/findings: {} is not of type 'array'"),
        (lambda data: data["general"].pop("findings"), "general: 'findings' is a required property"),
        (lambda data: data["waivers"][0].update(expires=None), "waivers/0/expires: None is not of type 'string'"),
        (lambda data: data["run"].update(complete="yes"), "run/complete: 'yes' is not of type 'boolean'"),
    ],
)
def test_a_malformed_report_is_not_written(damage, message):
    data = report()
    damage(data)
    with pytest.raises(ReportInvalid, match=re.escape(message)):
        render_json(data)


def test_validate_report_still_checks_every_finding():
    """report.json's own check leaves the findings to the model; a report read from elsewhere is
    checked whole."""
    data = report()
    data["kommunen"][0]["findings"][0]["resources"] = [5]
    render_json(data)
    with pytest.raises(ReportInvalid, match=re.escape("kommunen/0/findings/0/resources/0: 5 is not of type 'string'")):
        validate_report(data)


@pytest.mark.parametrize(
    ("language", "present"),
    [
        ("de", ["<legend>Schwere</legend>", "<legend>Bereich</legend>", "Alle Befunde aufklappen",
                'data-filter="p-shares"> Freigaben', 'data-filter="s-high"> hoch', "<strong>Befunde (1)</strong>"]),
        ("en", ["<legend>Severity</legend>", "<legend>Payload</legend>", "Open all findings",
                'data-filter="p-accounts"> Accounts', 'data-filter="s-info"> info', "<strong>Findings (1)</strong>"]),
    ],
)
def test_findings_are_folded_and_filters_offered_in_the_report_language(language, present):
    html = render_html(report(), language)
    assert [text for text in present if text not in html] == []
    # folded: no Kommune's findings open; the filters hidden until the page's script shows them
    assert html.count('<details class="findings">') == 2 and '<details class="findings" open' not in html
    assert '<form id="filters" hidden>' in html
    # only the payloads the report has findings of are offered
    assert 'data-filter="p-clients"' not in html
