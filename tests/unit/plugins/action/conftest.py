"""Run an action plugin's run() in-process with task arguments, and return its result dict."""

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from ansible_collections.kommunal.umzug.plugins.plugin_utils.report.store import ReportSettings


@pytest.fixture
def report_settings(tmp_path):
    """The report callback's settings as the action plugins see them: no waiver file, an empty report folder."""
    return ReportSettings(report_dir=tmp_path / "callback-reports", waiver_file=None, language="de")


@pytest.fixture
def run_action(report_settings):
    def run(action_class, args: dict, *, check: bool = False, fails: bool = False,
            settings: ReportSettings | None = None) -> dict:
        task = SimpleNamespace(args=dict(args), async_val=0, check_mode=check, action=action_class.__module__)
        connection = SimpleNamespace(_shell=SimpleNamespace(tmpdir=None))
        action = action_class(task, connection, SimpleNamespace(check_mode=check), loader=None, templar=None)
        action.settings = lambda: settings or report_settings
        result = json.loads(json.dumps(action.run(task_vars={}), default=str))
        assert bool(result.get("failed")) is fails, result
        return result

    return run


@pytest.fixture
def waiver_file(tmp_path):
    """``waiver_file(*waivers)``: a waiver file as the report callback reads it."""

    def write(*waivers: dict) -> Path:
        path = tmp_path / "waivers.yml"
        path.write_text(json.dumps({"waivers": list(waivers)}))
        return path

    return write
