"""Where reports live: run folders, the report callback's settings, the waivers a task applies."""

import json
import os
import re
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from ansible_collections.kommunal.umzug.plugins.plugin_utils.report.model import (
    WaiverError,
    read_waiver_file,
    waiver_file_finding,
)
from ansible_collections.kommunal.umzug.plugins.plugin_utils.report.store import (
    RUN_FOLDER,
    ReportSettings,
    reports_newest_first,
    run_id,
    task_waivers,
)

ROOT = Path(__file__).resolve().parents[5]
WAIVER = {"key": "shares.path_too_long", "owner": "Erika Muster", "reason": "Ticket 4711", "expires": "2999-12-31"}


def test_run_ids_name_run_folders_that_sort_by_start():
    early = run_id(datetime(2027, 3, 12, 9, 5, 1, tzinfo=UTC), 99999)
    late = run_id(datetime(2027, 3, 12, 10, 0, 0, tzinfo=UTC), 7)
    assert (early, late) == ("20270312T090501Z-99999", "20270312T100000Z-7")
    assert RUN_FOLDER.match(early) and RUN_FOLDER.match(late) and sorted([late, early]) == [early, late]


def test_reports_newest_first_passes_over_what_is_no_report(tmp_path):
    for name, content in [("20270312T090000Z-1", "{}"), ("20270312T100000Z-2", "{"), ("latest", "{}"),
                          ("20270312T110000Z-3", '{"run": {"id": 3}}')]:
        (tmp_path / name).mkdir()
        (tmp_path / name / "report.json").write_text(content)
    (tmp_path / "20270312T120000Z-4").mkdir()  # killed before it wrote its report
    assert [Path(path).parent.name for path, _ in reports_newest_first(tmp_path)] == [
        "20270312T110000Z-3", "20270312T090000Z-1"]
    assert list(reports_newest_first(tmp_path / "none")) == []


@pytest.mark.parametrize(
    ("content", "keys"),
    [
        (json.dumps({"waivers": [WAIVER]}), ["shares.path_too_long"]),
        ("- key: a.b\n  owner: o\n  reason: r\n  expires: 2999-12-31\n", ["a.b"]),  # the bare list
        ("", []),
        ("waivers:\n", []),
    ],
    ids=["mapping", "list", "empty", "no-waivers"],
)
def test_read_waiver_file(tmp_path, content, keys):
    path = tmp_path / "waivers.yml"
    path.write_text(content)
    waivers = read_waiver_file(str(path))
    assert [w.key for w in waivers] == keys
    assert all(w.expires == date(2999, 12, 31) for w in waivers)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "No such file or directory"),
        ("waivers: [", "expected"),
        ("waivers:\n  - key: a.b\n", "waiver 1 (a.b): missing owner, reason, expires"),
        ("waivers: 7\n", "the waivers must be a list"),
    ],
    ids=["missing", "yaml", "incomplete", "not-a-list"],
)
def test_a_waiver_file_that_cannot_be_used(tmp_path, content, message):
    path = tmp_path / "waivers.yml"
    if content is not None:
        path.write_text(content)
    with pytest.raises(WaiverError, match=re.escape(message)) as caught:
        read_waiver_file(str(path))
    finding = waiver_file_finding(str(path), caught.value)
    assert (finding["key"], finding["inhibitor"], finding["resources"]) == (
        "report.waiver_file_invalid", True, [str(path)])
    assert finding["summary"] == f"{path}: {caught.value}. No risk counts as accepted until it is fixed."


@pytest.mark.parametrize(
    ("waivers", "waiver_file", "callback_file", "keys"),
    [
        ([WAIVER], None, "other", ["shares.path_too_long"]),
        ([], None, "other", []),
        (None, "file", "other", ["shares.path_too_long"]),
        (None, None, "file", ["shares.path_too_long"]),
        (None, None, None, []),
    ],
    ids=["task-list", "task-empty-list", "task-file", "callback-file", "none"],
)
def test_task_waivers(tmp_path, waivers, waiver_file, callback_file, keys):
    path = tmp_path / "waivers.yml"
    path.write_text(json.dumps({"waivers": [WAIVER]}))
    names = {"file": str(path), "other": str(tmp_path / "other.yml"), None: None}
    settings = ReportSettings(tmp_path, names[callback_file], "de")
    assert [w.key for w in task_waivers(waivers, names[waiver_file], lambda: settings)] == keys


def test_task_waivers_name_the_file_they_cannot_use(tmp_path):
    missing = tmp_path / "missing.yml"
    with pytest.raises(WaiverError, match=f"^the waiver file {re.escape(str(missing))} cannot be used: "):
        task_waivers(None, str(missing), lambda: None)


CONFIGURED = """
import json, os, sys
from ansible.plugins.loader import init_plugin_loader
init_plugin_loader([os.path.join(os.getcwd(), "collections")])
from ansible_collections.kommunal.umzug.plugins.plugin_utils.report.store import ReportSettings
settings = ReportSettings.configured()
print(json.dumps([str(settings.report_dir), settings.waiver_file, settings.language]))
"""


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, ["{cwd}/artifacts/reports", None, "de"]),
        ({"UMZUG_REPORT_DIR": "elsewhere/reports", "UMZUG_WAIVER_FILE": "/srv/waivers.yml",
          "UMZUG_REPORT_LANGUAGE": "en"}, ["{cwd}/elsewhere/reports", "/srv/waivers.yml", "en"]),
    ],
    ids=["defaults", "environment"],
)
def test_the_settings_are_the_report_callbacks_as_configured(tmp_path, env, expected):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("UMZUG_")}
    result = subprocess.run([sys.executable, "-c", CONFIGURED], cwd=ROOT, capture_output=True, text=True, check=False,
                            timeout=120, env={**clean, "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), **env})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [None if e is None else e.format(cwd=ROOT) for e in expected]
