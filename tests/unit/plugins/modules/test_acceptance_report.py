"""Which report the Abnahme accepts: the newest acceptance result of the Kommune, passed."""

import hashlib
import json
import re

import pytest

from ansible_collections.kommunal.umzug.plugins.modules import acceptance_report


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


def test_the_newest_passed_acceptance_is_accepted_with_its_hash(run_module, tmp_path):
    write(tmp_path, "20270313T080000Z-1", {"kommune-a": ["wave.acceptance_failed"]})
    passed = write(tmp_path, "20270313T090000Z-2", {"kommune-a": ["wave.acceptance_passed", "wave.gate_open"]})
    write(tmp_path, "20270313T100000Z-3", {"kommune-a": ["wave.gate_open"], "kommune-b": ["wave.acceptance_failed"]})
    result = run_module(acceptance_report.main, {"kommune": "kommune-a", "report_dir": str(tmp_path)})
    assert result["path"] == str(passed) and result["run_id"] == "20270313T090000Z-2"
    assert result["sha256"] == hashlib.sha256(passed.read_bytes()).hexdigest()


def test_another_kommunes_failure_in_the_same_run_does_not_count(run_module, tmp_path):
    write(tmp_path, "20270313T090000Z-2", {"kommune-a": ["wave.acceptance_passed"], "kommune-b": []},
          interruptions=[{"kind": "failed", "detail": "Clients", "host": "kommune-b-fs"}])
    assert run_module(acceptance_report.main, {"kommune": "kommune-a", "report_dir": str(tmp_path)})["sha256"]


@pytest.mark.parametrize(
    ("results", "interruptions", "message"),
    [
        ({"kommune-b": ["wave.acceptance_passed"]}, [], "no report in .* shows an acceptance result for kommune-a"),
        ({"kommune-a": ["wave.acceptance_failed"]}, [], "is wave.acceptance_failed; fix the cause"),
        ({"kommune-a": ["wave.acceptance_missing"]}, [], "is wave.acceptance_missing"),
        ({"kommune-a": ["wave.acceptance_passed"]}, [{"kind": "signal", "detail": "SIGTERM", "host": None}],
         r"was interrupted for kommune-a \(signal: SIGTERM\)"),
        ({"kommune-a": ["wave.acceptance_passed"]}, [{"kind": "unreachable", "detail": "x", "host": "kommune-a-fs"}],
         "was interrupted for kommune-a"),
    ],
)
def test_refusals(run_module, tmp_path, results, interruptions, message):
    write(tmp_path, "20270313T090000Z-2", results, interruptions)
    result = run_module(acceptance_report.main, {"kommune": "kommune-a", "report_dir": str(tmp_path)}, fails=True)
    assert re.search(message, result["msg"]), result["msg"]
