"""The acceptance suite's skip policy, on tiny test modules run with the suite's own conftest:
only the named skips pass as skips, every other skip fails, and the JSON summary counts both."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def run_suite(tmp_path, source):
    """pytest on one test module with tests/acceptance/conftest.py as a plugin; (exit code, JSON summary)."""
    (tmp_path / "test_tiny.py").write_text(textwrap.dedent(source))
    summary = tmp_path / "summary.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "collections")])}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.acceptance.conftest", "-p", "no:cacheprovider", "-q",
         "--rootdir", str(tmp_path), "--kommune", "kommune-a", "--acceptance-json", str(summary),
         str(tmp_path / "test_tiny.py")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    return proc.returncode, json.loads(summary.read_text()) if summary.exists() else None, proc.stdout


UNEXPECTED = """
    import pytest
    from tests.acceptance.skips import expected_skip

    def test_skip():
        pytest.skip("no test credentials for ALTDORF")

    @pytest.fixture
    def access():
        pytest.skip("no test credentials")

    def test_skip_in_a_fixture(access):
        pass

    @pytest.mark.skip(reason="later")
    def test_skip_mark():
        pass

    @pytest.mark.parametrize("sample", [])
    def test_empty_parameter_set(sample):
        pass

    @pytest.mark.xfail(reason="known")
    def test_xfail():
        assert False

    def test_unknown_expected_skip():
        expected_skip("no_such_case", "made up")
"""


def test_a_skip_that_is_not_a_named_case_fails_the_suite(tmp_path):
    code, summary, output = run_suite(tmp_path, UNEXPECTED)
    assert code == 1, output
    assert summary["passed"] is False and summary["expected_skips"] == {}
    outcomes = {t["test"].split("[")[0]: t["outcome"] for t in summary["tests"]}
    assert outcomes == {
        "test_skip": "failed", "test_skip_in_a_fixture": "error", "test_skip_mark": "error",
        "test_empty_parameter_set": "error", "test_xfail": "failed", "test_unknown_expected_skip": "failed",
    }, summary
    assert summary["counts"] == {"failed": 3, "error": 3}
    messages = {t["test"].split("[")[0]: t["message"] for t in summary["tests"]}
    assert messages["test_skip"].startswith("unexpected skip (Skipped: no test credentials for ALTDORF)")
    assert "'no_such_case' is not a named expected skip" in messages["test_unknown_expected_skip"]


def test_a_named_skip_is_a_skip_and_is_counted_by_its_case(tmp_path):
    code, summary, output = run_suite(tmp_path, """
        from tests.acceptance.skips import expected_skip
        def test_disabled():
            expected_skip("user_disabled_in_rz", "ald-pschneider is disabled in the central directory")
        def test_other():
            assert True
        """)
    assert code == 0, output
    assert summary["passed"] is True and summary["counts"] == {"skipped": 1, "passed": 1}
    assert summary["expected_skips"] == {"user_disabled_in_rz": 1}
    skipped = next(t for t in summary["tests"] if t["outcome"] == "skipped")
    assert skipped["expected_skip"] == "user_disabled_in_rz"
    assert "ald-pschneider is disabled" in skipped["message"]


def test_a_module_skipped_at_import_fails_the_collection(tmp_path):
    code, summary, output = run_suite(tmp_path, """
        import pytest
        pytest.skip("not today", allow_module_level=True)
        def test_x():
            pass
        """)
    assert code == 2 and "unexpected skip (Skipped: not today)" in output, output
    assert summary["passed"] is False
