"""report.html of a large Welle in a real browser (Debian's headless Chromium): folded until opened,
counts in sight while folded, and filters by severity and payload that hide exactly their findings."""

import sys
from collections import Counter
from pathlib import Path

import pytest

from ansible_collections.kommunal.umzug.plugins.plugin_utils.report.render import render_html
from tests.support.chromium import Chromium

TOP = Path(__file__).resolve().parents[5]
sys.path.insert(0, str(TOP / "bench"))
import report_render as bench  # noqa: E402  (bench/ is a folder of scripts, not a package)

# The full size of the benchmark (100 Kommunen with 1,000 findings each, a page of 37 MB).
KOMMUNEN, FINDINGS = 100, 1000
# Loading the page must leave it usable: generous, since the machine is shared.
LOAD_SECONDS = 60

VISIBLE_ROWS = "[...document.querySelectorAll('{scope} tr.finding')].filter(r => r.checkVisibility()).length"


@pytest.fixture(scope="module")
def welle():
    return bench.synthetic_builder(KOMMUNEN, FINDINGS).build({}, "2025-03-01T11:00:00+00:00")


@pytest.fixture(scope="module")
def page(welle, tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    path = folder / "report.html"
    path.write_text(render_html(welle, "de"), encoding="utf-8")
    with Chromium(folder / "profile") as browser:
        seconds = browser.open(path)
        yield browser, seconds


def visible(browser, scope):
    return browser.evaluate(VISIBLE_ROWS.format(scope=scope))


def test_the_page_loads_without_errors_and_every_kommunes_findings_are_folded(page, welle):
    browser, seconds = page
    assert seconds < LOAD_SECONDS
    assert browser.evaluate("document.querySelectorAll('details.findings').length") == KOMMUNEN
    assert browser.evaluate("[...document.querySelectorAll('details.findings')].some(d => d.open)") is False
    assert browser.evaluate("document.querySelectorAll('tr.finding').length") == KOMMUNEN * FINDINGS
    assert visible(browser, "body") == 0
    # the filters are shown (the script ran) and no script or console error happened
    assert browser.evaluate("document.getElementById('filters').hidden") is False
    assert browser.errors == []


def test_counts_per_severity_are_in_sight_while_folded(page, welle):
    browser, _seconds = page
    kommune = welle["kommunen"][3]
    summary = browser.evaluate(f"document.querySelector('#k-{kommune['id']} details.findings > summary').innerText")
    counts = kommune["counts"]
    assert summary.startswith(f"Befunde ({FINDINGS}): ")
    for label, severity in (("hoch", "high"), ("mittel", "medium"), ("niedrig", "low"), ("Info", "info")):
        assert f"{label} {counts[severity]}" in summary
    assert f"Blocker {counts['inhibitors']}" in summary


def test_opening_a_kommune_shows_its_findings_only(page, welle):
    browser, _seconds = page
    first, second = (f"#k-{kommune['id']}" for kommune in welle["kommunen"][:2])
    browser.click(f"{second} details.findings > summary")
    assert browser.evaluate(f"document.querySelector('{second} details.findings').open") is True
    assert visible(browser, second) == FINDINGS
    assert visible(browser, first) == 0
    assert visible(browser, "body") == FINDINGS


def test_filters_hide_exactly_their_findings(page, welle):
    browser, _seconds = page
    kommune = welle["kommunen"][1]
    scope = f"#k-{kommune['id']}"
    if not browser.evaluate(f"document.querySelector('{scope} details.findings').open"):
        browser.click(f"{scope} details.findings > summary")
    findings = kommune["findings"]
    by_severity = Counter(f["severity"] for f in findings)

    browser.click("#filters input[data-filter='s-high']")
    assert visible(browser, scope) == len(findings) - by_severity["high"]
    assert browser.evaluate(f"[...document.querySelectorAll('{scope} tr.finding.s-high')]"
                            ".some(r => r.checkVisibility())") is False

    browser.click("#filters input[data-filter='p-accounts']")
    shown = [f for f in findings if f["severity"] != "high" and f["payload"] != "accounts"]
    assert visible(browser, scope) == len(shown)
    assert browser.evaluate(f"[...document.querySelectorAll('{scope} section.p-accounts tr.finding')]"
                            ".some(r => r.checkVisibility())") is False
    # what is shown is exactly the rest: row by row, by the key and title the model gave each finding
    rows = browser.evaluate(
        f"[...document.querySelectorAll('{scope} tr.finding')].filter(r => r.checkVisibility())"
        ".map(r => r.querySelector('strong').textContent)"
    )
    assert sorted(rows) == sorted(f["title"] for f in shown)

    for name in ("s-high", "p-accounts"):
        browser.click(f"#filters input[data-filter='{name}']")
    assert visible(browser, scope) == len(findings)
    assert browser.errors == []


def test_fold_all_closes_what_was_opened(page):
    browser, _seconds = page
    browser.click("#filters button[data-fold='open']")
    assert visible(browser, "body") == KOMMUNEN * FINDINGS
    browser.click("#filters button[data-fold='close']")
    assert browser.evaluate("[...document.querySelectorAll('details.findings')].some(d => d.open)") is False
    assert visible(browser, "body") == 0
