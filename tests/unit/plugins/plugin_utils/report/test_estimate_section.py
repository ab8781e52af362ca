"""A Kommune's estimate in the report: report.json keeps it (schema 1.2), report.html and the terminal show it."""

import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import jsonschema
import pytest

from ansible_collections.kommunal.umzug.plugins.plugin_utils.report.model import ReportBuilder
from ansible_collections.kommunal.umzug.plugins.plugin_utils.report.render import (
    render_html,
    render_json,
    terminal_summary,
)
from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave import estimate as model
from ansible_collections.kommunal.umzug.plugins.plugin_utils.wave.window import Window

ROOT = Path(__file__).resolve().parents[5]
WINDOW = {"start": "2025-03-14T18:00:00+01:00", "end": "2025-03-14T18:01:00+01:00", "timezone": "Europe/Berlin"}


def built() -> dict:
    run = {"id": "20250301T100000Z-1", "started": "2025-03-01T10:00:00+00:00", "check_mode": True,
           "playbooks": ["playbooks/wave_dryrun.yml"], "limit": None, "tags": [], "skip_tags": [],
           "ansible_version": "2.19.4", "language": "de", "plan_hashes": ["a" * 64]}
    builder = ReportBuilder(run, [], date(2025, 3, 1))
    builder.kommune("altdorf", name="Gemeinde Altdorf", ags="09162000", wave=1, window=WINDOW)
    builder.kommune("bergheim", name="Stadt Bergheim", ags="05362008", wave=1)
    estimate = model.estimate(
        shares=[model.Share("bauamt", 1200, 30_000_000_000, "altdorf-fs")], link={"bandwidth": 100, "latency": 20},
        schedule=None, window=Window.of(WINDOW), own_journal=None, wave_journals=[],
        now=datetime(2025, 3, 1, 11, 0, tzinfo=ZoneInfo("Europe/Berlin")))
    builder.set_estimate(estimate, "altdorf")
    return builder.build({}, "2025-03-01T10:05:00+00:00")


def test_the_estimate_is_in_report_json_and_fits_the_schema():
    data = json.loads(render_json(built()))
    jsonschema.validate(data, json.loads((ROOT / "schemas" / "report.schema.json").read_text()))
    altdorf, bergheim = data["kommunen"]
    assert altdorf["estimate"]["inputs"]["bytes"] == 30_000_000_000
    assert altdorf["estimate"]["cutover"]["fits"] is False
    assert bergheim["estimate"] is None


@pytest.mark.parametrize(("language", "present"), [
    ("de", ["Schätzung", "Erster Kopierlauf", "passt nicht in das Fenster", "Zeitpunkt des Probelaufs",
            "Leitung 100 Mbit/s, 20 ms", "Vorgabe",
            "Ausfallzeit: vom Einfrieren bis der Betrieb wieder aufgenommen ist", "danach: acceptance"]),
    ("en", ["Estimate", "Seed", "does not fit the window", "time of the dry run", "Link 100 Mbit/s, 20 ms",
            "default", "Downtime: from the freeze to service resumed", "after: acceptance"]),
])
def test_the_page_shows_the_estimate_and_what_it_used(language, present):
    page = render_html(built(), language)
    for text in present:
        assert text in page, text
    assert page.count('class="estimate"') == 2  # one Kommune's section and its table, none for Bergheim


def test_the_terminal_says_each_kommunes_seed_final_pass_and_fit():
    lines = [line for line in terminal_summary(built(), "en") if line.strip().startswith("Estimate")]
    seed = model.duration_text(built()["kommunen"][0]["estimate"]["seed"]["seconds"])
    assert lines == [lines[0]] and lines[0].startswith(f"  Estimate altdorf: Seed {seed}, final pass ")
    assert "does not fit the window (Throughput: link)" in lines[0]
    (german,) = [line for line in terminal_summary(built(), "de") if line.strip().startswith("Schätzung")]
    assert "passt nicht in das Fenster (Durchsatz: Leitung)" in german


def test_the_downtime_is_in_each_rendering():
    report = built()
    cutover = report["kommunen"][0]["estimate"]["cutover"]
    assert 0 < cutover["downtime"]["seconds"] < cutover["seconds"]
    downtime = model.duration_text(cutover["downtime"]["seconds"])
    assert json.loads(render_json(report))["kommunen"][0]["estimate"]["cutover"]["downtime"] == cutover["downtime"]
    for language, word in (("en", "downtime"), ("de", "Ausfallzeit")):
        (line,) = [line for line in terminal_summary(report, language) if line.strip().startswith(("Estimate",
                                                                                                  "Schätzung"))]
        assert f"({word} {downtime})" in line, line
        assert f"<td>{downtime}</td>" in render_html(report, language)
    # A report written before the estimate had the downtime shows the rest as before.
    del cutover["downtime"]
    assert "downtime" not in next(line for line in terminal_summary(report, "en") if "Estimate" in line)
    assert 'class="downtime"' not in render_html(report, "en")


def test_the_report_keeps_the_estimate_and_its_finding_as_they_are():
    """The report masks values whose names look like secrets ("pass" among them): no name of
    the estimate, nor of its finding's parameters, may look like one."""
    from ansible_collections.kommunal.umzug.plugins.action.wave_estimate import window_finding
    from ansible_collections.kommunal.umzug.plugins.plugin_utils.report.scrub import Scrubber

    kommune = built()["kommunen"][0]
    assert Scrubber().data(kommune["estimate"]) == kommune["estimate"]
    finding = window_finding("altdorf", kommune["estimate"], Window.of(WINDOW))
    assert Scrubber().data(finding) == finding


@pytest.mark.parametrize(("language", "text"), [("de", "komprimiert auf der Leitung je Byte: 1.0 (Vorgabe)"),
                                                 ("en", "compressed, bytes on the wire per byte: 1.0 (default)")])
def test_a_compressed_kommune_shows_the_wire_share_it_assumed(language, text):
    report = built()
    assert text not in render_html(report, language)
    report["kommunen"][0]["estimate"]["inputs"]["wire_share"] = {"compress": True, "source": "default", "value": 1.0}
    assert text in render_html(report, language)


@pytest.mark.parametrize(("language", "text"), [
    ("de", "komprimiert auf der Leitung je Byte: 0.31 (Stichprobe der Freigaben, komprimiert gemessen)"),
    ("en", "compressed, bytes on the wire per byte: 0.31 (sample of the shares, measured compressed)")])
def test_a_sampled_wire_share_says_it_comes_from_the_sample(language, text):
    report = built()
    report["kommunen"][0]["estimate"]["inputs"]["wire_share"] = {"compress": True, "source": "sample", "value": 0.31}
    jsonschema.validate(json.loads(render_json(report)),
                        json.loads((ROOT / "schemas" / "report.schema.json").read_text()))
    assert text in render_html(report, language)


def test_the_terminal_names_a_compressed_kommunes_wire_share_and_its_source():
    report = built()
    report["kommunen"][0]["estimate"]["inputs"]["wire_share"] = {"compress": True, "source": "sample", "value": 0.31}
    (line,) = [line for line in terminal_summary(report, "en") if line.strip().startswith("Estimate")]
    assert line.endswith("(Throughput: link; compressed, bytes on the wire per byte: 0.31 (sample of the shares, "
                         "measured compressed))")
    (german,) = [line for line in terminal_summary(report, "de") if line.strip().startswith("Schätzung")]
    assert "(Durchsatz: Leitung; komprimiert auf der Leitung je Byte: 0.31 (Stichprobe der Freigaben" in german
